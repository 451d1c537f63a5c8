"""``h5layout demo``: the main job on the embedded default (local h5py files).

It walks through what h5layout is for, printing each step:

1. a 2D scan (two detectors) and a timed log written with the compiled PyMoDAQ layout
   (``h5layout.pymodaq``, the drop-in for ``pymodaq_data.h5modules``);
2. a Raman map written with the worked custom layout ``raman_map`` (compiled on first use
   by ``load_layout``), whose scan groups require ``sample_id``, ``operator`` and
   ``temperature``: a call without them is refused before anything is written;
3. the node tree of the scan file;
4. every file checked with ``validate``, and a scan point read back with ``DataLoader``
   (and with pymodaq_data's own loader when it is installed).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from h5layout.runtime.model.data import DataToExport

# numpy and the compiled layouts are imported by the steps that use them (``h5layout demo
# --help`` imports neither)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``h5layout demo``."""
    parser.add_argument(
        "-o", "--output", type=Path, default=None, help="folder for the files (default: a temp dir)"
    )
    parser.add_argument(
        "--backend", default="h5py", choices=["h5py", "tables"], help="storage backend"
    )
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def _point(i: int, j: int) -> DataToExport:
    """One scan point: a 0D detector with two channels and a 1D spectrum with its axis."""
    import numpy as np

    import h5layout.pymodaq as pm

    wavelength = pm.Axis("wavelength", "nm", data=np.linspace(500.0, 600.0, 64), index=0)
    spectrum = np.exp(-(((np.arange(64) - 20 - 2 * i - j) / 6.0) ** 2))
    return pm.DataToExport(
        "point",
        data=[
            pm.DataRaw("power", data=[np.array([float(i)]), np.array([float(j)])],
                       labels=["x_power", "y_power"], units="mW", origin="powermeter"),
            pm.DataRaw("spectrum", data=[spectrum], axes=[wavelength], units="counts",
                       origin="spectrometer"),
        ],
    )  # fmt: skip


def _write_pymodaq_scan(path: Path, backend: str, progress: bool) -> None:
    import numpy as np

    import h5layout.pymodaq as pm
    from h5layout.cli.progress import Bar

    shape = (6, 4)
    h5 = pm.H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True, metadata={"operator": "demo"})
    scan = h5.add_scan_group(title="2D scan")
    saver = pm.DataToExportExtendedSaver(h5, shape)
    saver.add_nav_axes(scan, [
        pm.Axis("x", "mm", data=np.linspace(0.0, 5.0, shape[0]), index=0),
        pm.Axis("y", "mm", data=np.linspace(0.0, 3.0, shape[1]), index=1),
    ])  # fmt: skip
    detectors = {
        "powermeter": h5.add_det_group(scan, title="powermeter"),
        "spectrometer": h5.add_det_group(scan, title="spectrometer"),
    }
    bar = Bar(shape[0] * shape[1], "scan points", enabled=progress)
    for i in range(shape[0]):
        for j in range(shape[1]):
            point = _point(i, j)
            for origin, group in detectors.items():
                items = [d for d in point if d.origin == origin]
                saver.add_data(group, pm.DataToExport(origin, data=items), indexes=(i, j))
            bar.update(i * shape[1] + j + 1)
    bar.close()
    h5.add_log("scan finished")
    h5.close_file()


def _write_pymodaq_log(path: Path, backend: str) -> None:
    import numpy as np

    import h5layout.pymodaq as pm

    with pm.DataToExportTimedSaver(pm.H5SaverLowLevel(save_type="logger", backend=backend)) as log:
        h5 = log.h5saver
        h5.init_file(path, new_file=True)
        det = h5.add_det_group(h5.raw_group, title="thermometer")
        for k in range(50):
            reading = pm.DataRaw("temperature", data=[np.array([20.0 + 0.01 * k])], units="C")
            log.add_data(det, pm.DataToExport("log", data=[reading], timestamp=1.7e9 + k))


