"""The YAML loader keeps the line and column of every key and value."""

from __future__ import annotations

from h5layout.schema.source import Loc, dotted, parse_yaml

TEXT = """\
layout: x
groups:
  root:
    attrs: {a: {type: str}, b: 1}
list: [1, two, {k: v}]
"""


def test_values_and_keys_have_locations() -> None:
    doc, problems = parse_yaml(TEXT, "f.yaml")
    assert problems == []
    assert doc.data["groups"]["root"]["attrs"]["b"] == 1
    assert doc.values[("layout",)] == Loc("f.yaml", 1, 9)
    assert doc.keys[("groups", "root")] == Loc("f.yaml", 3, 3)
    assert doc.keys[("groups", "root", "attrs", "b")] == Loc("f.yaml", 4, 29)
    assert doc.values[("groups", "root", "attrs", "a", "type")] == Loc("f.yaml", 4, 23)
    assert doc.values[("list", 2, "k")] == Loc("f.yaml", 5, 20)


def test_duplicate_and_non_string_keys() -> None:
    doc, problems = parse_yaml("a: 1\na: 2\n[x]: 3\n", "f.yaml")
    assert doc.data == {"a": 1}
    assert [(p.line, p.column, p.code) for p in problems] == [
        (2, 1, "duplicate-key"),
        (3, 1, "invalid-key"),
    ]


def test_yaml_errors_are_problems() -> None:
    doc, problems = parse_yaml("a: [1, 2\n", "f.yaml")
    assert doc.data is None and [p.code for p in problems] == ["yaml-syntax"]
    assert problems[0].file == "f.yaml" and problems[0].line >= 1
    _, problems = parse_yaml("a: !!python/object:os.system x\n", "f.yaml")
    assert [p.code for p in problems] == ["yaml-syntax"]  # unsafe tags are refused
    _, problems = parse_yaml("a: 2020-13-45\n", "f.yaml")
    assert [p.code for p in problems] in ([], ["yaml-syntax"])


def test_merge_keys_refused_and_aliases_kept() -> None:
    doc, problems = parse_yaml("base: &b {x: 1}\nuse: *b\nm:\n  <<: *b\n", "f.yaml")
    assert doc.data["use"] == {"x": 1}
    assert [p.code for p in problems] == ["yaml-syntax"] and problems[0].line == 4


def test_alias_bomb_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    _, problems = parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert [p.code for p in problems] == ["yaml-syntax"]


def test_dotted() -> None:
    assert dotted(("groups", "scan", "attrs", 0, "x")) == "groups.scan.attrs[0].x"
    assert dotted(("attrs", "a\tb")) == "attrs['a\\tb']"
