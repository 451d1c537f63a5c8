"""H5SaverLowLevel: every documented method, numbering, and files it must not touch."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.runtime.errors import DataValueError, FileAccessError
from h5layout.runtime.model.enums import GroupType, SaveType
from h5layout.runtime.storage.h5backend import CARRAY, EARRAY, GROUP, StringARRAY
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def saver(backend: str, tmp_path: Path) -> Iterator[H5SaverLowLevel]:
    s = H5SaverLowLevel(save_type=SaveType.detector, backend=backend)
    s.init_file(tmp_path / "low.h5", metadata={"operator": "me", "n": 3})
    yield s
    s.close_file()


def test_init_file_new(saver: H5SaverLowLevel, backend: str, tmp_path: Path) -> None:
    assert saver.backend == backend
    assert saver.h5_file_path == tmp_path
    assert saver.h5_file_name == "low.h5"
    root = saver.root().attrs
    assert root["TITLE"] == "PyMoDAQ file"
    assert root["file"] == "low.h5"
    assert root["pymodaq_data_version"]
    assert len(root["date"]) == 10 and root["date"][4] == "-"
    raw = saver.raw_group
    assert isinstance(raw, GROUP) and raw.path == "/RawData"
    assert raw.title == "Data from PyMoDAQ modules"
    assert raw.attrs["type"] == "detector"
    assert raw.attrs["operator"] == "me" and raw.attrs["n"] == 3
    assert "backend" not in raw.attrs
    logger = saver.get_node("/RawData/Logger")
    assert isinstance(logger, StringARRAY)
    assert logger.attrs["type"] == "log"
    assert logger.attrs["data_type"] == "strings"
    assert logger.attrs["shape"] == (0,)


def test_init_file_str_path_and_suffix(backend: str, tmp_path: Path) -> None:
    s = H5SaverLowLevel(backend=backend)
    assert s.init_file(str(tmp_path / "as_str.h5")) is True
    s.close_file()
    assert (tmp_path / "as_str.h5").is_file()
    assert s.init_file(tmp_path / "odd.dat") is True
    assert s.h5_file_name == "odd.h5"
    s.close_file()
    assert (tmp_path / "odd.h5").is_file()
    # reopening an existing file does not recreate it
    assert s.init_file(tmp_path / "as_str.h5") is False
    assert s.raw_group.attrs["type"] == "scan"
    s.close_file()


def test_from_file(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "ff.h5"
    s = H5SaverLowLevel.from_file(path, save_type="logger", backend=backend)
    try:
        assert s.isopen() and s.raw_group.attrs["type"] == "logger"
    finally:
        s.close_file()
    r = H5SaverLowLevel.from_file(path, mode="r", backend=backend)
    try:
        assert r.raw_group.attrs["type"] == "logger"
        assert not r.backend_impl.is_writable(r.h5file)
    finally:
        r.close_file()


def test_logger(saver: H5SaverLowLevel) -> None:
    saver.add_log("first")
    saver.add_log("sécond")
    logger = saver.get_set_logger()
    assert logger.path == "/RawData/Logger"
    assert logger.read() == ["first", "sécond"]
    assert logger.attrs["shape"] == (2,)
    assert saver.get_set_logger(saver.raw_group) == logger


def test_add_string_array(saver: H5SaverLowLevel) -> None:
    node = saver.add_string_array(saver.raw_group, "comments", title="c", metadata={"k": 1})
    assert node.name == "Comments" and node.title == "c"
    assert node.attrs["data_type"] == "strings" and node.attrs["k"] == 1
    assert node.attrs["subdtype"] == "string"
    node.append("hello")
    assert saver.get_node("/RawData/Comments").read() == ["hello"]


def test_add_array_fixed(saver: H5SaverLowLevel, backend: str) -> None:
    data = np.arange(6, dtype=np.int32).reshape(2, 3)
    node = saver.add_array(
        saver.raw_group, "myarray", "data", array_to_save=data, title="t", metadata={"foo": "bar"}
    )
    assert type(node) is CARRAY and node.name == "Myarray"
    attrs = node.attrs.to_dict()
    assert attrs["data_type"] == "data"
    assert attrs["data_dimension"] == "Data2D"
    assert attrs["shape"] == (2, 3) and attrs["dtype"] == "int32"
    assert attrs["foo"] == "bar" and attrs["backend"] == backend
    np.testing.assert_array_equal(node.read(), data)


def test_add_array_enlargeable(saver: H5SaverLowLevel) -> None:
    node = saver.add_array(
        saver.raw_group,
        "enl",
        "data_enlargeable",
        data_shape=(3,),
        array_type=np.float32,
        enlargeable=True,
    )
    assert isinstance(node, EARRAY) and node.name == "Enl"
    assert node.attrs["data_type"] == "data_enlargeable"
    assert node.attrs["data_dimension"] == "Data1D"
    node.append(np.ones(3, dtype=np.float32))
    assert node.attrs["shape"] == (1, 3)


def test_add_array_prefilled(saver: H5SaverLowLevel, backend: str) -> None:
    node = saver.add_array(
        saver.raw_group,
        "prefilled",
        "data",
        data_shape=(2,),
        array_type=np.float64,
        scan_shape=(3,),
        add_scan_dim=True,
    )
    assert node.shape == (3, 2)
    assert node.attrs["shape"] == (3, 2)
    assert np.isnan(node.read()).all()
    if backend == "h5py":
        assert math.isnan(node.node.fillvalue)  # the HDF5 fill value, nothing written
    zero_d = saver.add_array(
        saver.raw_group,
        "prefilled0D",
        "data",
        data_shape=(1,),
        array_type=np.float64,
        scan_shape=(2, 2),
        add_scan_dim=True,
    )
    assert zero_d.shape == (2, 2)  # the trailing 1 is dropped
    ints = saver.add_array(
        saver.raw_group,
        "ints",
        "data",
        data_shape=(2,),
        array_type=np.int32,
        scan_shape=(2,),
        add_scan_dim=True,
    )
    np.testing.assert_array_equal(ints.read(), np.zeros((2, 2), dtype=np.int32))
    custom = saver.add_array(
        saver.raw_group,
        "custom",
        "data",
        data_shape=(2,),
        array_type=np.float64,
        scan_shape=(1,),
        add_scan_dim=True,
        fill_value=-1.5,
    )
    np.testing.assert_array_equal(custom.read(), [[-1.5, -1.5]])


def test_add_array_without_dtype(saver: H5SaverLowLevel) -> None:
    with pytest.raises(DataValueError, match="dtype"):
        saver.add_array(saver.raw_group, "nodtype", "data", data_shape=(2,), enlargeable=True)
    assert not saver.is_node_in_group(saver.raw_group, "Nodtype")


def test_groups(saver: H5SaverLowLevel, backend: str) -> None:
    raw = saver.raw_group
    g = saver.get_set_group(raw, "Custom", title="ct")
    assert saver.current_group == g and g.title == "ct"
    det0 = saver.add_det_group(raw, title="d0", settings_as_xml="<x/>", metadata={"m": 1})
    det1 = saver.add_det_group(raw, title="d1")
    act = saver.add_act_group(raw, title="a")
    move = saver.add_move_group(raw, title="m")
    ch = saver.add_ch_group(raw, title="c")
    gen = saver.add_generic_group(raw, title="g", group_type=GroupType.external_h5)
    scan = saver.add_scan_group(raw, title="s")
    assert [det0.name, det1.name, act.name, move.name] == [
        "Detector000",
        "Detector001",
        "Actuator000",
        "Actuator001",
    ]
    assert saver.current_group == scan
    assert det0.attrs["settings"] == "<x/>" and det0.attrs["type"] == "detector"
    assert det0.attrs["m"] == 1 and "backend" not in det0.attrs
    assert move.attrs["type"] == "actuator"
    assert ch.name == "Ch000" and ch.attrs["type"] == ""
    assert gen.name == "External_h5000" and gen.attrs["description"] == ""
    assert gen.attrs["type"] == "external_h5"
    assert scan.name == "Scan000" and scan.attrs["description"] == ""
    # no settings given: an empty but valid parameter tree, never '' (the browser parses it)
    assert scan.attrs["type"] == "scan" and scan.attrs["settings"].startswith("<settings ")
    assert [x.name for x in saver.get_groups(raw, GroupType.detector)] == [
        "Detector000",
        "Detector001",
    ]
    assert [x.name for x in saver.get_groups(raw, "ACTUATOR")] == ["Actuator000", "Actuator001"]
    last = saver.get_last_group(raw, "detector")
    assert last is not None and last.name == "Detector001"
    assert saver.get_last_group(raw, GroupType.data_logger) is None
    found = saver.get_node_from_attribute_match(raw, "type", "scan")
    assert found is not None and found.name == "Scan000"
    assert saver.get_node_from_attribute_match(raw, "type", "nothing") is None
    by_title = saver.get_node_from_title(raw, "d1")
    assert by_title is not None and by_title.name == "Detector001"
    assert saver.get_node_from_title(raw, "nope") is None
    data = saver.add_data_group(det0, "Data1D", title="dt", settings_as_xml="<s/>")
    assert data.name == "Data1D" and data.title == "dt"
    assert data.attrs["type"] == "data" and data.attrs["settings"] == "<s/>"
    assert data.attrs["backend"] == backend
    named = saver.add_data_group(det0, "Data0D", group_name="mine")
    assert named.name == "Mine"
    inc = saver.add_incremental_group("data_logger", raw)
    assert inc.name == "Data_logger000"


def test_numbering_ignores_foreign_names(saver: H5SaverLowLevel) -> None:
    raw = saver.raw_group
    saver.get_set_group(raw, "MyDetectorXYZ")
    assert saver.add_det_group(raw).name == "Detector000"
    assert saver.add_det_group(raw).name == "Detector001"


def test_numbering_past_999(saver: H5SaverLowLevel) -> None:
    raw = saver.raw_group
    saver.get_set_group(raw, "Detector999")
    assert saver.add_det_group(raw).name == "Detector1000"
    assert saver.add_det_group(raw).name == "Detector1001"
    assert saver.add_det_group(raw).name == "Detector1002"


def test_flush_interval(saver: H5SaverLowLevel) -> None:
    saver.set_swmr_flush_interval(2)
    assert [saver.tick_flush() for _ in range(4)] == [False, True, False, True]
    saver.set_swmr_flush_interval(0)
    assert not any(saver.tick_flush() for _ in range(3))
    saver.set_swmr_flush_interval(1)
    assert saver.tick_flush() is True


def test_swmr_on_existing_plain_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.h5"
    s = H5SaverLowLevel(backend="h5py")
    s.init_file(path)
    s.add_log("keep me")
    s.close_file()
    before = _md5(path)
    with pytest.raises(FileAccessError, match="not created for SWMR"):
        s.init_file(path, swmr_mode=True)
    assert _md5(path) == before
    s.close_file()
    assert _md5(path) == before


def test_swmr_file_reopened(tmp_path: Path) -> None:
    path = tmp_path / "swmr.h5"
    s = H5SaverLowLevel(backend="h5py")
    s.init_file(path, swmr_mode=True)
    assert s.is_swmr_compatible()
    s.close_file()
    assert s.init_file(path, swmr_mode=True) is False
    assert s.is_swmr_compatible()
    s.close_file()


def test_read_only_foreign_file(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        grp = f.create_group("stuff")
        grp.create_dataset("values", data=np.arange(4.0))
        grp.create_dataset("grow", data=np.arange(3), maxshape=(None,))
        f.attrs["note"] = "plain"
    before = _md5(path)
    s = H5SaverLowLevel(backend=backend)
    s.init_file(path, mode="r")
    try:
        paths = sorted(n.path for n in s.walk_nodes("/"))
        assert paths == ["/", "/stuff", "/stuff/grow", "/stuff/values"]
        assert s.get_attr("/", "note") == "plain"
        np.testing.assert_array_equal(s.read("/stuff/values"), np.arange(4.0))
        assert isinstance(s.get_node("/stuff/grow"), EARRAY)
    finally:
        s.close_file()
    assert _md5(path) == before
    with pytest.raises(FileAccessError):
        H5SaverLowLevel(backend=backend).init_file(tmp_path / "absent.h5", mode="r")
