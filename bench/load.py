"""D. Load the scan's 1D detector with its navigation axes; E. open and walk the scan file."""

# ruff: noqa: B023  (the lambdas run at once, inside the loop iteration that made them)
from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import h5py

from bench.common import Options, Result, has_module, pymodaq_available, quiet_warnings, skipped
from bench.scan import D1
from bench.timing import interleave, now

NAME_D = "D load"
NAME_E = "E open+walk"


def load_h5layout(path: Path, backend: str) -> float:
    """``DataLoader.load_data`` of the 1D detector; seconds (file opening excluded)."""
    from h5layout.runtime.load.loader import DataLoader

    loader = DataLoader(path, backend=backend)
    t0 = now()
    dwa = loader.load_data(D1)
    elapsed = now() - t0
    assert len(dwa.axes) == 3, dwa.axes
    loader.close_file()
    return elapsed


def load_pymodaq(path: Path, backend: str) -> float:
    """pymodaq_data's DataLoader on the same file."""
    with quiet_warnings():
        from pymodaq_data.h5modules.data_saving import DataLoader
        from pymodaq_data.h5modules.saving import H5SaverLowLevel

        h5 = H5SaverLowLevel(backend=backend)
        h5.init_file(Path(path), mode="r")
        loader = DataLoader(h5)
        t0 = now()
        loader.load_data(D1)
        elapsed = now() - t0
        h5.close_file()
    return elapsed


def load_raw(path: Path) -> float:
    """Read data, signal axis, nav axes and their attributes with h5py; build the result."""
    from h5layout.runtime.codec.attrs import read_attr
    from h5layout.runtime.model.data import Axis, DataWithAxes

    with h5py.File(path, "r") as f:
        t0 = now()
        ds = f[D1]
        data = ds[()]
        attrs = {k: read_attr(v) for k, v in ds.attrs.items()}
        axes = []
        for group in (ds.parent, f[D1.split("/Detector000")[0] + "/NavAxes"]):
            for name in sorted(group):
                if name.startswith("Axis"):
                    node = group[name]
                    a = {k: read_attr(v) for k, v in node.attrs.items()}
                    axes.append(Axis(a["label"], a["units"], node[()], index=a["index"]))
        dwa = DataWithAxes(
            str(attrs["TITLE"]), source="raw", dim="DataND", data=[data], axes=axes,
            nav_indexes=tuple(attrs["nav_indexes"]), units=attrs["units"],
        )  # fmt: skip
        elapsed = now() - t0
    assert dwa.shape == data.shape
    return elapsed


def walk_h5layout(path: Path, backend: str) -> float:
    """Open with H5BrowserUtil (H5Backend if absent) and walk every node."""
    if has_module("h5layout.runtime.tools.browsing"):
        from h5layout.runtime.tools.browsing import H5BrowserUtil

        t0 = now()
        browser: Any = H5BrowserUtil(backend=backend)
    else:
        from h5layout.runtime.storage.h5backend import H5Backend

        t0 = now()
        browser = H5Backend(backend=backend)
    browser.open_file(path, "r")
    names = [node.path for node in browser.walk_nodes("/")]
    browser.close_file()
    elapsed = now() - t0
    assert len(names) > 10
    return elapsed


def walk_pymodaq(path: Path, backend: str) -> float:
    """pymodaq_data's H5BrowserUtil on the same file."""
    with quiet_warnings():
        from pymodaq_data.h5modules.browsing import H5BrowserUtil

        t0 = now()
        browser = H5BrowserUtil(backend=backend)
        browser.open_file(path, "r")
        names = [node.path for node in browser.walk_nodes("/")]
        browser.close_file()
        elapsed = now() - t0
    assert len(names) > 10
    return elapsed


def walk_raw(path: Path) -> float:
    """``h5py.File`` + ``visititems``."""
    names: list[str] = []
    t0 = now()
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: names.append(name))
    return now() - t0


def walk_raw_tables(path: Path) -> float:
    """``tables.open_file`` + ``walk_nodes``: the floor of the PyTables backend."""
    import tables

    t0 = now()
    with quiet_warnings(), tables.open_file(str(path), "r") as f:
        names = [node._v_pathname for node in f.walk_nodes("/")]
    elapsed = now() - t0
    assert len(names) > 10
    return elapsed


def run(opts: Options) -> list[Result]:
    """Scenarios D and E (they need the scan file of scenario A)."""
    files: dict[str, Path] = opts.shared.get("scan_file", {})
    if not files:
        return [skipped(NAME_D, "needs scenario A's scan file"),
                skipped(NAME_E, "needs scenario A's scan file")]  # fmt: skip
    shape = opts.shared.get("scan_shape")
    repeats = 5 if opts.quick else 15
    results: list[Result] = []
    for backend, path in files.items():
        t = interleave(
            {
                "raw": lambda: load_raw(path),
                "h5layout": lambda: load_h5layout(path, backend),
            },
            repeats,
        )
        pm = None
        if opts.pymodaq and pymodaq_available():
            pm = statistics.median(load_pymodaq(path, backend) for _ in range(3)) * 1e3
        results.append(Result(NAME_D, backend, "load_data 1D detector + nav axes", "ms",
                              statistics.median(t["h5layout"]) * 1e3,
                              statistics.median(t["raw"]) * 1e3, 1.2, pymodaq=pm,
                              note=f"scan {shape}, file opened outside the clock"))  # fmt: skip
        walks = {"raw": lambda: walk_raw(path), "h5layout": lambda: walk_h5layout(path, backend)}
        if backend == "tables":
            walks["raw_lib"] = lambda: walk_raw_tables(path)
        w = interleave(walks, repeats)
        raw_lib = statistics.median(w["raw_lib"]) * 1e3 if "raw_lib" in w else None
        pm = None
        if opts.pymodaq and pymodaq_available():
            pm = statistics.median(walk_pymodaq(path, backend) for _ in range(3)) * 1e3
        what = "H5BrowserUtil" if has_module("h5layout.runtime.tools.browsing") else "H5Backend"
        results.append(Result(NAME_E, backend, "open + walk_nodes", "ms",
                              statistics.median(w["h5layout"]) * 1e3,
                              statistics.median(w["raw"]) * 1e3, 2.0, pymodaq=pm,
                              note=f"{what} vs h5py.File + visititems",
                              raw_lib=raw_lib))  # fmt: skip
    return results
