"""H. Looking at files: ``inspect`` of a 10,000-node file against raw h5py walks (one reading
the attributes a plain tree shows, one reading every attribute), ``h5layout inspect FILE``
end to end against its target, and ``copy`` throughput against each library's own
whole-file copy.

The walks are timed in CPU seconds (``time.process_time``): the machine is shared, and CPU
time is what the other jobs disturb least."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from bench.common import Options, Result
from bench.timing import interleave, now
from bench.validate_ import make_file, read_all_attrs

NAME = "H inspect/copy"

#: CPU seconds ``h5layout inspect FILE`` may take on a 10,000-node file (start-up apart)
INSPECT_TARGET_S = 0.5


def cpu(fn: Callable[[], Any]) -> float:
    """CPU seconds of one call of ``fn``."""
    c0 = time.process_time()
    fn()
    return time.process_time() - c0


def inspect_tree(path: object, full: bool = False) -> float:
    """``load_tree`` as ``h5layout inspect FILE`` calls it (the detected layout; ``full``:
    every attribute, as ``--attrs``/``--json``); CPU seconds."""
    from h5layout.runtime.check.detect import find_layout_spec
    from h5layout.runtime.tools.tree import load_tree

    spec = find_layout_spec(file=str(path))
    c0 = time.process_time()
    tree = load_tree(str(path), layout=spec, full=full)
    elapsed = time.process_time() - c0
    assert tree.root.children
    return elapsed


def read_shown_attrs(path: Path) -> float:
    """A raw h5py walk (``visititems``) reading the attributes a plain tree reads; CPU s."""
    from h5layout.runtime.tools.tree import SUMMARY_ATTRS

    c0 = time.process_time()
    with h5py.File(path, "r") as f:
        seen = []

        def visit(name: str, obj: h5py.HLObject) -> None:
            attrs = obj.attrs
            seen.append({k: attrs[k] for k in attrs if k in SUMMARY_ATTRS})

        visit("/", f)
        f.visititems(visit)
    return time.process_time() - c0


#: ``h5layout inspect FILE`` in a fresh process: CPU of start-up (the interpreter, numpy,
#: h5py, the modules the command imports) and of ``main()`` (arguments, finding and loading
#: the layout, the walk, the text, printing to a pipe), as JSON
_CLI = r"""
import contextlib, io, json, sys, time
c0 = time.process_time()
import h5layout.cli.main, h5layout.cli.inspect_cmd, h5layout.finder  # noqa: E401
import h5layout.runtime.check.domains, h5layout.runtime.tools.tree  # noqa: E401
c1 = time.process_time()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = h5layout.cli.main.main(["inspect", sys.argv[1], "--color", "never"])
main = time.process_time() - c1
lines = out.getvalue().count(chr(10))
print(json.dumps({"startup": c1, "main": main, "exit": code, "lines": lines}))
"""


def inspect_cli(path: Path) -> dict[str, Any]:
    """One ``h5layout inspect FILE`` in a child process (see :data:`_CLI`)."""
    proc = subprocess.run(
        [sys.executable, "-c", _CLI, str(path)], capture_output=True, text=True, check=True
    )
    found: dict[str, Any] = json.loads(proc.stdout)
    assert found["exit"] == 0 and found["lines"] > 1000, found
    return found


def _data_file(path: Path, megabytes: int) -> int:
    """A PyMoDAQ file whose ten data arrays hold ``megabytes`` MB in all; returns bytes."""
    make_file(path, 5)
    rows = megabytes * 1_000_000 // (10 * 8 * 1000)
    with h5py.File(path, "a") as f:
        det = f["RawData/Detector000/Data0D/CH00"]
        for k in range(10):
            ds = det.create_dataset(f"Big{k:02d}", data=np.random.rand(rows, 1000))
            ds.attrs["CLASS"] = "CARRAY"
    return 10 * rows * 1000 * 8


def copy_h5layout(src: Path, dst: Path, backend: str) -> float:
    """``h5layout copy`` without the validation (the copy itself)."""
    from h5layout.runtime.tools.copy import copy_file

    dst.unlink(missing_ok=True)
    t0 = now()
    copy_file(src, dst, backend=backend, validate=False)
    return now() - t0


def copy_raw(src: Path, dst: Path) -> float:
    """HDF5's own object copy (``H5Ocopy``) of every root member, with h5py."""
    dst.unlink(missing_ok=True)
    t0 = now()
    with h5py.File(src, "r") as a, h5py.File(dst, "w") as b:
        for key, value in a.attrs.items():
            b.attrs[key] = value
        for name in a:
            a.copy(a[name], b, name=name)
    return now() - t0


