"""The committed JSON Schema is current, and layouts validate against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from h5layout.schema.jsonschema_gen import SCHEMA_PATH, layout_json_schema, main, schema_text

LAYOUTS = Path(__file__).resolve().parents[2] / "h5layout" / "layouts"


def test_committed_schema_is_not_stale() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "h5layout/schema/layout.schema.json is stale: run python -m h5layout.schema.jsonschema_gen"
    )
    assert main(["--check"]) == 0


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["layout", "version"]
    assert "groups" in schema["properties"] and "arrays" in schema["properties"]


@pytest.mark.parametrize("name", sorted(p.stem for p in LAYOUTS.glob("*.yaml")))
def test_shipped_layouts_validate_with_jsonschema(name: str) -> None:
    data = yaml.safe_load((LAYOUTS / f"{name}.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(data, layout_json_schema(), cls=jsonschema.Draft202012Validator)


def test_jsonschema_rejects_what_the_models_reject() -> None:
    validator = jsonschema.Draft202012Validator(layout_json_schema())
    bad = {
        "layout": "x",
        "version": "1",
        "groups": {"root": {"role": "root", "attrs": {"a": {"type": "strr"}}}},
    }
    assert list(validator.iter_errors(bad))
    bad_key = {"layout": "x", "version": "1", "grups": {}}
    assert list(validator.iter_errors(bad_key))
    good = {
        "layout": "x",
        "version": "1",
        "arrays": {"a": {"dtypes": ["uint16"], "storage": {"chunks": "auto"}}},
    }
    assert not list(validator.iter_errors(good))
