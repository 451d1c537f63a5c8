"""A scan point interrupted half-way is wholly refused (issue 18).

The interruption is real: a trace function raises ``KeyboardInterrupt`` (or a library-like
``OSError``) at the n-th line h5layout's runtime executes during the point, exactly where a
Ctrl-C signal handler may raise it (between two bytecodes, so between two arrays of the
point, inside a line-block copy, after a write reached the file…). Every n is tried in turn
until the point goes through, and after each interruption every array must be exactly as
before the point (or, when the interruption came after the point was complete, hold the
whole point): node for node, the file's cells overlaid with the points still held in line
blocks, without draining them (draining would change the path under test).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import h5py
import numpy as np
import pytest
import tables

import h5layout
import h5layout.runtime
from h5layout.runtime.model.data import DataRaw, DataToExport
from h5layout.runtime.save.dte import DataToExportExtendedSaver
from h5layout.runtime.storage import growing
from h5layout.runtime.storage.growing import PointBlock
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

#: every module of the runtime (the savers in save/ and the storage below them)
RUNTIME = str(Path(h5layout.runtime.__file__).parent)
SHAPE = (3, 6)
SIGNAL = 8


def _dte(value: float) -> DataToExport:
    return DataToExport(
        "d",
        [
            DataRaw("c", data=[np.array([value]), np.array([-value])]),
            DataRaw("s", data=[np.full(SIGNAL, value)]),
        ],
    )


class _Interrupt:
    """Raise ``error`` at the ``n``-th line run in h5layout's runtime, once."""

    def __init__(self, n: int, error: type[BaseException]) -> None:
        self.n = n
        self.error = error
        self.count = 0
        self.fired = False

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(RUNTIME):
            return None  # the libraries' own Python code is not traced
        if event == "line" and not self.fired:
            self.count += 1
            if self.count == self.n:
                self.fired = True
                raise self.error("interrupted")
        return self


def _state(h5: H5SaverLowLevel, blocks: dict[str, PointBlock]) -> dict[str, np.ndarray]:
    """Each array's logical content: its cells in the file, overlaid with its held points."""
    out = {}
    impl = h5.backend_impl
    for name, block in blocks.items():
        values = np.array(impl.read(block.raw), dtype=np.float64)
        n = block.pending
        if n:
            values[(*block._lead, slice(block._start, block._start + n))] = block._buf[:n]  # type: ignore[index]
        out[name] = values
    return out


def _all_state(h5: H5SaverLowLevel) -> dict[str, np.ndarray]:
    """:func:`_state` of every scan array of the file, by path."""
    blocks = {h5.backend_impl.node_path(b.raw): b for b in h5._growing if isinstance(b, PointBlock)}
    return _state(h5, blocks)


def _interrupt_every_line(h5: H5SaverLowLevel, write: Any) -> int:
    """Call ``write()`` (one point) interrupted at its 1st, 2nd… line until it goes through;
    every interrupted state must be the state before the point or the final one (every
    array changed by the point). Returns how many interruptions were tried."""
    before = _all_state(h5)
    seen = []
    n = 0
    while True:
        n += 1
        error = KeyboardInterrupt if n % 2 else OSError
        hook = _Interrupt(n, error)
        sys.settrace(hook)
        try:
            write()
        except BaseException:  # the error itself, or the library's mapped into h5layout's
            if not hook.fired:
                raise
        finally:
            sys.settrace(None)
        if not hook.fired:
            break
        seen.append((n, _all_state(h5)))
    final = _all_state(h5)
    assert before.keys() <= final.keys()
    changed = [k for k in final if k not in before or not _same({k: final[k]}, {k: before[k]})]
    assert len(changed) >= 3, "the point must change several arrays"
    for n, state in seen:
        refused = all(
            np.array_equal(state[k], before[k], equal_nan=True)
            if k in before
            else bool(np.isnan(state[k]).all())  # created by the point: fill only
            for k in state
        )
        kept = _same(state, final) and state.keys() == final.keys()
        assert kept or refused, f"interrupted at line {n}: the point is torn across arrays"
    return len(seen)


def _file_state(path: Path, backend: str, paths: Any) -> dict[str, np.ndarray]:
    if backend == "h5py":
        with h5py.File(path, "r") as f:
            return {p: f[p][...] for p in paths}
    with tables.open_file(str(path), "r") as f:
        return {p: f.get_node(p).read() for p in paths}


def _model(values: dict[str, np.ndarray], index: tuple[int, int], value: float) -> None:
    values["c0"][index] = value
    values["c1"][index] = -value
    values["s"][index] = value


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


