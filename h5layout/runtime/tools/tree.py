"""The node tree of a file as a reader sees it: what ``h5layout inspect`` prints.

:func:`load_tree` walks a file through the :class:`~h5layout.runtime.storage.backends.Backend`
interface (so h5py, PyTables and h5pyd files read the same way), reads every node's
attributes and array metadata — never the data — and names each node's layout node type
the way the file checker recognises it (candidates from the parent's type, a name that
fits the naming rule, ``match`` values; the most specific wins). The walk visits each HDF5
object once, so hard-link cycles end, and a node that cannot be read is reported in
:attr:`TreeNode.error` instead of stopping the walk.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from h5layout.runtime.codec.attrs import decode_json, decode_raw, read_attr
from h5layout.runtime.errors import FileAccessError, NodeError
from h5layout.runtime.layout.spec import AttrSpec, LayoutSpec, NodeSpec

#: deepest nesting the walk follows (a guard against pathological files)
MAX_DEPTH = 256
#: attributes a tree line shows; ``load_tree(full=False)`` reads only these (and the
#: layout's ``match`` keys), about half of a PyMoDAQ array's attributes
SUMMARY_ATTRS = frozenset(
    {"TITLE", "type", "data_type", "data_dimension", "distribution", "label", "units",
     "nav_indexes"}
)  # fmt: skip

#: of those, what a group's and an array's line shows (the rest are match keys)
_SHOWN = {
    "group": frozenset({"TITLE", "type"}),
    "array": frozenset({"TITLE", "data_dimension", "distribution", "label", "units",
                        "nav_indexes"}),
}  # fmt: skip


@dataclass
class TreeAttr:
    """One attribute: its decoded value, how it is stored, and what the layout says."""

    value: Any
    encoding: str  # 'json' (pymodaq envelope) | 'native'
    units: str | None = None  # from the layout's attribute declaration
    declared: bool = False


@dataclass
class TreeNode:
    """One node of a file, with the layout node type it was recognised as."""

    path: str
    name: str
    kind: str  # 'group' | 'array'
    node_class: str  # GROUP | CARRAY | EARRAY | VLARRAY
    node_type: str | None = None
    role: str | None = None
    attrs: dict[str, TreeAttr] = field(default_factory=dict)
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    chunks: tuple[int, ...] | None = None
    children: list[TreeNode] = field(default_factory=list)
    error: str | None = None

    def value(self, name: str, default: Any = None) -> Any:
        """The decoded value of an attribute, or ``default``."""
        attr = self.attrs.get(name)
        return default if attr is None else attr.value

    @property
    def title(self) -> str:
        """The ``TITLE`` attribute as text ('' when absent)."""
        value = self.value("TITLE", "")
        return value if isinstance(value, str) else str(value)

    def walk(self) -> Iterator[TreeNode]:
        """This node and every node below it, depth first."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find(self, path: str) -> TreeNode | None:
        """The node at an absolute path below this one, or None."""
        for node in self.walk():
            if node.path == path:
                return node
        return None


@dataclass
class FileTree:
    """A file's tree with the layout it was read against."""

    file: str
    backend: str
    layout: LayoutSpec | None
    root: TreeNode


_ABSENT: Any = object()


def _name_score(spec: NodeSpec, name: str) -> int:
    naming = spec.naming
    if naming.fixed is None and naming.pattern is None:
        return 0
    if naming.fixed == "/":
        return -1
    if naming.counter_text(name) is not None:
        return 2 if naming.pattern is None else 1
    return -1


def _equal(value: Any, want: Any) -> bool:
    if value is _ABSENT:
        return False
    try:
        return bool(value == want)
    except (TypeError, ValueError):
        return False


#: a child type whose naming fits a name, with how well (see _name_score)
_Fit = tuple[int, NodeSpec]


def _fits(spec: LayoutSpec, parent: NodeSpec, name: str, kind: str) -> tuple[_Fit, ...]:
    """The parent's child types of ``kind`` whose naming fits ``name``, in declared order."""
    found = []
    for type_name in parent.children:
        cand = spec.nodes.get(type_name)
        if cand is None or cand.kind != kind:
            continue
        score = _name_score(cand, name)
        if score >= 0:
            found.append((score, cand))
    return tuple(found)


def _matches(match: Mapping[str, Any], attrs: Mapping[str, Any]) -> bool:
    for key, want in match.items():
        if not _equal(attrs.get(key, _ABSENT), want):
            return False
    return True


