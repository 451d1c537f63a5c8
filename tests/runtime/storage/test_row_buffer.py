"""Rows combined between flushes: one block per array and flush, the same promises.

Enlargeable savers buffer the rows of a flush interval and write each array once per
flush. What must hold as if every row had been written at once: the file holds every row
at each flush and close; reads through the API see every row appended; a writer killed
(SIGKILL) loses nothing before its last flush; SWMR readers see complete rows only, in
order; a point interrupted half-way is wholly refused; memory stays bounded by the
flush interval.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import tables

from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import DataRaw, DataToExport
from h5layout.runtime.save.dte import DataToExportEnlargeableSaver, DataToExportTimedSaver
from h5layout.runtime.storage import growing
from h5layout.runtime.storage.growing import GrowingArray
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel
from h5layout.runtime.storage.swmr import open_h5_file_for_reading, refresh_datasets

SIGNAL = 64
BASE = "/RawData/Detector000"
PATHS = {
    "c0": f"{BASE}/Data0D/CH00/EnlData00",
    "c1": f"{BASE}/Data0D/CH00/EnlData01",
    "s": f"{BASE}/Data1D/CH00/EnlData00",
    "t": f"{BASE}/NavAxes/Axis00",
}


def _dte(k: int) -> DataToExport:
    return DataToExport(
        "d",
        [
            DataRaw("c", data=[np.array([float(k)]), np.array([-float(k)])]),
            DataRaw("s", data=[np.full(SIGNAL, float(k))]),
        ],
        timestamp=float(k),
    )


def _check_rows(arrays: dict[str, np.ndarray], at_least: int = 0) -> int:
    """Every array holds rows 0..n-1 exactly (complete, in order); returns the fewest rows."""
    counts = []
    for name, values in arrays.items():
        rows = np.asarray(values).reshape(len(values), -1)
        k = np.arange(len(rows), dtype=np.float64)[:, None]
        expected = -k if name == "c1" else k
        assert np.array_equal(rows, np.broadcast_to(expected, rows.shape)), (
            f"{name}: rows torn, missing or out of order"
        )
        counts.append(len(rows))
    assert min(counts) >= at_least, f"rows lost: {counts} < {at_least}"
    return min(counts)


def _read_all(path: Path, backend: str) -> dict[str, np.ndarray]:
    if backend == "tables":
        with tables.open_file(str(path), "r") as f:
            return {name: f.get_node(p).read() for name, p in PATHS.items()}
    f, _ = open_h5_file_for_reading(path)
    try:
        return {name: f[p][...] for name, p in PATHS.items()}
    finally:
        f.close()


class _Counting:
    """The backend's own methods, counted (the calls still reach the library)."""

    def __init__(self, h5: H5SaverLowLevel, names: tuple[str, ...]) -> None:
        self.calls: dict[str, int] = dict.fromkeys(names, 0)
        impl = h5.backend_impl
        for name in names:
            real = getattr(impl, name)

            def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
                self.calls[_name] += 1
                return _real(*args)

            setattr(impl, name, counted)
        self._impl, self._names = impl, names

    def restore(self) -> None:
        for name in self._names:
            delattr(self._impl, name)


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_one_block_per_array_and_flush(tmp_path: Path, backend: str) -> None:
    h5 = H5SaverLowLevel(save_type="logger", backend=backend)
    h5.init_file(tmp_path / "b.h5", new_file=True)
    h5.set_swmr_flush_interval(50)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportTimedSaver(h5)
    saver.add_data(det, _dte(0))
    h5.flush()  # the arrays exist and row 0 is written: count from here
    counter = _Counting(h5, ("write", "append", "resize"))
    try:
        for k in range(1, 251):  # 250 rows: 5 flushes
            saver.add_data(det, _dte(k))
        calls = dict(counter.calls)
    finally:
        counter.restore()
    h5.close_file()
    flushes, arrays = 5, 4
    if backend == "h5py":  # one resize + one write per array and flush
        assert calls == {"write": flushes * arrays, "append": 0, "resize": flushes * arrays}
    else:  # one append per array and flush
        assert calls == {"write": 0, "append": flushes * arrays, "resize": 0}
    _check_rows(_read_all(tmp_path / "b.h5", backend), at_least=251)


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_file_holds_every_row_at_each_flush_and_reads_see_pending_rows(
    tmp_path: Path, backend: str
) -> None:
    path = tmp_path / "f.h5"
    h5 = H5SaverLowLevel(save_type="logger", backend=backend)
    h5.init_file(path, new_file=True)
    h5.set_swmr_flush_interval(20)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportEnlargeableSaver(h5, axis_name="t")
    impl = h5.backend_impl
    for k in range(47):
        saver.add_data(det, _dte(k), axis_value=float(k))
        on_disk = impl.shape(impl.get(h5.h5file, PATHS["s"]))[0]
        # the library holds the rows up to the last flush, never fewer
        assert on_disk >= (k + 1) // 20 * 20
    assert impl.shape(impl.get(h5.h5file, PATHS["s"]))[0] == 40  # 7 rows still buffered
    # through the API: every row appended, attributes and values alike
    node = h5.get_node(PATHS["s"])
    assert node.attrs["shape"] == (47, SIGNAL) and node.shape == (47, SIGNAL)
    assert h5.get_node(PATHS["t"]).attrs["size"] == 47
    dwa = DataLoader(h5).load_data(PATHS["s"])
    assert dwa.shape == (47, SIGNAL)
    _check_rows({name: h5.get_node(p).read() for name, p in PATHS.items()}, at_least=47)
    # the read wrote the pending rows of that node; the buffers go on from there
    for k in range(47, 60):
        saver.add_data(det, _dte(k), axis_value=float(k))
    h5.flush()
    assert impl.shape(impl.get(h5.h5file, PATHS["c0"]))[0] == 60
    h5.close_file()
    _check_rows(_read_all(path, backend), at_least=60)


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_row_interrupted_half_way_is_wholly_refused(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.h5"
    h5 = H5SaverLowLevel(save_type="logger", backend=backend)
    h5.init_file(path, new_file=True)
    h5.set_swmr_flush_interval(8)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportTimedSaver(h5)
    for k in range(13):
        saver.add_data(det, _dte(k))
    # the 1D channel's array is interrupted (as by Ctrl-C) after the 0D arrays got the row
    spectrum = next(a for a in h5._growing if a.row_shape == (SIGNAL,))
    real_append = GrowingArray.append

    def interrupted(self: GrowingArray, rows: np.ndarray, swmr: bool = False) -> None:
        if self is spectrum:
            raise KeyboardInterrupt
        real_append(self, rows, swmr)

    monkeypatch.setattr(GrowingArray, "append", interrupted)
    with pytest.raises(KeyboardInterrupt):
        saver.add_data(det, _dte(13))
    monkeypatch.setattr(GrowingArray, "append", real_append)
    assert {a.rows for a in h5._growing} == {13}  # no array kept a piece of row 13
    for k in range(13, 30):  # the loop goes on: row 13 again, then more
        saver.add_data(det, _dte(k))
    h5.close_file()
    assert _check_rows(_read_all(path, backend)) == 30


def test_rollback_after_the_rows_reached_the_library(tmp_path: Path) -> None:
    h5 = H5SaverLowLevel(save_type="logger", backend="h5py")
    h5.init_file(tmp_path / "r.h5", new_file=True)
    h5.set_swmr_flush_interval(4)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportTimedSaver(h5)
    saver.add_data(det, _dte(0))
    array = h5._growing[0]
    array.append(np.zeros((6, *array.row_shape)))  # more than a buffer: written at once
    assert array.written == 7 and array.pending == 0
    array.rollback(1)
    assert array.rows == array.written == 1
    assert h5.backend_impl.shape(array.raw)[0] == 1
    h5.close_file()


def test_memory_is_bounded_by_the_flush_interval(tmp_path: Path) -> None:
    import tracemalloc

    h5 = H5SaverLowLevel(save_type="logger", backend="h5py")
    h5.init_file(tmp_path / "m.h5", new_file=True)
    h5.set_swmr_flush_interval(100)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportTimedSaver(h5)
    dtes = [_dte(k) for k in range(2000)]
    saver.add_data(det, dtes[0])
    buffered = sum(a._buf.nbytes for a in h5._growing if a._buf is not None)
    # one interval of rows per array, allocated once: 100 x (8 + 8 + 64 x 8 + 8) bytes
    assert buffered == 100 * (8 + 8 + SIGNAL * 8 + 8)
    tracemalloc.start()
    try:
        for dte in dtes[1:1000]:
            saver.add_data(det, dte)
        first = tracemalloc.get_traced_memory()[0]
        for dte in dtes[1000:]:
            saver.add_data(det, dte)
        last = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert sum(a._buf.nbytes for a in h5._growing if a._buf is not None) == buffered
    assert last - first < 64 * 1024  # nothing accumulates with the rows
    h5.close_file()


def test_big_rows_and_no_flush_policy_are_bounded(tmp_path: Path) -> None:
    h5 = H5SaverLowLevel(save_type="logger", backend="h5py")
    h5.init_file(tmp_path / "big.h5", new_file=True)
    h5.set_swmr_flush_interval(0)  # only at close: at most BLOCK_ROWS rows buffered
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportEnlargeableSaver(h5)
    frame = DataRaw("frame", data=[np.ones((512, 512))])  # 2 MiB rows: written at once
    small = DataRaw("c", data=[np.array([1.0])])
    for _ in range(3):
        saver.add_data(det, DataToExport("d", [frame, small]))
    arrays = {a.row_shape: a for a in h5._growing}
    assert arrays[(512, 512)].buffer_rows == 0 and arrays[(512, 512)].written == 3
    assert arrays[(1,)].buffer_rows == growing.BLOCK_ROWS and arrays[(1,)].pending == 3
    h5.close_file()
    with h5py.File(tmp_path / "big.h5", "r") as f:
        assert f[f"{BASE}/Data2D/CH00/EnlData00"].shape == (3, 512, 512)
        assert f[f"{BASE}/Data0D/CH00/EnlData00"].shape == (3, 1)


# -- killed writers -------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from h5layout.runtime.model.data import DataRaw, DataToExport
    from h5layout.runtime.save.dte import DataToExportTimedSaver
    from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

    path, backend, swmr, every, size = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(
        sys.argv[4]), int(sys.argv[5])
    h5 = H5SaverLowLevel(save_type="logger", backend=backend)
    h5.init_file(path, new_file=True, swmr_mode=swmr)
    h5.set_swmr_flush_interval(every)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportTimedSaver(h5)
    deadline = time.monotonic() + 60  # stops by itself if never killed
    k = 0
    while time.monotonic() < deadline:
        dte = DataToExport("d", [
            DataRaw("c", data=[np.array([float(k)]), np.array([-float(k)])]),
            DataRaw("s", data=[np.full(size, float(k))]),
        ], timestamp=float(k))
        saver.add_data(det, dte)
        k += 1
        if k == 1 and swmr:
            h5.enable_swmr()
        if k % every == 0:
            print(k, flush=True)  # every row up to k has been flushed
        time.sleep(0.0002)
    """
)


def _start(path: Path, backend: str, swmr: bool, every: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), backend, "1" if swmr else "0", str(every),
         str(SIGNAL)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _kill_after(proc: subprocess.Popen[str], flushes: int) -> int:
    """Rows flushed when the writer was killed (it was between two flushes, or in one)."""
    assert proc.stdout is not None
    last = 0
    for _ in range(flushes):
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "writer died"
        last = int(line)
    proc.kill()  # SIGKILL in the middle of the next interval
    proc.wait(timeout=30)
    return last


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_killed_writer_loses_nothing_before_its_last_flush(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "killed.h5"
    proc = _start(path, backend, swmr=False, every=25)
    try:
        flushed = _kill_after(proc, 4)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    _check_rows(_read_all(path, backend), at_least=flushed)


def test_swmr_reader_sees_complete_rows_in_order_then_writer_killed(tmp_path: Path) -> None:
    path = tmp_path / "swmr.h5"
    proc = _start(path, "h5py", swmr=True, every=25)
    try:
        assert proc.stdout is not None
        flushed = int(proc.stdout.readline() or 0)
        assert flushed == 25, proc.stderr.read() if proc.stderr else ""
        f, is_swmr = open_h5_file_for_reading(path)
        assert is_swmr
        try:
            seen = [0]
            deadline = time.monotonic() + 60
            while len(set(seen)) < 5 and time.monotonic() < deadline:
                refresh_datasets(f)
                rows = _check_rows({name: f[p][...] for name, p in PATHS.items()})
                assert rows >= seen[-1], "rows seen never go back"
                seen.append(rows)
                time.sleep(0.003)
            assert len(set(seen)) >= 5  # the reader really followed several flushes
            # whole flushes only: the rows a reader sees are those of a flush
            assert all(n % 25 == 0 for n in seen)
            flushed = _kill_after(proc, 2)
            refresh_datasets(f)
            _check_rows({name: f[p][...] for name, p in PATHS.items()}, at_least=flushed)
        finally:
            f.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    _check_rows(_read_all(path, "h5py"), at_least=flushed)


# -- scan points combined along the last scan dimension ----------------------------------


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_scan_points_go_out_as_one_block_per_line(tmp_path: Path, backend: str) -> None:
    from h5layout.runtime.save.dte import DataToExportExtendedSaver

    path = tmp_path / "scan.h5"
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    h5.set_swmr_flush_interval(100)
    scan = h5.add_scan_group()
    det = h5.add_det_group(scan)
    saver = DataToExportExtendedSaver(h5, (4, 10))

    def point(i: int, j: int, value: float) -> None:
        dte = DataToExport("p", [DataRaw("s", data=[np.full(SIGNAL, value)]),
                                 DataRaw("c", data=[np.array([value])])])  # fmt: skip
        saver.add_data(det, dte, (i, j))

    point(0, 0, 0.0)
    counter = _Counting(h5, ("write",))
    try:
        for j in range(1, 10):  # the rest of line 0, then line 1: one block per array
            point(0, j, float(j))
        for j in range(10):
            point(1, j, 10.0 + j)
        calls = counter.calls["write"]
    finally:
        counter.restore()
    assert calls == 2  # line 0 (two arrays) written when line 1 began; line 1 still held
    data = f"{scan.path}/Detector000/Data1D/CH00/Data00"
    # a read through the API sees every point, held ones included
    read = h5.get_node(data).read()
    assert np.array_equal(read[1, :, 0], 10.0 + np.arange(10))
    # out of order, a point written again, a snake line: still every value where it belongs
    point(2, 9, 29.0)
    point(2, 8, 28.0)
    point(0, 3, -3.0)
    point(0, 3, 3.0)
    h5.close_file()
    if backend == "h5py":
        with h5py.File(path, "r") as f:
            values = f[data][:, :, 0]
    else:
        with tables.open_file(str(path), "r") as f:
            values = f.get_node(data).read()[:, :, 0]
    assert np.array_equal(values[:2], np.arange(20.0).reshape(2, 10))
    assert values[2, 9] == 29.0 and values[2, 8] == 28.0
    assert np.isnan(values[2, :8]).all() and np.isnan(values[3]).all()  # never written


def test_flush_interval_changed_mid_way(tmp_path: Path) -> None:
    path = tmp_path / "i.h5"
    h5 = H5SaverLowLevel(save_type="logger", backend="h5py")
    h5.init_file(path, new_file=True)
    h5.set_swmr_flush_interval(10)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportTimedSaver(h5)
    for k in range(15):
        saver.add_data(det, _dte(k))
    spectrum = next(a for a in h5._growing if a.row_shape == (SIGNAL,))
    assert spectrum.pending == 5 and spectrum.buffer_rows == 10
    h5.set_swmr_flush_interval(40)  # buffered rows written first, then 40-row buffers
    assert spectrum.pending == 0 and spectrum.written == 15 and spectrum.buffer_rows == 40
    for k in range(15, 70):
        saver.add_data(det, _dte(k))
    assert spectrum.written == 55 and spectrum.pending == 15
    h5.set_swmr_flush_interval(1)  # a flush per row: rows written at once, as before
    assert spectrum.buffer_rows == 0 and spectrum.written == 70
    for k in range(70, 75):
        saver.add_data(det, _dte(k))
        assert spectrum.written == k + 1
    h5.close_file()
    assert _check_rows(_read_all(path, "h5py")) == 75


SCAN_WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from h5layout.runtime.model.data import DataRaw, DataToExport
    from h5layout.runtime.save.dte import DataToExportExtendedSaver
    from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

    path, lines, width, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    h5 = H5SaverLowLevel(save_type="scan", backend="h5py")
    h5.init_file(path, new_file=True, swmr_mode=True)
    h5.set_swmr_flush_interval(every)
    scan = h5.add_scan_group()
    det = h5.add_det_group(scan)
    saver = DataToExportExtendedSaver(h5, (lines, width))
    k = 0
    for i in range(lines):
        for j in range(width):
            saver.add_data(det, DataToExport("p", [DataRaw("s", data=[np.full(64, float(k))])]),
                           (i, j))
            k += 1
            if k % every == 0:
                print(k, flush=True)  # every point up to k has been flushed
            time.sleep(0.0005)
    """
)


