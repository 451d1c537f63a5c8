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

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

#: Version of the plain resolved-layout format (:meth:`LayoutSpec.to_dict`). Format 2 omits
#: every value equal to its default; :meth:`LayoutSpec.from_dict` reads 1, 2 and 3 alike.
SPEC_FORMAT = 2
#: Version of the compact format compiled modules carry (format 2 plus tables read by
#: key; see :meth:`LayoutSpec.from_dict`).
COMPACT_FORMAT = 3


def _without_defaults(d: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """``d`` without the entries equal to their default (empty containers count as None)."""
    out = {}
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

_MISSING: Any = object()
_NONE: dict[str, Any] = {"fill_value": None, "storage": None}


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

    def to_dict(self) -> dict[str, Any]:
        """Plain literals (defaults omitted)."""
        d = {"fixed": self.fixed, "pattern": self.pattern, "overflow": self.overflow}
        return _without_defaults(d, {"fixed": None, "pattern": None, "overflow": "grow"})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Naming:
        """Inverse of :meth:`to_dict`."""
        return cls(
            fixed=d.get("fixed"), pattern=d.get("pattern"), overflow=d.get("overflow", "grow")
        )


@dataclass(frozen=True)
class AttrSpec:
    """One attribute a node type carries."""

    name: str
    type: str = "any"
    item_type: str | None = None  # element type of tuple/list
    required: bool = False
    const: Any = _MISSING
    enum: tuple[Any, ...] | None = None
    default: Any = _MISSING
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
        return self.const is not _MISSING

    @property
    def has_default(self) -> bool:
        """True when a default is written when the caller gives nothing."""
        return self.default is not _MISSING

    def to_dict(self) -> dict[str, Any]:
        """Plain literals (defaults omitted; ``const``/``default`` omitted when unset)."""
        d: dict[str, Any] = {
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
        if self.has_const:
            d["const"] = self.const
        if self.has_default:
            d["default"] = self.default
        return d

    @classmethod
    def from_dict(
        cls, name: str, d: Mapping[str, Any], files: Mapping[str, str] | None = None
    ) -> AttrSpec:
        """Inverse of :meth:`to_dict` (``files``: short file names of locations)."""
        enum = d.get("enum")
        location = d.get("location", "")
        return cls(
            name=name,
            type=d.get("type", "any"),
            item_type=d.get("item_type"),
            required=bool(d.get("required", False)),
            const=d.get("const", _MISSING),
            enum=tuple(enum) if enum is not None else None,
            default=d.get("default", _MISSING),
            pattern=d.get("pattern"),
            minimum=d.get("minimum"),
            maximum=d.get("maximum"),
            units=d.get("units"),
            description=d.get("description", ""),
            encoding=d.get("encoding", "json"),
            location=expand_location(location, files) if files else location,
        )


_ATTR_DEFAULTS: dict[str, Any] = {
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

    def to_dict(self) -> dict[str, Any]:
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
    def from_dict(cls, d: Mapping[str, Any] | None) -> Storage:
        """Inverse of :meth:`to_dict`."""
        if not d:
            return cls()
        chunks = d.get("chunks")
        if isinstance(chunks, list):
            chunks = tuple(chunks)
        return cls(
            chunks=chunks,
            compression=d.get("compression"),
            level=d.get("level"),
            shuffle=bool(d.get("shuffle", False)),
        )


@dataclass(frozen=True)
class ArraySpec:
    """What an array node holds."""

    kind: str = "fixed"  # fixed | enlargeable | vlen | strings
    dtypes: tuple[str, ...] = ()  # allowed numpy dtype names; empty = any
    rank: tuple[int, int | None] | None = None  # (min, max) number of dimensions
    dims: tuple[int | None, ...] | None = None  # fixed sizes, None = free
    fill_value: Any = None
    storage: Storage = field(default_factory=Storage)

    def to_dict(self) -> dict[str, Any]:
        """Plain literals."""
        d = {
            "kind": self.kind,
            "dtypes": list(self.dtypes),
            "rank": list(self.rank) if self.rank is not None else None,
            "dims": list(self.dims) if self.dims is not None else None,
            "fill_value": self.fill_value,
            "storage": self.storage.to_dict(),
        }
        defaults: dict[str, Any] = {"kind": "fixed", "dtypes": [], "rank": None, "dims": None}
        return _without_defaults({**d, "storage": d["storage"] or None}, defaults | _NONE)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ArraySpec:
        """Inverse of :meth:`to_dict`."""
        rank = d.get("rank")
        dims = d.get("dims")
        return cls(
            kind=d.get("kind", "fixed"),
            dtypes=tuple(d.get("dtypes") or ()),
            rank=(rank[0], rank[1]) if rank is not None else None,
            dims=tuple(dims) if dims is not None else None,
            fill_value=d.get("fill_value"),
            storage=Storage.from_dict(d.get("storage")),
        )


@dataclass(frozen=True)
class ChildSpec:
    """A node type a group may hold, and how many."""

    type: str
    min: int = 0
    max: int | None = None

    def to_dict(self) -> dict[str, Any]:
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
    match: Mapping[str, Any] = field(default_factory=dict)
    attrs: Mapping[str, AttrSpec] = field(default_factory=dict)
    children: Mapping[str, ChildSpec] = field(default_factory=dict)
    undeclared: str = "warn"
    array: ArraySpec | None = None
    #: role-specific settings (e.g. ``group_type`` for incremental groups)
    options: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    location: str = ""

    @property
    def required_attrs(self) -> tuple[AttrSpec, ...]:
        """Attributes the caller must give (required, no const, no default)."""
        return tuple(
            a for a in self.attrs.values() if a.required and not a.has_const and not a.has_default
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain literals."""
        d = {
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
        defaults = {
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
        d: Mapping[str, Any],
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
        arr = d.get("array")
        kind = d.get("kind", "group" if arr is None else "array")
        attrs: dict[str, AttrSpec] = {}
        declared = d.get("attrs") or {}
        if isinstance(declared, list):  # compact: keys of the layout's attribute table
            if table is None:
                raise ValueError(f"node type {name!r} lists attribute keys but no table")
            for ref in declared:
                shared = table[ref]
                attrs[shared.name] = shared
        for k, v in declared.items() if isinstance(declared, Mapping) else ():
            if memo is None:
                attrs[k] = AttrSpec.from_dict(k, v, files)
                continue
            key = (k, id(v))
            found = memo.get(key)
            if found is None:
                found = memo[key] = AttrSpec.from_dict(k, v, files)
            attrs[k] = found
        options = dict(d.get("options") or {})
        locations = options.get("locations")
        if files and isinstance(locations, Mapping):
            options["locations"] = {k: expand_location(v, files) for k, v in locations.items()}
        location = d.get("location", "")
        return cls(
            name=name,
            kind=kind,
            role=d.get("role", "group" if kind == "group" else "array"),
            naming=Naming.from_dict(d.get("naming") or {}),
            match=dict(d.get("match") or {}),
            attrs=attrs,
            children={
                k: ChildSpec(type=k, min=v.get("min", 0), max=v.get("max"))
                for k, v in (d.get("children") or {}).items()
            },
            undeclared=d.get("undeclared", "warn"),
            array=ArraySpec.from_dict(arr) if arr is not None else None,
            options=options,
            description=d.get("description", ""),
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

    def to_dict(self) -> dict[str, Any]:
        """Plain literals."""
        d = {
            "flush_every": self.flush_every,
            "swmr": self.swmr,
            "undeclared": self.undeclared,
            "fsync": self.fsync,
            "encodings": dict(self.encodings),
        }
        defaults = {
            "flush_every": 1,
            "swmr": False,
            "undeclared": "warn",
            "fsync": False,
            "encodings": None,
        }
        return _without_defaults(d, defaults)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Policy:
        """Inverse of :meth:`to_dict`."""
        d = d or {}
        return cls(
            flush_every=int(d.get("flush_every", 1)),
            swmr=bool(d.get("swmr", False)),
            undeclared=d.get("undeclared", "warn"),
            fsync=bool(d.get("fsync", False)),
            encodings=dict(d.get("encodings") or {}),
        )


@dataclass(frozen=True)
class NodeBinding:
    """What savers create for one role: the layout node type (None when the layout
    declares none: no attributes to check) and the naming rule of the nodes."""

    node: str | None
    naming: Naming

    def to_dict(self) -> dict[str, Any]:
        """Plain literals (``node`` omitted when None)."""
        d: dict[str, Any] = {} if self.node is None else {"node": self.node}
        d.update(self.naming.to_dict())
        return d

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any] | str, nodes: Mapping[str, NodeSpec] | None = None
    ) -> NodeBinding:
        """Inverse of :meth:`to_dict`; a plain string (the compact format) names a node
        type of ``nodes`` whose naming the binding uses."""
        if isinstance(d, str):
            if nodes is None or d not in nodes:
                raise ValueError(f"binding to an unknown node type {d!r}")
            return cls(node=d, naming=nodes[d].naming)
        return cls(node=d.get("node"), naming=Naming.from_dict(d))


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

    def to_dict(self) -> dict[str, Any]:
        """Plain literals."""
        d: dict[str, Any] = {k: getattr(self, k).to_dict() for k in self._SINGLE}
        d["groups"] = {k: v.to_dict() for k, v in self.groups.items()}
        d["arrays"] = {k: v.to_dict() for k, v in self.arrays.items()}
        return d

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any], nodes: Mapping[str, NodeSpec] | None = None
    ) -> Bindings:
        """Inverse of :meth:`to_dict` (``nodes``: the node types compact bindings name)."""
        single = {k: NodeBinding.from_dict(d[k], nodes) for k in cls._SINGLE}
        return cls(
            groups={k: NodeBinding.from_dict(v, nodes) for k, v in d["groups"].items()},
            arrays={k: NodeBinding.from_dict(v, nodes) for k, v in d["arrays"].items()},
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

    def to_dict(self) -> dict[str, Any]:
        """Plain literals (what a compiled module stores as ``LAYOUT``)."""
        d = {
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
        defaults = {"language": "1", "description": "", "source": "", "root": "root"}
        return _without_defaults(d, defaults | {"policy": None})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LayoutSpec:
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
        memo: dict[tuple[str, int], AttrSpec] = {}  # ids stay valid while ``d`` is alive
        files: Mapping[str, str] = d.get("files") or {}
        table = {
            key: AttrSpec.from_dict(decl.get("name", attr_key_name(key)), decl, files)
            for key, decl in (d.get("attrs") or {}).items()
        }
        nodes = {
            k: NodeSpec.from_dict(k, v, memo, table=table, files=files)
            for k, v in (d.get("nodes") or {}).items()
        }
        return cls(
            layout=d["layout"],
            version=str(d.get("version", "")),
            language=str(d.get("language", "1")),
            description=d.get("description", ""),
            sha256=d.get("sha256", ""),
            source=d.get("source", ""),
            root=d.get("root", "root"),
            policy=Policy.from_dict(d.get("policy")),
            nodes=nodes,
            bindings=Bindings.from_dict(d["bindings"], nodes) if "bindings" in d else None,
        )
