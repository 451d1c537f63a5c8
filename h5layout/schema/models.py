"""Pydantic models of the layout language (version 1).

These models describe what a layout file may say once ``extends``/``include`` are
resolved. They are frozen; checks a model cannot express (references between node types,
regexes, values fitting their declared type ...) live in :mod:`h5layout.schema.checks`.
The JSON Schema shipped in ``layout.schema.json`` is generated from :class:`Layout`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from h5layout.runtime.layout.spec import (
    ARRAY_KINDS,
    ARRAY_ROLES,
    ATTR_ENCODINGS,
    ATTR_TYPES,
    GROUP_ROLES,
    UNDECLARED_POLICIES,
)
from h5layout.runtime.model.enums import DTYPE_NAMES

#: HDF5 datasets have at most 32 dimensions (H5S_MAX_RANK).
MAX_RANK = 32

#: Language versions this package understands.
LANGUAGE_VERSIONS = ("1",)

#: A value a layout writes as data (an attribute's ``const``, ``default`` and ``enum``
#: items, an array's ``fill_value``, ``match`` and ``options`` entries): any YAML value as
#: read. The models leave it open (``{}`` in the JSON Schema, the value kept as it is); the
#: checks of :mod:`h5layout.schema.checks` say which values fit where.
LayoutData: TypeAlias = Any

# The vocabularies come from the runtime (one list each, shared with the savers and the
# file checker); pydantic and the JSON Schema see them as Literal enums.
if TYPE_CHECKING:
    AttrType = str
    Encoding = str
    Undeclared = str
    GroupRole = str
    ArrayRole = str
    ArrayKind = str
    Dtype = str
else:
    AttrType = Literal[ATTR_TYPES]
    Encoding = Literal[ATTR_ENCODINGS]
    Undeclared = Literal[UNDECLARED_POLICIES]
    GroupRole = Literal[GROUP_ROLES]
    ArrayRole = Literal[ARRAY_ROLES]
    ArrayKind = Literal[ARRAY_KINDS]
    Dtype = Literal[DTYPE_NAMES]
ItemType = Literal["str", "int", "float", "bool", "any"]
Overflow = Literal["grow", "error"]
Compression = Literal["gzip", "lzf", "zlib", "blosc"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Attr(_Model):
    """One attribute of a node type."""

    type: AttrType = Field(default="any", description="Python type of the value.")
    items: ItemType | None = Field(default=None, description="Element type of a tuple or list.")
    required: bool = Field(default=False, description="The attribute must be present.")
    const: LayoutData = Field(
        default=None, description="The only value allowed (written automatically)."
    )
    enum: list[LayoutData] | None = Field(default=None, description="The allowed values.")
    default: LayoutData = Field(
        default=None, description="Value written when the caller gives none."
    )
    pattern: str | None = Field(
        default=None,
        description="Regular expression (RE2 syntax, no nested quantifiers) a str value "
        "must match somewhere.",
    )
    minimum: float | None = Field(default=None, description="Smallest allowed number.")
    maximum: float | None = Field(default=None, description="Largest allowed number.")
    units: str | None = Field(default=None, description="Physical units of the value.")
    description: str = Field(default="", description="What the attribute means.")
    encoding: Encoding | None = Field(
        default=None,
        description="'json' (pymodaq envelope) or 'native' HDF5 attribute; default from policy.",
    )


class Child(_Model):
    """How many nodes of one type a group may hold."""

    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=0)


class Storage(_Model):
    """Chunking and compression of an array."""

    chunks: Literal["auto"] | list[int] | None = Field(
        default=None, description="'auto', a chunk shape, or null."
    )
    compression: Compression | None = None
    level: int | None = Field(default=None, ge=0, le=9)
    shuffle: bool = False


class _Node(_Model):
    role: str | None = None
    name: str | None = Field(
        default=None,
        description="Fixed name, or a pattern with {index:0Nd} or {dim}; absent: free name.",
    )
    overflow: Overflow = Field(
        default="grow", description="Past the pattern's width: grow or error."
    )
    description: str = ""
    match: dict[str, LayoutData] = Field(
        default_factory=dict, description="Attribute values identifying this type."
    )
    use_attrs: list[str] = Field(
        default_factory=list, description="Attribute sets (attr_sets) to include."
    )
    attrs: dict[str, Attr | None] = Field(default_factory=dict)
    undeclared_attrs: Undeclared | None = Field(
        default=None, description="What to do with attributes the layout does not declare."
    )
    options: dict[str, LayoutData] = Field(
        default_factory=dict, description="Role-specific settings."
    )


class Group(_Node):
    """A node type that is an HDF5 group."""

    role: GroupRole = "group"
    children: dict[str, Child | None] = Field(default_factory=dict)
    undeclared: Undeclared | None = Field(
        default=None, description="Children the layout does not declare."
    )


class Array(_Node):
    """A node type that is an HDF5 dataset."""

    role: ArrayRole = "array"
    kind: ArrayKind = "fixed"
    dtypes: list[Dtype] = Field(default_factory=list, description="Allowed dtypes; empty: any.")
    rank: int | None = Field(
        default=None, ge=0, le=MAX_RANK, description="Exact number of dimensions."
    )
    min_rank: int | None = Field(default=None, ge=0, le=MAX_RANK)
    max_rank: int | None = Field(default=None, ge=0, le=MAX_RANK)
    dims: list[int | None] | None = Field(
        default=None, description="Fixed sizes per dimension, null = free."
    )
    fill_value: LayoutData = None
    storage: Storage = Field(default_factory=lambda: Storage())


class Encodings(_Model):
    """Encodings the backends use."""

    attrs: Encoding = Field(default="json", description="Default encoding of attributes.")
    strings: Literal["pickle"] = Field(
        default="pickle",
        description="Rows of string arrays: pymodaq_data's pickled-string framing "
        "(read by h5layout without unpickling).",
    )


class Policy(_Model):
    """File-level policy."""

    flush_every: int = Field(
        default=1, ge=0, description="Points/rows between flushes; 0 = only at close."
    )
    swmr: bool = False
    undeclared: Undeclared = "warn"
    fsync: bool = False
    encodings: Encodings = Field(default_factory=lambda: Encodings())


class Layout(_Model):
    """A whole layout (after ``extends`` and ``include`` are resolved)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        json_schema_extra={"title": "h5layout layout"},
    )

    layout: str = Field(description="Name of the layout (a Python identifier).")
    version: str = Field(description="The layout's own version.")
    language: str = Field(default="1", description="Version of the layout language.")
    description: str = ""
    extends: str | None = Field(
        default=None, description="Shipped layout name or path this layout starts from."
    )
    include: list[str] = Field(
        default_factory=list, description="Fragment files merged in, in order."
    )
    remove: list[str] = Field(
        default_factory=list, description="Dotted paths deleted from what is inherited."
    )
    root: str = Field(default="root", description="Node type of the file's root group.")
    policy: Policy = Field(default_factory=lambda: Policy())
    attr_sets: dict[str, dict[str, Attr | None]] = Field(default_factory=dict)
    groups: dict[str, Group | None] = Field(default_factory=dict)
    arrays: dict[str, Array | None] = Field(default_factory=dict)
