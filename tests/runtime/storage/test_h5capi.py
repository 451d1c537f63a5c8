"""HDF5's C functions through ctypes (the walk behind ``inspect``): bound only to the library
h5py loaded, and refused on any other."""

from __future__ import annotations

import ctypes
import glob
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.runtime.storage.backends import h5capi


@pytest.mark.parametrize(
    ("name", "hdf5"),
    [
        ("libhdf5-9e18f0c6.so.320.0.0", True),
        ("libhdf5.so.310", True),
        ("libhdf5.310.dylib", True),
        ("hdf5.dll", True),
        ("libhdf5_hl-69da89c9.so.320.0.0", False),
        ("hdf5extension.abi3.so", False),
        ("libhdf5hl.so", False),
    ],
)
def test_which_files_are_hdf5(name: str, hdf5: bool) -> None:
    assert h5capi._is_hdf5(f"/x/{name}") is hdf5


def test_bound_to_h5py_s_library(tmp_path: Path) -> None:
    api = h5capi.capi()
    assert api is not None
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f.attrs["s"] = "text"
        f.attrs.create("a", b"ascii", dtype=h5py.string_dtype("ascii"))
        f.attrs["n"] = np.arange(3)
        f.attrs["one"] = np.array(["x"], dtype=h5py.string_dtype())
    with h5py.File(path, "r") as f:
        assert api.usable(f["/"].id)
        values = dict(api.read_attrs(f.id.id, [b"a", b"n", b"one", b"s"], False) or [])
        assert values[b"s"] == "text" and values[b"a"] == "ascii"
        # not scalar strings: left to h5py
        assert values[b"n"] is h5capi.OTHER and values[b"one"] is h5capi.OTHER
        assert api.read_attrs(f.id.id, [b"missing", b"s"], True) == [(b"s", "text")]


def test_another_hdf5_library_is_refused(tmp_path: Path) -> None:
    """PyTables' wheel loads a second HDF5 into the process: ids of h5py's are not its."""
    import tables

    here = os.path.dirname(tables.__file__)
    other = [p for p in glob.glob(os.path.join(here, os.pardir, "tables.libs", "*"))
             if h5capi._is_hdf5(p)]  # fmt: skip
    if not other:
        pytest.skip("PyTables shares the system's HDF5 here")
    assert os.path.realpath(other[0]) not in h5capi._candidates()
    api = h5capi.CApi(ctypes.PyDLL(other[0]))
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f.create_group("g")
    with h5py.File(path, "r") as f:
        assert not api.usable(f["/"].id)


def _evicts(file: h5py.File) -> bool:
    """Whether closing objects drops their metadata from HDF5's cache (300 groups opened
    and closed leave about 80 entries with evict-on-close, about 680 without)."""
    for k in range(300):
        group = file[f"g{k}"]
        assert group.attrs["TITLE"] == "x"
        del group
    return int(file.id.get_mdc_size()[3]) < 300


def test_read_only_walks_open_files_evicting(tmp_path: Path) -> None:
    from h5layout.runtime.storage.backends import get_backend

    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        for k in range(300):
            f.create_group(f"g{k}").attrs["TITLE"] = "x"
    be = get_backend("h5py")
    file = be.open(str(path), "r", title="", swmr_mode=False, locking=False, evict_on_close=True)
    try:
        assert _evicts(file)
        # with a small metadata cache of fixed size (HDF5's own grows from 2 MiB)
        config = file.id.get_mdc_config()
        assert config.max_size == config.min_size == h5capi.WALK_CACHE_BYTES
        assert (config.incr_mode, config.flash_incr_mode, config.decr_mode) == (0, 0, 0)
    finally:
        be.close(file)
    with h5py.File(path, "r") as mine:  # open elsewhere in the process without it:
        assert h5capi.open_evicting(str(path), False) is None  # HDF5 refuses the mix
        file = be.open(str(path), "r", title="", swmr_mode=False, evict_on_close=True)
        try:  # so the plain open is used, with HDF5's own cache
            assert not _evicts(file)
            assert file.id.get_mdc_config().max_size != h5capi.WALK_CACHE_BYTES
        finally:
            be.close(file)
        assert mine["g0"].attrs["TITLE"] == "x"
