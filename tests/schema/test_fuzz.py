"""Hypothesis: random valid layouts load; random mutations of YAML only give LayoutSpecError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from h5layout.runtime.errors import LayoutSpecError
from h5layout.runtime.layout.spec import LayoutSpec
from h5layout.runtime.model.enums import DTYPE_NAMES
from h5layout.schema import load_layout_spec

LAYOUTS = Path(__file__).resolve().parents[2] / "h5layout" / "layouts"
SEEDS = [
    (LAYOUTS / "raman_map.yaml").read_text(),
    (LAYOUTS / "camera_logger.yaml").read_text(),
    (LAYOUTS / "pymodaq.yaml").read_text()[:6000],
    (Path(__file__).parent / "broken" / "37_override_in_child_of_pymodaq.yaml").read_text(),
]

identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s not in {"and", "as", "if", "in", "is", "or", "not", "for", "def", "del", "try"}
)
attr_types = st.sampled_from(["str", "int", "float", "bool", "tuple", "list", "dict", "any"])


@st.composite
def attrs(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in draw(st.lists(identifiers, max_size=4, unique=True)):
        t = draw(attr_types)
        a: dict[str, Any] = {"type": t, "required": draw(st.booleans())}
        if t == "int" and draw(st.booleans()):
            a.update(minimum=0, default=draw(st.integers(0, 100)))
        if t == "str" and draw(st.booleans()):
            a.update(enum=["x", "y"], default="x")
        out[name] = a
    return out


@st.composite
def layouts(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(
        st.lists(identifiers.filter(lambda s: s != "root"), min_size=1, max_size=5, unique=True)
    )
    n_groups = draw(st.integers(0, len(names)))
    group_names, array_names = names[:n_groups], names[n_groups:]
    groups: dict[str, Any] = {
        "root": {
            "role": "root",
            "name": "/",
            "attrs": draw(attrs()),
            "children": {n: {} for n in names},
        }
    }
    for g in group_names:
        groups[g] = {"name": g.capitalize() + "{index:03d}", "attrs": draw(attrs())}
    arrays: dict[str, Any] = {}
    for a in array_names:
        arrays[a] = {
            "kind": draw(st.sampled_from(["fixed", "enlargeable", "vlen"])),
            "dtypes": draw(st.lists(st.sampled_from(DTYPE_NAMES), max_size=3, unique=True)),
            "storage": {"compression": "gzip", "level": draw(st.integers(0, 9))},
            "attrs": draw(attrs()),
        }
    return {
        "layout": draw(identifiers),
        "version": "1",
        "policy": {"flush_every": draw(st.integers(0, 50)), "swmr": draw(st.booleans())},
        "groups": groups,
        "arrays": arrays,
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(layout=layouts())
def test_random_valid_layouts_load(layout: dict[str, Any], tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("valid") / "layout.yaml"
    path.write_text(yaml.safe_dump(layout, sort_keys=False))
    spec = load_layout_spec(path)
    assert spec.layout == layout["layout"]
    assert list(spec.nodes) == list(layout["groups"]) + list(layout["arrays"])
    assert LayoutSpec.from_dict(spec.to_dict()) == spec
    for name, node in layout["groups"].items():
        assert list(spec.node(name).attrs) == list(node["attrs"])


def _mutate(text: str, data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        if not text:
            break
        i = data.draw(st.integers(0, len(text) - 1))
        op = data.draw(st.sampled_from(["delete", "insert", "replace", "dup_line", "cut"]))
        if op == "delete":
            text = text[:i] + text[i + data.draw(st.integers(1, 20)) :]
        elif op == "insert":
            text = (
                text[:i]
                + data.draw(st.sampled_from(list(":{}[]-,'\"&*!|>#%@` \n\t?\x00\\")))
                + text[i:]
            )
        elif op == "replace":
            text = text[:i] + data.draw(st.text(max_size=3)) + text[i + 1 :]
        elif op == "dup_line":
            lines = text.splitlines(keepends=True)
            j = i % len(lines)
            text = "".join([*lines[: j + 1], lines[j], *lines[j + 1 :]])
        else:
            text = text[:i]
    return text


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_mutated_yaml_only_raises_layout_spec_error(
    seed: str, data: st.DataObject, tmp_path_factory: Any
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "mutant.yaml"
    path.write_text(_mutate(seed, data), encoding="utf-8", errors="surrogatepass")
    try:
        load_layout_spec(path)
    except LayoutSpecError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.line >= 0 and p.column >= 0 and p.message
