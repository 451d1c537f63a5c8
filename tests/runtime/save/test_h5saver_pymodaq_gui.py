"""h5layout's H5SaverBase/H5Saver next to pymodaq_gui's own (skipped without pymodaq_gui).

For the same settings and date, both create the same folders and file names, write the
same root and raw-group attributes and number scans the same way; their settings trees
match and read each other's XML; pymodaq_gui's H5Saver can be replaced by h5layout's in a
program connecting to its signals.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("qtpy.QtWidgets")
gui_saving = pytest.importorskip("pymodaq_gui.h5modules.saving")

from qtpy import QtWidgets  # noqa: E402

from h5layout import pymodaq as pm  # noqa: E402


class Clock:
    """One settable time for both savers."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 3, 9, 23, 59, 58)

    def __call__(self) -> dt.datetime:
        return self.now


#: the process's QApplication, kept alive for the session (Qt allows one per process, and
#: pymodaq_gui keeps QObjects made under the first)
_APP: list[Any] = []


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    if not _APP:
        _APP.append(QtWidgets.QApplication.instance() or QtWidgets.QApplication([]))
    yield _APP[0]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock of both savers: pymodaq_gui's module reads ``datetime`` (date injected)."""
    c = Clock()

    class FakeDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> dt.datetime:  # type: ignore[override]
            return c.now

    class FakeDate(dt.date):
        @classmethod
        def today(cls) -> dt.date:  # type: ignore[override]
            return c.now.date()

    fake = types.SimpleNamespace(
        datetime=FakeDatetime, date=FakeDate, time=dt.time, timedelta=dt.timedelta
    )
    monkeypatch.setattr(gui_saving, "datetime", fake)
    return c


def make_pair(app: Any, tmp_path: Path, clock: Clock, save_type: str = "scan") -> tuple[Any, Any]:
    theirs = gui_saving.H5SaverBase(save_type=save_type)
    ours = pm.H5SaverBase(save_type=save_type, config={}, clock=clock)
    for saver, folder in ((theirs, "theirs"), (ours, "ours")):
        saver.settings.child("base_path").setValue(str(tmp_path / folder))
        saver.settings.child("backend", "swmr_options", "enable_swmr").setValue(True)
    return theirs, ours


def state(saver: Any, root: Path) -> tuple[Any, ...]:
    def rel(p: Any) -> str:
        return str(Path(str(p)).relative_to(root)) if str(p) else ""

    return (
        rel(saver.filename) if saver.isopen() else "",
        saver.settings["current_scan_name"],
        rel(saver.settings["current_scan_path"]),
        rel(saver.settings["current_h5_file"]),
        saver.get_scan_index() if saver.isopen() else None,
        [g.name for g in saver.get_scan_groups()] if saver.isopen() else None,
    )


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def run_steps(saver: Any, root: Path, clock: Clock, fresh: Callable[[], Any]) -> list[Any]:
    out = [saver.init_file(metadata={"operator": "ana", "n": 3}), state(saver, root)]
    saver.add_scan_group()
    saver.add_scan_group()
    out += [saver.init_file(), state(saver, root)]
    clock.now += dt.timedelta(seconds=1)  # a new timestamped file for the other save types
    out += [saver.init_file(update_h5=True), state(saver, root)]
    saver.add_scan_group()
    out.append(state(saver, root))
    clock.now = dt.datetime(2024, 3, 10, 0, 0, 1)  # past midnight
    out += [saver.init_file(), state(saver, root)]
    saver.close_file()
    other = fresh()
    out += [other.init_file(), state(other, root)]
    other.close_file()
    return out


@pytest.mark.parametrize("save_type", ["scan", "detector"])
def test_same_folders_names_and_numbering(
    app: Any, tmp_path: Path, clock: Clock, save_type: str
) -> None:
    theirs, ours = make_pair(app, tmp_path, clock, save_type)
    start = clock.now
    got_theirs = run_steps(
        theirs, tmp_path / "theirs", clock, lambda: make_pair(app, tmp_path, clock, save_type)[0]
    )
    clock.now = start
    got_ours = run_steps(
        ours, tmp_path / "ours", clock, lambda: make_pair(app, tmp_path, clock, save_type)[1]
    )
    assert got_ours == got_theirs
    assert tree(tmp_path / "ours") == tree(tmp_path / "theirs")


def attrs(saver_cls: Any, path: Path, where: str) -> dict[str, Any]:
    import h5py

    from h5layout.runtime.codec.attrs import read_attr

    with h5py.File(path, "r") as f:
        return {k: read_attr(v) for k, v in f[where].attrs.items()}


def test_same_root_and_raw_group_attributes(app: Any, tmp_path: Path, clock: Clock) -> None:
    theirs, ours = make_pair(app, tmp_path, clock)
    for saver in (theirs, ours):
        saver.init_file(metadata={"operator": "ana", "n": 3})
        saver.add_scan_group()
        saver.close_file()
    name = "2024/20240309/Dataset_20240309_000.h5"
    root_t = attrs(None, tmp_path / "theirs" / name, "/")
    root_o = attrs(None, tmp_path / "ours" / name, "/")
    # the clock's date and time; pymodaq's version where pymodaq itself is absent differs
    for key in ("date", "time", "pymodaq_version"):
        root_t.pop(key), root_o.pop(key)
    assert {k: root_o[k] for k in root_t} == root_t
    assert set(root_o) - set(root_t) <= {
        "h5layout_version",
        "h5layout_layout",
        "h5layout_layout_version",
        "h5layout_layout_sha256",
    }
    for where in ("/RawData", "/RawData/Scan000"):
        ours_attrs = attrs(None, tmp_path / "ours" / name, where)
        theirs_attrs = attrs(None, tmp_path / "theirs" / name, where)
        if theirs_attrs.get("settings") == "":
            # pymodaq writes '' for no settings, which its own browser cannot parse; h5layout
            # writes an empty but valid parameter tree (README: what h5layout does differently)
            assert str(ours_attrs.pop("settings")).startswith("<settings ")
            theirs_attrs.pop("settings")
        assert ours_attrs == theirs_attrs, where


