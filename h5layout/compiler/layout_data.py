"""The readable parts of a generated module: its node-type table and its layout data.

The table (one line per node type: name pattern and where it was declared; for a derived
layout, what it declares or changes) goes in the module docstring, so it is the first
thing a reader sees. The data (``LAYOUT``) goes last, in the compact format
:meth:`~h5layout.runtime.layout.spec.LayoutSpec.from_dict` reads (:func:`compact_layout`):
values equal to their default left out, each attribute declaration written once in a
table the node types refer to by key, locations with short file names, bindings that
only repeat a node type's naming written as its name. The tables are filled into lines
(:func:`~h5layout.compiler.literals.py_flow`): one row per declaration or node type.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Callable, Iterable, Mapping

from h5layout.compiler.errors import CompileError
from h5layout.compiler.literals import Ref, py_flow, py_str
from h5layout.runtime.layout.spec import (
    COMPACT_FORMAT,
    AttrSpec,
    LayoutSpec,
    NodeSpec,
    PlainDict,
    PlainValue,
    attr_key_name,
    location_file,
)

#: width of the columns of the node-type table
_NAME_COLS = 18
_PATTERN_COLS = 24
_WHERE_COLS = 24


def _mapping(value: PlainValue) -> Mapping[str, PlainValue]:
    """``value`` when a mapping (as ``to_dict`` writes nested entries), else empty."""
    return value if isinstance(value, Mapping) else {}


def _file_line(location: str) -> tuple[str, str]:
    """``('h5layout/layouts/x.yaml', '12')`` from ``h5layout/layouts/x.yaml:12:3``."""
    file, _, _col = location.rpartition(":")
    file, _, line = file.rpartition(":")
    return (file, line) if file else (location, "")


def own_file(spec: LayoutSpec) -> str | None:
    """The layout file of ``spec`` itself (not of a layout it extends), as locations name
    it; None when no location names it."""
    stem = spec.source.rsplit("/", 1)[-1]
    wanted = stem if stem.endswith((".yaml", ".yml")) else f"{stem}.yaml"
    for location in _locations(spec):
        file, _ = _file_line(location)
        if file.rsplit("/", 1)[-1] == wanted:
            return file
    return None


def _where_changed(node: NodeSpec, mine: str | None) -> str:
    """The first line of the layout's own file that declares something of ``node`` (its
    node type, an attribute, a rule), else the node type's declaration."""
    found: list[tuple[int, str]] = []
    recorded = node.options.get("locations")
    rules = recorded.values() if isinstance(recorded, Mapping) else ()
    for location in (node.location, *(a.location for a in node.attrs.values()), *rules):
        file, line = _file_line(str(location))
        if mine is not None and file == mine and line.isdigit():
            found.append((int(line), location))
    return min(found)[1] if found else node.location


def _naming_text(node: NodeSpec) -> str:
    return node.naming.pattern or node.naming.fixed or "(any name)"


def _cell(text: str, cols: int) -> str:
    return text.ljust(cols - 1) + " " if len(text) < cols else text + "  "


def _comparable(node: NodeSpec, policy_undeclared: str) -> PlainDict:
    """A node type's plain form without source locations (what a layout says, not where),
    with what follows the layout's ``undeclared`` policy marked as such."""
    d = node.to_dict()
    d.pop("location", None)
    if node.undeclared == policy_undeclared:
        d["undeclared"] = "(policy)"
    options = dict(_mapping(d.get("options")))
    options.pop("locations", None)  # where its rules were written, not what they say
    if options.get("undeclared_attrs") == policy_undeclared:
        options["undeclared_attrs"] = "(policy)"
    d["options"] = options
    attrs = _mapping(d.get("attrs"))
    d["attrs"] = {
        k: {f: v for f, v in _mapping(a).items() if f != "location"} for k, a in attrs.items()
    }
    return d


