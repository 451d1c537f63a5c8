"""A 2D scan (3×2) with two detectors: a spectrometer (1D + axis) and a camera (2D + 0D)."""

from pathlib import Path
from typing import Any

import numpy as np
from pymodaq_data.data import Axis, DataRaw, DataToExport
from pymodaq_data.h5modules.data_saving import DataLoader, DataToExportExtendedSaver
from pymodaq_data.h5modules.saving import H5SaverLowLevel


def run(path: Path, backend: str) -> dict[str, Any]:
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True, metadata={"operator": "ana"})
    scan = h5.add_scan_group(title="map", settings_as_xml="<scan/>")
    spectro = h5.add_det_group(scan, title="spectrometer", settings_as_xml="<spectro/>")
    camera = h5.add_det_group(scan, title="camera")
    saver = DataToExportExtendedSaver(h5, extended_shape=(3, 2))
    saver.add_nav_axes(scan, [Axis("x", "mm", data=np.array([0.0, 1.0, 2.0]), index=0),
                              Axis("y", "mm", data=np.array([10.0, 20.0]), index=1)])  # fmt: skip
    for i in range(3):
        for j in range(2):
            # a new axis each time: pymodaq_data's saver changes the axes it is given
            wavelength = Axis("wavelength", "nm", data=np.linspace(500.0, 510.0, 8), index=0)
            spectrum = DataRaw("spectrum", data=[np.arange(8.0) * (i + 1) + j], units="V",
                               axes=[wavelength])  # fmt: skip
            image = DataRaw("image", data=[np.full((4, 5), float(i * 2 + j))])
            total = DataRaw("total", data=[np.array([float(i - j)])], units="V")
            saver.add_data(spectro, DataToExport("spectro", data=[spectrum]), indexes=(i, j))
            saver.add_data(camera, DataToExport("camera", data=[image, total]), indexes=(i, j))
    h5.close_file()

    with _loader(path, backend) as loader:
        spectra = loader.load_data("/RawData/Scan000/Detector000/Data1D/CH00/Data00")
        images = loader.load_data("/RawData/Scan000/Detector001/Data2D/CH00/Data00")
        totals = loader.load_data("/RawData/Scan000/Detector001/Data0D/CH00/Data00")
        everything = loader.load_all("/RawData/Scan000", DataToExport("all"))
        nav = loader.get_nav_group("/RawData/Scan000/Detector001/Data2D/CH00/Data00").path
        scan_attrs = loader.get_node("/RawData/Scan000").attrs.to_dict()
        nodes = sorted(node.path for node in loader.walk_nodes("/RawData/Scan000"))
    return {
        "spectra": spectra, "images": images, "totals": totals, "all": everything,
        "nav_group": nav, "scan_settings": scan_attrs["settings"],
        "scan_type": scan_attrs["type"], "nodes": nodes,
        "point": spectra.inav[1, 1],
    }  # fmt: skip


def _loader(path: Path, backend: str) -> Any:
    h5 = H5SaverLowLevel(backend=backend)
    h5.init_file(path, mode="r")
    return DataLoader(h5)
