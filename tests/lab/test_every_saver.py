"""Every saver a compiled module exports, under every shipped layout and the lab layout
(issue 14 item 3): the file it writes validates clean against the layout it was written
with, including layouts that require attributes on scans and detectors.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import h5layout
from h5layout.runtime.errors import MissingAttributeError

from .conftest import DET_ATTRS, FLIM_YAML, SCAN_ATTRS


class Ctx:
    """What a layout needs from a saver: attributes of scans and detectors, a dtype."""

    def __init__(
        self,
        module: ModuleType,
        scan: dict[str, Any],
        det: dict[str, Any],
        dtype: Any,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.m = module
        self.scan = scan
        self.det = det
        self.dtype = np.dtype(dtype)
        self.raw = raw or {}

    def spectrum(self, name: str = "spec", offset: float = 0.0, origin: str = "") -> Any:
        data = (np.arange(5) + offset).astype(self.dtype)
        x = self.m.Axis("x", "mm", data=np.linspace(0.0, 1.0, 5), index=0)
        return self.m.DataRaw(name, data=[data], axes=[x], origin=origin)

    def dte(self, offset: float = 0.0, origin: str = "") -> Any:
        return self.m.DataToExport("pt", data=[self.spectrum(offset=offset, origin=origin)])

    def saver(self, path: Path, save_type: str = "scan") -> Any:
        h5 = self.m.H5SaverLowLevel(save_type=save_type)
        h5.init_file(path, new_file=True, metadata=self.raw)
        return h5


def _module(title: str, **attrs: Any) -> Any:
    return types.SimpleNamespace(title=title, settings_xml=None, h5_attrs=attrs or None)


# -- one scenario per saver ------------------------------------------------------------------


def low_level(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    scan = h5.add_scan_group(title="s", **c.scan)
    det = h5.add_det_group(scan, title="d", **c.det)
    act = h5.add_act_group(scan, title="a")
    del act
    ch = h5.add_data_group(det, "Data1D")
    h5.add_ch_group(ch, title="c")
    h5.close_file()


def array_savers(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    det = h5.add_det_group(h5.raw_group, title="d", **c.det)
    group = h5.add_ch_group(h5.add_data_group(det, "Data1D"))
    c.m.DataSaverLoader(h5).add_data(group, c.spectrum())
    c.m.BkgSaver(h5).add_data(group, c.spectrum("bkg"))
    axis_group = h5.add_ch_group(h5.add_data_group(det, "Data0D"))
    c.m.AxisSaverLoader(h5).add_axis(axis_group, c.m.Axis("t", "s", data=np.arange(3.0)))
    h5.close_file()


def error_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    det = h5.add_det_group(h5.raw_group, title="d", **c.det)
    group = h5.add_ch_group(h5.add_data_group(det, "Data1D"))
    spec = c.spectrum()
    spec.errors = [np.full(5, 0.1).astype(c.dtype)]
    c.m.DataSaverLoader(h5).add_data(group, spec)
    c.m.ErrorSaverLoader  # noqa: B018  (reached through DataSaverLoader's error bars)
    h5.close_file()


def enlargeable_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path, "detector")
    det = h5.add_det_group(h5.raw_group, title="d", **c.det)
    group = h5.add_ch_group(h5.add_data_group(det, "Data1D"))
    saver = c.m.DataEnlargeableSaver(h5)
    for i in range(3):
        saver.add_data(group, c.spectrum(offset=i))
    h5.close_file()


def extended_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    scan = h5.add_scan_group(title="s", **c.scan)
    det = h5.add_det_group(scan, title="d", **c.det)
    group = h5.add_ch_group(h5.add_data_group(det, "Data1D"))
    saver = c.m.DataExtendedSaver(h5, (2,))
    for i in range(2):
        saver.add_data(group, c.spectrum(offset=i), (i,))
    h5.close_file()


def dte_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    det = h5.add_det_group(h5.raw_group, title="d", **c.det)
    saver = c.m.DataToExportSaver(h5)
    saver.add_data(det, c.dte())
    saver.add_bkg(det, c.dte(1.0))
    h5.close_file()


def dte_enlargeable_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path, "detector")
    det = h5.add_det_group(h5.raw_group, title="d", **c.det)
    saver = c.m.DataToExportEnlargeableSaver(h5, axis_name="step", axis_units="")
    for i in range(3):
        saver.add_data(det, c.dte(i), axis_values=[float(i)])
    h5.close_file()


def dte_timed_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path, "detector")
    det = h5.add_det_group(h5.raw_group, title="d", **c.det)
    saver = c.m.DataToExportTimedSaver(h5)
    for i in range(3):
        saver.add_data(det, c.dte(i))
    h5.close_file()


def dte_extended_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    scan = h5.add_scan_group(title="s", **c.scan)
    det = h5.add_det_group(scan, title="d", **c.det)
    saver = c.m.DataToExportExtendedSaver(h5, (3,))
    saver.add_nav_axes(scan, [c.m.Axis("pos", "mm", data=np.arange(3.0), index=0)])
    for i in range(3):
        saver.add_data(det, c.dte(i), (i,))
    h5.close_file()


def detector_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path, "detector")
    saver = c.m.DetectorSaver(_module("cam"))
    saver.h5saver = h5
    saver.get_set_node(**c.det)  # the typed keyword arguments
    saver.add_data(None, c.dte())
    h5.close_file()


def detector_enlargeable_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path, "detector")
    saver = c.m.DetectorEnlargeableSaver(_module("cam", **c.det))  # the module's mapping
    saver.h5saver = h5
    for i in range(3):
        saver.add_data(None, c.dte(i))
    h5.close_file()


def detector_extended_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    scan = h5.add_scan_group(title="s", **c.scan)
    saver = c.m.DetectorExtendedSaver(_module("cam", **c.det), (2,))
    saver.h5saver = h5
    saver.get_set_node(scan)
    saver.add_nav_axes(None, [c.m.Axis("pos", "mm", data=np.arange(2.0), index=0)])
    for i in range(2):
        saver.add_data(None, c.dte(i), (i,))
    h5.close_file()


def actuator_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path, "actuator")
    saver = c.m.ActuatorSaver(_module("stage"))
    saver.h5saver = h5
    pos = c.m.DataToExport("stage", data=[c.m.DataRaw("stage", data=[np.array([1.0])])])
    saver.add_data(None, pos)
    h5.close_file()


def scan_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    cam = _module("cam", **c.det)  # detector groups are created implicitly: the mapping
    scan = types.SimpleNamespace(title="scan", settings_xml=None, detectors=[cam], actuators=[])
    saver = c.m.ScanSaver(scan, extended_shape=(2,))
    saver.h5saver = h5
    saver.get_set_node(new=True, **c.scan)  # the typed keyword arguments
    saver.add_nav_axes([c.m.Axis("pos", "mm", data=np.arange(2.0), index=0)])
    for i in range(2):
        saver.add_data(c.dte(i, origin="cam"), (i,))
    h5.close_file()


def scan_saver_from_mapping(c: Ctx, path: Path) -> None:
    h5 = c.saver(path)
    cam = _module("cam", **c.det)
    scan = types.SimpleNamespace(
        title="scan", settings_xml=None, detectors=[cam], actuators=[], h5_attrs=c.scan
    )
    saver = c.m.ScanSaver(scan, extended_shape=(2,))
    saver.h5saver = h5
    for i in range(2):  # the scan group is created on the first point, from the mapping
        saver.add_data(c.dte(i, origin="cam"), (i,))
    h5.close_file()


def logger_saver(c: Ctx, path: Path) -> None:
    h5 = c.saver(path, "logger")
    cam = _module("cam", **c.det)
    session = types.SimpleNamespace(title="log", settings_xml=None, detectors=[cam], actuators=[])
    saver = c.m.LoggerSaver(session)
    saver.h5saver = h5
    for i in range(2):
        saver.add_data(c.m.DataToExport("cam", data=[c.spectrum(offset=i)]))
    h5.close_file()


SCENARIOS: dict[str, Callable[[Ctx, Path], None]] = {
    "H5SaverLowLevel": low_level,
    "DataSaverLoader+BkgSaver+AxisSaverLoader": array_savers,
    "ErrorSaverLoader": error_saver,
    "DataEnlargeableSaver": enlargeable_saver,
    "DataExtendedSaver": extended_saver,
    "DataToExportSaver": dte_saver,
    "DataToExportEnlargeableSaver": dte_enlargeable_saver,
    "DataToExportTimedSaver": dte_timed_saver,
    "DataToExportExtendedSaver": dte_extended_saver,
    "DetectorSaver": detector_saver,
    "DetectorEnlargeableSaver": detector_enlargeable_saver,
    "DetectorExtendedSaver": detector_extended_saver,
    "ActuatorSaver": actuator_saver,
    "ScanSaver": scan_saver,
    "ScanSaver(h5_attrs)": scan_saver_from_mapping,
    "LoggerSaver": logger_saver,
}

#: the lab layout: attributes required on scans and detectors
LAYOUTS = ("pymodaq", "raman_map", "flim_map")


def _ctx(layout: str) -> Ctx:
    if layout == "flim_map":
        return Ctx(h5layout.load_layout(FLIM_YAML), SCAN_ATTRS, DET_ATTRS, np.float64)
    if layout == "raman_map":
        scan = {"sample_id": "S0042", "operator": "ana", "temperature": 4.2}
        return Ctx(h5layout.load_layout("raman_map"), scan, {}, np.float32)
    return Ctx(h5layout.load_layout(layout), {}, {}, np.float64)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_saver_writes_valid_files(layout: str, scenario: str, tmp_path: Path) -> None:
    c = _ctx(layout)
    path = tmp_path / f"{layout}.h5"
    SCENARIOS[scenario](c, path)
    report = c.m.validate(path)
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors == [], [(f.code, f.where, f.message) for f in errors]
    if c.scan and "scan" in scenario.lower():
        with c.m.DataLoader(path) as loader:
            scans = loader.get_node("/RawData").children()
            scan = next(g for g in scans.values() if g.attrs.get("type") == "scan")
            for key, value in c.scan.items():
                assert scan.attrs[key] == value


def test_module_savers_refuse_missing_attributes_before_writing(tmp_path: Path) -> None:
    c = _ctx("flim_map")
    h5 = c.saver(tmp_path / "f.h5")
    scan = types.SimpleNamespace(title="scan", settings_xml=None, detectors=[], actuators=[])
    saver = c.m.ScanSaver(scan, extended_shape=(2,))
    saver.h5saver = h5
    with pytest.raises(MissingAttributeError) as err:
        saver.get_set_node(new=True, sample_id="S0001")
    for attr in ("operator", "temperature", "laser_line"):
        assert attr in str(err.value)
    assert list(h5.raw_group.children()) == ["Logger"]
    det = c.m.DetectorSaver(_module("cam"))
    det.h5saver = h5
    with pytest.raises(MissingAttributeError, match="serial"):
        det.get_set_node()
    h5.close_file()


def test_camera_logger_savers(tmp_path: Path) -> None:
    """``camera_logger`` holds one camera of timed uint16 1024x1280 frames: its saver."""
    m = h5layout.load_layout("camera_logger")
    path = tmp_path / "cam.h5"
    h5 = m.H5SaverLowLevel(save_type="logger")
    h5.init_file(path, new_file=True, metadata={"operator": "ana"})
    cam = m.DetectorEnlargeableSaver(_module("camera"))
    cam.h5saver = h5
    cam.get_set_node(exposure=12.5)
    for i in range(2):
        frame = np.full((1024, 1280), i, dtype=np.uint16)
        cam.add_data(None, m.DataToExport("camera", data=[m.DataRaw("frame", data=[frame])]))
    h5.close_file()
    report = m.validate(path)
    assert [f for f in report.findings if f.severity == "error"] == []


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_savers_under_a_layout_they_do_not_fit(scenario: str, tmp_path: Path) -> None:
    """``camera_logger`` declares one camera of uint16 1024x1280 frames and nothing else
    (``undeclared: error``): a saver writing anything else is refused with an h5layout
    error before writing, or writes a file whose every departure validate reports. Never a
    foreign exception."""
    from h5layout.runtime.errors import LayoutError

    m = h5layout.load_layout("camera_logger")
    c = Ctx(m, {}, {"exposure": 10.0}, np.uint16, raw={"operator": "ana"})
    path = tmp_path / "f.h5"
    try:
        SCENARIOS[scenario](c, path)
    except LayoutError:
        return
    report = m.validate(path)
    assert any(f.severity == "error" for f in report.findings)
    assert not any(f.code == "internal-error" for f in report.findings)
