"""``h5layout compile LAYOUT [-o MODULE] [--check]``: compile a layout into a Python module.

Without ``-o`` the module is printed. With ``-o`` the file is written only when its
content changes. ``--check`` writes nothing: exit 1 with a unified diff when the file is
stale (or missing), 0 when it is current. Exit 1 also for a wrong layout (every problem
is printed), 2 for usage errors and a missing layout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``LAYOUT``, ``-o/--output`` and ``--check``."""
    parser.add_argument("layout", metavar="LAYOUT", help="layout file or shipped layout name")
    parser.add_argument("-o", "--output", metavar="MODULE", help="the .py file to write")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when MODULE is not current",
    )


def run(args: argparse.Namespace) -> int:
    """Compile, then print, write or check."""
    from h5layout.compiler import CompileError, compile_layout, write_if_changed
    from h5layout.compiler.regen import stale_diff
    from h5layout.runtime.errors import LayoutSpecError

    if args.check and not args.output:
        print("h5layout compile: --check needs -o MODULE", file=sys.stderr)
        return 2
    from h5layout.runtime.registry import shipped_layouts

    if not Path(args.layout).is_file() and args.layout not in shipped_layouts():
        print(f"h5layout compile: {args.layout}: no such file or shipped layout", file=sys.stderr)
        return 2  # a missing input is a usage error, as in every command
    try:
        text = compile_layout(args.layout)
    except LayoutSpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except (CompileError, OSError) as exc:
        print(f"h5layout compile: {args.layout}: {exc}", file=sys.stderr)
        return 1
    if not args.output:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    if args.check:
        diff = stale_diff(out, text)
        if diff:
            sys.stdout.write(diff)
            print(f"{out} is stale: run h5layout compile {args.layout} -o {out}", file=sys.stderr)
            return 1
        print(f"{out} is current")
        return 0
    print(f"wrote {out}" if write_if_changed(out, text) else f"{out} unchanged")
    return 0
