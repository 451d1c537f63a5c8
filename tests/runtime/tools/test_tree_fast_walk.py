"""The h5py walks of ``load_tree`` (HDF5's C functions through ctypes, and h5py's low-level
calls) give the tree the generic backend walk gives, on PyMoDAQ files, golden files (h5py-
and PyTables-written), the hostile corpus and files with everything unusual in them; and a
plain tree, which reads fewer attributes, prints the lines a full read prints."""

from __future__ import annotations

import json
import subprocess
import sys
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

#: the walks compared, each as load_tree's walker factory (None: the one load_tree picks)
WALKERS: dict[str, Any] = {
    "default": None,
    "h5py": lambda be, root, layout, only: tree_mod._H5pyWalker(be, layout, only),
    "generic": lambda be, root, layout, only: tree_mod._Walker(be, layout, only),
}


def _walks(
    monkeypatch: pytest.MonkeyPatch, path: Path, layout: LayoutSpec | None, **kw: Any
) -> dict[str, Any]:
    out = {}
    for label, make in WALKERS.items():
        with monkeypatch.context() as m:
            if make is not None:
                m.setattr(tree_mod, "_walker", make)
            out[label] = load_tree(path, layout=layout, **kw)
    return out


def _both(
    monkeypatch: pytest.MonkeyPatch, path: Path, layout: LayoutSpec | None, **kw: Any
) -> tuple[Any, Any]:
    """The default walk's tree, checked equal to the h5py walk's; and the generic walk's."""
    trees = _walks(monkeypatch, path, layout, **kw)
    _same(trees["default"], trees["h5py"])
    return trees["default"], trees["generic"]


def _same(fast: Any, slow: Any) -> None:
    assert tree_text(fast, attrs=True) == tree_text(slow, attrs=True)
    assert tree_text(fast) == tree_text(slow)
    assert repr(tree_json(fast)) == repr(tree_json(slow))


def test_the_c_walk_is_the_default(tmp_path: Path) -> None:
    """On this machine (h5py's wheel, HDF5 >= 1.12) load_tree walks h5py files in C."""
    from h5layout.runtime.storage.backends import get_backend

    path = tmp_path / "one.h5"
    with h5py.File(path, "w") as f:
        f.create_group("g")
    be = get_backend("h5py")
    file = be.open(str(path), "r", title="", swmr_mode=False)
    try:
        walker = tree_mod._walker(be, be.root(file), None, None)
    finally:
        be.close(file)
    assert isinstance(walker, tree_mod._CWalker)


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
        f.create_group("bad\\xffname")  # shown as the name above: ordered as the backend does
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


def _golden_files() -> list[str]:
    from tests.conftest import GOLDEN

    return sorted(p.name for p in GOLDEN.glob("*.h5")) if GOLDEN.is_dir() else []


@pytest.mark.parametrize("name", _golden_files())
def test_golden_file_same_tree(
    monkeypatch: pytest.MonkeyPatch, golden_dir: Path, name: str
) -> None:
    """pymodaq_data's own files, written with h5py and with PyTables, read by h5py."""
    path = golden_dir / name
    spec = find_layout_spec(file=str(path))
    for full in (False, True):
        fast, slow = _both(monkeypatch, path, spec, full=full)
        _same(fast, slow)
    assert sum(1 for n in fast.root.walk() if n.node_type) > 3


@pytest.mark.parametrize("name", _golden_files())
@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_plain_tree_prints_what_a_full_read_prints(
    golden_dir: Path, name: str, backend: str
) -> None:
    """A plain tree reads a node's match keys only when its name does not decide its type:
    the lines are the ones every attribute read gives."""
    path = golden_dir / name
    spec = find_layout_spec(file=str(path))
    plain = load_tree(path, layout=spec, full=False, backend=backend)
    full = load_tree(path, layout=spec, full=True, backend=backend)
    assert tree_text(plain) == tree_text(full)
    read_plain = sum(len(n.attrs) for n in plain.root.walk())
    assert read_plain < sum(len(n.attrs) for n in full.root.walk())


