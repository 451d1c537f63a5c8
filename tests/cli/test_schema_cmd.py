"""``h5layout schema``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from h5layout.cli.main import main
from h5layout.schema.jsonschema_gen import SCHEMA_PATH


def test_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == SCHEMA_PATH.read_text(encoding="utf-8")
    assert json.loads(out)["title"] == "h5layout layout"


def test_writes_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "layout.schema.json"
    assert main(["schema", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == SCHEMA_PATH.read_text(encoding="utf-8")
    assert capsys.readouterr().out == ""


def test_unwritable_output_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "-o", str(tmp_path / "missing" / "dir" / "x.json")]) == 2
    assert "cannot write" in capsys.readouterr().err
