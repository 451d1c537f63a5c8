"""The JSON Schema of the layout language, generated from the pydantic models.

``python -m h5layout.schema.jsonschema_gen`` rewrites the committed
``h5layout/schema/layout.schema.json``; ``h5layout schema`` prints the same text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: The committed schema file.
SCHEMA_PATH = Path(__file__).resolve().parent / "layout.schema.json"
SCHEMA_ID = "https://h5layout.invalid/schema/layout-1.schema.json"


def layout_json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of a layout file."""
    from h5layout.schema.models import Layout

    schema = Layout.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
    return schema


def schema_text() -> str:
    """The schema as the committed file holds it (sorted keys are not used: field order)."""
    return json.dumps(layout_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the committed schema file (or check it with ``--check``)."""
    args = sys.argv[1:] if argv is None else argv
    text = schema_text()
    if "--check" in args:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.is_file() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is stale; run python -m h5layout.schema.jsonschema_gen")
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
