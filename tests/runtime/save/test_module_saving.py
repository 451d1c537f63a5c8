"""Module savers: a detector, an actuator, a scan or a logging session saved at once.

Modules are a protocol: plain objects (``types.SimpleNamespace`` with ``title`` and
``settings_xml``), PyMoDAQ-like objects whose ``settings`` is a parameter tree (the
:class:`~tests.runtime.conftest.Parameter` stand-in, no GUI), and a
DAQ_Scan-like object listing its modules in ``modules_manager``.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from h5layout.runtime.codec.settings import MAX_ATTRIBUTE_BYTES, module_settings, settings_from_xml
from h5layout.runtime.errors import DataValueError
from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import Axis, DataRaw, DataToExport, DataWithAxes
from h5layout.runtime.save.modules import (
    ActuatorSaver,
    DetectorEnlargeableSaver,
    DetectorExtendedSaver,
    DetectorSaver,
    LoggerSaver,
    ScanSaver,
    read_settings,
)
from h5layout.runtime.storage.h5backend import CARRAY, GROUP, H5Backend, Node, StringARRAY
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

from ...conftest import check_parameter_xml
from ..conftest import BACKENDS, Parameter, detector_tree, values_equal

HDF5_ATTRIBUTE_LIMIT = 64 * 1024


# -- helpers -------------------------------------------------------------------------------


def plain(title: str, settings_xml: str | None = None, **more: Any) -> types.SimpleNamespace:
    """A plain Python module."""
    return types.SimpleNamespace(title=title, settings_xml=settings_xml, **more)


class FakeViewer:
    """A DAQ_Viewer-like module: ``title`` and a parameter tree as ``settings``."""

    def __init__(self, title: str, settings: Parameter | None = None) -> None:
        self.title = title
        self.settings = settings if settings is not None else detector_tree()


class FakeScan:
    """A DAQ_Scan-like module giving its modules through ``modules_manager``."""

    def __init__(self, title: str, detectors: list[Any], actuators: list[Any]) -> None:
        self.title = title
        self.settings = Parameter(
            "settings", children=[Parameter("scan_type", "list", "Scan type", "Scan1D")]
        )
        self.modules_manager = types.SimpleNamespace(detectors=detectors, actuators=actuators)


@pytest.fixture
def saver(backend: str, tmp_path: Path) -> Iterator[H5SaverLowLevel]:
    """A new file opened by the low-level saver with the backend under test."""
    h5 = H5SaverLowLevel(save_type="detector", backend=backend)
    h5.init_file(tmp_path / f"mod_{backend}.h5", new_file=True)
    yield h5
    h5.close_file()


def reopen(path: Path, backend: str) -> H5SaverLowLevel:
    """``path`` opened read-only with h5layout's saver."""
    h5 = H5SaverLowLevel(backend=backend)
    h5.init_file(path, mode="r")
    return h5


def check_all_settings(h5: H5Backend) -> int:
    """Every ``*settings*`` attribute in the file is PyMoDAQ parameter XML; returns how many."""
    count = 0
    for node in h5.walk_nodes("/"):
        for name, value in h5.get_attr(node).items():
            if "settings" in name:
                check_parameter_xml(str(value))
                count += 1
    return count


def group(h5: H5Backend, path: str) -> GROUP:
    node = h5.get_node(path)
    assert isinstance(node, GROUP), path
    return node


def read(h5: H5Backend, path: str) -> Any:
    """The content of the array at ``path``."""
    node = h5.get_node(path)
    assert isinstance(node, CARRAY), path
    return node.read()


def spectrum(origin: str, k: float, timestamp: float | None = None) -> DataToExport:
    """A detector's output: one 0D item with two channels and one 1D item with an axis."""
    return DataToExport(
        origin,
        [
            DataRaw(
                "counts",
                data=[np.array([k]), np.array([-k])],
                labels=["up", "down"],
                units="V",
            ),
            DataRaw(
                "spectrum",
                data=[np.arange(5.0) * k],
                axes=[Axis("wavelength", "nm", data=np.linspace(400.0, 500.0, 5), index=0)],
            ),
        ],
        timestamp=timestamp,
    )


