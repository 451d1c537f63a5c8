"""The public API, pinned: a name added or removed is a decision, made here on purpose.

``h5layout`` exports a handful of names; every compiled module exports the same names
(the layout-bound classes, the runtime's re-exports and its own ``LAYOUT``,
``LAYOUT_SPEC``, ``SPECIAL_GROUP_NAMES`` and ``validate``), whatever its layout.
"""

from __future__ import annotations

import ast
from pathlib import Path

import h5layout
import h5layout.pymodaq as pm
from h5layout.compiler.regen import targets

PACKAGE = ["LayoutError", "LayoutSpecError", "__version__", "load_layout", "validate"]

#: what every compiled module exports (``h5layout.pymodaq`` and any layout's module)
MODULE = [
    "CARRAY", "EARRAY", "GROUP", "LAYOUT", "LAYOUT_SPEC", "SPECIAL_GROUP_NAMES",
    "SWMR_CAPABLE_BACKENDS", "VLARRAY", "ActuatorSaver", "Attributes", "Axis", "AxisError",
    "AxisSaverLoader", "BkgSaver", "DataBundle", "DataCalculated", "DataDim", "DataDimError",
    "DataDistribution", "DataEnlargeableSaver", "DataExtendedSaver", "DataFromPlugins",
    "DataLoader", "DataManagement", "DataRaw", "DataSaverLoader", "DataSource", "DataToExport",
    "DataToExportEnlargeableSaver", "DataToExportExtendedSaver", "DataToExportSaver",
    "DataToExportTimedSaver", "DataType", "DataValueError", "DataWithAxes",
    "DetectorEnlargeableSaver", "DetectorExtendedSaver", "DetectorSaver", "ErrorSaverLoader",
    "ExporterFactory", "FileAccessError", "FileReport", "FileType", "GroupType", "H5Backend",
    "H5BrowserUtil", "H5Exporter", "H5Saver", "H5SaverBase", "H5SaverLowLevel",
    "H5asciiExporter", "H5h5Exporter", "H5npyExporter", "H5txtExporter", "InvalidDataDimension",
    "InvalidDataType", "InvalidExport", "InvalidGroupDataType", "InvalidGroupType",
    "InvalidSave", "InvalidScanType", "LayoutError", "LoggerSaver", "MissingAttributeError",
    "ModuleSaver", "Node", "NodeError", "Report", "RuntimeVersionError", "SaveType",
    "ScanSaver", "StringARRAY", "UnsafeContentError", "backends_available",
    "check_mandatory_attrs", "collect_datasets", "extract_axis", "find_scan_node", "get_attr",
    "get_h5_attributes", "get_h5_data_from_node", "is_file_swmr_active", "is_h5py", "is_h5pyd",
    "is_tables", "logger", "open_h5_file_for_reading", "read_settings", "refresh_cached",
    "refresh_datasets", "register_exporter", "register_exporters", "set_attr", "squeeze",
    "validate", "verify_axis_data_uniformity", "write_settings",
]  # fmt: skip


def test_package_names_are_pinned() -> None:
    assert h5layout.__all__ == PACKAGE
    assert all(hasattr(h5layout, name) for name in PACKAGE)


def test_pymodaq_module_names_are_pinned() -> None:
    assert pm.__all__ == MODULE
    assert all(hasattr(pm, name) for name in MODULE)
    public = {n for n in vars(pm) if not n.startswith("_")} - {"annotations", "PathLike"}
    assert public - set(MODULE) <= {"Any", "ClassVar", "Literal"}  # typing helpers only


def _all_of(path: Path) -> list[str]:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{path} has no __all__")


def test_every_compiled_module_exports_the_same_names() -> None:
    for _source, path in targets():
        assert _all_of(path) == MODULE, path


def test_public_names_are_documented() -> None:
    for name in PACKAGE:
        if not name.startswith("__"):
            assert getattr(h5layout, name).__doc__, name
    assert pm.validate.__doc__ and pm.__doc__


def _private_imports(root: Path, folder: str) -> list[str]:
    """``file: module`` for every import of a ``_private`` h5layout module from outside the
    package that holds it (``h5layout._version`` is the package's own)."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        importer = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                names += [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                segments = name.split(".")
                if segments[0] != "h5layout":
                    continue
                for i, seg in enumerate(segments):
                    if not seg.startswith("_") or seg.startswith("__"):
                        continue
                    module = root.joinpath(*segments[: i + 1])
                    if not (module.with_suffix(".py").is_file() or module.is_dir()):
                        break  # a private name inside a module, not a module
                    parent = ".".join(segments[:i])
                    if not (importer == parent or importer.startswith(parent + ".")):
                        found.append(f"{path.relative_to(root)}: {name}")
                    break
    return found


def test_private_modules_stay_inside_their_package() -> None:
    """Other packages, the tests and the benchmarks import public modules only."""
    root = Path(__file__).resolve().parents[1]
    found = [p for folder in ("h5layout", "tests", "bench") for p in _private_imports(root, folder)]
    assert found == []
