"""The data section of generated modules: compact, read back to the very spec compiled,
laid out for readers (a derived layout's own node types on the first screen)."""

from __future__ import annotations

import ast
import dataclasses
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from h5layout.compiler.build import portable_spec, shipped_base
from h5layout.compiler.layout_data import compact_layout
from h5layout.compiler.literals import LINE_LENGTH, py_flow
from h5layout.compiler.lowering import bind
from h5layout.compiler.regen import PACKAGE_DIR, targets
from h5layout.runtime.layout.cache import dumps_layout, loads_layout, parse_module_layout
from h5layout.runtime.layout.spec import AttrSpec, LayoutSpec, NodeSpec
from h5layout.schema import load_layout_spec
from tests.compiler.conftest import TRICKY

TARGETS = targets()
IDS = [Path(path).stem for _source, path in TARGETS]
#: layouts round-tripped besides the committed modules' (a lab layout of the lab tests)
LAB_LAYOUTS = [Path(__file__).resolve().parents[1] / "lab" / "flim_map.yaml"]
FIRST_SCREEN = 60
_NONE = object()


def compiled_spec(source: str | Path) -> LayoutSpec:
    """The spec a module of ``source`` is compiled from (what ``compile_layout`` lowers)."""
    return bind(portable_spec(load_layout_spec(source)))