def stacked(points: list[DataWithAxes], nav_axes: list[Axis]) -> DataWithAxes:
    """What a scan or log of ``points`` loads as: arrays stacked along navigation axes."""
    first = points[0]
    n_nav = len(nav_axes)
    signal_axes = []
    for ax in first.axes:
        moved = ax.copy()
        moved.index = ax.index + n_nav
        signal_axes.append(moved)
    data = [np.stack([p.data[i] for p in points]) for i in range(first.length)]
    if first.dim.name == "Data0D":  # a point of shape (1,) adds no dimension
        data = [array.reshape(array.shape[:-1]) for array in data]
    return DataRaw(
        first.name,
        data=data,
        labels=first.labels,
        units=first.units,
        axes=[*nav_axes, *signal_axes],
        nav_indexes=tuple(range(n_nav)),
    )


# -- the module protocol -------------------------------------------------------------------


def test_a_module_needs_a_title() -> None:
    with pytest.raises(DataValueError, match="title"):
        DetectorSaver(types.SimpleNamespace(settings_xml=None))


def test_unbound_saver_says_so() -> None:
    with pytest.raises(DataValueError, match="no h5saver"):
        _ = DetectorSaver(plain("cam")).h5saver


@pytest.mark.parametrize(
    "module",
    [
        plain("cam", settings_xml=None),
        plain("cam", settings_xml="<settings><p>1</p></settings>"),
        FakeViewer("cam"),
        types.SimpleNamespace(title="cam"),
    ],
    ids=["plain-none", "plain-xml", "parameter-tree", "title-only"],
)
def test_module_protocol(saver: H5SaverLowLevel, module: Any) -> None:
    det = DetectorSaver(module)
    det.h5saver = saver
    node = det.get_set_node()
    assert det.module is module
    assert det.module_group is not None and det.module_group.path == node.path
    assert node.path == "/RawData/Detector000"
    assert node.title == "cam"
    assert node.attrs["type"] == "detector"
    xml = read_settings(node)
    check_parameter_xml(xml)
    assert xml == module_settings(module)
    assert check_all_settings(saver) >= 1


def test_parameter_tree_settings_are_saved_with_their_values(saver: H5SaverLowLevel) -> None:
    det = DetectorSaver(FakeViewer("cam"))
    det.h5saver = saver
    tree = settings_from_xml(read_settings(det.get_set_node()))
    assert tree["title"] == "Detector settings"
    main = {c["name"]: c["value"] for c in tree["children"][0]["children"]}
    assert main == {
        "DAQ_type": "DAQ1D",
        "Naverage": 5,
        "exposure": 12.5,
        "continuous": True,
        "live": False,
    }


# -- node lookup ---------------------------------------------------------------------------


def test_nodes_found_by_title_and_numbering(saver: H5SaverLowLevel) -> None:
    cam = DetectorSaver(plain("cam"))
    cam.h5saver = saver
    assert cam.get_last_node() is None
    assert cam.get_last_node_index() == -1
    assert cam.get_next_node_name() == "Detector000"

    first = cam.get_set_node()
    other = DetectorSaver(plain("other"))
    other.h5saver = saver
    assert other.get_set_node().path == "/RawData/Detector001"

    again = DetectorSaver(plain("cam"))
    again.h5saver = saver
    assert again.get_set_node().path == first.path  # found by title, nothing created
    assert cam.get_set_node(name="third").path == "/RawData/Detector002"
    assert cam.get_set_node(name="other").path == "/RawData/Detector001"

    last = cam.get_last_node()
    assert last is not None and last.path == "/RawData/Detector002"
    assert cam.module_group is not None and cam.module_group.path == last.path
    assert cam.get_last_node_index() == 2
    assert cam.get_next_node_name() == "Detector003"
    assert sorted(saver.get_children(saver.raw_group)) == [
        "Detector000",
        "Detector001",
        "Detector002",
        "Logger",
    ]
    # a group of another type with the same title is not the detector's
    act = ActuatorSaver(plain("cam"))
    act.h5saver = saver
    assert act.get_set_node().path == "/RawData/Actuator000"
    assert act.get_next_node_name() == "Actuator001"


def test_nodes_under_another_group(saver: H5SaverLowLevel) -> None:
    scan = saver.add_scan_group(saver.raw_group, title="scan")
    det = DetectorSaver(plain("cam"))
    det.h5saver = saver
    assert det.get_next_node_name(scan) == "Detector000"
    assert det.get_set_node(scan).path == scan.path + "/Detector000"
    assert det.get_last_node_index(scan) == 0
    assert det.get_last_node_index() == -1  # none right under the raw group