def test_plain_pymodaq_tree_reads_only_what_it_shows(tmp_path: Path) -> None:
    from bench.validate_ import make_file

    path = tmp_path / "pm.h5"
    make_file(path, 60)
    spec = find_layout_spec(file=str(path))
    plain = load_tree(path, layout=spec, full=False)
    assert tree_text(plain) == tree_text(load_tree(path, layout=spec, full=True))
    data = [n for n in plain.root.walk() if n.node_type == "data"]
    assert data
    for node in data:  # 'Data00' under a channel can only be a data array
        assert "data_type" not in node.attrs and "CLASS" not in node.attrs
        assert {"TITLE", "label", "data_dimension"} <= set(node.attrs)
    det = plain.root.find("/RawData/Detector000")
    assert det is not None and det.node_type == "detector" and "type" in det.attrs


#: compares every walk on each file in a child process (a crash would be reported, not
#: suffered), printing one JSON line per file: the differences found
_COMPARE = r"""
import json, sys
from h5layout.cli.inspect_cmd import tree_json, tree_text
from h5layout.runtime.tools import tree as T
from h5layout.runtime.check.detect import find_layout_spec

def outcome(path, factory, full):
    saved = T._walker
    if factory is not None:
        T._walker = factory
    try:
        try:
            spec = find_layout_spec(file=path)
        except Exception:
            spec = find_layout_spec("pymodaq")
        tree = T.load_tree(path, layout=spec, full=full)
        return [tree_text(tree, attrs=True), tree_text(tree), repr(tree_json(tree))]
    except Exception as exc:
        return ["error", type(exc).__name__, str(exc)]
    finally:
        T._walker = saved

generic = lambda be, root, layout, only: T._Walker(be, layout, only)
h5pyw = lambda be, root, layout, only: T._H5pyWalker(be, layout, only)
for path in sys.argv[1:]:
    diffs = []
    for full in (False, True):
        want = outcome(path, generic, full)
        for label, factory in (("default", None), ("h5py", h5pyw)):
            got = outcome(path, factory, full)
            if got != want:
                diffs.append(f"{label} full={full}: {str(got)[:300]} != {str(want)[:300]}")
    print(json.dumps({"file": path, "diffs": diffs}), flush=True)
"""


def test_hostile_corpus_same_tree(tmp_path: Path) -> None:
    """Every small case of the hostile corpus: the same tree or the same error."""
    from tests.hostile.corpus import make

    paths = [str(p) for p in make(tmp_path)]
    proc = subprocess.run(
        [sys.executable, "-c", _COMPARE, *paths],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [d["file"] for d in lines] == paths
    diffs = [f"{Path(d['file']).name}: {x}" for d in lines for x in d["diffs"]]
    assert not diffs, "\n".join(diffs)


def test_c_walk_beside_another_thread_using_h5py(tmp_path: Path) -> None:
    """The C walk holds h5py's lock: a thread reading with h5py meanwhile neither breaks it
    nor is broken (HDF5 in h5py's wheels is not thread-safe)."""
    import threading

    from bench.validate_ import make_file

    path = tmp_path / "pm.h5"
    make_file(path, 200)
    spec = find_layout_spec(file=str(path))
    want = tree_text(load_tree(path, layout=spec, full=False))
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        for k in range(20):
            f.create_dataset(f"d{k}", data=np.arange(100.0)).attrs["label"] = f"d{k}"
    stop = threading.Event()
    reads: list[float] = []
    failures: list[BaseException] = []

    def read_other() -> None:
        try:
            while not stop.is_set():
                with h5py.File(other, "r") as f:
                    reads.extend(float(f[f"d{k}"][k]) for k in range(20))
                    assert [f[f"d{k}"].attrs["label"] for k in range(20)][-1] == "d19"
        except BaseException as exc:  # reported below
            failures.append(exc)

    thread = threading.Thread(target=read_other)
    thread.start()
    try:
        got = [tree_text(load_tree(path, layout=spec, full=full)) for full in (False, True)]
    finally:
        stop.set()
        thread.join(30)
    assert not failures
    assert got[0] == want and len(got[1]) == len(want)
    assert reads
