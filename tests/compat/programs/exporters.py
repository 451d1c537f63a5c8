"""The exporters: a spectrum node written as text, NumPy and FLIMJ ascii files."""

from pathlib import Path
from typing import Any

import numpy as np
from pymodaq_data.data import Axis, DataRaw
from pymodaq_data.h5modules.browsing import H5BrowserUtil
from pymodaq_data.h5modules.data_saving import DataSaverLoader
from pymodaq_data.h5modules.exporter import ExporterFactory
from pymodaq_data.h5modules.saving import H5SaverLowLevel


def run(path: Path, backend: str) -> dict[str, Any]:
    h5 = H5SaverLowLevel(save_type="detector", backend=backend)
    h5.init_file(path, new_file=True)
    det = h5.add_det_group(h5.raw_group, title="spectrometer")
    group = h5.get_set_group(det, "Data2D")
    data = DataRaw("map", data=[np.arange(12.0).reshape(3, 4)],
                   axes=[Axis("x", "mm", data=np.arange(4.0), index=1)])  # fmt: skip
    DataSaverLoader(h5).add_data(group, data)
    h5.close_file()

    filters = ExporterFactory.get_file_filters()
    browser = H5BrowserUtil(backend=backend)
    browser.open_file(path, "r")
    node = "/RawData/Detector000/Data2D/Data00"
    out: dict[str, Any] = {"filters": sorted(filters.split(";;"))}
    for ext, description in (("txt", "Text files"), ("npy", "Binary NumPy format"),
                             ("ascii", "Ascii flimj file")):  # fmt: skip
        target = path.with_name(f"export.{ext}")
        exporter = ExporterFactory.create_exporter(ext, description)
        exporter.export_data(browser.get_node(node), target)
        out[ext] = np.load(target) if ext == "npy" else np.loadtxt(target)
    browser.export_data(node, path.with_name("via_browser.txt"), "Text files (*.txt)")
    out["via_browser"] = np.loadtxt(path.with_name("via_browser.txt"))
    try:
        ExporterFactory.create_exporter("xyz", "Nothing")
    except ValueError as exc:
        out["unknown"] = type(exc).__name__ != ""
    browser.close_file()
    return out
