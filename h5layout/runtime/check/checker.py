"""Walking one open file through its storage backend and checking every node against a
resolved layout.

:class:`Checker` is the engine behind :func:`h5layout.runtime.check.validate.validate_file`:
it reads the file only through the backend interface
(:meth:`~h5layout.runtime.storage.backends.Backend.scan`: each group's links with the
attributes and array metadata of the objects behind them, never the data), so any backend
(h5py, PyTables, h5pyd for HSDS domains) can be checked. The rules themselves live in
:mod:`h5layout.runtime.check.rules`, one module per family: each node is recognised as
one of the layout's node types (:mod:`~.rules.structure`), then its attributes
(:mod:`~.rules.attributes`), array properties (:mod:`~.rules.arrays`) and bookkeeping
(:mod:`~.rules.bookkeeping`) are checked; a group's consistency checks run once its
whole subtree is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import TYPE_CHECKING

from h5layout.runtime.check.findings import Finding
from h5layout.runtime.check.rules import RULES, arrays, attributes, bookkeeping, file, structure
from h5layout.runtime.check.rules.context import Node
from h5layout.runtime.check.rules.structure import rule_location
from h5layout.runtime.codec.attrs import read_attr
from h5layout.runtime.errors import FileAccessError
from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec
from h5layout.runtime.storage.backends import DATATYPE, Backend, LibraryHandle, NodeInfo

if TYPE_CHECKING:
    from h5layout.runtime.check.report import FileReport

__all__ = ["Checker", "rule_location"]


class Checker:
    """One run of the checks over one open file."""

    def __init__(self, spec: LayoutSpec, report: FileReport, storage: Backend) -> None:
        self.spec = spec
        self.report = report
        self.storage = storage
        self._seen: set[Hashable] = set()
        # where each object was first reached: a later link under that path is a cycle
        self._first_path: dict[Hashable, str] = {}
        # which library wrote the file: a layout may declare per-backend encodings
        self.backend = "h5py"

    # ---------------------------------------------------------------- helpers

    def add(
        self,
        code: str,
        node: str,
        message: str,
        *,
        attribute: str | None = None,
        spec: NodeSpec | None = None,
        location: str | None = None,
        severity: str | None = None,
        repairable: bool = False,
    ) -> None:
        """Report one finding (``severity`` None: the rule's default)."""
        self.report.findings.append(
            Finding(
                code=code,
                severity=severity or RULES[code].severity,
                node=node,
                attribute=attribute,
                node_type=spec.name if spec else None,
                layout_location=location
                if location is not None
                else (spec.location if spec else None) or None,
                message=message,
                repairable=repairable,
            )
        )

    def guarded(self, what: str, node: str, fn: Callable[[], None]) -> None:
        """Run one rule; an exception becomes an ``internal-error`` finding."""
        try:
            fn()
        except (OSError, RuntimeError) as exc:  # how the libraries report HDF5 read errors
            file.unreadable(self, node, f"{what}: HDF5 cannot read it ({exc}); damaged file?")
        except Exception as exc:
            file.internal_error(self, node, f"{what} failed: {type(exc).__name__}: {exc}")

    def _node(self, info: NodeInfo) -> Node:
        """A walked node with its attributes decoded once (and their problems reported)."""
        file.attribute_names(self, info)
        attributes.unreadable_values(self, info)
        decoded: dict[str, object] = {}
        for name, value in info.attrs.items():
            try:
                decoded[name] = read_attr(value)
            except Exception:
                decoded[name] = value
        return Node(info, decoded)

    # ---------------------------------------------------------------- walk

    def run(self, root_object: LibraryHandle) -> None:
        """Check the file whose root group is ``root_object`` (the backend's object)."""
        self.run_from(self.storage.describe(root_object))

    def run_from(self, root_info: NodeInfo, root_children: list[NodeInfo] | None = None) -> None:
        """:meth:`run` from the root's :class:`NodeInfo` (and its scanned children, when
        the caller has them already)."""
        root = self._node(root_info)
        root.spec = self.spec.nodes.get(self.spec.root)
        self._seen.add(root_info.key)
        self._first_path[root_info.key] = "/"
        # Depth first, in name order (deterministic findings); a group's consistency
        # checks run when the walk leaves it, once its whole subtree is loaded.
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self.guarded("checking consistency", node.path, partial(self._bookkeeping, node))
                continue
            if node.is_group:
                scanned = root_children if node is root else None
                self._load_children(node, scanned)
                self.guarded(
                    "recognising children",
                    node.path,
                    partial(structure.classify, self, self.spec, node),
                )
            self.guarded("checking the node", node.path, partial(self._check_node, node))
            if node.is_group:
                stack.append((node, True))
                for child in reversed(node.children):
                    if child.spec is not None:
                        stack.append((child, False))
        self.guarded(
            "checking root bookkeeping", "/", lambda: bookkeeping.root_bookkeeping(self, root)
        )

    def _load_children(self, node: Node, scanned: list[NodeInfo] | None) -> None:
        if scanned is None:
            try:
                scanned = self.storage.scan(node.info.node)
            except (FileAccessError, OSError, RuntimeError) as exc:
                file.unreadable(self, node.path, f"cannot list the group ({exc}); damaged file?")
                return
        for info in scanned:
            file.node_names(self, info)
            if not file.link(self, info):
                continue
            # Hard links may reach a node twice, or make a cycle: visit each object once.
            key = info.key if info.key is not None else info.path
            if key in self._seen:
                first = self._first_path.get(key, "")
                if first == "/" or info.path.startswith(first.rstrip("/") + "/"):
                    file.cycle(self, info.path, first)
                continue
            self._seen.add(key)
            self._first_path[key] = info.path
            node.children.append(self._node(info))

    # ---------------------------------------------------------------- node checks

    def _bookkeeping(self, group: Node) -> None:
        """Consistency of a group's arrays, once its whole subtree is loaded."""
        arrays.consistency(self, group)

    def _check_node(self, node: Node) -> None:
        spec = node.spec
        if spec is None:
            return
        attributes.check_attrs(self, node, spec)
        if not node.is_group and spec.array is not None and node.info.kind != DATATYPE:
            arrays.check_array(self, node, spec)
            bookkeeping.array_bookkeeping(self, node, spec)
            arrays.nav_indexes(self, node, spec)
