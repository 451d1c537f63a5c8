"""The node tree of a file as a reader sees it: what ``h5layout inspect`` prints.

:func:`load_tree` walks a file through the :class:`~h5layout.runtime.storage.backends.Backend`
interface (so h5py, PyTables and h5pyd files read the same way), reads every node's
attributes and array metadata — never the data — and names each node's layout node type
the way the file checker recognises it (candidates from the parent's type, a name that
fits the naming rule, ``match`` values; the most specific wins). The walk visits each HDF5
object once, so hard-link cycles end, and a node that cannot be read is reported in
:attr:`TreeNode.error` instead of stopping the walk. The tree and the generic walk live in
:mod:`._tree_walk`, the h5py walks in :mod:`._tree_h5py`.
"""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from h5layout.runtime.errors import FileAccessError, NodeError
from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec
from h5layout.runtime.storage.backends import LibraryHandle
from h5layout.runtime.tools._tree_h5py import _CWalker, _H5pyWalker
from h5layout.runtime.tools._tree_walk import (
    MAX_DEPTH,
    SUMMARY_ATTRS,
    FileTree,
    TreeAttr,
    TreeNode,
    _Walker,
    classify,
    match_keys_needed,
)

if TYPE_CHECKING:
    from h5layout.runtime.storage.backends import Backend

#: a value JSON can hold: what :func:`jsonable` gives
JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"

__all__ = [
    "MAX_DEPTH",
    "SUMMARY_ATTRS",
    "FileTree",
    "JsonValue",
    "TreeAttr",
    "TreeNode",
    "classify",
    "jsonable",
    "load_tree",
    "match_keys_needed",
]


def _open(path: str, backend: str) -> tuple[Backend, LibraryHandle]:
    from h5layout.runtime.storage.backends import get_backend

    be = get_backend(backend)
    if be.local_files and not os.path.isfile(path):
        raise FileAccessError(f"{path}: no such file")
    try:
        kwargs: dict[str, object] = {}
        if backend == "h5py":  # a walk closes each object once done with it
            kwargs = {"locking": False, "evict_on_close": True}
        file = be.open(path, "r", title="", swmr_mode=False, **kwargs)
    except FileAccessError:
        raise
    except Exception as exc:  # each library has its own exceptions for a bad file
        raise FileAccessError(f"{path}: cannot open: {exc}") from exc
    return be, file


def _walker(
    be: Backend, root: LibraryHandle, layout: LayoutSpec | None, only: frozenset[str] | None
) -> _Walker:
    """The fastest walk that reads this backend's file the generic walk's way."""
    if be.name != "h5py":
        return _Walker(be, layout, only)
    from h5layout.runtime.storage.backends.h5capi import capi

    api = capi()
    if api is not None:
        from h5py._objects import phil

        with phil:
            if api.usable(root.id):
                return _CWalker(be, layout, only, api)
    return _H5pyWalker(be, layout, only)


def load_tree(
    path: str | os.PathLike[str],
    *,
    layout: LayoutSpec | None = None,
    node: str = "/",
    backend: str = "h5py",
    full: bool = True,
) -> FileTree:
    """Read the tree of a file (attributes and array metadata only) below ``node``.

    ``layout`` names each node's type; None leaves node types empty. ``full=False`` reads
    only the attributes a tree line shows (:data:`SUMMARY_ATTRS`, and the layout's
    ``match`` keys where a node's name does not decide its type), 40 % of the reads on
    PyMoDAQ files. Raises :class:`FileAccessError` when the file cannot be opened and
    :class:`NodeError` when ``node`` is not in it. An h5py file is read holding h5py's
    lock from its opening to its closing (no other thread's h5py call runs meanwhile).
    """
    text = os.fspath(path)
    if backend != "h5py":
        return _load_tree(text, layout, node, backend, full)
    from h5py._objects import phil

    # Opened with evict-on-close, which HDF5 wants the same for every open of one file in
    # a process: no other thread may open it between this open and close.
    with phil:
        return _load_tree(text, layout, node, backend, full)


def _load_tree(
    text: str, layout: LayoutSpec | None, node: str, backend: str, full: bool
) -> FileTree:
    be, file = _open(text, backend)
    # The walk allocates a few objects per attribute and node, none in a reference cycle:
    # the cyclic collector would only scan them again and again (6 % of a plain tree's CPU).
    # It runs again as soon as the walk ends (the setting is the process's).
    collecting = gc.isenabled()
    gc.disable()
    try:
        only = None
        if not full:
            keys = {k for n in layout.nodes.values() for k in n.match} if layout else set()
            only = SUMMARY_ATTRS | keys
        root_obj = be.root(file)
        walker = _walker(be, root_obj, layout, only)
        with walker.session():
            current = walker.load(root_obj, "/", "/", None, True)
            walker.seen.add(walker.key(root_obj, "/"))
            obj = root_obj
            parts = [p for p in node.strip("/").split("/") if p]
            for part in parts:
                # Follow the path from the root so each ancestor's node type is known.
                if current.kind != "group":
                    raise NodeError(f"{text}: {node}: {current.path} is not a group")
                try:
                    children = be.children(obj)
                except Exception as exc:
                    raise NodeError(f"{text}: {node}: cannot list {current.path}: {exc}") from exc
                if part not in children:
                    raise NodeError(f"{text}: no node {node!r} in the file")
                parent_spec = _spec(layout, current)
                obj = children[part]
                path_here = f"{current.path.rstrip('/')}/{part}"
                current = walker.load(obj, path_here, part, parent_spec, False)
                walker.seen.add(walker.key(obj, path_here))
            if current.kind == "group":
                walker.walk(obj, current, _spec(layout, current), len(parts))
            return FileTree(file=text, backend=be.name, layout=layout, root=current)
    finally:
        if collecting:
            gc.enable()
        try:
            be.close(file)
        except Exception:
            pass


def _spec(layout: LayoutSpec | None, node: TreeNode) -> NodeSpec | None:
    if layout is None or node.node_type is None:
        return None
    return layout.nodes.get(node.node_type)


def jsonable(value: object) -> JsonValue:
    """A JSON-ready form of a decoded attribute value (arrays as lists, others as text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, float) and not np.isfinite(value):
            return repr(value)
        return value
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()] if value.ndim else jsonable(value.item())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)
