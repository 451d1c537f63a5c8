"""How the PyTables backend lays arrays out on disk."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import tables

from h5layout.runtime.layout.spec import Storage
from h5layout.runtime.storage.h5backend import H5Backend


def test_arrays_written_whole_are_contiguous_carrays(tmp_path: Path) -> None:
    path = tmp_path / "frame.h5"
    h5 = H5Backend("tables")
    h5.open_file(path, "w")
    frame = np.arange(12.0).reshape(3, 4)
    node = h5.create_carray("/", "Frame", frame, title="frame")
    node[1, 2] = -1.0  # still writable in place in the same session
    zipped = h5.create_carray(
        "/", "Zipped", frame, title="z", storage=Storage(compression="zlib", level=3)
    )
    assert zipped.backend_impl.chunks(zipped.node) is not None
    h5.create_carray("/", "Empty", np.zeros((0, 3)), title="e")
    h5.close_file()
    expected = frame.copy()
    expected[1, 2] = -1.0
    with h5py.File(path, "r") as f:
        ds = f["Frame"]
        assert ds.chunks is None  # contiguous: read and written at the speed of h5py
        native = {k: ds.attrs[k] for k in ("CLASS", "TITLE", "VERSION")}
        assert native == {"CLASS": b"CARRAY", "TITLE": b"frame", "VERSION": b"1.1"}
        assert "FLAVOR" not in ds.attrs  # PyTables' Array marker, never on a CArray
        assert np.array_equal(ds[()], expected)
        assert f["Zipped"].compression == "gzip"
        assert f["Empty"].shape == (0, 3)
    with tables.open_file(str(path), "r") as f:
        assert isinstance(f.root.Frame, tables.CArray)
        assert np.array_equal(f.root.Frame[1:, 2], expected[1:, 2])


def test_byte_string_arrays_keep_pytables_chunks(tmp_path: Path) -> None:
    h5 = H5Backend("tables")
    h5.open_file(tmp_path / "s.h5", "w")
    try:
        node = h5.create_carray("/", "S", np.array([b"ab", b"cd"]), title="s")
        assert node.backend_impl.chunks(node.node) is not None
    finally:
        h5.close_file()
