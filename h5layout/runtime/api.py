"""The runtime facade compiled modules import (``from h5layout.runtime import api as _rt``).

A generated module subclasses the classes listed in :data:`LAYOUT_BOUND_CLASSES` (binding
``LAYOUT_SPEC`` on low-level savers, ``SAVER_CLASS`` on classes that open paths), re-exports
the names of :data:`REEXPORTS` unchanged and checks files with :func:`validate_file`.

:data:`RUNTIME_API_VERSION` is checked by every generated module on import: bump it
whenever a change here would break modules generated before (a renamed class, a changed
hook), so that they fail with :class:`RuntimeVersionError` instead of misbehaving.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from numpy import ndarray

from h5layout.runtime.check.report import FileReport, Report
from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.compat import (
    SWMR_CAPABLE_BACKENDS,
    check_mandatory_attrs,
    extract_axis,
    find_scan_node,
    get_attr,
    get_h5_attributes,
    get_h5_data_from_node,
    is_h5py,
    is_h5pyd,
    is_tables,
    logger,
    register_exporter,
    register_exporters,
    set_attr,
    squeeze,
    verify_axis_data_uniformity,
)
from h5layout.runtime.errors import (
    AxisError,
    DataDimError,
    DataValueError,
    FileAccessError,
    InvalidDataDimension,
    InvalidDataType,
    InvalidExport,
    InvalidGroupDataType,
    InvalidGroupType,
    InvalidSave,
    InvalidScanType,
    LayoutError,
    MissingAttributeError,
    NodeError,
    RuntimeVersionError,
    UnsafeContentError,
)
from h5layout.runtime.layout.spec import LayoutSpec, PlainDict
from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import (
    Axis,
    DataCalculated,
    DataFromPlugins,
    DataRaw,
    DataToExport,
    DataWithAxes,
)
from h5layout.runtime.model.enums import (
    DataDim,
    DataDistribution,
    DataSource,
    DataType,
    FileType,
    GroupType,
    GroupTypeLike,
    SaveType,
)
from h5layout.runtime.save.data import (
    AxisSaverLoader,
    BkgSaver,
    DataManagement,
    DataSaverLoader,
    ErrorSaverLoader,
)
from h5layout.runtime.save.dte import (
    DataBundle,
    DataToExportEnlargeableSaver,
    DataToExportExtendedSaver,
    DataToExportSaver,
    DataToExportTimedSaver,
)
from h5layout.runtime.save.h5saver import H5SaverBase
from h5layout.runtime.save.h5saver_lazy import H5Saver
from h5layout.runtime.save.modules import (
    ActuatorSaver,
    DetectorEnlargeableSaver,
    DetectorExtendedSaver,
    DetectorSaver,
    LoggerSaver,
    ModuleSaver,
    ScanSaver,
    read_settings,
    write_settings,
)
from h5layout.runtime.save.points import DataEnlargeableSaver, DataExtendedSaver
from h5layout.runtime.storage.backends import backends_available
from h5layout.runtime.storage.h5backend import (
    CARRAY,
    EARRAY,
    GROUP,
    VLARRAY,
    Attributes,
    H5Backend,
    Node,
    StringARRAY,
)
from h5layout.runtime.storage.lowlevel import GROUP_RUNTIME_ATTRS, H5SaverLowLevel
from h5layout.runtime.storage.swmr import (
    collect_datasets,
    is_file_swmr_active,
    open_h5_file_for_reading,
    refresh_cached,
    refresh_datasets,
)
from h5layout.runtime.storage.types import Where
from h5layout.runtime.tools.browsing import (
    ExporterFactory,
    H5asciiExporter,
    H5BrowserUtil,
    H5Exporter,
    H5h5Exporter,
    H5npyExporter,
    H5txtExporter,
)

#: Version of this facade; generated modules refuse to run against another one.
RUNTIME_API_VERSION: Final = 2  # 2: savers read the bindings LAYOUT carries


#: Classes a compiled module subclasses with its layout bound, base classes first.
LAYOUT_BOUND_CLASSES: tuple[str, ...] = (
    "H5SaverLowLevel",
    "AxisSaverLoader",
    "DataSaverLoader",
    "BkgSaver",
    "ErrorSaverLoader",
    "DataEnlargeableSaver",
    "DataExtendedSaver",
    "DataToExportSaver",
    "DataToExportEnlargeableSaver",
    "DataToExportTimedSaver",
    "DataToExportExtendedSaver",
    "DataLoader",
    "H5BrowserUtil",
    # settings-driven savers (H5Saver imports Qt at its first instantiation only)
    "H5SaverBase",
    "H5Saver",
)

#: Types the annotations of generated methods use (``_rt.ndarray``, ``_rt.datetime``); the
#: aliases ``_rt.Where``, ``_rt.GroupTypeLike`` and ``_rt.PlainDict`` type their parameters
#: and their layout data.
ANNOTATION_TYPES: tuple[type, ...] = (ndarray, datetime)

__all__ = [
    "ANNOTATION_TYPES",
    "CARRAY",
    "EARRAY",
    "GROUP",
    "GROUP_RUNTIME_ATTRS",
    "LAYOUT_BOUND_CLASSES",
    "REEXPORTS",
    "RUNTIME_API_VERSION",
    "SWMR_CAPABLE_BACKENDS",
    "VLARRAY",
    "ActuatorSaver",
    "Attributes",
    "Axis",
    "AxisError",
    "AxisSaverLoader",
    "BkgSaver",
    "DataBundle",
    "DataCalculated",
    "DataDim",
    "DataDimError",
    "DataDistribution",
    "DataEnlargeableSaver",
    "DataExtendedSaver",
    "DataFromPlugins",
    "DataLoader",
    "DataManagement",
    "DataRaw",
    "DataSaverLoader",
    "DataSource",
    "DataToExport",
    "DataToExportEnlargeableSaver",
    "DataToExportExtendedSaver",
    "DataToExportSaver",
    "DataToExportTimedSaver",
    "DataType",
    "DataValueError",
    "DataWithAxes",
    "DetectorEnlargeableSaver",
    "DetectorExtendedSaver",
    "DetectorSaver",
    "ErrorSaverLoader",
    "ExporterFactory",
    "FileAccessError",
    "FileReport",
    "FileType",
    "GroupType",
    "GroupTypeLike",
    "H5Backend",
    "H5BrowserUtil",
    "H5Exporter",
    "H5Saver",
    "H5SaverBase",
    "H5SaverLowLevel",
    "H5asciiExporter",
    "H5h5Exporter",
    "H5npyExporter",
    "H5txtExporter",
    "InvalidDataDimension",
    "InvalidDataType",
    "InvalidExport",
    "InvalidGroupDataType",
    "InvalidGroupType",
    "InvalidSave",
    "InvalidScanType",
    "LayoutError",
    "LayoutSpec",
    "LoggerSaver",
    "MissingAttributeError",
    "ModuleSaver",
    "Node",
    "NodeError",
    "PlainDict",
    "Report",
    "RuntimeVersionError",
    "SaveType",
    "ScanSaver",
    "StringARRAY",
    "UnsafeContentError",
    "Where",
    "backends_available",
    "check_mandatory_attrs",
    "collect_datasets",
    "extract_axis",
    "find_scan_node",
    "get_attr",
    "get_h5_attributes",
    "get_h5_data_from_node",
    "is_file_swmr_active",
    "is_h5py",
    "is_h5pyd",
    "is_tables",
    "logger",
    "open_h5_file_for_reading",
    "read_settings",
    "refresh_cached",
    "refresh_datasets",
    "register_exporter",
    "register_exporters",
    "set_attr",
    "squeeze",
    "validate_file",
    "verify_axis_data_uniformity",
    "write_settings",
]

#: Names of this facade a compiled module does not re-export (it uses them itself).
_FACADE_ONLY = frozenset(
    {
        "ANNOTATION_TYPES",
        "GROUP_RUNTIME_ATTRS",
        "LAYOUT_BOUND_CLASSES",
        "REEXPORTS",
        "RUNTIME_API_VERSION",
        "GroupTypeLike",
        "LayoutSpec",
        "PlainDict",
        "Where",
        "validate_file",
    }
)

#: Names a compiled module re-exports unchanged: the rest of ``__all__``.
REEXPORTS: tuple[str, ...] = tuple(
    name for name in __all__ if name not in _FACADE_ONLY and name not in LAYOUT_BOUND_CLASSES
)
