"""Loaders return pymodaq_data's own objects when it is installed, h5layout's otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import h5layout.pymodaq as hp
from h5layout.runtime.errors import DataValueError
from h5layout.runtime.model.datamodel import DATA_MODEL_ENV, resolve_data_model

pd = pytest.importorskip("pymodaq_data.data")

SPEC = "/RawData/Scan000/Detector000/Data1D/CH00/Data00"
VAL = "/RawData/Scan000/Detector000/Data0D/CH00/Data00"


def write_scan(path: Path, backend: str) -> None:
    """A 3×4 scan of a spectrum (with its axis) and a value, by h5layout."""
    h5 = hp.H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    scan = h5.add_scan_group()
    det = h5.add_det_group(scan, "det")
    saver = hp.DataToExportExtendedSaver(h5, extended_shape=(3, 4))
    saver.add_nav_axes(scan, [hp.Axis("x", "mm", data=np.arange(3.0), index=0),
                              hp.Axis("y", "mm", data=np.arange(4.0) * 2, index=1)])  # fmt: skip
    wl = hp.Axis("w", "nm", data=np.linspace(0, 1, 5), index=0)
    for i in range(3):
        for j in range(4):
            spec = hp.DataRaw("spec", data=[np.arange(5.0) + 10 * i + j], units="V", axes=[wl])
            val = hp.DataRaw("val", data=[np.array([i * 4.0 + j])])
            saver.add_data(det, hp.DataToExport("pt", data=[spec, val]), indexes=(i, j))
    h5.close_file()


def pymodaq_load(path: Path, backend: str, where: str) -> object:
    from pymodaq_data.h5modules.data_saving import DataLoader
    from pymodaq_data.h5modules.saving import H5SaverLowLevel

    h5 = H5SaverLowLevel(backend=backend)
    h5.init_file(path, mode="r")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return DataLoader(h5).load_data(where)
    finally:
        h5.close_file()


def test_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_MODEL_ENV)
    assert resolve_data_model("auto") == "pymodaq"  # pymodaq_data is installed here
    assert resolve_data_model(None) == "pymodaq"
    assert resolve_data_model("h5layout") == "h5layout"
    monkeypatch.setenv(DATA_MODEL_ENV, "h5layout")
    assert resolve_data_model("auto") == "h5layout"
    assert resolve_data_model("pymodaq") == "pymodaq"  # an explicit choice beats the variable
    monkeypatch.setenv(DATA_MODEL_ENV, "xarray")
    with pytest.raises(DataValueError, match=DATA_MODEL_ENV):
        resolve_data_model("auto")
    with pytest.raises(DataValueError, match="expected one of"):
        resolve_data_model("numpy")


def test_a_bad_choice_is_refused_before_opening(tmp_path: Path) -> None:
    with pytest.raises(DataValueError):
        hp.DataLoader(tmp_path / "missing.h5", data_model="pandas")


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_default_loader_returns_pymodaq_objects(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_MODEL_ENV)
    path = tmp_path / "scan.h5"
    write_scan(path, backend)
    with hp.DataLoader(path, backend=backend) as loader:
        assert loader.data_model == "pymodaq"
        dwa = loader.load_data(SPEC)
        value = loader.load_data(VAL)
    theirs = pymodaq_load(path, backend, SPEC)
    assert type(dwa) is type(theirs) is pd.DataWithAxes
    assert dwa == theirs and value == pymodaq_load(path, backend, VAL)
    assert all(isinstance(ax, pd.Axis) for ax in dwa.axes)
    assert dwa.get_axis_from_index(0)[0] == pd.Axis("x", "mm", data=np.arange(3.0), index=0)
    assert dwa.timestamp == theirs.timestamp and dwa.extra_attributes == theirs.extra_attributes
    with warnings.catch_warnings():  # pymodaq's slicing warns on its own (mean of empty axes)
        warnings.simplefilter("ignore", RuntimeWarning)
        point = dwa.inav[1, 2]  # pymodaq's navigation slicing
    assert point.shape == (5,) and np.array_equal(point.data[0], np.arange(5.0) + 12)
    assert np.array_equal(point.isig[1:3].data[0], [13.0, 14.0])  # signal slicing too


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_load_all_fills_either_kind_of_data_to_export(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "scan.h5"
    write_scan(path, backend)
    with hp.DataLoader(path, backend=backend, data_model="h5layout") as loader:
        into_pymodaq = loader.load_all("/RawData", pd.DataToExport("mine"))
        into_ours = loader.load_all("/RawData", hp.DataToExport("mine"))
        fresh = loader.load_all("/RawData")
    assert isinstance(into_pymodaq, pd.DataToExport) and len(into_pymodaq) == 2
    assert all(type(d) is pd.DataWithAxes for d in into_pymodaq)
    assert isinstance(into_ours, hp.DataToExport) and len(into_ours) == 2
    assert all(isinstance(d, hp.DataWithAxes) for d in into_ours)
    assert isinstance(fresh, hp.DataToExport) and fresh.name == "Loaded data"
    with hp.DataLoader(path, backend=backend, data_model="pymodaq") as loader:
        fresh_pm = loader.load_all("/RawData")
    assert isinstance(fresh_pm, pd.DataToExport) and fresh_pm.name == "Loaded data"
    assert sorted(fresh_pm.get_full_names()) == sorted(into_ours.get_full_names())


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_h5layout_model_on_request(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "scan.h5"
    write_scan(path, backend)
    with hp.DataLoader(path, backend=backend, data_model="h5layout") as loader:
        dwa = loader.load_data(SPEC)
    assert isinstance(dwa, hp.DataWithAxes)
    assert dwa.to_pymodaq() == pymodaq_load(path, backend, SPEC)


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_saver_loader_and_savers_take_pymodaq_objects_back(tmp_path: Path, backend: str) -> None:
    """What the pymodaq model loads goes back into h5layout's savers unchanged."""
    path = tmp_path / "scan.h5"
    write_scan(path, backend)
    with hp.DataLoader(path, backend=backend, data_model="pymodaq") as loader:
        loaded = loader.load_data(SPEC)
    h5 = hp.H5SaverLowLevel(backend=backend)
    h5.init_file(tmp_path / "copy.h5", new_file=True)
    det = h5.add_det_group(h5.raw_group, "copy")
    hp.DataToExportSaver(h5).add_data(det, pd.DataToExport("copy", data=[loaded]))
    node = "/RawData/Detector000/DataND/CH00/Data00"
    back = hp.DataSaverLoader(h5).load_data(node, data_model="pymodaq")
    h5.close_file()
    assert type(back) is pd.DataWithAxes
    assert back.shape == loaded.shape and np.array_equal(back.data[0], loaded.data[0])
    assert sorted(a.label for a in back.axes) == sorted(a.label for a in loaded.axes)