def copy_tables(src: Path, dst: Path) -> float:
    """PyTables' own whole-file copy (``tables.copy_file``)."""
    import warnings

    import tables

    t0 = now()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTables' notes on h5py-made attributes
        tables.copy_file(str(src), str(dst), overwrite=True)
    return now() - t0


#: per destination backend: the library's own copy, what it does, the target ratio
_BASELINES = {
    "h5py": (copy_raw, "vs HDF5's H5Ocopy (raw chunks, no per-node work)", 0.25),
    "tables": (copy_tables, "vs tables.copy_file", 0.6),
}


def run(opts: Options) -> list[Result]:
    """Scenario H (h5py reads both backends' files; copies are written by each backend)."""
    big = opts.workdir / "inspect10k.h5"
    count = make_file(big, 1_000 if opts.quick else 10_000)
    inspect_tree(big)  # the layout is compiled and cached once, as after the first use
    t = interleave(
        {"raw": lambda: cpu(lambda: read_all_attrs(big)), "shown": lambda: read_shown_attrs(big),
         "h5layout": lambda: inspect_tree(big), "full": lambda: inspect_tree(big, full=True),
         "cli": lambda: inspect_cli(big)},
        3,
    )  # fmt: skip
    raw, shown = statistics.median(t["raw"]), statistics.median(t["shown"])
    plain = statistics.median(t["h5layout"])
    cli_main = statistics.median(c["main"] for c in t["cli"])
    startup = statistics.median(c["startup"] for c in t["cli"])
    results = [
        Result(NAME, "h5py", f"inspect {count} nodes (CPU s)", "s", plain, shown, 0.6,
               note="vs h5py visititems reading the attributes the tree shows"),
        Result(NAME, "h5py", f"inspect {count} nodes, all attrs raw (CPU s)", "s", plain, raw,
               0.4, note="vs h5py visititems reading every attribute"),
        Result(NAME, "h5py", f"inspect --attrs {count} nodes (CPU s)", "s",
               statistics.median(t["full"]), raw, 0.6, note="every attribute decoded"),
        Result(NAME, "h5py", f"h5layout inspect FILE, {count} nodes (CPU s)", "s", cli_main,
               None, INSPECT_TARGET_S if not opts.quick else None,
               note=f"main() end to end, start-up apart ({startup:.2f} s CPU)"),
    ]  # fmt: skip
    src = opts.workdir / "copy_src.h5"
    nbytes = _data_file(src, 16 if opts.quick else 128)
    for backend in opts.backends:
        dst = opts.workdir / f"copy_{backend}.h5"
        baseline, note, target = _BASELINES[backend]
        c = interleave(
            {"raw": lambda f=baseline: f(src, opts.workdir / "copy_raw.h5"),
             "h5layout": lambda b=backend, d=dst: copy_h5layout(src, d, b)},
            3,
        )  # fmt: skip
        mine, base = statistics.median(c["h5layout"]), statistics.median(c["raw"])
        results.append(
            Result(NAME, backend, f"copy {nbytes / 1e6:.0f} MB (MB/s)", "MB/s",
                   nbytes / 1e6 / mine, nbytes / 1e6 / base, target, sense=">=", note=note)
        )  # fmt: skip
    return results
