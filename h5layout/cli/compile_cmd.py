"""``h5layout compile LAYOUT [-o MODULE] [--check]``: compile a layout into a Python module.

Without ``-o`` a layout file ``lab/x.yaml`` of layout ``flim_map`` is compiled to
``lab/flim_map.py`` (next to it, named after the layout, so ``h5layout validate`` finds it
by name); a shipped layout name is printed; ``-o -`` always prints. The file is written
only when its content changes, and recorded in the user's cache (layout name and sha256),
so files written with it validate on this machine with no ``--layout``. ``--check``
writes nothing: exit 1 with a unified diff when the file is stale (or missing), 0 when it
is current. Exit 1 also for a wrong layout (every problem
is printed), 2 for usage errors (a layout file or name that does not exist).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``LAYOUT``, ``-o/--output`` and ``--check``."""
    parser.add_argument("layout", metavar="LAYOUT", help="layout file or shipped layout name")
    parser.add_argument(
        "-o",
        "--output",
        metavar="MODULE",
        help="the .py file to write ('-' prints it; default: LAYOUT_NAME.py next to a layout "
        "file, printed for a shipped layout name)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when MODULE is not current",
    )


def run(args: argparse.Namespace) -> int:
    """Compile, then print, write or check."""
    from h5layout.compiler import CompileError, compile_spec, portable_spec, write_if_changed
    from h5layout.compiler.regen import stale_diff
    from h5layout.runtime.check.detect import remember_compiled, shipped_layouts
    from h5layout.runtime.errors import LayoutSpecError
    from h5layout.schema import load_layout_spec

    if args.check and not args.output:
        print("h5layout compile: --check needs -o MODULE", file=sys.stderr)
        return 2
    source = Path(args.layout)
    is_file = source.is_file()
    if not is_file and args.layout not in shipped_layouts():
        what = "layout file" if source.suffix or "/" in args.layout else "layout file or name"
        print(f"h5layout compile: no such {what}: {args.layout}", file=sys.stderr)
        return 2
    try:
        spec = portable_spec(load_layout_spec(args.layout))
        text = compile_spec(spec)
    except LayoutSpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except (CompileError, OSError) as exc:
        print(f"h5layout compile: {args.layout}: {exc}", file=sys.stderr)
        return 1
    output = args.output
    if output is None and is_file:
        output = str(source.parent / f"{spec.layout}.py")
    if output is None or output == "-":
        sys.stdout.write(text)
        return 0
    out = Path(output)
    if args.check:
        diff = stale_diff(out, text)
        if diff:
            sys.stdout.write(diff)
            print(f"{out} is stale: run h5layout compile {args.layout} -o {out}", file=sys.stderr)
            return 1
        print(f"{out} is current")
        return 0
    print(f"wrote {out}" if write_if_changed(out, text) else f"{out} unchanged")
    remember_compiled(out, spec.layout, spec.sha256)
    return 0