def _changes(
    node: NodeSpec, base: NodeSpec, clean: Callable[[str], str], policies: tuple[str, str]
) -> list[str]:
    """What ``node`` changes from the node type of the same name in the base layout
    (``policies``: the ``undeclared`` policy of the layout and of its base)."""
    mine, theirs = _comparable(node, policies[0]), _comparable(base, policies[1])
    out = [
        f
        for f in (
            "role",
            "naming",
            "match",
            "children",
            "undeclared",
            "array",
            "options",
            "description",
        )
        if mine.get(f) != theirs.get(f)
    ]
    new_attrs, old_attrs = _mapping(mine["attrs"]), _mapping(theirs["attrs"])
    changed = [clean(k) for k, v in new_attrs.items() if old_attrs.get(k) != v]
    removed = [clean(k) for k in old_attrs if k not in new_attrs]
    if changed:
        out.append("attrs " + ", ".join(changed))
    if removed:
        out.append("removes attrs " + ", ".join(removed))
    return out


def _policy_changes(spec: LayoutSpec, base: LayoutSpec) -> list[str]:
    out = []
    for f in dataclasses.fields(spec.policy):
        mine, theirs = getattr(spec.policy, f.name), getattr(base.policy, f.name)
        if mine != theirs:
            out.append(f"{f.name} {mine!r} (was {theirs!r})")
    return out


def node_table(
    spec: LayoutSpec, clean: Callable[[str], str], base: LayoutSpec | None = None
) -> list[str]:
    """Docstring lines: one per node type (``clean`` makes layout text docstring-safe).

    A layout that extends another lists first the node types it declares or changes, then
    names the inherited ones. With ``base`` (the layout it extends) every change is named
    (naming, children, attributes, policy ...); without, the attributes its own file
    declares.
    """
    mine = own_file(spec)
    files = {_file_line(n.location)[0] for n in spec.nodes.values()}
    derived = base is not None or (mine is not None and files != {mine})
    own: list[str] = []
    inherited: list[str] = []
    inherited_files: set[str] = set()
    for node in spec.nodes.values():
        file, line = _file_line(node.location)
        if derived:  # where this layout's own file declares or changes it
            _file, line = _file_line(_where_changed(node, mine))
            where = f"{_file.rsplit('/', 1)[-1]}:{line}" if line else "-"
        else:
            where = f"{file.rsplit('/', 1)[-1]}:{line}" if line else "-"
        row = _cell(clean(node.name), _NAME_COLS) + _cell(clean(_naming_text(node)), _PATTERN_COLS)
        if not derived:
            own.append(row + where)
            continue
        if base is not None:
            if node.name not in base.nodes:
                declared = ", ".join(clean(a) for a in node.attrs)
                change = f"new: {declared}" if declared else "new"
            else:
                policies = (spec.policy.undeclared, base.policy.undeclared)
                what = _changes(node, base.nodes[node.name], clean, policies)
                if not what:
                    inherited.append(clean(node.name))
                    inherited_files.add(file)
                    continue
                change = "changes " + "; ".join(what)
        else:
            declared_here = [
                a.name for a in node.attrs.values() if _file_line(a.location)[0] == mine
            ]
            if file != mine and not declared_here:
                inherited.append(clean(node.name))
                inherited_files.add(file)
                continue
            names = ", ".join(clean(a) for a in declared_here)
            if file == mine:  # first declared in this file: a node type of its own
                change = f"new: {names}" if names else "new"
            else:
                change = f"changes {names}"
        own.append(f"{row}{_cell(where, _WHERE_COLS)}{change}")
    head = "Node types (name, naming, declared at):"
    if derived:
        head = "Node types this layout declares or changes (name, naming, where, what):"
    lines = [head, ""]
    for row in own:
        lines += textwrap.wrap(
            row, 96, initial_indent="    ", subsequent_indent=" " * 8, break_on_hyphens=False
        )
    if base is not None:
        removed = [clean(n) for n in base.nodes if n not in spec.nodes]
        if removed:
            lines += ["", "Removed: " + ", ".join(removed)]
        policy = _policy_changes(spec, base)
        if policy:
            lines += ["", *textwrap.wrap("Policy: " + "; ".join(clean(p) for p in policy), 92)]
    if inherited:
        lines += ["", f"Inherited unchanged (from {', '.join(sorted(inherited_files))}):", ""]
        lines += _wrap_names(inherited, 84)
    return lines


