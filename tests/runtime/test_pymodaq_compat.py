"""Both-ways compatibility of the savers and the loader with the real pymodaq_data 5.3.0.

* every golden file loads in h5layout's DataLoader as pymodaq_data's DataLoader loads it;
* files written by every h5layout saver load in pymodaq_data's DataLoader (both of its
  backends, whichever backend wrote them) as they load in h5layout's;
* pymodaq_data's own DataWithAxes / DataToExport are accepted by every saver, and loaded
  data convert back to pymodaq_data objects.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import h5layout.runtime.model.data as hdata
from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.enums import DataDistribution
from h5layout.runtime.save.data import BkgSaver, DataSaverLoader, ErrorSaverLoader
from h5layout.runtime.save.dte import (
    DataBundle,
    DataToExportEnlargeableSaver,
    DataToExportExtendedSaver,
    DataToExportSaver,
    DataToExportTimedSaver,
)
from h5layout.runtime.save.points import DataEnlargeableSaver, DataExtendedSaver
from h5layout.runtime.storage.h5backend import CARRAY
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

from .conftest import BACKENDS

pm_data = pytest.importorskip("pymodaq_data.data")
pm_saving = pytest.importorskip("pymodaq_data.h5modules.saving")
pm_data_saving = pytest.importorskip("pymodaq_data.h5modules.data_saving")

DATA_TYPES = ("data", "bkg", "error", "data_enlargeable")


# -- comparison ----------------------------------------------------------------------------


def _same_array(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, equal_nan=True))


def assert_same_dwa(ours: Any, theirs: Any, where: str = "") -> None:
    """h5layout's and pymodaq_data's DataWithAxes hold the same things."""
    msg = f"{where}: "
    assert ours.name == theirs.name, msg + "name"
    assert ours.dim.name == theirs.dim.name, msg + f"dim {ours.dim.name} != {theirs.dim.name}"
    assert list(ours.labels) == list(theirs.labels), msg + "labels"
    assert ours.units == theirs.units, msg + "units"
    assert tuple(ours.nav_indexes) == tuple(theirs.nav_indexes), msg + "nav_indexes"
    assert ours.distribution.name == theirs.distribution.name, msg + "distribution"
    assert len(ours.data) == len(theirs.data), msg + "channels"
    for a, b in zip(ours.data, theirs.data, strict=True):
        assert _same_array(a, b), msg + f"data {np.shape(a)} vs {np.shape(b)}"
    assert (ours.errors is None) == (theirs.errors is None), msg + "errors presence"
    if ours.errors is not None:
        for a, b in zip(ours.errors, theirs.errors, strict=True):
            assert _same_array(a, b), msg + "errors"

    def key(ax: Any) -> tuple[int, int, str]:
        return (int(ax.index), int(ax.spread_order), str(ax.label))

    mine, other = sorted(ours.axes, key=key), sorted(theirs.axes, key=key)
    assert [key(a) for a in mine] == [key(a) for a in other], msg + "axes"
    for a, b in zip(mine, other, strict=True):
        assert a.units == b.units, msg + f"axis {a.label} units"
        assert _same_array(a.get_data(), b.get_data()), msg + f"axis {a.label} values"


def data_nodes(loader: DataLoader) -> list[str]:
    """Paths of every array that holds data (not axes) in the file."""
    out = []
    for node in loader.walk_nodes("/"):
        if isinstance(node, CARRAY) and node.attrs.get("data_type") in DATA_TYPES:
            if "nav_indexes" in node.attrs:  # raw add_array nodes are not loadable data
                out.append(node.path)
    return out


def pymodaq_loader(path: Path, backend: str) -> Any:
    saver = pm_saving.H5SaverLowLevel(backend=backend)
    saver.init_file(Path(path), mode="r")
    return pm_data_saving.DataLoader(saver)


def compare_file(
    path: Path, read_backend: str, pm_backend: str, *, with_bkg: bool = True, load_all: bool = True
) -> int:
    """Load every data node with both loaders; returns the number compared."""
    ours = DataLoader(path, backend=read_backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pymodaq_loader(path, pm_backend)
        try:
            paths = data_nodes(ours)
            for p in paths:
                assert_same_dwa(ours.load_data(p), theirs.load_data(p), p)
                if not load_all or not p.endswith("00"):
                    continue  # load_all gives the same for every node of a group
                assert_same_dwa(
                    ours.load_data(p, load_all=True), theirs.load_data(p, load_all=True), p
                )
                if with_bkg and p.endswith("Data00"):
                    # pymodaq_data pairs every data node with the first background:
                    # the same answer for the first data node only (reference §10.7).
                    assert_same_dwa(
                        ours.load_data(p, with_bkg=True), theirs.load_data(p, with_bkg=True), p
                    )
        finally:
            theirs.close_file()
            ours.close_file()
    return len(paths)


# -- golden files --------------------------------------------------------------------------


def golden_files() -> list[str]:
    from .conftest import BACKENDS as _  # noqa: F401

    folder = Path(__file__).resolve().parents[2].parent / "shared" / "golden"
    return sorted(p.name for p in folder.glob("*.h5")) if folder.is_dir() else ["missing"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", golden_files())
def test_golden_files_load_like_pymodaq(golden_dir: Path, name: str, backend: str) -> None:
    path = golden_dir / name
    if not path.is_file():
        pytest.skip("no golden files")
    compared = compare_file(path, backend, backend)
    if name.startswith("lowlevel"):
        # raw add_array nodes have no nav_indexes: pymodaq_data cannot load them, we can
        assert compared == 0
        loader = DataLoader(path, backend=backend)
        try:
            dwa = loader.load_data("/RawData/Ch000/Data1D/Myarray")
            assert dwa.nav_indexes == () and dwa.size > 0
        finally:
            loader.close_file()
    else:
        assert compared > 0


def test_golden_load_all_like_pymodaq(golden_dir: Path) -> None:
    path = golden_dir / "dte_basic_h5py.h5"
    ours = DataLoader(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pymodaq_loader(path, "h5py")
        try:
            a, b = ours.load_all("/RawData"), theirs.load_all("/RawData")
            assert len(a) == len(b) == 5
            for x, y in zip(a, b, strict=True):
                assert_same_dwa(x, y, x.path or "")
            found = ours.load_data_from_name_origin("spectrum", "det1D")
            # both take the first node so titled in walk order (Bkg00 sorts first)
            pm_found = theirs.load_data_from_name_origin("spectrum", "det1D")
            assert found.path == pm_found.path == "/RawData/Detector000/Data1D/CH00/Bkg00"
            assert_same_dwa(found, pm_found, "name/origin")
        finally:
            theirs.close_file()
            ours.close_file()


# -- files written by every h5layout saver ------------------------------------------------------

TS = 1_700_000_000.0


def make_items(mod: ModuleType, ts: float = TS) -> dict[str, Any]:
    """DataWithAxes of every dimension, built with ``mod`` (h5layout's or pymodaq_data's)."""
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 1.0, 11)
    d0 = mod.DataRaw(
        "data0D", data=[np.array([1.5]), np.array([-2.0])], labels=["a", "b"], units="V",
        origin="det", exposure=3.0, extra_attributes=["exposure"],
    )  # fmt: skip
    d1 = mod.DataRaw(
        "data1D", data=[np.sin(x)], labels=["sig"], units="mV", origin="det",
        axes=[mod.Axis("wavelength", "nm", data=x * 100, index=0)],
        errors=[np.full(11, 0.1)],
    )  # fmt: skip
    d1n = mod.DataRaw(
        "nonlin", data=[x**2], labels=["sq"], origin="det",
        axes=[mod.Axis("t", "s", data=x**2 + 1.0, index=0)],
    )  # fmt: skip
    d2 = mod.DataRaw(
        "data2D", data=[rng.integers(0, 1000, (4, 5)).astype(np.uint16)], labels=["img"],
        origin="det",
        axes=[mod.Axis("rows", "mm", data=np.arange(4.0), index=0),
              mod.Axis("cols", "mm", data=np.arange(5.0) * 2, index=1)],
    )  # fmt: skip
    dnd = mod.DataRaw(
        "dataND", data=[rng.random((3, 4, 5))], labels=["nd"], origin="det",
        nav_indexes=(0, 1),
        axes=[mod.Axis("navx", "", data=np.arange(3.0), index=0),
              mod.Axis("navy", "", data=np.arange(4.0), index=1),
              mod.Axis("sig", "", data=np.arange(5.0), index=2)],
    )  # fmt: skip
    for dwa in (d0, d1, d1n, d2, dnd):
        dwa.timestamp = ts
    return {"0D": d0, "1D": d1, "1Dn": d1n, "2D": d2, "ND": dnd}


def make_dte(mod: ModuleType, keys: tuple[str, ...], ts: float = TS) -> Any:
    items = make_items(mod, ts)
    dte = mod.DataToExport("dte", data=[items[k] for k in keys])
    dte.timestamp = ts
    return dte


Writer = Callable[[H5SaverLowLevel, ModuleType], None]


def w_data_saver(h5: H5SaverLowLevel, mod: ModuleType) -> None:
    items = make_items(mod)
    det = h5.add_det_group(h5.raw_group, "det")
    for key in ("0D", "1D", "2D", "ND"):
        group = h5.get_set_group(det, f"G{key}")
        DataSaverLoader(h5).add_data(group, items[key])
        BkgSaver(h5).add_data(group, items[key], save_axes=False)
    group = h5.get_set_group(det, "Errors")
    DataSaverLoader(h5).add_data(group, items["1Dn"])
    ErrorSaverLoader(h5).add_data(group, items["1Dn"], save_axes=False)


def w_dte_saver(h5: H5SaverLowLevel, mod: ModuleType) -> None:
    det = h5.add_det_group(h5.raw_group, "det")
    saver = DataToExportSaver(h5)
    dte = make_dte(mod, ("0D", "1D", "1Dn", "2D", "ND"))
    saver.add_data(det, dte, settings_as_xml="<settings/>")
    saver.add_bkg(det, dte)
    saver.add_error(det, make_dte(mod, ("1Dn",)))
    det2 = h5.add_det_group(h5.raw_group, "det2")
    saver.add_data_bundle(DataBundle(make_dte(mod, ("0D",)), det2, settings="<s/>"))


def w_enlargeable(h5: H5SaverLowLevel, mod: ModuleType) -> None:
    det = h5.add_det_group(h5.raw_group, "det")
    saver = DataToExportEnlargeableSaver(h5, enl_axis_names=("xpos", "ypos"),
                                         enl_axis_units=("mm", "um"))  # fmt: skip
    for k in range(5):
        saver.add_data(det, make_dte(mod, ("0D", "1D"), TS + k), axis_values=[k, 2.0 * k])


def w_timed(h5: H5SaverLowLevel, mod: ModuleType) -> None:
    det = h5.add_det_group(h5.raw_group, "det")
    saver = DataToExportTimedSaver(h5)
    for k in range(4):
        saver.add_data(det, make_dte(mod, ("0D", "1D", "2D"), TS + k))


def w_enl_alone(h5: H5SaverLowLevel, mod: ModuleType) -> None:
    det = h5.add_det_group(h5.raw_group, "det")
    saver = DataEnlargeableSaver(h5, enl_axis_names=("pos",), enl_axis_units=("mm",))
    group = h5.get_set_group(det, "Log")
    for k in range(3):
        saver.add_data(group, make_items(mod)["1D"], axis_values=[float(k)])


def w_extended(h5: H5SaverLowLevel, mod: ModuleType) -> None:
    scan = h5.add_scan_group()
    det = h5.add_det_group(scan, "det")
    saver = DataExtendedSaver(h5, (3, 2))
    group = h5.get_set_group(det, "Ext")
    for i in range(3):
        for j in range(2):
            saver.add_data(group, make_items(mod)["1D"], (i, j))
    nav = h5.get_set_group(scan, "NavAxes")
    from h5layout.runtime.save.data import AxisSaverLoader

    axes = AxisSaverLoader(h5)
    axes.add_axis(nav, mod.Axis("x", "mm", data=np.array([0.0, 1.0, 2.0]), index=0))
    axes.add_axis(nav, mod.Axis("y", "mm", data=np.array([5.0, 7.0]), index=1))


def w_dte_extended(h5: H5SaverLowLevel, mod: ModuleType) -> None:
    scan = h5.add_scan_group()
    saver = DataToExportExtendedSaver(h5, (3, 2))
    saver.add_nav_axes(scan, [mod.Axis("x", "mm", data=np.arange(3.0), index=0),
                              mod.Axis("y", "mm", data=np.array([1.0, 4.0]), index=1)])  # fmt: skip
    det = h5.add_det_group(scan, "det")
    for i in range(3):
        for j in range(2):
            if (i, j) != (2, 1):  # one point missing: NaN-filled
                saver.add_data(det, make_dte(mod, ("0D", "1D", "2D")), (i, j))


def w_dte_spread(h5: H5SaverLowLevel, mod: ModuleType) -> None:
    scan = h5.add_scan_group()
    saver = DataToExportExtendedSaver(h5, (4,))
    xs, ys = np.array([0.0, 1.0, 0.5, 3.0]), np.array([2.0, 0.0, 1.0, 1.5])
    saver.add_nav_axes(scan, [mod.Axis("x", "mm", data=xs, index=0, spread_order=0),
                              mod.Axis("y", "mm", data=ys, index=0, spread_order=1)])  # fmt: skip
    det = h5.add_det_group(scan, "det")
    for i in range(4):
        saver.add_data(det, make_dte(mod, ("0D", "1D")), (i,), distribution="spread")


WRITERS: dict[str, Writer] = {
    "data_bkg_error_savers": w_data_saver,
    "dte_saver": w_dte_saver,
    "dte_enlargeable": w_enlargeable,
    "dte_timed": w_timed,
    "enlargeable_alone": w_enl_alone,
    "extended": w_extended,
    "dte_extended": w_dte_extended,
    "dte_spread": w_dte_spread,
}


def write_file(path: Path, backend: str, writer: Writer, mod: ModuleType = hdata) -> Path:
    h5 = H5SaverLowLevel(save_type="detector", backend=backend)
    h5.init_file(path, new_file=True)
    try:
        writer(h5, mod)
    finally:
        h5.close_file()
    return path


@pytest.fixture(params=list(WRITERS))
def writer_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize(("backend", "pm_backend"), [("h5py", "tables"), ("tables", "h5py")])
def test_pymodaq_reads_files_of_every_saver(
    tmp_path: Path, backend: str, pm_backend: str, writer_name: str
) -> None:
    path = write_file(tmp_path / f"{writer_name}.h5", backend, WRITERS[writer_name])
    # written with `backend`, read by pymodaq_data with `pm_backend` (both directions)
    # load_all and with_bkg are compared on the golden files (pymodaq_data is slow)
    assert compare_file(path, backend, pm_backend, with_bkg=False, load_all=False) > 0


def test_pymodaq_sees_the_values_written(tmp_path: Path) -> None:
    """Not only the same as ours: the values the caller gave."""
    path = write_file(tmp_path / "dte.h5", "h5py", w_dte_extended)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loader = pymodaq_loader(path, "tables")
        try:
            dwa = loader.load_data("/RawData/Scan000/Detector000/Data1D/CH00/Data00")
            assert dwa.shape == (3, 2, 11)
            assert dwa.nav_indexes == (0, 1)
            assert np.allclose(dwa.data[0][1, 1], np.sin(np.linspace(0, 1, 11)))
            assert np.isnan(dwa.data[0][2, 1]).all()
            assert [ax.label for ax in dwa.get_axis_from_index(0)] == ["x"]
            assert np.allclose(dwa.get_axis_from_index(1)[0].get_data(), [1.0, 4.0])
            assert dwa.units == "mV"
            d0 = loader.load_data("/RawData/Scan000/Detector000/Data0D/CH00/Data00")
            assert d0.units == "V" and d0.labels == ["a"]
        finally:
            loader.close_file()


# -- pymodaq_data objects in, pymodaq_data objects out -----------------------------------------


def test_every_saver_accepts_pymodaq_objects(
    tmp_path: Path, backend: str, writer_name: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = write_file(tmp_path / "ours.h5", backend, WRITERS[writer_name], hdata)
        theirs = write_file(tmp_path / "pm.h5", backend, WRITERS[writer_name], pm_data)
    a, b = DataLoader(ours, backend=backend), DataLoader(theirs, backend=backend)
    try:
        paths = data_nodes(a)
        assert paths == data_nodes(b) and paths
        for p in paths:
            x, y = a.load_data(p), b.load_data(p)
            assert x == y, p
            assert x.extra_attributes == y.extra_attributes, p
    finally:
        a.close_file()
        b.close_file()


def _loaded(path: Path) -> Iterator[Any]:
    loader = DataLoader(path)
    try:
        for p in data_nodes(loader):
            yield loader.load_data(p)
    finally:
        loader.close_file()


def test_loaded_data_convert_to_pymodaq(tmp_path: Path) -> None:
    path = write_file(tmp_path / "dte.h5", "h5py", w_dte_saver)
    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dwa in _loaded(path):
            pm = dwa.to_pymodaq()
            assert isinstance(pm, pm_data.DataWithAxes)
            assert_same_dwa(dwa, pm, dwa.path or "")
            count += 1
        dte = DataLoader(path).load_all("/RawData")
        pm_dte = dte.to_pymodaq()
    assert isinstance(pm_dte, pm_data.DataToExport)
    assert len(pm_dte) == len(dte) > 0
    assert count > 5


def test_dim_of_loaded_scans_matches(tmp_path: Path) -> None:
    path = write_file(tmp_path / "s.h5", "tables", w_dte_spread)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loader = pymodaq_loader(path, "h5py")
        try:
            theirs = loader.load_data("/RawData/Scan000/Detector000/Data1D/CH00/Data00")
        finally:
            loader.close_file()
    ours = DataLoader(path, backend="tables")
    try:
        mine = ours.load_data("/RawData/Scan000/Detector000/Data1D/CH00/Data00")
    finally:
        ours.close_file()
    assert mine.distribution == DataDistribution.spread
    assert theirs.distribution.name == "spread"
    assert {(a.label, a.spread_order) for a in mine.axes if a.index == 0} == {
        ("x", 0),
        ("y", 1),
    }
