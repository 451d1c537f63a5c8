"""H5Saver, the Qt face: signals and file dialogs, offscreen (skipped without Qt)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# offscreen before any Qt import; only when nobody chose a platform
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
QtCore = pytest.importorskip("qtpy.QtCore")
QtWidgets = pytest.importorskip("qtpy.QtWidgets")

from h5layout import pymodaq as pm  # noqa: E402
from h5layout.runtime.save.h5saver import H5SaverBase  # noqa: E402

DAY = dt.datetime(2024, 3, 9, 7, 5, 3)


#: the process's QApplication, kept alive for the session (Qt allows one per process, and
#: pymodaq_gui keeps QObjects made under the first)
_APP: list[Any] = []


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    if not _APP:
        _APP.append(QtWidgets.QApplication.instance() or QtWidgets.QApplication([]))
    yield _APP[0]


@pytest.fixture
def saver(app: Any, tmp_path: Path) -> Iterator[Any]:
    s = pm.H5Saver(save_type="scan", config={}, clock=lambda: DAY)
    s.settings["base_path"] = str(tmp_path)
    yield s
    s.close()


def test_h5saver_is_a_qobject_bound_to_the_layout(saver: Any) -> None:
    assert isinstance(saver, QtCore.QObject)
    assert isinstance(saver, pm.H5Saver) and isinstance(saver, pm.H5SaverBase)
    assert isinstance(saver, H5SaverBase)
    assert not isinstance(H5SaverBase(config={}), pm.H5Saver)
    assert saver.LAYOUT_SPEC is pm.LAYOUT_SPEC
    assert type(saver) is type(pm.H5Saver(config={}))  # one Qt class per layout class


def test_signals(saver: Any, tmp_path: Path) -> None:
    events: list[Any] = []
    saver.new_file_sig.connect(lambda: events.append("new_file"))
    saver.file_changed_sig.connect(lambda path: events.append(("file_changed", path)))
    saver.status_sig.connect(lambda status: events.append(("status", status)))
    saver.init_file()  # the saver's own changes are not signalled
    assert events == []
    saver.settings.child("new_file").activate()  # the program makes the new file itself
    assert events == ["new_file"]
    assert Path(saver.filename).name == "Dataset_20240309_000.h5"
    saver.settings["current_h5_file"] = str(tmp_path / "other.h5")
    saver.update_status(["Update_Status", "saving"])
    assert events[1:] == [
        ("file_changed", str(tmp_path / "other.h5")),
        ("status", ["Update_Status", "saving"]),
    ]


def _answer_dialog(path: Path | None) -> None:
    """Choose ``path`` (None: cancel) in the file dialog about to open."""

    def answer() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        if not isinstance(dialog, QtWidgets.QFileDialog):
            QtCore.QTimer.singleShot(10, answer)
            return
        if path is None:
            dialog.reject()
        else:
            dialog.selectFile(str(path))
            dialog.accept()

    QtCore.QTimer.singleShot(0, answer)


def test_file_dialogs(saver: Any, tmp_path: Path) -> None:
    _answer_dialog(tmp_path / "chosen.h5")
    saver.init_file(custom_naming=True)
    assert Path(saver.filename) == tmp_path / "chosen.h5"
    saver.add_scan_group()
    _answer_dialog(tmp_path / "copy.h5")
    saver.save_file()
    assert (tmp_path / "copy.h5").is_file()
    saver.close_file()
    _answer_dialog(None)  # cancelled: nothing opens
    assert saver.init_file(custom_naming=True) is False
    assert not saver.isopen()
    _answer_dialog(tmp_path / "copy.h5")
    saver.load_file()
    assert Path(saver.filename) == tmp_path / "copy.h5"
    assert [g.name for g in saver.get_scan_groups()] == ["Scan000"]


def test_settings_tree_widget_edits_the_settings(saver: Any) -> None:
    pytest.importorskip("pyqtgraph")
    events: list[str] = []
    saver.new_file_sig.connect(lambda: events.append("new_file"))
    widget = saver.settings_tree
    assert isinstance(widget, QtWidgets.QWidget) and saver.settings_tree is widget
    mirror = saver._mirror.pg
    level = mirror.child("data_format", "compression_options", "h5comp_level")
    level.setValue(2)  # an edit in the widget reaches the saver
    assert saver.settings["h5comp_level"] == 2 and saver.storage.level == 2
    level.setValue(12)  # the widget keeps the limits of the settings
    assert saver.settings["h5comp_level"] == level.value() == 9
    saver.settings["backend_type"] = "tables"  # a change in code shows in the widget
    assert mirror.child("backend", "backend_type").value() == "tables"
    assert mirror.child("backend", "swmr_options").opts["visible"] is False
    saver.settings.child("save_type").hide()  # as PyMoDAQ's programs do
    assert mirror.child("save_type").opts["visible"] is False
    mirror.child("new_file").activate()  # the button
    assert events == ["new_file"]