# -- detector savers -----------------------------------------------------------------------


def test_detector_saver(saver: H5SaverLowLevel, backend: str) -> None:
    det = DetectorSaver(FakeViewer("cam"))
    det.h5saver = saver
    dte = spectrum("cam", 2.0)
    det.add_data(None, dte)
    det.add_bkg(None, spectrum("cam", 0.5))
    det.flush()
    path = saver.filename
    saver.close_file()

    h5 = reopen(Path(path), backend)
    try:
        assert group(h5, "/RawData/Detector000").title == "cam"
        loader = DataLoader(h5)
        counts = loader.load_data("/RawData/Detector000/Data0D/CH00/Data00", load_all=True)
        assert counts == dte[0]
        spec = loader.load_data("/RawData/Detector000/Data1D/CH00/Data00")
        assert spec == dte[1]
        bkg = read(h5, "/RawData/Detector000/Data1D/CH00/Bkg00")
        np.testing.assert_array_equal(bkg, np.arange(5.0) * 0.5)
        assert check_all_settings(h5) == 1
    finally:
        h5.close_file()


def test_detector_enlargeable_saver(saver: H5SaverLowLevel, backend: str) -> None:
    det = DetectorEnlargeableSaver(plain("cam"))
    det.h5saver = saver
    points = [spectrum("cam", float(k), timestamp=100.0 + k) for k in range(4)]
    for dte in points:
        det.add_data(None, dte)
    path = Path(saver.filename)
    saver.close_file()

    h5 = reopen(path, backend)
    try:
        loader = DataLoader(h5)
        time = loader.load_data("/RawData/Detector000/Data0D/CH00/EnlData00").axes
        times = [ax for ax in time if ax.label == "time"]
        assert len(times) == 1
        np.testing.assert_array_equal(times[0].get_data(), [100.0, 101.0, 102.0, 103.0])
        counts = loader.load_data("/RawData/Detector000/Data0D/CH00/EnlData00", load_all=True)
        np.testing.assert_array_equal(counts.data[0], [0.0, 1.0, 2.0, 3.0])
        np.testing.assert_array_equal(counts.data[1], -counts.data[0])
        spec = read(h5, "/RawData/Detector000/Data1D/CH00/EnlData00")
        np.testing.assert_array_equal(spec, np.stack([p[1].data[0] for p in points]))
        assert group(h5, "/RawData/Detector000").attrs["type"] == "detector"
    finally:
        h5.close_file()


def test_detector_extended_saver(saver: H5SaverLowLevel, backend: str) -> None:
    scan = saver.add_scan_group(saver.raw_group, title="grid")
    det = DetectorExtendedSaver(plain("cam"), (2, 3))
    det.h5saver = saver
    node = det.get_set_node(scan)
    node_path = node.path
    nav = [
        Axis("y", "mm", data=np.array([0.0, 5.0]), index=0),
        Axis("x", "mm", data=np.array([1.0, 2.0, 4.0]), index=1),
    ]
    det.add_nav_axes(scan, nav)
    points = {}
    for i in range(2):
        for j in range(3):
            points[(i, j)] = spectrum("cam", 10.0 * i + j)
            det.add_data(node, points[(i, j)], (i, j))
    path = Path(saver.filename)
    saver.close_file()

    h5 = reopen(path, backend)
    try:
        loaded = DataLoader(h5).load_data(node_path + "/Data0D/CH00/Data00", load_all=True)
        assert loaded.nav_indexes == (0, 1)
        expected = np.array([[10.0 * i + j for j in range(3)] for i in range(2)])
        np.testing.assert_array_equal(loaded.data[0], expected)
        np.testing.assert_array_equal(loaded.data[1], -expected)
        got_nav = sorted((ax for ax in loaded.axes if ax.index < 2), key=lambda a: a.index)
        assert got_nav == nav
        spec = read(h5, node_path + "/Data1D/CH00/Data00")
        assert spec.shape == (2, 3, 5)
        np.testing.assert_array_equal(spec[1, 2], points[(1, 2)][1].data[0])
    finally:
        h5.close_file()


