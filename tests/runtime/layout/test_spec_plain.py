"""The plain form of a resolved layout read back with typed reads (``LayoutSpec.from_dict``)."""

from __future__ import annotations

import copy

import pytest

from h5layout.pymodaq import LAYOUT_SPEC
from h5layout.runtime.layout.spec import UNSET, AttrSpec, LayoutSpec


def test_plain_form_reads_back() -> None:
    assert LayoutSpec.from_dict(LAYOUT_SPEC.to_dict()) == LAYOUT_SPEC


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.update(layout=3), "'layout'"),
        (lambda d: d["policy"].update(undeclared=["warn"]), "'undeclared'"),
        (lambda d: d["nodes"]["scan"].update(role=1), "'role'"),
        (lambda d: d["nodes"]["scan"]["naming"].update(pattern=7), "'pattern'"),
        (lambda d: d["nodes"]["scan"]["attrs"]["type"].update(minimum="0"), "'minimum'"),
        (lambda d: d["nodes"]["data"]["array"].update(dtypes=[1]), "dtypes"),
        (lambda d: d["nodes"].update(scan="not a mapping"), "'scan'"),
    ],
)
def test_a_value_of_the_wrong_type_is_named(change: object, key: str) -> None:
    plain = LAYOUT_SPEC.to_dict()
    plain.setdefault("policy", {})
    change(plain)  # type: ignore[operator]
    with pytest.raises(ValueError, match=key):
        LayoutSpec.from_dict(plain)


def test_unset_is_no_value_and_survives_copies() -> None:
    attr = AttrSpec("note")
    assert not attr.has_const and not attr.has_default
    assert "const" not in attr.to_dict() and "default" not in attr.to_dict()
    assert copy.deepcopy(attr).const is UNSET  # a sentinel object() would not be itself
    given_none = AttrSpec("note", default=None)
    assert given_none.has_default and given_none.to_dict()["default"] is None
