"""Writer and reader processes for several acquisition PCs on one HSDS service.

``python -m bench.hsds_workers writer DOMAIN --points N --flush-every F [--lockstep]
[--background]``
logs N points (0D + 1D of ``SIGNAL`` float64 each, through the generated pymodaq savers:
``H5SaverLowLevel`` + ``DataToExportEnlargeableSaver``) into a new domain, flushing every F
points. With ``--lockstep`` it prints ``flushed K`` after each flush and waits for a line on
stdin before going on (so a reader can be checked against each flush); at the end it prints
``done N SECONDS``. With ``--background`` the saver hands its flushes to the h5pyd
backend's background writer (``set_background_flush``); in lock step each flush then waits
until the rows are on the server (``flush(wait=True)``) before saying so.

``python -m bench.hsds_workers reader DOMAIN`` reads lines ``expect K`` on stdin; for each it
opens the domain anew (h5pyd caches shapes per handle) until the logger's data array has
at least K rows, checks every row's values, and prints ``saw K LAG_SECONDS`` (or
``timeout K`` after ``READ_TIMEOUT`` seconds).

The server comes from ``HS_ENDPOINT``/``HS_USERNAME``/``HS_PASSWORD``. Used by the tests
(``tests/runtime/storage/test_hsds_writers.py``) and by ``bench/hsds.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

SIGNAL = 256
#: the array the reader follows (the logger's 1D data)
DATA_PATH = "/RawData/Detector000/Data1D/CH00/EnlData00"
READ_TIMEOUT = 30.0


def frame(k: int) -> np.ndarray:
    """The 1D signal of point ``k`` (what the reader checks)."""
    return np.arange(SIGNAL, dtype=np.float64) + k


def _server() -> dict[str, str]:
    from h5layout.runtime.check.domains import hs_setting

    given = {
        "endpoint": hs_setting("hs_endpoint"),
        "username": hs_setting("hs_username"),
        "password": hs_setting("hs_password"),
    }
    return {k: v for k, v in given.items() if v}


def write(
    domain: str, points: int, flush_every: int, lockstep: bool = False, background: bool = False
) -> float:
    """Log ``points`` points into ``domain``; the seconds it took (open to close)."""
    from h5layout import pymodaq as pm
    from h5layout.runtime.storage.backends import get_backend

    get_backend("h5pyd").set_server(**_server())  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    saver = pm.H5SaverLowLevel(backend="h5pyd")
    saver.init_file(domain, new_file=True)
    saver.set_background_flush(background)
    saver.set_swmr_flush_interval(0)  # flushes are explicit here
    enl = pm.DataToExportEnlargeableSaver(saver, enl_axis_names=("t",), enl_axis_units=("s",))
    det = saver.add_det_group(saver.raw_group)
    for k in range(points):
        dte = pm.DataToExport(
            "d",
            [
                pm.DataRaw("spec", data=[frame(k)], timestamp=float(k)),
                pm.DataRaw("val", data=[np.array([float(k)])], timestamp=float(k)),
            ],
        )
        enl.add_data(det, dte, axis_values=[float(k)])
        if (k + 1) % flush_every == 0 or k + 1 == points:
            saver.flush(wait=lockstep)
            if lockstep:
                print(f"flushed {k + 1}", flush=True)
                sys.stdin.readline()
    saver.close_file()
    return time.perf_counter() - t0


def _rows_seen(h5pyd: Any, domain: str, server: dict[str, str], want: int) -> int:
    """Rows of the data array a new handle sees (0 before the domain or array exists)."""
    try:
        f = h5pyd.File(domain, "r", **server)
    except OSError:
        return 0
    try:
        if DATA_PATH not in f:
            return 0
        ds = f[DATA_PATH]
        n = int(ds.shape[0])
        if n >= want:
            rows = ds[:want]
            expected = np.stack([frame(k) for k in range(want)]) if want else rows
            if not np.array_equal(rows, expected):
                raise SystemExit(f"wrong values in {domain} at {want} rows")
        return n
    finally:
        f.close()


def read(domain: str) -> None:
    """Answer ``expect K`` lines on stdin (see the module docstring)."""
    import h5pyd

    server = _server()
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2 or parts[0] != "expect":
            break
        want = int(parts[1])
        t0 = time.perf_counter()
        while True:
            if _rows_seen(h5pyd, domain, server, want) >= want:
                print(f"saw {want} {time.perf_counter() - t0:.4f}", flush=True)
                break
            if time.perf_counter() - t0 > READ_TIMEOUT:
                print(f"timeout {want}", flush=True)
                break
            time.sleep(0.005)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hsds_workers")
    p.add_argument("role", choices=("writer", "reader"))
    p.add_argument("domain")
    p.add_argument("--points", type=int, default=100)
    p.add_argument("--flush-every", type=int, default=10)
    p.add_argument("--lockstep", action="store_true")
    p.add_argument("--background", action="store_true")
    args = p.parse_args(argv)
    if args.role == "writer":
        took = write(args.domain, args.points, args.flush_every, args.lockstep, args.background)
        print(f"done {args.points} {took:.4f}", flush=True)
    else:
        read(args.domain)


if __name__ == "__main__":
    main()
