"""Lowering decisions: frozen IR, node types chosen as the runtime chooses them."""

from __future__ import annotations

import dataclasses

import pytest

from h5layout.compiler import lower
from h5layout.compiler.lowering import GROUP_ROLES, find_node, keyword_attrs
from h5layout.compiler.regen import targets
from h5layout.runtime.saving import H5SaverLowLevel
from h5layout.schema import load_layout_spec

SOURCES = [source for source, _path in targets()]


@pytest.mark.parametrize("source", SOURCES)
def test_group_methods_use_the_node_type_the_runtime_checks(source: str) -> None:
    spec = load_layout_spec(source)
    saver_cls = type("Bound", (H5SaverLowLevel,), {"LAYOUT_SPEC": spec})
    saver = saver_cls()
    for role in GROUP_ROLES:
        if role.group_type is None:
            continue
        assert find_node(spec, role) is saver._layout_node(role.role, role.group_type)


def test_ir_is_frozen_and_holds_every_decision() -> None:
    ir = lower(load_layout_spec("raman_map"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ir.layout_name = "other"  # type: ignore[misc]
    low = next(c for c in ir.classes if c.name == "H5SaverLowLevel")
    (method,) = low.methods
    assert method.name == "add_scan_group" and method.node_type == "scan"
    assert [(p.name, p.annotation, p.default_code) for p in method.params] == [
        ("sample_id", "str", None),
        ("operator", "str", None),
        ("temperature", "float", None),
    ]
    assert method.ignore_override
    assert all(not c.methods for c in ir.classes if c.name != "H5SaverLowLevel")


def test_runtime_written_attributes_are_not_arguments() -> None:
    spec = load_layout_spec("pymodaq")
    for node in spec.nodes.values():
        if node.kind == "group":
            names = {a.name for a in keyword_attrs(node)}
            assert not names & {"type", "settings", "CLASS", "TITLE", "description"}
    ir = lower(spec)
    assert all(not c.methods for c in ir.classes)  # PyMoDAQ itself requires nothing extra