def _write_raman_map(path: Path, backend: str) -> list[str]:
    import numpy as np

    import h5layout

    raman = h5layout.load_layout("raman_map")
    out = []
    h5 = raman.H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    try:
        h5.add_scan_group(title="forgotten metadata")
    except TypeError as exc:
        out.append(f"  refused before writing: {exc}")
    try:
        h5.add_scan_group(sample_id="42", operator="ana", temperature=4.2)
    except h5layout.LayoutError as exc:
        out.append(f"  refused before writing: {exc}")
    scan = h5.add_scan_group(title="map", sample_id="S0042", operator="ana", temperature=4.2)
    out.append(f"  created {scan.path} with sample_id={scan.attrs['sample_id']!r}")
    saver = raman.DataToExportExtendedSaver(h5, (3, 3))
    det = h5.add_det_group(scan, title="ccd")
    for i in range(3):
        for j in range(3):
            counts = (np.arange(128, dtype=np.uint16) + i * 3 + j).astype(np.uint16)
            dte = raman.DataToExport("ccd", data=[raman.DataRaw("raman", data=[counts])])
            saver.add_data(det, dte, indexes=(i, j))
    h5.close_file()
    return out


def _look(scan_file: Path, path: str, out_dir: Path, backend: str) -> None:
    """Step 6: the scan point as xarray and as a picture (when the extras are installed)."""
    import importlib.util

    import h5layout.pymodaq as pm

    print("6. look at it (optional extras: h5layout[xarray], h5layout[plot])")
    with pm.DataLoader(scan_file, backend=backend) as loader:
        if importlib.util.find_spec("xarray") is not None:
            arr = loader.load_xarray(path)
            dims = ", ".join(f"{d}: {n}" for d, n in arr.sizes.items())
            print(f"  xarray: {arr.name!r} ({dims}), units {arr.attrs['units']!r}")
        else:
            print("  (xarray is not installed: pip install 'h5layout[xarray]')")
        if importlib.util.find_spec("matplotlib") is not None:
            from h5layout.runtime.model.plot import plot_dwa

            png = out_dir / "scan_map.png"
            plot_dwa(loader.load_data(path), png)  # whichever data model the loader returns
            print(f"  wrote {png} (the navigation map)")
        else:
            print("  (matplotlib is not installed: pip install 'h5layout[plot]')")


def run(args: argparse.Namespace) -> int:
    """Write the demo files, show one, validate all, read a point back."""
    import numpy as np

    import h5layout
    import h5layout.pymodaq as pm
    from h5layout.cli.inspect_cmd import tree_text
    from h5layout.finder import find_layout_spec
    from h5layout.runtime.tools.tree import load_tree

    out_dir = args.output or Path(tempfile.mkdtemp(prefix="h5layout-demo-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    be = args.backend
    scan_file, log_file, map_file = (out_dir / f"{n}_{be}.h5" for n in ("scan", "log", "raman_map"))

    print(f"1. PyMoDAQ layout (h5layout.pymodaq, {be}): a 6x4 scan and a 50-point timed log")
    from h5layout.cli.progress import wanted

    _write_pymodaq_scan(scan_file, be, wanted(args.no_progress))
    _write_pymodaq_log(log_file, be)
    print(f"  wrote {scan_file}\n  wrote {log_file}")

    print(
        "2. custom layout raman_map (extends pymodaq; scans need sample_id, operator, temperature)"
    )
    for line in _write_raman_map(map_file, be):
        print(line)
    print(f"  wrote {map_file}")

    print(f"3. the tree of {scan_file.name}")
    tree = load_tree(scan_file, layout=find_layout_spec(file=scan_file), backend=be)
    for line in tree_text(tree)[1:]:
        print("  " + line)

    print("4. validate")
    report = h5layout.validate(out_dir)
    for line in report.to_text(color=False).splitlines():
        print("  " + line)

    print("5. read back a scan point")
    with pm.DataLoader(scan_file, backend=be) as loader:
        path = "/RawData/Scan000/Detector001/Data1D/CH00/Data00"
        dwa = loader.load_data(path)
        print(f"  h5layout DataLoader: {dwa.name!r} shape={dwa.shape} nav_indexes={dwa.nav_indexes}"
              f" axes={[a.label for a in dwa.axes]}")  # fmt: skip
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pymodaq_data.h5modules.data_saving import DataLoader as PymodaqLoader
            from pymodaq_data.h5modules.saving import H5SaverLowLevel as PymodaqSaver

            ref = PymodaqSaver(backend=be)
            ref.init_file(scan_file, mode="r")
            other = PymodaqLoader(ref).load_data(path)
            same = bool(np.allclose(other.data[0], dwa.data[0], equal_nan=True))
            print(f"  pymodaq_data DataLoader: {other.name!r} shape={other.shape} equal={same}")
            ref.close_file()
    except ImportError:
        print("  (pymodaq_data is not installed: its loader is skipped)")
    _look(scan_file, path, out_dir, be)
    return 0 if report.summary()["errors"] == 0 else 1
