"""load_layout_spec / load_layout_model / check_layout: extends, include, merge rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from h5layout.runtime.errors import LayoutError, LayoutSpecError
from h5layout.runtime.layout.spec import LayoutSpec
from h5layout.schema import check_layout, load_layout_model, load_layout_spec
from h5layout.schema.models import Layout


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


BASE = """
layout: base
version: "1"
groups:
  root:
    role: root
    name: /
    attrs:
      TITLE: {type: str, default: hello}
      note: {type: str, description: base note}
    children: {item: {max: 3}}
  item:
    role: group
    name: "Item{index:02d}"
    attrs:
      a: {type: int}
      b: {type: int}
arrays:
  values:
    kind: fixed
    dtypes: [float64]
    storage: {compression: gzip, level: 3}
"""


def test_pymodaq_spec_basics() -> None:
    spec = load_layout_spec("pymodaq")
    assert spec.layout == "pymodaq" and spec.version == "5.3.0" and spec.source == "pymodaq"
    assert spec.root == "root" and spec.node("root").role == "root"
    assert len(spec.sha256) == 64
    assert spec.node("scan").naming.format(index=3) == "Scan003"
    assert spec.node("channel").naming.format(index=1) == "CH01"
    assert spec.node("dim").naming.format(dim="Data2D") == "Data2D"
    assert spec.node("data").match == {"data_type": "data"}
    assert spec.node("ch").options["group_type"] == "ch"
    assert spec.node("ch").attrs["type"].const == ""
    assert spec.node("data").attrs["settings]"].required is False
    assert spec.node("root").attrs["swmr_active"].encoding == "native"
    assert spec.node("root").attrs["TITLE"].encoding == "json"
    assert spec.node("logger").array is not None and spec.node("logger").array.kind == "strings"
    assert (
        spec.node("enl_data").array is not None
        and spec.node("enl_data").array.kind == "enlargeable"
    )
    assert spec.node("data").options["undeclared_attrs"] == "allow"
    assert spec.node("scan").location.startswith("h5layout/layouts/pymodaq.yaml:")
    assert spec.node("scan").attrs["settings"].location.startswith("h5layout/layouts/pymodaq.yaml:")
    from h5layout.runtime.layout.spec import ARRAY_ROLES, GROUP_ROLES

    for role in (*GROUP_ROLES, *ARRAY_ROLES):
        if role != "group":  # pymodaq declares no catch-all group type
            assert spec.by_role(role), role


def test_spec_round_trips_and_is_deterministic() -> None:
    a, b = load_layout_spec("pymodaq"), load_layout_spec("pymodaq")
    assert a == b and a.to_dict() == b.to_dict()
    assert LayoutSpec.from_dict(a.to_dict()) == a
    assert list(a.nodes)[:3] == ["root", "raw", "scan"]  # YAML order
    assert list(a.node("data").attrs)[:2] == ["CLASS", "TITLE"]


def test_path_and_name_give_same_spec_but_source_differs() -> None:
    by_name = load_layout_spec("pymodaq")
    path = Path(__file__).resolve().parents[2] / "h5layout" / "layouts" / "pymodaq.yaml"
    by_path = load_layout_spec(path)
    assert by_path.sha256 == by_name.sha256
    assert by_path.source == str(path)
    assert by_path.node("raw").location == by_name.node("raw").location  # package-relative


def test_custom_layouts() -> None:
    raman = load_layout_spec("raman_map")
    scan = raman.node("scan")
    assert scan.naming.pattern == "Map{index:03d}"
    assert [a.name for a in scan.required_attrs] == ["sample_id", "operator", "temperature"]
    assert scan.attrs["sample_id"].pattern == "^S[0-9]{4}$"
    assert scan.attrs["temperature"].units == "K" and scan.attrs["temperature"].minimum == 0
    assert scan.attrs["sample_id"].location.startswith("h5layout/layouts/raman_map.yaml:")
    data = raman.node("data").array
    assert data is not None and data.dtypes == ("uint16", "float32")
    assert data.storage.compression == "gzip" and data.storage.level == 4
    assert "data_logger" not in raman.node("raw").children
    assert raman.sha256 != load_layout_spec("pymodaq").sha256
    cam = load_layout_spec("camera_logger")
    assert cam.policy.flush_every == 10 and cam.policy.swmr
    frames = cam.node("frames").array
    assert frames is not None and frames.kind == "enlargeable" and frames.dtypes == ("uint16",)
    assert frames.dims == (None, 1024, 1280) and frames.rank == (3, 3)
    assert cam.node("frames_dim").children["sensor"].max == 2


def test_extends_chain_of_three(tmp_path: Path) -> None:
    write(tmp_path / "base.yaml", BASE)
    write(
        tmp_path / "sub" / "middle.yaml",
        """
        layout: middle
        version: "2"
        extends: ../base.yaml
        groups:
          item:
            attrs:
              b: {type: float}
              c: {type: str}
        """,
    )
    top = write(
        tmp_path / "top.yaml",
        """
        layout: top
        version: "3"
        extends: sub/middle.yaml
        policy: {flush_every: 5}
        groups:
          root:
            attrs:
              TITLE: {type: str, default: top}
          item:
            name: "Entry{index:03d}"
        arrays:
          values:
            dtypes: [uint16]
            storage: {level: 9}
        """,
    )
    spec = load_layout_spec(top)
    assert (spec.layout, spec.version) == ("top", "3")
    item = spec.node("item")
    assert list(item.attrs) == ["a", "b", "c"]  # base order kept, additions appended
    assert item.attrs["b"].type == "float" and item.attrs["a"].type == "int"
    assert item.naming.pattern == "Entry{index:03d}"
    assert spec.node("root").attrs["TITLE"].default == "top"
    assert spec.node("root").attrs["note"].description == "base note"
    values = spec.node("values").array
    assert values is not None
    assert values.dtypes == ("uint16",)  # lists replace
    assert (values.storage.compression, values.storage.level) == ("gzip", 9)  # mappings merge
    assert spec.policy.flush_every == 5
    # locations point into the file that declared each value
    assert item.attrs["c"].location.endswith("middle.yaml:8:7")
    assert item.attrs["a"].location.endswith("base.yaml:15:7")
    # the hash covers every file of the chain
    before = spec.sha256
    (tmp_path / "base.yaml").write_text((tmp_path / "base.yaml").read_text() + "\n# changed\n")
    assert load_layout_spec(top).sha256 != before


def test_include_and_remove(tmp_path: Path) -> None:
    write(tmp_path / "base.yaml", BASE)
    write(
        tmp_path / "frag" / "meta.yaml",
        """
        include: [more.yaml]
        groups:
          root:
            attrs:
              operator: {type: str, required: true}
        """,
    )
    write(
        tmp_path / "frag" / "more.yaml",
        """
        groups:
          root:
            attrs:
              sample_id: {type: str, required: true, pattern: "^S[0-9]{4}$"}
        """,
    )
    top = write(
        tmp_path / "top.yaml",
        """
        layout: top
        version: "1"
        extends: base.yaml
        include: [frag/meta.yaml]
        remove: [groups.root.attrs.note, groups.item.attrs.b]
        """,
    )
    spec = load_layout_spec(top)
    root = spec.node("root")
    assert list(root.attrs) == ["TITLE", "sample_id", "operator"]
    assert root.attrs["sample_id"].location.endswith("more.yaml:4:7")
    assert list(spec.node("item").attrs) == ["a"]
    model = load_layout_model(top)
    assert isinstance(model, Layout) and model.layout == "top"
    assert model.extends is None and model.include == []  # directives are not inherited


def test_problem_in_base_points_into_base(tmp_path: Path) -> None:
    write(tmp_path / "base.yaml", BASE.replace("type: int}", "type: integer}", 1))
    top = write(tmp_path / "top.yaml", 'layout: top\nversion: "1"\nextends: base.yaml\n')
    problems = check_layout(top)
    assert [(Path(p.file).name, p.line, p.path) for p in problems] == [
        ("base.yaml", 15, "groups.item.attrs.a.type")
    ]
    assert "did you mean 'int'" in problems[0].message


def test_self_extends_is_a_cycle(tmp_path: Path) -> None:
    top = write(tmp_path / "me.yaml", 'layout: me\nversion: "1"\nextends: me.yaml\n')
    problems = check_layout(top)
    assert [p.code for p in problems] == ["cycle"]
    assert problems[0].line == 3


def test_include_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "include: [b.yaml]\n")
    write(tmp_path / "b.yaml", "include: [a.yaml]\n")
    top = write(
        tmp_path / "top.yaml",
        'layout: t\nversion: "1"\ninclude: [a.yaml]\ngroups: {root: {role: root}}\n',
    )
    assert [p.code for p in check_layout(top)] == ["cycle"]


def test_diamond_include_is_not_a_cycle(tmp_path: Path) -> None:
    write(tmp_path / "common.yaml", "groups: {root: {attrs: {x: {type: int}}}}\n")
    write(tmp_path / "a.yaml", "include: [common.yaml]\n")
    write(tmp_path / "b.yaml", "include: [common.yaml]\n")
    top = write(
        tmp_path / "top.yaml",
        'layout: t\nversion: "1"\ninclude: [a.yaml, b.yaml]\ngroups: {root: {role: root}}\n',
    )
    assert check_layout(top) == []
    assert list(load_layout_spec(top).node("root").attrs) == ["x"]


def test_all_problems_reported_together(tmp_path: Path) -> None:
    top = write(
        tmp_path / "many.yaml",
        """
        layout: many
        version: "1"
        groups:
          root:
            role: root
            attrs:
              a: {type: strr}
              b: {type: str, pattern: "("}
            children: {nope: {}}
        arrays:
          x: {dtypes: [float65]}
        """,
    )
    with pytest.raises(LayoutSpecError) as info:
        load_layout_spec(top)
    assert isinstance(info.value, LayoutError)
    assert [p.path for p in info.value.problems] == [
        "groups.root.attrs.a.type",
        "groups.root.attrs.b.pattern",
        "groups.root.children.nope",
        "arrays.x.dtypes[0]",
    ]


def test_inherited_layout_name_must_be_restated(tmp_path: Path) -> None:
    top = write(tmp_path / "noname.yaml", 'version: "1"\nextends: pymodaq\n')
    problems = check_layout(top)
    assert [p.code for p in problems] == ["missing-key"]


def test_inherited_version_must_be_restated(tmp_path: Path) -> None:
    """A derived layout without its own version would write its base's into every file."""
    top = write(tmp_path / "noversion.yaml", "layout: lab\nextends: pymodaq\n")
    problems = check_layout(top)
    assert [(p.code, p.line) for p in problems] == [("missing-key", 1)]
    assert "missing required key 'version'" in problems[0].message
    ok = write(tmp_path / "versioned.yaml", 'layout: lab\nversion: "0.1"\nextends: pymodaq\n')
    assert load_layout_spec(ok).version == "0.1"


def test_shipped_layouts_are_valid() -> None:
    for name in ("pymodaq", "raman_map", "camera_logger"):
        assert check_layout(name) == [], name


def test_empty_and_non_utf8_files(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.yaml", "")
    assert [p.code for p in check_layout(empty)] == ["invalid-type"]
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"layout: \xff\xfe\n")
    assert [p.code for p in check_layout(binary)] == ["yaml-syntax"]


@pytest.mark.parametrize("name", ["pymodaq", "raman_map", "camera_logger"])
def test_every_node_type_is_reachable_from_root(name: str) -> None:
    spec = load_layout_spec(name)
    seen, todo = set(), [spec.root]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(spec.node(current).children)
    unreachable = set(spec.nodes) - seen
    # raman_map drops data-logger groups on purpose; camera_logger keeps PyMoDAQ's types
    assert unreachable <= {"data_logger"}


def test_same_bytes_under_other_hash_seeds() -> None:
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json; from h5layout.schema import load_layout_spec;"
        "print(json.dumps(load_layout_spec('raman_map').to_dict()))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "12345")
    }
    assert len(outs) == 1
    assert json.loads(outs.pop())["nodes"]["scan"]["naming"]["pattern"] == "Map{index:03d}"
