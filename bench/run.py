"""The benchmark suite's entry point: ``python -m bench.run [--quick] [--json out.json]``.

Every scenario measures h5layout against hand-written h5py doing the same work in the
same run (interleaved), and against pymodaq_data when it is installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import compile_, frame, highrate, inspect_, load, logging_, scan, validate_
from bench.common import (
    FLUSH_EVERY,
    Options,
    Result,
    format_table,
    has_module,
    skipped,
    write_json,
)


def _hsds(opts: Options) -> list[Result]:
    """J: bench.hsds's savers section on a loopback HSDS server (imported only when run:
    it needs hsds, h5pyd and the tests' server fixture)."""
    missing = [m for m in ("hsds", "h5pyd") if not has_module(m)]
    if missing:
        return [skipped("J", f"{' and '.join(missing)} not installed (pip install hsds h5pyd)")]
    from bench import hsds

    return hsds.run(opts)


#: scenario letter → its module's run function (D and E share one module: both read A's file)
SCENARIOS: dict[str, Callable[[Options], list[Result]]] = {
    "A": scan.run,
    "B": logging_.run,
    "C": frame.run,
    "DE": load.run,
    "F": validate_.run,
    "G": compile_.run,
    "H": inspect_.run,
    "I": highrate.run,
    "J": _hsds,
}
#: scenarios run only when named in ``--only`` (J starts an HSDS server: pip install hsds h5pyd)
OPT_IN = {"J"}


def main(argv: list[str] | None = None) -> int:
    """Run the selected scenarios and print the table; 0 when every target is met."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (under 2 minutes)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--backend", choices=("h5py", "tables", "both"), default="both")
    parser.add_argument("--only", default="", help="scenarios to run, e.g. A,B (default: all)")
    parser.add_argument("--no-pymodaq", action="store_true", help="skip pymodaq_data figures")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    backends = ("h5py", "tables") if args.backend == "both" else (args.backend,)
    only = {s.strip().upper() for s in args.only.split(",") if s.strip()}
    if only & {"D", "E"}:
        only.add("A")  # D and E read the scan file A writes
    results: list[Result] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="h5layout-bench-") as tmp:
        opts = Options(args.quick, backends, Path(tmp), pymodaq=not args.no_pymodaq)
        for key, fn in SCENARIOS.items():
            if only and not (set(key) & only):
                continue
            if key in OPT_IN and not (set(key) & only):
                continue
            t0 = time.perf_counter()
            print(f"scenario {key} ...", file=sys.stderr, flush=True)
            try:
                results += fn(opts)
            except Exception as exc:  # one broken scenario must not lose the others
                results.append(skipped(key, f"error: {type(exc).__name__}: {exc}"))
            print(f"scenario {key}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    total = time.perf_counter() - start
    print(format_table(results, markdown=args.markdown))
    print(f"\ntotal {total:.0f} s; flush every {FLUSH_EVERY} calls in A and B (h5layout and raw)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if args.json:
        meta = {
            "quick": args.quick, "backends": backends, "seconds": total,
            "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "loadavg_1min_at_end": load, "flush_every": FLUSH_EVERY,
        }  # fmt: skip
        write_json(results, args.json, meta)
    return 0 if all(r.passed is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
