"""The low-level API never writes a settings attribute the browser cannot parse (issue 14
item 5): PyMoDAQ's H5Browser parses every attribute whose name contains ``settings`` as a
parameter tree (reference §11), and ``''`` fails there."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.pymodaq import (
    Axis,
    DataRaw,
    DataToExport,
    DataToExportExtendedSaver,
    H5SaverLowLevel,
)
from h5layout.runtime.attrs import read_attr
from tests.runtime.test_settings_xml import check_parameter_xml


def _settings_attrs(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}

    def visit(name: str, obj: object) -> None:
        attrs = getattr(obj, "attrs", {})
        for key in attrs:
            if "settings" in key:
                found[f"/{name}@{key}"] = read_attr(attrs[key])

    with h5py.File(path, "r") as f:
        visit("", f)
        f.visititems(visit)
    return found


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_quick_start_file_has_parseable_settings_everywhere(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "run1.h5"
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True, metadata={"operator": "ana"})
    scan = h5.add_scan_group(title="map")
    det = h5.add_det_group(scan, title="spectrometer")
    h5.add_act_group(scan, title="stage")
    h5.add_ch_group(h5.add_data_group(det, "Data1D"), title="c")
    saver = DataToExportExtendedSaver(h5, extended_shape=(2,))
    saver.add_nav_axes(scan, [Axis("x", "mm", data=np.arange(2.0), index=0)])
    for i in range(2):
        spectrum = DataRaw("spectrum", data=[np.random.rand(8)], units="counts")
        saver.add_data(det, DataToExport("point", data=[spectrum]), indexes=(i,))
    h5.close_file()
    found = _settings_attrs(path)
    assert "/RawData/Scan000@settings" in found
    assert "/RawData/Scan000/Detector000@settings" in found
    for where, xml in found.items():
        if where.endswith("@settings]"):
            continue  # pymodaq_data's historic attribute name, not written by h5layout
        check_parameter_xml(xml)
