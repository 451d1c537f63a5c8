"""``h5layout check LAYOUT...``: check layout files and report every problem.

Exit status: 0 when every layout is valid, 1 when problems were found, 2 on usage errors
(including a layout file that does not exist).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``LAYOUT...`` (paths or shipped names) and ``--format``."""
    parser.add_argument(
        "layouts", nargs="+", metavar="LAYOUT", help="layout file or shipped layout name"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one 'file:line:col: path: message' per line; json: a list of problems",
    )


def _exists(source: str) -> bool:
    from h5layout.schema.resolve import LAYOUTS_DIR

    if Path(source).is_file():
        return True
    return (
        "/" not in source
        and not source.endswith((".yaml", ".yml"))
        and (LAYOUTS_DIR / f"{source}.yaml").is_file()
    )


def run(args: argparse.Namespace) -> int:
    """Check every layout; print problems (text or JSON)."""
    from h5layout.schema import check_layout
    from h5layout.schema.resolve import shipped_layouts

    missing = [s for s in args.layouts if not _exists(s)]
    if missing:
        for s in missing:
            print(
                f"h5layout check: no such layout file: {s} "
                f"(shipped layouts: {', '.join(shipped_layouts())})",
                file=sys.stderr,
            )
        return 2
    problems = [p for source in args.layouts for p in check_layout(source)]
    if args.format == "json":
        print(json.dumps([p.to_dict() for p in problems], indent=2, ensure_ascii=False))
    else:
        for p in problems:
            print(p)
        if not problems:
            print(f"{len(args.layouts)} layout(s) OK")
    return 1 if problems else 0
