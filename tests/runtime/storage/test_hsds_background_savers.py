"""Savers handing their flushes to the h5pyd backend's background writer (issue 17), on the
real loopback HSDS server: a scan and a logger written with ``background_flush`` read back
equal to a local h5py file written with the same calls (reads through the API in the
middle of the acquisition included), a refused row already handed to the worker is cut off
again, a domain deleted under the writer surfaces as ``BackendError`` at the next point and
at close, and close waits for every queued block."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pytest

from h5layout.runtime.errors import BackendError, LayoutError
from h5layout.runtime.model.data import Axis, DataRaw, DataToExport
from h5layout.runtime.save.dte import (
    DataToExportEnlargeableSaver,
    DataToExportExtendedSaver,
)
from h5layout.runtime.storage.backends import get_backend
from h5layout.runtime.storage.growing import GrowingArray
from h5layout.runtime.storage.h5backend import H5Backend
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

from ...conftest import file_snapshot
from ...hsds_server import HsdsServer

h5pyd = pytest.importorskip("h5pyd")

pytestmark = pytest.mark.usefixtures("h5pyd_server")

SHAPE = (3, 6)
SIGNAL = 8


@pytest.fixture
def small_queue() -> Iterator[None]:
    """A queue of 3 items: the savers wait for the worker (backpressure) in these tests."""
    backend = get_backend("h5pyd")
    saved = backend.background_max_pending  # type: ignore[attr-defined]
    backend.background_max_pending = 3  # type: ignore[attr-defined]
    yield
    backend.background_max_pending = saved  # type: ignore[attr-defined]


def _point(k: int) -> DataToExport:
    axis = Axis("wavelength", "nm", np.linspace(0.0, 1.0, SIGNAL), index=0)
    return DataToExport(
        "det",
        [
            DataRaw(
                "counter", data=[np.array([float(k)]), np.array([-float(k)])], timestamp=float(k)
            ),
            DataRaw(
                "spectrum", data=[np.arange(SIGNAL) + 10.0 * k], axes=[axis], timestamp=float(k)
            ),
        ],
    )


def _row(k: int) -> DataToExport:
    return DataToExport(
        "log",
        [
            DataRaw("spec", data=[np.arange(SIGNAL) * 0.5 + k], timestamp=float(k)),
            DataRaw("val", data=[np.array([float(k)])], timestamp=float(k)),
        ],
    )


def _acquire(target: str, backend: str, *, background: bool) -> dict[str, Any]:
    """A scan and a logger, flushing every 5 points, with reads through the API in the
    middle; returns what those reads saw."""
    saver = H5SaverLowLevel(save_type="scan", backend=backend)
    saver.background_flush = background
    saver.init_file(target, new_file=True)
    assert (saver.background_flusher is not None) is background
    saver.set_swmr_flush_interval(5)
    seen: dict[str, Any] = {}
    scan = saver.add_scan_group()
    det = saver.add_det_group(scan, "det")
    ext = DataToExportExtendedSaver(saver, SHAPE)
    ext.add_nav_axes(
        scan,
        [
            Axis("x", "mm", np.linspace(0.0, 1.0, SHAPE[0]), index=0),
            Axis("y", "mm", np.linspace(0.0, 1.0, SHAPE[1]), index=1),
        ],
    )
    logger = saver.add_det_group(saver.raw_group, "logger")
    enl = DataToExportEnlargeableSaver(saver, enl_axis_names=("t",), enl_axis_units=("s",))
    points = [(i, j) for i in range(SHAPE[0]) for j in range(SHAPE[1])]
    for k, index in enumerate(points):
        ext.add_data(det, _point(k), indexes=index)
        enl.add_data(logger, _row(k), axis_values=[float(k)])
        if k == 3:
            saver.add_log("a line in the middle")  # the logger array stays on the main handle
        if k == 8:  # reads through the API in the middle of the acquisition
            spectrum = saver.get_node(f"{det.path}/Data1D/CH00/Data00")
            seen["scan"] = np.array(spectrum.read())
            rows = saver.get_node(f"{logger.path}/Data1D/CH00/EnlData00")
            seen["logger_shape"] = (rows.shape, rows.attrs["shape"])
            seen["logger"] = np.array(rows.read())
    for k in range(len(points), 23):  # the logger goes on after the scan
        enl.add_data(logger, _row(k), axis_values=[float(k)])
    saver.add_log("done")
    bg = saver.background_flusher
    seen["peak_pending"] = bg.writer.peak_pending if bg is not None else 0
    saver.close_file()
    return seen


def _download(domain: str, target: Path) -> Path:
    reader = H5Backend("h5pyd")
    reader.open_file(domain, "r")
    try:
        reader.save_file_as(target)
    finally:
        reader.close_file()
    return target


def _comparable(path: Path) -> dict[str, tuple[Any, ...]]:
    """Every node, attributes and values; without the root's creation date and file name,
    and without chunks/maxshape (HSDS chooses its own chunks for fixed arrays)."""
    out = {}
    for name, node in file_snapshot(path).items():
        # the saver's ``backend`` attribute names the library, as it should
        attrs = {k: v for k, v in node[1].items() if k not in ("date", "time", "file", "backend")}
        node = (node[0], attrs, *node[2:])
        if node[0] == "array":
            node = node[:4] + node[6:]
        out[name] = node
    return out


def test_scan_and_logger_equal_local_h5py(
    hsds_domain: str, tmp_path: Path, small_queue: None
) -> None:
    local = _acquire(str(tmp_path / "local.h5"), "h5py", background=False)
    remote = _acquire(hsds_domain, "h5pyd", background=True)
    # the API's view in the middle of the acquisition is the local file's
    np.testing.assert_array_equal(remote["scan"], local["scan"])
    np.testing.assert_array_equal(remote["logger"], local["logger"])
    assert remote["logger_shape"] == local["logger_shape"] == ((9, SIGNAL), (9, SIGNAL))
    assert 1 <= remote["peak_pending"] <= 3  # the queue's bound held
    # close waited for every queued block: the domain holds the local file, node for node
    a = _comparable(tmp_path / "local.h5")
    b = _comparable(_download(hsds_domain, tmp_path / "down.h5"))
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name][1] == b[name][1], name
        assert a[name] == b[name], name


class _InterruptSecondAppend:
    """Raise KeyboardInterrupt (a Ctrl-C) on entering GrowingArray.append for the
    second array of a row: the first array holds the row already."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_code is GrowingArray.append.__code__:
            self.calls += 1
            if self.calls == 2:
                raise KeyboardInterrupt
        return None


