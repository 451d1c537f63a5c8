"""H5SaverBase without Qt: settings tree, date-based paths and numbering, settings taking
effect on h5py, PyTables and h5pyd, settings XML."""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import tables

from h5layout import pymodaq as pm
from h5layout.runtime.errors import DataValueError, FileAccessError
from h5layout.runtime.save.h5saver import H5SaverBase, config_defaults, config_path
from h5layout.runtime.save.params import Parameter

DAY = dt.datetime(2024, 3, 9, 7, 5, 3)


class Clock:
    """A settable clock (dates are injected, never waited for)."""

    def __init__(self, now: dt.datetime = DAY) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def saver(tmp_path: Path, save_type: str = "scan", backend: str = "h5py", **kw: Any) -> Any:
    s = pm.H5SaverBase(save_type=save_type, backend=backend, config={}, clock=Clock(), **kw)
    s.settings["base_path"] = str(tmp_path)
    return s


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


#: (path, type, default) of every setting, as pymodaq_gui 5.3 defines them
EXPECTED_TREE = [
    ("save_type", "list", "scan"),
    ("save_2D", "bool", True),
    ("save_raw_only", "bool", True),
    ("do_save", "bool", False),
    ("N_saved", "int", 0),
    ("custom_name", "bool", False),
    ("close_after_scan", "bool", False),
    ("base_path", "browsepath", "C:\\Data"),
    ("base_name", "str", "Scan"),
    ("current_scan_name", "str", ""),
    ("current_scan_path", "text", "C:\\Data"),
    ("current_h5_file", "browsepath", ""),
    ("show_file", "action", None),
    ("new_file", "action", None),
    ("backend", "group", None),
    ("backend/backend_type", "list", "h5py"),
    ("backend/swmr_options", "group", None),
    ("backend/swmr_options/enable_swmr", "bool", True),
    ("backend/swmr_options/flush_interval", "int", 1),
    ("backend/hsds_options", "group", None),
    ("backend/hsds_options/endpoint", "str", "http://hsds.sebastienweber.fr"),
    ("backend/hsds_options/user", "str", "pymodaq_user"),
    ("backend/hsds_options/password", "str", "pymodaq"),
    ("data_format", "group", None),
    ("data_format/fill_value", "list", math.nan),
    ("data_format/compression_options", "group", None),
    ("data_format/compression_options/h5comp_library", "list", "zlib"),
    ("data_format/compression_options/h5comp_level", "int", 5),
]


def test_settings_tree_names_types_defaults() -> None:
    s = H5SaverBase(config={})  # unbound: PyMoDAQ's own defaults
    got = [
        ("/".join(p.path()), p.type(), p.value()) for p in s.settings.walk() if p is not s.settings
    ]
    assert [g[:2] for g in got] == [e[:2] for e in EXPECTED_TREE]
    for (path, _, value), (_, _, expected) in zip(got, EXPECTED_TREE, strict=True):
        if isinstance(expected, float) and math.isnan(expected):
            assert math.isnan(value), path
        else:
            assert value == expected, path
    level = s.settings.child("compression_options", "h5comp_level")
    assert (level.opts["min"], level.opts["max"]) == (0, 9)
    assert s.settings.child("backend_type").limits() == ["tables", "h5py", "h5pyd"]
    assert s.settings.child("save_type").limits() == [
        "scan",
        "detector",
        "logger",
        "custom",
        "actuator",
        "optimizer",
    ]
    assert s.settings.child("base_path").opts["readonly"] is True


def test_settings_spellings_and_checks(tmp_path: Path) -> None:
    s = saver(tmp_path)
    s.settings.child("compression_options", "h5comp_level").setValue(4)
    assert s.settings.child("data_format", "compression_options", "h5comp_level").value() == 4
    assert s.settings["h5comp_level"] == 4
    s.settings["data_format", "fill_value"] = 0
    assert s.settings["fill_value"] == 0.0 and s.fill_value == 0.0
    s.settings["fill_value"] = "nan"  # a label of the list
    assert math.isnan(s.fill_value)
    with pytest.raises(DataValueError, match="outside"):
        s.settings["h5comp_level"] = 10
    with pytest.raises(DataValueError, match="not one of"):
        s.settings["backend_type"] = "netcdf"
    with pytest.raises(DataValueError, match="not a valid int"):
        s.settings["flush_interval"] = "often"
    with pytest.raises(KeyError, match="no setting"):
        s.settings.child("nope")
    assert s.settings["h5comp_level"] == 4 and s.backend == "h5py"  # nothing changed


