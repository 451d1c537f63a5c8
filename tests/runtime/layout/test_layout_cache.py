"""The compile cache's index and the cached JSON copy of a compiled module's LAYOUT."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from h5layout.runtime.layout.cache import (
    dumps_layout,
    layout_of,
    loads_layout,
    lookup,
    write_index,
)


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("H5LAYOUT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_json_keeps_tuples_and_order() -> None:
    layout = {"b": (1, (2, "x")), "a": [None, True, 1.5, {"k": ()}]}
    back = loads_layout(dumps_layout(layout))
    assert back == layout
    assert list(back) == ["b", "a"]
    assert isinstance(back["b"][1], tuple)


def test_index_entry_is_dropped_when_a_source_file_changes(cache: Path, tmp_path: Path) -> None:
    src = tmp_path / "l.yaml"
    src.write_text("layout: l\n")
    module = cache / "l_0.py"
    module.parent.mkdir(parents=True)
    module.write_text("LAYOUT = {'layout': 'l'}\n")
    write_index(src, [src], module_file=module.name)
    assert lookup(src) == ("file", str(module))
    src.write_text("layout: l\nversion: '2'\n")
    assert lookup(src) is None


def test_layout_copy_follows_the_module_file(cache: Path, tmp_path: Path) -> None:
    module = tmp_path / "mod_a.py"
    module.write_text("LAYOUT = {'layout': 'a', 'shape': (1, 2)}\n")
    assert layout_of(("file", str(module))) == {"layout": "a", "shape": (1, 2)}
    assert len(list((cache / "layouts").glob("*.json"))) == 1
    # a new module file (another size and time) is read again, not served from the copy
    module.write_text("LAYOUT = {'layout': 'a', 'shape': (3, 4, 5)}\n")
    later = time.time() + 5
    os.utime(module, (later, later))
    got = loads_layout(next((cache / "layouts").glob("*.json")).read_text())
    assert got["shape"] == (1, 2)
    sys.modules.pop("h5layout_compiled.mod_a", None)
    assert layout_of(("file", str(module)))["shape"] == (3, 4, 5)
