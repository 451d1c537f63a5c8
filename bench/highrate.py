"""I. High-rate logging: a 0D detector (2 channels) at a sustained 10 kHz and 50 kHz.

A writer process appends rows to a ``DataToExportTimedSaver`` on h5py in SWMR mode,
timestamps from a simulated clock (row ``k`` at ``k / rate`` s), paced against the wall
clock outside the saver (it sleeps only when ahead of the schedule, never inside
``add_data``); it flushes every ``rate / 10`` rows (10 flushes a second). A SWMR reader
process follows the file, checks that every row it sees is complete and in order, and
logs how many rows it sees when. Measured: rows written and seen, the reader's lag (in
flush intervals, behind the last flush and behind the rows due), the writer's CPU time per
row (the saver's alone: building the rows is measured apart and taken off), RSS growth.

Also measured, on the same machine in the same run, the physical limit of the work: a
numpy copy of a row into preallocated blocks, and one h5py write of a whole block per
array and flush (with the flush), per row; and hand-written h5py writing row by row.

``python -m bench.highrate writer|reader ...`` are the two processes' entry points.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from bench.common import Options, Result

NAME = "I high rate"
DATA0 = "/RawData/Detector000/Data0D/CH00/EnlData00"
DATA1 = "/RawData/Detector000/Data0D/CH00/EnlData01"
AXIS = "/RawData/Detector000/NavAxes/Axis00"


def _rss() -> int:
    """Resident set size of this process, bytes (Linux)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _dte(k: int, dt: float) -> Any:
    from h5layout.runtime.model.data import DataRaw, DataToExport

    v = float(k)
    channels = DataRaw("ch", data=[np.array([v]), np.array([-v])])
    return DataToExport("log", [channels], timestamp=1.0 + k * dt)


