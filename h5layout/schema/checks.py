"""Checks of a merged layout that the pydantic models cannot express.

They work on the raw merged data and tolerate wrong types (pydantic reports those), so
that every problem of a layout is found in one run.
"""

from __future__ import annotations

import difflib
import keyword
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from h5layout.runtime.layout.patterns import PatternError, compile_pattern
from h5layout.runtime.layout.spec import ATTR_TYPES
from h5layout.runtime.model.enums import DataType, GroupType
from h5layout.schema.source import Path_, YamlValue

#: A naming pattern the runtime understands (same grammar as runtime.spec.Naming).
PATTERN_RE = re.compile(
    r"^(?P<prefix>[^{}]*)\{(?P<field>index|dim)(?::0(?P<width>\d+)d)?\}(?P<suffix>[^{}]*)$"
)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
#: Widest counter a naming pattern may ask for ({index:0Nd}); more would only pad zeros.
MAX_NAME_WIDTH = 20
#: HDF5's limits: dimensions of a dataset, and elements along one dimension of a chunk.
MAX_RANK = 32
MAX_CHUNK = 2**32 - 1
#: "Did you mean" suggestions given per layout (each compares with every candidate).
MAX_HINTS = 50
#: Longest node name or naming pattern (characters).
MAX_NAME_LENGTH = 255

PLAIN = "string, finite number, boolean, null, list or mapping"
Report = Callable[[Path_, str, str], None]


def short(value: object) -> str:
    """``repr(value)``, cut to a readable length for messages."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"


def hint(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` when a close name exists, else ``''``."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def is_literal(value: YamlValue, depth: int = 0) -> bool:
    """Plain data that can be written as a Python literal (no dates, no NaN)."""
    if depth > 20:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(is_literal(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_literal(v, depth + 1) for k, v in value.items())
    return False


def fits(value: YamlValue, type_: str, items: str | None = None) -> bool:
    """True when a YAML value fits a declared attribute type."""
    if type_ == "any":
        return True
    if type_ == "str":
        return isinstance(value, str)
    if type_ == "bool":
        return isinstance(value, bool)
    if type_ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_ in ("tuple", "list", "ndarray"):
        return isinstance(value, list) and (items is None or all(fits(v, items) for v in value))
    if type_ == "dict":
        return isinstance(value, dict)
    if type_ == "datetime":
        return isinstance(value, str)
    return False


def check_name(name: str, what: str) -> str | None:
    """Why ``name`` is not a valid node type / layout name, or None."""
    if not name.isidentifier() or not name.isascii():
        return (
            f"{what} {name!r} is not a valid identifier "
            "(letters, digits and '_', not starting with a digit)"
        )
    if keyword.iskeyword(name):
        return f"{what} {name!r} is a Python keyword"
    return None


def check_attr_name(name: str) -> str | None:
    """Why ``name`` cannot be an HDF5 attribute name, or None."""
    if not name:
        return "attribute names cannot be empty"
    if "/" in name:
        return f"attribute name {name!r} cannot contain '/'"
    if _CONTROL_RE.search(name):
        return f"attribute name {name!r} cannot contain control characters"
    if name in (".",):
        return f"attribute name {name!r} is reserved"
    return None


try:  # Python's own regex parser, used only to read a pattern's structure
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse as _sre_parse

#: A pattern as Python's private regex parser returns it (a ``SubPattern``: a sequence of
#: ``(opcode, argument)`` pairs whose argument's shape depends on the opcode); that parser
#: has no types.
_ParsedRegex: TypeAlias = Any

_REFUSED_OPS = {
    "GROUPREF": "back-references such as \\1 or (?P=name) are not supported",
    "GROUPREF_EXISTS": "conditional groups (?(1)...) are not supported",
    "ASSERT": "look-ahead and look-behind ((?=...), (?<=...)) are not supported",
    "ASSERT_NOT": "look-ahead and look-behind ((?!...), (?<!...)) are not supported",
    "ATOMIC_GROUP": "atomic groups (?>...) are not supported",
    "POSSESSIVE_REPEAT": "possessive quantifiers (a++, a*+) are not supported",
}
_UNICODE_CLASS = re.compile(r"(?<!\\)((?:\\\\)*)\\[pP](?:\{[^}]*\}|[A-Za-z])")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
NESTED_QUANTIFIERS = (
    "nested quantifiers (a repeated group holding a repetition of varying length, "
    "like '(a+)+' or '([a-z]+_)*') are refused: backtracking regex engines take "
    "exponential time on them; repeat the inner part once (e.g. '^a+$')"
)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be an attribute's ``pattern`` rule, or None.

    Rules are matched with RE2 (linear time, :mod:`h5layout.runtime.layout.patterns`); on top of
    what RE2 refuses, nested quantifiers are refused too, so that a layout's patterns stay
    safe in every engine that reads the layout (JSON Schema validators backtrack).
    """
    try:
        # RE2's Unicode classes (\pL, \p{Greek}) are one character each to Python's parser
        parsed = _sre_parse.parse(_UNICODE_CLASS.sub("x", pattern))
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    except (RecursionError, OverflowError):
        return "invalid regular expression: nested too deeply"
    # (items, inside a repetition of more than one)
    stack: list[tuple[_ParsedRegex, bool]] = [(parsed, False)]
    while stack:
        items, repeated = stack.pop()
        for op, arg in items:
            name = str(op)
            if name in _REFUSED_OPS:
                return _REFUSED_OPS[name]
            if name in _REPEATS:
                lo, hi, body = arg
                varying = hi != lo and hi > 1
                if repeated and varying:
                    return NESTED_QUANTIFIERS
                stack.append((body, repeated or hi > 1))
            elif name == "SUBPATTERN":
                stack.append((arg[-1], repeated))
            elif name == "BRANCH":
                stack.extend((branch, repeated) for branch in arg[1])
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        return f"invalid regular expression: {exc}"
    return None


