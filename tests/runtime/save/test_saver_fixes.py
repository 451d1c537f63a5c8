"""The reference's saving bugs (pymodaq-layout.md §10), fixed in what h5layout writes,
while files carrying them still load; and savers that keep their node handles."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from h5layout.runtime.errors import DataValueError, FileAccessError
from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import Axis, DataRaw, DataToExport
from h5layout.runtime.model.enums import DataDistribution
from h5layout.runtime.save.dte import (
    DataToExportEnlargeableSaver,
    DataToExportExtendedSaver,
    DataToExportSaver,
    DataToExportTimedSaver,
)
from h5layout.runtime.save.points import DataEnlargeableSaver, DataExtendedSaver
from h5layout.runtime.storage.h5backend import CARRAY, GROUP
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _saver(path: Path, backend: str, **kw: Any) -> H5SaverLowLevel:
    h5 = H5SaverLowLevel(save_type="detector", backend=backend)
    h5.init_file(path, new_file=True, **kw)
    return h5


def _attrs(h5: H5SaverLowLevel, path: str) -> dict[str, Any]:
    return h5.get_node(path).attrs.to_dict()


def _spectrum(k: float = 0.0, **extra: Any) -> DataRaw:
    return DataRaw(
        "spec", data=[np.arange(5.0) + k, np.arange(5.0) * 2 + k], labels=["a", "b"],
        units="mV", origin="det", axes=[Axis("wl", "nm", data=np.arange(5.0) * 3, index=0)],
        timestamp=100.0 + k, **extra,
    )  # fmt: skip


# -- §10.1 settings ------------------------------------------------------------------------


def test_settings_stored_under_settings(tmp_path: Path, backend: str) -> None:
    h5 = _saver(tmp_path / "s.h5", backend)
    det = h5.add_det_group(h5.raw_group)
    DataToExportSaver(h5).add_data(det, DataToExport("d", [_spectrum()]), settings_as_xml="<x/>")
    attrs = _attrs(h5, "/RawData/Detector000/Data1D/CH00/Data00")
    h5.close_file()
    assert attrs["settings"] == "<x/>"
    assert "settings]" not in attrs


def test_files_with_the_bracket_typo_still_load(golden_dir: Path) -> None:
    loader = DataLoader(golden_dir / "dte_basic_h5py.h5")
    try:
        dwa = loader.load_data("/RawData/Detector000/Data1D/CH00/Data00")
        assert "settings]" in dwa.extra_attributes
        assert dwa.extra_attributes and getattr(dwa, "settings]").startswith("<")
    finally:
        loader.close_file()


# -- §10.2 add_error -----------------------------------------------------------------------


def test_add_error_writes_error_bars(tmp_path: Path, backend: str) -> None:
    h5 = _saver(tmp_path / "e.h5", backend)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportSaver(h5)
    saver.add_data(det, DataToExport("d", [_spectrum()]))
    saver.add_error(det, DataToExport("d", [_spectrum(0.5)]))
    group = h5.get_node("/RawData/Detector000/Data1D/CH00")
    assert isinstance(group, GROUP)
    kids = group.children()
    assert {"ErrorBar00", "ErrorBar01"} <= set(kids)
    assert not any(name.startswith("Bkg") for name in kids)
    assert kids["ErrorBar00"].attrs["data_type"] == "error"
    dwa = DataLoader(h5).load_data(group.children()["Data01"])
    h5.close_file()
    assert dwa.errors is not None
    assert np.allclose(dwa.errors[0], np.arange(5.0) * 2 + 0.5)


# -- §10.3 units and extra attributes on scan and logger arrays -------------------------------


def test_units_and_extras_on_scan_and_logger_arrays(tmp_path: Path, backend: str) -> None:
    h5 = _saver(tmp_path / "u.h5", backend)
    scan = h5.add_scan_group()
    ext = DataToExportExtendedSaver(h5, (2,))
    det = h5.add_det_group(h5.raw_group)
    enl = DataToExportEnlargeableSaver(h5)
    timed = DataToExportTimedSaver(h5)
    det2 = h5.add_det_group(h5.raw_group)
    for k in range(2):
        dte = DataToExport("d", [_spectrum(k, exposure=0.25)])
        ext.add_data(scan, dte, (k,))
        enl.add_data(det, dte)
        timed.add_data(det2, dte)
    paths = [
        "/RawData/Scan000/Data1D/CH00/Data00",
        "/RawData/Detector000/Data1D/CH00/EnlData00",
        "/RawData/Detector001/Data1D/CH00/EnlData01",
    ]
    for path in paths:
        attrs = _attrs(h5, path)
        assert attrs["units"] == "mV", path
        assert attrs["exposure"] == 0.25, path
        dwa = DataLoader(h5).load_data(path)
        assert dwa.units == "mV" and dwa.exposure == 0.25
    h5.close_file()


# -- §10.7 background pairing --------------------------------------------------------------


def test_each_channel_minus_its_own_background(tmp_path: Path, backend: str) -> None:
    h5 = _saver(tmp_path / "b.h5", backend)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportSaver(h5)
    data = DataRaw("d0", data=[np.array([20.0]), np.array([30.0])], timestamp=1.0)
    bkg = DataRaw("d0", data=[np.array([1.0]), np.array([2.0])], timestamp=1.0)
    saver.add_data(det, DataToExport("d", [data]))
    saver.add_bkg(det, DataToExport("d", [bkg]))
    loader = DataLoader(h5)
    one = loader.load_data("/RawData/Detector000/Data0D/CH00/Data01", with_bkg=True)
    assert one.data[0][0] == 28.0  # Data01 - Bkg01 (the reference gives 30 - 1)
    both = loader.load_data("/RawData/Detector000/Data0D/CH00/Data00", with_bkg=True, load_all=True)
    assert [a[0] for a in both.data] == [19.0, 28.0]
    h5.close_file()


# -- §10.4-10.6 extended saver: caller untouched, distribution, bounds -------------------------


def test_caller_objects_not_mutated(tmp_path: Path, backend: str) -> None:
    h5 = _saver(tmp_path / "m.h5", backend)
    scan = h5.add_scan_group()
    axis = Axis("wl", "nm", data=np.arange(5.0), index=0)
    values = np.arange(5.0)
    before = values.copy()
    dwa = DataRaw("spec", data=[values], axes=[axis], timestamp=1.0)
    dte = DataToExport("d", [dwa])
    saver = DataToExportExtendedSaver(h5, (3, 2))
    nav = [Axis("x", "", data=np.arange(3.0), index=0), Axis("y", "", data=np.arange(2.0), index=1)]
    saver.add_nav_axes(scan, nav)
    saver.add_data(scan, dte, (1, 1))
    DataExtendedSaver(h5, (4,)).add_data(h5.get_set_group(scan, "Other"), dwa, (2,))
    DataEnlargeableSaver(h5).add_data(h5.get_set_group(scan, "Log"), dwa, axis_values=[1.0])
    assert axis.index == 0 and [a.index for a in nav] == [0, 1]
    assert dwa.axes[0] is axis and dwa.nav_indexes == ()
    assert np.array_equal(values, before)
    stored = _attrs(h5, "/RawData/Scan000/Data1D/CH00/Axis00")
    assert stored["index"] == 2  # shifted in the file only
    h5.close_file()


@pytest.mark.parametrize("distribution", [DataDistribution.spread, "spread"])
def test_distribution_as_enum_or_string(tmp_path: Path, backend: str, distribution: Any) -> None:
    h5 = _saver(tmp_path / "d.h5", backend)
    scan = h5.add_scan_group()
    saver = DataToExportExtendedSaver(h5, (3,))
    saver.add_nav_axes(scan, [Axis("x", "", data=np.array([0.0, 2.0, 1.0]), index=0)])
    for k in range(3):
        saver.add_data(scan, DataToExport("d", [_spectrum(k)]), (k,), distribution=distribution)
    assert _attrs(h5, "/RawData/Scan000/Data1D/CH00/Data00")["distribution"] == "spread"
    dwa = DataLoader(h5).load_data("/RawData/Scan000/Data1D/CH00/Data00")
    assert dwa.distribution == DataDistribution.spread
    h5.close_file()


def test_index_bounds_checked(tmp_path: Path, backend: str) -> None:
    h5 = _saver(tmp_path / "i.h5", backend)
    scan = h5.add_scan_group()
    saver = DataToExportExtendedSaver(h5, (3, 2))
    dte = DataToExport("d", [_spectrum()])
    with pytest.raises(DataValueError):
        saver.add_data(scan, dte, (3, 0))  # index == shape
    assert "Data1D" not in h5.get_children(scan)  # nothing written
    saver.add_data(scan, dte, (2, 1))
    node = h5.get_node("/RawData/Scan000/Data1D/CH00/Data00")
    assert isinstance(node, CARRAY)
    before = np.asarray(node.read()).copy()
    for bad in [(0, 2), (-1, 0), (0,), (0, 0, 0)]:
        with pytest.raises(DataValueError):
            saver.add_data(scan, DataToExport("d", [_spectrum(9.0)]), bad)
    assert np.array_equal(np.asarray(node.read()), before, equal_nan=True)
    h5.close_file()


# -- §10.18-10.19 files ------------------------------------------------------------------------


def test_swmr_init_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "plain.h5"
    h5 = _saver(path, "h5py")
    h5.add_log("keep me")
    h5.close_file()
    digest = _md5(path)
    again = H5SaverLowLevel(backend="h5py")
    with pytest.raises(FileAccessError):
        again.init_file(path, new_file=False, swmr_mode=True)
    assert _md5(path) == digest
    # a file created for SWMR reopens for SWMR writing, keeping its content
    path2 = tmp_path / "swmr.h5"
    h5 = _saver(path2, "h5py", swmr_mode=True)
    h5.add_log("kept")
    h5.close_file()
    again.init_file(path2, new_file=False, swmr_mode=True)
    assert again.get_set_logger().read() == ["kept"]
    again.close_file()


def test_savers_given_a_path(tmp_path: Path) -> None:
    ext = DataExtendedSaver(tmp_path / "p.h5", (2,))
    ext.add_data(ext.h5saver.raw_group, _spectrum(), (1,))
    ext.close_file()
    dte_ext = DataToExportExtendedSaver(tmp_path / "q.h5", (2,))
    dte_ext.add_data(dte_ext.h5saver.raw_group, DataToExport("d", [_spectrum()]), (0,))
    dte_ext.close_file()
    for name, path in [("p.h5", "/RawData/Data00"), ("q.h5", "/RawData/Data1D/CH00/Data00")]:
        loader = DataLoader(tmp_path / name)
        try:
            dwa = loader.load_data(path)
            assert dwa.shape == (2, 5)
        finally:
            loader.close_file()


def test_loader_never_writes(tmp_path: Path, golden_dir: Path, backend: str) -> None:
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(6.0).reshape(2, 3)
        f.create_group("g")["y"] = np.arange(3)
    for path in [foreign, golden_dir / "scan2d_h5py.h5", golden_dir / "dte_basic_tables.h5"]:
        digest = _md5(path)
        loader = DataLoader(path, backend=backend)
        try:
            nodes = list(loader.walk_nodes("/"))
            assert len(nodes) > 2
            for node in nodes:
                if node.path in ("/x", "/g/y"):
                    dwa = loader.load_data(node)
                    assert dwa.size in (6, 3)
            loader.load_all("/")
        finally:
            loader.close_file()
        assert _md5(path) == digest, path


# -- node handles kept: no tree walk or attribute read per add_data -------------------------


def _count_calls(monkeypatch: pytest.MonkeyPatch, impl: Any) -> dict[str, int]:
    calls = {"children": 0, "get_attr": 0}
    for name in list(calls):
        original = getattr(impl, name)

        def counted(*args: Any, _name: str = name, _orig: Any = original, **kw: Any) -> Any:
            calls[_name] += 1
            return _orig(*args, **kw)

        monkeypatch.setattr(impl, name, counted)
    return calls


def test_savers_keep_node_handles(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    h5 = _saver(tmp_path / "h.h5", backend)
    scan = h5.add_scan_group()
    det = h5.add_det_group(h5.raw_group)
    det2 = h5.add_det_group(h5.raw_group)
    ext = DataToExportExtendedSaver(h5, (4,))
    enl = DataToExportEnlargeableSaver(h5)
    timed = DataToExportTimedSaver(h5)
    low_ext = DataExtendedSaver(h5, (4,))
    low_enl = DataEnlargeableSaver(h5)
    other = h5.get_set_group(scan, "Low")
    log = h5.get_set_group(det, "Low")

    def one_round(k: int) -> None:
        dte = DataToExport("d", [_spectrum(k), DataRaw("p", data=[np.array([float(k)])])])
        ext.add_data(scan, dte, (k,))
        enl.add_data(det, dte, axis_values=[float(k)])
        timed.add_data(det2, dte)
        low_ext.add_data(other, _spectrum(k), (k,))
        low_enl.add_data(log, _spectrum(k), axis_values=[float(k)])

    one_round(0)
    calls = _count_calls(monkeypatch, h5.backend_impl)
    for k in range(1, 4):
        one_round(k)
    assert calls == {"children": 0, "get_attr": 0}
    monkeypatch.undo()
    h5.close_file()
    loader = DataLoader(tmp_path / "h.h5", backend=backend)
    try:
        dwa = loader.load_data("/RawData/Detector000/Data1D/CH00/EnlData00")
        assert dwa.shape == (4, 5)
        assert np.allclose(dwa.data[0][3], np.arange(5.0) + 3)
    finally:
        loader.close_file()


def test_counting_walks_are_visible(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counters of the test above do see a tree walk when one happens."""
    h5 = _saver(tmp_path / "w.h5", backend)
    det = h5.add_det_group(h5.raw_group)
    DataToExportSaver(h5).add_data(det, DataToExport("d", [_spectrum()]))
    calls = _count_calls(monkeypatch, h5.backend_impl)
    DataLoader(h5).load_data("/RawData/Detector000/Data1D/CH00/Data00")
    assert calls["children"] > 0 and calls["get_attr"] > 0
    monkeypatch.undo()
    h5.close_file()
