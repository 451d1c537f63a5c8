"""The resolved form of a layout, as the runtime uses it.

A compiled module carries its layout as plain literals (``LAYOUT``: the form of
:meth:`LayoutSpec.to_dict` with what repeats written once, see :meth:`LayoutSpec.from_dict`);
the runtime turns them back into these frozen dataclasses with :meth:`LayoutSpec.from_dict`,
putting back every default left out. Nothing here imports pydantic, YAML or jinja2: this is
what savers, loaders and the file checker read, so every decision (names, attribute sets,
dtypes, storage, policies) is already taken.

Node roles (``NodeSpec.role``) the runtime understands:

* groups: ``root``, ``raw``, ``logger_group`` (unused by PyMoDAQ), ``scan``, ``detector``,
  ``actuator``, ``incremental`` (any other incremental group: ``Ch000``, ``External_h5000``,
  ``Data_logger000`` ...), ``generic`` (``add_generic_group``), ``data_group``
  (``add_data_group``), ``channel`` (``CH00`` of the DataToExport savers), ``dim``
  (``Data0D`` ... ``DataND``), ``nav_axes``, ``group`` (anything else declared);
* arrays: ``logger`` (the log string array), ``data``, ``axis``, ``bkg``, ``error``,
  ``enlargeable`` (``EnlData``), ``strings``, ``array`` (anything else declared).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, TypeAlias, Union

#: Version of the plain resolved-layout format (:meth:`LayoutSpec.to_dict`). Format 2 omits
#: every value equal to its default; :meth:`LayoutSpec.from_dict` reads 1, 2 and 3 alike.
SPEC_FORMAT = 2
#: Version of the compact format compiled modules carry (format 2 plus tables read by
#: key; see :meth:`LayoutSpec.from_dict`).
COMPACT_FORMAT = 3

#: Plain data as layouts write it and compiled modules carry it, what YAML and Python
#: literals hold: the plain form of :meth:`LayoutSpec.to_dict`, an attribute's ``const``,
#: ``default`` and ``enum`` values, an array's ``fill_value``, a node type's ``match`` values.
PlainValue: TypeAlias = Union[  # noqa: UP007 (evaluated at run time: "X | 'Y'" fails on 3.10)
    bool, int, float, str, Sequence["PlainValue"], Mapping[str, "PlainValue"], None
]
#: A plain mapping (a node type, an attribute declaration... in their plain form).
PlainDict: TypeAlias = dict[str, PlainValue]
#: A node type's role-specific settings (``group_type``, ``locations``,
#: ``backend_encodings``...): each reader knows the type of the key it reads, so values are
#: left untyped here (a TypedDict per role would say more).
NodeOptions: TypeAlias = Mapping[str, Any]


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "unset"


#: An attribute's ``const``/``default`` when the layout gives none (None is a value).
UNSET: Final = Unset.UNSET
_MISSING: Final = UNSET


def _without_defaults(d: Mapping[str, PlainValue], defaults: Mapping[str, PlainValue]) -> PlainDict:
    """``d`` without the entries equal to their default (empty containers count as None)."""
    out: PlainDict = {}
    for k, v in d.items():
        default = defaults.get(k, _MISSING)
        if default is not _MISSING and (v == default or (default is None and v in ({}, []))):
            continue
        out[k] = v
    return out


GROUP_ROLES = (
    "root",
    "raw",
    "scan",
    "detector",
    "actuator",
    "incremental",
    "generic",
    "data_group",
    "channel",
    "dim",
    "nav_axes",
    "group",
)
ARRAY_ROLES = ("logger", "data", "axis", "bkg", "error", "enlargeable", "strings", "array")
ATTR_TYPES = ("str", "int", "float", "bool", "tuple", "list", "ndarray", "datetime", "dict", "any")
ARRAY_KINDS = ("fixed", "enlargeable", "vlen", "strings")
UNDECLARED_POLICIES = ("error", "warn", "allow")
ATTR_ENCODINGS = ("json", "native")

_PATTERN_RE = re.compile(
    r"^(?P<prefix>[^{}]*)\{(?P<field>index|dim)(?::0(?P<width>\d+)d)?\}(?P<suffix>[^{}]*)$"
)

_NONE: PlainDict = {"fill_value": None, "storage": None}


class _Reader:
    """Typed reads of one plain mapping (a compiled module's data): a value of another type
    than the field's is a ``ValueError`` naming the key."""

    __slots__ = ("d", "what")

    def __init__(self, d: Mapping[str, PlainValue] | None, what: str) -> None:
        self.d: Mapping[str, PlainValue] = d or {}
        self.what = what

    def _bad(self, key: str, want: str) -> ValueError:
        return ValueError(f"{self.what}: {key!r} must be {want}, got {self.d.get(key)!r}")

    def text(self, key: str, default: str = "") -> str:
        v = self.d.get(key, default)
        if not isinstance(v, str):
            raise self._bad(key, "a string")
        return v

    def opt_text(self, key: str) -> str | None:
        v = self.d.get(key)
        if v is not None and not isinstance(v, str):
            raise self._bad(key, "a string or None")
        return v

    def opt_int(self, key: str) -> int | None:
        v = self.d.get(key)
        if v is not None and not isinstance(v, int):
            raise self._bad(key, "an integer or None")
        return v

    def opt_float(self, key: str) -> float | None:
        v = self.d.get(key)
        if v is not None and not isinstance(v, (int, float)):
            raise self._bad(key, "a number or None")
        return v

    def seq(self, key: str) -> Sequence[PlainValue] | None:
        v = self.d.get(key)
        if v is not None and (isinstance(v, (str, Mapping)) or not isinstance(v, Sequence)):
            raise self._bad(key, "a list or None")
        return v

    def mapping(self, key: str) -> Mapping[str, PlainValue]:
        v = self.d.get(key)
        if not v:
            return {}
        if not isinstance(v, Mapping):
            raise self._bad(key, "a mapping")
        return v


def _plain_mapping(v: PlainValue, what: str) -> Mapping[str, PlainValue]:
    if not isinstance(v, Mapping):
        raise ValueError(f"{what} must be a mapping, got {v!r}")
    return v


def _text(v: PlainValue, what: str) -> str:
    if not isinstance(v, str):
        raise ValueError(f"{what} must be a string, got {v!r}")
    return v


def _int(v: PlainValue, what: str) -> int:
    if not isinstance(v, int):
        raise ValueError(f"{what} must be an integer, got {v!r}")
    return v


def _opt_int(v: PlainValue, what: str) -> int | None:
    return None if v is None else _int(v, what)


def location_file(location: str) -> str:
    """The file part of a ``FILE:LINE:COL`` location (``''`` when it has none)."""
    return location.rpartition(":")[0].rpartition(":")[0]


def expand_location(location: str, files: Mapping[str, str]) -> str:
    """``location`` with its file's short name (a key of ``files``, the compact format's
    ``LAYOUT["files"]``) replaced by the file's full name."""
    file = location_file(location)
    full = files.get(file) if file else None
    return location if full is None else full + location[len(file) :]


def attr_key_name(key: str) -> str:
    """The attribute name a key of the compact format's attribute table stands for, when
    the declaration gives no ``name``: the key up to its first ``@`` (``TITLE@32``)."""
    return key.partition("@")[0]


@dataclass(frozen=True)
class Naming:
    """How nodes of a type are named: a fixed name, or a pattern with a counter.

    ``pattern`` is a format string with exactly one field, ``{index:0Nd}`` (incremental
    numbering, N digits, more digits past the width when ``overflow`` is ``'grow'``) or
    ``{dim}`` (the DataDim name suffix: ``0D``, ``1D``, ``2D``, ``ND``).
    """

    fixed: str | None = None
    pattern: str | None = None
    overflow: str = "grow"  # 'grow' | 'error'

    @functools.cached_property
    def _parts(self) -> tuple[str, str, int, str | None]:
        """(prefix, suffix, width, field) of the pattern, parsed once (names are checked
        against every candidate type of every node)."""
        if self.pattern is None:
            return self.fixed or "", "", 0, None
        m = _PATTERN_RE.match(self.pattern)
        if m is None:
            return "", "", 0, None
        return m.group("prefix"), m.group("suffix"), int(m.group("width") or 0), m.group("field")

    @property
    def prefix(self) -> str:
        """Text before the counter (``'Scan'`` for ``Scan{index:03d}``)."""
        return self._parts[0]

    @property
    def suffix(self) -> str:
        """Text after the counter."""
        return self._parts[1]

    @property
    def width(self) -> int:
        """Digits of the counter (0: no padding)."""
        return self._parts[2]

    @property
    def field(self) -> str | None:
        """``'index'``, ``'dim'`` or None for fixed names."""
        return self._parts[3]

    def format(self, index: int | None = None, dim: str | None = None) -> str:
        """The node name for a counter value (or a DataDim name for ``{dim}``)."""
        if self.pattern is None:
            return self.fixed or ""
        if self.field == "dim":
            text = (dim or "").removeprefix("Data")
            return f"{self.prefix}{text}{self.suffix}"
        if index is None:
            raise ValueError(f"naming pattern {self.pattern!r} needs an index")
        digits = f"{index:0{self.width}d}" if self.width else str(index)
        if self.overflow == "error" and self.width and len(digits) > self.width:
            raise ValueError(f"index {index} does not fit {self.pattern!r}")
        return f"{self.prefix}{digits}{self.suffix}"

    def regex(self) -> re.Pattern[str]:
        """A regular expression matching the names this rule produces."""
        if self.pattern is None:
            return re.compile(re.escape(self.fixed or "") + r"\Z")
        if self.field == "dim":
            body = r"(?:0D|1D|2D|ND)"
        else:
            body = r"\d{" + str(max(self.width, 1)) + ",}"
        return re.compile(
            re.escape(self.prefix) + f"(?P<index>{body})" + re.escape(self.suffix) + r"\Z"
        )

    def counter_text(self, name: str) -> str | None:
        """The part of ``name`` standing for the counter (``'003'`` of ``Scan003``), or None
        when the name does not fit the rule (fixed names: ``''`` when equal).

        Equivalent to matching :meth:`regex`, without compiling one: the checker asks this
        for every node and candidate type, the savers for every sibling when numbering.
        """
        if self.pattern is None:
            return "" if name == (self.fixed or "") else None
        prefix, suffix, width, kind = self._parts
        if not (name.startswith(prefix) and name.endswith(suffix)):
            return None
        if len(name) < len(prefix) + len(suffix):  # prefix and suffix overlap
            return None
        middle = name[len(prefix) : len(name) - len(suffix)]
        if kind == "dim":
            return middle if middle in ("0D", "1D", "2D", "ND") else None
        # str.isdecimal is the regex \d of str patterns (any Unicode decimal digit)
        ok = middle.isdecimal() and len(middle) >= max(width, 1)
        return middle if ok else None

    def parse_index(self, name: str) -> int | None:
        """The counter of a name this rule produced, or None for a foreign name."""
        if self.pattern is None or self.field != "index":
            return None
        text = self.counter_text(name)
        return int(text) if text is not None else None

    def to_dict(self) -> PlainDict:
        """Plain literals (defaults omitted)."""
        d = {"fixed": self.fixed, "pattern": self.pattern, "overflow": self.overflow}
        return _without_defaults(d, {"fixed": None, "pattern": None, "overflow": "grow"})

    @classmethod
    def from_dict(cls, d: Mapping[str, PlainValue]) -> Naming:
        """Inverse of :meth:`to_dict`."""
        r = _Reader(d, "naming")
        return cls(
            fixed=r.opt_text("fixed"),
            pattern=r.opt_text("pattern"),
            overflow=r.text("overflow", "grow"),
        )


@dataclass(frozen=True)
class AttrSpec:
    """One attribute a node type carries."""

    name: str
    type: str = "any"
    item_type: str | None = None  # element type of tuple/list
    required: bool = False
    const: PlainValue | Unset = UNSET
    enum: tuple[PlainValue, ...] | None = None
    default: PlainValue | Unset = UNSET
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    units: str | None = None
    description: str = ""
    encoding: str = "json"  # 'json' (the pymodaq envelope) | 'native' (a plain HDF5 attribute)
    location: str = ""  # layout file:line:col that declared it

    @property
    def has_const(self) -> bool:
        """True when the attribute must hold one value."""
        return self.const is not UNSET

    @property
    def has_default(self) -> bool:
        """True when a default is written when the caller gives nothing."""
        return self.default is not UNSET

    def to_dict(self) -> PlainDict:
        """Plain literals (defaults omitted; ``const``/``default`` omitted when unset)."""
        d: PlainDict = {
            "type": self.type,
            "item_type": self.item_type,
            "required": self.required,
            "enum": list(self.enum) if self.enum is not None else None,
            "pattern": self.pattern,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "units": self.units,
            "description": self.description,
            "encoding": self.encoding,
            "location": self.location,
        }
        d = _without_defaults(d, _ATTR_DEFAULTS)
        if self.const is not UNSET:
            d["const"] = self.const
        if self.default is not UNSET:
            d["default"] = self.default
        return d

    @classmethod
    def from_dict(
        cls, name: str, d: Mapping[str, PlainValue], files: Mapping[str, str] | None = None
    ) -> AttrSpec:
        """Inverse of :meth:`to_dict` (``files``: short file names of locations)."""
        r = _Reader(d, f"attribute {name!r}")
        enum = r.seq("enum")
        location = r.text("location")
        return cls(
            name=name,
            type=r.text("type", "any"),
            item_type=r.opt_text("item_type"),
            required=bool(d.get("required", False)),
            const=d.get("const", UNSET),
            enum=tuple(enum) if enum is not None else None,
            default=d.get("default", UNSET),
            pattern=r.opt_text("pattern"),
            minimum=r.opt_float("minimum"),
            maximum=r.opt_float("maximum"),
            units=r.opt_text("units"),
            description=r.text("description"),
            encoding=r.text("encoding", "json"),
            location=expand_location(location, files) if files else location,
        )


_ATTR_DEFAULTS: PlainDict = {
    "type": "any",
    "item_type": None,
    "required": False,
    "enum": None,
    "pattern": None,
    "minimum": None,
    "maximum": None,
    "units": None,
    "description": "",
    "encoding": "json",
    "location": "",
}


@dataclass(frozen=True)
class Storage:
    """How an array is stored."""

    chunks: str | tuple[int, ...] | None = None  # None/'auto' = library default
    compression: str | None = None  # 'gzip' | 'lzf' | 'blosc' ... | None
    level: int | None = None
    shuffle: bool = False

    def to_dict(self) -> PlainDict:
        """Plain literals."""
        chunks = list(self.chunks) if isinstance(self.chunks, tuple) else self.chunks
        d = {
            "chunks": chunks,
            "compression": self.compression,
            "level": self.level,
            "shuffle": self.shuffle,
        }
        defaults = {"chunks": None, "compression": None, "level": None, "shuffle": False}
        return _without_defaults(d, defaults)

    @classmethod
    def from_dict(cls, d: Mapping[str, PlainValue] | None) -> Storage:
        """Inverse of :meth:`to_dict`."""
        if not d:
            return cls()
        r = _Reader(d, "storage")
        given = d.get("chunks")
        chunks: str | tuple[int, ...] | None
        if given is None or isinstance(given, str):
            chunks = given
        else:
            chunks = tuple(_int(c, "storage chunks") for c in r.seq("chunks") or ())
        return cls(
            chunks=chunks,
            compression=r.opt_text("compression"),
            level=r.opt_int("level"),
            shuffle=bool(d.get("shuffle", False)),
        )


@dataclass(frozen=True)
class ArraySpec:
    """What an array node holds."""

    kind: str = "fixed"  # fixed | enlargeable | vlen | strings
    dtypes: tuple[str, ...] = ()  # allowed numpy dtype names; empty = any
    rank: tuple[int, int | None] | None = None  # (min, max) number of dimensions
    dims: tuple[int | None, ...] | None = None  # fixed sizes, None = free
    fill_value: PlainValue = None
    storage: Storage = field(default_factory=Storage)

    def to_dict(self) -> PlainDict:
        """Plain literals."""
        d = {
            "kind": self.kind,
            "dtypes": list(self.dtypes),
            "rank": list(self.rank) if self.rank is not None else None,
            "dims": list(self.dims) if self.dims is not None else None,
            "fill_value": self.fill_value,
            "storage": self.storage.to_dict(),
        }
        defaults: PlainDict = {"kind": "fixed", "dtypes": [], "rank": None, "dims": None}
        return _without_defaults({**d, "storage": d["storage"] or None}, defaults | _NONE)

    @classmethod
    def from_dict(cls, d: Mapping[str, PlainValue]) -> ArraySpec:
        """Inverse of :meth:`to_dict`."""
        r = _Reader(d, "array")
        rank = r.seq("rank")
        dims = r.seq("dims")
        storage = d.get("storage")
        return cls(
            kind=r.text("kind", "fixed"),
            dtypes=tuple(_text(t, "array dtypes") for t in r.seq("dtypes") or ()),
            rank=(
                (_int(rank[0], "array rank"), _opt_int(rank[1], "array rank"))
                if rank is not None
                else None
            ),
            dims=tuple(_opt_int(n, "array dims") for n in dims) if dims is not None else None,
            fill_value=d.get("fill_value"),
            storage=Storage.from_dict(None if storage is None else r.mapping("storage")),
        )


@dataclass(frozen=True)
class ChildSpec:
    """A node type a group may hold, and how many."""

    type: str
    min: int = 0
    max: int | None = None

    def to_dict(self) -> PlainDict:
        """Plain literals (defaults omitted)."""
        return _without_defaults({"min": self.min, "max": self.max}, {"min": 0, "max": None})


@dataclass(frozen=True)
class NodeSpec:
    """A node type of the layout (a kind of group or of array)."""

    name: str
    kind: str  # 'group' | 'array'
    role: str
    naming: Naming = field(default_factory=Naming)
    #: attribute values that identify nodes of this type (``{'type': 'scan'}``)
    match: Mapping[str, PlainValue] = field(default_factory=dict)
    attrs: Mapping[str, AttrSpec] = field(default_factory=dict)
    children: Mapping[str, ChildSpec] = field(default_factory=dict)
    undeclared: str = "warn"
    array: ArraySpec | None = None
    #: role-specific settings (e.g. ``group_type`` for incremental groups)
    options: NodeOptions = field(default_factory=dict)
    description: str = ""
    location: str = ""

    @property
    def required_attrs(self) -> tuple[AttrSpec, ...]:
        """Attributes the caller must give (required, no const, no default)."""
        return tuple(
            a for a in self.attrs.values() if a.required and not a.has_const and not a.has_default
        )

    def to_dict(self) -> PlainDict:
        """Plain literals."""
        d: PlainDict = {
            "kind": self.kind,
            "role": self.role,
            "naming": self.naming.to_dict(),
            "match": dict(self.match),
            "attrs": {k: v.to_dict() for k, v in self.attrs.items()},
            "children": {k: v.to_dict() for k, v in self.children.items()},
            "undeclared": self.undeclared,
            "array": self.array.to_dict() if self.array is not None else None,
            "options": dict(self.options),
            "description": self.description,
            "location": self.location,
        }
        defaults: PlainDict = {
            "role": "group" if self.kind == "group" else "array",
            "naming": None,
            "match": None,
            "attrs": None,
            "children": None,
            "undeclared": "warn",
            "options": None,
            "description": "",
            "location": "",
        }
        if self.array is None:
            defaults["array"] = None
        return _without_defaults(d, defaults)

    @classmethod
    def from_dict(
        cls,
        name: str,
        d: Mapping[str, PlainValue],
        memo: dict[tuple[str, int], AttrSpec] | None = None,
        *,
        table: Mapping[str, AttrSpec] | None = None,
        files: Mapping[str, str] | None = None,
    ) -> NodeSpec:
        """Inverse of :meth:`to_dict`, and reader of a node type of the compact format
        (see :meth:`LayoutSpec.from_dict`): ``attrs`` a list of keys of ``table``, ``kind``
        left out when ``array`` tells it, locations with the short file names of ``files``.

        ``memo`` reads an attribute declaration several node types share (the same dict
        object, as format-2 modules write them) once."""
        r = _Reader(d, f"node type {name!r}")
        arr = d.get("array")
        kind = r.text("kind", "group" if arr is None else "array")
        attrs: dict[str, AttrSpec] = {}
        declared = d.get("attrs") or {}
        if isinstance(declared, list):  # compact: keys of the layout's attribute table
            if table is None:
                raise ValueError(f"node type {name!r} lists attribute keys but no table")
            for ref in declared:
                shared = table[_text(ref, f"node type {name!r}: attribute key")]
                attrs[shared.name] = shared
        for k, v in declared.items() if isinstance(declared, Mapping) else ():
            v = _plain_mapping(v, f"node type {name!r}: attribute {k!r}")
            if memo is None:
                attrs[k] = AttrSpec.from_dict(k, v, files)
                continue
            key = (k, id(v))
            found = memo.get(key)
            if found is None:
                found = memo[key] = AttrSpec.from_dict(k, v, files)
            attrs[k] = found
        options = dict(r.mapping("options"))
        locations = options.get("locations")
        if files and isinstance(locations, Mapping):
            options["locations"] = {
                k: expand_location(_text(v, "locations"), files) for k, v in locations.items()
            }
        location = r.text("location")
        children = {}
        for k, v in r.mapping("children").items():
            c = _Reader(_plain_mapping(v, f"node type {name!r}: child {k!r}"), f"child {k!r}")
            children[k] = ChildSpec(type=k, min=c.opt_int("min") or 0, max=c.opt_int("max"))
        return cls(
            name=name,
            kind=kind,
            role=r.text("role", "group" if kind == "group" else "array"),
            naming=Naming.from_dict(r.mapping("naming")),
            match=dict(r.mapping("match")),
            attrs=attrs,
            children=children,
            undeclared=r.text("undeclared", "warn"),
            array=ArraySpec.from_dict(r.mapping("array")) if arr is not None else None,
            options=options,
            description=r.text("description"),
            location=expand_location(location, files) if files else location,
        )


@dataclass(frozen=True)
class Policy:
    """File-level policy."""

    flush_every: int = 1  # points/rows between flushes; 0 = only at close
    swmr: bool = False
    undeclared: str = "warn"
    fsync: bool = False  # fsync after each flush (durable against power loss)
    encodings: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> PlainDict:
        """Plain literals."""
        d: PlainDict = {
            "flush_every": self.flush_every,
            "swmr": self.swmr,
            "undeclared": self.undeclared,
            "fsync": self.fsync,
            "encodings": dict(self.encodings),
        }
        defaults: PlainDict = {
            "flush_every": 1,
            "swmr": False,
            "undeclared": "warn",
            "fsync": False,
            "encodings": None,
        }
        return _without_defaults(d, defaults)

    @classmethod
    def from_dict(cls, d: Mapping[str, PlainValue] | None) -> Policy:
        """Inverse of :meth:`to_dict`."""
        r = _Reader(d, "policy")
        flush_every = r.opt_int("flush_every")
        return cls(
            flush_every=1 if flush_every is None else flush_every,
            swmr=bool(r.d.get("swmr", False)),
            undeclared=r.text("undeclared", "warn"),
            fsync=bool(r.d.get("fsync", False)),
            encodings={k: _text(v, "encodings") for k, v in r.mapping("encodings").items()},
        )


@dataclass(frozen=True)
class NodeBinding:
    """What savers create for one role: the layout node type (None when the layout
    declares none: no attributes to check) and the naming rule of the nodes."""

    node: str | None
    naming: Naming

    def to_dict(self) -> PlainDict:
        """Plain literals (``node`` omitted when None)."""
        d: PlainDict = {} if self.node is None else {"node": self.node}
        d.update(self.naming.to_dict())
        return d

    @classmethod
    def from_dict(cls, d: PlainValue, nodes: Mapping[str, NodeSpec] | None = None) -> NodeBinding:
        """Inverse of :meth:`to_dict`; a plain string (the compact format) names a node
        type of ``nodes`` whose naming the binding uses."""
        if isinstance(d, str):
            if nodes is None or d not in nodes:
                raise ValueError(f"binding to an unknown node type {d!r}")
            return cls(node=d, naming=nodes[d].naming)
        d = _plain_mapping(d, "binding")
        return cls(node=_Reader(d, "binding").opt_text("node"), naming=Naming.from_dict(d))


@dataclass(frozen=True)
class Bindings:
    """Every decision savers and loaders need, taken once by the compiler.

    :func:`h5layout.compiler.lowering.resolve_bindings` fills this from a layout and the
    compiled module carries it (``LAYOUT["bindings"]``); the runtime only reads it.

    * ``raw``, ``logger``: the raw group and its log array;
    * ``channel``, ``dim``, ``nav_axes``: groups of the DataToExport savers;
    * ``groups``: incremental group type (``'scan'``, ``'detector'``, ``'ch'`` ...) ->
      the node type ``add_incremental_group`` creates and its naming;
    * ``arrays``: data type name (``'data'``, ``'axis'`` ...) -> the node type of arrays
      of that type and their naming.
    """

    raw: NodeBinding
    logger: NodeBinding
    channel: NodeBinding
    dim: NodeBinding
    nav_axes: NodeBinding
    groups: Mapping[str, NodeBinding] = field(default_factory=dict)
    arrays: Mapping[str, NodeBinding] = field(default_factory=dict)

    _SINGLE: ClassVar[tuple[str, ...]] = ("raw", "logger", "channel", "dim", "nav_axes")

    def to_dict(self) -> PlainDict:
        """Plain literals."""
        d: PlainDict = {k: getattr(self, k).to_dict() for k in self._SINGLE}
        d["groups"] = {k: v.to_dict() for k, v in self.groups.items()}
        d["arrays"] = {k: v.to_dict() for k, v in self.arrays.items()}
        return d

    @classmethod
    def from_dict(
        cls, d: Mapping[str, PlainValue], nodes: Mapping[str, NodeSpec] | None = None
    ) -> Bindings:
        """Inverse of :meth:`to_dict` (``nodes``: the node types compact bindings name)."""
        single = {k: NodeBinding.from_dict(d[k], nodes) for k in cls._SINGLE}
        groups = _plain_mapping(d["groups"], "bindings' groups")
        arrays = _plain_mapping(d["arrays"], "bindings' arrays")
        return cls(
            groups={k: NodeBinding.from_dict(v, nodes) for k, v in groups.items()},
            arrays={k: NodeBinding.from_dict(v, nodes) for k, v in arrays.items()},
            **single,
        )


@dataclass(frozen=True)
class LayoutSpec:
    """A whole resolved layout."""

    layout: str
    version: str
    language: str = "1"
    description: str = ""
    sha256: str = ""
    source: str = ""
    root: str = "root"
    policy: Policy = field(default_factory=Policy)
    nodes: Mapping[str, NodeSpec] = field(default_factory=dict)
    #: the savers' decisions (set by the compiler; None for a layout not compiled)
    bindings: Bindings | None = None

    def node(self, name: str) -> NodeSpec:
        """The node type called ``name`` (``KeyError`` if absent)."""
        return self.nodes[name]

    def by_role(self, role: str) -> list[NodeSpec]:
        """Every node type with this role, in declaration order."""
        return [n for n in self.nodes.values() if n.role == role]

    def to_dict(self) -> PlainDict:
        """Plain literals (what a compiled module stores as ``LAYOUT``)."""
        d: PlainDict = {
            "format": SPEC_FORMAT,
            "layout": self.layout,
            "version": self.version,
            "language": self.language,
            "description": self.description,
            "sha256": self.sha256,
            "source": self.source,
            "root": self.root,
            "policy": self.policy.to_dict(),
            "nodes": {k: v.to_dict() for k, v in self.nodes.items()},
            **({} if self.bindings is None else {"bindings": self.bindings.to_dict()}),
        }
        defaults: PlainDict = {"language": "1", "description": "", "source": "", "root": "root"}
        return _without_defaults(d, defaults | {"policy": None})

    @classmethod
    def from_dict(cls, d: Mapping[str, PlainValue]) -> LayoutSpec:
        """Inverse of :meth:`to_dict`; reads the compact format of compiled modules too.

        The compact format (``"format": 3``, :data:`COMPACT_FORMAT`) is the plain one
        (values equal to their default left out) with what repeats written once:

        * ``attrs``: every attribute declaration of the layout, by key (the attribute's
          name, or ``NAME@LINE`` and the like when the layout declares ``NAME`` more than
          once; a ``name`` entry when the key does not start with it); a node type's
          ``attrs`` is the list of its keys;
        * ``files``: short file names used in locations -> the full names;
        * a node type's ``kind`` is left out (``array`` given: an array);
        * a binding whose naming is its node type's is that node type's name.
        """
        r = _Reader(d, "layout")
        memo: dict[tuple[str, int], AttrSpec] = {}  # ids stay valid while ``d`` is alive
        files = {k: _text(v, "files") for k, v in r.mapping("files").items()}
        table = {}
        for key, decl in r.mapping("attrs").items():
            decl = _plain_mapping(decl, f"attribute {key!r}")
            name = _Reader(decl, f"attribute {key!r}").text("name", attr_key_name(key))
            table[key] = AttrSpec.from_dict(name, decl, files)
        nodes = {
            k: NodeSpec.from_dict(
                k, _plain_mapping(v, f"node type {k!r}"), memo, table=table, files=files
            )
            for k, v in r.mapping("nodes").items()
        }
        if "layout" not in d:
            raise KeyError("layout")
        return cls(
            layout=r.text("layout"),
            version=str(d.get("version", "")),
            language=str(d.get("language", "1")),
            description=r.text("description"),
            sha256=r.text("sha256"),
            source=r.text("source"),
            root=r.text("root", "root"),
            policy=Policy.from_dict(r.mapping("policy")),
            nodes=nodes,
            bindings=Bindings.from_dict(r.mapping("bindings"), nodes) if "bindings" in d else None,
        )
