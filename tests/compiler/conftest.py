"""Fixtures of the compiler tests, and ``--update-snapshots``.

``pytest tests/compiler --update-snapshots`` (or ``H5LAYOUT_UPDATE_SNAPSHOTS=1``)
rewrites the committed modules (``h5layout/pymodaq.py`` and ``tests/compiler/snapshots``)
instead of failing on a difference; review the result with ``git diff``. The same is
done by ``python -m h5layout.compiler.regen``.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
LAYOUTS = HERE / "layouts"
SNAPSHOTS = HERE / "snapshots"
_counter = itertools.count()

#: strings that could end a literal, a line or a comment early, or run code if ever
#: evaluated (the literal writers must give each back exactly)
TRICKY = [
    "",
    "plain",
    'double " quote',
    "single ' quote",
    "both ' and \"",
    '""" triple',
    "'''",
    "line\nbreak\r\n",
    "back\\slash \\n",
    "tab\there",
    "nul\x00 bell\x07 esc\x1b",
    "\x85 \u2028 \u2029 \ufeff",
    "emoji 🧪 é ß",
    "__import__('os').system('echo pwned')",
    "\"); __import__('os').system('x'); (\"",
    "{braces} %s {0}",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="rewrite committed compiled modules instead of comparing them",
    )


@pytest.fixture(scope="session")
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    """True when snapshots are to be rewritten."""
    try:
        flag = bool(request.config.getoption("--update-snapshots"))
    except ValueError:  # the option is unknown when this conftest loads late
        flag = False
    return flag or os.environ.get("H5LAYOUT_UPDATE_SNAPSHOTS") == "1"


def import_file(path: Path) -> ModuleType:
    """Import a generated module from its file under a fresh name."""
    name = f"_h5layout_test_{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty compiled-module cache for the test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("H5LAYOUT_CACHE_DIR", str(folder))
    yield folder