def test_row_interrupted_between_arrays_never_reaches_the_server(
    hsds_server: HsdsServer, hsds_domain: str
) -> None:
    saver = H5SaverLowLevel(save_type="scan", backend="h5pyd")
    saver.set_background_flush(True)
    saver.init_file(hsds_domain, new_file=True)
    saver.set_swmr_flush_interval(2)  # with a worker even 2 rows are buffered
    logger = saver.add_det_group(saver.raw_group, "logger")
    enl = DataToExportEnlargeableSaver(saver, enl_axis_names=("t",), enl_axis_units=("s",))
    for k in range(3):
        enl.add_data(logger, _row(k), axis_values=[float(k)])
    trace = _InterruptSecondAppend()
    sys.settrace(trace)
    try:
        with pytest.raises(KeyboardInterrupt):
            enl.add_data(logger, _row(99), axis_values=[99.0])
    finally:
        sys.settrace(None)
    assert trace.calls == 2
    enl.add_data(logger, _row(3), axis_values=[3.0])
    saver.close_file()
    with h5pyd.File(hsds_domain, "r", **hsds_server.h5pyd_kwargs) as f:
        data = f["/RawData/Detector000/Data1D/CH00/EnlData00"]
        rows = np.arange(SIGNAL)[None, :] * 0.5 + np.arange(4.0)[:, None]
        np.testing.assert_array_equal(data[...], rows)
        axis = f["/RawData/Detector000/NavAxes/Axis00"]
        np.testing.assert_array_equal(axis[...], np.arange(4.0))
        assert '"(4, 8)"' in data.attrs["shape"] and '"4"' in axis.attrs["size"]


def test_rows_handed_over_then_refused_are_cut_off(
    hsds_server: HsdsServer, hsds_domain: str
) -> None:
    """Rows too big for a buffer go to the worker at once; a refused point's rows are then
    cut off by a truncation queued after them: neither the values nor ``shape`` keep them."""
    saver = H5SaverLowLevel(save_type="scan", backend="h5pyd")
    saver.set_background_flush(True)
    saver.init_file(hsds_domain, new_file=True)
    node = saver.create_earray("/", "v", np.float64, (3,))
    array = saver.register_growing(GrowingArray(saver.backend_impl, node.node))
    array.set_buffer_rows(0)  # as for rows beyond the buffer's bound: written at once
    rows = np.arange(24.0).reshape(8, 3)
    array.append(rows[:5])
    saver.flush()
    mark = saver.mark_rows()
    array.append(rows[5:7])  # a point, refused after its rows were handed over
    saver.rollback_rows(mark)
    array.append(rows[7:])
    assert node.shape == (6, 3) and node.attrs["shape"] == (6, 3)
    saver.close_file()
    with h5pyd.File(hsds_domain, "r", **hsds_server.h5pyd_kwargs) as f:
        np.testing.assert_array_equal(f["v"][...], np.concatenate([rows[:5], rows[7:]]))
        assert '"(6, 3)"' in f["v"].attrs["shape"]


