"""``H5SaverBase``: the settings-driven saver acquisition programs hold, without Qt.

It is :class:`~h5layout.runtime.storage.lowlevel.H5SaverLowLevel` plus a parameter tree
(:class:`~h5layout.runtime.save.params.Parameter`) with PyMoDAQ's names — backend, SWMR, HSDS
server, paths and naming, fill value, compression — and PyMoDAQ's date-based file
management: ``base_path/YYYY/YYYYMMDD/Dataset_YYYYMMDD_NNN.h5`` for scans,
``base_path/YYYY/YYYYMMDD/<base_name>_YYYYMMDD_HH_MM_SS.h5`` for the other save types.
Settings take effect at once: the backend, SWMR, compression and fill value reach every
saver writing through it. The Qt face (signals, file dialogs) is
:class:`h5layout.runtime.save.h5saver_qt.H5Saver`, made on first use through
:class:`h5layout.runtime.save.h5saver_lazy.H5Saver`.

Defaults, weakest first: PyMoDAQ's, then the config file (:func:`config_path`), then the
layout where it says (policy ``swmr``/``flush_every``, compression of its data arrays),
then the constructor's ``backend``.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypeAlias

from h5layout.runtime.codec.settings import ParamValue
from h5layout.runtime.errors import BackendError, DataValueError, FileAccessError
from h5layout.runtime.layout.spec import Storage
from h5layout.runtime.model.enums import DataType, GroupType, SaveType, SaveTypeLike
from h5layout.runtime.save.params import Parameter
from h5layout.runtime.storage.backends import BACKENDS, DEFAULT_BACKEND
from h5layout.runtime.storage.h5backend import GROUP
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel, bindings_of

#: environment variable naming the saver's config file (overrides the default location)
CONFIG_ENV = "H5LAYOUT_SAVER_CONFIG"
#: compression libraries offered (PyMoDAQ's); a layout's own is added when it names another
COMPRESSION_LIBRARIES = ("zlib", "gzip")
#: PyMoDAQ's fill values: label -> value
FILL_VALUES: dict[str, float] = {"0": 0.0, "nan": math.nan}

#: A saver default, as PyMoDAQ's config table holds it: text, a number or a boolean.
ConfigValue: TypeAlias = str | int | float | bool

#: PyMoDAQ's defaults (pymodaq_data's configuration template)
BUILTIN_DEFAULTS: dict[str, ConfigValue] = {
    "backend": "h5py",
    "save_path": "C:\\Data",
    "swmr_enabled": True,
    "flush_interval": 1,
    "hsds_endpoint": "http://hsds.sebastienweber.fr",
    "hsds_user": "pymodaq_user",
    "hsds_password": "pymodaq",
    "fill_value": math.nan,
    "compression_library": "zlib",
    "compression_level": 5,
}


def config_path() -> Path:
    """Where the saver's defaults are read from.

    ``$H5LAYOUT_SAVER_CONFIG`` when set; else ``h5layout/saver.toml`` in the user's config
    folder: ``%APPDATA%`` on Windows, ``~/Library/Application Support`` on macOS,
    ``$XDG_CONFIG_HOME`` (default ``~/.config``) elsewhere.
    """
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "h5layout" / "saver.toml"


def _read_toml(path: Path) -> dict[str, object]:
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ModuleNotFoundError:
            raise DataValueError(
                f"{path}: reading the saver config needs Python 3.11+ or the 'tomli' package"
            ) from None
    try:
        with open(path, "rb") as fh:
            return dict(tomllib.load(fh))
    except (OSError, ValueError) as exc:
        raise DataValueError(f"{path}: cannot read the saver config: {exc}") from exc


def _first(value: object) -> object:
    """PyMoDAQ's config lists give their default first."""
    return value[0] if isinstance(value, list) and value else value


