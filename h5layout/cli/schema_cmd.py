"""``h5layout schema``: print the JSON Schema of the layout language."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the schema goes to standard output."""
    parser.add_argument("-o", "--output", help="write the schema to this file instead of stdout")


def run(args: argparse.Namespace) -> int:
    """Print (or write) the schema; 0 on success, 2 when the output cannot be written."""
    from h5layout.schema.jsonschema_gen import schema_text

    text = schema_text()
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(
                f"h5layout schema: cannot write {args.output}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2
        return 0
    sys.stdout.write(text)
    return 0
