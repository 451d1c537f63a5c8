"""h5py's booleans (HDF5 enums PyTables cannot map) read as booleans on PyTables too."""

from __future__ import annotations

import warnings
from pathlib import Path

import h5py
import numpy as np

import h5layout.pymodaq as hp


def test_h5py_bools_decode_on_tables(tmp_path: Path) -> None:
    path = tmp_path / "bools.h5"
    with h5py.File(path, "w") as f:
        f.attrs["swmr_active"] = np.bool_(True)
        f.attrs["off"] = False
        f.attrs["count"] = 3
        f.create_group("G").attrs["flag"] = np.bool_(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no PyTables DataTypeWarning reaches the caller
        for mode in ("r", "a"):
            h5 = hp.H5Backend("tables")
            h5.open_file(path, mode)
            root = h5.root().attrs
            assert root["swmr_active"] is True and root["off"] is False and root["count"] == 3
            assert h5.get_attr("/G", "flag") is False
            assert [node.attrs.to_dict() for node in h5.walk_nodes("/")][1] == {"flag": False}
            h5.close_file()


def test_swmr_flag_of_a_finalized_h5py_file_reads_on_tables(tmp_path: Path) -> None:
    """The root ``swmr_active`` of a SWMR file written with h5py, read with PyTables."""
    path = tmp_path / "swmr.h5"
    h5 = hp.H5SaverLowLevel(backend="h5py")
    h5.init_file(path, new_file=True, swmr_mode=True)
    saver = hp.DataToExportTimedSaver(h5)
    det = h5.add_det_group(h5.raw_group, "det")
    saver.add_data(det, hp.DataToExport("d", data=[hp.DataRaw("v", data=[np.array([1.0])])]))
    h5.enable_swmr()
    h5.finalize_swmr()
    with h5py.File(path, "r") as f:
        assert isinstance(f.attrs["swmr_active"], np.bool_)  # stored as h5py's enum
    with hp.DataLoader(path, backend="tables") as loader:
        assert loader.get_node("/").attrs["swmr_active"] is False
