"""YAML loading that keeps the line and column of every key and value.

PyYAML's composer gives a node tree with start marks; we build plain Python values from it
ourselves (so duplicate keys, non-string keys and bad scalars become problems, not
exceptions) and record, for every dotted path, where its value and its key start.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias, Union, cast

import yaml
from yaml.resolver import BaseResolver

from h5layout.runtime.errors import Problem

#: A path inside a document: mapping keys (str) and list indexes (int).
Path_: TypeAlias = tuple[str | int, ...]

#: A value of a layout file as read (not yet checked): what YAML's safe types build (an
#: unquoted date is a date), lists, and mappings with text keys; None where a value was
#: refused (a problem says why).
YamlValue: TypeAlias = Union[  # noqa: UP007 (evaluated at run time: "X | 'Y'" fails on 3.10)
    str, int, float, bool, datetime.date, list["YamlValue"], dict[str, "YamlValue"], None
]

#: Nesting deeper than this is refused (protects against alias bombs and recursion).
MAX_DEPTH = 64
#: Integers longer than this are refused (int64 and uint64 need at most 20 digits).
MAX_INT_DIGITS = 40
#: More values than this (after expanding aliases) are refused.
MAX_NODES = 2_000_000
#: Values that aliases (``*x``) may add to a document, all aliases together.
MAX_ALIAS_VALUES = 100_000


@dataclass(frozen=True, slots=True)  # hundreds of thousands per large layout
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

    data: YamlValue
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

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> YamlValue:
        self._nodes += 1
        self.values[path] = self.loc(node)
        if depth > MAX_DEPTH or self._nodes > MAX_NODES + MAX_ALIAS_VALUES:
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
        if node.tag == "tag:yaml.org,2002:int" and len(str(node.value)) > MAX_INT_DIGITS:
            self.problem(
                self.loc(node),
                path,
                f"an integer of {len(str(node.value)):,} characters; layout numbers have at "
                f"most {MAX_INT_DIGITS} digits",
                "invalid-value",
            )
            return None
        try:
            value: YamlValue = self._constructor.construct_object(node, deep=True)
            return value
        except Exception as exc:  # bad timestamps, unknown tags, ...: a problem, never a crash
            msg = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
            self.problem(self.loc(node), path, f"invalid value: {msg}", "yaml-syntax")
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, YamlValue]:
        out: dict[str, YamlValue] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(
                    self.loc(key_node),
                    path,
                    "YAML merge keys ('<<') are not supported; use attr_sets or extends",
                    "yaml-syntax",
                )
                continue
            key: object = None
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


#: The YAML tags a layout may spell out (``!!str 1``); every other tag is refused.
SAFE_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "seq", "map")
)

#: libyaml's event parser when PyYAML was built with it (much faster, same events).
_EventLoader: type[yaml.CSafeLoader | yaml.SafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


class _Mark(Protocol):
    """A position PyYAML reports (its Python or its libyaml mark)."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