def test_no_qt_is_imported_headless() -> None:
    code = (
        "import sys, h5layout.pymodaq as m\n"
        "s = m.H5SaverBase(config={})\n"
        "assert m.H5Saver is not None\n"
        "bad = [k for k in sys.modules if k.split('.')[0] in "
        "('qtpy', 'PyQt5', 'PyQt6', 'PySide2', 'PySide6', 'pymodaq_gui')]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# -- paths and numbering ---------------------------------------------------------------------
def test_scan_files_dates_and_numbering(tmp_path: Path) -> None:
    s = saver(tmp_path)
    assert s.init_file() is False
    assert Path(s.filename) == tmp_path / "2024/20240309/Dataset_20240309_000.h5"
    assert s.settings["current_scan_path"] == str(tmp_path / "2024/20240309/Dataset_20240309_000")
    assert s.settings["current_h5_file"] == s.filename
    assert s.settings["current_scan_name"] == "Scan000"
    assert files(tmp_path) == ["2024", "2024/20240309", "2024/20240309/Dataset_20240309_000.h5"]
    # no scan yet: index 0; scans are numbered by the layout and counted
    assert s.get_scan_index() == 0 and s.get_last_scan() is None
    for _ in range(3):
        s.add_scan_group()
    assert [g.name for g in s.get_scan_groups()] == ["Scan000", "Scan001", "Scan002"]
    assert s.get_scan_index() == 2 and s.get_last_scan().name == "Scan002"
    s.init_file()  # same file kept, scan name follows its last scan
    assert Path(s.filename).name == "Dataset_20240309_000.h5"
    assert s.settings["current_scan_name"] == "Scan002"
    assert s.init_file(update_h5=True) is True  # a new dataset
    assert Path(s.filename).name == "Dataset_20240309_001.h5"
    assert s.settings["current_scan_name"] == "Scan000"
    # a date change moves to the new day's folder, numbering from 0
    s.clock.now = dt.datetime(2024, 3, 10, 0, 0, 1)  # type: ignore[attr-defined]
    s.init_file()
    assert Path(s.filename) == tmp_path / "2024/20240310/Dataset_20240310_000.h5"
    s.close_file()
    # a fresh saver (no file open) starts a new dataset after the last one
    t = saver(tmp_path)
    t.clock.now = dt.datetime(2024, 3, 9, 12)  # type: ignore[attr-defined]
    t.init_file()
    assert Path(t.filename).name == "Dataset_20240309_002.h5"
    t.close_file()


def test_existing_dataset_folders_and_foreign_names(tmp_path: Path) -> None:
    day = tmp_path / "2024/20240309"
    (day / "Dataset_20240309_004").mkdir(parents=True)  # a folder: not a dataset file
    (day / "Dataset_20240309_xyz.h5").touch()  # foreign names are ignored
    (day / "Dataset_20240308_020.h5").touch()  # another day's
    (day / "Dataset_20240309_011.txt").touch()
    f = H5SaverBase.set_current_scan_path
    date = DAY.date()
    assert f(tmp_path, curr_date=date)[0].name == "Dataset_20240309_000"
    (day / "Dataset_20240309_007.h5").touch()
    assert f(tmp_path, curr_date=date)[0].name == "Dataset_20240309_007"
    assert f(tmp_path, curr_date=date, update_h5=True)[0].name == "Dataset_20240309_008"
    (day / "Dataset_20240309_1000.h5").touch()  # past 999: numbered on
    assert f(tmp_path, curr_date=date, update_h5=True)[0].name == "Dataset_20240309_1001"
    path, scan, again = f(tmp_path, "Det", curr_date=DAY, next_scan_index=7, ind_dataset=3)
    assert (path.name, scan, again) == ("Dataset_20240309_003", "Det007", path)
    with pytest.raises(DataValueError, match="date"):
        f(tmp_path, curr_date="2024-03-09")  # type: ignore[arg-type]
    assert not (day / "Dataset_20240309_000").exists()  # dataset folders are not created


@pytest.mark.parametrize("save_type", ["detector", "logger", "actuator"])
def test_other_save_types_use_a_timestamp(tmp_path: Path, save_type: str) -> None:
    s = saver(tmp_path, save_type)
    s.init_file(metadata={"operator": "ana"})
    assert Path(s.filename) == tmp_path / "2024/20240309/Scan_20240309_07_05_03.h5"
    assert s.get_attr(s.raw_group)["type"] == save_type
    assert s.get_attr(s.raw_group)["operator"] == "ana"
    s.close_file()


def test_addhoc_path_load_and_save(tmp_path: Path) -> None:
    s = saver(tmp_path)
    s.init_file(addhoc_file_path=tmp_path / "own" / "run")
    assert Path(s.filename) == tmp_path / "own/run.h5"
    s.add_scan_group()
    assert s.settings["current_scan_name"] == "Scan001"
    s.save_file(tmp_path / "copy.h5")
    with pytest.raises(FileAccessError, match="dialog"):
        s.save_file()
    s.close_file()
    t = saver(tmp_path)
    t.load_file(file_path=tmp_path / "own/run.h5")
    assert [g.name for g in t.get_scan_groups()] == ["Scan000"]
    assert t.settings["current_scan_name"] == "Scan001"
    t.close_file()
    with pytest.raises(FileAccessError, match="no such file"):
        t.load_file(file_path=tmp_path / "absent.h5")
    with pytest.raises(FileAccessError, match="dialog"):
        t.load_file()
    with pytest.raises(FileAccessError, match="dialog"):
        t.init_file(custom_naming=True)
    with pytest.raises(FileAccessError, match="H5Saver"):
        t.show_file_content()
    with h5py.File(tmp_path / "copy.h5", "r") as f:
        assert "Scan000" in f["RawData"]


# -- settings take effect ----------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_compression_and_fill_value_reach_the_savers(tmp_path: Path, backend: str) -> None:
    s = saver(tmp_path, backend=backend)
    s.settings["h5comp_level"] = 3
    s.settings["fill_value"] = 0.0
    s.init_file()
    scan = s.add_scan_group()
    dte = pm.DataToExport("d", data=[pm.DataRaw("raw", data=[np.arange(4.0)])])
    ext = pm.DataToExportExtendedSaver(s, extended_shape=(3,))
    ext.add_nav_axes(scan, [pm.Axis("x", data=np.arange(3.0), index=0)])
    ext.add_data(scan, dte, indexes=(1,))
    path = s.filename
    s.close_file()
    with tables.open_file(path) if backend == "tables" else h5py.File(path) as f:
        if backend == "tables":
            node = f.get_node("/RawData/Scan000/Data1D/CH00/Data00")
            assert node.filters.complevel == 3
            data = node.read()
        else:
            node = f["RawData/Scan000/Data1D/CH00/Data00"]
            assert (node.compression, node.compression_opts) == ("gzip", 3)
            data = node[...]
    assert data.shape == (3, 4)
    assert np.array_equal(data[1], np.arange(4.0))
    assert np.all(data[0] == 0.0)  # the fill value of the settings, not NaN


def test_level_zero_writes_uncompressed(tmp_path: Path) -> None:
    s = saver(tmp_path)
    s.settings["h5comp_level"] = 0
    s.init_file()
    s.add_array(s.raw_group, "a", "data", array_to_save=np.arange(5.0))
    path = s.filename
    s.close_file()
    with h5py.File(path) as f:
        assert f["RawData/A"].compression is None


def test_backend_and_swmr_settings(tmp_path: Path) -> None:
    s = saver(tmp_path)
    s.settings["enable_swmr"] = True
    s.settings["flush_interval"] = 7
    assert s._flush_interval == 7
    s.init_file()
    assert s.is_swmr_compatible()  # created for SWMR readers
    s.enable_swmr()
    assert s.is_swmr_active()
    s.settings["backend_type"] = "tables"  # closes the file, switches backend
    assert s.backend == "tables" and not s.isopen()
    assert s.settings.child("swmr_options").opts["visible"] is False
    s.init_file(update_h5=True)
    assert isinstance(s.h5file, tables.File)
    assert Path(s.filename).name == "Dataset_20240309_001.h5"
    s.close_file()
    s.settings["enable_swmr"] = False
    s.settings["backend_type"] = "h5py"
    s.init_file(update_h5=True)
    assert not s.is_swmr_compatible()
    s.close_file()


def test_h5pyd_through_the_hsds_settings(h5pyd_server: Any, hsds_folder: Path) -> None:
    from h5layout.runtime.storage.backends import get_backend

    get_backend("h5pyd").set_server()  # type: ignore[attr-defined]  # the settings name it
    s = pm.H5SaverBase(save_type="scan", config={}, clock=Clock())
    s.settings["backend_type"] = "h5pyd"
    assert s.settings.child("hsds_options").opts["visible"] is True
    s.settings["endpoint"] = h5pyd_server.endpoint
    s.settings["user"] = h5pyd_server.username
    s.settings["password"] = h5pyd_server.password
    s.settings["base_path"] = str(hsds_folder)
    s.init_file()
    assert s.filename == f"{hsds_folder}/2024/20240309/Dataset_20240309_000.h5"
    s.add_scan_group()
    s.init_file(update_h5=True)
    assert s.filename.endswith("/Dataset_20240309_001.h5")
    s.close_file()
    server = {
        "root_url": h5pyd_server.endpoint,
        "username": h5pyd_server.username,
        "pwd": h5pyd_server.password,
    }
    config = {"data_saving": {"backend": "h5pyd", "hsds": server}}
    fresh = pm.H5SaverBase(save_type="scan", config=config, clock=Clock())
    fresh.settings["base_path"] = str(hsds_folder)
    assert fresh.backend == "h5pyd"
    fresh.init_file()  # the server of the config file; the next dataset
    assert fresh.filename.endswith("/Dataset_20240309_002.h5")
    fresh.close_file()
    get_backend("h5pyd").set_server()  # type: ignore[attr-defined]


# -- defaults ------------------------------------------------------------------------------------
def test_config_file_and_layout_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "saver.toml"
    cfg.write_text(
        "[data_saving]\nbackend = ['tables', 'h5py']\n"
        "[data_saving.swmr]\nenabled = false\nflush_interval = 3\n"
        "[data_saving.h5file]\nsave_path = '/data/lab'\ncompression_level = 2\n"
        "[data_saving.data_type]\nfill_value = ['0', 'nan']\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("H5LAYOUT_SAVER_CONFIG", str(cfg))
    assert config_path() == cfg
    s = H5SaverBase()
    assert s.backend == "tables" and s.settings["base_path"] == "/data/lab"
    assert (s.settings["enable_swmr"], s.settings["flush_interval"]) == (False, 3)
    assert s.settings["h5comp_level"] == 2 and s.fill_value == 0.0
    # a compiled layout's policy wins over the config (PyMoDAQ's: flush every 10, no SWMR)
    p = pm.H5SaverBase()
    assert (p.settings["enable_swmr"], p.settings["flush_interval"]) == (False, 10)
    cfg.write_text("[data_saving.data_type]\nfill_value = 'zero'\n", encoding="utf-8")
    with pytest.raises(DataValueError, match="fill_value"):
        H5SaverBase()
    cfg.write_text("not toml [", encoding="utf-8")
    with pytest.raises(DataValueError, match="cannot read"):
        config_defaults()


def test_config_values_are_text_numbers_or_booleans(tmp_path: Path) -> None:
    # a table where a value belongs is refused by name; a Path (from a mapping) is its text
    with pytest.raises(DataValueError, match="save_path"):
        config_defaults({"data_saving": {"h5file": {"save_path": {"drive": "C"}}}})
    given = config_defaults({"data_saving": {"h5file": {"save_path": tmp_path}}})
    assert given["save_path"] == str(tmp_path)


def test_layout_storage_is_the_compression_default() -> None:
    spec = pm.LAYOUT_SPEC
    s = pm.H5SaverBase(config={})
    assert s.LAYOUT_SPEC is spec
    assert s.storage.compression == "zlib" and s.storage.level == 5


# -- XML -----------------------------------------------------------------------------------------
def test_settings_xml_round_trip(tmp_path: Path) -> None:
    s = saver(tmp_path, backend="tables")
    s.settings["h5comp_library"] = "gzip"
    s.settings["h5comp_level"] = 8
    s.settings["fill_value"] = 0.0
    s.settings["base_name"] = "Map <1> & 'two'"
    s.settings["flush_interval"] = 4
    xml = s.settings.to_xml()
    other = H5SaverBase(config={})
    assert other.settings.set_values_from_xml(xml) == []
    assert other.settings.values() == s.settings.values()
    assert other.backend == "tables" and other.fill_value == 0.0
    assert (other.storage.compression, other.storage.level) == ("gzip", 8)
    # the current file is state: restoring settings opens nothing
    s.init_file()
    restored = H5SaverBase(config={})
    restored.settings.set_values_from_xml(s.settings.to_xml())
    assert not restored.isopen() and restored.settings["current_h5_file"] == ""
    s.close_file()
    # a tree of its own from the XML, and back to the same XML
    tree = Parameter.from_xml(xml)
    assert tree["fill_value"] == 0.0 and tree["backend_type"] == "tables"
    assert tree.to_xml() == Parameter.from_xml(tree.to_xml()).to_xml()
    # foreign parameters are reported, bad values refused before anything changes
    foreign = xml.replace(
        "</h5saver_settings>", '<extra type="int" title="x">1</extra></h5saver_settings>'
    )
    assert other.settings.set_values_from_xml(foreign) == ["extra"]
    bad = xml.replace(">int(8)<", ">int(12)<").replace(">8</h5comp_level>", ">12</h5comp_level>")
    with pytest.raises(DataValueError):
        other.settings.set_values_from_xml(bad)
    with pytest.raises(DataValueError, match="parsed"):
        other.settings.set_values_from_xml("<h5saver_settings")


def test_a_setting_that_fails_is_not_kept(tmp_path: Path) -> None:
    s = saver(tmp_path)
    s.init_file()
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(FileAccessError):
        s.settings["current_h5_file"] = str(tmp_path / "a_file" / "x.h5")
    assert s.isopen() and s.settings["current_h5_file"] == s.filename  # nothing changed
    s.close_file()


def test_settings_as_a_plain_dict(tmp_path: Path) -> None:
    s = saver(tmp_path)
    s.settings.set_values({"h5comp_level": 1, "data_format/fill_value": 0.0, "base_name": "Run"})
    assert s.storage.level == 1 and s.fill_value == 0.0
    values = s.settings.values()
    assert values["data_format/compression_options/h5comp_level"] == 1
    assert values["base_name"] == "Run"
    with pytest.raises(DataValueError):
        s.settings.set_values({"h5comp_level": 2, "backend_type": "nope"})
    assert s.settings["h5comp_level"] == 1  # all or nothing
    other = saver(tmp_path)
    other.settings.set_values(values)
    assert other.settings.values() == values


def test_dict_form_round_trip() -> None:
    s = H5SaverBase(config={})
    d = s.settings.to_dict()
    tree = Parameter.from_dict(d)
    assert tree.values().keys() == s.settings.values().keys()
    assert tree.child("h5comp_level").opts["max"] == 9


def test_compiled_layout_binds_its_saver(tmp_path: Path) -> None:
    from h5layout.compiler.regen import targets
    from tests.compiler.conftest import import_file

    path = next(p for _src, p in targets() if Path(p).stem == "raman_map")
    mod = import_file(path)
    s = mod.H5SaverBase(save_type="scan", config={}, clock=Clock())
    assert isinstance(s, mod.H5SaverLowLevel) and s.LAYOUT_SPEC is mod.LAYOUT_SPEC
    s.settings["base_path"] = str(tmp_path)
    s.init_file()
    with pytest.raises(TypeError):
        s.add_scan_group()  # the layout's required attributes are keyword arguments
    s.add_scan_group(sample_id="S0001", operator="ana", temperature=4.2)
    s.add_scan_group(sample_id="S0001", operator="ana", temperature=4.3)
    assert [g.name for g in s.get_scan_groups()] == ["Map000", "Map001"]
    assert s.get_scan_index() == 1
    assert s.get_last_scan().attrs["temperature"] == 4.3
    s.close_file()
    assert mod.validate(Path(s.settings["current_h5_file"])).ok


def test_from_file(tmp_path: Path) -> None:
    s = pm.H5SaverBase.from_file(tmp_path / "f.h5", new_file=True, metadata={"a": 1})
    assert isinstance(s, pm.H5SaverBase) and Path(s.filename) == tmp_path / "f.h5"
    assert s.get_attr(s.raw_group)["a"] == 1
    s.close_file()
    r = pm.H5SaverBase.from_file(tmp_path / "f.h5", mode="r")
    assert r.get_scan_groups() == [] and r.settings["current_scan_name"] == "Scan001"
    r.close_file()
