"""Public entry points: load, check and lower a layout.

``source`` is a shipped layout name (``'pymodaq'`` → ``h5layout/layouts/pymodaq.yaml``)
or a path to a YAML file.
"""

from __future__ import annotations

import gc
import hashlib
import re
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from pydantic import BaseModel, ValidationError

from h5layout.runtime.errors import LayoutSpecError, Problem
from h5layout.runtime.layout.spec import ATTR_TYPES, LayoutSpec
from h5layout.schema import models as m
from h5layout.schema.checks import Checker, hint
from h5layout.schema.lower import lower
from h5layout.schema.resolve import LAYOUTS_DIR, Merged, Resolver, display_name
from h5layout.schema.source import Loc, Path_, YamlValue, dotted

__all__ = ["check_layout", "load_layout_model", "load_layout_spec"]

#: Where pydantic reports an error: field names and list indexes (and union member tags).
_ErrorLoc: TypeAlias = tuple[int | str, ...]

_FIELD_LABELS = {
    "type": "type",
    "items": "item type",
    "dtypes": "dtype",
    "role": "role",
    "kind": "array kind",
    "compression": "compression",
    "encoding": "encoding",
    "undeclared": "undeclared policy",
    "undeclared_attrs": "undeclared policy",
    "overflow": "overflow policy",
    "chunks": "chunks",
    "strings": "string encoding",
    "attrs": "encoding",
}


#: How a model is named in messages, with an example of what it takes.
_MODEL_WORDS = {
    "Attr": ("an attribute", "{type: str, required: true}"),
    "Child": ("a child entry", "{min: 1, max: 1} (or empty: {})"),
    "Group": ("a group node type", "{name: Sample, attrs: {...}}"),
    "Array": ("an array node type", "{kind: fixed, dtypes: [float64]}"),
    "Storage": ("storage", "{compression: gzip, level: 4}"),
    "Policy": ("policy", "{swmr: false, flush_every: 1}"),
    "Encodings": ("policy.encodings", "{attrs: json}"),
    "Layout": ("a layout", "{layout: name, version: '1', ...}"),
}
#: What each pydantic type error expects, in the layout language's words.
_EXPECTED = {
    "string_type": "text",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "list_type": "a list",
}
#: Type names from other languages, and the layout type they mean.
_TYPE_SYNONYMS = {
    "double": "float",
    "float64": "float",
    "float32": "float",
    "number": "float",
    "real": "float",
    "string": "str",
    "text": "str",
    "integer": "int",
    "int64": "int",
    "long": "int",
    "boolean": "bool",
    "array": "ndarray",
    "dictionary": "dict",
    "mapping": "dict",
    "object": "dict",
    "date": "datetime",
    "timestamp": "datetime",
}


def _model_named(msg: str) -> str:
    """The model class a pydantic message names (``instance of Attr``), or ''."""
    found = re.search(r"instance of (\w+)", msg)
    return found.group(1) if found else ""


def _section_hint(loc: _ErrorLoc, data: dict[str, YamlValue]) -> str:
    """For an unknown top-level key that names a node type: where it belongs."""
    if len(loc) != 1:
        return ""
    key = str(loc[0])
    for section in ("groups", "arrays"):
        table = data.get(section)
        if isinstance(table, dict) and key in table:
            return f" (did you mean {section}.{key}?)"
    return " (node types are declared under groups: or arrays:)"


@dataclass
class _Result:
    model: m.Layout | None
    merged: Merged
    problems: list[Problem]
    source: str
    shown: str


def _source_name(source: str | Path) -> tuple[str, str]:
    """(the source as given, how the top file is shown in messages)."""
    text = str(source)
    if isinstance(source, str) and "/" not in text and not text.endswith((".yaml", ".yml")):
        shipped = LAYOUTS_DIR / f"{text}.yaml"
        if shipped.is_file():
            return text, display_name(shipped)
    return text, display_name(Path(text), text)


def _locate(merged: Merged, path: Path_, prefer_key: bool = False) -> Loc:
    """Where a path of the merged document was written (nearest known ancestor)."""
    p = tuple(path)
    while True:
        if prefer_key and p in merged.keys:
            return merged.keys[p]
        if p in merged.values:
            return merged.values[p]
        if p in merged.keys:
            return merged.keys[p]
        if not p:
            return Loc(merged.values[()].file if () in merged.values else "?", 1, 1)
        p = p[:-1]


