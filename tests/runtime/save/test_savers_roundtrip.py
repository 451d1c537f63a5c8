"""Property-based round trips: every saver, both backends, random data, loaded back equal."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import Axis, DataRaw, DataToExport, DataWithAxes
from h5layout.runtime.model.enums import DataDistribution
from h5layout.runtime.save.data import BkgSaver, DataSaverLoader, ErrorSaverLoader
from h5layout.runtime.save.dte import (
    DataToExportEnlargeableSaver,
    DataToExportExtendedSaver,
    DataToExportSaver,
    DataToExportTimedSaver,
)
from h5layout.runtime.save.points import DataEnlargeableSaver, DataExtendedSaver
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

from ..conftest import BACKENDS, arrays, axis_for, dwas

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_counter = itertools.count()


def _new_file(folder: Path, backend: str) -> tuple[H5SaverLowLevel, Path]:
    path = folder / f"rt_{next(_counter)}.h5"
    h5 = H5SaverLowLevel(save_type="custom", backend=backend)
    h5.init_file(path, new_file=True)
    return h5, path


def _assert_same_axes(loaded: list[Axis], expected: list[Axis]) -> None:
    def key(ax: Axis) -> tuple[int, int]:
        return (ax.index, ax.spread_order)

    a, b = sorted(loaded, key=key), sorted(expected, key=key)
    assert [(x.label, x.units, x.index, x.spread_order) for x in a] == [
        (x.label, x.units, x.index, x.spread_order) for x in b
    ]
    for x, y in zip(a, b, strict=True):
        assert np.allclose(x.get_data(), y.get_data())


# -- DataSaverLoader, BkgSaver, ErrorSaverLoader, DataToExportSaver -------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(dwa=dwas(), bkg_seed=st.integers(0, 100))
def test_data_saver_round_trip(
    tmp_path: Path, backend: str, dwa: DataWithAxes, bkg_seed: int
) -> None:
    h5, path = _new_file(tmp_path, backend)
    group = h5.get_set_group(h5.raw_group, "G")
    DataSaverLoader(h5).add_data(group, dwa)
    bkg = [np.full(dwa.shape, bkg_seed + i, dtype=a.dtype) for i, a in enumerate(dwa.data)]
    bkg_dwa = DataRaw(dwa.name, data=bkg, nav_indexes=dwa.nav_indexes, timestamp=dwa.timestamp)
    BkgSaver(h5).add_data(group, bkg_dwa, save_axes=False)
    h5.close_file()
    with DataLoader(path, backend=backend) as loader:
        loaded = loader.load_data("/RawData/G/Data00", load_all=True)
        assert loaded == dwa
        assert loaded.timestamp == dwa.timestamp and loaded.origin == "orig"
        assert loaded.extra_attributes == dwa.extra_attributes
        for name in dwa.extra_attributes:
            assert getattr(loaded, name) == getattr(dwa, name)
        assert all(a.dtype == b.dtype for a, b in zip(loaded.data, dwa.data, strict=True))
        with_bkg = loader.load_data("/RawData/G/Data00", with_bkg=True, load_all=True)
        for got, data, sub in zip(with_bkg.data, dwa.data, bkg, strict=True):
            assert np.array_equal(got, data - sub)
        last = f"/RawData/G/Data{dwa.length - 1:02d}"
        single = loader.load_data(last, with_bkg=True)
        assert np.array_equal(single.data[0], dwa.data[-1] - bkg[-1])


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(items=st.lists(dwas(with_errors=False), min_size=1, max_size=4), errors=st.booleans())
def test_dte_saver_round_trip(
    tmp_path: Path, backend: str, items: list[DataWithAxes], errors: bool
) -> None:
    h5, path = _new_file(tmp_path, backend)
    det = h5.add_det_group(h5.raw_group)
    items = [d.with_origin(f"o{i}") for i, d in enumerate(items)]  # all distinct
    dte = DataToExport("dte", items)
    saver = DataToExportSaver(h5)
    saver.add_data(det, dte, settings_as_xml="<s/>")
    if errors:  # matched to the data by dimension and position, as backgrounds are
        bars = [
            DataRaw(d.name, data=[np.full(d.shape, i + 0.5)] * d.length,
                    nav_indexes=d.nav_indexes, origin=d.origin)
            for i, d in enumerate(items)
        ]  # fmt: skip
        saver.add_error(det, DataToExport("dte", bars))
    h5.close_file()
    positions: dict[str, int] = {}
    with DataLoader(path, backend=backend) as loader:
        for i, dwa in enumerate(items):
            pos = positions.get(dwa.dim.name, 0)
            positions[dwa.dim.name] = pos + 1
            dim = dwa.dim.name[4:]
            where = f"/RawData/Detector000/Data{dim}/{saver.channel_formatter(pos)}"
            loaded = loader.load_data(f"{where}/Data00", load_all=True)
            assert loaded.settings == "<s/>"
            if errors:
                assert loaded.errors is not None
                assert all(np.all(e == i + 0.5) for e in loaded.errors)
                loaded.errors = None
            else:
                assert loaded.errors is None
            assert loaded == dwa
            assert loader.get_node(where).title == dwa.name
        assert len(loader.load_all("/RawData")) == len(items)


@pytest.mark.parametrize("backend", BACKENDS)
def test_error_saver_round_trip(tmp_path: Path, backend: str) -> None:
    h5, path = _new_file(tmp_path, backend)
    group = h5.get_set_group(h5.raw_group, "G")
    dwa = DataRaw("d", data=[np.arange(4.0), np.arange(4.0) + 1])
    DataSaverLoader(h5).add_data(group, dwa)
    ErrorSaverLoader(h5).add_data(group, DataRaw("d", data=[np.ones(4), np.full(4, 2.0)]))
    h5.close_file()
    with DataLoader(path, backend=backend) as loader:
        loaded = loader.load_data("/RawData/G/Data01")
        assert loaded.errors is not None and np.all(loaded.errors[0] == 2.0)


# -- extended (scan) savers ---------------------------------------------------------------------


@st.composite
def scans(draw: st.DrawFn) -> dict[str, Any]:
    spread = draw(st.booleans())
    if spread:
        ext: tuple[int, ...] = (draw(st.integers(1, 6)),)
    else:
        ext = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    points = list(itertools.product(*(range(n) for n in ext)))
    written = draw(st.lists(st.sampled_from(points), min_size=1, unique=True))
    template = draw(dwas(dims=("0D", "1D", "2D")))
    frames = [
        DataRaw(template.name, data=[draw(arrays(template.shape, a.dtype.name))
                                     for a in template.data],
                labels=template.labels, units=template.units, axes=template.axes,
                timestamp=template.timestamp,
                errors=None if template.errors is None else
                [np.full(template.shape, float(k)) for _ in template.data])
        for k in range(len(written))
    ]  # fmt: skip
    if spread:
        nav = [draw(axis_for(0, ext[0], spread_order=0)), draw(axis_for(0, ext[0], spread_order=1))]
    else:
        nav = [draw(axis_for(i, n)) for i, n in enumerate(ext)]
    return {"ext": ext, "written": written, "frames": frames, "spread": spread, "nav": nav}


def _check_scan(loaded: DataWithAxes, scan: dict[str, Any], with_nav: bool) -> None:
    ext, frames = scan["ext"], scan["frames"]
    k = len(ext)
    first = frames[0]
    signal = () if first.shape == (1,) else first.shape
    assert loaded.nav_indexes == tuple(range(k))
    assert loaded.units == first.units and loaded.labels == first.labels
    assert loaded.distribution == (
        DataDistribution.spread if scan["spread"] else DataDistribution.uniform
    )
    written = dict(zip(scan["written"], frames, strict=True))
    for c in range(first.length):
        array = loaded.data[c]
        assert array.shape == ext + signal and array.dtype == first.data[c].dtype
        for index in itertools.product(*(range(n) for n in ext)):
            frame = written.get(index)
            if frame is not None:
                assert np.array_equal(array[index], frame.data[c].reshape(signal))
                if frame.errors is not None:
                    assert loaded.errors is not None
                    assert np.array_equal(loaded.errors[c][index], frame.errors[c].reshape(signal))
            elif array.dtype.kind == "f":
                assert np.isnan(array[index]).all()
            else:
                assert (array[index] == 0).all()
    expected = [Axis(a.label, a.units, a.get_data(), a.index + k, spread_order=a.spread_order)
                for a in first.axes]  # fmt: skip
    if with_nav:
        expected += scan["nav"]
    sig_axes = [a for a in loaded.axes if a.index >= k or with_nav]
    _assert_same_axes(sig_axes, expected)


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(scan=scans())
def test_dte_extended_saver_round_trip(tmp_path: Path, backend: str, scan: dict[str, Any]) -> None:
    h5, path = _new_file(tmp_path, backend)
    group = h5.add_scan_group()
    saver = DataToExportExtendedSaver(h5, scan["ext"])
    saver.add_nav_axes(group, scan["nav"])
    distribution = "spread" if scan["spread"] else DataDistribution.uniform
    for index, frame in zip(scan["written"], scan["frames"], strict=True):
        saver.add_data(group, DataToExport("d", [frame]), index, distribution=distribution)
    h5.close_file()
    dim = scan["frames"][0].dim.name[4:]
    with DataLoader(path, backend=backend) as loader:
        loaded = loader.load_data(f"/RawData/Scan000/Data{dim}/CH00/Data00", load_all=True)
        _check_scan(loaded, scan, with_nav=True)


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(scan=scans())
def test_extended_saver_round_trip(tmp_path: Path, backend: str, scan: dict[str, Any]) -> None:
    h5, path = _new_file(tmp_path, backend)
    group = h5.get_set_group(h5.raw_group, "Scan")
    saver = DataExtendedSaver(h5, scan["ext"])
    distribution = DataDistribution.spread if scan["spread"] else "uniform"
    for index, frame in zip(scan["written"], scan["frames"], strict=True):
        saver.add_data(group, frame, np.asarray(index), distribution=distribution)
    h5.close_file()
    with DataLoader(path, backend=backend) as loader:
        loaded = loader.load_data("/RawData/Scan/Data00", load_all=True)
        _check_scan(loaded, scan, with_nav=False)


# -- enlargeable and timed savers ---------------------------------------------------------------


@st.composite
def logs(draw: st.DrawFn) -> dict[str, Any]:
    template = draw(dwas(dims=("0D", "1D", "2D"), with_errors=False, name="log"))
    n = draw(st.integers(1, 8))
    frames = [
        DataRaw("log", data=[draw(arrays(template.shape, a.dtype.name)) for a in template.data],
                labels=template.labels, units=template.units, axes=template.axes,
                timestamp=1e9 + 0.5 * k)
        for k in range(n)
    ]  # fmt: skip
    values = draw(st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n))
    return {"frames": frames, "values": values}


def _check_log(loaded: DataWithAxes, frames: list[DataWithAxes]) -> None:
    first = frames[0]
    assert loaded.nav_indexes[0] == 0 and loaded.units == first.units
    for c in range(first.length):
        stacked = np.stack([f.data[c] for f in frames])
        got = loaded.data[c]
        assert got.dtype == stacked.dtype
        assert np.array_equal(got.reshape(stacked.shape), stacked)


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(log=logs())
def test_enlargeable_savers_round_trip(tmp_path: Path, backend: str, log: dict[str, Any]) -> None:
    h5, path = _new_file(tmp_path, backend)
    det = h5.add_det_group(h5.raw_group)
    det2 = h5.add_det_group(h5.raw_group)
    low = h5.get_set_group(h5.raw_group, "Low")
    enl = DataToExportEnlargeableSaver(h5, enl_axis_names=("pos",), enl_axis_units=("mm",))
    timed = DataToExportTimedSaver(h5)
    alone = DataEnlargeableSaver(h5, enl_axis_names=("z",), enl_axis_units=("um",))
    for frame, value in zip(log["frames"], log["values"], strict=True):
        dte = DataToExport("d", [frame], timestamp=frame.timestamp)
        enl.add_data(det, dte, axis_values=[value])
        timed.add_data(det2, dte)
        alone.add_data(low, frame, axis_values=[value])
    h5.close_file()
    frames, n = log["frames"], len(log["frames"])
    dim = frames[0].dim.name[4:]
    with DataLoader(path, backend=backend) as loader:
        for where, label, values in [
            (f"/RawData/Detector000/Data{dim}/CH00/EnlData00", "pos", log["values"]),
            (f"/RawData/Detector001/Data{dim}/CH00/EnlData00", "time", [f.timestamp
                                                                        for f in frames]),
            ("/RawData/Low/EnlData00", "z", log["values"]),
        ]:  # fmt: skip
            loaded = loader.load_data(where, load_all=True)
            _check_log(loaded, frames)
            nav = [a for a in loaded.axes if a.index == 0]
            assert [a.label for a in nav] == [label]
            assert np.allclose(nav[0].get_data(), values)
            sig = [a for a in loaded.axes if a.index > 0]
            expected = [Axis(a.label, a.units, a.get_data(), a.index + 1) for a in frames[0].axes]
            _assert_same_axes(sig, expected)
            node = loader.get_node(where)
            assert tuple(node.attrs["shape"]) == (n, *frames[0].shape)  # bookkeeping synced


# -- the rest of the documented API, on both backends --------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_saver_and_loader_api(tmp_path: Path, backend: str) -> None:
    from h5layout.runtime.errors import AxisError
    from h5layout.runtime.save.data import AxisSaverLoader

    path = tmp_path / "api.h5"
    dwa = DataRaw(
        "spec", data=[np.arange(4.0), np.arange(4.0) * 2], units="V", timestamp=5.0,
        axes=[Axis("wl", "nm", data=np.array([1.0, 2.0, 4.0, 8.0]), index=0)],
    )  # fmt: skip
    with DataToExportSaver(path, save_type="detector", new_file=True) as saver:
        assert saver.isopen() and saver.h5saver.backend == "h5py"
    h5 = H5SaverLowLevel(backend=backend)
    h5.init_file(path, new_file=True)
    group = h5.get_set_group(h5.raw_group, "G")
    data_saver = DataSaverLoader(h5)
    nodes = data_saver.add_data(group, dwa)
    assert [n.name for n in nodes] == ["Data00", "Data01"] and data_saver.isopen()
    BkgSaver(h5).add_data(group, DataRaw("spec", data=[np.ones(4), np.ones(4)]), save_axes=False)
    axis_saver = AxisSaverLoader(h5)
    assert axis_saver.get_axes(group) == dwa.axes
    assert axis_saver.load_axis("/RawData/G/Axis00") == dwa.axes[0]
    with pytest.raises(AxisError):
        axis_saver.load_axis("/RawData/G/Data00")
    assert data_saver.get_axes(group) == dwa.axes
    assert [n.name for n in data_saver.get_bkg_nodes(group)] == ["Bkg00", "Bkg01"]
    arrays = data_saver.get_data_arrays("/RawData/G/Data00", with_bkg=True, load_all=True)
    assert [a.tolist() for a in arrays] == [[-1.0, 0.0, 1.0, 2.0], [-1.0, 1.0, 3.0, 5.0]]
    assert data_saver.load_data("/RawData/G/Data00", load_all=True) == dwa
    assert data_saver.get_last_node_name(group) == "Data01"
    assert data_saver.get_node_from_index(group, 1).name == "Data01"
    assert data_saver.get_index_from_node_name("Data07") == 7
    h5.close_file()
    with DataLoader(path, backend=backend) as loader:
        assert loader.raw_group.path == "/RawData"
        assert loader.get_nav_group("/RawData/G/Data00") is None
        assert {n.name for n in loader.walk_nodes("/RawData/G")} >= {"G", "Data00", "Axis00"}
        as_data = loader.load_data("/RawData/G/Axis00")  # an axis node loads as data
        assert np.array_equal(as_data.data[0], [1.0, 2.0, 4.0, 8.0])
        assert loader.load_data_from_name_origin("spec").path == "/RawData/G/Bkg00"
        with pytest.raises(NameError):
            loader.load_data_from_name_origin("nothing")
    assert not loader.h5saver.isopen()