def test_extended_nav_axes_default_to_the_module_group(saver: H5SaverLowLevel) -> None:
    det = DetectorExtendedSaver(plain("cam"), (2,))
    det.h5saver = saver
    node = det.get_set_node()
    det.add_nav_axes(None, [Axis("t", "s", data=np.array([0.0, 1.0]), index=0)])
    np.testing.assert_array_equal(read(saver, node.path + "/NavAxes/Axis00"), [0.0, 1.0])


def test_actuator_saver(saver: H5SaverLowLevel, backend: str) -> None:
    act = ActuatorSaver(FakeViewer("stage", Parameter("settings")))
    act.h5saver = saver
    for k in range(3):
        act.add_data(
            None, DataToExport("stage", [DataRaw("pos", data=[np.array([0.5 * k])])], 7.0 + k)
        )
    path = Path(saver.filename)
    saver.close_file()

    h5 = reopen(path, backend)
    try:
        node = group(h5, "/RawData/Actuator000")
        assert (node.title, node.attrs["type"]) == ("stage", "actuator")
        loaded = DataLoader(h5).load_data("/RawData/Actuator000/Data0D/CH00/EnlData00")
        np.testing.assert_array_equal(loaded.data[0].reshape(-1), [0.0, 0.5, 1.0])
        assert [ax.get_data().tolist() for ax in loaded.axes if ax.label == "time"] == [
            [7.0, 8.0, 9.0]
        ]
        assert check_all_settings(h5) == 1
    finally:
        h5.close_file()


# -- settings too large for an attribute ----------------------------------------------------


