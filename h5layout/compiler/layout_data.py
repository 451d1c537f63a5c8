"""The readable parts of a generated module: its node-type table and its layout data.

The table (one line per node type: name pattern and where it was declared; for a derived
layout, what it declares itself) goes in the module docstring, so it is the first thing a
reader sees. The data (``LAYOUT``) goes last, compact: values equal to their default are
left out (:meth:`~h5layout.runtime.layout.spec.LayoutSpec.to_dict`), and attribute declarations
that several node types share are written once, as module constants the node types
refer to, so :meth:`LayoutSpec.from_dict` reads each of them once too.
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from h5layout.compiler.literals import Ref, py_compact
from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec

#: width of the columns of the node-type table
_NAME_COLS = 18
_PATTERN_COLS = 24
_WHERE_COLS = 24


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
    for node in spec.nodes.values():
        for location in (node.location, *(a.location for a in node.attrs.values())):
            file, _ = _file_line(location)
            if file.rsplit("/", 1)[-1] == wanted:
                return file
    return None


def _naming_text(node: NodeSpec) -> str:
    return node.naming.pattern or node.naming.fixed or "(any name)"


def _cell(text: str, cols: int) -> str:
    return text.ljust(cols - 1) + " " if len(text) < cols else text + "  "


def _comparable(node: NodeSpec, policy_undeclared: str) -> dict[str, Any]:
    """A node type's plain form without source locations (what a layout says, not where),
    with what follows the layout's ``undeclared`` policy marked as such."""
    d = node.to_dict()
    d.pop("location", None)
    if node.undeclared == policy_undeclared:
        d["undeclared"] = "(policy)"
    options = dict(d.get("options") or {})
    if options.get("undeclared_attrs") == policy_undeclared:
        options["undeclared_attrs"] = "(policy)"
        d["options"] = options
    attrs = d.get("attrs") or {}
    d["attrs"] = {k: {f: v for f, v in a.items() if f != "location"} for k, a in attrs.items()}
    return d


def _changes(node: NodeSpec, base: NodeSpec, clean: Any, policies: tuple[str, str]) -> list[str]:
    """What ``node`` changes from the node type of the same name in the base layout
    (``policies``: the ``undeclared`` policy of the layout and of its base)."""
    mine, theirs = _comparable(node, policies[0]), _comparable(base, policies[1])
    out = [
        f
        for f in ("role", "naming", "match", "children", "undeclared", "array", "options")
        if mine.get(f) != theirs.get(f)
    ]
    new_attrs, old_attrs = mine["attrs"], theirs["attrs"]
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


def node_table(spec: LayoutSpec, clean: Any, base: LayoutSpec | None = None) -> list[str]:
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
        head = "Node types this layout declares or changes (name, naming, declared at, what):"
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


@dataclass
class _Shared:
    """An attribute declaration several node types use: written once, as a constant."""

    name: str  # the module constant
    attr: str  # the attribute's name
    decl: dict[str, Any]
    users: list[str]


def _key(name: str, decl: dict[str, Any]) -> str:
    return json.dumps([name, decl], sort_keys=True, default=repr)


def _constant_name(attr: str, taken: set[str]) -> str:
    base = "_" + re.sub(r"\W", "_", attr.upper(), flags=re.ASCII).strip("_")
    base = base if base.isidentifier() and base != "_" else "_ATTR"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def shared_attrs(layout: dict[str, Any]) -> dict[str, _Shared]:
    """Attribute declarations used by two node types or more, by :func:`_key`."""
    users: dict[str, list[str]] = {}
    decls: dict[str, tuple[str, dict[str, Any]]] = {}
    for node_name, node in layout["nodes"].items():
        for attr_name, decl in (node.get("attrs") or {}).items():
            key = _key(attr_name, decl)
            users.setdefault(key, []).append(node_name)
            decls[key] = (attr_name, decl)
    taken: set[str] = set()
    return {
        key: _Shared(_constant_name(decls[key][0], taken), *decls[key], names)
        for key, names in users.items()
        if len(names) > 1
    }


def layout_data(spec: LayoutSpec, clean: Any) -> tuple[tuple[str, str], ...]:
    """(comment, statement source) of the module's data section, in order: the shared
    attribute declarations, then ``LAYOUT`` (``clean`` makes comment text safe)."""
    layout = spec.to_dict()
    shared = shared_attrs(layout)
    nodes = {}
    for name, node in layout["nodes"].items():
        if "attrs" in node:
            attrs = {
                k: Ref(shared[_key(k, v)].name) if _key(k, v) in shared else v
                for k, v in node["attrs"].items()
            }
            node = {**node, "attrs": attrs}
        nodes[name] = node
    out = []
    for decl in shared.values():
        users = ", ".join(clean(u) for u in decl.users)
        comment = f"{clean(decl.attr)} of {users}"
        head = f"{decl.name}: dict[str, Any] = "
        out.append((comment, head + py_compact(decl.decl, 0, len(head))))
    head = "LAYOUT: dict[str, Any] = "
    out.append(
        (
            "The resolved layout, defaults left out: what LAYOUT_SPEC, validate and inspect read.",
            head + py_compact({**layout, "nodes": nodes}, 0, len(head)),
        )
    )
    return tuple(out)