@pytest.mark.parametrize("backend", ["h5py", "tables"])
@pytest.mark.parametrize("every", [100, 1], ids=["line-blocks", "at-once"])
def test_interrupted_scan_point_is_wholly_kept_or_refused(
    tmp_path: Path, backend: str, every: int
) -> None:
    path = tmp_path / "scan.h5"
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    h5.set_swmr_flush_interval(every)
    scan = h5.add_scan_group()
    det = h5.add_det_group(scan)
    saver = DataToExportExtendedSaver(h5, SHAPE)
    model = {
        "c0": np.full(SHAPE, np.nan),
        "c1": np.full(SHAPE, np.nan),
        "s": np.full((*SHAPE, SIGNAL), np.nan),
    }
    for j in range(4):
        saver.add_data(det, _dte(float(j)), (0, j))
        _model(model, (0, j), float(j))
    base = f"{det.path}/Data0D/CH00"
    blocks = {
        name: growing.pending(h5.get_node(p).node)
        for name, p in (
            ("c0", f"{base}/Data00"),
            ("c1", f"{base}/Data01"),
            ("s", f"{det.path}/Data1D/CH00/Data00"),
        )
    }
    assert all(isinstance(b, PointBlock) for b in blocks.values())
    assert all(b.buffer_rows == (6 if every == 100 else 0) for b in blocks.values())  # type: ignore[union-attr]
    if every == 100:
        assert blocks["s"].pending == 4  # type: ignore[union-attr]  # the line is held

    # the next point of the line, a point out of order, a point written again
    interruptions = 0
    for index, value in (((0, 4), 4.0), ((2, 1), 21.0), ((0, 2), -2.0), ((0, 3), 3.5)):
        before = {k: v.copy() for k, v in model.items()}
        after = {k: v.copy() for k, v in before.items()}
        _model(after, index, value)
        n = 0
        while True:
            n += 1
            error = KeyboardInterrupt if n % 2 else OSError
            hook = _Interrupt(n, error)
            sys.settrace(hook)
            try:
                saver.add_data(det, _dte(value), index)
            except error:
                pass
            finally:
                sys.settrace(None)
            if not hook.fired:
                break
            interruptions += 1
            state = _state(h5, blocks)  # type: ignore[arg-type]
            kept = _same(state, after)
            assert kept or _same(state, before), (
                f"point {index} interrupted at line {n}: torn across arrays"
            )
        assert _same(_state(h5, blocks), after)  # type: ignore[arg-type]
        model = after
    assert interruptions > 40  # every line of the point's writes was tried

    # the saver keeps working: the rest of the scan, then the file is valid and exact
    for i, j in ((1, 0), (1, 1), (2, 2), (0, 5)):
        saver.add_data(det, _dte(10.0 * i + j), (i, j))
        _model(model, (i, j), 10.0 * i + j)
    assert _same(_state(h5, blocks), model)  # type: ignore[arg-type]
    h5.close_file()
    paths = {
        "c0": f"{base}/Data00",
        "c1": f"{base}/Data01",
        "s": f"{det.path}/Data1D/CH00/Data00",
    }
    if backend == "h5py":
        with h5py.File(path, "r") as f:
            stored = {k: f[p][...] for k, p in paths.items()}
    else:
        with tables.open_file(str(path), "r") as f:
            stored = {k: f.get_node(p).read() for k, p in paths.items()}
    assert _same(stored, model)
    assert h5layout.validate(path).valid


@pytest.mark.parametrize("backend", ["h5py", "tables"])
@pytest.mark.parametrize("every", [100, 1], ids=["line-blocks", "at-once"])
def test_interrupted_scan_saver_point_spans_every_detector(
    tmp_path: Path, backend: str, every: int
) -> None:
    from types import SimpleNamespace

    from h5layout.runtime.save.modules import ScanSaver

    path = tmp_path / "scan.h5"
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    h5.set_swmr_flush_interval(every)
    detectors = [SimpleNamespace(title=t, settings_xml=None) for t in ("d1", "d2")]
    scan = SimpleNamespace(title="s", settings_xml=None, detectors=detectors, actuators=[])
    ss = ScanSaver(scan, SHAPE)
    ss.h5saver = h5
    ss.get_set_node(new=True)

    def point(index: tuple[int, int], value: float) -> None:
        dte = DataToExport(
            "p",
            [
                DataRaw("c", data=[np.array([value]), np.array([-value])], origin="d1"),
                DataRaw("s", data=[np.full(SIGNAL, value)], origin="d2"),
            ],
        )
        ss.add_data(dte, index)

    for j in range(4):
        point((0, j), float(j))
    tried = 0
    for index, value in (((0, 4), 4.0), ((2, 1), 21.0), ((0, 2), -2.0)):
        tried += _interrupt_every_line(h5, lambda i=index, v=value: point(i, v))
    assert tried > 40
    point((1, 1), 11.0)
    expected = _all_state(h5)
    h5.close_file()
    assert _same(_file_state(path, backend, expected), expected)
    assert h5layout.validate(path).valid


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_interrupted_data_extended_saver_point(tmp_path: Path, backend: str) -> None:
    from h5layout.runtime.save.points import DataExtendedSaver

    path = tmp_path / "ext.h5"
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    h5.set_swmr_flush_interval(100)
    det = h5.add_det_group(h5.add_scan_group())
    ch = h5.get_set_group(det, "Data1D")
    saver = DataExtendedSaver(h5, (8,))

    def point(j: int, value: float) -> None:
        data = [np.full(SIGNAL, value), np.full(SIGNAL, -value), np.full(SIGNAL, 2 * value)]
        saver.add_data(ch, DataRaw("s", data=data), (j,))

    for j in range(3):
        point(j, float(j))
    tried = _interrupt_every_line(h5, lambda: point(3, 3.0))  # continues the block
    tried += _interrupt_every_line(h5, lambda: point(7, 7.0))  # out of order
    h5.set_swmr_flush_interval(1)  # from now on, points written at once
    tried += _interrupt_every_line(h5, lambda: point(1, -1.0))  # written again
    tried += _interrupt_every_line(h5, lambda: point(5, 5.0))  # never written
    assert tried > 40
    expected = _all_state(h5)
    h5.close_file()
    assert _same(_file_state(path, backend, expected), expected)