def test_without_pymodaq_data_auto_means_h5layout(tmp_path: Path) -> None:
    """A fresh interpreter where pymodaq_data cannot be imported."""
    path = tmp_path / "scan.h5"
    write_scan(path, "h5py")
    code = (
        "import sys; sys.modules['pymodaq_data'] = None\n"
        "import h5layout.pymodaq as hp\n"
        f"loader = hp.DataLoader({str(path)!r})\n"
        f"dwa = loader.load_data({SPEC!r})\n"
        "print(loader.data_model, type(dwa).__module__, dwa.shape)\n"
        "try:\n"
        f"    hp.DataLoader({str(path)!r}, data_model='pymodaq')\n"
        "except ValueError as exc:\n"
        "    print('refused:', exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != DATA_MODEL_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "h5layout h5layout.runtime.model.data (3, 4, 5)" in out
    assert "refused: data_model='pymodaq' needs pymodaq_data" in out


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_axis_loaders_follow_the_data_model(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_MODEL_ENV)
    path = tmp_path / "scan.h5"
    write_scan(path, backend)
    h5 = hp.H5SaverLowLevel(backend=backend)
    h5.init_file(path, mode="r")
    axes = hp.AxisSaverLoader(h5)
    nav = axes.get_axes("/RawData/Scan000/NavAxes")
    assert [type(a) for a in nav] == [pd.Axis, pd.Axis]
    assert nav[1] == pd.Axis("y", "mm", data=np.arange(4.0) * 2, index=1)
    signal = hp.DataSaverLoader(h5).get_axes("/RawData/Scan000/Detector000/Data1D/CH00")
    assert signal == [pd.Axis("w", "nm", data=np.linspace(0, 1, 5), index=2)]  # after nav dims
    ours = axes.load_axis("/RawData/Scan000/NavAxes/Axis00", data_model="h5layout")
    assert isinstance(ours, hp.Axis) and ours.get_data().tolist() == [0.0, 1.0, 2.0]
    h5.close_file()
