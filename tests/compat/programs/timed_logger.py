"""A timed logger: a detector's DataToExport appended with timestamps, plus log lines."""

from pathlib import Path
from typing import Any

import numpy as np
from pymodaq_data.data import DataRaw, DataToExport
from pymodaq_data.h5modules.data_saving import DataLoader, DataToExportTimedSaver
from pymodaq_data.h5modules.saving import H5SaverLowLevel


def run(path: Path, backend: str) -> dict[str, Any]:
    h5 = H5SaverLowLevel(save_type="logger", backend=backend)
    h5.init_file(path, new_file=True)
    det = h5.add_det_group(h5.raw_group, title="thermometer")
    saver = DataToExportTimedSaver(h5)
    shapes = []
    for k in range(5):
        temp = DataRaw("temperature", data=[np.array([20.0 + k])], units="K")
        trace = DataRaw("trace", data=[np.arange(3.0) + k])
        saver.add_data(det, DataToExport("thermo", data=[temp, trace]), timestamp=100.0 + k)
        h5.add_log(f"point {k}")
        node = h5.get_node("/RawData/Detector000/Data0D/CH00/EnlData00")
        shapes.append(node.attrs["shape"])  # read mid-session
    h5.close_file()

    h5 = H5SaverLowLevel(backend=backend)
    h5.init_file(path, mode="r")
    loader = DataLoader(h5)
    temps = loader.load_data("/RawData/Detector000/Data0D/CH00/EnlData00")
    traces = loader.load_data("/RawData/Detector000/Data1D/CH00/EnlData00")
    logs = h5.get_node("/RawData/Logger").read()
    time_axis = h5.get_node("/RawData/Detector000/NavAxes/Axis00")
    result = {
        "shapes": shapes, "temps": temps, "traces": traces, "logs": logs,
        "time_axis": time_axis.read(), "time_attrs": time_axis.attrs["label"],
    }  # fmt: skip
    h5.close_file()
    return result