def big_tree(n: int = 1500) -> Parameter:
    """Settings of many modules: well over HDF5's 64 kB attribute limit once written."""
    return Parameter(
        "settings",
        children=[
            Parameter(
                f"module{m}",
                children=[
                    Parameter(f"p{k}", "str", f"Parameter {k}", "x" * 40) for k in range(n // 10)
                ],
            )
            for m in range(10)
        ],
    )


def test_large_settings_go_to_a_dataset(saver: H5SaverLowLevel, backend: str) -> None:
    module = FakeViewer("big", big_tree())
    xml = module_settings(module)
    assert len(xml.encode()) > HDF5_ATTRIBUTE_LIMIT
    det = DetectorSaver(module)
    det.h5saver = saver
    det.add_data(None, spectrum("big", 1.0))
    small = DetectorSaver(plain("small"))
    small.h5saver = saver
    small.get_set_node()
    path = Path(saver.filename)
    saver.close_file()

    h5 = reopen(path, backend)
    try:
        node = group(h5, "/RawData/Detector000")
        pointer = str(node.attrs["settings"])
        assert len(pointer.encode()) < MAX_ATTRIBUTE_BYTES
        check_parameter_xml(pointer)
        assert "/RawData/Detector000/Settings" in pointer
        strings = h5.get_node("/RawData/Detector000/Settings")
        assert isinstance(strings, StringARRAY)
        assert strings.read() == [xml]
        assert read_settings(node) == xml
        # a small one stays in its attribute
        assert read_settings(group(h5, "/RawData/Detector001")) == module_settings(plain("small"))
        assert check_all_settings(h5) == 2
        data = DataLoader(h5).load_data("/RawData/Detector000/Data1D/CH00/Data00")
        assert data == spectrum("big", 1.0)[1]
    finally:
        h5.close_file()
    with h5py.File(path, "r") as f:
        assert len(f["RawData/Detector000"].attrs["settings"]) < HDF5_ATTRIBUTE_LIMIT


@pytest.mark.parametrize("pm_backend", BACKENDS)
def test_pymodaq_data_opens_large_settings(
    saver: H5SaverLowLevel, pm_backend: str, tmp_path: Path
) -> None:
    pm_saving = pytest.importorskip("pymodaq_data.h5modules.saving")
    module = FakeViewer("big", big_tree())
    det = DetectorSaver(module)
    det.h5saver = saver
    det.add_data(None, spectrum("big", 3.0))
    path = Path(saver.filename)
    saver.close_file()

    pm = pm_saving.H5SaverLowLevel(backend=pm_backend)
    pm.init_file(path, mode="r")
    try:
        paths = {node.path for node in pm.walk_nodes("/")}
        assert "/RawData/Detector000/Settings" in paths
        pointer = pm.get_node("/RawData/Detector000").attrs["settings"]
        check_parameter_xml(pointer)
        assert pm.get_node("/RawData/Detector000/Settings").read() == [module_settings(module)]
        pm_data = pm.get_node("/RawData/Detector000/Data1D/CH00/Data00").read()
        np.testing.assert_array_equal(pm_data, np.arange(5.0) * 3.0)
    finally:
        pm.close_file()


# -- external files ------------------------------------------------------------------------


def write_source(path: Path, backend: str) -> None:
    h5 = H5SaverLowLevel(save_type="detector", backend=backend)
    h5.init_file(path, new_file=True, metadata={"operator": "me"})
    h5.add_log("source log line")
    # a title with braces is a title, not a JSON envelope
    det = DetectorEnlargeableSaver(FakeViewer("src {camera: 1}"))
    det.h5saver = h5
    for k in range(2):
        det.add_data(None, spectrum("src", float(k), timestamp=float(k)))
    h5.close_file()


def test_large_settings_of_a_copied_group_are_its_own(
    saver: H5SaverLowLevel, tmp_path: Path
) -> None:
    source = tmp_path / "source.h5"
    src = H5SaverLowLevel(save_type="detector", backend=saver.backend)
    src.init_file(source, new_file=True)
    src_module = FakeViewer("src", big_tree(1000))
    src_det = DetectorSaver(src_module)
    src_det.h5saver = src
    src_det.get_set_node()
    src.close_file()

    module = FakeViewer("cam", big_tree(1200))
    det = DetectorSaver(module)
    det.h5saver = saver
    det.get_set_node()
    target = det.add_external_h5(source)
    copied = group(saver, target.path + "/RawData/Detector000")
    # its pointer names /RawData/Detector000/Settings, which in this file is cam's
    assert read_settings(copied) == module_settings(src_module)
    assert read_settings(group(saver, "/RawData/Detector000")) == module_settings(module)
    assert module_settings(module) != module_settings(src_module)


def tree_of(h5: H5Backend, top: str) -> dict[str, tuple[str, dict[str, Any], Any]]:
    """Class, attributes and content of every node under ``top``, by relative path."""
    skip = {"VERSION", "EXTDIM", "PYTABLES_FORMAT_VERSION"}  # each backend writes its own
    out = {}
    for node in h5.walk_nodes(top):
        rel = node.path[len(top) :] if top != "/" else node.path
        if not rel or rel == "/":
            continue
        attrs = {k: v for k, v in h5.get_attr(node).items() if k not in skip}
        content = None if isinstance(node, GROUP) else node_content(node)
        out[rel] = (type(node).__name__, attrs, content)
    return out


def node_content(node: Node) -> Any:
    assert isinstance(node, CARRAY), node.path
    value = node.read()
    return [np.asarray(v) for v in value] if isinstance(value, list) else np.asarray(value)


def same_content(a: Any, b: Any) -> bool:
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same_content, a, b))
    return bool(np.array_equal(a, b))


@pytest.mark.parametrize("source_backend", BACKENDS)
@pytest.mark.parametrize("given_as", ["path", "open"])
def test_add_external_h5(
    saver: H5SaverLowLevel, tmp_path: Path, source_backend: str, given_as: str
) -> None:
    source = tmp_path / f"source_{source_backend}.h5"
    write_source(source, source_backend)
    det = DetectorSaver(plain("cam"))
    det.h5saver = saver
    det.get_set_node()
    if given_as == "path":
        target = det.add_external_h5(source)
    else:
        other = H5Backend(source_backend)
        other.open_file(source, "r")
        try:
            target = det.add_external_h5(other)
            assert other.isopen()  # an open file given by the caller stays open
        finally:
            other.close_file()
    target_path = target.path
    assert target_path == "/RawData/Detector000/External_h5000"
    assert target.attrs["type"] == "external_h5"
    path = Path(saver.filename)
    saver.close_file()

    src = H5Backend(source_backend)
    src.open_file(source, "r")
    dst = reopen(path, saver.backend)
    try:
        want = tree_of(src, "/")
        got = tree_of(dst, target_path)
        assert set(got) == set(want)
        for rel, (cls, attrs, content) in want.items():
            got_cls, got_attrs, got_content = got[rel]
            assert got_cls == cls, rel
            assert set(got_attrs) == set(attrs), rel
            for name, value in attrs.items():
                assert values_equal(got_attrs[name], value), f"{rel}@{name}"
            if content is not None:
                assert same_content(got_content, content), rel
        assert read(dst, target_path + "/RawData/Logger") == ["source log line"]
        assert group(dst, target_path + "/RawData/Detector000").title == "src {camera: 1}"
        assert check_all_settings(dst) >= 3
    finally:
        src.close_file()
        dst.close_file()