def _model_fields(loc: _ErrorLoc) -> list[str]:
    """Field names of the model found by following a pydantic error location."""
    ann: object = m.Layout
    for part in loc:
        ann = _unwrap(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if isinstance(part, str) and part in ann.model_fields:
                ann = ann.model_fields[part].annotation
                continue
            return []
        origin = typing.get_origin(ann)
        if origin is dict:
            ann = typing.get_args(ann)[1]
        elif origin is list:
            ann = typing.get_args(ann)[0]
        else:
            return []
    ann = _unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(ann.model_fields)
    return []


def _unwrap(ann: object) -> object:
    """``X | None`` → ``X`` (``ann``: a type annotation, a class or a typing form)."""
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if models:
            return models[0]
        if len(args) == 1:
            return args[0]
    return ann


def _data_path(data: YamlValue, loc: _ErrorLoc) -> Path_:
    """Keep the parts of a pydantic location that exist in the data (drops union tags)."""
    out: list[int | str] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
    return tuple(out)


def _value_at(data: YamlValue, path: Path_) -> YamlValue:
    """The value at ``path`` (``KeyError``, ``IndexError`` or ``TypeError`` when none)."""
    for part in path:
        if isinstance(data, dict):
            if not isinstance(part, str):
                raise KeyError(part)
            data = data[part]
        elif isinstance(data, list):
            if not isinstance(part, int):
                raise TypeError(f"list index {part!r}")
            data = data[part]
        else:
            raise TypeError(f"{type(data).__name__} holds no {part!r}")
    return data


def _convert(exc: ValidationError, merged: Merged) -> list[Problem]:
    """Pydantic errors → problems, one per path, with friendlier messages."""
    by_path: dict[Path_, list[tuple[str, str, bool]]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = _data_path(merged.data, loc)
        kind = err["type"]
        at_key = False
        if kind == "extra_forbidden":
            key = str(loc[-1])
            fields = _model_fields(loc[:-1])
            msg = f"unknown key {key!r}{hint(key, fields) or _section_hint(loc, merged.data)}"
            code, at_key = "unknown-key", True
        elif kind == "missing":
            msg, code = f"missing required key {loc[-1]!r}", "missing-key"
        elif kind == "literal_error":
            value = err.get("input")
            choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
            label_key = next(
                (p for p in reversed(loc) if isinstance(p, str) and p in _FIELD_LABELS), "value"
            )
            label = _FIELD_LABELS.get(label_key, "value")
            if isinstance(value, str):
                close = hint(value, choices)
                if label_key == "type" and value.lower() in _TYPE_SYNONYMS:
                    close = f" (did you mean {_TYPE_SYNONYMS[value.lower()]!r}?)"
                msg = f"unknown {label} {value!r}" + (
                    close or f" (expected one of {', '.join(choices)})"
                )
            else:
                msg = f"invalid {label} {value!r} (expected one of {', '.join(choices)})"
            code = "unknown-name"
        elif kind in ("less_than_equal", "greater_than_equal"):
            key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")
            ctx = err.get("ctx", {})
            bound, word = (ctx.get("le"), "at most") if "le" in ctx else (ctx.get("ge"), "at least")
            msg = f"{key} is {err.get('input')!r}; it must be {word} {bound}"
            if key in ("rank", "min_rank", "max_rank") and "le" in ctx:
                msg += " (HDF5 arrays have at most 32 dimensions)"
            code = "invalid-value"
        else:
            msg = err["msg"]
            msg = msg.removeprefix("Value error, ")
            if kind in (
                "string_type",
                "int_type",
                "float_type",
                "bool_type",
                "dict_type",
                "list_type",
                "model_type",
            ):
                code = "invalid-type"
                what = _MODEL_WORDS.get(_model_named(msg), "")
                if what:  # never a class name: say what the layout expects, with an example
                    msg = f"{what[0]} must be a mapping such as {what[1]}"
                elif kind in _EXPECTED:
                    msg = f"expected {_EXPECTED[kind]}"
                try:
                    value = _value_at(merged.data, path)
                    got = type(value).__name__ if value is not None else "null"
                    msg = f"{msg[0].lower()}{msg[1:]}, got {got} {value!r}"[:300]
                    if kind == "string_type" and isinstance(value, (int, float)):
                        msg += f" (quote it: '\"{value}\"')"
                    if what and what[0] == "an attribute" and value in ATTR_TYPES:
                        msg += f" (did you mean {{type: {value}}}?)"
                except (KeyError, IndexError, TypeError):
                    msg = f"{msg[0].lower()}{msg[1:]}"
            else:
                code = "invalid-value"
                msg = f"{msg[0].lower()}{msg[1:]}"
        by_path.setdefault(path, []).append((msg, code, at_key))
    problems: list[Problem] = []
    for path, items in by_path.items():
        where: Loc
        unknown = [it for it in items if it[1] in ("unknown-key", "missing-key")]
        if unknown or len(items) == 1:
            chosen = unknown or items
            for msg, code, at_key in dict.fromkeys(chosen):
                where = _locate(merged, path, prefer_key=at_key)
                problems.append(
                    Problem(where.file, where.line, where.column, dotted(path), msg, code)
                )
            continue
        # several errors at one path: the members of a union failed one by one
        where = _locate(merged, path)
        try:
            value = _value_at(merged.data, path)
        except (KeyError, IndexError, TypeError):
            value = None
        msgs = "; ".join(dict.fromkeys(i[0].split(", got ")[0] for i in items))
        text = f"invalid value {value!r}: {msgs}"[:400]
        if path and path[-1] == "chunks":  # the one union of the language: say it whole
            text = (
                "chunks must be 'auto', a list of chunk sizes such as [1, 1024], or null, "
                f"not {value!r}"[:300]
                + (hint(value, ["auto"]) if isinstance(value, str) else "")
            )
        problems.append(
            Problem(where.file, where.line, where.column, dotted(path), text, "invalid-value")
        )
    return problems


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector.

    A layout becomes hundreds of thousands of small objects, none of them in a cycle; the
    collector's repeated full passes over them made checking superlinear (8,000 node
    types: 22 s with it, 4 s without). Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _analyse(source: str | Path) -> _Result:
    with _no_cyclic_gc():
        return _analyse_unguarded(source)


def _analyse_unguarded(source: str | Path) -> _Result:
    given, shown = _source_name(source)
    resolver = Resolver()
    merged = resolver.load(given, shown)
    problems = list(resolver.problems)
    model: m.Layout | None = None
    if not problems or merged.data:
        if (
            "layout" in merged.data
            and "layout" not in merged.top_keys
            and not any(p.code == "yaml-syntax" for p in problems)
        ):
            problems.append(
                Problem(
                    shown,
                    1,
                    1,
                    "",
                    "missing required key 'layout' (every layout names itself)",
                    "missing-key",
                )
            )
        if (
            "layout" in merged.top_keys
            and "version" in merged.data
            and "version" not in merged.top_keys
            and not any(p.code == "yaml-syntax" for p in problems)
        ):
            # a derived layout that forgot its version would otherwise write its base's
            # version into every file, as if it were the base
            problems.append(
                Problem(
                    shown,
                    1,
                    1,
                    "",
                    "missing required key 'version' (a layout gives its own version, "
                    'e.g. version: "1.0"; it is not inherited from what it extends)',
                    "missing-key",
                )
            )
        try:
            model = m.Layout.model_validate(merged.data)
        except ValidationError as exc:
            problems.extend(_convert(exc, merged))

        def report(path: Path_, message: str, code: str) -> None:
            loc = _locate(merged, path)
            removed = _removed_target(resolver, path) if code == "unknown-reference" else None
            if removed is not None and removed[1].file != loc.file:
                # an inherited reference to what the user removed: say so where they removed it
                section, at = removed
                name = dotted(path)
                problems.append(
                    Problem(
                        at.file,
                        at.line,
                        at.column,
                        "remove",
                        f"removing {section}.{path[-1]} leaves {name} (inherited from {loc}) "
                        f"naming it; remove that too: add {name} to remove",
                        code,
                    )
                )
                return
            problems.append(Problem(loc.file, loc.line, loc.column, dotted(path), message, code))

        try:
            Checker(merged.data, report).run()
        except RecursionError:
            report((), "layout nested too deeply", "invalid-value")
    if resolver.incomplete:
        # a base or fragment could not be read: references to what it declared, and keys it
        # would have given, are missing because of that one problem, already reported
        problems = [p for p in problems if p.code not in ("unknown-reference", "missing-key")]
    problems = sorted(dict.fromkeys(problems), key=_order(merged))
    return _Result(model if not problems else None, merged, problems, given, shown)


def _removed_target(resolver: Resolver, path: Path_) -> tuple[str, Loc] | None:
    """(section, where it was removed) when ``path`` names a child type the user removed."""
    if len(path) < 2 or path[-2] != "children":
        return None
    for section in ("groups", "arrays"):
        at = resolver.removed.get((section, path[-1]))
        if at is not None:
            return section, at
    return None


def _order(merged: Merged) -> Callable[[Problem], tuple[int, int, int, str, str]]:
    files: dict[str, int] = {}

    def key(p: Problem) -> tuple[int, int, int, str, str]:
        rank = files.setdefault(p.file, len(files))
        return (rank, p.line, p.column, p.path, p.message)

    return key


def check_layout(source: str | Path) -> list[Problem]:
    """Every problem of a layout (empty when it is valid). Never raises for bad input."""
    return _analyse(source).problems


def load_layout_model(source: str | Path) -> m.Layout:
    """The checked pydantic model of a layout (``LayoutSpecError`` listing every problem)."""
    result = _analyse(source)
    if result.model is None:
        raise LayoutSpecError(result.problems)
    return result.model


def load_layout_spec(source: str | Path, *, files: list[Path] | None = None) -> LayoutSpec:
    """Check a layout and lower it into the runtime's resolved :class:`LayoutSpec`.

    ``source`` is a shipped name (``'pymodaq'``) or a path. ``sha256`` covers the bytes of
    the layout and of everything it extends or includes; locations are ``file:line:col``
    (package-relative for shipped layouts). Raises ``LayoutSpecError`` with every problem.
    ``files``, when given, receives the paths of every file read, in the order hashed.
    """
    result = _analyse(source)
    if files is not None:
        files.extend(result.merged.files)
    if result.model is None:
        raise LayoutSpecError(result.problems)
    sha = hashlib.sha256(b"".join(result.merged.digests)).hexdigest()
    merged = result.merged
    with _no_cyclic_gc():
        return lower(
            result.model,
            lambda path: str(_locate(merged, path, prefer_key=True)),
            sha,
            result.source,
        )
