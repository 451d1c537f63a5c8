"""A. Scan: DataToExportExtendedSaver, one 0D detector (2 channels) and one 1D (1024 + axis)."""

# ruff: noqa: B023  (the lambdas run at once, inside the loop iteration that made them)
from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from bench.common import (
    FLUSH_EVERY,
    Options,
    Result,
    copy_layout,
    pymodaq_available,
    quiet_warnings,
    same_layout,
    write_layout,
)
from bench.timing import PeakMemory, interleave, now

NAME = "A scan"
SIGNAL = 1024
D0 = "/RawData/Scan000/Detector000/Data0D/CH00/Data00"
D0B = "/RawData/Scan000/Detector000/Data0D/CH00/Data01"
D1 = "/RawData/Scan000/Detector000/Data1D/CH00/Data00"
#: bytes of one point's values (2 scalars + the spectrum)
POINT_BYTES = 8 * (2 + SIGNAL)


def _points(shape: tuple[int, int], skip_last: bool = False) -> list[tuple[int, int]]:
    pts = [(i, j) for i in range(shape[0]) for j in range(shape[1])]
    return pts[:-1] if skip_last else pts


def _values(k: int) -> tuple[float, float, np.ndarray]:
    rng = np.random.default_rng(k)
    return float(k), float(-k), rng.random(SIGNAL)


def _classes(lib: str) -> dict[str, Any]:
    """The data classes and savers of h5layout or of pymodaq_data."""
    if lib == "h5layout":
        from h5layout.runtime.model import data
        from h5layout.runtime.save import dte as dte_saving
        from h5layout.runtime.storage import lowlevel as saving

        return {
            "Saver": saving.H5SaverLowLevel, "Ext": dte_saving.DataToExportExtendedSaver,
            "Axis": data.Axis, "DataRaw": data.DataRaw, "DTE": data.DataToExport,
        }  # fmt: skip
    with quiet_warnings():
        from pymodaq_data import data as pm_data
        from pymodaq_data.h5modules import data_saving as pm_ds
        from pymodaq_data.h5modules import saving as pm_saving

    return {
        "Saver": pm_saving.H5SaverLowLevel, "Ext": pm_ds.DataToExportExtendedSaver,
        "Axis": pm_data.Axis, "DataRaw": pm_data.DataRaw, "DTE": pm_data.DataToExport,
    }  # fmt: skip


def _dte(c: dict[str, Any], k: int, xaxis: np.ndarray) -> Any:
    a, b, spectrum = _values(k)
    # A fresh Axis per point: pymodaq_data's extended saver shifts the index it is given.
    axis = c["Axis"]("wavelength", "nm", xaxis, index=0)
    return c["DTE"](
        "det",
        [
            c["DataRaw"]("counter", data=[np.array([a]), np.array([b])]),
            c["DataRaw"]("spectrum", data=[spectrum], axes=[axis]),
        ],
    )


def run_library(
    lib: str,
    backend: str,
    path: Path,
    shape: tuple[int, int],
    *,
    memory: PeakMemory | None = None,
    skip_last: bool = False,
) -> list[float]:
    """Write the scan with h5layout or pymodaq_data; the time of each ``add_data``."""
    c = _classes(lib)
    xaxis = np.linspace(400.0, 800.0, SIGNAL)
    with quiet_warnings():
        h5 = c["Saver"](backend=backend)
        h5.init_file(Path(path), new_file=True)
        if lib == "h5layout":
            h5.set_swmr_flush_interval(FLUSH_EVERY)
        scan = h5.add_scan_group()
        det = h5.add_det_group(scan, "det")
        saver = c["Ext"](h5, shape)
        saver.add_nav_axes(
            scan,
            [
                c["Axis"]("x", "mm", np.linspace(0.0, 1.0, shape[0]), index=0),
                c["Axis"]("y", "mm", np.linspace(0.0, 1.0, shape[1]), index=1),
            ],
        )
        samples = []
        if memory is not None:
            memory.start()
        for k, index in enumerate(_points(shape, skip_last)):
            dte = _dte(c, k, xaxis)
            t0 = now()
            saver.add_data(det, dte, indexes=index)
            samples.append(now() - t0)
            del dte
        if memory is not None:
            memory.stop()
        h5.close_file()
    return samples


def run_raw(path: Path, shape: tuple[int, int], layout: list[Any]) -> list[float]:
    """The same file with plain h5py, handles cached, flushing every FLUSH_EVERY points."""
    f = h5py.File(path, "w")
    handles = write_layout(f, layout)
    d0, d0b, d1 = handles[D0], handles[D0B], handles[D1]
    samples = []
    for k, (i, j) in enumerate(_points(shape)):
        a, b, spectrum = _values(k)
        t0 = now()
        d0[i, j] = a
        d0b[i, j] = b
        d1[i, j] = spectrum
        if (k + 1) % FLUSH_EVERY == 0:
            f.flush()
        samples.append(now() - t0)
    f.close()
    return samples


