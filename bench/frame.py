"""C. Big frame: one 2048×2048 float64 with two axes, written then loaded back."""

# ruff: noqa: B023  (the lambdas run at once, inside the loop iteration that made them)
from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from bench.common import (
    Options,
    Result,
    copy_layout,
    pymodaq_available,
    quiet_warnings,
    write_layout,
)
from bench.timing import interleave, now

NAME = "C big frame"
DATA = "/RawData/Detector000/Data2D/CH00/Data00"


def _frame(n: int) -> np.ndarray:
    return np.random.default_rng(0).random((n, n))


def _classes(lib: str) -> dict[str, Any]:
    if lib == "h5layout":
        from h5layout.runtime.load import loader as data_loading
        from h5layout.runtime.model import data
        from h5layout.runtime.save import dte as dte_saving
        from h5layout.runtime.storage import lowlevel as saving

        return {"Saver": saving.H5SaverLowLevel, "DTES": dte_saving.DataToExportSaver,
                "Loader": data_loading.DataLoader, "Axis": data.Axis, "DataRaw": data.DataRaw,
                "DTE": data.DataToExport}  # fmt: skip
    with quiet_warnings():
        from pymodaq_data import data as pm_data
        from pymodaq_data.h5modules import data_saving as pm_ds
        from pymodaq_data.h5modules import saving as pm_saving
    loader = vars(pm_ds)["DataLoader"]  # re-exported there; not visible to type checkers
    return {"Saver": pm_saving.H5SaverLowLevel, "DTES": pm_ds.DataToExportSaver,
            "Loader": loader, "Axis": pm_data.Axis, "DataRaw": pm_data.DataRaw,
            "DTE": pm_data.DataToExport}  # fmt: skip


def write_library(lib: str, backend: str, path: Path, frame: np.ndarray) -> float:
    """Save the frame with the library's DataToExportSaver; seconds (file creation excluded)."""
    c = _classes(lib)
    n = frame.shape[0]
    with quiet_warnings():
        h5 = c["Saver"](save_type="detector", backend=backend)
        h5.init_file(Path(path), new_file=True)
        det = h5.add_det_group(h5.raw_group, "camera")
        saver = c["DTES"](h5)
        dte = c["DTE"]("camera", [c["DataRaw"]("frame", data=[frame], axes=[
            c["Axis"]("y", "px", np.arange(n, dtype=np.float64), index=0),
            c["Axis"]("x", "px", np.arange(n, dtype=np.float64), index=1)])])  # fmt: skip
        t0 = now()
        saver.add_data(det, dte)
        h5.flush()
        elapsed = now() - t0
        h5.close_file()
    return elapsed


def read_library(lib: str, backend: str, path: Path) -> float:
    """Load the frame with the library's DataLoader; seconds (opening excluded)."""
    c = _classes(lib)
    with quiet_warnings():
        h5 = c["Saver"](backend=backend)
        h5.init_file(Path(path), mode="r")
        loader = c["Loader"](h5)
        t0 = now()
        dwa = loader.load_data(DATA)
        elapsed = now() - t0
        assert dwa.data[0].shape[-1] > 1
        h5.close_file()
    return elapsed


def _timed_nodes(layout: list[Any]) -> list[Any]:
    """The saver's part of the layout (below the detector group): what the clock covers."""
    det = DATA.split("/Data2D")[0]
    return [n for n in layout if n.path.startswith(det + "/")]


def write_raw(path: Path, layout: list[Any], frame: np.ndarray) -> float:
    """The same frame, axes and attributes with plain h5py."""
    f = h5py.File(path, "w")
    # The skeleton down to the detector group is made before the clock starts, as on the
    # h5layout side; the saver's part (Data2D/CH00 groups, frame, axes) is timed.
    timed_nodes = _timed_nodes(layout)
    write_layout(f, [n for n in layout if n not in timed_nodes])
    f.flush()
    t0 = now()
    for node in timed_nodes:
        if node.is_group:
            f.create_group(node.path).attrs.update(node.attrs)
            continue
        data = frame if node.path == DATA else node.data
        ds = f.create_dataset(node.path, data=data, chunks=node.chunks)
        for key, value in node.attrs.items():
            ds.attrs[key] = value
    f.flush()
    elapsed = now() - t0
    f.close()
    return elapsed