def _wrap_names(names: Iterable[str], width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for name in names:
        candidate = f"{current}, {name}" if current else name
        if current and len(candidate) > width:
            lines.append(f"    {current},")
            current = name
        else:
            current = candidate
    if current:
        lines.append(f"    {current}")
    return lines


# ------------------------------------------------------------------------ the compact data

#: field order of a declaration in the attribute table (what it is, then what it says)
_ATTR_FIELDS = (
    "name",
    "type",
    "item_type",
    "required",
    "const",
    "default",
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "units",
    "encoding",
    "description",
    "location",
)


def _locations(spec: LayoutSpec) -> Iterable[str]:
    for node in spec.nodes.values():
        yield node.location
        yield from (a.location for a in node.attrs.values())
        recorded = node.options.get("locations")
        if isinstance(recorded, Mapping):
            yield from (v for v in recorded.values() if isinstance(v, str))


def short_files(spec: LayoutSpec) -> dict[str, str]:
    """Short name -> full name of the layout files locations name with a folder, when the
    short name (the file name) stands for no other file."""
    files = {location_file(loc) for loc in _locations(spec)} - {""}
    bases: dict[str, list[str]] = {}
    for file in sorted(files):
        bases.setdefault(file.rsplit("/", 1)[-1], []).append(file)
    return {
        base: full[0]
        for base, full in sorted(bases.items())
        if len(full) == 1 and full[0] != base and base not in files
    }


def _shorten(location: str, short: Mapping[str, str]) -> str:
    """``location`` with its file's short name (``short``: full name -> short name)."""
    file = location_file(location)
    name = short.get(file) if file else None
    return location if name is None else name + location[len(file) :]


def _decl(attr: AttrSpec, short: Mapping[str, str]) -> PlainDict:
    d = attr.to_dict()
    if "location" in d:
        d["location"] = _shorten(attr.location, short)
    return {f: d[f] for f in _ATTR_FIELDS if f in d}


def _json(value: PlainValue) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _suffixes(decls: list[PlainDict]) -> list[str]:
    """Key suffixes telling apart declarations of one attribute name: the shortest of
    ``@LINE``, ``@FILE:LINE``, ``@FILE:LINE:COL`` that does, else ``#N``."""
    for cut in (1, 2, 3):
        found = []
        for d in decls:
            parts = str(d.get("location", "")).rsplit(":", 2)
            if len(parts) == 3:
                shown = {1: parts[1], 2: ":".join(parts[:2]), 3: ":".join(parts)}[cut]
                found.append("@" + shown)
            else:
                found.append("")
        if "" not in found and len(set(found)) == len(found):
            return found
    return [f"#{n}" for n in range(1, len(decls) + 1)]


def attr_table(spec: LayoutSpec) -> tuple[dict[str, PlainDict], dict[int, str]]:
    """The attribute table (key -> declaration, in the order of the layout files) and the
    key of every attribute of ``spec`` (by ``id`` of its :class:`AttrSpec`)."""
    short = {full: name for name, full in short_files(spec).items()}
    by_name: dict[str, dict[str, PlainDict]] = {}  # name -> json -> declaration
    order: list[tuple[str, str]] = []
    of_attr: dict[int, tuple[str, str]] = {}
    for node in spec.nodes.values():
        for name, attr in node.attrs.items():
            if attr.name != name:
                raise CompileError(f"attribute {name!r} of {node.name!r} is named {attr.name!r}")
            decl = _decl(attr, short)
            ident = _json(decl)
            variants = by_name.setdefault(name, {})
            if ident not in variants:
                variants[ident] = decl
                order.append((name, ident))
            of_attr[id(attr)] = (name, ident)
    keys: dict[tuple[str, str], str] = {}
    for name, variants in by_name.items():
        suffixes = _suffixes(list(variants.values())) if len(variants) > 1 else [""]
        for ident, suffix in zip(variants, suffixes, strict=True):
            keys[name, ident] = name + suffix
    # rows in the order of the layout files (first file first), as a reader finds them there
    files = list(
        dict.fromkeys(location_file(str(by_name[n][i].get("location", ""))) for n, i in order)
    )

    def where(item: tuple[str, str]) -> tuple[int, int, int]:
        parts = str(by_name[item[0]][item[1]].get("location", "")).rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            return (files.index(parts[0]), int(parts[1]), int(parts[2]))
        return (len(files), 0, 0)  # not located: last, in first-use order

    used: set[str] = set()
    table: dict[str, PlainDict] = {}
    for name, ident in sorted(order, key=where):
        key, n = keys[name, ident], 1
        while key in used:  # an attribute literally named like another's key
            n += 1
            key = f"{keys[name, ident]}#{n}"
        keys[name, ident] = key
        used.add(key)
        decl = by_name[name][ident]
        table[key] = {"name": name, **decl} if attr_key_name(key) != name else decl
    return table, {i: keys[k] for i, k in of_attr.items()}


def _binding(binding: PlainValue, spec: LayoutSpec) -> PlainValue:
    """A binding's plain form, or its node type's name when it only repeats its naming."""
    plain = _mapping(binding)
    node = spec.nodes.get(str(plain.get("node", "")))
    naming = {k: v for k, v in plain.items() if k != "node"}
    return node.name if node is not None and naming == node.naming.to_dict() else binding


def compact_layout(spec: LayoutSpec) -> PlainDict:
    """``spec`` as the compact data a compiled module carries (format
    :data:`~h5layout.runtime.layout.spec.COMPACT_FORMAT`); ``LayoutSpec.from_dict`` of it is
    ``spec`` again."""
    files = short_files(spec)
    short = {full: name for name, full in files.items()}
    table, key_of = attr_table(spec)
    nodes: PlainDict = {}
    for name, node in spec.nodes.items():
        d = node.to_dict()
        if (d["kind"] == "array") == (node.array is not None):
            del d["kind"]
        if node.attrs:
            d["attrs"] = [key_of[id(a)] for a in node.attrs.values()]
        recorded = node.options.get("locations")
        if "options" in d and isinstance(recorded, Mapping):
            located = {
                k: _shorten(v, short) if isinstance(v, str) else v for k, v in recorded.items()
            }
            d["options"] = {**_mapping(d["options"]), "locations": located}
        if "location" in d:
            d["location"] = _shorten(node.location, short)
        nodes[name] = d
    layout = spec.to_dict()
    out: PlainDict = {k: v for k, v in layout.items() if k not in ("nodes", "bindings")}
    out["format"] = COMPACT_FORMAT
    if files:
        out["files"] = files
    out["attrs"] = table
    out["nodes"] = nodes
    if spec.bindings is not None:
        out["bindings"] = {
            k: {r: _binding(b, spec) for r, b in _mapping(v).items()}
            if k in ("groups", "arrays")
            else _binding(v, spec)
            for k, v in spec.bindings.to_dict().items()
        }
    return out


def _table(head: str, rows: Mapping[str, object]) -> str:
    """``head`` then one row per entry of ``rows``, filled into lines."""
    if not rows:
        return head + "{}"
    lines = [head + "{"]
    for key, value in rows.items():
        lead = f"    {py_str(key)}: "
        lines.append(lead + py_flow(value, 4, len(lead) - 4, ",") + ",")
    return "\n".join([*lines, "}"])


def layout_data(spec: LayoutSpec) -> tuple[tuple[str, str], ...]:
    """(comment, statement source) of the module's data section, in order: the attribute
    table, the node types, then ``LAYOUT`` (every layout text is in a literal)."""
    data = compact_layout(spec)
    attrs, nodes = data.pop("attrs"), data.pop("nodes")
    bindings = data.pop("bindings", None)
    head: dict[str, PlainValue | Ref] = {**data, "attrs": Ref("_ATTRS"), "nodes": Ref("_NODES")}
    if bindings is not None:
        head["bindings"] = bindings
    return (
        (
            "Attribute declarations, each written once, by key: the attribute's name, or "
            "NAME@LINE when the layout declares NAME more than once.",
            _table("_ATTRS: dict[str, _rt.PlainDict] = ", _mapping(attrs)),
        ),
        (
            "Node types in declaration order: their attributes as keys of _ATTRS; an array "
            "when ``array`` is given.",
            _table("_NODES: dict[str, _rt.PlainDict] = ", _mapping(nodes)),
        ),
        (
            "The resolved layout in compact form (values equal to their default left out; "
            "LayoutSpec.from_dict reads it): what LAYOUT_SPEC, validate and inspect read.",
            _table("LAYOUT: _rt.PlainDict = ", head),
        ),
    )
