"""F. Validate: a 10,000-node file against plain h5py attribute reads; CLI cold start."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

from bench.common import Options, Result, has_module, skipped
from bench.timing import interleave, now

NAME = "F validate"
#: nodes per copied detector: Detector, Data0D, CH00, Data00, Data01
PER_DETECTOR = 5


def make_file(path: Path, nodes: int) -> int:
    """A PyMoDAQ-layout file of about ``nodes`` nodes: one detector written, then copied."""
    from h5layout.runtime.model.data import DataRaw, DataToExport
    from h5layout.runtime.save.dte import DataToExportSaver
    from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

    h5 = H5SaverLowLevel(save_type="detector")
    h5.init_file(path, new_file=True)
    det = h5.add_det_group(h5.raw_group, "det")
    dte = DataToExport("det", [DataRaw("counter", data=[np.array([1.0]), np.array([2.0])])])
    DataToExportSaver(h5).add_data(det, dte)
    h5.close_file()
    with h5py.File(path, "a") as f:
        raw = f["RawData"]
        for k in range(1, max(nodes // PER_DETECTOR, 1)):
            raw.copy("Detector000", f"Detector{k:03d}")
        count = 0

        def visit(name: str, obj: object) -> None:
            nonlocal count
            count += 1

        f.visititems(visit)
    return count


def read_all_attrs(path: Path) -> float:
    """Open with h5py and read every attribute of every node."""
    t0 = now()
    with h5py.File(path, "r") as f:
        seen = [dict(f.attrs)]
        f.visititems(lambda name, obj: seen.append(dict(obj.attrs)))
    return now() - t0


def validate_h5layout(path: Path, backend: str = "h5py") -> float:
    """``h5layout.validate`` on the file, read by ``backend``."""
    import h5layout

    t0 = now()
    report = h5layout.validate(path, backend=backend)
    elapsed = now() - t0
    assert report is not None
    return elapsed


def _cmd(args: list[str]) -> float:
    t0 = now()
    subprocess.run(args, check=False, capture_output=True)
    return now() - t0


def run(opts: Options) -> list[Result]:
    """Scenario F: validate through the h5py backend (and the PyTables one, when asked)."""
    if not has_module("h5layout.runtime.check.validate"):
        return [skipped(NAME, "h5layout.runtime.check.validate is not there yet")]
    wd = opts.workdir
    big, small = wd / "nodes10k.h5", wd / "small.h5"
    count = make_file(big, 1_000 if opts.quick else 10_000)
    make_file(small, 20)
    repeats = 1  # a 10,000-node pass takes a minute on a busy 2-core machine
    t = interleave({"raw": lambda: read_all_attrs(big), "h5layout": lambda: validate_h5layout(big)},
                   repeats)  # fmt: skip
    results = [Result(NAME, "h5py", f"validate {count} nodes", "s",
                      statistics.median(t["h5layout"]), statistics.median(t["raw"]), 1.5,
                      note="vs h5py visititems reading every node's attributes")]  # fmt: skip
    if "tables" in opts.backends:
        t = interleave({"raw": lambda: read_all_attrs(big),
                        "h5layout": lambda: validate_h5layout(big, "tables")}, repeats)  # fmt: skip
        results.append(Result(NAME, "tables", f"validate {count} nodes", "s",
                              statistics.median(t["h5layout"]), statistics.median(t["raw"]), 2.0,
                              note="validate --backend tables (same findings) vs h5py "
                              "visititems reading every node's attributes"))  # fmt: skip
    # h5py and numpy start from the bytecode pip compiled at install time; an editable
    # install (with PYTHONDONTWRITEBYTECODE set, as here) leaves h5layout's uncompiled, so
    # compile it as a regular install would, and compare like with like.
    import compileall

    import h5layout

    compileall.compile_dir(Path(h5layout.__file__).parent, quiet=1)
    exe = Path(sys.executable).parent / "h5layout"
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "h5layout"]
    check = subprocess.run([*cli, "validate", str(small)], capture_output=True, text=True)
    cold = interleave(
        {"raw": lambda: _cmd([sys.executable, "-c", "import h5py, numpy"]),
         "h5layout": lambda: _cmd([*cli, "validate", str(small)])},
        3 if opts.quick else 5,
    )  # fmt: skip
    results.append(Result(NAME, "h5py", "CLI validate cold start", "s",
                          statistics.median(cold["h5layout"]), statistics.median(cold["raw"]),
                          1.5, note=f"vs python -c 'import h5py, numpy'; exit code "
                          f"{check.returncode}"))  # fmt: skip
    return results