def test_deleted_domain_surfaces_at_next_point_and_at_close(
    hsds_server: HsdsServer, hsds_domain: str, small_queue: None
) -> None:
    saver = H5SaverLowLevel(save_type="scan", backend="h5pyd")
    saver.set_background_flush(True)
    saver.init_file(hsds_domain, new_file=True)
    saver.set_swmr_flush_interval(5)
    logger = saver.add_det_group(saver.raw_group, "logger")
    enl = DataToExportEnlargeableSaver(saver, enl_axis_names=("t",), enl_axis_units=("s",))
    for k in range(5):
        enl.add_data(logger, _row(k), axis_values=[float(k)])
    saver.flush(wait=True)  # the first rows are on the server
    with h5pyd.File(hsds_domain, "r", **hsds_server.h5pyd_kwargs) as f:
        assert f["/RawData/Detector000/NavAxes/Axis00"].shape == (5,)
    folder, name = hsds_domain.rsplit("/", 1)
    with h5pyd.Folder(folder + "/", mode="a", **hsds_server.h5pyd_kwargs) as parent:
        del parent[name]
    # raised at one of the next points: the small queue makes them wait for the worker
    with pytest.raises(LayoutError) as raised:
        for k in range(5, 2000):
            enl.add_data(logger, _row(k), axis_values=[float(k)])
    assert isinstance(raised.value, BackendError)
    assert "in the background failed" in str(raised.value)
    with pytest.raises(BackendError, match="in the background failed"):
        saver.close_file()
    assert not saver.isopen()


def test_switched_on_and_off_during_a_session(hsds_server: HsdsServer, hsds_domain: str) -> None:
    """Rows before, during and after the background writer land in order, and the main
    handle's view is the server's again once it is switched off."""
    saver = H5SaverLowLevel(save_type="scan", backend="h5pyd")
    saver.init_file(hsds_domain, new_file=True)
    saver.set_swmr_flush_interval(4)
    logger = saver.add_det_group(saver.raw_group, "logger")
    enl = DataToExportEnlargeableSaver(saver, enl_axis_names=("t",), enl_axis_units=("s",))
    k = 0
    for state in (None, True, False):
        if state is not None:
            saver.set_background_flush(state)
        assert (saver.background_flusher is not None) is bool(state)
        for _ in range(6):
            enl.add_data(logger, _row(k), axis_values=[float(k)])
            k += 1
    axis = saver.get_node("/RawData/Detector000/NavAxes/Axis00")
    np.testing.assert_array_equal(axis.read(), np.arange(18.0))
    saver.close_file()
    with h5pyd.File(hsds_domain, "r", **hsds_server.h5pyd_kwargs) as f:
        np.testing.assert_array_equal(
            f["/RawData/Detector000/NavAxes/Axis00"][...], np.arange(18.0)
        )
        assert '"18"' in f["/RawData/Detector000/NavAxes/Axis00"].attrs["size"]


def test_read_through_the_api_with_a_resize_pending(hsds_domain: str) -> None:
    """Without background writer too: reading an array whose rows (and resize) are still
    in h5pyd's client sends them first (h5pyd alone asks the server for rows it does not
    have yet and fails)."""
    saver = H5SaverLowLevel(save_type="scan", backend="h5pyd")
    saver.init_file(hsds_domain, new_file=True)
    saver.set_swmr_flush_interval(4)
    logger = saver.add_det_group(saver.raw_group, "logger")
    enl = DataToExportEnlargeableSaver(saver, enl_axis_names=("t",), enl_axis_units=("s",))
    for k in range(6):  # a flush after 4 rows, 2 rows pending
        enl.add_data(logger, _row(k), axis_values=[float(k)])
    axis = saver.get_node("/RawData/Detector000/NavAxes/Axis00")
    np.testing.assert_array_equal(axis.read(), np.arange(6.0))
    saver.close_file()


def test_reader_reads_an_array_another_writer_grew(
    hsds_server: HsdsServer, hsds_domain: str
) -> None:
    """A reader's handle knows the shape it opened with; the writer grows the array (as a
    background writer does at any time): a read of the whole array gets the server's."""
    with h5pyd.File(hsds_domain, "w", **hsds_server.h5pyd_kwargs) as f:
        f.create_dataset("v", data=np.arange(5.0), maxshape=(None,), chunks=(64,))
    reader = H5Backend("h5pyd")
    reader.open_file(hsds_domain, "r")
    try:
        node = reader.get_node("/v")
        assert node.shape == (5,)
        with h5pyd.File(hsds_domain, "a", **hsds_server.h5pyd_kwargs) as f:
            f["v"].resize(9, axis=0)
            f["v"][5:9] = np.arange(5.0, 9.0)
        np.testing.assert_array_equal(node.read(), np.arange(9.0))
        np.testing.assert_array_equal(node[:5], np.arange(5.0))
    finally:
        reader.close_file()
