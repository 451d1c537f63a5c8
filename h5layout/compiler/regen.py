"""Regenerate every compiled module kept in the repository.

``python -m h5layout.compiler.regen`` rewrites :mod:`h5layout.pymodaq` (from the shipped
``pymodaq`` layout) and, in a source checkout, the snapshot modules of the compiler tests
(``tests/compiler/snapshots``). ``--check`` writes nothing and exits 1 with a diff when a
file is stale.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from h5layout.compiler.build import (
    compile_default_bindings,
    compile_layout,
    portable_spec,
    write_if_changed,
)

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = PACKAGE_DIR.parent
TESTS_DIR = REPO_DIR / "tests" / "compiler"
#: Shipped layouts whose modules are test snapshots (``pymodaq`` is the package module).
SHIPPED_SNAPSHOTS = ("raman_map", "camera_logger")
#: The bindings of savers no compiled layout binds (the shipped ``pymodaq`` layout's).
DEFAULT_BINDINGS = PACKAGE_DIR / "runtime" / "layout" / "default_bindings.py"


def default_bindings_text() -> str:
    """What :data:`DEFAULT_BINDINGS` must hold."""
    from h5layout.schema import load_layout_spec

    return compile_default_bindings(portable_spec(load_layout_spec("pymodaq")))


def targets(tests_dir: Path = TESTS_DIR) -> list[tuple[str, Path]]:
    """(layout source, module file) of every committed compiled module."""
    out: list[tuple[str, Path]] = [("pymodaq", PACKAGE_DIR / "pymodaq.py")]
    if tests_dir.is_dir():
        snapshots = tests_dir / "snapshots"
        out += [(name, snapshots / f"{name}.py") for name in SHIPPED_SNAPSHOTS]
        for layout in sorted((tests_dir / "layouts").glob("*.yaml")):
            out.append((str(layout), snapshots / f"{layout.stem}.py"))
    return out


def stale_diff(path: Path, text: str) -> str:
    """A unified diff from the file on disk to ``text`` ('' when current)."""
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    if old == text:
        return ""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"{path} (on disk)",
            tofile=f"{path} (compiled)",
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate (or with ``--check``, compare) every committed module."""
    parser = argparse.ArgumentParser(prog="python -m h5layout.compiler.regen")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = 0
    jobs: list[tuple[Path, Callable[[], str]]] = [
        (path, functools.partial(compile_layout, source)) for source, path in targets()
    ]
    jobs.append((DEFAULT_BINDINGS, default_bindings_text))
    for path, build in jobs:
        text = build()
        if args.check:
            diff = stale_diff(path, text)
            if diff:
                stale += 1
                sys.stdout.write(diff)
        elif write_if_changed(path, text):
            print(f"wrote {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
