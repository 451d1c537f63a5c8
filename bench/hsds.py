"""HSDS figures: ``python -m bench.hsds [--quick] [--json out.json]``.

Starts its own loopback HSDS servers (``tests/hsds_server.py``: 1 and 4 data nodes) and
measures, in one run:

1. logger appends (0D + 1D of 256 float64 per append, the generated pymodaq savers) and
   scenario A's 20×20 scan (bench/scan.py) on local h5py vs HSDS (h5layout's h5pyd
   backend) vs naive h5pyd (one resize + write per row; one write per scan point),
   flushing every 10 and every 100 appends/points: mean ms per append/point;
2. 1, 2 and 4 writer processes (``bench.hsds_workers``) on 1 and 4 data nodes: aggregate
   appends/s, and the lag of a reader process following writer 0 (time from a flush to
   the reader seeing its rows, median);
3. ``copy`` local → HSDS → local in MB/s against h5pyd's own bulk write and read of the
   same arrays;
4. the background-flush probe: h5pyd flushed from a worker thread while the acquisition
   thread writes to the same handle — rows lost or errors raised;
5. the background writer (the h5pyd backend's ``background_writer``: a worker thread
   with its own handle, fed copied blocks): ms per append of a buffered acquisition loop
   against the same loop on local h5py, the time close takes to drain, values checked
   (``--background-only`` runs just this, on one server);
6. the generated savers (logger, 20×20 scan) with ``background_flush`` against the same
   savers flushing on the acquisition thread and against local h5py: the loop's time per
   append/point (the logger's close, which waits for the worker, apart), the scan's
   ``add_data`` mean, median and p99 (``--savers-only`` runs just this).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hsds_server import TEST_FOLDER, create_folder, start_hsds, stop_hsds  # noqa: E402

SIGNAL = 256


def _domain(tag: str) -> str:
    return f"{TEST_FOLDER}{tag}_{uuid.uuid4().hex[:8]}.h5"


def _set_env(server: Any) -> None:
    os.environ["HS_ENDPOINT"] = server.endpoint
    os.environ["HS_USERNAME"] = server.username
    os.environ["HS_PASSWORD"] = server.password
    from h5layout.runtime.storage.backends import get_backend

    get_backend("h5pyd").set_server(**server.h5pyd_kwargs)  # type: ignore[attr-defined]


# -- 1. logger appends ------------------------------------------------------------------
def _background(enabled: bool) -> Any:
    """Set the h5pyd backend's ``background_flush`` default; returns the previous one."""
    from h5layout.runtime.storage.backends import get_backend

    backend = get_backend("h5pyd")
    saved = backend.background_flush  # type: ignore[attr-defined]
    backend.background_flush = enabled  # type: ignore[attr-defined]
    return saved


def logger_h5layout(
    target: str, backend: str, n: int, flush_every: int, times: dict[str, float] | None = None
) -> float:
    """ms per append through the generated savers, close included (``times`` gets the
    loop's and the close's own ms per append)."""
    from h5layout import pymodaq as pm

    saver = pm.H5SaverLowLevel(backend=backend)
    saver.init_file(target, new_file=True)
    saver.set_swmr_flush_interval(0)
    enl = pm.DataToExportEnlargeableSaver(saver, enl_axis_names=("t",), enl_axis_units=("s",))
    det = saver.add_det_group(saver.raw_group)
    frames = [np.arange(SIGNAL, dtype=np.float64) + k for k in range(n)]
    t0 = t_first = time.perf_counter()
    for k in range(n):
        dte = pm.DataToExport(
            "d",
            [
                pm.DataRaw("spec", data=[frames[k]], timestamp=float(k)),
                pm.DataRaw("val", data=[np.array([float(k)])], timestamp=float(k)),
            ],
        )
        enl.add_data(det, dte, axis_values=[float(k)])
        if (k + 1) % flush_every == 0:
            saver.flush()
            if k + 1 == flush_every:  # the first flush creates the arrays on the server
                t_first = time.perf_counter()
    t1 = time.perf_counter()
    saver.close_file()
    t2 = time.perf_counter()
    if times is not None:
        times["loop_ms"] = (t1 - t0) / n * 1e3
        times["after_first_flush_ms"] = (t1 - t_first) / (n - flush_every) * 1e3
        times["close_ms"] = (t2 - t1) / n * 1e3
    return (t2 - t0) / n * 1e3


