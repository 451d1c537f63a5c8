"""What every rule family sees: the nodes the walk loaded and the checker to report to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from h5layout.runtime.layout.spec import NodeSpec
from h5layout.runtime.storage.backends import LibraryValue, NodeInfo


@dataclass
class Node:
    """One node of the checked file: what the backend's walk read, attributes decoded once,
    and the layout node type it was recognised as."""

    info: NodeInfo
    attrs: dict[str, object]
    spec: NodeSpec | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.info.path

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def is_group(self) -> bool:
        return self.info.is_group

    @property
    def raw_attrs(self) -> dict[str, LibraryValue]:
        return self.info.attrs

    @property
    def shape(self) -> tuple[int, ...]:
        return self.info.shape

    def enlargeable(self, dim: int) -> bool:
        """Whether dimension ``dim`` is unlimited."""
        maxshape = self.info.maxshape
        return dim < len(maxshape) and maxshape[dim] is None

    def length(self) -> int:
        """Length along the first dimension (0 for a scalar)."""
        return int(self.info.shape[0]) if self.info.shape else 0


class Context(Protocol):
    """The checker as the rule families see it."""

    #: which library wrote the file (a layout may declare per-backend encodings)
    backend: str

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