def _leaves(param: Any, prefix: str = "") -> list[tuple[str, str, str, Any, Any]]:
    out = []
    for child in param.children():
        path = f"{prefix}/{child.name()}" if prefix else child.name()
        opts = child.opts
        limits = opts.get("limits")
        if isinstance(limits, dict):
            limits = {
                k: "nan" if isinstance(v, float) and math.isnan(v) else v for k, v in limits.items()
            }
        value = opts.get("value")
        if isinstance(value, float) and math.isnan(value):
            value = "nan"
        extra = (opts.get("readonly"), opts.get("min"), opts.get("max"), limits)
        out.append((path, opts["type"], opts.get("title"), value, extra))
        out += _leaves(child, path)
    return out


def test_same_settings_tree(app: Any) -> None:
    theirs = gui_saving.H5SaverBase(save_type="detector")
    ours = pm.H5SaverBase(save_type="detector", config={})
    # the layout's policy differs from PyMoDAQ's config on purpose: align it for the check
    ours.settings["enable_swmr"] = theirs.settings["backend", "swmr_options", "enable_swmr"]
    ours.settings["flush_interval"] = theirs.settings["backend", "swmr_options", "flush_interval"]
    assert _leaves(ours.settings) == _leaves(theirs.settings)


def test_settings_xml_both_ways(app: Any) -> None:
    from pymodaq_gui.parameter import Parameter as GuiParameter
    from pymodaq_gui.parameter import ioxml

    ours = pm.H5SaverBase(save_type="scan", config={}, backend="tables")
    ours.settings["fill_value"] = 0.0
    ours.settings["h5comp_level"] = 7
    ours.settings["base_name"] = "Map"
    # PyMoDAQ reads ours into its own parameters, values and types kept
    children = ioxml.XML_string_to_parameter(ours.settings.to_xml())
    read = GuiParameter.create(name="settings", type="group", children=children)
    for path, value in ours.settings.values().items():
        got = read.child(*path.split("/")).value()
        if value == "":
            assert got in ("", None), path  # an empty element, read as None by PyMoDAQ
        else:
            assert got == value and type(got) is type(value), path
    # and ours reads PyMoDAQ's
    theirs = gui_saving.H5SaverBase(save_type="scan")
    theirs.settings.child("data_format", "compression_options", "h5comp_level").setValue(2)
    theirs.settings.child("backend", "backend_type").setValue("tables")
    xml = ioxml.parameter_to_xml_string(theirs.settings)
    fresh = pm.H5SaverBase(config={})
    assert fresh.settings.set_values_from_xml(xml) == []
    assert fresh.settings["h5comp_level"] == 2 and fresh.backend == "tables"
    assert math.isnan(fresh.settings["fill_value"])


class AcquisitionProgram:
    """A small program written for pymodaq_gui's H5Saver: it holds one, shows its status,
    makes a new file when asked and follows the file the user picks."""

    def __init__(self, saver_class: Any, base_path: Path, **kwargs: Any) -> None:
        self.saver = saver_class(save_type="scan", **kwargs)
        self.saver.settings.child("base_path").setValue(str(base_path))
        self.other = base_path / "elsewhere.h5"
        self.statuses: list[Any] = []
        self.files: list[str] = []
        self.saver.status_sig.connect(self.statuses.append)
        self.saver.new_file_sig.connect(self.new_file)
        self.saver.file_changed_sig.connect(self.files.append)
        # its window embeds the saver's settings widget, trimmed as PyMoDAQ's programs do
        self.window = QtWidgets.QWidget()
        self.window.setLayout(QtWidgets.QVBoxLayout())
        self.window.layout().addWidget(self.saver.settings_tree)
        self.saver.settings.child("save_type").hide()
        self.saver.settings.child("custom_name").hide()

    def new_file(self) -> None:
        self.saver.init_file(update_h5=True)

    def run(self) -> list[Any]:
        self.saver.init_file()
        self.saver.add_scan_group()
        self.saver.settings.child("new_file").activate()  # the button of the settings tree
        self.saver.add_scan_group()
        names = [g.name for g in self.saver.get_scan_groups()]
        # the user picks another file in the settings: the saver opens it and says so
        self.saver.settings.child("current_h5_file").setValue(str(self.other))
        opened = Path(self.saver.filename).name
        self.saver.close_file()
        return [names, opened, self.files]


def test_our_h5saver_replaces_pymodaq_gui_s(app: Any, tmp_path: Path, clock: Clock) -> None:
    theirs = AcquisitionProgram(gui_saving.H5Saver, tmp_path / "theirs").run()
    ours = AcquisitionProgram(pm.H5Saver, tmp_path / "ours", config={}, clock=clock).run()
    assert ours[:2] == theirs[:2] == [["Scan000"], "elsewhere.h5"]
    assert [Path(p).name for p in ours[2]] == [Path(p).name for p in theirs[2]]
    assert tree(tmp_path / "ours") == tree(tmp_path / "theirs")


def test_show_file_content_opens_pymodaq_s_browser(app: Any, tmp_path: Path, clock: Clock) -> None:
    saver = pm.H5Saver(config={}, clock=clock)
    saver.settings["base_path"] = str(tmp_path)
    saver.init_file()
    saver.add_scan_group()
    saver.settings.child("show_file").activate()
    window = saver._browser_window
    assert window is not None and window.isVisible()
    saver.close()
    assert saver._browser_window is None