def writer(path: str, rate: float, seconds: float, flush: int, out: str) -> None:
    """The logging process: paced rows, a flush every ``flush`` rows, its log in ``out``."""
    from h5layout.runtime.save.dte import DataToExportTimedSaver
    from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

    total = int(rate * seconds)
    dt = 1.0 / rate
    # what building the rows costs (the acquisition program's part, not the saver's)
    c0 = time.process_time()
    for k in range(20000):
        _dte(k, dt)
    build_cpu = (time.process_time() - c0) / 20000

    h5 = H5SaverLowLevel(save_type="logger", backend="h5py")
    h5.init_file(Path(path), new_file=True, swmr_mode=True)
    h5.set_swmr_flush_interval(flush)
    det = h5.add_det_group(h5.raw_group, "counter")
    saver = DataToExportTimedSaver(h5)
    saver.add_data(det, _dte(0, dt))
    h5.enable_swmr()
    print("READY", flush=True)
    sys.stdin.readline()  # the reader has opened the file
    # the flush log, preallocated: the writer's own bookkeeping must not show as heap growth
    flush_t = np.zeros(total // flush + 2)
    flush_n = np.zeros(total // flush + 2, dtype=np.int64)
    nflush = 0
    rss: list[int] = []
    blocks: list[int] = []  # Python heap: allocated blocks
    t0 = time.monotonic()
    c0 = time.process_time()
    behind = 0.0
    for k in range(1, total):
        if k % 64 == 0:  # pacing, outside the saver: sleep only when ahead of the clock
            ahead = t0 + k * dt - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            else:
                behind = max(behind, -ahead)
        saver.add_data(det, _dte(k, dt))
        if (k + 1) % flush == 0:
            flush_t[nflush] = time.monotonic()
            flush_n[nflush] = k + 1
            nflush += 1
            if nflush in (max(1, int(0.1 * total / flush)), int(total / flush)):
                rss.append(_rss())
                blocks.append(sys.getallocatedblocks())
    wall = time.monotonic() - t0
    cpu = time.process_time() - c0
    h5.close_file()
    flush_t[nflush] = time.monotonic()
    flush_n[nflush] = total
    nflush += 1
    flushes = list(zip(flush_t[:nflush].tolist(), flush_n[:nflush].tolist(), strict=True))
    result = {
        "rows": total, "wall": wall, "cpu": cpu, "build_cpu": build_cpu, "flushes": flushes,
        "rss": rss, "blocks": blocks, "behind": behind, "t0": t0,
    }  # fmt: skip
    Path(out).write_text(json.dumps(result))


def reader(path: str, out: str, total: int, rate: float) -> None:
    """The SWMR reader: follows the file, checks every new row, logs (time, rows seen)."""
    f = h5py.File(path, "r", libver="latest", swmr=True)
    data0, data1, axis = f[DATA0], f[DATA1], f[AXIS]
    seen = 0
    bad = 0
    samples: list[tuple[float, int]] = []
    deadline = time.monotonic() + 600
    print("OPEN", flush=True)
    while time.monotonic() < deadline:
        for ds in (data0, data1, axis):
            ds.refresh()
        n = min(data0.shape[0], data1.shape[0], axis.shape[0])
        if n > seen:
            k = np.arange(seen, n, dtype=np.float64)
            if not (
                np.array_equal(data0[seen:n, 0], k)
                and np.array_equal(data1[seen:n, 0], -k)
                and np.allclose(axis[seen:n], 1.0 + k / rate, rtol=0, atol=1e-9)
            ):
                bad += 1
            seen = n
        samples.append((time.monotonic(), seen))
        if seen >= total or Path(out + ".stop").exists():
            break
        time.sleep(0.002)
    f.close()
    Path(out).write_text(json.dumps({"seen": seen, "bad": bad, "samples": samples}))


def _lags(w: dict[str, Any], r: dict[str, Any], rate: float, flush: int) -> dict[str, float]:
    """Reader lag in flush intervals: behind the last flush, and behind the rows due."""
    flushes = w["flushes"]
    times = [t for t, _ in flushes]
    behind_flush, behind_due = [], []
    for t, seen in r["samples"]:
        i = int(np.searchsorted(times, t, side="right")) - 1
        flushed = flushes[i][1] if i >= 0 else 0
        due = min(w["rows"], int((t - w["t0"]) * rate))
        if t > times[-1]:
            continue  # after close
        behind_flush.append(max(0, flushed - seen) / flush)
        behind_due.append(max(0, due - seen) / flush)
    return {
        "flush_median": statistics.median(behind_flush) if behind_flush else float("nan"),
        "flush_max": max(behind_flush, default=float("nan")),
        "due_median": statistics.median(behind_due) if behind_due else float("nan"),
        "due_max": max(behind_due, default=float("nan")),
    }


def run_pair(wd: Path, rate: float, seconds: float) -> dict[str, Any]:
    """One writer and one reader; both logs and the lags."""
    flush = max(1, int(rate / 10))
    path = wd / f"high_{int(rate)}.h5"
    wout, rout = wd / f"w_{int(rate)}.json", wd / f"r_{int(rate)}.json"
    total = int(rate * seconds)
    here = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    w = subprocess.Popen(
        [sys.executable, "-m", "bench.highrate", "writer", str(path), str(rate), str(seconds),
         str(flush), str(wout)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert w.stdout is not None and w.stdin is not None
    assert w.stdout.readline().strip() == "READY"
    r = subprocess.Popen(
        [sys.executable, "-m", "bench.highrate", "reader", str(path), str(rout), str(total),
         str(rate)],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert r.stdout is not None and r.stdout.readline().strip() == "OPEN"
    w.stdin.write("go\n")
    w.stdin.flush()
    w.wait(timeout=seconds * 20 + 120)
    try:
        r.wait(timeout=30)
    except subprocess.TimeoutExpired:
        Path(str(rout) + ".stop").write_text("")
        r.wait(timeout=30)
    wlog = json.loads(wout.read_text())
    rlog = json.loads(rout.read_text())
    return {"rate": rate, "flush": flush, "w": wlog, "r": rlog, **_lags(wlog, rlog, rate, flush)}


def physical_limit(wd: Path, flush: int, repeats: int = 5) -> dict[str, float]:
    """Per row, seconds: a numpy copy of the row (3 arrays), one h5py write of a whole
    block per array and flush (with the flush), and hand-written h5py row by row."""
    n = 20000
    bufs = [np.empty((flush, 1)), np.empty((flush, 1)), np.empty(flush)]
    a, b = np.array([1.0]), np.array([-1.0])
    copy = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for k in range(n):
            i = k % flush
            bufs[0][i] = a
            bufs[1][i] = b
            bufs[2][i] = 0.5
        copy.append((time.perf_counter() - t0) / n)
    block, rowwise = [], []
    with h5py.File(wd / "limit.h5", "w", libver="latest") as f:
        ds = [
            f.create_dataset(f"d{i}", shape=(0, *buf.shape[1:]), maxshape=(None, *buf.shape[1:]),
                             chunks=(4096, *buf.shape[1:]), dtype=buf.dtype)
            for i, buf in enumerate(bufs)
        ]  # fmt: skip
        rows = 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(20):
                for d, buf in zip(ds, bufs, strict=True):
                    d.resize(rows + flush, axis=0)
                    d[rows : rows + flush] = buf
                rows += flush
                f.flush()
            block.append((time.perf_counter() - t0) / (20 * flush))
        for _ in range(repeats):
            t0 = time.perf_counter()
            m = 2000
            for _ in range(m):
                for d in ds:
                    d.resize(rows + 1, axis=0)
                ds[0][rows] = a
                ds[1][rows] = b
                ds[2][rows] = 0.5
                rows += 1
            rowwise.append((time.perf_counter() - t0) / m)
    return {
        "copy": statistics.median(copy),
        "block": statistics.median(block),
        "rowwise": statistics.median(rowwise),
    }


def run(opts: Options) -> list[Result]:
    """Scenario I (h5py, SWMR): 10 kHz and 50 kHz, against the physical limit."""
    if "h5py" not in opts.backends:
        return []
    seconds = float(os.environ.get("H5LAYOUT_BENCH_I_SECONDS", 5.0 if opts.quick else 60.0))
    results: list[Result] = []
    for rate in (10_000.0, 50_000.0):
        res = run_pair(opts.workdir, rate, seconds)
        limit = physical_limit(opts.workdir, res["flush"])
        w, r = res["w"], res["r"]
        label = f"{int(rate / 1000)} kHz"
        per_row = w["cpu"] / w["rows"]
        saver = per_row - w["build_cpu"]
        limit_row = limit["copy"] + limit["block"]
        achieved = w["rows"] / w["wall"]
        note = (f"{seconds:.0f} s, flush every {res['flush']} rows; writer fell behind the "
                f"clock by up to {w['behind'] * 1e3:.0f} ms")  # fmt: skip
        results += [
            Result(NAME, "h5py", f"{label} rows written/s / rate (sustained)", "x",
                   achieved / rate, target=0.99 if rate <= 10_000 else None, sense=">=",
                   note=f"{achieved:.0f} rows/s; " + note),
            Result(NAME, "h5py", f"{label} rows seen by the SWMR reader", "rows",
                   float(r["seen"]), float(w["rows"]), target=1.0, sense=">=",
                   note=f"{r['bad']} reads with torn or out-of-order rows"),
            Result(NAME, "h5py", f"{label} rows torn/out of order seen", "reads",
                   float(r["bad"]), target=0.0),
            Result(NAME, "h5py", f"{label} reader lag behind last flush, median/max", "flushes",
                   res["flush_median"], note=f"max {res['flush_max']:.2f}"),
            Result(NAME, "h5py", f"{label} reader lag behind rows due, median/max", "flushes",
                   res["due_median"], note=f"max {res['due_max']:.2f}"),
            Result(NAME, "h5py", f"{label} writer CPU per row (saver; vs the limit)", "us",
                   saver * 1e6, limit_row * 1e6,
                   note=f"whole writer {per_row * 1e6:.1f} us/row incl. building the rows "
                   f"({w['build_cpu'] * 1e6:.1f} us); limit = numpy copy "
                   f"{limit['copy'] * 1e6:.2f} + block write {limit['block'] * 1e6:.2f} us/row"),
            Result(NAME, "h5py", f"{label} hand-written h5py row by row (per row)", "us",
                   limit["rowwise"] * 1e6, note=f"caps at {1 / limit['rowwise']:.0f} rows/s"),
            Result(NAME, "h5py", f"{label} Python heap growth (allocated blocks)", "blocks",
                   float(w["blocks"][-1] - w["blocks"][0]) if len(w["blocks"]) > 1
                   else float("nan"), target=100.0,
                   note="sys.getallocatedblocks(), after 10% of the rows to the end"),
            Result(NAME, "h5py", f"{label} RSS growth over the run", "MB",
                   (w["rss"][-1] - w["rss"][0]) / 2**20 if len(w["rss"]) > 1 else float("nan"),
                   note="after 10% of the rows to the end (the HDF5 library's memory included)"),
        ]  # fmt: skip
    return results


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "writer":
        writer(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif role == "reader":
        reader(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    else:
        raise SystemExit(f"unknown role {role!r}")