class _Stop(Exception):
    """Composition stops at the first problem that makes the document unusable."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _mark_loc(file: str, mark: _Mark | None) -> Loc:
    if mark is None:
        return Loc(file, 1, 1)
    return Loc(file, mark.line + 1, mark.column + 1)


def _compose(text: str, file: str, resolver: BaseResolver) -> yaml.Node | None:
    """The node tree of a one-document YAML text, built from parser events without recursion.

    PyYAML's composer recurses once per nesting level and expands nothing itself; this one
    refuses, as soon as it meets them: nesting deeper than :data:`MAX_DEPTH`, documents
    holding more than :data:`MAX_NODES` nodes, aliases that add more than
    :data:`MAX_ALIAS_VALUES` values (alias bombs), aliases to a value
    that contains them, tags other than :data:`SAFE_TAGS` and a second document.
    """

    def stop(mark: _Mark | None, message: str, code: str = "yaml-syntax") -> _Stop:
        loc = _mark_loc(file, mark)
        return _Stop(Problem(file, loc.line, loc.column, "", message, code))

    def tag_of(
        event: yaml.ScalarEvent | yaml.CollectionStartEvent,
        kind: type[yaml.Node],
        value: str | None,
    ) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            return str(resolver.resolve(kind, value, event.implicit))
        if tag not in SAFE_TAGS:
            shown = str(tag).replace("tag:yaml.org,2002:", "!!")
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise stop(
                event.start_mark,
                f"YAML tags such as {shown!r} are not allowed in a layout; write the plain value",
            )
        return str(tag)

    anchors: dict[str, yaml.Node] = {}
    sizes: dict[int, int] = {}  # id(anchored node) -> values it expands to, once complete
    named: set[int] = set()  # ids of anchored collections
    open_: list[tuple[yaml.Node, int]] = []  # collections being built, with their size
    root: yaml.Node | None = None
    aliased = 0  # values added by aliases
    composed = 0  # nodes written out in the file
    documents = 0
    for event in yaml.parse(text, Loader=_EventLoader):
        # a C or Python mark: nodes and messages read only its line and column
        start = cast("yaml.Mark | None", event.start_mark)
        end = None  # never read: not keeping it halves the marks held
        node: yaml.Node | None = None
        size = 1
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise stop(
                    event.start_mark,
                    "a layout file holds one YAML document; remove this second one ('---')",
                )
            continue
        if isinstance(event, yaml.AliasEvent):
            target = anchors.get(str(event.anchor))
            if target is None:
                raise stop(event.start_mark, f"unknown alias '*{str(event.anchor)[:40]}'")
            if id(target) not in sizes:
                raise stop(
                    event.start_mark,
                    f"alias '*{str(event.anchor)[:40]}' is used inside the value it names",
                )
            node, size = target, sizes[id(target)]
        elif isinstance(event, yaml.ScalarEvent):
            tag = tag_of(event, yaml.ScalarNode, event.value)
            node = yaml.ScalarNode(tag, event.value, start, end, event.style)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            is_seq = isinstance(event, yaml.SequenceStartEvent)
            coll: yaml.Node
            if is_seq:
                tag = tag_of(event, yaml.SequenceNode, None)
                coll = yaml.SequenceNode(tag, [], start, end, event.flow_style)
            else:
                tag = tag_of(event, yaml.MappingNode, None)
                coll = yaml.MappingNode(tag, [], start, end, event.flow_style)
            if event.anchor is not None:
                anchors[event.anchor] = coll
                named.add(id(coll))
            if len(open_) >= MAX_DEPTH:
                raise stop(
                    event.start_mark,
                    f"the document is nested more than {MAX_DEPTH} levels deep",
                )
            open_.append((coll, 1))
            continue
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            node, size = open_.pop()
            if isinstance(node, yaml.MappingNode):  # children were collected flat
                flat = node.value
                node.value = list(zip(flat[0::2], flat[1::2], strict=True))
        else:
            continue
        if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
            anchors[event.anchor] = node
            sizes[id(node)] = 1
        elif id(node) in named:
            sizes[id(node)] = size  # complete: aliases to it may now be expanded
        if not open_:
            root = node
            continue
        parent, psize = open_[-1]
        parent.value.append(node)
        open_[-1] = (parent, psize + size)
        if isinstance(event, yaml.AliasEvent):
            aliased += size
            if aliased > MAX_ALIAS_VALUES:
                raise stop(
                    start,
                    f"aliases add more than {MAX_ALIAS_VALUES:,} values to this document "
                    "(an alias bomb?); write the values out, or share them with attr_sets",
                )
        else:
            composed += 1
            if composed > MAX_NODES:
                raise stop(
                    start,
                    f"more than {MAX_NODES:,} keys and values in one file; "
                    "split the layout with include",
                )
    return root


def _line(lines: list[str], n: int) -> str:
    """Line ``n`` (0-based), or ''."""
    return lines[n] if 0 <= n < len(lines) else ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _previous_content_line(lines: list[str], n: int) -> int:
    """Index of the last non-blank, non-comment line before line ``n`` (or -1)."""
    for i in range(min(n, len(lines)) - 1, -1, -1):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i
    return -1


_CLOSERS = {"[": "]", "{": "}"}


def syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    """A YAML syntax error explained for someone who has never read YAML's grammar.

    PyYAML (and libyaml) describe the parser's state ("expected <block end>", "mapping
    values are not allowed here"), often at the line after the mistake. The common
    mistakes are recognised and explained at the line to fix; anything else keeps the
    parser's words. Messages never quote more than one character of the file.
    """
    problem = str(exc.problem or "")
    context = str(exc.context or "")
    mark = exc.problem_mark or exc.context_mark
    ctx = exc.context_mark
    line_no = mark.line if mark is not None else 0
    col_no = mark.column if mark is not None else 0
    lines = text.splitlines()  # once: the file may be megabytes long
    here = _line(lines, line_no)
    char = here[col_no : col_no + 1]

    def out(line: int, col: int, message: str) -> Problem:
        return Problem(file, line + 1, col + 1, "", message, "yaml-syntax")

    if char == "\t" or (problem.startswith("found character") and "\t" in here[: col_no + 1]):
        return out(line_no, col_no, "a tab character: YAML indents with spaces only")
    if "mapping values are not allowed" in problem:
        prev = _previous_content_line(lines, line_no)
        prev_line = _line(lines, prev)
        if (
            prev >= 0
            and ":" not in prev_line
            and not prev_line.lstrip().startswith("-")
            and _indent(here) > _indent(prev_line)
        ):
            key = prev_line.strip()
            return out(
                prev,
                _indent(prev_line),
                f"a ':' is missing after {key[:40]!r}: a key is written 'name:' "
                "before the indented block it holds",
            )
        if prev >= 0 and _indent(here) > _indent(prev_line) and ":" in prev_line:
            return out(
                line_no,
                _indent(here),
                f"this line is indented more than line {prev + 1}, which already has a "
                "value: indent it like the keys it sits beside (or quote a value that "
                "contains ': ')",
            )
        return out(
            line_no,
            col_no,
            "a second ':' on one line: a key holds one value (quote a value that "
            "contains ': ', or put the inner mapping on its own, indented lines)",
        )
    block = "block mapping" in context or "block collection" in context
    if block and ("expected <block end>" in problem or "did not find expected" in problem):
        start = _line(lines, ctx.line) if ctx is not None else ""
        levels = sorted({_indent(x) for x in lines[:line_no] if x.strip()})
        where = f"line {ctx.line + 1}" if ctx is not None else "the lines above"
        if here.lstrip().startswith("-") != start.lstrip().startswith("-") and _indent(
            here
        ) == _indent(start):
            return out(
                line_no,
                _indent(here),
                "a list and a mapping cannot share one indentation: "
                f"{'a key' if not here.lstrip().startswith('-') else 'a list item'} "
                f"cannot follow the {'list' if start.lstrip().startswith('-') else 'keys'} "
                f"begun at {where} at the same level",
            )
        shown = ", ".join(str(n) for n in levels[-4:])
        return out(
            line_no,
            _indent(here),
            f"this line is indented by {_indent(here)} space{'s' if _indent(here) != 1 else ''}, "
            "which matches no enclosing "
            f"block (the lines above use {shown}): indent it like the keys it belongs with",
        )
    if context.startswith("while parsing a flow") and ctx is not None:
        opener = _line(lines, ctx.line)[ctx.column : ctx.column + 1]
        closer = _CLOSERS.get(opener, "")
        return out(
            ctx.line,
            ctx.column,
            f"'{opener}' opened here is not closed: add the missing '{closer}'"
            if opener in _CLOSERS
            else "this flow collection is not closed",
        )
    if context.startswith("while scanning a quoted scalar") and ctx is not None:
        return out(ctx.line, ctx.column, "the quote opened here is never closed")
    if "maximum nesting depth" in problem:  # libyaml's own bound (1000 levels)
        return out(line_no, col_no, f"the document is nested more than {MAX_DEPTH} levels deep")
    what = problem or context or "invalid YAML"
    return out(line_no, col_no, f"YAML syntax error: {what[:120]}")


def parse_yaml(text: str, file: str) -> tuple[Document, list[Problem]]:
    """Parse one YAML document; problems instead of exceptions."""
    builder = _Builder(file)
    try:
        node = _compose(text, file, builder._constructor)
    except _Stop as exc:
        return Document(None), [exc.problem]
    except yaml.MarkedYAMLError as exc:
        return Document(None), [syntax_problem(exc, text, file)]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        before = text[: max(exc.position, 0)]
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        code = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        )
        return Document(None), [
            Problem(
                file,
                line,
                column,
                "",
                f"character U+{code:04X} is not allowed in YAML (a layout is plain text)",
                "yaml-syntax",
            )
        ]
    except yaml.YAMLError as exc:
        return Document(None), [Problem(file, 1, 1, "", f"YAML syntax error: {exc}", "yaml-syntax")]
    if node is None:
        return Document(None, {(): Loc(file, 1, 1)}), []
    try:
        data = builder.build(node, ())
    except RecursionError:  # cannot happen below MAX_DEPTH; a problem all the same
        return Document(None), [
            Problem(file, 1, 1, "", "document nested too deeply", "yaml-syntax")
        ]
    return Document(data, builder.values, builder.keys), builder.problems
