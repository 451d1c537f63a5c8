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
from h5layout.runtime.codec.attrs import read_attr

from ..conftest import check_parameter_xml


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


_BROWSER_PANEL = """
import sys
from pymodaq_data.h5modules.browsing import H5BrowserUtil
from pymodaq_gui.parameter import Parameter, ioxml

util = H5BrowserUtil(backend=sys.argv[2])
util.open_file(sys.argv[1])
failures, nodes = [], 0
for node in util.walk_nodes("/"):
    nodes += 1
    # what H5Browser.show_h5_attributes does with a node's settings attributes
    _attrs, settings, _scan_settings, _pixmaps = util.get_h5_attributes(node.path)
    for xml in settings:
        try:
            Parameter.create(**ioxml.xml_string_to_parameter_dict(xml))
        except Exception as exc:
            failures.append(f"{node.path}: {type(exc).__name__}: {exc}")
util.close_file()
print(nodes, failures)
"""


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_pymodaq_browser_parses_every_settings_panel(backend: str, tmp_path: Path) -> None:
    """PyMoDAQ's own browser code (pymodaq_data's H5BrowserUtil and pymodaq_gui's
    parameter XML parser, as ``H5Browser.show_h5_attributes`` calls them) on every node of
    the quick start's file."""
    pytest.importorskip("pymodaq_gui.parameter")
    import os
    import subprocess
    import sys

    path = tmp_path / "run1.h5"
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True, metadata={"operator": "ana"})
    scan = h5.add_scan_group(title="map")
    det = h5.add_det_group(scan, title="spectrometer")
    saver = DataToExportExtendedSaver(h5, extended_shape=(2, 2))
    saver.add_nav_axes(
        scan,
        [
            Axis("x", "mm", data=np.arange(2.0), index=0),
            Axis("y", "mm", data=np.arange(2.0), index=1),
        ],
    )
    for i in range(2):
        for j in range(2):
            spectrum = DataRaw("spectrum", data=[np.random.rand(8)], units="counts")
            saver.add_data(det, DataToExport("point", data=[spectrum]), indexes=(i, j))
    h5.close_file()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _BROWSER_PANEL, str(path), backend],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    nodes, failures = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert int(nodes) > 10 and failures == "[]", failures
