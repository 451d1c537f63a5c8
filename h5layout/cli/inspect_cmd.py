"""``h5layout inspect LAYOUT_OR_FILE``: the node types of a layout, or the tree of a file.

An HDF5 file prints one line per node (indented path name, node class, ``type`` /
``data_type`` attribute and shape of arrays). Anything else is read as a layout (file
or shipped name) and prints one line per node type (name, kind, role, naming, required
attributes, children). Exit 1 when the layout or file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``LAYOUT_OR_FILE``."""
    parser.add_argument("target", metavar="LAYOUT_OR_FILE", help="HDF5 file, layout or name")


def is_hdf5(path: Path) -> bool:
    """Whether ``path`` is an HDF5 file (its superblock signature, user block allowed)."""
    from h5layout.runtime.probe import probe_file

    return path.is_file() and probe_file(path).is_hdf5


def layout_lines(spec: Any) -> list[str]:
    """One line per node type of a :class:`LayoutSpec`."""
    lines = [f"layout {spec.layout} {spec.version} ({len(spec.nodes)} node types)"]
    for node in spec.nodes.values():
        naming = node.naming.pattern or node.naming.fixed or "-"
        required = ",".join(a.name for a in node.required_attrs) or "-"
        children = ",".join(node.children) or "-"
        lines.append(
            f"  {node.name}: {node.kind} role={node.role} name={naming} "
            f"required={required} children={children}"
        )
    return lines


def tree_lines(h5: Any) -> list[str]:
    """One line per node of an open file, depth first: name, wrapper, title, shape, type."""
    from h5layout.runtime.nodes import CARRAY, iter_tree, printable

    lines: list[str] = []
    for depth, node, repeated in iter_tree(h5.root()):
        extra = f" shape={node.shape} dtype={node.dtype}" if isinstance(node, CARRAY) else ""
        tag = node.attrs.get("data_type") or node.attrs.get("type")
        if tag:
            extra += f" [{tag}]"
        if repeated:
            extra += " (a link to a group shown above: not followed again)"
        label = "/" if node.path == "/" else node.name
        line = f"{'  ' * depth}{label} ({type(node).__name__}) {node.title!r}{extra}"
        lines.append(printable(line))
    return lines


def file_lines(path: Path) -> list[str]:
    """The tree of an HDF5 file (opened read-only)."""
    from h5layout.runtime.h5backend import H5Backend

    h5 = H5Backend()
    h5.open_file(path, "r")
    try:
        return tree_lines(h5)
    finally:
        h5.close_file()


def run(args: argparse.Namespace) -> int:
    """Print the layout's node types or the file's tree."""
    from h5layout.runtime.errors import LayoutError

    target = Path(args.target)
    try:
        if is_hdf5(target):
            lines = file_lines(target)
        else:
            from h5layout.schema import load_layout_spec

            lines = layout_lines(load_layout_spec(args.target))
    except LayoutError as exc:
        print(f"h5layout inspect: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"h5layout inspect: {args.target}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug in h5layout: a report, not a traceback
        print(f"h5layout inspect: {args.target}: internal error: {type(exc).__name__}: {exc}",
              file=sys.stderr)  # fmt: skip
        return 2
    print("\n".join(lines))
    return 0