class Checker:
    """Runs every semantic check, reporting through ``report(path, message, code)``."""

    def __init__(self, data: dict[str, YamlValue], report: Report) -> None:
        self.data = data
        self.report = report
        groups = data.get("groups")
        arrays = data.get("arrays")
        self.groups: dict[str, YamlValue] = groups if isinstance(groups, dict) else {}
        self.arrays: dict[str, YamlValue] = arrays if isinstance(arrays, dict) else {}
        sets = data.get("attr_sets")
        self.sets: dict[str, YamlValue] = sets if isinstance(sets, dict) else {}
        self._node_types: list[str] | None = None
        self._hints_left = MAX_HINTS

    @property
    def node_types(self) -> list[str]:
        """Every declared node type name (built once, on the first unknown reference)."""
        if self._node_types is None:
            self._node_types = [*self.groups, *self.arrays]
        return self._node_types

    def hint(self, name: str, choices: Iterable[str]) -> str:
        """:func:`hint`, for the first :data:`MAX_HINTS` unknown references only.

        A "did you mean" compares a name with every candidate; thousands of unknown
        references against thousands of node types would make checking quadratic.
        """
        if self._hints_left <= 0:
            return ""
        self._hints_left -= 1
        return hint(name, list(choices))

    def run(self) -> None:
        """Every check, in document order."""
        d = self.data
        layout = d.get("layout")
        if isinstance(layout, str):
            why = check_name(layout, "layout name")
            if why:
                self.report(("layout",), why, "invalid-name")
        lang = d.get("language", "1")
        if isinstance(lang, str) and lang != "1":
            self.report(
                ("language",),
                f"unsupported language version {lang!r} (this h5layout reads '1')",
                "invalid-value",
            )
        root = d.get("root", "root")
        # with no group table at all, the model already said what is missing
        if isinstance(root, str) and (self.groups or "root" in d):
            if root not in self.groups:
                self.report(
                    ("root",),
                    f"root node type {root!r} is not a declared group"
                    + hint(root, list(self.groups)),
                    "unknown-reference",
                )
            elif (
                isinstance(node := self.groups[root], dict) and node.get("role", "group") != "root"
            ):
                where = ("groups", root, "role") if "role" in node else ("groups", root)
                self.report(
                    where, f"root node type {root!r} must have role 'root'", "invalid-value"
                )
        for name, attrs in self.sets.items():
            why = check_name(name, "attribute set name")
            if why:
                self.report(("attr_sets", name), why, "invalid-name")
            if isinstance(attrs, dict):
                self.check_attrs(("attr_sets", name), attrs)
        for section, table in (("groups", self.groups), ("arrays", self.arrays)):
            for name, node in table.items():
                path = (section, name)
                why = check_name(name, "node type name")
                if why:
                    self.report(path, why, "invalid-name")
                if section == "arrays" and name in self.groups:
                    self.report(
                        path,
                        f"node type {name!r} is declared both as a group and as an array",
                        "name-clash",
                    )
                if isinstance(node, dict):
                    self.check_node(path, node, section == "groups")

    def check_attrs(self, path: Path_, attrs: dict[str, YamlValue]) -> None:
        """Names and values of a table of attributes."""
        for name, attr in attrs.items():
            why = check_attr_name(name)
            if why:
                self.report((*path, name), why, "invalid-name")
            if isinstance(attr, dict):
                self.check_attr((*path, name), attr)

    def check_attr(self, path: Path_, a: dict[str, YamlValue]) -> None:
        """One attribute declaration."""
        type_ = a.get("type", "any")
        items = a.get("items")
        if not isinstance(type_, str):
            return
        if type_ not in ATTR_TYPES:
            type_ = "any"  # reported once by the model; nothing more follows from it
        if items is not None and type_ not in ("tuple", "list", "ndarray"):
            self.report(
                (*path, "items"),
                f"items only applies to tuple, list and ndarray, not {type_!r}",
                "invalid-value",
            )
            items = None
        if not isinstance(items, str):
            items = None
        pattern = a.get("pattern")
        regex = None
        if isinstance(pattern, str):
            if type_ not in ("str", "any"):
                self.report(
                    (*path, "pattern"),
                    f"pattern only applies to str attributes, not {type_!r}",
                    "invalid-value",
                )
            why = pattern_problem(pattern)
            if why:
                self.report((*path, "pattern"), why, "bad-pattern")
            else:
                regex = compile_pattern(pattern)
        lo, hi = a.get("minimum"), a.get("maximum")
        for key in ("minimum", "maximum"):
            if a.get(key) is not None and type_ not in ("int", "float", "any"):
                self.report(
                    (*path, key),
                    f"{key} only applies to int and float attributes, not {type_!r}",
                    "invalid-value",
                )
        numeric = (int, float)
        if (
            isinstance(lo, numeric)
            and isinstance(hi, numeric)
            and not isinstance(lo, bool)
            and not isinstance(hi, bool)
            and lo > hi
        ):
            self.report(
                (*path, "minimum"), f"minimum {lo} is larger than maximum {hi}", "invalid-value"
            )

        def check_value(key: str, value: YamlValue, vpath: Path_) -> None:
            if not is_literal(value):
                self.report(
                    vpath,
                    f"{key} must be plain data ({PLAIN})",
                    "invalid-value",
                )
                return
            if not fits(value, type_, items):
                what = f"{type_} of {items}" if items else type_
                self.report(
                    vpath, f"{key} {short(value)} does not fit type {what}", "invalid-value"
                )
                return
            if regex is not None and isinstance(value, str) and not regex.search(value):
                self.report(
                    vpath,
                    f"{key} {short(value)} does not match pattern {pattern!r}",
                    "invalid-value",
                )
            if isinstance(value, numeric) and not isinstance(value, bool):
                if isinstance(lo, numeric) and not isinstance(lo, bool) and value < lo:
                    self.report(
                        vpath, f"{key} {short(value)} is below minimum {lo}", "invalid-value"
                    )
                if isinstance(hi, numeric) and not isinstance(hi, bool) and value > hi:
                    self.report(
                        vpath, f"{key} {short(value)} is above maximum {hi}", "invalid-value"
                    )

        for key in ("const", "default"):
            if key in a and a[key] is not None:
                check_value(key, a[key], (*path, key))
        enum = a.get("enum")
        if isinstance(enum, list):
            if not enum:
                self.report((*path, "enum"), "enum cannot be empty", "invalid-value")
            for i, v in enumerate(enum):
                check_value("enum value", v, (*path, "enum", i))
            for key in ("const", "default"):
                if a.get(key) is not None and is_literal(a[key]) and a[key] not in enum:
                    self.report(
                        (*path, key),
                        f"{key} {short(a[key])} is not one of the enum values",
                        "invalid-value",
                    )
        if (
            a.get("const") is not None
            and a.get("default") is not None
            and a["const"] != a["default"]
        ):
            self.report((*path, "default"), "default differs from const", "invalid-value")

    def check_node(self, path: Path_, node: dict[str, YamlValue], is_group: bool) -> None:
        """One node type."""
        name = node.get("name")
        if isinstance(name, str):
            self.check_naming((*path, "name"), name)
        for key in ("match", "options"):
            table = node.get(key)
            if isinstance(table, dict):
                for k, v in table.items():
                    if not is_literal(v):
                        self.report(
                            (*path, key, k),
                            f"{key} values must be plain data ({PLAIN})",
                            "invalid-value",
                        )
                    if key == "match" and check_attr_name(k):
                        self.report((*path, key, k), check_attr_name(k) or "", "invalid-name")
        use = node.get("use_attrs")
        if isinstance(use, list):
            for i, set_name in enumerate(use):
                if isinstance(set_name, str) and set_name not in self.sets:
                    self.report(
                        (*path, "use_attrs", i),
                        f"unknown attribute set {set_name!r}{self.hint(set_name, self.sets)}",
                        "unknown-reference",
                    )
        attrs = node.get("attrs")
        if isinstance(attrs, dict):
            self.check_attrs((*path, "attrs"), attrs)
        options = node.get("options")
        if isinstance(options, dict):
            self.check_options((*path, "options"), options)
        if is_group:
            self.check_children(path, node)
        else:
            self.check_array(path, node)

    def check_naming(self, path: Path_, name: str) -> None:
        """A fixed name or a counter pattern."""
        if _CONTROL_RE.search(name) or ("/" in name and name != "/"):
            self.report(
                path, f"node name {name!r} cannot contain '/' or control characters", "invalid-name"
            )
            return
        if not name:
            self.report(path, "node name cannot be empty", "invalid-name")
            return
        if "{" in name or "}" in name:
            m = PATTERN_RE.match(name)
            if m is None:
                self.report(
                    path,
                    f"invalid naming pattern {name!r}: use one field, "
                    "{index:0Nd} (e.g. 'Scan{index:03d}') or {dim}",
                    "bad-pattern",
                )
            elif m.group("field") == "dim" and m.group("width"):
                self.report(
                    path, f"invalid naming pattern {name!r}: {{dim}} takes no width", "bad-pattern"
                )
            elif m.group("width") and (
                len(m.group("width").lstrip("0")) > 3 or int(m.group("width")) > MAX_NAME_WIDTH
            ):
                digits = m.group("width").lstrip("0")
                wide = (
                    f"a counter {int(digits):,} digits wide"
                    if len(digits) <= 12
                    else f"a counter width written with {len(digits):,} digits"
                )
                self.report(
                    path,
                    f"invalid naming pattern {short(name)}: {wide}; "
                    f"at most {MAX_NAME_WIDTH} (an int64 counter has 19 digits)",
                    "bad-pattern",
                )
                return
        if len(name) > MAX_NAME_LENGTH:
            self.report(
                path,
                f"node name is {len(name):,} characters long; at most {MAX_NAME_LENGTH}",
                "invalid-name",
            )

    def check_options(self, path: Path_, options: dict[str, YamlValue]) -> None:
        """Options whose values h5layout knows."""
        checks = {"group_type": GroupType.names(), "data_type": DataType.names()}
        for key, choices in checks.items():
            value = options.get(key)
            if key in options and (not isinstance(value, str) or value not in choices):
                shown = value if isinstance(value, str) else repr(value)
                extra = hint(shown, choices) if isinstance(value, str) else ""
                self.report(
                    (*path, key),
                    f"unknown {key} {value!r}{extra}; expected one of {', '.join(choices)}",
                    "invalid-value",
                )
        for key in ("name_prefix", "name_from"):
            if key in options and not isinstance(options[key], str):
                self.report((*path, key), f"{key} must be a string", "invalid-type")

    def check_children(self, path: Path_, node: dict[str, YamlValue]) -> None:
        """References to child node types, their counts, and telling them apart."""
        children = node.get("children")
        if not isinstance(children, dict):
            return
        seen: dict[tuple[str, str, str], str] = {}
        for child, spec in children.items():
            cpath = (*path, "children", child)
            if child not in self.groups and child not in self.arrays:
                self.report(
                    cpath,
                    f"unknown node type {child!r}{self.hint(child, self.node_types)}",
                    "unknown-reference",
                )
                continue
            if isinstance(spec, dict):
                lo, hi = spec.get("min", 0), spec.get("max")
                if (
                    isinstance(lo, int)
                    and isinstance(hi, int)
                    and not isinstance(hi, bool)
                    and lo > hi
                ):
                    self.report(
                        (*cpath, "min"), f"min {lo} is larger than max {hi}", "invalid-value"
                    )
            target = self.groups.get(child) if child in self.groups else self.arrays.get(child)
            name = target.get("name") if isinstance(target, dict) else None
            if isinstance(target, dict) and isinstance(name, str):
                kind = "group" if child in self.groups else "array"
                match = target.get("match")
                key = (
                    kind,
                    name,
                    repr(sorted(match.items())) if isinstance(match, dict) else "",
                )
                if key in seen:
                    self.report(
                        cpath,
                        f"node types {seen[key]!r} and {child!r} cannot be told apart "
                        f"(same name {name!r} and match)",
                        "name-clash",
                    )
                else:
                    seen[key] = child

    def check_array(self, path: Path_, node: dict[str, YamlValue]) -> None:
        """Shape and storage rules of an array type."""
        rank, lo, hi = node.get("rank"), node.get("min_rank"), node.get("max_rank")
        if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank <= MAX_RANK:
            rank = None  # a rank out of range is reported once, by the model
        if rank is not None and (lo is not None or hi is not None):
            self.report(
                (*path, "rank"), "give either rank or min_rank/max_rank, not both", "invalid-value"
            )
        if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            self.report(
                (*path, "min_rank"), f"min_rank {lo} is larger than max_rank {hi}", "invalid-value"
            )
        dims = node.get("dims")
        if isinstance(dims, list) and len(dims) > MAX_RANK:
            self.report(
                (*path, "dims"),
                f"dims has {len(dims)} entries; HDF5 arrays have at most {MAX_RANK} dimensions",
                "invalid-value",
            )
        elif isinstance(dims, list):
            if isinstance(rank, int) and not isinstance(rank, bool) and len(dims) != rank:
                self.report(
                    (*path, "dims"),
                    f"dims has {len(dims)} entries but rank is {rank}",
                    "invalid-value",
                )
            for i, d in enumerate(dims):
                if isinstance(d, int) and not isinstance(d, bool) and d < 0:
                    self.report(
                        (*path, "dims", i), "dimension sizes cannot be negative", "invalid-value"
                    )
        kind = node.get("kind", "fixed")
        fill = node.get("fill_value")
        if fill is not None:
            ok = isinstance(fill, str) and fill in ("nan", "inf", "-inf")
            ok = ok or (isinstance(fill, (int, float)) and is_literal(fill))
            if not ok:
                self.report(
                    (*path, "fill_value"),
                    "fill_value must be a finite number, 'nan', 'inf', '-inf' or null",
                    "invalid-value",
                )
        storage = node.get("storage")
        if isinstance(storage, dict):
            if storage.get("level") is not None and storage.get("compression") in (None, "lzf"):
                self.report(
                    (*path, "storage", "level"),
                    "level needs compression gzip, zlib or blosc",
                    "invalid-value",
                )
            chunks = storage.get("chunks")
            if isinstance(chunks, list):
                for i, c in enumerate(chunks):
                    if isinstance(c, int) and c <= 0:
                        self.report(
                            (*path, "storage", "chunks", i),
                            "chunk sizes must be positive",
                            "invalid-value",
                        )
                    elif isinstance(c, int) and c > MAX_CHUNK:
                        self.report(
                            (*path, "storage", "chunks", i),
                            f"chunk sizes are at most {MAX_CHUNK} (HDF5's limit)",
                            "invalid-value",
                        )
                if isinstance(rank, int) and not isinstance(rank, bool) and len(chunks) != rank:
                    self.report(
                        (*path, "storage", "chunks"),
                        f"chunks has {len(chunks)} entries but rank is {rank}",
                        "invalid-value",
                    )
        if kind == "strings":
            dtypes = node.get("dtypes")
            if isinstance(dtypes, list) and dtypes and dtypes != ["uint8"]:
                self.report(
                    (*path, "dtypes"),
                    "string arrays store uint8 rows; dtypes must be [uint8] or empty",
                    "invalid-value",
                )
