"""The tree a reader sees (:class:`TreeNode`) and the generic walk that reads it.

:class:`_Walker` reads a file through the :class:`~h5layout.runtime.storage.backends.Backend`
interface, whatever the backend, and names each node's layout node type (:func:`classify`);
the h5py walks (:mod:`._tree_h5py`) only replace how it reads. :mod:`.tree` is the public
face (:func:`~h5layout.runtime.tools.tree.load_tree`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from h5layout.runtime.codec.attrs import decode_json, decode_raw, read_attr
from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec
from h5layout.runtime.storage.backends import LibraryHandle, LibraryValue

if TYPE_CHECKING:
    from h5layout.runtime.storage.backends import Backend

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


@dataclass(slots=True)
class TreeAttr:
    """One attribute: its decoded value, how it is stored, and what the layout says."""

    value: object
    encoding: str  # 'json' (pymodaq envelope) | 'native'
    units: str | None = None  # from the layout's attribute declaration
    declared: bool = False


@dataclass(slots=True)
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

    def value(self, name: str, default: object = None) -> object:
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


_ABSENT: Final = object()


def _name_score(spec: NodeSpec, name: str) -> int:
    naming = spec.naming
    if naming.fixed is None and naming.pattern is None:
        return 0
    if naming.fixed == "/":
        return -1
    if naming.counter_text(name) is not None:
        return 2 if naming.pattern is None else 1
    return -1


def _equal(value: object, want: object) -> bool:
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


def _matches(match: Mapping[str, object], attrs: Mapping[str, object]) -> bool:
    for key, want in match.items():
        if not _equal(attrs.get(key, _ABSENT), want):
            return False
    return True


def _pick(fits: tuple[_Fit, ...], attrs: Mapping[str, object]) -> NodeSpec | None:
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
    spec: LayoutSpec, parent: NodeSpec | None, name: str, kind: str, attrs: Mapping[str, object]
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


def _encoding_of(raw: LibraryValue) -> str:
    text = decode_raw(raw)
    return _ENVELOPE if isinstance(text, str) and _is_envelope_text(text) else "native"


#: decoded values one cached entry may hand to every node (nothing mutable)
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _decode_text(value: str) -> tuple[object, str, bool]:
    """A string attribute's decoded value, its encoding, and whether that value may be
    shared by every node storing the same text (immutable)."""
    encoding = _ENVELOPE if _is_envelope_text(value) else "native"
    try:
        decoded = decode_json(value)
    except Exception:
        decoded = value
    plain = type(decoded) in _PLAIN or (
        type(decoded) is tuple and all(type(v) in _PLAIN for v in decoded)
    )
    return decoded, encoding, plain


def _identity(obj: LibraryHandle, path: str) -> Hashable:
    try:
        return hash(obj.id)  # h5py and h5pyd hash (file, object address)
    except (AttributeError, TypeError, ValueError, OSError, RuntimeError):
        pass
    try:  # PyTables follows hard-link cycles too: its nodes' addresses tell
        return ("tables", id(obj._v_file), obj._get_obj_info().addr)
    except (AttributeError, TypeError, ValueError, OSError, RuntimeError):
        return path


class _Walker:
    def __init__(
        self, backend: Backend, spec: LayoutSpec | None, only: frozenset[str] | None
    ) -> None:
        self.be = backend
        self.spec = spec
        self.only = only
        self.seen: set[Hashable] = set()
        # the types whose naming fits, by (parent type, name, kind): a file repeats the
        # same names under every scan and detector
        self.fitting: dict[tuple[str, str, str], tuple[_Fit, ...]] = {}
        self.wants: dict[tuple[str | None, str, str], frozenset[str]] = {}
        # string attributes decoded, by stored text (see _decode_text): a file repeats them
        self.decoded: dict[str, tuple[object, str, bool]] = {}

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

    def key(self, obj: LibraryHandle, path: str) -> Hashable:
        """What tells two links to the same object apart from two objects."""
        return _identity(obj, path)

    def load(
        self, obj: LibraryHandle, path: str, name: str, parent: NodeSpec | None, top: bool
    ) -> TreeNode:
        be = self.be
        try:
            is_group = be.is_group(obj)
            node_class = be.node_class(obj)
        except Exception as exc:
            return TreeNode(path, name, "array", "?", error=f"cannot read the node: {exc}")
        kind = "group" if is_group else "array"
        node = TreeNode(path, name, kind, node_class)
        raw: dict[str, LibraryValue] = {}
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

    def finish(self, node: TreeNode, raw: dict[str, LibraryValue], parent: NodeSpec | None) -> None:
        """Decode the raw attributes and name the node's layout node type."""
        decoded: dict[str, object] = {}
        encodings: dict[str, str] = {}
        known = self.decoded
        for text, value in raw.items():
            if type(value) is str:  # nearly all: read_attr and _encoding_of, shortened
                found = known.get(value)
                if found is None:
                    found = _decode_text(value)
                    if found[2] and len(known) < 10_000:
                        known[value] = found
                decoded[text], encodings[text] = found[0], found[1]
                continue
            encodings[text] = _encoding_of(value)
            try:
                decoded[text] = read_attr(value)
            except Exception:
                decoded[text] = decode_raw(value)
        spec = self.spec
        node_spec: NodeSpec | None = None
        if spec is not None:
            if node.path == "/":
                node_spec = spec.nodes.get(spec.root)
            elif parent is not None:
                node_spec = _pick(self.fits(spec, parent, node.name, node.kind), decoded)
        attrs = node.attrs
        if node_spec is None or not node_spec.attrs:
            for text, value in decoded.items():
                attrs[text] = TreeAttr(value, encodings[text])
        else:
            declared = node_spec.attrs
            for text, value in decoded.items():
                aspec = declared.get(text)
                if aspec is None:
                    attrs[text] = TreeAttr(value, encodings[text])
                else:
                    attrs[text] = TreeAttr(value, encodings[text], aspec.units, True)
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

    def children(self, group: LibraryHandle) -> list[tuple[str, LibraryHandle]]:
        """A group's members as (name, object), sorted by name."""
        children = self.be.children(group)
        # h5py gives bytes for names not in UTF-8
        return [(_name_text(n), children[n]) for n in sorted(children, key=_name_text)]

    def release(self, obj: LibraryHandle) -> None:
        """Done with an object the walk opened (the C walk closes its ids)."""

    def session(self) -> contextlib.AbstractContextManager[None]:
        """What the whole walk runs inside (the C walk: h5py's lock)."""
        return contextlib.nullcontext()

    def walk(
        self, obj: LibraryHandle, node: TreeNode, node_spec: NodeSpec | None, depth: int
    ) -> None:
        """Load the children of a group node, depth first, each object once (ids an
        exception leaves open are closed with the file)."""
        stack: list[tuple[LibraryHandle, TreeNode, NodeSpec | None, int]] = [
            (obj, node, node_spec, depth)
        ]
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
        self, g_obj: LibraryHandle, g_node: TreeNode, g_spec: NodeSpec | None, d: int
    ) -> list[tuple[LibraryHandle, TreeNode, NodeSpec | None, int]]:
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
        prefix = g_node.path.rstrip("/") + "/"
        for name, child_obj in children:
            path = prefix + name
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
