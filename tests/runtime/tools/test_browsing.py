"""H5BrowserUtil, the exporter registry and the shipped exporters, on both backends."""

from __future__ import annotations

import hashlib
import logging
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from h5layout.runtime.errors import InvalidExport
from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import Axis, DataRaw, DataToExport
from h5layout.runtime.save.dte import DataToExportExtendedSaver, DataToExportSaver
from h5layout.runtime.storage.h5backend import CARRAY, Node
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel
from h5layout.runtime.tools import browsing
from h5layout.runtime.tools.browsing import (
    ExporterFactory,
    H5BrowserUtil,
    H5Exporter,
    H5h5Exporter,
    H5npyExporter,
    H5txtExporter,
)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _write(path: Path, backend: str) -> Path:
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    h5.add_log("hello")
    h5.add_log("µ world")
    scan = h5.add_scan_group(settings_as_xml="<s/>", metadata={"scan_settings": "<scan/>"})
    scan.attrs["pixmap2D"] = "PNGDATA"
    scan.attrs["pixmap1D"] = "other"
    saver = DataToExportExtendedSaver(h5, (3, 2))
    saver.add_nav_axes(scan, [Axis("x", "mm", data=np.arange(3.0), index=0),
                              Axis("y", "mm", data=np.array([1.0, 4.0]), index=1)])  # fmt: skip
    det = h5.add_det_group(scan, settings_as_xml="<det/>")
    for i in range(3):
        for j in range(2):
            dte = DataToExport("d", [
                DataRaw("spec", data=[np.arange(4.0) + 10 * i + j], units="V",
                        axes=[Axis("wl", "nm", data=np.arange(4.0) * 2, index=0)],
                        errors=[np.full(4, 0.5)]),
                DataRaw("img", data=[np.arange(6, dtype=np.uint16).reshape(2, 3) + i]),
            ])  # fmt: skip
            saver.add_data(det, dte, (i, j))
    det2 = h5.add_det_group(h5.raw_group)
    DataToExportSaver(h5).add_data(
        det2,
        DataToExport(
            "d", [DataRaw("nd", data=[np.arange(24.0).reshape(2, 3, 4)], nav_indexes=(0,))]
        ),
    )
    h5.close_file()
    return path


SPEC = "/RawData/Scan000/Detector000/Data1D/CH00/Data00"
IMG = "/RawData/Scan000/Detector000/Data2D/CH00/Data00"
ND = "/RawData/Detector000/DataND/CH00/Data00"


@pytest.fixture
def written(tmp_path: Path, backend: str) -> Path:
    return _write(tmp_path / f"b_{backend}.h5", backend)


def test_scans_and_attributes(written: Path, backend: str) -> None:
    digest = _md5(written)
    util = H5BrowserUtil(backend=backend)
    util.open_file(written)
    try:
        assert util.h5_file_name == written.name
        scans = util.get_h5file_scans()
        assert scans == [
            {"scan_name": "RawData_Scan000", "path": "/RawData/Scan000", "data": "PNGDATA"}
        ]
        attrs, settings, scan_settings, pixmaps = util.get_h5_attributes("/RawData/Scan000")
        assert attrs["type"] == "scan" and attrs["description"] == ""
        assert settings == ["<s/>"]
        assert scan_settings == "<scan/>"
        assert sorted(pixmaps) == ["PNGDATA", "other"]
        attrs, settings, scan_settings, pixmaps = util.get_h5_attributes(SPEC)
        assert attrs["units"] == "V" and settings == [] and scan_settings is None
        assert pixmaps == []
    finally:
        util.close_file()
    assert _md5(written) == digest  # browsing never writes


def test_default_backend_is_h5py() -> None:
    assert H5BrowserUtil().backend == "h5py"


def test_golden_attributes(golden_dir: Path) -> None:
    util = H5BrowserUtil()
    util.open_file(golden_dir / "dte_basic_h5py.h5")
    try:
        attrs, settings, scan_settings, _ = util.get_h5_attributes("/RawData/Detector000")
        assert attrs["type"] == "detector"
        assert settings and scan_settings is None
        # the reference's 'settings]' attribute counts as settings too
        _, settings, _, _ = util.get_h5_attributes("/RawData/Detector000/Data1D/CH00/Data00")
        assert settings and all(s.startswith("<") for s in settings)
        assert util.get_h5file_scans() == []
    finally:
        util.close_file()


@pytest.mark.parametrize("node", [SPEC, IMG, ND])
def test_txt_and_npy_exports(written: Path, backend: str, tmp_path: Path, node: str) -> None:
    util = H5BrowserUtil(backend=backend)
    util.open_file(written)
    try:
        expected = np.asarray(util.read(node))
        util.export_data(node, tmp_path / "out.npy", "Binary NumPy format (*.npy)")
        util.export_data(node, tmp_path / "out.txt")
    finally:
        util.close_file()
    got = np.load(tmp_path / "out.npy", allow_pickle=False)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    text = np.loadtxt(tmp_path / "out.txt", ndmin=2)
    assert np.allclose(text, expected.reshape((expected.shape[0], -1)), rtol=1e-6)


def test_txt_export_of_strings(written: Path, backend: str, tmp_path: Path) -> None:
    util = H5BrowserUtil(backend=backend)
    util.open_file(written)
    try:
        util.export_data("/RawData/Logger", tmp_path / "log.txt", "Text files")
    finally:
        util.close_file()
    assert (tmp_path / "log.txt").read_text().splitlines() == ["hello", "µ world"]