def config_defaults(
    config: str | Path | Mapping[str, object] | None = None,
) -> dict[str, ConfigValue]:
    """Defaults from a config (a TOML file, its parsed mapping, or :func:`config_path`).

    The file has PyMoDAQ's ``[data_saving]`` table (the same keys as its ``data.toml``)::

        [data_saving]
        backend = "h5py"            # or a list, first = default
        [data_saving.swmr]
        enabled = true
        flush_interval = 1
        [data_saving.hsds]
        root_url = "http://localhost:5101"
        username = "me"
        pwd = "secret"
        [data_saving.h5file]
        save_path = "/data"
        compression_level = 5
        compression_library = "zlib"
        [data_saving.data_type]
        fill_value = "nan"          # or "0"

    Missing keys keep PyMoDAQ's defaults; a missing file is no error; a value that is not
    text, a number or a boolean is a :class:`DataValueError`.
    """
    out = dict(BUILTIN_DEFAULTS)
    if config is None:
        path = config_path()
        if not path.is_file():
            return out
        config = path
    raw = dict(config) if isinstance(config, Mapping) else _read_toml(Path(config))
    section = raw.get("data_saving", raw)
    if not isinstance(section, Mapping):
        raise DataValueError("saver config: [data_saving] must be a table")

    def table(name: str) -> Mapping[str, object]:
        value = section.get(name, {})
        if not isinstance(value, Mapping):
            raise DataValueError(f"saver config: [data_saving.{name}] must be a table")
        return value

    keys = {
        "backend": (section, "backend"),
        "swmr_enabled": (table("swmr"), "enabled"),
        "flush_interval": (table("swmr"), "flush_interval"),
        "hsds_endpoint": (table("hsds"), "root_url"),
        "hsds_user": (table("hsds"), "username"),
        "hsds_password": (table("hsds"), "pwd"),
        "save_path": (table("h5file"), "save_path"),
        "compression_level": (table("h5file"), "compression_level"),
        "compression_library": (table("h5file"), "compression_library"),
        "fill_value": (table("data_type"), "fill_value"),
    }
    for key, (where, name) in keys.items():
        if name in where:
            value = _first(where[name])
            if isinstance(value, os.PathLike):  # a mapping may give save_path as a Path
                value = str(value)
            if not isinstance(value, str | int | float | bool):
                raise DataValueError(
                    f"saver config: {name} {value!r} is not text, a number or a boolean"
                )
            out[key] = value
    fill = out["fill_value"]
    if isinstance(fill, str):
        if fill not in FILL_VALUES:
            raise DataValueError(
                f"saver config: fill_value {fill!r} is not one of {list(FILL_VALUES)}"
            )
        out["fill_value"] = FILL_VALUES[fill]
    return out


