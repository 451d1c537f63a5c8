"""``H5Saver``: :class:`~h5layout.runtime.save.h5saver.H5SaverBase` with Qt signals and dialogs.

Needs ``qtpy`` and a Qt binding (``pip install 'h5layout[gui]'``); nothing else in
h5layout imports this module, so only programs asking for ``H5Saver`` need Qt.

Signals, as PyMoDAQ's: ``status_sig(object)`` (each :meth:`update_status`),
``new_file_sig()`` (the ``new_file`` action: the program then calls
``init_file(update_h5=True)``), ``file_changed_sig(str)`` (``current_h5_file`` changed by
someone else than the saver). Without a path, :meth:`init_file` (``custom_naming``),
:meth:`load_file` and :meth:`save_file` ask for one with a file dialog;
:meth:`show_file_content` opens PyMoDAQ's H5Browser when pymodaq_gui is installed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from qtpy import QtCore, QtWidgets

from h5layout.runtime.codec.settings import ParamDict, ParamValue
from h5layout.runtime.errors import DataValueError, FileAccessError
from h5layout.runtime.model.enums import SaveType, SaveTypeLike
from h5layout.runtime.save.h5saver import H5SaverBase
from h5layout.runtime.save.params import Parameter

if TYPE_CHECKING:  # pyqtgraph ships no types: its names say what the objects are
    from pyqtgraph.parametertree import Parameter as PgParameter


class H5Saver(H5SaverBase, QtCore.QObject):
    """The settings-driven saver with Qt signals (a ``QObject``)."""

    status_sig = QtCore.Signal(object)
    new_file_sig = QtCore.Signal()
    file_changed_sig = QtCore.Signal(str)

    def __init__(
        self,
        save_type: SaveTypeLike = SaveType.scan,
        backend: str | None = None,
        *,
        config: str | Path | Mapping[str, object] | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        QtCore.QObject.__init__(self)
        H5SaverBase.__init__(self, save_type, backend, config=config, clock=clock)
        self._browser_window: QtWidgets.QMainWindow | None = None
        self._mirror: _TreeMirror | None = None

    def show_settings(self, show: bool = True) -> None:
        """Show or hide the settings widget."""
        super().show_settings(show)
        self.settings_tree.setVisible(show)

    @property
    def settings_tree(self) -> QtWidgets.QWidget:
        """A widget showing and editing the settings (pyqtgraph's ParameterTree, as PyMoDAQ
        programs embed it); edits go through the settings' checks."""
        if self._mirror is None:
            self._mirror = _TreeMirror(self.settings)
        return self._mirror.widget

    # -- signals ------------------------------------------------------------------------------
    def update_status(self, status: object) -> None:
        """Emit ``status_sig`` with ``status`` (whatever the program reports)."""
        self.status_sig.emit(status)

    def _new_file_requested(self) -> None:
        self.new_file_sig.emit()

    def _file_changed(self, path: str) -> None:
        self.file_changed_sig.emit(path)

    # -- dialogs ------------------------------------------------------------------------------
    def _ask_file_path(self, save: bool = True, start: str | Path | None = None) -> Path | None:
        """A path from a file dialog (None when cancelled)."""
        if QtWidgets.QApplication.instance() is None:
            raise FileAccessError("a file dialog needs a running QApplication; give the path")
        dialog = QtWidgets.QFileDialog(None, "Save file" if save else "Open file")
        dialog.setOption(QtWidgets.QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setNameFilter("HDF5 files (*.h5 *.hdf5)")
        if start:
            dialog.setDirectory(str(start))
        if save:
            dialog.setAcceptMode(QtWidgets.QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix("h5")
        else:
            dialog.setFileMode(QtWidgets.QFileDialog.FileMode.ExistingFile)
        if not dialog.exec():
            return None
        files = dialog.selectedFiles()
        return Path(files[0]) if files else None

    def close(self) -> None:
        """Close the file and any browser window."""
        self.close_file()
        if self._browser_window is not None:
            self._browser_window.close()
            self._browser_window = None

    def show_file_content(self) -> None:
        """Open the current file in PyMoDAQ's H5Browser (needs pymodaq_gui)."""
        try:
            from pymodaq_gui.h5modules.browsing import H5Browser
        except ImportError as exc:
            raise FileAccessError(f"browsing a file needs pymodaq_gui: {exc}") from exc
        if not self.isopen():
            raise FileAccessError("no file is open")
        self.flush()
        window = QtWidgets.QMainWindow()
        H5Browser(window, h5file=self.h5file, backend=self.backend)
        window.show()
        self._browser_window = window


class _TreeMirror:
    """A pyqtgraph parameter tree kept in step with h5layout's settings, both ways."""

    def __init__(self, settings: Parameter) -> None:
        try:
            from pyqtgraph.parametertree import Parameter as PgParameter
            from pyqtgraph.parametertree import ParameterTree
            from pyqtgraph.parametertree.Parameter import PARAM_TYPES
        except ImportError as exc:
            raise FileAccessError(f"the settings widget needs pyqtgraph: {exc}") from exc
        try:  # PyMoDAQ's parameter types (browsepath, led...) when it is installed
            import pymodaq_gui.parameter  # noqa: F401
        except ImportError:
            pass
        self.settings = settings
        self.pg: PgParameter = PgParameter.create(**self._convert(settings.to_dict(), PARAM_TYPES))
        self.widget: QtWidgets.QWidget = ParameterTree(showHeader=False)
        self.widget.setParameters(self.pg, showTop=False)
        self._syncing = False
        self.pg.sigTreeStateChanged.connect(self._from_widget)
        settings.connect(self._to_widget)
        settings.connect_options(self._options_to_widget)

    @classmethod
    def _convert(cls, d: ParamDict, known: Collection[str]) -> ParamDict:
        out = {k: v for k, v in d.items() if k != "children"}
        if out.get("type") not in known:
            out["type"] = "str"  # a type pyqtgraph does not know: shown as text
        if "children" in d:
            out["children"] = [cls._convert(c, known) for c in d["children"]]
        return out

    def _pg(self, param: Parameter) -> PgParameter:
        return self.pg.child(*param.path()) if param.path() else self.pg

    def _from_widget(
        self, _root: PgParameter, changes: list[tuple[PgParameter, str, ParamValue]]
    ) -> None:
        if self._syncing:
            return
        for pg_param, change, data in changes:
            path = self.pg.childPath(pg_param)
            if path is None:
                continue
            ours = self.settings.child(*path) if path else self.settings
            if change == "activated":
                ours.activate()
            elif change == "value":
                try:
                    ours.setValue(data)
                except DataValueError:
                    self._to_widget(ours, ours.value())  # refused: the widget shows ours

    def _to_widget(self, param: Parameter, value: ParamValue) -> None:
        self._syncing = True
        try:
            self._pg(param).setValue(value)
        finally:
            self._syncing = False

    def _options_to_widget(self, param: Parameter, opts: ParamDict) -> None:
        self._syncing = True
        try:
            self._pg(param).setOpts(**opts)
        finally:
            self._syncing = False