def logger_naive_h5pyd(domain: str, server: Any, n: int, flush_every: int) -> float:
    """ms per append: h5pyd used directly, one resize + write per row and per array."""
    import h5pyd

    f = h5pyd.File(domain, "w", **server.h5pyd_kwargs)
    d1 = f.create_dataset(
        "spec", (0, SIGNAL), maxshape=(None, SIGNAL), dtype="f8", chunks=(64, SIGNAL)
    )
    d0 = f.create_dataset("val", (0,), maxshape=(None,), dtype="f8", chunks=(1024,))
    t = f.create_dataset("t", (0,), maxshape=(None,), dtype="f8", chunks=(1024,))
    t0 = time.perf_counter()
    for k in range(n):
        for ds, value in ((d1, np.arange(SIGNAL) + k), (d0, float(k)), (t, float(k))):
            ds.resize(k + 1, axis=0)
            ds[k] = value
        if (k + 1) % flush_every == 0:
            f.flush()
    f.close()
    return (time.perf_counter() - t0) / n * 1e3


def scan_h5layout(
    target: str, backend: str, flush_every: int, times: dict[str, float] | None = None
) -> float:
    """ms per point of scenario A's 20×20 scan (bench/scan.py) flushing every N points
    (the mean time of ``add_data``; ``times`` gets the median, the p99 and the whole run,
    open and close included, per point)."""
    from bench import scan

    saved = scan.FLUSH_EVERY
    scan.FLUSH_EVERY = flush_every
    try:
        t0 = time.perf_counter()
        samples = scan.run_library("h5layout", backend, Path(target), (20, 20))
        total = time.perf_counter() - t0
    finally:
        scan.FLUSH_EVERY = saved
    if times is not None:
        # after the first flush, which creates the scan's arrays on the server
        times["after_first_flush_ms"] = float(np.mean(samples[flush_every:])) * 1e3
        times["median_ms"] = float(np.median(samples)) * 1e3
        times["p99_ms"] = float(np.percentile(samples, 99)) * 1e3
        times["open_to_close_ms"] = total / len(samples) * 1e3
    return float(np.mean(samples)) * 1e3


