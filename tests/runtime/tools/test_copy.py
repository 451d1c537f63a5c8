"""Copies between backends: equal node by node, compressed as the layout says, validated,
streamed in blocks, and nothing left behind when a copy fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import tables

import h5layout
from h5layout.cli.main import main
from h5layout.runtime.errors import FileAccessError
from h5layout.runtime.tools.copy import CopyError, copy_file

from ...conftest import assert_same


@pytest.mark.parametrize(
    "name", ["scan2d_h5py.h5", "dte_basic_h5py.h5", "enlargeable_h5py.h5", "timed_h5py.h5"]
)
def test_golden_h5py_to_tables_to_h5py_is_equal_and_valid(
    golden_dir: Path, name: str, tmp_path: Path
) -> None:
    src = golden_dir / name
    mid, back = tmp_path / "tables.h5", tmp_path / "back.h5"
    first = copy_file(src, mid, backend="tables", block_bytes=64)  # many small blocks
    assert first.layout == "pymodaq" and first.report is not None and first.report.valid
    with tables.open_file(str(mid)) as t:  # a real PyTables file, PyTables' own attributes
        assert t.root._v_attrs.PYTABLES_FORMAT_VERSION and t.root._v_title == "PyMoDAQ file"
    second = copy_file(mid, back, backend="h5py")
    assert second.report is not None and second.report.valid
    assert second.nodes == first.nodes and second.bytes == first.bytes
    assert_same(src, back)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["back.h5", "tables.h5"]  # no leftovers


@pytest.mark.parametrize("name", ["scan2d_tables.h5", "dte_basic_tables.h5"])
def test_golden_tables_to_h5py_to_tables_is_equal_and_valid(
    golden_dir: Path, name: str, tmp_path: Path
) -> None:
    src = golden_dir / name
    mid, back = tmp_path / "h5py.h5", tmp_path / "back.h5"
    first = copy_file(src, mid)
    assert first.report is not None and first.report.valid
    with h5py.File(mid, "r") as f:
        assert "PYTABLES_FORMAT_VERSION" not in f.attrs and "VERSION" not in f["RawData"].attrs
    second = copy_file(mid, back, backend="tables")
    assert second.report is not None and second.report.valid
    # attributes, compression and data as pymodaq_data wrote them; its compressed arrays
    # have chunks larger than the array (8192 rows for 5, and a maxshape to match), which
    # h5py cannot store, so they come back with the chunks the h5py copy had
    assert_same(src, back, chunks=False)
    if name == "scan2d_tables.h5":
        with tables.open_file(str(src)) as t, tables.open_file(str(back)) as u:
            node = "/RawData/Scan000/NavAxes/Axis00"
            assert t.get_node(node).chunkshape == (8192,)
            assert u.get_node(node).chunkshape == (5,)


@pytest.fixture
def raman_file(tmp_path: Path) -> Path:
    """A raman_map scan: gzip level 4 with shuffle on data arrays, custom attributes."""
    mod: Any = h5layout.load_layout("raman_map")
    path = tmp_path / "map.h5"
    h5 = mod.H5SaverLowLevel(save_type="scan")
    h5.init_file(path, new_file=True)
    scan = h5.add_scan_group(sample_id="S0042", operator="ana", temperature=4.2)
    det = h5.add_det_group(scan, "spectro")
    ext = mod.DataToExportExtendedSaver(h5, (4, 3))
    ext.add_nav_axes(
        scan,
        [mod.Axis("x", "mm", data=np.arange(4.0), index=0),
         mod.Axis("y", "mm", data=np.arange(3.0), index=1)],
    )  # fmt: skip
    for i in range(4):
        for j in range(3):
            spectrum = mod.DataRaw("spectrum", data=[np.full(64, i * 3 + j, dtype=np.float32)])
            ext.add_data(det, mod.DataToExport("pt", data=[spectrum]), (i, j))
    h5.close_file()
    return path


def test_compression_follows_the_layout_on_both_backends(raman_file: Path, tmp_path: Path) -> None:
    node = "RawData/Map000/Detector000/Data1D/CH00/Data00"
    mid, back = tmp_path / "t.h5", tmp_path / "b.h5"
    copy_file(raman_file, mid, backend="tables", block_bytes=1000)
    with tables.open_file(str(mid)) as t:
        arr = t.get_node("/" + node)
        assert (arr.filters.complib, arr.filters.complevel, arr.filters.shuffle) == (
            "zlib",
            4,
            True,
        )
        assert t.get_node("/RawData/Map000")._v_attrs["sample_id"] is not None
    result = copy_file(mid, back)
    assert result.report is not None and result.report.valid
    with h5py.File(back, "r") as f:
        ds = f[node]
        assert (ds.compression, ds.compression_opts, ds.shuffle) == ("gzip", 4, True)
        assert ds.shape == (4, 3, 64)
    assert_same(raman_file, back)
    with h5layout.load_layout("raman_map").DataLoader(back) as loader:
        dwa = loader.load_data("/" + node)
        assert float(np.asarray(dwa.data[0])[3, 2, 0]) == 11.0


def test_failed_copy_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "lzf.h5"
    with h5py.File(src, "w") as f:
        f.create_dataset("a", data=np.arange(10.0))
        f.create_dataset("b", data=np.arange(100.0), compression="lzf")  # PyTables has no lzf
    dst = tmp_path / "out.h5"
    with pytest.raises(CopyError, match="lzf"):
        copy_file(src, dst, backend="tables")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lzf.h5"]
    dst.write_bytes(b"keep me")
    with pytest.raises(FileAccessError, match="already exists"):
        copy_file(src, dst)
    assert dst.read_bytes() == b"keep me"
    result = copy_file(src, dst, overwrite=True)  # no layout: copied as it is, not validated
    assert result.layout is None and result.report is None
    assert_same(src, dst)


def test_command_line(raman_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dst = tmp_path / "t.h5"
    assert main(["copy", str(raman_file), str(dst), "--backend", "tables"]) == 0
    out = capsys.readouterr()
    assert (
        "(tables)" in out.out and "layout raman_map" in out.out and "the copy is valid" in out.out
    )
    assert "\r[" not in out.err  # no progress bar when not on a terminal
    assert main(["copy", str(raman_file), str(dst)]) == 2  # exists
    assert main(["copy", str(tmp_path / "none.h5"), str(tmp_path / "x.h5")]) == 2
    assert main(["copy", str(raman_file), str(tmp_path / "y.h5"), "--block-mb", "0"]) == 2
    # a copy that is not valid against its layout exits 1 and says why
    broken = tmp_path / "broken.h5"
    broken.write_bytes(raman_file.read_bytes())
    with h5py.File(broken, "r+") as f:
        del f["RawData/Map000"].attrs["sample_id"]
    capsys.readouterr()
    assert main(["copy", str(broken), str(tmp_path / "z.h5")]) == 1
    assert "sample_id" in capsys.readouterr().out


def test_copy_through_an_hsds_domain(
    golden_dir: Path, h5pyd_server: Any, hsds_domain: str, tmp_path: Path
) -> None:
    """h5py file → HSDS domain (h5pyd) → h5py file: equal node by node and valid."""
    from h5layout.runtime.check.detect import find_layout_spec

    src = golden_dir / "scan2d_h5py.h5"
    spec = find_layout_spec("pymodaq")
    up = copy_file(src, hsds_domain, backend="h5pyd", layout=spec, block_bytes=256)
    assert up.nodes > 10 and up.report is not None and up.report.valid  # validated on HSDS
    # the domain reads as the same tree, with the same node types (inspect over h5pyd)
    from h5layout.runtime.tools.tree import load_tree

    remote = load_tree(hsds_domain, layout=spec, backend="h5pyd")
    local = load_tree(src, layout=spec)

    def rows(tree: Any) -> list[tuple[Any, ...]]:
        return [
            (n.path, n.node_type, n.shape, n.dtype, {k: repr(a.value) for k, a in n.attrs.items()})
            for n in tree.root.walk()
        ]

    assert remote.backend == "h5pyd" and rows(remote) == rows(local)
    back = tmp_path / "back.h5"
    down = copy_file(hsds_domain, back, source_backend="h5pyd", layout=spec)
    assert down.report is not None and down.report.valid
    assert_same(src, back)


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_arrays_are_streamed_in_bounded_memory(backend: str, tmp_path: Path) -> None:
    import tracemalloc

    src = tmp_path / "big.h5"
    rows = np.arange(2_000_000, dtype=np.float64).reshape(-1, 1000)  # 16 MB
    with h5py.File(src, "w") as f:
        f.create_dataset("fixed", data=rows)
        f.create_dataset("growing", data=rows, maxshape=(None, 1000), chunks=(10, 1000))
        f["growing"].attrs["CLASS"] = "EARRAY"
    del rows
    tracemalloc.start()
    try:
        result = copy_file(src, tmp_path / "out.h5", backend=backend, block_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.bytes == 2 * 16_000_000
    assert peak < 6_000_000, peak  # a few 1 MB blocks, never a 16 MB array
    with h5py.File(tmp_path / "out.h5", "r") as f:
        assert f["growing"].maxshape == (None, 1000)
        assert float(f["fixed"][1999, 999]) == 1_999_999.0
        assert float(f["growing"][1999, 999]) == 1_999_999.0


def test_a_node_whose_type_attribute_is_not_text_is_copied(
    golden_dir: Path, tmp_path: Path
) -> None:
    # classification reads each node's `type`: a native number there (another tool's
    # node) is a value to copy, not a string to decode
    src = tmp_path / "src.h5"
    src.write_bytes((golden_dir / "scan2d_h5py.h5").read_bytes())
    with h5py.File(src, "a") as f:
        f["RawData/Scan000"].create_group("Other").attrs["type"] = np.int64(7)
    result = copy_file(src, tmp_path / "out.h5")
    assert result.layout == "pymodaq"
    with h5py.File(tmp_path / "out.h5", "r") as f:
        assert f["RawData/Scan000/Other"].attrs["type"] == 7