def test_pymodaq_module_is_under_800_lines() -> None:
    lines = (PACKAGE_DIR / "pymodaq.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 800


@pytest.mark.parametrize(
    "source", [*(s for s, _p in TARGETS), *map(str, LAB_LAYOUTS)], ids=[*IDS, "flim_map"]
)
def test_compact_data_reads_back_to_the_compiled_spec(source: str) -> None:
    spec = compiled_spec(source)
    data = compact_layout(spec)
    assert data["format"] == 3
    assert LayoutSpec.from_dict(data) == spec
    assert LayoutSpec.from_dict(loads_layout(dumps_layout(data))) == spec  # the JSON copy
    assert LayoutSpec.from_dict(spec.to_dict()) == spec  # the plain form still reads
    # each declaration once: no two keys of the table hold the same declaration
    decls = [repr(sorted(d.items())) for d in data["attrs"].values()]
    assert len(decls) == len(set(decls))
    # no value equal to its default is written
    defaults = {"type": "any", "required": False, "encoding": "json", "description": ""}
    for decl in data["attrs"].values():
        assert not {k for k, v in defaults.items() if decl.get(k, _NONE) == v}, decl
    for node in data["nodes"].values():
        assert "kind" not in node  # every test layout's kind follows from ``array``
        assert node.get("role") not in ("group", "array")
        assert node.get("undeclared", "") != "warn" and node.get("description", "x")
        assert all(node.get(k, "x") for k in ("naming", "match", "children", "options"))


@pytest.mark.parametrize(("source", "path"), TARGETS, ids=IDS)
def test_committed_module_read_as_data_is_the_compiled_spec(source: str, path: Path) -> None:
    layout = parse_module_layout(path.read_text(encoding="utf-8"))  # never imported
    assert LayoutSpec.from_dict(layout) == compiled_spec(source)


def _plain(node: NodeSpec, policy: str) -> dict[str, Any]:
    """What a node type says, without where it was written (``policy``: the layout's
    ``undeclared`` policy, which a node type may just follow)."""
    d = node.to_dict()
    d.pop("location", None)
    if d.get("undeclared", "warn") == policy:
        d["undeclared"] = "(policy)"
    d["attrs"] = {
        k: {f: v for f, v in a.items() if f != "location"} for k, a in d.get("attrs", {}).items()
    }
    options = dict(d.get("options") or {})
    options.pop("locations", None)
    if options.get("undeclared_attrs") == policy:
        options["undeclared_attrs"] = "(policy)"
    d["options"] = options
    return d


#: every committed module but the package's own is a layout derived from it
DERIVED = [(s, p) for s, p in TARGETS if p != PACKAGE_DIR / "pymodaq.py"]


@pytest.mark.parametrize(("source", "path"), DERIVED, ids=[p.stem for _s, p in DERIVED])
def test_derived_module_shows_its_own_node_types_on_the_first_screen(
    source: str, path: Path
) -> None:
    spec = portable_spec(load_layout_spec(source))
    base = shipped_base(spec)
    assert base is not None and base.layout == "pymodaq"
    own = [
        name
        for name, node in spec.nodes.items()
        if name not in base.nodes
        or _plain(node, spec.policy.undeclared) != _plain(base.nodes[name], base.policy.undeclared)
    ]
    assert own, "a derived test layout changes something"
    screen = path.read_text(encoding="utf-8").splitlines()[:FIRST_SCREEN]
    rows = {line.split()[0] for line in screen if line.startswith("    ") and line.split()}
    assert set(own) <= rows, f"not on the first screen: {set(own) - rows}"


def _with_attrs(spec: LayoutSpec, *attrs: AttrSpec) -> LayoutSpec:
    scan = spec.node("scan")
    node = dataclasses.replace(scan, attrs={**scan.attrs, **{a.name: a for a in attrs}})
    return dataclasses.replace(spec, nodes={**spec.nodes, "scan": node})


def test_attribute_names_like_table_keys_read_back() -> None:
    spec = compiled_spec("pymodaq")
    odd = (
        AttrSpec(name="a@b", type="str"),  # would be read as attribute 'a'
        AttrSpec(name="TITLE@27", type="int"),  # the key of another TITLE declaration
        AttrSpec(name="x)\n#", type="str", location="elsewhere.yaml:1:1"),
    )
    spec = _with_attrs(spec, *odd)
    data = compact_layout(spec)
    assert LayoutSpec.from_dict(data) == spec
    assert len(data["attrs"]) == len(set(data["attrs"]))


def test_declarations_told_apart_by_location_only() -> None:
    spec = compiled_spec("pymodaq")
    same_line = (  # one name, two declarations on the same line of two files
        AttrSpec(name="note", location="h5layout/layouts/pymodaq.yaml:5:1"),
        AttrSpec(name="note", location="lab.yaml:5:1"),
    )
    nodes = dict(spec.nodes)
    for node_name, attr in zip(("scan", "detector"), same_line, strict=True):
        node = nodes[node_name]
        nodes[node_name] = dataclasses.replace(node, attrs={**node.attrs, "note": attr})
    spec = dataclasses.replace(spec, nodes=nodes)
    data = compact_layout(spec)
    assert {"note@pymodaq.yaml:5", "note@lab.yaml:5"} <= set(data["attrs"])
    assert LayoutSpec.from_dict(data) == spec


#: attribute-like names: a key is never cut, so the line-length property assumes short ones
KEYS = st.text(alphabet=string.ascii_letters + "_ @]", max_size=20)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=150)
    | st.sampled_from(TRICKY),
    lambda inner: st.lists(inner, max_size=8) | st.dictionaries(KEYS, inner, max_size=8),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _cols(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@given(values, st.integers(0, 3), st.integers(0, 24))
@settings(max_examples=300, deadline=None)
def test_flow_gives_the_value_back_in_lines_that_fit(value: Any, level: int, lead: int) -> None:
    indent = 4 * level
    text = py_flow(value, indent, lead, ",")
    assert ast.literal_eval(text) == value
    if indent + lead + 4 * _depth(value) <= 40:  # keys and scalars short enough to fit
        lines = [" " * (indent + lead) + text.splitlines()[0], *text.splitlines()[1:]]
        lines[-1] += ","  # the tail
        assert all(_cols(line) <= LINE_LENGTH for line in lines), text
        assert all(line.startswith(" " * (indent + 4)) for line in lines[1:]), text


def test_table_rows_stay_one_per_declaration() -> None:
    text = Path(PACKAGE_DIR / "pymodaq.py").read_text(encoding="utf-8")
    start = text.index("_ATTRS: dict[str, _rt.PlainDict] = {")
    rows = [line for line in text[start:].splitlines()[1:] if line.startswith('    "')]
    table = parse_module_layout(text)["attrs"]
    assert len(rows) >= len(table)  # every declaration starts a row of its own
    assert len(text[start:].split("\n}\n")[0].splitlines()) <= 3 * len(table)
