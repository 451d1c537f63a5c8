"""``h5layout inspect FILE [NODE]`` / ``h5layout inspect LAYOUT``.

A file prints as a tree, one line per node: its name, the layout node type it is, and
for groups their title, for arrays their class, shape, dtype, data dimension, label and
units (the way PyMoDAQ's H5Browser shows scans, detectors, channels and data).
``--attrs`` adds every attribute decoded (JSON envelope or native), with the units the
layout declares; ``--json`` prints the same for scripts (the JSON Schema is
``h5layout/cli/inspect.schema.json``). Only attributes and array metadata are read.

A layout, found as ``validate --layout`` finds it (a name: shipped, or ``NAME.py`` /
``NAME.yaml`` in the current folder or on ``$H5LAYOUT_PATH``; a ``.yaml`` layout file; a
compiled ``.py``), prints every node type: naming, attributes (type, required, units,
constraints, description), array rules and children. A file is read with the layout it
names (found the same way as ``validate`` does), or ``--layout``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from h5layout.cli._describe import (
    Paint,
    array_text,
    attr_constraints,
    attr_type,
    children_text,
    naming_text,
    short_location,
    stdout_paint,
    value_text,
)

if TYPE_CHECKING:
    from h5layout.runtime.layout.spec import LayoutSpec
    from h5layout.runtime.tools.tree import FileTree, TreeNode

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

EPILOG = """\
examples:
  h5layout inspect run1.h5                         the tree, with node types
  h5layout inspect run1.h5 /RawData/Scan000 --attrs
  h5layout inspect run1.h5 --json | jq '.tree.children[0].name'
  h5layout inspect raman_map                       every node type of a layout
  h5layout inspect my_lab.yaml

