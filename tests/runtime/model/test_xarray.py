"""Data to xarray: dims, coordinates, units and attributes, from either data model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from h5layout.pymodaq import DataLoader
from h5layout.runtime.model.data import Axis as OurAxis
from h5layout.runtime.model.data import DataRaw as OurDataRaw
from h5layout.runtime.model.data import DataToExport as OurDataToExport
from h5layout.runtime.model.data import DataWithAxes, as_dwa
from h5layout.runtime.model.xarray_ import dte_to_xarray, dwa_to_xarray

from .conftest import write_map_scan

xr = pytest.importorskip("xarray")
BACKENDS = ("h5py", "tables")


@pytest.mark.parametrize("backend", BACKENDS)
def test_uniform_scan_round_trip(backend: str, tmp_path: Path) -> None:
    path = tmp_path / f"scan_{backend}.h5"
    write_map_scan(path, backend, spread=False)
    with DataLoader(path, backend=backend) as loader:
        arr = loader.load_xarray("/RawData/Scan000/Detector000/Data1D/CH00/Data00")
        dwa = loader.load_data("/RawData/Scan000/Detector000/Data1D/CH00/Data00")
        ds = loader.load_xarray("/RawData/Scan000")
    assert arr.dims == ("x", "y", "wavelength") and arr.shape == (3, 2, 5)
    np.testing.assert_array_equal(arr.values, np.asarray(dwa.data[0]))
    np.testing.assert_array_equal(arr.values[2, 1], np.arange(5.0) + 50)
    np.testing.assert_array_equal(arr["x"].values, np.arange(3.0))
    np.testing.assert_array_equal(arr["y"].values, [1.0, 4.0])
    np.testing.assert_allclose(arr["wavelength"].values, np.linspace(500.0, 540.0, 5))
    assert arr["y"].attrs["units"] == "um" and arr["wavelength"].attrs["units"] == "nm"
    assert arr.attrs["nav_dims"] == ["x", "y"] and arr.attrs["distribution"] == "uniform"
    assert arr.name == "intensity" and arr.attrs["name"] == "spectrum"
    assert set(ds.data_vars) == {"pt/spectrum/intensity", "pt/temp/T"}
    temp = ds["pt/temp/T"]
    assert temp.dims == ("x", "y") and temp.attrs["units"] == "K"
    np.testing.assert_array_equal(temp.values, np.arange(6.0).reshape(3, 2) + 0.5)
    # the Dataset's coordinates are shared by both variables
    assert ds["x"].attrs["units"] == "mm"


@pytest.mark.parametrize("backend", BACKENDS)
def test_spread_scan_is_a_points_dimension(backend: str, tmp_path: Path) -> None:
    path = tmp_path / f"spread_{backend}.h5"
    write_map_scan(path, backend, spread=True)
    with DataLoader(path, backend=backend) as loader:
        arr = loader.load_xarray("/RawData/Scan000/Detector000/Data1D/CH00/Data00")
    assert arr.dims == ("points", "wavelength") and arr.shape == (4, 5)
    assert arr.attrs["distribution"] == "spread" and arr.attrs["nav_dims"] == ["points"]
    np.testing.assert_array_equal(arr["x"].values, [0.0, 1.0, 0.5, 3.0])
    np.testing.assert_array_equal(arr["y"].values, [2.0, 0.0, 1.0, 1.5])
    assert arr["x"].dims == ("points",) and arr["y"].attrs["units"] == "um"
    np.testing.assert_array_equal(arr.values[3], np.arange(5.0) + 30)
    # the coordinate variables select points as expected
    assert float(arr.where(arr["x"] == 3.0, drop=True).values[0, 0]) == 30.0


def test_channels_extra_attributes_and_dte() -> None:
    dwa = OurDataRaw(
        "cam",
        data=[np.ones((2, 3)), np.zeros((2, 3))],
        labels=["a", "b"],
        units="V",
        axes=[OurAxis("row", "px", data=np.arange(2.0), index=0)],
        exposure=0.5,
    )
    arr = dwa.to_xarray()
    assert arr.dims == ("channel", "row", "dim_1")
    assert list(arr["channel"].values) == ["a", "b"]
    assert arr.attrs["exposure"] == 0.5 and arr.attrs["units"] == "V"
    assert "dim_1" not in arr.coords  # no axis, no invented coordinate
    other = OurDataRaw(
        "line", data=[np.arange(4.0)], axes=[OurAxis("row", "px", data=np.arange(4.0))]
    )
    ds = OurDataToExport("dte", data=[dwa, other]).to_xarray()
    # variables are origin/name/label (a DataToExport gives its data its name as origin)
    assert set(ds.data_vars) == {"dte/cam/a", "dte/cam/b", "dte/line/CH00"}
    # 'row' of size 2 and 'row' of size 4 cannot share a dimension: the second is renamed
    assert ds["dte/line/CH00"].dims == ("line.row",) and ds["dte/cam/a"].dims == ("row", "dim_1")
    assert ds.attrs["name"] == "dte"


def test_pymodaq_data_objects_give_the_same_xarray() -> None:
    pytest.importorskip("pymodaq_data")
    ours = OurDataRaw(
        "spread",
        data=[np.arange(8.0).reshape(4, 2)],
        distribution="spread",
        nav_indexes=(0,),
        units="counts",
        axes=[
            OurAxis("x", "mm", data=np.array([0.0, 2.0, 1.0, 3.0]), index=0, spread_order=0),
            OurAxis("y", "mm", data=np.array([1.0, 1.0, 0.0, 0.0]), index=0, spread_order=1),
            OurAxis("sig", "eV", data=np.array([0.0, 1.0]), index=1),
        ],
    )
    theirs: Any = ours.to_pymodaq()
    a, b = ours.to_xarray(), dwa_to_xarray(theirs)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    for key in ("units", "distribution", "nav_dims", "source"):
        assert a.attrs[key] == b.attrs[key]
    assert a["sig"].attrs["units"] == "eV" and a.dims == ("points", "sig")
    ds = dte_to_xarray(OurDataToExport("d", data=[ours]).to_pymodaq())
    assert list(ds.data_vars) == ["d/spread/CH00"]
    assert isinstance(as_dwa(theirs), DataWithAxes)


def test_missing_xarray_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from h5layout.runtime.model.xarray_ import XarrayMissingError

    real_import = builtins.__import__

    def no_xarray(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "xarray":
            raise ImportError("No module named 'xarray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_xarray)
    with pytest.raises(XarrayMissingError, match=r"h5layout\[xarray\]"):
        OurDataRaw("d", data=[np.zeros(2)]).to_xarray()


def test_load_xarray_with_pymodaq_datas_own_loader(golden_dir: Path) -> None:
    """Whatever data model a loader returns (pymodaq_data's here), the same xarray."""
    pytest.importorskip("pymodaq_data")
    import warnings

    from h5layout.runtime.model.xarray_ import load_xarray

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymodaq_data's own deprecation warnings
        from pymodaq_data.h5modules.data_saving import DataLoader as TheirLoader

        theirs = TheirLoader(golden_dir / "scan2d_h5py.h5")
        try:
            node = "/RawData/Scan000/Detector001/Data1D/CH00/Data00"
            a, ds_a = load_xarray(theirs, node), load_xarray(theirs, "/RawData/Scan000")
        finally:
            theirs.close_file()
    with DataLoader(golden_dir / "scan2d_h5py.h5") as ours:
        b, ds_b = ours.load_xarray(node), ours.load_xarray("/RawData/Scan000")
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    assert a.dims == ("x", "y", "wavelength") and a.attrs["units"] == b.attrs["units"]
    xr.testing.assert_identical(ds_a.drop_attrs(), ds_b.drop_attrs())
    assert list(ds_a.data_vars) == [
        "Det0D/temperature/T1",
        "Det0D/temperature/T2",
        "Det1D/spectrum/intensity",
    ]
