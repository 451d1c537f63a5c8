"""Bookkeeping attributes (``shape``, axis ``size``, ``swmr_active``) versus the real data.

Used at SWMR finalisation, by ``h5layout repair`` and by the file checker: one walk,
reading two attributes per array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from h5layout.runtime.attrs import encode_json, read_attr

if TYPE_CHECKING:
    from h5layout.runtime.h5backend import H5Backend


@dataclass(frozen=True)
class StaleAttr:
    """One bookkeeping attribute that disagrees with the data."""

    path: str
    attribute: str
    stored: Any
    actual: Any


def _get(impl: Any, raw: Any, name: str) -> Any:
    try:
        return read_attr(impl.get_attr(raw, name))
    except KeyError:
        return None


def find_stale(h5: H5Backend) -> list[StaleAttr]:
    """Every stale bookkeeping attribute of the open file."""
    impl = h5.backend_impl
    root = impl.root(h5.h5file)
    out: list[StaleAttr] = []
    active = _get(impl, root, "swmr_active")
    if active is not None and bool(active):
        out.append(StaleAttr("/", "swmr_active", True, False))
    stack = [root]
    while stack:
        group = stack.pop()
        for raw in impl.children(group).values():
            if impl.is_group(raw):
                stack.append(raw)
                continue
            cls = impl.node_class(raw)
            real = impl.shape(raw)
            path = impl.node_path(raw)
            if cls in ("EARRAY", "VLARRAY"):
                stored = _get(impl, raw, "shape")
                if stored is not None and tuple(stored) != real:
                    out.append(StaleAttr(path, "shape", tuple(stored), real))
            if _get(impl, raw, "data_type") == "axis":
                size = _get(impl, raw, "size")
                if size is not None and real and int(size) != real[0]:
                    out.append(StaleAttr(path, "size", int(size), real[0]))
    return out


def reconcile(h5: H5Backend) -> list[str]:
    """Fix every stale bookkeeping attribute; returns the fixed ``path@attribute``."""
    impl = h5.backend_impl
    fixed = []
    for stale in find_stale(h5):
        raw = impl.get(h5.h5file, stale.path)
        if stale.attribute == "swmr_active":
            impl.set_attr(raw, "swmr_active", np.bool_(False))
        else:
            impl.set_attr(raw, stale.attribute, encode_json(stale.actual))
        fixed.append(f"{stale.path}@{stale.attribute}")
    return fixed