def _check_fill(path: Path, shape: tuple[int, int]) -> tuple[bool, str]:
    """Unwritten last point reads as NaN (the HDF5 fill value); written points do not."""
    with h5py.File(path, "r") as f:
        ds = f[D1]
        last = ds[shape[0] - 1, shape[1] - 1]
        first = ds[0, 0]
        fill = ds.fillvalue
        ok = bool(np.isnan(last).all() and np.isfinite(first).all() and np.isnan(fill))
    return ok, f"HDF5 fill value {fill}; unwritten point all NaN: {bool(np.isnan(last).all())}"


def _median_of(runs: list[list[float]], fn: Callable[[np.ndarray], float]) -> float:
    return statistics.median(fn(np.asarray(r)) for r in runs)


def _p99(a: np.ndarray) -> float:
    return float(np.percentile(a, 99))


def run(opts: Options) -> list[Result]:
    """Scenario A on every backend."""
    shape = (20, 20) if opts.quick else (50, 50)
    pm_shape = (5, 5) if opts.quick else (10, 10)
    repeats = 2 if opts.quick else 5
    wd = opts.workdir
    results: list[Result] = []
    # The raw baseline copies the layout h5layout writes (h5py backend) and writes it by hand.
    template = wd / "scan_template.h5"
    run_library("h5layout", "h5py", template, shape)
    layout = copy_layout(template)
    for backend in opts.backends:
        h5l_file = wd / f"scan_{backend}.h5"
        raw_file = wd / f"scan_raw_{backend}.h5"
        timings = interleave(
            {
                "raw": lambda: run_raw(raw_file, shape, layout),
                "h5layout": lambda: run_library("h5layout", backend, h5l_file, shape),
            },
            repeats,
        )
        # PyTables writes its own VERSION attributes and chunking: compare h5py files only.
        diffs = same_layout(h5l_file, raw_file) if backend == "h5py" else []
        note = f"{shape[0]}x{shape[1]} points, {repeats} interleaved runs"
        pm_med = pm_p99 = None
        if opts.pymodaq and pymodaq_available():
            pm = run_library("pymodaq", backend, wd / f"scan_pm_{backend}.h5", pm_shape)
            pm_arr = np.asarray(pm[1:])  # the first point creates the arrays
            pm_med, pm_p99 = float(np.median(pm_arr)) * 1e3, _p99(pm_arr) * 1e3
            note += f"; pymodaq_data at {pm_shape[0]}x{pm_shape[1]}"
        if diffs:
            note += f"; LAYOUT DIFFERS: {diffs[:2]}"
        raw_med = _median_of(timings["raw"], np.median) * 1e3
        h5l_med = _median_of(timings["h5layout"], np.median) * 1e3
        results.append(
            Result(NAME, backend, "per-point median", "ms", h5l_med, raw_med, 0.25,
                   pymodaq=pm_med, note=note)
        )  # fmt: skip
        results.append(
            Result(NAME, backend, "per-point p99", "ms",
                   _median_of(timings["h5layout"], _p99) * 1e3,
                   _median_of(timings["raw"], _p99) * 1e3, 1.5, pymodaq=pm_p99)
        )  # fmt: skip
        # Memory and fill value: one more (untimed) run under tracemalloc, last point unwritten.
        mem = PeakMemory()
        mem_file = wd / f"scan_mem_{backend}.h5"
        run_library("h5layout", backend, mem_file, shape, memory=mem, skip_last=True)
        above = max(mem.peak - POINT_BYTES, 0) / 2**20
        pm_peak = None
        if opts.pymodaq and pymodaq_available():
            pm_mem = PeakMemory()
            run_library("pymodaq", backend, wd / "scan_pm_mem.h5", pm_shape, memory=pm_mem)
            pm_peak = max(pm_mem.peak - POINT_BYTES, 0) / 2**20
        pm_mb = pm_shape[0] * pm_shape[1] * POINT_BYTES / 2**20
        scan_mb = shape[0] * shape[1] * POINT_BYTES / 2**20
        results.append(
            Result(NAME, backend, "Python peak above point data", "MB", above, target=1.0,
                   pymodaq=pm_peak,
                   note=f"scan holds {scan_mb:.1f} MB; pymodaq_data peak at "
                   f"{pm_shape[0]}x{pm_shape[1]} ({pm_mb:.2f} MB of points)")
        )  # fmt: skip
        ok, why = _check_fill(mem_file, shape)
        results.append(
            Result(NAME, backend, "unwritten point = fill value", "bool", float(ok),
                   target=1.0, sense=">=", note=why)
        )  # fmt: skip
        opts.shared.setdefault("scan_file", {})[backend] = h5l_file
        opts.shared.setdefault("scan_shape", shape)
    return results