def _pick(fits: tuple[_Fit, ...], attrs: Mapping[str, Any]) -> NodeSpec | None:
    """:func:`classify`'s choice among the types whose naming fits."""
    if len(fits) == 1 and (fits[0][0] > 0 or not fits[0][1].match):
        return fits[0][1]  # the one type named so: whether its match holds or not
    best: tuple[int, NodeSpec] | None = None
    fallback: tuple[int, NodeSpec] | None = None
    for score, cand in fits:
        if _matches(cand.match, attrs):
            total = score + len(cand.match)
            if best is None or total > best[0]:
                best = (total, cand)
        elif score > 0 and (fallback is None or score > fallback[0]):
            fallback = (score, cand)
    if best is not None:
        return best[1]
    return fallback[1] if fallback is not None else None


def _needed(fits: tuple[_Fit, ...]) -> set[str]:
    """The attributes :func:`_pick` reads to choose among ``fits`` (none when it cannot
    depend on them: no type fits, or exactly one fits by its naming rule, which it is
    whether its ``match`` holds or not)."""
    if not fits or (len(fits) == 1 and (fits[0][0] > 0 or not fits[0][1].match)):
        return set()
    return {k for _, cand in fits for k in cand.match}


def classify(
    spec: LayoutSpec, parent: NodeSpec | None, name: str, kind: str, attrs: Mapping[str, Any]
) -> NodeSpec | None:
    """The node type a child called ``name`` of a ``parent``-typed group is, or None.

    ``attrs`` are the child's decoded attribute values. Among the parent's child types of
    the right kind whose naming fits, the one whose ``match`` values all hold and which is
    most specific wins; a node named like a type whose ``match`` fails is still that type.
    """
    if parent is None:
        return None
    return _pick(_fits(spec, parent, name, kind), attrs)


def match_keys_needed(spec: LayoutSpec, parent: NodeSpec, name: str, kind: str) -> set[str]:
    """The attributes :func:`classify` reads to type a child ``name`` of a ``parent`` group:
    the ``match`` keys of every type whose naming fits, or none when the name decides."""
    return _needed(_fits(spec, parent, name, kind))


def _name_text(name: str | bytes) -> str:
    if isinstance(name, str):
        # the backends give names that are not UTF-8 with lone surrogates (round-trip)
        name = name.encode("utf-8", "surrogateescape")
    return name.decode("utf-8", "backslashreplace")


_ENVELOPE = "json"


def _is_envelope_text(text: str) -> bool:
    return text.startswith('{"module": ') and '"data": ' in text


def _encoding_of(raw: Any) -> str:
    text = decode_raw(raw)
    return _ENVELOPE if isinstance(text, str) and _is_envelope_text(text) else "native"


def _identity(obj: Any, path: str) -> Any:
    try:
        return hash(obj.id)  # h5py and h5pyd hash (file, object address)
    except (AttributeError, TypeError, ValueError, OSError, RuntimeError):
        pass
    try:  # PyTables follows hard-link cycles too: its nodes' addresses tell
        return ("tables", id(obj._v_file), obj._get_obj_info().addr)
    except (AttributeError, TypeError, ValueError, OSError, RuntimeError):
        return path