def build_settings(save_type: SaveType, defaults: Mapping[str, ConfigValue]) -> Parameter:
    """The settings tree: PyMoDAQ's names, types, titles, defaults and limits."""
    P = Parameter
    libraries = list(COMPRESSION_LIBRARIES)
    if defaults["compression_library"] not in libraries:
        libraries.append(str(defaults["compression_library"]))
    backend = str(defaults["backend"])
    return P(
        "h5saver_settings",
        children=[
            P("save_type", "list", save_type.name, "Save type:", readonly=True,
              limits=[s.name for s in SaveType]),
            P("save_2D", "bool", True, "Save 2D datas and above:"),
            P("save_raw_only", "bool", True, "Save raw datas only:"),
            P("do_save", "bool", False, "Do Save:"),
            P("N_saved", "int", 0, "N saved:", visible=False),
            P("custom_name", "bool", False, "custom_name?:"),
            P("close_after_scan", "bool", False, "Close file after scan:"),
            P("base_path", "browsepath", str(defaults["save_path"]), "Base path:",
              readonly=True, filetype=False),
            P("base_name", "str", "Scan", "Base name:", readonly=True),
            # state, not settings: shown and saved, never set back from XML
            P("current_scan_name", "str", "", "Current scan:", readonly=True, transient=True),
            P("current_scan_path", "text", str(defaults["save_path"]), "Current path:",
              readonly=True, visible=False, transient=True),
            P("current_h5_file", "browsepath", "", "h5file:", readonly=True, filetype=True,
              transient=True),
            P("show_file", "action", None, "Browse file content",
              tip="Browse the content of the current HDF5 file with a H5Browser"),
            P("new_file", "action", None, "New file"),
            P("backend", "group", None, "Backend:", children=[
                P("backend_type", "list", backend, "Backend type:",
                  limits=["tables", "h5py", "h5pyd"]),
                P("swmr_options", "group", None, "SWMR options:",
                  visible=_swmr_capable(backend), children=[
                      P("enable_swmr", "bool", bool(defaults["swmr_enabled"]), "Enable SWMR:"),
                      P("flush_interval", "int", int(defaults["flush_interval"]),
                        "Flush interval:", min=0),
                  ]),
                P("hsds_options", "group", None, "HSDS Server:", visible=backend == "h5pyd",
                  children=[
                      P("endpoint", "str", str(defaults["hsds_endpoint"]), "Endpoint:"),
                      P("user", "str", str(defaults["hsds_user"]), "User:"),
                      P("password", "str", str(defaults["hsds_password"]), "password:"),
                  ]),
            ]),
            P("data_format", "group", None, "Data format:", children=[
                P("fill_value", "list", float(defaults["fill_value"]), "Fill value:",
                  limits=dict(FILL_VALUES)),
                P("compression_options", "group", None, "Compression:", children=[
                    P("h5comp_library", "list", str(defaults["compression_library"]),
                      "Library:", limits=libraries),
                    P("h5comp_level", "int", int(defaults["compression_level"]), "Level:",
                      min=0, max=9),
                ]),
            ]),
        ],
    )  # fmt: skip


def _swmr_capable(backend: str) -> bool:
    """Whether ``backend`` writes SWMR files (answered without importing the backend)."""
    return backend == "h5py"


def _dataset_pattern(prefix: str) -> re.Pattern[str]:
    """``<prefix>_NNN.h5`` (``Dataset_YYYYMMDD_NNN.h5``), the index captured."""
    return re.compile(rf"^{re.escape(prefix)}_(\d+)\.h5$")


