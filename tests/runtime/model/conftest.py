"""Helpers shared by the data model tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from h5layout.pymodaq import (
    Axis,
    DataRaw,
    DataToExport,
    DataToExportExtendedSaver,
    H5SaverLowLevel,
)


def write_map_scan(path: Path, backend: str, spread: bool) -> None:
    """A scan of spectra (and a temperature) on a 3x2 grid, or at 4 spread points."""
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    scan = h5.add_scan_group(title="map")
    det = h5.add_det_group(scan, title="spectro")
    wl = Axis("wavelength", "nm", data=np.linspace(500.0, 540.0, 5), index=0)
    if spread:
        saver = DataToExportExtendedSaver(h5, (4,))
        xs, ys = np.array([0.0, 1.0, 0.5, 3.0]), np.array([2.0, 0.0, 1.0, 1.5])
        saver.add_nav_axes(
            scan,
            [Axis("x", "mm", data=xs, index=0, spread_order=0),
             Axis("y", "um", data=ys, index=0, spread_order=1)],
        )  # fmt: skip
        points: list[tuple[int, ...]] = [(i,) for i in range(4)]
    else:
        saver = DataToExportExtendedSaver(h5, (3, 2))
        saver.add_nav_axes(
            scan,
            [Axis("x", "mm", data=np.arange(3.0), index=0),
             Axis("y", "um", data=np.array([1.0, 4.0]), index=1)],
        )  # fmt: skip
        points = [(i, j) for i in range(3) for j in range(2)]
    for k, idx in enumerate(points):
        spectrum = DataRaw(
            "spectrum",
            data=[np.arange(5.0) + 10 * k],
            axes=[wl],
            units="counts",
            labels=["intensity"],
        )
        temp = DataRaw("temp", data=[np.array([k + 0.5])], units="K", labels=["T"])
        dte = DataToExport("pt", data=[spectrum, temp])
        saver.add_data(det, dte, idx, distribution="spread" if spread else "uniform")
    h5.close_file()
