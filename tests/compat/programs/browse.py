"""A file browsed with H5BrowserUtil: scans, attributes, loading through the browser."""

from pathlib import Path
from typing import Any

import numpy as np
from pymodaq_data.data import Axis, DataRaw, DataToExport
from pymodaq_data.h5modules.browsing import H5BrowserUtil
from pymodaq_data.h5modules.data_saving import DataLoader, DataToExportSaver
from pymodaq_data.h5modules.saving import H5SaverLowLevel


def run(path: Path, backend: str) -> dict[str, Any]:
    h5 = H5SaverLowLevel(save_type="detector", backend=backend)
    h5.init_file(path, new_file=True, metadata={"sample": "S1"})
    det = h5.add_det_group(h5.raw_group, title="camera", settings_as_xml="<camera/>")
    h5.add_data_group(det, "Data2D", metadata={"pixmap2D": "png-bytes"})
    frame = DataRaw("frame", data=[np.arange(6.0).reshape(2, 3)], units="counts",
                    axes=[Axis("col", "px", data=np.arange(3.0), index=1)])  # fmt: skip
    DataToExportSaver(h5).add_data(det, DataToExport("camera", data=[frame]))
    h5.close_file()

    browser = H5BrowserUtil(backend=backend)
    browser.open_file(path, "r")
    scans = browser.get_h5file_scans()
    attrs, settings, scan_settings, pixmaps = browser.get_h5_attributes("/RawData/Detector000")
    loaded = DataLoader(browser).load_data("/RawData/Detector000/Data2D/CH00/Data00")
    raw_attrs = browser.get_node("/RawData").attrs.to_dict()
    result = {
        "scans": [(s["scan_name"], s["path"], s["data"]) for s in scans],
        "det_type": attrs["type"], "settings": settings, "scan_settings": scan_settings,
        "pixmaps": pixmaps, "loaded": loaded, "sample": raw_attrs["sample"],
        "walk": [n.path for n in browser.walk_nodes("/RawData/Detector000")],
    }  # fmt: skip
    browser.close_file()
    return result