class _Walker:
    def __init__(self, backend: Any, spec: LayoutSpec | None, only: frozenset[str] | None) -> None:
        self.be = backend
        self.spec = spec
        self.only = only
        self.seen: set[Any] = set()
        # the types whose naming fits, by (parent type, name, kind): a file repeats the
        # same names under every scan and detector
        self.fitting: dict[tuple[str, str, str], tuple[_Fit, ...]] = {}
        self.wants: dict[tuple[str | None, str, str], frozenset[str]] = {}

    def wanted(self, parent: NodeSpec | None, name: str, kind: str) -> frozenset[str] | None:
        """The attributes to read of a ``kind`` node called ``name`` below a ``parent``-typed
        group (None: all).

        With ``only`` (a plain tree): what the node's line shows, and the ``match`` keys of
        the node types it can be only when its name does not already decide which it is, so
        its node type is the one all attributes would give.
        """
        if self.only is None:
            return None
        key = (parent.name if parent is not None else None, name, kind)
        found = self.wants.get(key)
        if found is None:
            keys = set(_SHOWN[kind])
            if parent is not None and self.spec is not None:
                keys.update(_needed(self.fits(self.spec, parent, name, kind)))
            if len(self.wants) > 100_000:
                self.wants.clear()  # bounded, whatever the file
            found = self.wants[key] = frozenset(keys) & self.only
        return found

    def key(self, obj: Any, path: str) -> Any:
        """What tells two links to the same object apart from two objects."""
        return _identity(obj, path)

    def load(self, obj: Any, path: str, name: str, parent: NodeSpec | None, top: bool) -> TreeNode:
        be = self.be
        try:
            is_group = be.is_group(obj)
            node_class = be.node_class(obj)
        except Exception as exc:
            return TreeNode(path, name, "array", "?", error=f"cannot read the node: {exc}")
        kind = "group" if is_group else "array"
        node = TreeNode(path, name, kind, node_class)
        raw: dict[str, Any] = {}
        try:
            names = be.attr_names(obj)
        except Exception as exc:
            node.error = f"cannot list attributes: {exc}"
            names = []
        wanted = self.wanted(parent if path != "/" else None, name, kind)
        if wanted is not None:
            names = [n for n in names if n in wanted]
        for key in names:
            text = _name_text(key)
            try:
                raw[text] = be.get_attr(obj, key)
            except Exception as exc:
                node.error = f"cannot read attribute {text!r}: {exc}"
        self.finish(node, raw, parent)
        if not is_group:
            try:
                node.shape = tuple(int(n) for n in be.shape(obj))
                node.dtype = str(be.dtype(obj))
                node.chunks = be.chunks(obj)
            except Exception as exc:
                node.error = f"cannot read the array's metadata: {exc}"
        return node

    def finish(self, node: TreeNode, raw: dict[str, Any], parent: NodeSpec | None) -> None:
        """Decode the raw attributes and name the node's layout node type."""
        decoded: dict[str, Any] = {}
        encodings: list[str] = []
        for text, value in raw.items():
            if type(value) is str:  # nearly all: read_attr and _encoding_of, shortened
                encodings.append(_ENVELOPE if _is_envelope_text(value) else "native")
                try:
                    decoded[text] = decode_json(value)
                except Exception:
                    decoded[text] = value
                continue
            encodings.append(_encoding_of(value))
            try:
                decoded[text] = read_attr(value)
            except Exception:
                decoded[text] = decode_raw(value)
        spec = self.spec
        node_spec: NodeSpec | None = None
        if spec is not None:
            if node.path == "/":
                node_spec = spec.nodes.get(spec.root)
            else:
                node_spec = self.classify(spec, parent, node, decoded)
        declared: Mapping[str, AttrSpec] = node_spec.attrs if node_spec is not None else {}
        attrs = node.attrs
        for (text, value), encoding in zip(decoded.items(), encodings, strict=True):
            aspec = declared.get(text)
            if aspec is None:
                attrs[text] = TreeAttr(value, encoding)
            else:
                attrs[text] = TreeAttr(value, encoding, aspec.units, True)
        if node_spec is not None:
            node.node_type, node.role = node_spec.name, node_spec.role

    def fits(self, spec: LayoutSpec, parent: NodeSpec, name: str, kind: str) -> tuple[_Fit, ...]:
        """:func:`_fits`, remembered."""
        key = (parent.name, name, kind)
        found = self.fitting.get(key)
        if found is None:
            if len(self.fitting) > 100_000:
                self.fitting.clear()  # bounded, whatever the file
            found = self.fitting[key] = _fits(spec, parent, name, kind)
        return found

    def classify(
        self, spec: LayoutSpec, parent: NodeSpec | None, node: TreeNode, decoded: dict[str, Any]
    ) -> NodeSpec | None:
        """:func:`classify`, with the fitting types remembered by name."""
        if parent is None:
            return None
        return _pick(self.fits(spec, parent, node.name, node.kind), decoded)

    def children(self, group: Any) -> list[tuple[str, Any]]:
        """A group's members as (name, object), sorted by name."""
        children = self.be.children(group)
        # h5py gives bytes for names not in UTF-8
        return [(_name_text(n), children[n]) for n in sorted(children, key=_name_text)]

    def release(self, obj: Any) -> None:
        """Done with an object the walk opened (the C walk closes its ids)."""

    def session(self) -> contextlib.AbstractContextManager[Any]:
        """What the whole walk runs inside (the C walk: h5py's lock)."""
        return contextlib.nullcontext()

    def walk(self, obj: Any, node: TreeNode, node_spec: NodeSpec | None, depth: int) -> None:
        """Load the children of a group node, depth first, each object once (ids an
        exception leaves open are closed with the file)."""
        stack: list[tuple[Any, TreeNode, NodeSpec | None, int]] = [(obj, node, node_spec, depth)]
        try:
            while stack:
                g_obj, g_node, g_spec, d = stack.pop()
                try:
                    stack.extend(reversed(self.walk_group(g_obj, g_node, g_spec, d)))
                finally:
                    self.release(g_obj)
        finally:
            for item in stack:
                self.release(item[0])

    def walk_group(
        self, g_obj: Any, g_node: TreeNode, g_spec: NodeSpec | None, d: int
    ) -> list[tuple[Any, TreeNode, NodeSpec | None, int]]:
        """Load one group's children; the groups among them, to walk next."""
        if d >= MAX_DEPTH:
            g_node.error = f"deeper than {MAX_DEPTH} levels: not followed"
            return []
        try:
            children = self.children(g_obj)
        except Exception as exc:
            g_node.error = f"cannot list the group: {exc}"
            return []
        pending = []
        for name, child_obj in children:
            path = f"{g_node.path.rstrip('/')}/{name}"
            key = self.key(child_obj, path)
            if key in self.seen:
                self.release(child_obj)
                continue  # a second hard link to an object already shown (or a cycle)
            self.seen.add(key)
            child = self.load(child_obj, path, name, g_spec, False)
            g_node.children.append(child)
            if child.kind != "group":
                self.release(child_obj)
                continue
            child_spec = (
                self.spec.nodes.get(child.node_type)
                if (self.spec is not None and child.node_type is not None)
                else None
            )
            pending.append((child_obj, child, child_spec, d + 1))
        return pending


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

    def __init__(self, backend: Any, spec: LayoutSpec | None, only: frozenset[str] | None) -> None:
        super().__init__(backend, spec, only)
        import h5py
        from h5py import h5d, h5g, h5l, h5o

        from h5layout.runtime.storage.backends import _h5py

        self.h5py, self.h5d, self.h5g, self.h5l, self.h5o = h5py, h5d, h5g, h5l, h5o
        self.read_str = _h5py._read_vlen_str_attr
        self.other = _h5py._OTHER
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

    def _id(self, obj: Any) -> Any:
        return obj.id if isinstance(obj, self.h5py.HLObject) else obj

    def _hl(self, oid: Any) -> Any:
        """The h5py object of an id (for the backend's generic calls)."""
        if isinstance(oid, self.h5py.HLObject):
            return oid
        if isinstance(oid, self.h5d.DatasetID):
            return self.h5py.Dataset(oid, readonly=True)
        if isinstance(oid, self.h5g.GroupID):
            return self.h5py.Group(oid)
        return self.h5py.Datatype(oid)

    def key(self, obj: Any, path: str) -> Any:
        try:
            info = self.h5o.get_info(self._id(obj))
            return (info.fileno, info.addr)
        except Exception:
            return path

    def children(self, group: Any) -> list[tuple[str, Any]]:
        gid = self._id(group)
        links: list[tuple[bytes, int]] = []
        try:
            gid.links.iterate(lambda n, info: links.append((n, info.type)), info=True)
        except Exception:
            return super().children(self._hl(gid))  # its error message, or its answer
        external = self.h5l.TYPE_EXTERNAL
        out: list[tuple[str, str, Any]] = []
        for bname, kind in links:
            if kind == external and not self.be._follows_external(gid):
                continue  # another file: as the backend, only when asked for
            try:
                oid = self.h5o.open(gid, bname)
            except (KeyError, ValueError, RuntimeError):
                continue  # a dangling or looping soft link: no node
            # names not in UTF-8 as the backend gives them, then shown with escapes
            out.append((_name_text(bname), bname.decode("utf-8", "surrogateescape"), oid))
        out.sort(key=lambda t: (t[0], t[1]))
        return [(text, oid) for text, _, oid in out]

    def load(self, obj: Any, path: str, name: str, parent: NodeSpec | None, top: bool) -> TreeNode:
        oid = self._id(obj)
        try:
            node = self._load_fast(oid, path, name, parent)
        except Exception:
            node = None
        if node is None:  # not a group or a plain array, or unreadable: the generic way
            return super().load(self._hl(oid), path, name, parent, top)
        return node

    def _node_class(self, dsid: Any) -> str:
        from h5py import h5s, h5t

        from h5layout.runtime.storage.backends import _base

        tid = dsid.get_type()
        kind = tid.get_class()
        if kind in (h5t.VLEN, h5t.REFERENCE) or (kind == h5t.STRING and tid.is_variable_str()):
            return _base.VLARRAY_CLASS
        space = dsid.get_space()
        if space.get_simple_extent_type() == h5s.SIMPLE:
            maxdims = space.get_simple_extent_dims(True)
            if maxdims and maxdims[0] == h5s.UNLIMITED:
                return _base.EARRAY_CLASS
        return _base.CARRAY_CLASS

    def _load_fast(
        self, oid: Any, path: str, name: str, parent: NodeSpec | None
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
        raw: dict[str, Any] = {}
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
    """The walk of an h5py file through HDF5's C functions (:mod:`._h5capi`, ctypes).

    What :class:`_H5pyWalker` does, without h5py's per-call objects: objects are plain
    integer ids the walk closes itself, a plain tree opens its few attributes by name,
    scalar string attributes are read into a pointer and decoded as h5py decodes them,
    and an array's class, shape, dtype and chunks come from its type, dataspace and
    creation list (the dtype text asked of h5py once per distinct type). Anything else,
    and every failure, goes to h5py for that node or attribute, so the tree and its
    messages stay the generic walk's. The walk holds h5py's lock throughout.
    """

    def __init__(
        self, backend: Any, spec: LayoutSpec | None, only: frozenset[str] | None, api: Any
    ) -> None:
        super().__init__(backend, spec, only)
        from h5layout.runtime.storage.backends import _h5capi

        self.api = api
        self.c_other = _h5capi.OTHER
        self.texts: dict[bytes, str] = {}  # attribute names as shown (a file repeats them)
        self.c_group, self.c_dataset = _h5capi._H5I_GROUP, _h5capi._H5I_DATASET

    def _hid(self, obj: Any) -> int:
        if type(obj) is int:
            return obj
        return int(self._id(obj).id)  # an h5py object or low-level id (not ours to close)

    def _wrap(self, obj: Any) -> Any:
        """The h5py object of ``obj`` (a new reference for an id of ours)."""
        if type(obj) is not int:
            return self._hl(self._id(obj))
        self.api.inc_ref(obj)
        return self._hl(self.h5py.h5i.wrap_identifier(obj))

    def release(self, obj: Any) -> None:
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

    def key(self, obj: Any, path: str) -> Any:
        found = self.api.key(self._hid(obj))
        return path if found is None else found

    def children(self, group: Any) -> list[tuple[str, Any]]:
        api = self.api
        gid = self._hid(group)
        links = api.links(gid)
        if links is None or any(kind == self.h5l.TYPE_EXTERNAL for _, kind in links):
            return self._h5py_children(group)  # an error, or another file: h5py decides
        out: list[tuple[str, str, int]] = []
        for bname, _ in links:
            oid = api.open(gid, bname)
            if oid < 0:  # dangling or looping soft link, or worse: h5py decides
                for _, _, done in out:
                    api.close(done)
                return self._h5py_children(group)
            out.append((_name_text(bname), bname.decode("utf-8", "surrogateescape"), oid))
        out.sort(key=lambda t: (t[0], t[1]))
        return [(text, oid) for text, _, oid in out]

    def _h5py_children(self, group: Any) -> list[tuple[str, Any]]:
        hl = self._wrap(group)
        return super().children(hl)

    def load(self, obj: Any, path: str, name: str, parent: NodeSpec | None, top: bool) -> TreeNode:
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
        raw: dict[str, Any] = {}
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


def _open(path: str, backend: str) -> tuple[Any, Any]:
    from h5layout.runtime.storage.backends import get_backend

    be = get_backend(backend)
    if be.local_files and not os.path.isfile(path):
        raise FileAccessError(f"{path}: no such file")
    try:
        kwargs: dict[str, Any] = {"locking": False} if backend == "h5py" else {}
        file = be.open(path, "r", title="", swmr_mode=False, **kwargs)
    except FileAccessError:
        raise
    except Exception as exc:  # each library has its own exceptions for a bad file
        raise FileAccessError(f"{path}: cannot open: {exc}") from exc
    return be, file


def _walker(be: Any, root: Any, layout: LayoutSpec | None, only: frozenset[str] | None) -> _Walker:
    """The fastest walk that reads this backend's file the generic walk's way."""
    if be.name != "h5py":
        return _Walker(be, layout, only)
    from h5layout.runtime.storage.backends._h5capi import capi

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
    only the attributes a tree line shows (:data:`SUMMARY_ATTRS` and the layout's
    ``match`` keys), which halves the reads on PyMoDAQ files. Raises
    :class:`FileAccessError` when the file cannot be opened and :class:`NodeError` when
    ``node`` is not in it.
    """
    text = os.fspath(path)
    be, file = _open(text, backend)
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
        try:
            be.close(file)
        except Exception:
            pass


def _spec(layout: LayoutSpec | None, node: TreeNode) -> NodeSpec | None:
    if layout is None or node.node_type is None:
        return None
    return layout.nodes.get(node.node_type)


def jsonable(value: Any) -> Any:
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
