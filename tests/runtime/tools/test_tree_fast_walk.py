"""The h5py walk of ``load_tree`` (HDF5's low-level calls) gives the tree the generic
backend walk gives, on PyMoDAQ files and on files with everything unusual in them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from h5layout.cli.inspect_cmd import tree_json, tree_text
from h5layout.runtime.check.detect import find_layout_spec
from h5layout.runtime.layout.spec import LayoutSpec
from h5layout.runtime.tools import tree as tree_mod
from h5layout.runtime.tools.tree import load_tree


def _both(
    monkeypatch: pytest.MonkeyPatch, path: Path, layout: LayoutSpec | None, **kw: Any
) -> tuple[Any, Any]:
    fast = load_tree(path, layout=layout, **kw)
    assert isinstance(fast, tree_mod.FileTree)
    with monkeypatch.context() as m:
        m.setattr(tree_mod, "_H5pyWalker", tree_mod._Walker)  # the generic walk, same backend
        slow = load_tree(path, layout=layout, **kw)
    return fast, slow


def _same(fast: Any, slow: Any) -> None:
    assert tree_text(fast, attrs=True) == tree_text(slow, attrs=True)
    assert tree_text(fast) == tree_text(slow)
    assert repr(tree_json(fast)) == repr(tree_json(slow))


@pytest.fixture(scope="module")
def odd_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Soft, dangling and cyclic links, non-UTF-8 names, attributes of every shape."""
    path = tmp_path_factory.mktemp("fastwalk") / "odd.h5"
    with h5py.File(path, "w") as f:
        f.attrs["TITLE"] = "root"
        g = f.create_group("RawData")
        g.attrs["TITLE"] = "raw"
        g.attrs["type"] = "scan"
        g.attrs["arr"] = np.array(["a", "b", "c"], dtype=h5py.string_dtype())
        g.attrs["one"] = np.array(["a"], dtype=h5py.string_dtype())
        g.attrs.create("label", "x", dtype=h5py.string_dtype("ascii"))
        g.attrs["units"] = np.bytes_("mm")
        g.attrs["n"] = 3
        g.attrs[b"caf\xe9"] = "latin-1 name"
        d = g.create_dataset("Data", data=np.arange(6.0).reshape(2, 3), chunks=(1, 3))
        d.attrs["TITLE"] = "data"
        d.attrs["dims"] = np.array([0, 1])
        d.attrs["data_dimension"] = "1D"
        e = g.create_dataset("Enl", shape=(0, 4), maxshape=(None, 4), dtype="f4")
        e.attrs["CLASS"] = "EARRAY"
        g.create_dataset("Strings", data=["x", "yy"], dtype=h5py.string_dtype())
        g.create_dataset("Empty", data=h5py.Empty("f8"))
        g["loop"] = g  # a hard-link cycle
        g["soft"] = h5py.SoftLink("/RawData/Data")
        g["dangling"] = h5py.SoftLink("/nowhere")
        f.create_group(b"bad\xffname")
        f["type"] = np.dtype("i4")  # a committed datatype
    return path


@pytest.mark.parametrize("full", [False, True])
def test_odd_file_same_tree(monkeypatch: pytest.MonkeyPatch, odd_file: Path, full: bool) -> None:
    spec = find_layout_spec("pymodaq")
    fast, slow = _both(monkeypatch, odd_file, spec, full=full)
    _same(fast, slow)
    raw = fast.root.find("/RawData")
    assert raw is not None and raw.value("type") == "scan"
    if full:
        assert list(raw.value("arr")) == ["a", "b", "c"]
        assert raw.value("one").shape == (1,)
        assert raw.value("label") == "x"


def test_odd_file_no_layout_and_subtree(monkeypatch: pytest.MonkeyPatch, odd_file: Path) -> None:
    for kw in ({"full": False}, {"full": True}, {"node": "/RawData", "full": False}):
        fast, slow = _both(monkeypatch, odd_file, None, **kw)
        _same(fast, slow)


def test_pymodaq_file_same_tree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bench.validate_ import make_file

    path = tmp_path / "pm.h5"
    make_file(path, 60)
    spec = find_layout_spec(file=str(path))
    for full in (False, True):
        fast, slow = _both(monkeypatch, path, spec, full=full)
        _same(fast, slow)
        assert any(n.node_type == "data" for n in fast.root.walk())
