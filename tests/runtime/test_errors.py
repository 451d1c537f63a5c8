"""Errors as one tree: every exception class lives in ``h5layout.runtime.errors``, drawn in
its docstring; checks carry their problems as data."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import h5layout
from h5layout.runtime import errors
from h5layout.runtime.layout.attrcheck import resolve_attrs
from h5layout.runtime.layout.spec import AttrSpec

OPTIONAL = {"h5layout.runtime.storage.backends._h5pyd", "h5layout.pymodaq"}


def _package_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(h5layout.__path__, "h5layout."):
        if info.name in OPTIONAL or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                # a private control-flow exception never leaves its module (_yaml._Stop)
                if obj.__module__.startswith("h5layout") and not obj.__name__.startswith("_"):
                    found[f"{info.name}.{name}"] = obj
    return found


def test_every_exception_class_is_defined_in_the_errors_module() -> None:
    found = _package_exceptions()
    assert found, "the walk found nothing"
    elsewhere = {where for where, cls in found.items() if cls.__module__ != errors.__name__}
    assert elsewhere == set()


def test_the_drawn_tree_names_every_exception() -> None:
    doc = errors.__doc__ or ""
    for name, obj in vars(errors).items():
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert name in doc, name
            assert obj is errors.LayoutError or issubclass(obj, errors.LayoutError), name


def test_old_import_locations_still_work() -> None:
    from h5layout.compiler import CompileError
    from h5layout.runtime.check.detect import LayoutNotFoundError
    from h5layout.runtime.check.repair import RepairError
    from h5layout.runtime.codec.attrs import UnsafeLiteralError
    from h5layout.runtime.layout.patterns import PatternError

    assert CompileError is errors.CompileError
    assert UnsafeLiteralError is errors.UnsafeLiteralError
    assert LayoutNotFoundError is errors.LayoutNotFoundError
    assert RepairError is errors.RepairError
    assert PatternError is errors.PatternError


SPECS = {
    "sample": AttrSpec("sample", type="str", required=True),
    "power": AttrSpec("power", type="float", minimum=0.0),
    "mode": AttrSpec("mode", type="str", enum=("fast", "slow")),
}


def test_value_problems_are_data_with_stable_codes() -> None:
    with pytest.raises(errors.DataValueError) as info:
        resolve_attrs("scan", SPECS, {"power": -1.0, "mode": "medium"}, where="/RawData")
    assert not isinstance(info.value, errors.MissingAttributeError)
    problems = [(p.path, p.attribute, p.code) for p in info.value.problems]
    assert problems == [
        ("/RawData", "sample", "missing-attribute"),
        ("/RawData", "power", "out-of-range"),
        ("/RawData", "mode", "bad-attribute-value"),
    ]
    assert "sample: missing required attribute (str)" in str(info.value)


def test_only_missing_attributes_is_a_missing_attribute_error() -> None:
    with pytest.raises(errors.MissingAttributeError) as info:
        resolve_attrs("scan", SPECS, {"power": 1, "note": "a missing required text"})
    assert [p.code for p in info.value.problems] == ["missing-attribute"]
    # a message that merely contains the words is not what decides the class
    with pytest.raises(errors.DataValueError) as other:
        resolve_attrs(
            "scan", {"s": AttrSpec("s", type="str", const="x")}, {"s": "missing required"}
        )
    assert not isinstance(other.value, errors.MissingAttributeError)
    assert [p.code for p in other.value.problems] == ["bad-attribute-value"]