# -- rebinding -------------------------------------------------------------------------------


def test_h5saver_rebinding_saves_into_the_second_file(backend: str, tmp_path: Path) -> None:
    files = [tmp_path / "first.h5", tmp_path / "second.h5"]
    det = DetectorEnlargeableSaver(plain("cam"))
    for k, path in enumerate(files):
        h5 = H5SaverLowLevel(save_type="detector", backend=backend)
        h5.init_file(path, new_file=True)
        det.h5saver = h5
        assert det.h5saver is h5
        assert det.module_group is None  # the old file's group is forgotten
        for row in range(k + 1):
            det.add_data(None, spectrum("cam", float(row)))
        h5.close_file()
    for k, path in enumerate(files):
        h5 = reopen(path, backend)
        try:
            rows = read(h5, "/RawData/Detector000/Data1D/CH00/EnlData00")
            assert rows.shape == (k + 1, 5)
            assert group(h5, "/RawData/Detector000").title == "cam"
        finally:
            h5.close_file()


def test_scan_saver_rebinding(backend: str, tmp_path: Path) -> None:
    scan = FakeScan("scan", [plain("d1")], [plain("a")])
    ss = ScanSaver(scan, (2,))
    for name in ("one.h5", "two.h5"):
        h5 = H5SaverLowLevel(save_type="scan", backend=backend)
        h5.init_file(tmp_path / name, new_file=True)
        ss.h5saver = h5
        ss.add_nav_axes([Axis("a", "mm", data=np.array([0.0, 1.0]), index=0)])
        for i in range(2):
            ss.add_data(DataToExport("d1", [DataRaw("v", data=[np.array([float(i)])])]), (i,))
        h5.close_file()
        h5 = reopen(tmp_path / name, backend)
        try:
            got = read(h5, "/RawData/Scan000/Detector000/Data0D/CH00/Data00")
            np.testing.assert_array_equal(got, [0.0, 1.0])
        finally:
            h5.close_file()


# -- scans -----------------------------------------------------------------------------------


def test_scan_needs_a_shape() -> None:
    with pytest.raises(DataValueError, match="scan shape"):
        ScanSaver(FakeScan("s", [], []))


def test_scan_shape_from_the_module(saver: H5SaverLowLevel) -> None:
    scan = plain("s", detectors=[plain("d1")], actuators=[], scan_shape=(2, 2))
    ss = ScanSaver(scan)
    assert ss.extended_shape == (2, 2)
    ss.h5saver = saver
    for i in range(2):
        for j in range(2):
            ss.add_data(DataToExport("d1", [DataRaw("v", data=[np.array([i + j / 10])])]), (i, j))
    saver.flush()
    got = read(saver, "/RawData/Scan000/Detector000/Data0D/CH00/Data00")
    np.testing.assert_allclose(got, [[0.0, 0.1], [1.0, 1.1]])


def test_scan_refuses_items_of_no_detector(saver: H5SaverLowLevel) -> None:
    ss = ScanSaver(plain("s", detectors=[plain("d1")], actuators=[], scan_shape=(2,)))
    ss.h5saver = saver
    ss.get_set_node(new=True)
    stray = DataToExport("x", [DataRaw("v", data=[np.array([1.0])], origin="ghost")])
    with pytest.raises(DataValueError, match="ghost/v"):
        ss.add_data(stray, (0,))
    assert "Detector000" not in saver.get_node("/RawData/Scan000").children_name()


