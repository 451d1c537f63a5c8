"""The walks of h5py files: HDF5's C functions through ctypes (:class:`_CWalker`), or h5py's
low-level API where that library cannot be used (:class:`_H5pyWalker`). Both give the tree
and the messages of the generic walk (:class:`~._tree_walk._Walker`), to which they leave
anything they do not recognise and every failure.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np

from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec
from h5layout.runtime.storage.backends import LibraryHandle, LibraryValue
from h5layout.runtime.tools._tree_walk import TreeNode, _name_text, _Walker

if TYPE_CHECKING:
    from h5layout.runtime.storage.backends import Backend
    from h5layout.runtime.storage.backends.h5capi import CApi


class _H5pyStore(Protocol):
    """What the h5py backend adds to the interface for this walk."""

    def _follows_external(self, gid: LibraryHandle) -> bool: ...


class _H5pyWalker(_Walker):
    """The walk of an h5py file through HDF5's low-level calls.

    h5py's high-level objects cost more than the HDF5 calls they wrap (``attrs.keys()`` is
    about 13 times ``H5Aiterate``; building a ``Dataset`` or a ``File`` per node, reading an
    attribute's dtype): this walker keeps low-level object ids, lists links and attribute
    names with ``H5Literate``/``H5Aiterate``, reads only the attributes it is asked for
    (scalar strings, nearly all of a PyMoDAQ file's, straight into a buffer) and knows each
    object by its ``(file number, address)``. Whatever it does not recognise, and every
    error, goes through the backend the generic way, so the tree and its messages are the
    ones :class:`_Walker` gives.
    """

    def __init__(
        self, backend: Backend, spec: LayoutSpec | None, only: frozenset[str] | None
    ) -> None:
        super().__init__(backend, spec, only)
        import h5py
        from h5py import h5d, h5g, h5l, h5o

        from h5layout.runtime.storage.backends import h5py_attrs

        self.h5py, self.h5d, self.h5g, self.h5l, self.h5o = h5py, h5d, h5g, h5l, h5o
        self.read_str = h5py_attrs.read_vlen_str_attr
        self.other = h5py_attrs.OTHER
        self.wants_bytes: dict[tuple[str | None, str, str], tuple[bytes, ...] | None] = {}

    def wanted_bytes(
        self, parent: NodeSpec | None, name: str, kind: str
    ) -> tuple[bytes, ...] | None:
        """:meth:`wanted`, as the names HDF5 gives (UTF-8 bytes), in HDF5's name order."""
        key = (parent.name if parent is not None else None, name, kind)
        try:
            return self.wants_bytes[key]
        except KeyError:
            pass
        names = self.wanted(parent, name, kind)
        found = None if names is None else tuple(sorted(n.encode("utf-8") for n in names))
        if len(self.wants_bytes) > 100_000:
            self.wants_bytes.clear()  # bounded, whatever the file
        self.wants_bytes[key] = found
        return found

    def _id(self, obj: LibraryHandle) -> LibraryHandle:
        return obj.id if isinstance(obj, self.h5py.HLObject) else obj

    def _hl(self, oid: LibraryHandle) -> LibraryHandle:
        """The h5py object of an id (for the backend's generic calls)."""
        if isinstance(oid, self.h5py.HLObject):
            return oid
        if isinstance(oid, self.h5d.DatasetID):
            return self.h5py.Dataset(oid, readonly=True)
        if isinstance(oid, self.h5g.GroupID):
            return self.h5py.Group(oid)
        return self.h5py.Datatype(oid)

    def key(self, obj: LibraryHandle, path: str) -> Hashable:
        try:
            info = self.h5o.get_info(self._id(obj))
            return (info.fileno, info.addr)
        except Exception:
            return path

    def children(self, group: LibraryHandle) -> list[tuple[str, LibraryHandle]]:
        gid = self._id(group)
        links: list[tuple[bytes, int]] = []
        try:
            gid.links.iterate(lambda n, info: links.append((n, info.type)), info=True)
        except Exception:
            return super().children(self._hl(gid))  # its error message, or its answer
        external = self.h5l.TYPE_EXTERNAL
        out: list[tuple[str, bytes, LibraryHandle]] = []
        for bname, kind in links:
            if kind == external and not cast(_H5pyStore, self.be)._follows_external(gid):
                continue  # another file: as the backend, only when asked for
            try:
                oid = self.h5o.open(gid, bname)
            except (KeyError, ValueError, RuntimeError):
                continue  # a dangling or looping soft link: no node
            out.append((_name_text(bname), bname, oid))  # shown with escapes if not UTF-8
        # by shown name, then (equal only with undecodable bytes) as the backend sorts
        out.sort(key=lambda t: t[0])
        if any(a[0] == b[0] for a, b in itertools.pairwise(out)):
            out.sort(key=lambda t: (t[0], t[1].decode("utf-8", "surrogateescape")))
        return [(text, oid) for text, _, oid in out]

    def load(
        self, obj: LibraryHandle, path: str, name: str, parent: NodeSpec | None, top: bool
    ) -> TreeNode:
        oid = self._id(obj)
        try:
            node = self._load_fast(oid, path, name, parent)
        except Exception:
            node = None
        if node is None:  # not a group or a plain array, or unreadable: the generic way
            return super().load(self._hl(oid), path, name, parent, top)
        return node

    def _node_class(self, dsid: LibraryHandle) -> str:
        from h5py import h5s, h5t

        from h5layout.runtime.storage.backends import CARRAY_CLASS, EARRAY_CLASS, VLARRAY_CLASS

        tid = dsid.get_type()
        kind = tid.get_class()
        if kind in (h5t.VLEN, h5t.REFERENCE) or (kind == h5t.STRING and tid.is_variable_str()):
            return VLARRAY_CLASS
        space = dsid.get_space()
        if space.get_simple_extent_type() == h5s.SIMPLE:
            maxdims = space.get_simple_extent_dims(True)
            if maxdims and maxdims[0] == h5s.UNLIMITED:
                return EARRAY_CLASS
        return CARRAY_CLASS

    def _load_fast(
        self, oid: LibraryHandle, path: str, name: str, parent: NodeSpec | None
    ) -> TreeNode | None:
        is_group = isinstance(oid, self.h5g.GroupID)
        if is_group:
            node = TreeNode(path, name, "group", "GROUP")
        elif isinstance(oid, self.h5d.DatasetID):
            node = TreeNode(path, name, "array", self._node_class(oid))
        else:
            return None
        names: list[bytes] = []
        self.h5py.h5a.iterate(oid, names.append)
        only = self.wanted_bytes(parent if path != "/" else None, name, node.kind)
        raw: dict[str, LibraryValue] = {}
        hl = None
        for bname in names:
            if only is not None and bname not in only:
                continue
            text = _name_text(bname)
            try:
                value = self.read_str(oid, bname.decode("utf-8"))
            except Exception:
                value = self.other
            if value is self.other:  # not a scalar string, or an error: the generic read
                if hl is None:
                    hl = self._hl(oid)
                try:
                    value = self.be.get_attr(hl, bname.decode("utf-8", "surrogateescape"))
                except Exception as exc:
                    node.error = f"cannot read attribute {text!r}: {exc}"
                    continue
            raw[text] = value
        self.finish(node, raw, parent)
        if not is_group:
            try:
                node.shape = tuple(int(n) for n in oid.shape)
                dt = oid.dtype
                base = self.h5py.check_vlen_dtype(dt)
                node.dtype = str(np.dtype(base if base is not None else dt))
                dcpl = oid.get_create_plist()
                chunked = dcpl.get_layout() == self.h5d.CHUNKED
                node.chunks = tuple(dcpl.get_chunk()) if chunked else None
            except Exception:
                return None
        return node


class _CWalker(_H5pyWalker):
    """The walk of an h5py file through HDF5's C functions (ctypes, through
    :mod:`h5layout.runtime.storage.backends.h5capi`).

    What :class:`_H5pyWalker` does, without h5py's per-call objects: objects are plain
    integer ids the walk closes itself, a plain tree opens its few attributes by name,
    scalar string attributes are read into a pointer and decoded as h5py decodes them,
    and an array's class, shape, dtype and chunks come from its type, dataspace and
    creation list (the dtype text asked of h5py once per distinct type). Anything else,
    and every failure, goes to h5py for that node or attribute, so the tree and its
    messages stay the generic walk's. The walk holds h5py's lock throughout.
    """

    def __init__(
        self, backend: Backend, spec: LayoutSpec | None, only: frozenset[str] | None, api: CApi
    ) -> None:
        super().__init__(backend, spec, only)
        from h5layout.runtime.storage.backends import h5capi

        self.api = api
        self.c_other = h5capi.OTHER
        self.texts: dict[bytes, str] = {}  # attribute names as shown (a file repeats them)
        self.c_group, self.c_dataset = h5capi.H5I_GROUP, h5capi.H5I_DATASET

    def _hid(self, obj: LibraryHandle) -> int:
        if type(obj) is int:
            return obj
        return int(self._id(obj).id)  # an h5py object or low-level id (not ours to close)

    def _wrap(self, obj: LibraryHandle) -> LibraryHandle:
        """The h5py object of ``obj`` (a new reference for an id of ours)."""
        if type(obj) is not int:
            return self._hl(self._id(obj))
        self.api.inc_ref(obj)
        return self._hl(self.h5py.h5i.wrap_identifier(obj))

    def release(self, obj: LibraryHandle) -> None:
        if type(obj) is int:
            self.api.close(obj)

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        # h5py's lock: no h5py call of another thread enters HDF5 while this one does
        from h5py._objects import phil

        with phil:
            try:
                yield
            finally:
                self.api.release()

    def key(self, obj: LibraryHandle, path: str) -> Hashable:
        found = self.api.key(self._hid(obj))
        return path if found is None else found

    def children(self, group: LibraryHandle) -> list[tuple[str, LibraryHandle]]:
        api = self.api
        gid = self._hid(group)
        links = api.links(gid)
        if links is None or any(kind == self.h5l.TYPE_EXTERNAL for _, kind in links):
            return self._h5py_children(group)  # an error, or another file: h5py decides
        out: list[tuple[str, bytes, int]] = []
        for bname, _ in links:
            oid = api.open(gid, bname)
            if oid < 0:  # dangling or looping soft link, or worse: h5py decides
                for _, _, done in out:
                    api.close(done)
                return self._h5py_children(group)
            out.append((_name_text(bname), bname, oid))
        # by shown name, then (equal only with undecodable bytes) as the backend sorts
        out.sort(key=lambda t: t[0])
        if any(a[0] == b[0] for a, b in itertools.pairwise(out)):
            out.sort(key=lambda t: (t[0], t[1].decode("utf-8", "surrogateescape")))
        return [(text, oid) for text, _, oid in out]

    def _h5py_children(self, group: LibraryHandle) -> list[tuple[str, LibraryHandle]]:
        hl = self._wrap(group)
        return super().children(hl)

    def load(
        self, obj: LibraryHandle, path: str, name: str, parent: NodeSpec | None, top: bool
    ) -> TreeNode:
        try:
            node = self._load_c(self._hid(obj), path, name, parent)
        except Exception:
            node = None
        if node is None:  # not a group or a plain array, or unreadable: the generic way
            return _Walker.load(self, self._wrap(obj), path, name, parent, top)
        return node

    def _dtype_text(self, oid: int) -> str:
        dt = self._wrap(oid).dtype
        base = self.h5py.check_vlen_dtype(dt)
        return str(np.dtype(base if base is not None else dt))

    def _load_c(self, oid: int, path: str, name: str, parent: NodeSpec | None) -> TreeNode | None:
        api = self.api
        kind = api.kind(oid)
        if kind == self.c_group:
            node = TreeNode(path, name, "group", "GROUP")
        elif kind == self.c_dataset:
            meta = api.array_meta(oid, lambda: self._dtype_text(oid))
            if meta is None:
                return None
            vlen, unlimited, shape, chunks, dtype = meta
            node_class = "VLARRAY" if vlen else "EARRAY" if unlimited else "CARRAY"
            node = TreeNode(path, name, "array", node_class, shape=shape, dtype=dtype)
            node.chunks = chunks
        else:
            return None
        only = self.wanted_bytes(parent if path != "/" else None, name, node.kind)
        if only is None:
            names = api.attr_names(oid)
            values = None if names is None else api.read_attrs(oid, names, False)
        else:
            values = api.read_attrs(oid, only, True)
        if values is None:
            return None
        raw: dict[str, LibraryValue] = {}
        hl = None
        other = self.c_other
        texts = self.texts
        for bname, value in values:
            text = texts.get(bname)
            if text is None:
                text = _name_text(bname)
                if len(texts) < 10_000:
                    texts[bname] = text
            if value is other:  # not a scalar string, or an error: h5py reads it
                if hl is None:
                    hl = self._wrap(oid)
                try:
                    value = self.be.get_attr(hl, bname.decode("utf-8", "surrogateescape"))
                except Exception as exc:
                    node.error = f"cannot read attribute {text!r}: {exc}"
                    continue
            raw[text] = value
        self.finish(node, raw, parent)
        return node