def test_swmr_scan_reader_and_killed_writer_with_line_blocks(tmp_path: Path) -> None:
    path = tmp_path / "scan_swmr.h5"
    data = "/RawData/Scan000/Detector000/Data1D/CH00/Data00"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCAN_WRITER, str(path), "400", "16", "12"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def points(values: np.ndarray, at_least: int) -> int:
        flat = values.reshape(-1, values.shape[-1])
        done = ~np.isnan(flat).all(axis=1)
        n = int(done.sum())
        assert done[:n].all(), "a point missing before a later one"
        assert np.array_equal(flat[:n], np.repeat(np.arange(n, dtype=float)[:, None], 64, 1))
        assert n >= at_least, f"points lost: {n} < {at_least}"
        return n

    try:
        assert proc.stdout is not None
        first = int(proc.stdout.readline() or 0)
        assert first == 12, proc.stderr.read() if proc.stderr else ""
        f, is_swmr = open_h5_file_for_reading(path)
        assert is_swmr
        try:
            seen = []
            deadline = time.monotonic() + 60
            while len(set(seen)) < 4 and time.monotonic() < deadline:
                refresh_datasets(f)
                seen.append(points(f[data][...], seen[-1] if seen else 0))
                time.sleep(0.005)
            assert len(set(seen)) >= 4
            flushed = _kill_after(proc, 2)
            refresh_datasets(f)
            points(f[data][...], flushed)
        finally:
            f.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    f, _ = open_h5_file_for_reading(path)
    try:
        points(f[data][...], flushed)
    finally:
        f.close()
