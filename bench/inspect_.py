"""H. Looking at files: ``inspect`` of a 10,000-node file against raw h5py walks (one reading
the attributes a plain tree shows, one reading every attribute), and ``copy`` throughput
against each library's own whole-file copy."""

from __future__ import annotations

import statistics
from pathlib import Path

import h5py
import numpy as np

from bench.common import Options, Result
from bench.timing import interleave, now
from bench.validate_ import make_file, read_all_attrs

NAME = "H inspect/copy"


def inspect_tree(path: object, full: bool = False) -> float:
    """``load_tree`` as ``h5layout inspect FILE`` calls it (the detected layout; ``full``:
    every attribute, as ``--attrs``/``--json``)."""
    from h5layout.runtime.check.detect import find_layout_spec
    from h5layout.runtime.tools.tree import load_tree

    t0 = now()
    tree = load_tree(str(path), layout=find_layout_spec(file=str(path)), full=full)
    elapsed = now() - t0
    assert tree.root.children
    return elapsed


def read_shown_attrs(path: Path) -> float:
    """A raw h5py walk (``visititems``) reading the attributes a plain tree reads."""
    from h5layout.runtime.tools.tree import SUMMARY_ATTRS

    t0 = now()
    with h5py.File(path, "r") as f:
        seen = []

        def visit(name: str, obj: h5py.HLObject) -> None:
            attrs = obj.attrs
            seen.append({k: attrs[k] for k in attrs if k in SUMMARY_ATTRS})

        visit("/", f)
        f.visititems(visit)
    return now() - t0


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
        {"raw": lambda: read_all_attrs(big), "shown": lambda: read_shown_attrs(big),
         "h5layout": lambda: inspect_tree(big), "full": lambda: inspect_tree(big, full=True)},
        3,
    )  # fmt: skip
    raw, shown = statistics.median(t["raw"]), statistics.median(t["shown"])
    plain = statistics.median(t["h5layout"])
    results = [
        Result(NAME, "h5py", f"inspect {count} nodes", "s", plain, shown, 1.0,
               note="vs h5py visititems reading the attributes the tree shows"),
        Result(NAME, "h5py", f"inspect {count} nodes (all attrs raw)", "s", plain, raw, 1.0,
               note="vs h5py visititems reading every attribute"),
        Result(NAME, "h5py", f"inspect --attrs {count} nodes", "s",
               statistics.median(t["full"]), raw, 1.5, note="every attribute decoded"),
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