def read_raw(path: Path) -> float:
    """Read the frame, its axes and attributes with plain h5py."""
    with h5py.File(path, "r") as f:
        t0 = now()
        ds = f[DATA]
        data = ds[()]
        attrs = dict(ds.attrs)
        group = ds.parent
        axes = [group[k][()] for k in group if k.startswith("Axis")]
        elapsed = now() - t0
    assert data.shape[-1] > 1 and attrs and len(axes) == 2
    return elapsed


def write_raw_tables(path: Path, layout: list[Any], frame: np.ndarray) -> float:
    """The same nodes with plain PyTables (the floor of the PyTables backend).

    Arrays written whole as PyTables writes them fastest (``create_array``, contiguous),
    attributes as PyTables stores them.
    """
    import tables

    timed_nodes = _timed_nodes(layout)
    with quiet_warnings():
        f = tables.open_file(str(path), "w")
        for node in layout:  # the skeleton (groups above the detector), untimed
            if node.is_group and node not in timed_nodes and node.path != "/":
                where, name = node.path.rsplit("/", 1)
                f.create_group(where or "/", name)
        f.flush()
        t0 = now()
        for node in timed_nodes:
            where, name = node.path.rsplit("/", 1)
            if node.is_group:
                obj = f.create_group(where, name)
            else:
                data = frame if node.path == DATA else node.data
                obj = f.create_array(where, name, obj=data)
            for key, value in node.attrs.items():
                if key not in ("CLASS", "VERSION", "TITLE"):
                    obj._v_attrs[key] = value
        f.flush()
        elapsed = now() - t0
        f.close()
    return elapsed


def read_raw_tables(path: Path) -> float:
    """Read the frame, its axes and the frame's attributes with plain PyTables."""
    import tables

    with quiet_warnings(), tables.open_file(str(path), "r") as f:
        t0 = now()
        node = f.get_node(DATA)
        data = node.read()
        attrs = {k: node._v_attrs[k] for k in node._v_attrs._f_list("all")}
        group = node._v_parent
        axes = [group._f_get_child(k).read() for k in group._v_children if k.startswith("Axis")]
        elapsed = now() - t0
    assert data.shape[-1] > 1 and attrs and len(axes) == 2
    return elapsed


def run(opts: Options) -> list[Result]:
    """Scenario C on every backend."""
    n = 2048
    repeats = 3 if opts.quick else 7
    frame = _frame(n)
    mb = frame.nbytes / 2**20
    wd = opts.workdir
    template = wd / "frame_template.h5"
    write_library("h5layout", "h5py", template, frame)
    layout = copy_layout(template)
    results: list[Result] = []
    for backend in opts.backends:
        h5l, raw = wd / f"frame_{backend}.h5", wd / f"frame_raw_{backend}.h5"
        writes = {"raw": lambda: write_raw(raw, layout, frame),
                  "h5layout": lambda: write_library("h5layout", backend, h5l, frame)}  # fmt: skip
        reads = {"raw": lambda: read_raw(raw),
                 "h5layout": lambda: read_library("h5layout", backend, h5l)}  # fmt: skip
        if backend == "tables":
            raw_tables = wd / "frame_raw_pytables.h5"
            writes["raw_lib"] = lambda: write_raw_tables(raw_tables, layout, frame)
            reads["raw_lib"] = lambda: read_raw_tables(raw_tables)
        w = interleave(writes, repeats)
        r = interleave(reads, repeats)
        lib_w = mb / statistics.median(w["raw_lib"]) if "raw_lib" in w else None
        lib_r = mb / statistics.median(r["raw_lib"]) if "raw_lib" in r else None
        pm_w = pm_r = None
        if opts.pymodaq and pymodaq_available():
            pm_file = wd / f"frame_pm_{backend}.h5"
            pm_w = mb / statistics.median(
                write_library("pymodaq", backend, pm_file, frame) for _ in range(2)
            )
            pm_r = mb / statistics.median(
                read_library("pymodaq", backend, pm_file) for _ in range(2)
            )
        note = f"{n}x{n} float64 ({mb:.0f} MB), {repeats} interleaved runs, flush included"
        results.append(Result(NAME, backend, "write throughput", "MB/s",
                              mb / statistics.median(w["h5layout"]),
                              mb / statistics.median(w["raw"]), 0.9, ">=", pm_w, note,
                              raw_lib=lib_w))  # fmt: skip
        results.append(Result(NAME, backend, "read throughput (load_data)", "MB/s",
                              mb / statistics.median(r["h5layout"]),
                              mb / statistics.median(r["raw"]), 0.9, ">=", pm_r,
                              raw_lib=lib_r))  # fmt: skip
    return results