def test_scan_groups(saver: H5SaverLowLevel) -> None:
    ss = ScanSaver(FakeScan("s", [plain("d1")], []), (2,))
    ss.h5saver = saver
    first = ss.get_set_node(new=True)
    assert first.path == "/RawData/Scan000"
    assert ss.get_set_node().path == first.path  # the current (last) scan
    assert ss.get_set_node(new=True).path == "/RawData/Scan001"
    assert ss.get_last_node_index() == 1
    assert ss.get_next_node_name() == "Scan002"
    assert settings_from_xml(read_settings(first))["children"][0]["value"] == "Scan1D"


SCAN_POINTS = 4


def scan_points() -> tuple[list[Axis], list[DataToExport]]:
    """Navigation axis and the DataToExport of each point of the scan of two detectors."""
    nav = [Axis("stage", "mm", data=np.array([0.0, 0.5, 1.5, 3.0]), index=0)]
    points = []
    for i in range(SCAN_POINTS):
        one = spectrum("det1", float(i + 1))
        two = DataToExport(
            "det2",
            [
                DataRaw(
                    "image",
                    data=[np.arange(6.0).reshape(2, 3) + i],
                    units="counts",
                    axes=[
                        Axis("y", "um", data=np.array([-1.0, 1.0]), index=0),
                        Axis("x", "um", data=np.array([0.0, 2.0, 4.0]), index=1),
                    ],
                )
            ],
        )
        points.append(DataToExport("scan", [*one, *two]))
    return nav, points


def expected_scan(nav: list[Axis], points: list[DataToExport]) -> dict[str, DataWithAxes]:
    """What each detector's arrays load as, by path under the scan group."""
    out = {}
    for where, position in (
        ("Detector000/Data0D/CH00/Data00", 0),
        ("Detector000/Data1D/CH00/Data00", 1),
        ("Detector001/Data2D/CH00/Data00", 2),
    ):
        out[where] = stacked([p[position] for p in points], nav)
    return out


@pytest.fixture
def scan_file(backend: str, tmp_path: Path) -> Path:
    """A scan of two detectors along one actuator, written by ScanSaver."""
    d1, d2, act = FakeViewer("det1"), plain("det2"), FakeViewer("stage", Parameter("settings"))
    daq_scan = FakeScan("my scan", [d1, d2], [act])
    h5 = H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(tmp_path / f"scan_{backend}.h5", new_file=True)
    ss = ScanSaver(daq_scan, (SCAN_POINTS,))
    ss.h5saver = h5
    scan = ss.get_set_node(new=True)
    nav, points = scan_points()
    ss.add_nav_axes(nav)
    for i, dte in enumerate(points):
        ss.add_data(dte, (i,))
    assert scan.path == "/RawData/Scan000"
    h5.close_file()
    return tmp_path / f"scan_{backend}.h5"


def test_scan_loads_in_h5layout(scan_file: Path, backend: str) -> None:
    nav, points = scan_points()
    h5 = reopen(scan_file, backend)
    try:
        scan = group(h5, "/RawData/Scan000")
        assert (scan.title, scan.attrs["type"]) == ("my scan", "scan")
        assert group(h5, "/RawData/Scan000/Detector000").title == "det1"
        assert group(h5, "/RawData/Scan000/Detector001").title == "det2"
        assert check_all_settings(h5) == 3
        loader = DataLoader(h5)
        for where, want in expected_scan(nav, points).items():
            got = loader.load_data("/RawData/Scan000/" + where, load_all=True)
            assert got == want, where
            assert got.name == want.name
    finally:
        h5.close_file()


@pytest.mark.parametrize("pm_backend", BACKENDS)
def test_scan_loads_in_pymodaq_data(scan_file: Path, pm_backend: str) -> None:
    pm_saving = pytest.importorskip("pymodaq_data.h5modules.saving")
    pm_data_saving = pytest.importorskip("pymodaq_data.h5modules.data_saving")
    pm_data = pytest.importorskip("pymodaq_data.data")
    nav, points = scan_points()
    pm = pm_saving.H5SaverLowLevel(backend=pm_backend)
    pm.init_file(scan_file, mode="r")
    try:
        loader = pm_data_saving.DataLoader(pm)
        for where, want in expected_scan(nav, points).items():
            with warnings.catch_warnings():
                # pymodaq_data warns so on its own scan files too (it passes the stored
                # per-point dimension, then corrects it from the shape)
                warnings.simplefilter("ignore", pm_data.DataDimWarning)
                got = loader.load_data("/RawData/Scan000/" + where, load_all=True)
            assert got.name == want.name, where
            assert got.labels == want.labels, where
            assert got.units == want.units, where
            assert tuple(got.nav_indexes) == want.nav_indexes, where
            assert len(got) == len(want)
            for mine, theirs in zip(want, got, strict=True):
                np.testing.assert_array_equal(theirs, mine)
            got_axes = sorted(got.axes, key=lambda a: a.index)
            want_axes = sorted(want.axes, key=lambda a: a.index)
            assert [(a.label, a.units, a.index) for a in got_axes] == [
                (a.label, a.units, a.index) for a in want_axes
            ], where
            for a, b in zip(got_axes, want_axes, strict=True):
                np.testing.assert_allclose(a.get_data(), b.get_data())
            # and as a whole, through pymodaq_data's own equality
            assert got == want.to_pymodaq(), where
    finally:
        pm.close_file()


