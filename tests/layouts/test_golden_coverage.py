"""Every node and attribute of the golden pymodaq_data files is declared by pymodaq.yaml."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec
from h5layout.schema import load_layout_spec

_NODE_RE = re.compile(r"^\s*(GROUP|DATASET) (/\S*)")
_ATTR_RE = re.compile(r"^\s*@(.+?) <([^>]*)> = (.*)$")

#: JSON envelope type names → attribute types of the layout language.
_JSON_TYPES = {
    "str": "str",
    "int": "int",
    "int64": "int",
    "float": "float",
    "float64": "float",
    "bool": "bool",
    "tuple": "tuple",
    "list": "list",
    "dict": "dict",
    "ndarray": "ndarray",
    "NoneType": None,
}


@dataclass
class DumpNode:
    """One GROUP or DATASET of a dump, with its attributes (name → (type, value))."""

    kind: str
    path: str
    attrs: dict[str, tuple[str | None, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1] or "/"


def _stored(storage: str, raw: str) -> tuple[str | None, Any]:
    """(layout type of the stored value, decoded value) of one dumped attribute."""
    if storage.startswith("string"):
        if raw.startswith("Empty("):
            return "str", ""
        text = ast.literal_eval(raw[1:] if raw.startswith("b'") or raw.startswith('b"') else raw)
        try:
            env = json.loads(text)
        except ValueError:
            return "str", text
        if isinstance(env, dict) and set(env) == {"module", "type", "data"}:
            value: Any = env["data"]
            if env["type"] == "str":
                value = ast.literal_eval(env["data"])
            return _JSON_TYPES.get(env["type"], "?" + env["type"]), value
        return "str", text
    if storage.startswith("bool"):
        return "bool", "True" in raw
    if storage.startswith("int"):
        return "int", int(re.sub(r"\D", "", raw) or 0)
    return "?" + storage, raw


def parse_dump(text: str) -> list[DumpNode]:
    """The nodes of a dump.txt, in order."""
    nodes: list[DumpNode] = []
    for line in text.splitlines():
        if m := _NODE_RE.match(line):
            nodes.append(DumpNode("group" if m.group(1) == "GROUP" else "array", m.group(2)))
        elif (m := _ATTR_RE.match(line)) and nodes:
            nodes[-1].attrs[m.group(1)] = _stored(m.group(2).split(",")[0], m.group(3))
    return nodes


def _fits(declared: str, stored: str | None) -> bool:
    if declared == "any":
        return True
    if stored is None:
        return False
    return declared == stored or (declared == "float" and stored == "int")


def _candidates(spec: LayoutSpec, parent: NodeSpec | None, node: DumpNode) -> list[NodeSpec]:
    pool = [spec.node(spec.root)] if parent is None else [spec.node(t) for t in parent.children]
    out = []
    for n in pool:
        if n.kind != node.kind:
            continue
        if (n.naming.fixed or n.naming.pattern) and not n.naming.regex().match(node.name):
            continue
        if any(node.attrs.get(k, (None, object()))[1] != v for k, v in n.match.items()):
            continue
        out.append(n)
    # named types beat free names, then the most specific match wins
    out.sort(key=lambda n: (not (n.naming.fixed or n.naming.pattern), -len(n.match)))
    return out


@pytest.fixture(scope="module")
def spec() -> LayoutSpec:
    return load_layout_spec("pymodaq")


def test_parse_dump_reads_envelopes() -> None:
    nodes = parse_dump(
        "GROUP /\n    @TITLE <string[vlen,utf8],scalar> = "
        """'{"module": "builtins", "type": "tuple", "data": "(1,)"}'\n"""
        "    @swmr_active <bool,scalar> = bool(True)\n"
    )
    assert nodes[0].attrs == {"TITLE": ("tuple", "(1,)"), "swmr_active": ("bool", True)}


def coverage_problems(spec: LayoutSpec, dump_name: str, text: str, seen: set[str]) -> list[str]:
    """What in one dump the layout does not declare (or declares with another type)."""
    problems: list[str] = []
    types: dict[str, NodeSpec] = {}
    for node in parse_dump(text):
        where = f"{dump_name}:{node.path}"
        parent_path = node.path.rsplit("/", 1)[0] or "/"
        parent = None if node.path == "/" else types.get(parent_path)
        if node.path != "/" and parent is None:
            continue  # its parent was already reported
        found = _candidates(spec, parent, node)
        if not found:
            problems.append(f"{where}: no node type declared")
            continue
        ntype = found[0]
        types[node.path] = ntype
        seen.add(ntype.name)
        for name, (stored, value) in node.attrs.items():
            attr = ntype.attrs.get(name)
            if attr is None:
                if ntype.options.get("undeclared_attrs") != "allow":
                    problems.append(f"{where}@{name}: not declared by {ntype.name}")
            elif not _fits(attr.type, stored):
                problems.append(f"{where}@{name}: stored {stored}, declared {attr.type}")
            elif attr.has_const and stored == "str" and value != attr.const and value:
                problems.append(f"{where}@{name}: {value!r} is not the const {attr.const!r}")
        for attr in ntype.attrs.values():
            # TITLE may be absent on the h5py root only before pymodaq sets it
            if attr.required and attr.name not in node.attrs and attr.name != "TITLE":
                problems.append(f"{where}@{attr.name}: required by {ntype.name}, absent")
    return problems


def test_every_golden_node_and_attribute_is_declared(golden_dir: Path, spec: LayoutSpec) -> None:
    dumps = sorted(golden_dir.glob("*.dump.txt"))
    assert dumps, "no golden dumps"
    seen: set[str] = set()
    problems: list[str] = []
    for dump in dumps:
        problems += coverage_problems(spec, dump.name, dump.read_text(), seen)
    assert problems == []
    # the golden files exercise most of the layout
    groups = {"root", "raw", "scan", "detector", "actuator", "ch", "channel", "dim", "nav_axes"}
    arrays = {"logger", "data", "bkg", "axis", "enl_data", "enl_axis", "strings", "array"}
    assert groups | arrays | {"vlarray", "enl_error", "data_group"} <= seen


def test_coverage_check_catches_missing_declarations(golden_dir: Path, spec: LayoutSpec) -> None:
    text = (golden_dir / "dte_basic_h5py.dump.txt").read_text()
    axis = spec.node("axis")
    crippled_axis = replace(
        axis, attrs={k: v for k, v in axis.attrs.items() if k != "spread_order"}
    )
    crippled = replace(spec, nodes={**spec.nodes, "axis": crippled_axis})
    problems = coverage_problems(crippled, "x", text, set())
    assert problems and all("@spread_order: not declared by axis" in p for p in problems)
    wrong = replace(axis, attrs={**axis.attrs, "index": replace(axis.attrs["index"], type="str")})
    problems = coverage_problems(
        replace(spec, nodes={**spec.nodes, "axis": wrong}), "x", text, set()
    )
    assert problems and all("@index: stored int, declared str" in p for p in problems)
