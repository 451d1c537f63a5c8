"""B. Logging: timed and enlargeable savers, 0D (2 channels) + 1D (256 + axis) per append."""

# ruff: noqa: B023  (the lambdas run at once, inside the loop iteration that made them)
from __future__ import annotations

import json
import statistics
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
    write_layout,
)
from bench.timing import PeakMemory, interleave, now

NAME = "B logging"
SIGNAL = 256
BASE = "/RawData/Logger000/Detector000"  # replaced by the path found in the template


def _classes(lib: str) -> dict[str, Any]:
    if lib == "h5layout":
        from h5layout.runtime.model import data
        from h5layout.runtime.save import dte as dte_saving
        from h5layout.runtime.storage import lowlevel as saving

        return {
            "Saver": saving.H5SaverLowLevel, "Timed": dte_saving.DataToExportTimedSaver,
            "Enl": dte_saving.DataToExportEnlargeableSaver, "Axis": data.Axis,
            "DataRaw": data.DataRaw, "DTE": data.DataToExport,
        }  # fmt: skip
    with quiet_warnings():
        from pymodaq_data import data as pm_data
        from pymodaq_data.h5modules import data_saving as pm_ds
        from pymodaq_data.h5modules import saving as pm_saving

    return {
        "Saver": pm_saving.H5SaverLowLevel, "Timed": pm_ds.DataToExportTimedSaver,
        "Enl": pm_ds.DataToExportEnlargeableSaver, "Axis": pm_data.Axis,
        "DataRaw": pm_data.DataRaw, "DTE": pm_data.DataToExport,
    }  # fmt: skip


def _values(k: int) -> tuple[float, float, np.ndarray]:
    return float(k), float(-k), np.full(SIGNAL, float(k))


def _dte(c: dict[str, Any], k: int, xaxis: np.ndarray) -> Any:
    a, b, spectrum = _values(k)
    axis = c["Axis"]("wavelength", "nm", xaxis, index=0)
    return c["DTE"](
        "det",
        [
            c["DataRaw"]("counter", data=[np.array([a]), np.array([b])]),
            c["DataRaw"]("spectrum", data=[spectrum], axes=[axis]),
        ],
        timestamp=1000.0 + k,
    )


def _decode(value: Any) -> Any:
    """The Python value of a pymodaq JSON attribute holding a literal tuple or int."""
    text = value.decode() if isinstance(value, bytes) else str(value)
    data = json.loads(text)["data"]
    return (
        tuple(int(x) for x in data.strip("()").split(",") if x.strip())
        if "(" in data
        else int(data)
    )


def check_bookkeeping(h5: Any) -> list[str]:
    """Arrays whose ``shape``/``size`` attribute differs from their real shape."""
    bad = []
    for node in h5.walk_nodes("/"):
        names = node.backend_impl.attr_names(node.node)
        if not hasattr(node, "read") or "shape" not in names:
            continue
        if node.name == "Logger":
            continue
        real = tuple(node.backend_impl.shape(node.node))
        shape = _decode(node.backend_impl.get_attr(node.node, "shape"))
        if shape != real:
            bad.append(f"{node.path}: shape attr {shape} != {real}")
        if "size" in names and node.name.startswith("Axis"):
            size = _decode(node.backend_impl.get_attr(node.node, "size"))
            if size != real[0]:
                bad.append(f"{node.path}: size attr {size} != {real[0]}")
    return bad


def run_library(
    lib: str,
    kind: str,
    backend: str,
    path: Path,
    n: int,
    *,
    memory: PeakMemory | None = None,
    check: bool = False,
    sample_every: int = 500,
) -> tuple[list[float], list[str], list[int]]:
    """Append ``n`` points; times, bookkeeping problems seen at flushes, memory samples."""
    c = _classes(lib)
    xaxis = np.linspace(400.0, 800.0, SIGNAL)
    problems: list[str] = []
    mem_samples: list[int] = []
    with quiet_warnings():
        h5 = c["Saver"](save_type="logger", backend=backend)
        h5.init_file(Path(path), new_file=True)
        if lib == "h5layout":
            h5.set_swmr_flush_interval(FLUSH_EVERY)
        det = h5.add_det_group(h5.raw_group, "det")
        saver = c["Timed"](h5) if kind == "timed" else c["Enl"](h5, axis_name="point")
        samples = []
        if memory is not None:
            memory.start()
        for k in range(n):
            dte = _dte(c, k, xaxis)
            t0 = now()
            if kind == "timed":
                saver.add_data(det, dte)
            else:
                saver.add_data(det, dte, axis_values=[float(k)])
            samples.append(now() - t0)
            del dte
            if memory is not None and (k + 1) % sample_every == 0:
                mem_samples.append(memory.sample())
            if check and (k + 1) % FLUSH_EVERY == 0:
                problems += [f"after flush {k + 1}: {p}" for p in check_bookkeeping(h5)]
        if memory is not None:
            memory.stop()
        h5.close_file()
    if check:
        from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

        reader = H5SaverLowLevel(backend=backend)
        reader.init_file(Path(path), mode="r")
        problems += [f"after close: {p}" for p in check_bookkeeping(reader)]
        reader.close_file()
    return samples, problems, mem_samples


