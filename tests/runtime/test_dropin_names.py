"""Every public name of pymodaq_data 5.3.0's h5modules is importable from h5layout.pymodaq.

The names are enumerated at run time from the installed pymodaq_data. A name is public
when it does not start with ``_``, is not a sub-module, and is either a class or function
defined in pymodaq_data or a plain value (bool, frozenset, dict, logger…) set at module
level. Names those modules only import from elsewhere (``np``, ``Path``, typing aliases,
pymodaq_utils' ``config``, ``capitalize``…) are not part of the contract.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import types
import warnings
from typing import Any

import numpy as np
import pytest

import h5layout.pymodaq as hp

pytest.importorskip("pymodaq_data")

SUBMODULES = (
    "pymodaq_data.h5modules",
    "pymodaq_data.h5modules.backends",
    "pymodaq_data.h5modules.saving",
    "pymodaq_data.h5modules.data_saving",
    "pymodaq_data.h5modules.exporter",
    "pymodaq_data.h5modules.exporters",
    "pymodaq_data.h5modules.exporters.base",
    "pymodaq_data.h5modules.exporters.flimj",
    "pymodaq_data.h5modules.exporters.hyperspy",
    "pymodaq_data.h5modules.browsing",
    "pymodaq_data.h5modules.utils",
    "pymodaq_data.h5modules.swmr",
)

#: instances of these types, set at module level, are public values
_VALUE_TYPES = (bool, int, float, str, frozenset, dict, tuple, logging.Logger)


def _is_public(obj: Any) -> bool:
    if isinstance(obj, types.ModuleType):
        return False
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return str(getattr(obj, "__module__", "")).startswith("pymodaq_data")
    return isinstance(obj, _VALUE_TYPES)


def pymodaq_public_names() -> dict[str, tuple[str, Any]]:
    """``{name: (module, object)}`` of every public name of the h5modules submodules."""
    names: dict[str, tuple[str, Any]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module_name in SUBMODULES:
            module = importlib.import_module(module_name)
            for name in dir(module):
                if name.startswith("_"):
                    continue
                obj = getattr(module, name)
                if _is_public(obj):
                    names.setdefault(name, (module_name, obj))
    return names


def test_the_enumeration_finds_the_names_the_issue_lists() -> None:
    names = pymodaq_public_names()
    for name in ("squeeze", "check_mandatory_attrs", "register_exporter", "register_exporters",
                 "H5SaverLowLevel", "DataLoader", "SWMR_CAPABLE_BACKENDS", "logger"):  # fmt: skip
        assert name in names
    for name in ("np", "Path", "Union", "config", "capitalize", "backends", "annotations"):
        assert name not in names


def test_every_public_name_is_importable_from_h5layout_pymodaq() -> None:
    missing = {
        name: module for name, (module, _obj) in pymodaq_public_names().items()
        if not hasattr(hp, name)
    }  # fmt: skip
    assert missing == {}


def test_names_are_of_the_same_kind() -> None:
    """A class stays a class, a function a function, a value a value of the same type."""
    for name, (module, obj) in pymodaq_public_names().items():
        ours = getattr(hp, name)
        if inspect.isclass(obj):
            assert inspect.isclass(ours), (module, name)
        elif callable(obj) and not isinstance(obj, logging.Logger):
            assert callable(ours), (module, name)
        else:
            assert isinstance(ours, type(obj)), (module, name, type(ours))


def test_functions_take_the_same_parameters() -> None:
    """Every parameter of pymodaq_data's functions is accepted, under the same name."""
    for name, (module, obj) in pymodaq_public_names().items():
        if not inspect.isfunction(obj) or name == "annotations":
            continue
        theirs = list(inspect.signature(obj).parameters)
        ours = list(inspect.signature(getattr(hp, name)).parameters)
        assert ours[: len(theirs)] == theirs, (module, name, theirs, ours)


#: (class, member) of pymodaq_data's h5modules classes that h5layout's lack on purpose
MEMBER_EXCEPTIONS: set[tuple[str, str]] = set()


def _members(cls: type) -> set[str]:
    fields = getattr(cls, "__dataclass_fields__", {})
    return {m for m in dir(cls) if not m.startswith("_")} | set(fields)


def test_classes_have_the_same_public_members() -> None:
    """Methods and properties of the h5modules classes (pymodaq_data's data model classes
    are not compared: with pymodaq_data installed, loaders return its own objects)."""
    missing = []
    for name, (_module, obj) in pymodaq_public_names().items():
        if not inspect.isclass(obj) or issubclass(obj, BaseException):
            continue
        if not obj.__module__.startswith("pymodaq_data.h5modules"):
            continue
        ours = _members(getattr(hp, name))
        missing += [(name, m) for m in sorted(_members(obj) - ours)
                    if (name, m) not in MEMBER_EXCEPTIONS]  # fmt: skip
    assert missing == []


def test_exception_classes_keep_pymodaq_base_classes() -> None:
    """Code catching ValueError around create_exporter / group creation still catches."""
    assert issubclass(hp.InvalidGroupType, ValueError)
    assert issubclass(hp.InvalidExport, ValueError)


# ---- the helpers behave as pymodaq_data's


