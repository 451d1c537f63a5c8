"""Median of several runs: ``python -m bench.median run1.json run2.json … [--markdown]``.

On a shared, loaded machine one run is noisy; alternating whole runs (``bench.run --json``
several times) and taking, per row, the median of each figure over the runs gives the
table the README reports. A row's ``pass`` is recomputed from the median figures.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.common import Result, format_table

_FIGURES = ("h5layout", "raw", "pymodaq", "raw_lib")


def _median(values: list[Any]) -> float | None:
    nums = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return statistics.median(nums) if nums else None


def median_results(payloads: list[dict[str, Any]]) -> list[Result]:
    """One Result per (scenario, backend, metric), each figure the median over the runs."""
    rows: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for payload in payloads:
        for row in payload["results"]:
            rows.setdefault((row["scenario"], row["backend"], row["metric"]), []).append(row)
    out = []
    for (scenario, backend, metric), runs in rows.items():
        first = runs[0]
        figures = {k: _median([r[k] for r in runs]) for k in _FIGURES}
        ratio = _median([r["ratio"] for r in runs])
        out.append(
            Result(
                scenario, backend, metric, first["unit"], figures["h5layout"], figures["raw"],
                first["target"], first["sense"], figures["pymodaq"],
                note=f"median of {len(runs)} runs; " + (first["note"] or ""),
                ratio=ratio, raw_lib=figures["raw_lib"],
            )
        )  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the median table of the given JSON runs."""
    parser = argparse.ArgumentParser(prog="python -m bench.median", description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    payloads = [json.loads(p.read_text()) for p in args.runs]
    results = median_results(payloads)
    print(format_table(results, markdown=args.markdown))
    loads = [p["meta"].get("loadavg_1min_at_end") for p in payloads]
    print(f"\n{len(payloads)} runs; 1-min load average at the end of each: {loads}")
    return 0 if all(r.passed is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