class RawLogger:
    """The same appends with plain h5py: resize per append, or grow in blocks and trim."""

    def __init__(self, path: Path, layout: list[Any], block: int = 0) -> None:
        self.f = h5py.File(path, "w")
        handles = write_layout(self.f, layout)
        self.enl = {p: ds for p, ds in handles.items() if ds.maxshape and ds.maxshape[0] is None}
        self.rows = 0
        self.block = block
        self.capacity = 0
        names = sorted(self.enl)
        self.axes = [self.enl[p] for p in names if p.rsplit("/", 1)[-1].startswith("Axis")]
        self.data = [self.enl[p] for p in names if p.rsplit("/", 1)[-1].startswith("EnlData")]

    def append(self, values: tuple[Any, ...], axis_value: float) -> None:
        """One row per enlargeable array (values in the order of ``self.data``)."""
        n = self.rows
        if self.block:
            if n + 1 > self.capacity:
                self.capacity += self.block
                for ds in self.enl.values():
                    ds.resize(self.capacity, axis=0)
        else:
            for ds in self.enl.values():
                ds.resize(n + 1, axis=0)
        for ds, value in zip(self.data, values, strict=True):
            ds[n] = value
        for ds in self.axes:
            ds[n] = axis_value
        self.rows = n + 1
        if self.rows % FLUSH_EVERY == 0:
            self.flush()

    def flush(self) -> None:
        """Trim, write ``shape``/``size`` as h5layout does, flush."""
        for ds in self.enl.values():
            if self.block and ds.shape[0] != self.rows:
                ds.resize(self.rows, axis=0)
            ds.attrs["shape"] = json.dumps(
                {"module": "builtins", "type": "tuple", "data": repr((self.rows, *ds.shape[1:]))}
            )
        for ds in self.axes:
            ds.attrs["size"] = json.dumps(
                {"module": "builtins", "type": "int", "data": str(self.rows)}
            )
        self.capacity = self.rows
        self.f.flush()

    def close(self) -> None:
        """Final bookkeeping and close."""
        self.flush()
        self.f.close()


class RawCombinedLogger(RawLogger):
    """The limit: rows copied into preallocated numpy blocks, each array written once per
    flush (one resize + one write), by hand with plain h5py."""

    def __init__(self, path: Path, layout: list[Any], block: int = 0) -> None:
        super().__init__(path, layout, 0)
        names = sorted(self.enl)
        kept = [p for p in names if p.rsplit("/", 1)[-1].startswith(("EnlData", "Axis"))]
        self.bufs = {p: np.empty((FLUSH_EVERY, *self.enl[p].shape[1:]), self.enl[p].dtype)
                     for p in kept}  # fmt: skip
        self.data_bufs = [self.bufs[p] for p in names if p.rsplit("/", 1)[-1].startswith("EnlData")]
        self.axis_bufs = [self.bufs[p] for p in names if p.rsplit("/", 1)[-1].startswith("Axis")]
        self.n = 0  # rows in the blocks
        self.done = 0  # rows in the file

    def append(self, values: tuple[Any, ...], axis_value: float) -> None:
        """One row per array into the blocks; the blocks written at each flush."""
        n = self.n
        for buf, value in zip(self.data_bufs, values, strict=True):
            buf[n] = value
        for buf in self.axis_bufs:
            buf[n] = axis_value
        self.n = n + 1
        self.rows += 1
        if self.rows % FLUSH_EVERY == 0:
            self.flush()

    def flush(self) -> None:
        """Write the blocks (resize + write per array), then the bookkeeping and flush."""
        if self.n:
            start, end = self.done, self.done + self.n
            for p, ds in self.enl.items():
                ds.resize(end, axis=0)
                if p in self.bufs:
                    ds[start:end] = self.bufs[p][: self.n]
            self.done, self.n = end, 0
        super().flush()


def run_raw(
    path: Path, layout: list[Any], n: int, block: int = 0, combined: bool = False
) -> list[float]:
    """Append ``n`` points with plain h5py; the time of each append."""
    log = (RawCombinedLogger if combined else RawLogger)(path, layout, block)
    samples = []
    for k in range(n):
        a, b, spectrum = _values(k)
        # EnlData00/01 of the 0D channel group, then EnlData00 of the 1D one (sorted paths).
        values = (np.array([a]), np.array([b]), spectrum)
        t0 = now()
        log.append(values, 1000.0 + k)
        samples.append(now() - t0)
    log.close()
    return samples