# -- logger sessions --------------------------------------------------------------------------


def test_logger_session(saver: H5SaverLowLevel, backend: str) -> None:
    d1, d2, act = plain("det1"), FakeViewer("det2"), plain("stage")
    logger = plain("logger", detectors=[d1, d2], actuators=[act])
    ls = LoggerSaver(logger)
    ls.h5saver = saver
    sent: dict[str, list[DataToExport]] = {"det1": [], "det2": [], "stage": []}
    for k in range(3):
        for name, dte in (
            ("stage", DataToExport("stage", [DataRaw("pos", data=[np.array([k / 2])])], 50.0 + k)),
            ("det1", spectrum("det1", float(k), timestamp=10.0 + k)),
            ("det2", DataToExport("det2", [DataRaw("v", data=[np.array([k * 3.0])])], 20.0 + k)),
        ):
            ls.add_data(dte)
            sent[name].append(dte)
    with pytest.raises(DataValueError, match="nobody"):
        ls.add_data(DataToExport("nobody", [DataRaw("v", data=[np.array([1.0])])]))
    assert ls.get_set_node().path == "/RawData"
    path = Path(saver.filename)
    saver.close_file()

    h5 = reopen(path, backend)
    try:
        modules = {
            (g.title, str(g.attrs["type"])): g.path
            for g in h5.get_children(h5.raw_group).values()
            if isinstance(g, GROUP)
        }
        assert modules == {
            ("stage", "actuator"): "/RawData/Actuator000",
            ("det1", "detector"): "/RawData/Detector000",
            ("det2", "detector"): "/RawData/Detector001",
        }
        loader = DataLoader(h5)
        for (title, _), where in modules.items():
            items = sent[title]
            times = [d.timestamp for d in items]
            for position, dwa in enumerate(items[0]):
                dim = dwa.dim.name
                got = loader.load_data(f"{where}/{dim}/CH00/EnlData00", load_all=True)
                assert got.name == dwa.name
                for ch in range(dwa.length):
                    np.testing.assert_array_equal(
                        got.data[ch], np.squeeze(np.stack([d[position].data[ch] for d in items]))
                    )
                time = [ax for ax in got.axes if ax.label == "time"]
                assert len(time) == 1
                np.testing.assert_array_equal(time[0].get_data(), times)
        # three modules and the logging session itself (on the raw group)
        assert check_all_settings(h5) == 4
        assert read_settings(h5.raw_group) == module_settings(logger)
    finally:
        h5.close_file()


def test_logger_with_modules_manager(saver: H5SaverLowLevel) -> None:
    logger = FakeScan("logger", [plain("d1"), plain("d2")], [plain("a")])
    ls = LoggerSaver(logger)
    ls.h5saver = saver
    for name in ("a", "d2", "d1", "d2"):
        ls.add_data(DataToExport(name, [DataRaw("v", data=[np.array([1.0])])]))
    rows = {
        g.title: g.path
        for g in saver.get_children(saver.raw_group).values()
        if isinstance(g, GROUP)
    }
    assert rows == {
        "a": "/RawData/Actuator000",
        "d2": "/RawData/Detector000",
        "d1": "/RawData/Detector001",
    }
    saver.flush()  # enlargeable arrays grow by blocks; a flush trims them
    d2 = read(saver, "/RawData/Detector000/Data0D/CH00/EnlData00")
    assert d2.shape[0] == 2
