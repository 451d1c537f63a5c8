"""``h5layout docs LAYOUT [-o layout.md]``: Markdown documentation of a layout.

Every node type with its naming, attributes (type, required, units, constraints,
encoding, description), array rules, children and where it is declared (``file:line``);
for a derived layout what it changes from its base; and the tree of a typical file.
Output is deterministic (no absolute paths, no dates), so committed docs can be checked
for staleness: ``python -m h5layout.cli.docs_cmd`` rewrites ``docs/<layout>.md`` for every
shipped layout, and a test fails when one is stale.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from h5layout.cli._describe import (
    array_text,
    attr_constraints,
    attr_type,
    count_text,
    naming_text,
    short_location,
)

if TYPE_CHECKING:
    from h5layout.runtime.layout.spec import AttrSpec, LayoutSpec, NodeSpec

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

EPILOG = """\
examples:
  h5layout docs raman_map                  Markdown on standard output
  h5layout docs my_lab.yaml -o my_lab.md   write a file (only when its content changed)

exit status: 0 written, 1 the layout has problems (listed), 2 usage error or missing input.
"""

#: where the shipped layouts' docs are committed (relative to the repository root)
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
#: deepest level of the typical-file tree
_TREE_DEPTH = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``LAYOUT [-o FILE]``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("layout", metavar="LAYOUT", help="layout file or shipped name")
    parser.add_argument("-o", "--output", type=Path, help="write to this file")


# ------------------------------------------------------------------------------ pieces


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def attr_rows(node: NodeSpec) -> list[str]:
    """The attribute table of a node type (header included)."""
    rows = [
        "| attribute | type | required | units | constraints | encoding | description "
        "| declared at |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in node.attrs.values():
        rows.append(
            "| "
            + " | ".join(
                [
                    _code(a.name),
                    _code(attr_type(a)),
                    "yes" if a.required else "no",
                    _cell(a.units or ""),
                    _cell(attr_constraints(a)),
                    a.encoding,
                    _cell(a.description),
                    _code(short_location(a.location)),
                ]
            )
            + " |"
        )
    return rows


#: how deep a group role sits in a typical file: the typical tree descends from a group
#: only into groups of a deeper rank (a scan holds detectors; a detector's actuators are
#: shown beside it, not inside)
_ROLE_RANK = {
    "root": 0,
    "raw": 1,
    "scan": 2,
    "logger_group": 2,
    "detector": 3,
    "actuator": 3,
    "incremental": 3,
    "nav_axes": 3,
    "dim": 4,
    "generic": 5,
    "data_group": 5,
    "group": 5,
    "channel": 6,
}


def typical_tree(spec: LayoutSpec) -> list[str]:
    """A typical file: every node type once, depth first in declaration order, groups
    nested by role (raw, scan, detector, dimension, channel, arrays)."""
    seen: set[str] = set()
    lines: list[str] = []

    def example_name(node: NodeSpec) -> str:
        n = node.naming
        if n.pattern:
            return n.format(index=0, dim="Data1D") if n.field == "index" else n.format(dim="Data1D")
        return n.fixed or f"<{node.name}>"

    def visit(node: NodeSpec, depth: int) -> None:
        seen.add(node.name)
        label = "/" if node.role == "root" else example_name(node)
        suffix = "/" if node.kind == "group" and label != "/" else ""
        lines.append(f"{'    ' * depth}{label}{suffix}  [{node.name}]")
        if depth >= _TREE_DEPTH:
            return
        kids = [spec.nodes[t] for t in node.children if t in spec.nodes]
        kids.sort(key=lambda c: _ROLE_RANK.get(c.role, 5) if c.kind == "group" else -1)
        for child in kids:
            type_name = child.name
            if type_name in seen:
                continue
            if child.kind == "group" and _ROLE_RANK.get(child.role, 5) <= _ROLE_RANK.get(
                node.role, 5
            ):
                continue
            visit(child, depth + 1)

    root = spec.nodes.get(spec.root)
    if root is not None:
        visit(root, 0)
    return lines


def _attr_signature(a: AttrSpec) -> tuple[object, ...]:
    return (
        attr_type(a),
        a.required,
        a.units,
        attr_constraints(a),
        a.encoding,
    )


def changes_from(base: LayoutSpec, spec: LayoutSpec) -> list[str]:
    """What ``spec`` changes from ``base``: node types added, removed and changed."""
    out: list[str] = []
    added = [n for n in spec.nodes if n not in base.nodes]
    removed = [n for n in base.nodes if n not in spec.nodes]
    if added:
        out.append("- node types added: " + ", ".join(f"`{n}`" for n in added))
    if removed:
        out.append("- node types removed: " + ", ".join(f"`{n}`" for n in removed))
    for name, node in spec.nodes.items():
        old = base.nodes.get(name)
        if old is None:
            continue
        diffs: list[str] = []
        if naming_text(old) != naming_text(node):
            diffs.append(f"name `{naming_text(old)}` → `{naming_text(node)}`")
        for key in node.attrs.keys() - old.attrs.keys():
            diffs.append(f"attribute `{key}` added")
        for key in old.attrs.keys() - node.attrs.keys():
            diffs.append(f"attribute `{key}` removed")
        for key in node.attrs.keys() & old.attrs.keys():
            if _attr_signature(node.attrs[key]) != _attr_signature(old.attrs[key]):
                diffs.append(f"attribute `{key}` changed")
        for key in node.children.keys() - old.children.keys():
            diffs.append(f"child `{key}` added")
        for key in old.children.keys() - node.children.keys():
            diffs.append(f"child `{key}` removed")
        for key in node.children.keys() & old.children.keys():
            if count_text(node.children[key]) != count_text(old.children[key]):
                diffs.append(
                    f"child `{key}` count {count_text(old.children[key])} → "
                    f"{count_text(node.children[key])}"
                )
        if node.array is not None and old.array is not None:
            if array_text(node.array) != array_text(old.array):
                diffs.append(f"array `{array_text(old.array)}` → `{array_text(node.array)}`")
        follows_policy = (node.undeclared, old.undeclared) == (
            spec.policy.undeclared,
            base.policy.undeclared,
        )
        if node.undeclared != old.undeclared and not follows_policy:
            diffs.append(f"undeclared {old.undeclared} → {node.undeclared}")
        if diffs:
            out.append(f"- `{name}`: " + "; ".join(sorted(diffs)))
    pol, old_pol = spec.policy, base.policy
    for key in ("flush_every", "swmr", "undeclared", "fsync"):
        if getattr(pol, key) != getattr(old_pol, key):
            out.append(f"- policy `{key}`: {getattr(old_pol, key)} → {getattr(pol, key)}")
    return out or ["- nothing (the same node types and rules)"]


def _node_section(node: NodeSpec) -> Iterator[str]:
    yield f"### `{node.name}` ({node.kind}, role `{node.role}`)"
    yield ""
    if node.description:
        yield node.description
        yield ""
    yield f"- name: `{naming_text(node)}`"
    where = short_location(node.location)
    if where:
        yield f"- declared at: `{where}`"
    if node.match:
        yield "- recognised by: " + ", ".join(f"`{k}` = `{v!r}`" for k, v in node.match.items())
    if node.array is not None:
        yield f"- array: {array_text(node.array)}"
    if node.children:
        kids = ", ".join(f"`{k}` ({count_text(c)})" for k, c in node.children.items())
        yield f"- children: {kids}"
    else:
        yield "- children: none"
    yield f"- content the layout does not declare: {node.undeclared}"
    if node.attrs:
        yield ""
        yield from attr_rows(node)
    yield ""


def render(spec: LayoutSpec, base: LayoutSpec | None = None, base_name: str = "") -> str:
    """The Markdown documentation of a resolved layout."""
    lines = [f"# Layout `{spec.layout}` {spec.version}", ""]
    lines.append(
        "<!-- generated by `h5layout docs`; regenerate, do not edit "
        "(shipped layouts: `python -m h5layout.cli.docs_cmd`) -->"
    )
    lines.append("")
    if spec.description:
        lines += [spec.description, ""]
    pol = spec.policy
    lines += [
        f"- layout language: {spec.language}",
        f"- node types: {len(spec.nodes)}",
        f"- policy: flush every {pol.flush_every}, SWMR {'on' if pol.swmr else 'off'}, "
        f"fsync {'on' if pol.fsync else 'off'}, undeclared content: {pol.undeclared}",
        "",
        "## Attribute encoding",
        "",
    ]
    encodings = {a.encoding for n in spec.nodes.values() for a in n.attrs.values()}
    native = sorted(
        f"`{n.name}@{a.name}`"
        for n in spec.nodes.values()
        for a in n.attrs.values()
        if a.encoding == "native"
    )
    lines += [
        "Each attribute is stored either in PyMoDAQ's JSON envelope (`encoding: json`: h5py or",
        'HDFView show `{"module": "builtins", "type": "str", "data": "\'S0042\'"}`) or as a plain',
        "HDF5 attribute (`encoding: native`: any HDF5 tool shows the value itself). h5layout",
        "and `h5layout inspect` read both. To store a node type's attributes natively, write",
        "`encoding: native` on each attribute (or `policy: {encodings: {attrs: native}}` for",
        "the whole layout).",
        "",
        f"This layout stores {len(native)} attribute(s) natively"
        + (": " + ", ".join(native) if native and len(native) <= 40 else "")
        + ("; every other one in the JSON envelope." if "json" in encodings else "."),
        "",
    ]
    if base is not None:
        lines += [f"## Changes from `{base_name}`", ""]
        lines += changes_from(base, spec)
        lines.append("")
    lines += ["## A typical file", "", "```"]
    lines += typical_tree(spec)
    lines += ["```", "", "## Node types", ""]
    for node in spec.nodes.values():
        lines += list(_node_section(node))
    return "\n".join(lines).rstrip("\n") + "\n"


# ------------------------------------------------------------------------------ loading


def _base_of(source: str) -> tuple[LayoutSpec | None, str]:
    """The layout ``source`` extends (resolved), from its top-level ``extends`` key."""
    import yaml

    from h5layout.runtime.check.detect import shipped_layouts
    from h5layout.schema import load_layout_spec

    path = Path(source)
    if not path.is_file():
        if source not in shipped_layouts():
            return None, ""
        path = Path(__file__).resolve().parents[1] / "layouts" / f"{source}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None, ""
    extends = data.get("extends") if isinstance(data, dict) else None
    if not isinstance(extends, str) or not extends:
        return None, ""
    relative = path.parent / extends
    target = str(relative) if relative.is_file() else extends
    return load_layout_spec(target), extends


def document(source: str) -> str:
    """The Markdown documentation of a layout file or shipped name."""
    from h5layout.schema import load_layout_spec

    spec = load_layout_spec(source)
    base, base_name = _base_of(source)
    return render(spec, base, base_name)


def run(args: argparse.Namespace) -> int:
    """Print or write the documentation."""
    from h5layout.runtime.check.detect import shipped_layouts
    from h5layout.runtime.errors import LayoutError

    if not Path(args.layout).exists() and args.layout not in shipped_layouts():
        print(f"h5layout docs: {args.layout}: no such file or shipped layout", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = document(args.layout)
    except LayoutError as exc:
        print(f"h5layout docs: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        old = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
        if old != text:
            args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"h5layout docs: {args.output}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def regen(folder: Path = DOCS_DIR) -> list[Path]:
    """Write ``<layout>.md`` for every shipped layout into ``folder``; returns the files."""
    from h5layout.runtime.check.detect import shipped_layouts

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in shipped_layouts():
        path = folder / f"{name}.md"
        text = document(name)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in regen():
        print(p)