def _template(wd: Path, kind: str) -> list[Any]:
    path = wd / f"log_template_{kind}.h5"
    run_library("h5layout", kind, "h5py", path, 1)
    nodes = copy_layout(path)
    for node in nodes:  # the template starts empty: one row was written
        if node.maxshape and node.maxshape[0] is None:
            node.shape = (0, *node.shape[1:])
            node.data = None
    return nodes


def run(opts: Options) -> list[Result]:
    """Scenario B on every backend, timed and enlargeable savers."""
    n = 300 if opts.quick else 5000
    pm_n = 20 if opts.quick else 300
    repeats = 2
    wd = opts.workdir
    window = min(500, n // 4)
    results: list[Result] = []
    for kind in ("timed", "enlargeable"):
        layout = _template(wd, kind)
        for backend in opts.backends:
            h5l_file = wd / f"log_{kind}_{backend}.h5"
            raw_file = wd / f"log_raw_{kind}_{backend}.h5"
            blk_file = wd / f"log_rawblk_{kind}_{backend}.h5"
            cmb_file = wd / f"log_rawcmb_{kind}_{backend}.h5"
            timings = interleave(
                {
                    "raw": lambda: run_raw(raw_file, layout, n),
                    "h5layout": lambda: run_library(
                        "h5layout",
                        kind,
                        backend,
                        h5l_file,
                        n,
                    )[0],
                    "raw_block": lambda: run_raw(blk_file, layout, n, block=256),
                    "raw_combined": lambda: run_raw(cmb_file, layout, n, combined=True),
                },
                repeats,
            )
            med = {k: statistics.median(float(np.median(r)) for r in v) * 1e3
                   for k, v in timings.items()}  # fmt: skip
            p99 = {k: statistics.median(float(np.percentile(r, 99)) for r in v) * 1e3
                   for k, v in timings.items()}  # fmt: skip
            pm_med = None
            note = f"{n} appends, flush every {FLUSH_EVERY} (both), {repeats} interleaved runs"
            if opts.pymodaq and pymodaq_available() and kind == "timed":
                pm = run_library("pymodaq", kind, backend, wd / f"log_pm_{kind}.h5", pm_n)[0]
                pm_med = float(np.median(pm[1:])) * 1e3
                note += f"; pymodaq_data: {pm_n} appends (timed only), its own flushing"
            metric = f"{kind} per-append median"
            results.append(Result(NAME, backend, metric, "ms", med["h5layout"], med["raw"], 0.1,
                                  pymodaq=pm_med, note=note))  # fmt: skip
            results.append(Result(NAME, backend, f"{kind} per-append p99 (flushes incl.)", "ms",
                                  p99["h5layout"], p99["raw"], 1.0))  # fmt: skip
            results.append(Result(NAME, backend, f"{kind} median vs hand-written combined",
                                  "ms", med["h5layout"], med["raw_combined"],
                                  note="the limit: raw h5py, rows copied into numpy blocks, "
                                  "one resize + write per array and flush"))  # fmt: skip
            results.append(Result(NAME, backend, f"{kind} p99 vs hand-written combined",
                                  "ms", p99["h5layout"], p99["raw_combined"]))  # fmt: skip
            results.append(Result(NAME, backend, f"{kind} median vs raw block growth", "ms",
                                  med["h5layout"], med["raw_block"],
                                  note="raw h5py +256 rows, trimmed at flush"))  # fmt: skip
            drift = [
                float(np.median(r[-window:])) / float(np.median(r[:window]))
                for r in timings["h5layout"]
            ]
            results.append(Result(NAME, backend, f"{kind} last/first {window} median", "x",
                                  statistics.median(drift), target=1.1))  # fmt: skip
            # Bookkeeping at every flush and close, and memory: one more untimed run.
            mem = PeakMemory()
            check_file = wd / f"log_check_{kind}_{backend}.h5"
            _, problems, mem_samples = run_library(
                "h5layout",
                kind,
                backend,
                check_file,
                n,
                memory=mem,
                check=True,
                sample_every=window,
            )
            results.append(Result(NAME, backend, f"{kind} shape/size right at flush+close",
                                  "bool", float(not problems), target=1.0, sense=">=",
                                  note="; ".join(problems[:3]) or
                                  f"checked at {n // FLUSH_EVERY} flushes and close"))  # fmt: skip
            growth = (mem_samples[-1] - mem_samples[0]) / 2**20 if len(mem_samples) > 1 else 0.0
            results.append(Result(NAME, backend, f"{kind} memory growth", "MB", growth,
                                  target=0.5, note=f"traced heap after the first vs the last "
                                  f"{window} appends"))  # fmt: skip
    return results
