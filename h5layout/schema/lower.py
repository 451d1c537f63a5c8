"""Lowering: a checked layout model → the runtime's resolved :class:`LayoutSpec`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from h5layout.runtime.layout import spec as rt
from h5layout.schema import models as m
from h5layout.schema.source import Path_

#: Gives the "file:line:col" string of a path of the merged document.
Locate = Callable[[Path_], str]


def _naming(node: m.Group | m.Array) -> rt.Naming:
    if node.name is None:
        return rt.Naming(overflow=node.overflow)
    if "{" in node.name:
        return rt.Naming(pattern=node.name, overflow=node.overflow)
    return rt.Naming(fixed=node.name, overflow=node.overflow)


def _attr(name: str, a: m.Attr | None, policy: m.Policy, location: str) -> rt.AttrSpec:
    a = a or m.Attr()
    extra: dict[str, rt.PlainValue] = {}
    if "const" in a.model_fields_set:
        extra["const"] = a.const
    if "default" in a.model_fields_set and a.default is not None:
        extra["default"] = a.default
    return rt.AttrSpec(
        name=name,
        type=a.type,
        item_type=a.items,
        required=a.required,
        enum=tuple(a.enum) if a.enum is not None else None,
        pattern=a.pattern,
        minimum=a.minimum,
        maximum=a.maximum,
        units=a.units,
        description=a.description,
        encoding=a.encoding or policy.encodings.attrs,
        location=location,
        **extra,
    )


def _array(a: m.Array) -> rt.ArraySpec:
    rank: tuple[int, int | None] | None = None
    if a.rank is not None:
        rank = (a.rank, a.rank)
    elif a.min_rank is not None or a.max_rank is not None:
        rank = (a.min_rank or 0, a.max_rank)
    chunks: str | tuple[int, ...] | None = (
        tuple(a.storage.chunks) if isinstance(a.storage.chunks, list) else a.storage.chunks
    )
    return rt.ArraySpec(
        kind=a.kind,
        dtypes=tuple(a.dtypes),
        rank=rank,
        dims=tuple(a.dims) if a.dims is not None else None,
        fill_value=a.fill_value,
        storage=rt.Storage(
            chunks=chunks,
            compression=a.storage.compression,
            level=a.storage.level,
            shuffle=a.storage.shuffle,
        ),
    )


#: Node-type keys whose rules the file checker reports findings for.
_RULE_KEYS = ("name", "kind", "dtypes", "rank", "min_rank", "max_rank", "dims", "children")


def _file_of(location: str) -> str:
    """The file part of a ``file:line:col`` location."""
    return location.rsplit(":", 2)[0]


def lower(layout: m.Layout, locate: Locate, sha256: str, source: str) -> rt.LayoutSpec:
    """Every decision taken: names, attribute sets, storage, policies, locations."""
    policy = layout.policy
    nodes: dict[str, rt.NodeSpec] = {}
    sections: list[tuple[str, Mapping[str, m.Group | m.Array | None]]] = [
        ("groups", dict(layout.groups)),
        ("arrays", dict(layout.arrays)),
    ]
    for section, table in sections:
        for name, declared in table.items():
            node: m.Group | m.Array = declared or (m.Group() if section == "groups" else m.Array())
            attrs: dict[str, rt.AttrSpec] = {}
            for set_name in node.use_attrs:
                for attr_name, a in layout.attr_sets.get(set_name, {}).items():
                    attrs[attr_name] = _attr(
                        attr_name, a, policy, locate(("attr_sets", set_name, attr_name))
                    )
            for attr_name, a in node.attrs.items():
                attrs[attr_name] = _attr(
                    attr_name, a, policy, locate((section, name, "attrs", attr_name))
                )
            options = dict(node.options)
            options["undeclared_attrs"] = node.undeclared_attrs or policy.undeclared
            # a rule written in another file than its node type (a derived layout changing
            # an inherited type, a fragment) keeps its own location, so a finding points at
            # the file that declared the rule that failed; the others use the node's
            node_file = _file_of(locate((section, name)))
            moved = {
                k: where
                for k in _RULE_KEYS
                if k in node.model_fields_set
                and _file_of(where := locate((section, name, k))) != node_file
            }
            if moved:
                options["locations"] = moved
            children: dict[str, rt.ChildSpec] = {}
            undeclared = policy.undeclared
            array = None
            if isinstance(node, m.Group):
                for child, c in node.children.items():
                    c = c or m.Child()
                    children[child] = rt.ChildSpec(type=child, min=c.min, max=c.max)
                undeclared = node.undeclared or policy.undeclared
            else:
                array = _array(node)
            nodes[name] = rt.NodeSpec(
                name=name,
                kind="group" if section == "groups" else "array",
                role=node.role,
                naming=_naming(node),
                match=dict(node.match),
                attrs=attrs,
                children=children,
                undeclared=undeclared,
                array=array,
                options=options,
                description=node.description,
                location=locate((section, name)),
            )
    return rt.LayoutSpec(
        layout=layout.layout,
        version=layout.version,
        language=layout.language,
        description=layout.description,
        sha256=sha256,
        source=source,
        root=layout.root,
        policy=rt.Policy(
            flush_every=policy.flush_every,
            swmr=policy.swmr,
            undeclared=policy.undeclared,
            fsync=policy.fsync,
            encodings={"attrs": policy.encodings.attrs, "strings": policy.encodings.strings},
        ),
        nodes=nodes,
    )