def test_squeeze_matches_pymodaq() -> None:
    from pymodaq_data.data import squeeze

    for array, kwargs in [
        (np.zeros((1, 3, 1)), {}),
        (np.zeros((1,)), {}),
        (np.zeros((1, 3, 1)), {"do_squeeze": False}),
        (np.zeros((1, 3, 1)), {"squeeze_indexes": (0,)}),
        (np.float64(2.0), {}),
    ]:
        assert hp.squeeze(array, **kwargs).shape == squeeze(array, **kwargs).shape


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_attributes_know_their_node(tmp_path: Any, backend: str) -> None:
    h5 = hp.H5Backend(backend)
    h5.open_file(tmp_path / "a.h5", "w")
    group = h5.get_set_group("/", "G")
    node = group.attrs.node
    assert isinstance(node, hp.GROUP) and node.path == "/G" and node == group
    h5.close_file()


def test_check_mandatory_attrs() -> None:
    from pymodaq_data.h5modules.backends import check_mandatory_attrs

    for name, value in [("TITLE", b"x"), ("CLASS", b"GROUP"), ("other", b"x"), ("TITLE", 3)]:
        assert hp.check_mandatory_attrs(name, value) == check_mandatory_attrs(name, value)


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_get_set_attr_on_raw_nodes(tmp_path: Any, backend: str) -> None:
    from pymodaq_data.h5modules import backends as pm

    h5 = hp.H5Backend(backend)
    h5.open_file(tmp_path / "a.h5", "w")
    group = h5.get_set_group("/", "G")
    hp.set_attr(group.node, "meta", {"a": 1}, backend=backend)
    hp.set_attr(group.node, "count", 3, backend=backend)
    assert hp.get_attr(group.node, "count", backend=backend) == 3
    assert hp.get_attr(group, "meta") == {"a": 1}
    assert set(hp.get_attr(group.node, None, backend=backend)) >= {"meta", "count"}
    # pymodaq_data reads what h5layout's set_attr wrote
    assert pm.get_attr(group.node, "count", backend=backend) == 3
    h5.close_file()


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_find_scan_node_and_get_h5_attributes(tmp_path: Any, backend: str) -> None:
    h5 = hp.H5SaverLowLevel(backend=backend)
    h5.init_file(tmp_path / "a.h5", new_file=True)
    scan = h5.add_scan_group()
    det = h5.add_det_group(scan, "det", settings_as_xml="<x/>")
    node, nav = hp.find_scan_node(det)
    assert node is not None and node.path == scan.path and nav == []
    assert hp.find_scan_node(h5.get_node("/")) == (None, [])  # the raw group is of type scan
    attrs, settings, scan_settings, pixmaps = hp.get_h5_attributes(h5, det.path)
    assert attrs["type"] == "detector" and settings == "<x/>" and scan_settings is None
    assert pixmaps == []
    h5.close_file()


def test_axis_helpers() -> None:
    assert hp.verify_axis_data_uniformity(np.linspace(0, 1, 11)) == (0.0, pytest.approx(0.1))
    assert hp.verify_axis_data_uniformity(np.array([0.0, 1.0, 3.0])) == (None, None)
    axis = hp.Axis("x", "m", data=np.arange(4.0))
    assert hp.extract_axis(axis).tolist() == [0, 1, 2, 3]
    assert hp.extract_axis({"data": [1, 2]}).tolist() == [1, 2]


def test_register_exporters_lists_the_shipped_exporters() -> None:
    registered = hp.register_exporters()
    assert registered and registered[0].__name__ == "h5layout.runtime.tools.browsing"
    assert hp.register_exporter("no_such_package_h5layout") == []
    for ext in ("txt", "npy", "h5", "ascii"):
        assert ext in hp.ExporterFactory.exporters_registry


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_ascii_exporter_matches_pymodaq(tmp_path: Any, backend: str) -> None:
    from pymodaq_data.h5modules.backends import H5Backend as PmBackend
    from pymodaq_data.h5modules.exporters.flimj import H5asciiExporter

    h5 = hp.H5Backend(backend)
    h5.open_file(tmp_path / "a.h5", "w")
    h5.create_carray("/", "A", np.arange(6.0).reshape(2, 3))
    h5.close_file()
    h5.open_file(tmp_path / "a.h5", "r")
    hp.H5asciiExporter().export_data(h5.get_node("/A"), tmp_path / "ours.ascii")
    h5.close_file()
    pm = PmBackend(backend)
    pm.open_file(str(tmp_path / "a.h5"), "r")
    H5asciiExporter().export_data(pm.get_node("/A"), str(tmp_path / "theirs.ascii"))
    pm.close_file()
    ours = np.loadtxt(tmp_path / "ours.ascii")
    assert np.array_equal(ours, np.loadtxt(tmp_path / "theirs.ascii"))
    assert ours.shape == (3, 2)


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_get_h5_data_from_node_loads_the_node(tmp_path: Any, backend: str) -> None:
    h5 = hp.H5SaverLowLevel(backend=backend)
    h5.init_file(tmp_path / "a.h5", new_file=True)
    group = h5.get_set_group(h5.add_det_group(h5.raw_group, "det"), "Data1D")
    hp.DataSaverLoader(h5).add_data(group, hp.DataRaw("spec", data=[np.arange(3.0)]))
    node = h5.get_node(group, "Data00")
    dwa = hp.get_h5_data_from_node(node)
    assert dwa.name == "spec" and dwa.data[0].tolist() == [0.0, 1.0, 2.0]
    assert h5.isopen()  # the caller's file stays open
    h5.close_file()