def scan_naive_h5pyd(domain: str, server: Any, flush_every: int) -> float:
    """ms per point: h5pyd used directly, one preallocated array, one write per point."""
    import h5pyd

    f = h5pyd.File(domain, "w", **server.h5pyd_kwargs)
    ds = f.create_dataset("d", (20, 20, SIGNAL), dtype="f8", chunks=(1, 20, SIGNAL))
    t0 = time.perf_counter()
    for k in range(400):
        ds[k // 20, k % 20] = np.arange(SIGNAL) + k
        if (k + 1) % flush_every == 0:
            f.flush()
    f.close()
    return (time.perf_counter() - t0) / 400 * 1e3


# -- 2. several writers -------------------------------------------------------------------
def _spawn(server: Any, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HS_ENDPOINT": server.endpoint,
        "HS_USERNAME": server.username,
        "HS_PASSWORD": server.password,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bench.hsds_workers", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def writers(server: Any, count: int, points: int, flush_every: int) -> dict[str, float]:
    """Aggregate appends/s of ``count`` writers and the reader's lag behind writer 0."""
    domains = [_domain(f"w{count}_{i}") for i in range(count)]
    common = ["--points", str(points), "--flush-every", str(flush_every)]
    reader = _spawn(server, "reader", domains[0])
    lead = _spawn(server, "writer", domains[0], *common, "--lockstep")
    others = [_spawn(server, "writer", d, *common) for d in domains[1:]]
    lags: list[float] = []
    assert lead.stdout and lead.stdin and reader.stdin and reader.stdout
    t0 = time.perf_counter()
    while True:
        line = lead.stdout.readline().split()
        if not line or line[0] != "flushed":
            took = float(line[2]) if line else float("nan")
            break
        reader.stdin.write(f"expect {line[1]}\n")
        reader.stdin.flush()
        answer = reader.stdout.readline().split()
        if answer and answer[0] == "saw":
            lags.append(float(answer[2]))
        lead.stdin.write("go\n")
        lead.stdin.flush()
    times = [took]
    for p in others:
        assert p.stdout is not None
        out = p.stdout.readline().split()
        times.append(float(out[2]))
        p.wait()
    wall = time.perf_counter() - t0
    lead.wait()
    reader.stdin.close()
    reader.wait()
    for p in [lead, reader, *others]:
        for pipe in (p.stdin, p.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
    return {
        "writers": count,
        # each writer's own open-to-close time (process start-up left out); writer 0 also
        # waits for the reader at each flush
        "aggregate_points_per_s": sum(points / t for t in times),
        "wall_s_incl_startup": wall,
        "reader_lag_ms_median": statistics.median(lags) * 1e3 if lags else float("nan"),
        "reader_lag_ms_max": max(lags) * 1e3 if lags else float("nan"),
    }


# -- 3. copy -------------------------------------------------------------------------------
def copy_figures(server: Any, tmp: Path, mbytes: int) -> dict[str, float]:
    import h5pyd

    from h5layout.runtime.tools.copy import copy_file

    src = tmp / "big.h5"
    rows = mbytes * 1_000_000 // (8 * 1000)
    data = np.random.default_rng(0).random((rows, 1000))
    with h5py.File(src, "w") as f:
        f.create_dataset("a", data=data, chunks=(128, 1000))
    nbytes = data.nbytes
    dom = _domain("copy")
    t0 = time.perf_counter()
    copy_file(src, dom, backend="h5pyd", validate=False)
    up = time.perf_counter() - t0
    back = tmp / "back.h5"
    t0 = time.perf_counter()
    copy_file(dom, back, source_backend="h5pyd", validate=False)
    down = time.perf_counter() - t0
    dom2 = _domain("bulk")
    t0 = time.perf_counter()
    with h5pyd.File(dom2, "w", **server.h5pyd_kwargs) as f:
        f.create_dataset("a", data=data, chunks=(128, 1000))
    bulk_up = time.perf_counter() - t0
    t0 = time.perf_counter()
    with h5pyd.File(dom2, "r", **server.h5pyd_kwargs) as f:
        f["a"][...]
    bulk_down = time.perf_counter() - t0
    mb = nbytes / 1e6
    return {
        "MB": mb,
        "copy_up_MBps": mb / up,
        "copy_down_MBps": mb / down,
        "h5pyd_bulk_up_MBps": mb / bulk_up,
        "h5pyd_bulk_down_MBps": mb / bulk_down,
    }


# -- 4. background flush probe --------------------------------------------------------------
def background_flush_probe(server: Any, n: int) -> dict[str, Any]:
    """Rows appended by the main thread while a worker thread flushes the same handle."""
    import h5pyd

    dom = _domain("bgflush")
    f = h5pyd.File(dom, "w", **server.h5pyd_kwargs)
    ds = f.create_dataset("v", (0,), maxshape=(None,), dtype="f8", chunks=(4096,))
    f.flush()
    errors: list[str] = []
    stop = threading.Event()
    kick = threading.Event()

    def flusher() -> None:
        while not stop.is_set():
            if kick.wait(0.05):
                kick.clear()
                try:
                    f.flush()
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

    worker = threading.Thread(target=flusher)
    worker.start()
    for k in range(n):
        try:
            ds.resize(k + 1, axis=0)
            ds[k] = float(k)
        except Exception as exc:
            errors.append(f"main: {type(exc).__name__}: {exc}")
        if (k + 1) % 10 == 0:
            kick.set()
    stop.set()
    worker.join()
    try:
        f.close()
    except Exception as exc:
        errors.append(f"close: {type(exc).__name__}: {exc}")
    with h5pyd.File(dom, "r", **server.h5pyd_kwargs) as g:
        got = g["v"][...]
    wrong = int(np.count_nonzero(got != np.arange(got.shape[0], dtype=float)))
    return {
        "appended": n,
        "rows_on_server": int(got.shape[0]),
        "wrong_values": wrong,
        "errors": len(errors),
        "first_errors": errors[:3],
    }


# -- 5. background writer --------------------------------------------------------------------
def _buffered_loop(n: int, flush_every: int, hand_off: Any, flush: Any) -> float:
    """An acquisition loop as the savers run it: each append copies a 1D row of SIGNAL
    float64 and two scalars (value, axis) into row buffers; every ``flush_every`` appends
    the buffers are handed off (``hand_off(name, block)``) and ``flush()`` is called.
    Returns the seconds of the loop."""
    bufs = {
        "spec": np.empty((flush_every, SIGNAL)),
        "val": np.empty(flush_every),
        "t": np.empty(flush_every),
    }
    frames = [np.arange(SIGNAL, dtype=np.float64) + k for k in range(n)]
    t0 = time.perf_counter()
    i = 0
    for k in range(n):
        bufs["spec"][i] = frames[k]
        bufs["val"][i] = float(k)
        bufs["t"][i] = float(k)
        i += 1
        if i == flush_every:
            for name, block in bufs.items():
                hand_off(name, block)
            flush()
            i = 0
    return time.perf_counter() - t0


def background_writer_figures(server: Any, tmp: Path, n: int, flush_every: int) -> dict[str, Any]:
    """ms per append of the buffered loop handing its blocks to the h5pyd backend's
    BackgroundWriter (own handle, worker thread), against the same loop on local h5py;
    checks the values on the server after close."""
    import h5pyd

    from h5layout.runtime.storage.backends import get_backend

    def create(f: Any) -> dict[str, Any]:
        return {
            "spec": f.create_dataset(
                "spec", (0, SIGNAL), maxshape=(None, SIGNAL), dtype="f8", chunks=(64, SIGNAL)
            ),
            "val": f.create_dataset("val", (0,), maxshape=(None,), dtype="f8", chunks=(1024,)),
            "t": f.create_dataset("t", (0,), maxshape=(None,), dtype="f8", chunks=(1024,)),
        }

    # local h5py: the same loop, one resize + write per array and flush
    with h5py.File(tmp / f"bg{flush_every}.h5", "w") as f:
        arrays = create(f)

        def local_write(name: str, block: np.ndarray) -> None:
            ds = arrays[name]
            m = ds.shape[0]
            ds.resize(m + len(block), axis=0)
            ds[m:] = block

        local_s = _buffered_loop(n, flush_every, local_write, f.flush)
    dom = _domain(f"bg{flush_every}")
    with h5pyd.File(dom, "w", **server.h5pyd_kwargs) as f:
        create(f)
    writer = get_backend("h5pyd").background_writer(dom, max_pending=16)  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    loop_s = _buffered_loop(
        n, flush_every, lambda name, block: writer.append("/" + name, block), writer.flush
    )
    writer.close()
    total_s = time.perf_counter() - t0
    with h5pyd.File(dom, "r", **server.h5pyd_kwargs) as g:
        ok = bool(
            np.array_equal(g["t"][...], np.arange(n, dtype=float))
            and np.array_equal(g["spec"][...], np.arange(SIGNAL)[None, :] + np.arange(n)[:, None])
        )
    return {
        "flush_every": flush_every,
        "local_h5py_loop_ms": local_s / n * 1e3,
        "hsds_background_loop_ms": loop_s / n * 1e3,
        "hsds_background_with_close_ms": total_s / n * 1e3,
        "close_drain_s": total_s - loop_s,
        "loop_over_local": loop_s / local_s,
        "peak_pending": writer.peak_pending,
        "values_ok": ok,
    }


# -- 6. savers with background_flush ---------------------------------------------------------
def background_savers(tmp: Path, n: int) -> list[dict[str, Any]]:
    """The logger and the 20×20 scan through the generated savers: local h5py, HSDS with
    flushes on the acquisition thread (foreground), HSDS with ``background_flush``."""
    rows = []
    for every in (10, 100):
        for kind in ("logger", "scan"):
            row: dict[str, Any] = {"kind": kind, "flush_every": every}
            for label in ("local", "foreground", "background"):
                saved = _background(label == "background")
                times: dict[str, float] = {}
                try:
                    if label == "local":
                        target = str(tmp / f"bs_{kind}{every}.h5")
                    else:
                        target = _domain(f"bs_{kind}{every}{label[0]}")
                    backend = "h5py" if label == "local" else "h5pyd"
                    if kind == "logger":
                        ms = logger_h5layout(target, backend, n, every, times)
                    else:
                        ms = scan_h5layout(target, backend, every, times)
                finally:
                    _background(saved)
                row[f"{label}_ms"] = ms
                row.update({f"{label}_{k}": v for k, v in times.items()})
            key = "loop_ms" if kind == "logger" else "ms"
            row["background_over_local"] = row[f"background_{key}"] / row[f"local_{key}"]
            row["foreground_over_local"] = row[f"foreground_{key}"] / row[f"local_{key}"]
            rows.append(row)
            print(json.dumps({"background_savers": row}), flush=True)
    return rows


def run(opts: Any) -> list[Any]:
    """Scenario J of ``python -m bench.run`` (opt-in: ``--only J``): section 6 on one
    loopback HSDS server (500 appends with ``--quick``, else 5,000), background flush
    against local h5py per append/point; skipped when hsds or h5pyd is not installed."""
    from bench.common import Result, has_module, skipped

    missing = [m for m in ("hsds", "h5pyd") if not has_module(m)]
    if missing:
        return [skipped("J", f"{' and '.join(missing)} not installed (pip install hsds h5pyd)")]
    n = 500 if opts.quick else 5000
    server = start_hsds(opts.workdir / "hsds", dn_count=1)
    try:
        create_folder(server, TEST_FOLDER)
        _set_env(server)
        rows = background_savers(opts.workdir, n)
    finally:
        stop_hsds(server)
    results = []
    for row in rows:
        kind, every = row["kind"], row["flush_every"]
        key = "loop_ms" if kind == "logger" else "ms"
        what = f"{n} appends" if kind == "logger" else "20x20, add_data mean"
        note = f"{what}; raw = the same saver on local h5py"
        cases = [
            ("background", key, "whole loop"),
            ("background", "after_first_flush_ms", "after the first flush"),
            ("foreground", key, "whole loop"),
        ]
        for label, field, when in cases:
            local = row[f"local_{field}"]
            results.append(
                Result(
                    "J",
                    "h5pyd",
                    f"{kind}, {label} flush every {every}, {when}",
                    "ms",
                    row[f"{label}_{field}"],
                    raw=local,
                    note=note,
                )
            )
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hsds")
    p.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument(
        "--background-only",
        action="store_true",
        help="only the background writer figures (5.) and the logger on local h5py",
    )
    p.add_argument(
        "--savers-only",
        action="store_true",
        help="only the savers with and without background_flush (6.), on one server",
    )
    args = p.parse_args(argv)
    n = 500 if args.quick else 5000
    wpoints = 100 if args.quick else 300
    out: dict[str, Any] = {"quick": args.quick, "appends": n}
    with tempfile.TemporaryDirectory(prefix="h5layout-bench-hsds-") as tmpdir:
        tmp = Path(tmpdir)
        for dn in (1, 4):
            server = start_hsds(tmp / f"srv{dn}", dn_count=dn)
            try:
                create_folder(server, TEST_FOLDER)
                _set_env(server)
                if args.savers_only:
                    out["background_savers"] = background_savers(tmp, n)
                    break
                if args.background_only:
                    bg = []
                    for every in (10, 100):
                        row = background_writer_figures(server, tmp, n, every)
                        row["h5layout_logger_local_h5py_ms"] = logger_h5layout(
                            str(tmp / f"bl{every}.h5"), "h5py", n, every
                        )
                        bg.append(row)
                        print(json.dumps(row), flush=True)
                    out["background_writer"] = bg
                    break
                if dn == 1:
                    rows = []
                    for every in (10, 100):
                        local = logger_h5layout(str(tmp / f"l{every}.h5"), "h5py", n, every)
                        hsds = logger_h5layout(_domain(f"l{every}"), "h5pyd", n, every)
                        naive = logger_naive_h5pyd(_domain(f"n{every}"), server, n, every)
                        rows.append(
                            {
                                "flush_every": every,
                                "local_h5py_ms": local,
                                "hsds_h5layout_ms": hsds,
                                "naive_h5pyd_ms": naive,
                                "hsds_over_local": hsds / local,
                                "naive_over_hsds": naive / hsds,
                            }
                        )
                        print(json.dumps(rows[-1]), flush=True)
                    out["logger"] = rows
                    srows = []
                    for every in (10, 100):
                        local = scan_h5layout(str(tmp / f"s{every}.h5"), "h5py", every)
                        hsds = scan_h5layout(_domain(f"s{every}"), "h5pyd", every)
                        naive = scan_naive_h5pyd(_domain(f"sn{every}"), server, every)
                        srows.append(
                            {
                                "flush_every": every,
                                "local_h5py_ms": local,
                                "hsds_h5layout_ms": hsds,
                                "naive_h5pyd_ms": naive,
                                "hsds_over_local": hsds / local,
                            }
                        )
                        print(json.dumps({"scan": srows[-1]}), flush=True)
                    out["scan"] = srows
                    out["copy"] = copy_figures(server, tmp, 20 if args.quick else 100)
                    print(json.dumps(out["copy"]), flush=True)
                    out["background_flush"] = background_flush_probe(server, n)
                    print(json.dumps(out["background_flush"]), flush=True)
                    out["background_writer"] = [
                        background_writer_figures(server, tmp, n, every) for every in (10, 100)
                    ]
                    print(json.dumps(out["background_writer"]), flush=True)
                    out["background_savers"] = background_savers(tmp, n)
                figures = []
                for count in (1, 2, 4):
                    figures.append(writers(server, count, wpoints, 10))
                    print(json.dumps({"data_nodes": dn, **figures[-1]}), flush=True)
                out[f"writers_{dn}dn"] = figures
            finally:
                stop_hsds(server)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