exit status: 0 shown, 1 the file or layout cannot be read (a report, no traceback),
2 usage error or missing input.
"""

#: attributes shown on a node's own line (the rest with --attrs)
_ARRAY_KEYS = ("data_dimension", "distribution", "label", "units", "nav_indexes")
_HDF5_FILE_SUFFIXES = (".h5", ".hdf5", ".he5", ".hdf")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``TARGET [NODE] [--attrs] [--json] [--layout L] [--color WHEN]``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("target", metavar="FILE_OR_LAYOUT", help="HDF5 file, layout file or name")
    parser.add_argument("node", nargs="?", default="/", help="only this node and below (files)")
    parser.add_argument("--attrs", action="store_true", help="every attribute, decoded")
    parser.add_argument("--json", action="store_true", help="JSON for scripts")
    parser.add_argument("--layout", help="layout to read the file against (default: detected)")
    parser.add_argument(
        "--backend",
        default=None,
        choices=("h5py", "tables", "h5pyd"),
        help="library reading the file (h5pyd: TARGET is an HSDS domain path on HS_ENDPOINT; "
        "hsds://host:port/path URLs are domains whatever this says)",
    )
    parser.add_argument(
        "--color",
        default="auto",
        choices=("auto", "always", "never"),
        help="colour (default: on a terminal, unless NO_COLOR is set)",
    )


def is_hdf5(path: Path) -> bool:
    """Whether ``path`` is an HDF5 file (its superblock signature, user block allowed)."""
    from h5layout.runtime.storage.probe import probe_file

    return path.is_file() and probe_file(path).is_hdf5


# ------------------------------------------------------------------------------ layouts


def layout_lines(spec: LayoutSpec, paint: Paint | None = None) -> list[str]:
    """Every node type of a layout: naming, attributes, array rules, children."""
    p = paint or Paint(False)
    lines = [
        p.bold(f"layout {spec.layout} {spec.version}") + f" ({len(spec.nodes)} node types)",
    ]
    if spec.description:
        lines.append(f"  {spec.description}")
    pol = spec.policy
    lines.append(
        p.dim(
            f"  policy: flush_every={pol.flush_every} swmr={pol.swmr} undeclared={pol.undeclared}"
        )
    )
    for node in spec.nodes.values():
        lines.append("")
        where = short_location(node.location)
        lines.append(
            f"{p.type(node.name)}: {node.kind} role={node.role} name={naming_text(node)}"
            + (p.dim(f"  ({where})") if where else "")
        )
        if node.description:
            lines.append(f"  {node.description}")
        if node.match:
            lines.append(
                "  recognised by: " + ", ".join(f"{k}={v!r}" for k, v in node.match.items())
            )
        if node.array is not None:
            lines.append(f"  array: {array_text(node.array)}")
        lines.append(f"  children: {children_text(node)}")
        for a in node.attrs.values():
            flags = "required" if a.required else "optional"
            bits = [attr_type(a), flags]
            if a.units:
                bits.append(f"units {a.units}")
            if a.encoding != "json":
                bits.append(f"encoding {a.encoding}")
            rule = attr_constraints(a)
            if rule:
                bits.append(rule)
            line = f"  @{a.name}: " + ", ".join(bits)
            if a.description:
                line += p.dim(f" — {a.description}")
            lines.append(line)
    return lines


# ------------------------------------------------------------------------------ files


def _node_line(node: TreeNode, p: Paint) -> str:
    attrs = node.attrs  # read directly: one line per node of files with 10,000s of them
    label = "/" if node.path == "/" else node.name
    parts = [p.bold(label)]
    if node.node_type:
        parts.append(p.type(f"[{node.node_type}]"))
    else:
        parts.append(p.dim("[?]"))
    title = node.title
    if node.kind == "group":
        if title:
            parts.append(repr(title))
        found = attrs.get("type")
        gtype = None if found is None else found.value
        if isinstance(gtype, str) and gtype:
            parts.append(p.dim(f"type={gtype}"))
    else:
        parts.append(node.node_class)
        if node.shape is not None:
            parts.append(p.shape(f"{node.dtype} {node.shape}"))
        for key in _ARRAY_KEYS:
            found = attrs.get(key)
            if found is not None and _shown(key, found.value):
                parts.append(f"{key}={value_text(found.value, 40)}")
        if title:
            found = attrs.get("label")
            if title != (None if found is None else found.value):
                parts.append(repr(title))
    if node.error:
        parts.append(p.bad(f"! {node.error}"))
    return " ".join(parts)


def _shown(key: str, value: object) -> bool:
    """Whether an array attribute earns its place on a tree line (empty and default values
    do not). Values may be stored natively: a numpy array has no single truth value."""
    if value is None:
        return False
    if isinstance(value, str | tuple):
        return bool(value) and not (key == "distribution" and value == "uniform")
    if isinstance(value, np.ndarray):
        return value.size > 0
    return True


def tree_text(tree: FileTree, *, attrs: bool = False, paint: Paint | None = None) -> list[str]:
    """The tree of a file, one line per node (and per attribute with ``attrs``)."""
    p = paint or Paint(False)
    layout = tree.layout
    head = f"{tree.file} ({tree.backend})"
    head += f" — layout {layout.layout} {layout.version}" if layout else " — no known layout"
    lines = [p.dim(head)]
    stack: list[tuple[TreeNode, int]] = [(tree.root, 0)]
    while stack:
        node, depth = stack.pop()
        pad = "  " * depth
        lines.append(pad + _node_line(node, p))
        if attrs:
            for name in sorted(node.attrs):
                a = node.attrs[name]
                extra = f" {a.units}" if a.units else ""
                enc = p.dim(" (native)") if a.encoding == "native" else ""
                lines.append(f"{pad}    @{name} = {value_text(a.value)}{extra}{enc}")
        stack.extend((c, depth + 1) for c in reversed(node.children))
    return lines


def node_json(node: TreeNode) -> dict[str, object]:
    """One node (and its subtree) as JSON-ready data."""
    from h5layout.runtime.tools.tree import jsonable

    return {
        "path": node.path,
        "name": node.name,
        "kind": node.kind,
        "class": node.node_class,
        "node_type": node.node_type,
        "role": node.role,
        "title": node.title,
        "shape": list(node.shape) if node.shape is not None else None,
        "dtype": node.dtype,
        "chunks": list(node.chunks) if node.chunks is not None else None,
        "error": node.error,
        "attrs": {
            name: {
                "value": jsonable(a.value),
                "encoding": a.encoding,
                "units": a.units,
                "declared": a.declared,
            }
            for name, a in sorted(node.attrs.items())
        },
        "children": [node_json(c) for c in node.children],
    }


def tree_json(tree: FileTree) -> dict[str, object]:
    """The document ``inspect --json`` prints (see ``inspect.schema.json``)."""
    layout = tree.layout
    return {
        "format": 1,
        "file": tree.file,
        "backend": tree.backend,
        "layout": {"name": layout.layout, "version": layout.version} if layout else None,
        "tree": node_json(tree.root),
    }


def _layout_for(path: Path, name: str | None) -> LayoutSpec | None:
    from h5layout.finder import find_layout_spec
    from h5layout.runtime.check.detect import LayoutNotFoundError

    try:
        return find_layout_spec(name, file=path)
    except LayoutNotFoundError:
        if name is not None:
            raise
        return None


# ------------------------------------------------------------------------------ run


def _fail(target: str, message: str, code: int = EXIT_FAIL) -> int:
    if not message.startswith(target):
        message = f"{target}: {message}"
    print(f"h5layout inspect: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    """Print the layout's node types or the file's tree."""
    from h5layout.runtime.check.detect import LayoutNotFoundError
    from h5layout.runtime.check.domains import is_domain_url
    from h5layout.runtime.errors import LayoutError

    target = Path(args.target)
    paint = stdout_paint(args.color)
    if args.backend == "h5pyd" or is_domain_url(args.target):
        return _run_domain(args, paint)
    try:
        if is_hdf5(target):
            from h5layout.runtime.tools.tree import load_tree

            spec = _layout_for(target, args.layout)
            full = args.attrs or args.json  # a plain tree reads only what its lines show
            backend = args.backend or "h5py"
            tree = load_tree(target, layout=spec, node=args.node, backend=backend, full=full)
            if args.json:
                print(json.dumps(tree_json(tree), indent=1, ensure_ascii=False))
            else:
                print("\n".join(tree_text(tree, attrs=args.attrs, paint=paint)))
            return EXIT_OK
        if target.is_file() and target.suffix.lower() in _HDF5_FILE_SUFFIXES:
            return _fail(args.target, "not an HDF5 file (no HDF5 signature)")
        from h5layout.finder import find_layout_spec

        if not target.exists() and target.suffix.lower() in _HDF5_FILE_SUFFIXES:
            return _fail(args.target, "no such file", EXIT_USAGE)
        # found as validate --layout finds it: a name (shipped, NAME.py / NAME.yaml here or
        # on $H5LAYOUT_PATH), a layout file or a compiled module
        try:
            layout = find_layout_spec(args.target)
        except LayoutNotFoundError as exc:
            if target.exists():
                raise
            return _fail(args.target, f"no such file or shipped layout ({exc})", EXIT_USAGE)
        if args.json:
            print(json.dumps(layout.to_dict(), indent=1, ensure_ascii=False, default=str))
        else:
            print("\n".join(layout_lines(layout, paint)))
        return EXIT_OK
    except LayoutNotFoundError as exc:  # --layout names nothing: a usage error
        return _fail(args.target, str(exc), EXIT_USAGE)
    except LayoutError as exc:
        return _fail(args.target, str(exc))
    except BrokenPipeError:
        raise
    except OSError as exc:
        return _fail(args.target, str(exc))
    except Exception as exc:  # a bug in h5layout: a report, not a traceback
        return _fail(args.target, f"internal error: {type(exc).__name__}: {exc}", EXIT_USAGE)


def _show_tree(tree: FileTree, args: argparse.Namespace, paint: Paint) -> None:
    if args.json:
        print(json.dumps(tree_json(tree), indent=1, ensure_ascii=False))
    else:
        print("\n".join(tree_text(tree, attrs=args.attrs, paint=paint)))


def _run_domain(args: argparse.Namespace, paint: Paint) -> int:
    """The tree of an HSDS domain (same lines and JSON as a local file's)."""
    from h5layout.finder import find_layout_spec
    from h5layout.runtime.check.detect import LayoutNotFoundError
    from h5layout.runtime.check.domains import (
        DomainURLError,
        backend_for,
        detect_layout,
        exists,
        parse_target,
        redact,
    )
    from h5layout.runtime.errors import LayoutError
    from h5layout.runtime.tools.tree import load_tree

    try:
        target = parse_target(args.target, args.backend)
        if not exists(target):
            return _fail(args.target, "no such domain", EXIT_USAGE)
        spec = find_layout_spec(args.layout) if args.layout else detect_layout(target)
        backend_for(target)
        full = args.attrs or args.json
        tree = load_tree(target.location, layout=spec, node=args.node, backend="h5pyd", full=full)
    except (LayoutNotFoundError, DomainURLError) as exc:
        return _fail(redact(args.target), str(exc), EXIT_USAGE)
    except LayoutError as exc:
        return _fail(args.target, str(exc))
    except OSError as exc:
        return _fail(args.target, str(exc))
    tree.file = str(target)
    _show_tree(tree, args, paint)
    return EXIT_OK