class H5SaverBase(H5SaverLowLevel):
    """A saver driven by a settings tree, with PyMoDAQ's date-based file management.

    ``H5SaverBase(save_type='scan', backend=None)`` as PyMoDAQ's; ``config`` (a TOML path
    or mapping, default :func:`config_path`) gives other defaults, ``clock`` the time used
    for folder and file names (default ``datetime.datetime.now``).
    """

    def __init__(
        self,
        save_type: SaveTypeLike = SaveType.scan,
        backend: str | None = None,
        *,
        config: str | Path | Mapping[str, object] | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        defaults = self._defaults(config_defaults(config))
        if backend is not None:
            defaults["backend"] = backend
        if defaults["backend"] not in BACKENDS:
            raise BackendError(
                f"unknown backend {defaults['backend']!r}; choose one of {sorted(BACKENDS)}"
            )
        super().__init__(save_type=save_type, backend=str(defaults["backend"] or DEFAULT_BACKEND))
        self.clock: Callable[[], datetime.datetime] = clock or datetime.datetime.now
        self._settings_storage: Storage | None = None
        self._swmr_enabled = False
        self._quiet = False  # True while the saver itself updates display-only settings
        self.settings: Parameter = build_settings(self.save_type, defaults)
        self.settings.connect(self._setting_changed)
        for name in ("show_file", "new_file"):
            self.settings.child(name).sigActivated_connect(self._action)
        self._apply_all()

    # -- defaults ----------------------------------------------------------------------------
    def _defaults(self, defaults: dict[str, ConfigValue]) -> dict[str, ConfigValue]:
        """The layout's word on SWMR, flushing and compression over the config's."""
        spec = self.LAYOUT_SPEC
        if spec is None:
            return defaults
        defaults["swmr_enabled"] = bool(spec.policy.swmr)
        defaults["flush_interval"] = int(spec.policy.flush_every)
        storage = self._layout_storage()
        if storage is not None and storage.compression:
            defaults["compression_library"] = storage.compression
            defaults["compression_level"] = 5 if storage.level is None else int(storage.level)
        return defaults

    def _layout_storage(self) -> Storage | None:
        spec = self.LAYOUT_SPEC
        if spec is None:
            return None
        name = bindings_of(spec).arrays[DataType.data.name].node  # the layout's data arrays
        node = spec.nodes[name] if name is not None else None
        return node.array.storage if node is not None and node.array is not None else None

    # -- settings taking effect --------------------------------------------------------------
    def _apply_all(self) -> None:
        s = self.settings
        self._swmr_enabled = bool(s.child("backend", "swmr_options", "enable_swmr").value())
        self.set_swmr_flush_interval(s.child("backend", "swmr_options", "flush_interval").value())
        self.fill_value = float(s.child("data_format", "fill_value").value())
        self._apply_compression()
        self._apply_server()

    def _apply_compression(self) -> None:
        s = self.settings.child("data_format", "compression_options")
        library, level = str(s["h5comp_library"]), int(s["h5comp_level"])
        layout = self._layout_storage()
        if layout is not None and layout.compression:
            if (library, level) == (
                layout.compression,
                layout.level if layout.level is not None else 5,
            ):
                self._settings_storage = None  # the layout's own (chunks, shuffle kept)
            else:
                self._settings_storage = replace(
                    layout, compression=library if level else None, level=level or None
                )
            return
        self._settings_storage = Storage(compression=library, level=level) if level else Storage()

    def _apply_server(self) -> None:
        """Name the HSDS server of the settings to the h5pyd backend."""
        if self.backend != "h5pyd":
            return
        h = self.settings.child("backend", "hsds_options")
        set_server = getattr(self._impl, "set_server", None)
        if set_server is not None:
            set_server(endpoint=h["endpoint"], username=h["user"], password=h["password"])

    @property
    def storage(self) -> Storage:
        """Storage for new arrays: the compression settings (the layout's when they agree)."""
        if self._settings_storage is not None:
            return self._settings_storage
        return super().storage

    def define_compression(self, compression: str | None, compression_opts: int | None) -> None:
        """Set the compression (and the settings showing it)."""
        super().define_compression(compression, compression_opts)
        s = self.settings.child("data_format", "compression_options")
        if compression and compression not in (s.child("h5comp_library").limits() or []):
            s.child("h5comp_library").setOpts(
                limits=[*s.child("h5comp_library").limits(), compression]
            )
        self._quiet = True
        try:
            if compression:
                s.child("h5comp_library").setValue(compression)
            s.child("h5comp_level").setValue(
                0 if not compression else (5 if compression_opts is None else compression_opts)
            )
        finally:
            self._quiet = False
        self._settings_storage = self._storage

    def _setting_changed(self, param: Parameter, value: ParamValue) -> None:
        if self._quiet:
            return
        name = param.name()
        if name == "backend_type":
            self.set_backend(str(value))
            self.settings.child("backend", "swmr_options").show(_swmr_capable(str(value)))
            self.settings.child("backend", "hsds_options").show(value == "h5pyd")
            self._apply_server()
        elif name in ("endpoint", "user", "password"):
            self._apply_server()
        elif name == "enable_swmr":
            self._swmr_enabled = bool(value)
        elif name == "flush_interval":
            self.set_swmr_flush_interval(int(value))
        elif name == "fill_value":
            self.fill_value = float(value)
        elif name in ("h5comp_library", "h5comp_level"):
            self._apply_compression()
        elif name == "save_type":
            self.save_type = SaveType.parse(value)
        elif name == "current_h5_file" and value:
            self.init_file(addhoc_file_path=str(value))  # a file picked in the settings
            self._file_changed(str(value))

    def _file_changed(self, path: str) -> None:
        """Hook: another file was picked in the settings (the Qt face signals it)."""

    def _action(self, param: Parameter) -> None:
        if param.name() == "new_file":
            self._new_file_requested()
        elif param.name() == "show_file":
            self.show_file_content()

    def _new_file_requested(self) -> None:
        """The ``new_file`` action: a new dataset file (the Qt face only signals it)."""
        self.init_file(update_h5=True)

    def _set_quietly(self, name: str, value: ParamValue) -> None:
        self._quiet = True
        try:
            self.settings.child(name).setValue(value)
        finally:
            self._quiet = False

    def show_settings(self, show: bool = True) -> None:
        """Show or hide the settings (a window only in the Qt face)."""
        self.settings.show(show)

    def update_status(self, status: str) -> None:
        """Report a status message (the Qt face emits ``status_sig``)."""

    def show_file_content(self) -> None:
        """Browse the current file: needs the Qt face and PyMoDAQ's H5Browser."""
        raise FileAccessError(
            "browsing a file needs a window: use h5layout's H5Saver (pip install "
            "'h5layout[gui]') with pymodaq_gui installed"
        )

    # -- paths -------------------------------------------------------------------------------
    @staticmethod
    def set_current_scan_path(
        base_dir: str | Path,
        base_name: str = "Scan",
        update_h5: bool = False,
        next_scan_index: int = 0,
        create_scan_folder: bool = False,
        create_dataset_folder: bool = True,
        curr_date: datetime.date | None = None,
        ind_dataset: int | None = None,
        make_folders: bool = True,
        existing: Callable[[Path, str], list[int]] | None = None,
    ) -> tuple[Path, str, Path]:
        """``(dataset_path, scan_name, dataset_path)`` for a date, as PyMoDAQ names them.

        ``base_dir/YYYY/YYYYMMDD`` is created (``make_folders``); the dataset index is
        ``ind_dataset`` when given, else the highest of the ``Dataset_YYYYMMDD_NNN.h5``
        files there (foreign names and folders ignored), plus one when ``update_h5``, 0
        when there is none. The scan name is ``base_name`` and ``next_scan_index`` on
        three digits. ``create_scan_folder``/``create_dataset_folder`` are accepted for
        compatibility and create nothing, as in PyMoDAQ.
        """
        del create_scan_folder, create_dataset_folder
        day = curr_date if curr_date is not None else datetime.date.today()
        if isinstance(day, datetime.datetime):
            day = day.date()
        if not isinstance(day, datetime.date):
            raise DataValueError(f"curr_date must be a date, not {type(day).__name__}")
        stamp = f"{day:%Y%m%d}"
        date_dir = Path(base_dir) / f"{day:%Y}" / stamp
        if make_folders:
            try:
                date_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise FileAccessError(f"{date_dir}: cannot create the folder: {exc}") from exc
        prefix = f"Dataset_{stamp}"
        if ind_dataset is None:
            indices = (existing or _local_indices)(date_dir, prefix)
            ind_dataset = 0 if not indices else max(indices) + (1 if update_h5 else 0)
        dataset_path = date_dir / f"{prefix}_{int(ind_dataset):03d}"
        return dataset_path, f"{base_name}{int(next_scan_index):03d}", dataset_path

    def _today(self) -> datetime.date:
        return self.clock().date()

    def update_file_paths(self, update_h5: bool = False) -> tuple[Path, str, Path]:
        """The dataset path and scan name for now (``current_scan_path`` follows).

        With ``update_h5`` the next dataset index and scan 0; else the open file's last
        scan index.
        """
        next_scan_index = 0 if update_h5 or not self.isopen() else self.get_scan_index()
        local = self._impl.local_files
        scan_path, scan_name, dataset_path = self.set_current_scan_path(
            self.settings["base_path"],
            base_name=self.settings["base_name"],
            update_h5=update_h5,
            next_scan_index=next_scan_index,
            curr_date=self._today(),
            make_folders=local,
            existing=None if local else self._remote_indices,
        )
        self._set_quietly("current_scan_path", str(dataset_path))
        return scan_path, scan_name, dataset_path

    def _remote_indices(self, date_dir: Path, prefix: str) -> list[int]:
        """Dataset indices on a server (HSDS): the domains that exist, counted up from 0."""
        self._make_remote_folders(date_dir)
        found: list[int] = []
        index = 0
        while self._file_exists(date_dir / f"{prefix}_{index:03d}.h5"):
            found.append(index)
            index += 1
        return found

    def _make_remote_folders(self, date_dir: Path) -> None:
        """Create the year and date folders of an HSDS domain path (they must exist)."""
        import h5pyd

        server = dict(getattr(self._impl, "server", {}) or {})
        parts = date_dir.as_posix().rstrip("/").split("/")
        for depth in (len(parts) - 1, len(parts)):
            folder = "/".join(parts[:depth]) + "/"
            try:
                h5pyd.Folder(folder, mode="r", **server).close()
            except OSError:
                try:
                    h5pyd.Folder(folder, mode="w", **server).close()
                except OSError as exc:
                    raise FileAccessError(f"{folder}: cannot create the folder: {exc}") from exc

    # -- files -------------------------------------------------------------------------------
    def _ask_file_path(self, save: bool = True, start: str | Path | None = None) -> Path | None:
        """A path chosen by the user: a dialog in the Qt face; none here."""
        raise FileAccessError(
            "choosing a file needs a dialog: give the path (addhoc_file_path, file_path, "
            "filename), or use h5layout's H5Saver (pip install 'h5layout[gui]')"
        )

    def init_file(  # type: ignore[override]
        self,
        update_h5: bool = False,
        custom_naming: bool = False,
        addhoc_file_path: str | Path | None = None,
        metadata: Mapping[str, object] | None = None,
        mode: str = "a",
    ) -> bool:
        """Open the file of the settings: a new dataset when ``update_h5`` (or when no file
        is open), else the current one; returns ``update_h5``.

        ``addhoc_file_path`` opens that file instead (replaced when ``update_h5``);
        ``custom_naming`` asks for the path (a dialog, Qt face only). ``metadata`` becomes
        attributes of the raw group of a new file.
        """
        if custom_naming and addhoc_file_path is None:
            addhoc_file_path = self._ask_file_path(save=True, start=self.settings["base_path"])
            if addhoc_file_path is None:
                return False  # the user cancelled: nothing changes
        if addhoc_file_path is None:
            new_dataset = bool(update_h5) or not self.isopen()
            _, scan_name, dataset_path = self.update_file_paths(new_dataset)
            if self.save_type is SaveType.scan:
                path = dataset_path.parent / f"{dataset_path.name}.h5"
            else:
                stamp = f"{self.clock():%Y%m%d_%H_%M_%S}"
                path = dataset_path.parent / f"{self.settings['base_name']}_{stamp}.h5"
            replace_file = False  # a date-based name that exists is appended to, never lost
        else:
            path = Path(addhoc_file_path)
            scan_name = ""
            replace_file = bool(update_h5)
            if self._impl.local_files and not path.parent.is_dir():
                # checked before the open file is closed: a bad path changes nothing
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise FileAccessError(f"{path.parent}: cannot create: {exc}") from exc
        self._set_quietly("current_h5_file", str(addhoc_file_path or path))
        self._open(path, replace_file, metadata, mode)
        if addhoc_file_path is not None:
            scan_name = f"{self.settings['base_name']}{self.get_scan_index() + 1:03d}"
        self._set_quietly("current_scan_name", scan_name)
        return bool(update_h5)

    @classmethod
    def from_file(
        cls,
        h5file_path: str | Path,
        save_type: SaveTypeLike = SaveType.scan,
        new_file: bool = False,
        metadata: Mapping[str, object] | None = None,
        swmr_mode: bool = False,
        mode: str = "a",
        backend: str | None = None,
    ) -> H5SaverLowLevel:
        """A saver with ``h5file_path`` opened (replaced when ``new_file``)."""
        saver = cls(save_type=save_type, backend=backend)
        saver.settings.child("backend", "swmr_options", "enable_swmr").setValue(swmr_mode)
        saver.init_file(
            update_h5=new_file, addhoc_file_path=h5file_path, metadata=metadata, mode=mode
        )
        return saver

    def _write_root_attrs(self, path: Path, now: datetime.datetime) -> None:
        # the saver's clock dates the file, as it names it
        super()._write_root_attrs(path, self.clock())

    def _open(
        self, path: Path, new_file: bool, metadata: Mapping[str, object] | None, mode: str
    ) -> None:
        self._apply_server()
        target = path if "h5" in path.suffix else path.with_name(path.stem + ".h5")
        creating = new_file or not self._file_exists(target)
        swmr = self._swmr_enabled and self._impl.swmr_capable and creating and mode != "r"
        super().init_file(path, new_file=new_file, metadata=metadata, swmr_mode=swmr, mode=mode)

    def load_file(
        self, base_path: str | Path | None = None, file_path: str | Path | None = None
    ) -> None:
        """Open an existing file for appending (asks for it, Qt face only, when no path)."""
        if file_path is None:
            file_path = self._ask_file_path(
                save=False, start=base_path or self.settings["base_path"]
            )
            if file_path is None:
                return
        path = Path(file_path)
        if not self._file_exists(path):
            raise FileAccessError(f"{path}: no such file")
        self.init_file(addhoc_file_path=path)

    def save_file(self, filename: str | Path | None = None) -> None:
        """Write a copy of the current file to ``filename`` (asked for in the Qt face)."""
        if filename is None:
            filename = self._ask_file_path(save=True, start=self.settings["base_path"])
            if filename is None:
                return
        self.save_file_as(filename)

    def close_file(self) -> None:
        """Flush and close (the settings keep the last file's name)."""
        super().close_file()

    # -- scans -------------------------------------------------------------------------------
    def get_scan_groups(self) -> list[GROUP]:
        """The raw group's scan groups, in name order."""
        return self.get_groups(self.raw_group, GroupType.scan)

    def get_last_scan(self) -> GROUP | None:
        """The last scan group, or None."""
        return self.get_last_group(self.raw_group, GroupType.scan)

    def get_scan_index(self) -> int:
        """Index of the last scan group (``Scan003`` → 3), 0 when there is none."""
        last = self.get_last_scan()
        if last is None:
            return 0
        naming = self.group_binding("scan").naming
        index = naming.parse_index(last.name)
        if index is None:
            digits = re.findall(r"\d+", last.name)
            return int(digits[-1]) if digits else 0
        return index

    @property
    def current_scan_group(self) -> GROUP | None:
        """The last scan group of the open file."""
        return self.get_last_scan() if self.isopen() else None

    @property
    def current_scan_name(self) -> str:
        """The scan name shown in the settings."""
        return str(self.settings["current_scan_name"])


def _local_indices(date_dir: Path, prefix: str) -> list[int]:
    """Indices of the ``prefix_NNN.h5`` files of a local folder."""
    pattern = _dataset_pattern(prefix)
    try:
        entries = list(os.scandir(date_dir))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FileAccessError(f"{date_dir}: cannot list: {exc}") from exc
    out = []
    for entry in entries:
        match = pattern.match(entry.name)
        if match is not None and entry.is_file():
            out.append(int(match.group(1)))
    return out
