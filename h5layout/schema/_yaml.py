"""YAML loading that keeps the line and column of every key and value.

PyYAML's composer gives a node tree with start marks; we build plain Python values from it
ourselves (so duplicate keys, non-string keys and bad scalars become problems, not
exceptions) and record, for every dotted path, where its value and its key start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from h5layout.runtime.errors import Problem

#: A path inside a document: mapping keys (str) and list indexes (int).
Path_ = tuple[Any, ...]

#: Nesting deeper than this is refused (protects against alias bombs and recursion).
MAX_DEPTH = 64
#: More values than this (after expanding aliases) are refused.
MAX_NODES = 200_000


@dataclass(frozen=True)
class Loc:
    """A position in a layout file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass
class Document:
    """Plain data of one YAML file, with the location of every value and key."""

    data: Any
    values: dict[Path_, Loc] = field(default_factory=dict)
    keys: dict[Path_, Loc] = field(default_factory=dict)


def dotted(path: Path_) -> str:
    """``('groups', 'scan', 'attrs', 0)`` → ``groups.scan.attrs[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).isprintable():
            out += ("." if out else "") + str(part)
        else:  # keep control characters visible in messages
            out += f"[{str(part)!r}]"
    return out


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Path_, Loc] = {}
        self.keys: dict[Path_, Loc] = {}
        self.problems: list[Problem] = []
        self._constructor = yaml.SafeLoader("")
        self._nodes = 0
        self._too_big = False

    def loc(self, node: yaml.Node) -> Loc:
        mark = node.start_mark
        return Loc(self.file, mark.line + 1, mark.column + 1)

    def problem(self, loc: Loc, path: Path_, message: str, code: str) -> None:
        self.problems.append(Problem(loc.file, loc.line, loc.column, dotted(path), message, code))

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        self._nodes += 1
        self.values[path] = self.loc(node)
        if depth > MAX_DEPTH or self._nodes > MAX_NODES:
            if not self._too_big:  # once is enough (alias bombs would repeat it)
                self._too_big = True
                self.problem(
                    self.loc(node), path, "document nested too deeply or too large", "yaml-syntax"
                )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self._constructor.construct_object(node, deep=True)
        except Exception as exc:  # bad timestamps, unknown tags, ...: a problem, never a crash
            msg = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
            self.problem(self.loc(node), path, f"invalid value: {msg}", "yaml-syntax")
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(
                    self.loc(key_node),
                    path,
                    "YAML merge keys ('<<') are not supported; use attr_sets or extends",
                    "yaml-syntax",
                )
                continue
            key: Any = None
            if isinstance(key_node, yaml.ScalarNode):
                try:
                    key = self._constructor.construct_object(key_node, deep=True)
                except Exception:
                    key = None
            if not isinstance(key, str):
                # YAML turns `1:` or `yes:` into non-strings; a layout key is always text.
                if (
                    isinstance(key_node, yaml.ScalarNode)
                    and key is not None
                    and not isinstance(key, (dict, list))
                ):
                    key = str(key_node.value)
                else:
                    self.problem(
                        self.loc(key_node), path, "a key must be a plain string", "invalid-key"
                    )
                    continue
            child = (*path, key)
            if key in out:
                first = self.keys[child]
                self.problem(
                    self.loc(key_node),
                    child,
                    f"duplicate key {key!r} (first defined at line {first.line})",
                    "duplicate-key",
                )
                continue
            self.keys[child] = self.loc(key_node)
            out[key] = self.build(value_node, child, depth + 1)
        return out


def parse_yaml(text: str, file: str) -> tuple[Document, list[Problem]]:
    """Parse one YAML document; problems instead of exceptions."""
    builder = _Builder(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        return Document(None), [
            Problem(file, line, col, "", f"YAML syntax error: {what}", "yaml-syntax")
        ]
    except yaml.YAMLError as exc:
        return Document(None), [Problem(file, 1, 1, "", f"YAML syntax error: {exc}", "yaml-syntax")]
    except (RecursionError, ValueError, UnicodeError) as exc:
        return Document(None), [
            Problem(file, 1, 1, "", f"YAML syntax error: {type(exc).__name__}", "yaml-syntax")
        ]
    if node is None:
        return Document(None, {(): Loc(file, 1, 1)}), []
    try:
        data = builder.build(node, ())
    except RecursionError:
        return Document(None), [
            Problem(file, 1, 1, "", "document nested too deeply", "yaml-syntax")
        ]
    return Document(data, builder.values, builder.keys), builder.problems