@pytest.mark.parametrize("node", [SPEC, IMG, ND])
def test_single_node_h5_export_loads_alike(
    written: Path, backend: str, tmp_path: Path, node: str
) -> None:
    util = H5BrowserUtil(backend=backend)
    util.open_file(written)
    try:
        original = DataLoader(util).load_data(node)
        source_attrs = util.get_node(node).attrs.to_dict()
        out = util.export_data(node, tmp_path / "node.h5", "Single node h5 file (*.h5)")
    finally:
        util.close_file()
    assert out == tmp_path / "node.h5"
    loader = DataLoader(out, backend=backend)
    try:
        name = node.rsplit("/", 1)[-1]
        copied = loader.get_node(f"/{name}")
        assert copied.attrs.to_dict() == source_attrs  # every attribute, same values
        assert loader.load_data(copied) == original
    finally:
        loader.close_file()


def test_h5_export_of_a_group(written: Path, backend: str, tmp_path: Path) -> None:
    util = H5BrowserUtil(backend=backend)
    util.open_file(written)
    try:
        util.export_data("/RawData/Scan000/Detector000", tmp_path / "group.h5")
        with pytest.raises(InvalidExport):
            util.export_data("/RawData/Scan000/Detector000", tmp_path / "group.txt")
        with pytest.raises(InvalidExport):
            util.export_data(SPEC, tmp_path / "data.xyz")
        with pytest.raises(InvalidExport):
            util.export_data(SPEC, tmp_path / "noext")
        with pytest.raises(InvalidExport):
            util.export_data("/nope", tmp_path / "x.npy")
    finally:
        util.close_file()
    loader = DataLoader(tmp_path / "group.h5", backend=backend)
    try:
        dwa = loader.load_data("/Detector000/Data1D/CH00/Data00")
        assert dwa.shape == (3, 2, 4) and dwa.errors is not None
    finally:
        loader.close_file()


def test_registry() -> None:
    filters = ExporterFactory.get_file_filters().split(";;")
    assert {
        "Text files (*.txt)",
        "Binary NumPy format (*.npy)",
        "Single node h5 file (*.h5)",
    } <= set(filters)
    assert ExporterFactory.get_format_from_filter("Text files (*.txt)") == "Text files"
    assert ExporterFactory.get_format_from_filter("Text files") == "Text files"
    assert isinstance(ExporterFactory.create_exporter("txt", "Text files"), H5txtExporter)
    assert isinstance(ExporterFactory.create_exporter(".npy"), H5npyExporter)
    assert isinstance(ExporterFactory.create_exporter("h5", None), H5h5Exporter)
    with pytest.raises(InvalidExport):
        ExporterFactory.create_exporter("txt", "Not a description")
    with pytest.raises(InvalidExport):
        ExporterFactory.create_exporter("nope")


class CsvExporter(H5Exporter):
    """A third-party exporter, found through an entry point."""

    FORMAT_EXTENSION = "csv"
    FORMAT_DESCRIPTION = "Comma separated"

    def export_data(self, node: Node, filename: str | Path) -> None:
        assert isinstance(node, CARRAY)
        np.savetxt(filename, np.asarray(node.read()).reshape(-1), delimiter=",")


class NotAnExporter:
    pass


def test_register_exporter_decorator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        ExporterFactory, "exporters_registry", dict(ExporterFactory.exporters_registry)
    )

    @ExporterFactory.register_exporter()
    class Mine(H5Exporter):
        FORMAT_EXTENSION = "mine"
        FORMAT_DESCRIPTION = "My format"

    assert isinstance(ExporterFactory.create_exporter("mine"), Mine)
    assert "My format (*.mine)" in ExporterFactory.get_file_filters()
    with pytest.raises(InvalidExport):

        @ExporterFactory.register_exporter()
        class Nameless(H5Exporter):
            pass


def test_entry_point_exporters(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, written: Path,
    backend: str, tmp_path: Path,
) -> None:  # fmt: skip
    group = browsing.ENTRY_POINT_GROUP
    points = [
        importlib_metadata.EntryPoint("csv", f"{__name__}:CsvExporter", group),
        importlib_metadata.EntryPoint("broken", "h5layout_no_such_module_xyz:Thing", group),
        importlib_metadata.EntryPoint("odd", f"{__name__}:NotAnExporter", group),
    ]
    seen: list[str] = []

    def fake_entry_points(**kw: Any) -> list[importlib_metadata.EntryPoint]:
        seen.append(kw.get("group", ""))
        return points

    monkeypatch.setattr(browsing.importlib_metadata, "entry_points", fake_entry_points)
    monkeypatch.setattr(
        ExporterFactory, "exporters_registry", dict(ExporterFactory.exporters_registry)
    )
    monkeypatch.setattr(ExporterFactory, "_entry_points_loaded", False)
    with caplog.at_level(logging.WARNING, logger="h5layout.runtime.tools.browsing"):
        filters = ExporterFactory.get_file_filters()
    assert seen == [group]
    assert "Comma separated (*.csv)" in filters
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "broken" in messages and "h5layout_no_such_module_xyz" in messages
    assert "odd" in messages
    util = H5BrowserUtil(backend=backend)
    util.open_file(written)
    try:
        util.export_data(SPEC, tmp_path / "x.csv", "Comma separated (*.csv)")
    finally:
        util.close_file()
    assert np.loadtxt(tmp_path / "x.csv", delimiter=",").shape == (24,)
