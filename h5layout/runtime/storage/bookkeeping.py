"""Bookkeeping attributes (``shape``, axis ``size``, ``swmr_active``) versus the real data.

Used at SWMR finalisation, by ``h5layout repair`` and by the file checker: one walk,
reading two attributes per array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from h5layout.runtime.codec.attrs import encode_json, is_envelope_raw, read_attr

if TYPE_CHECKING:
    from h5layout.runtime.storage.h5backend import H5Backend


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


def apply_fix(h5: H5Backend, path: str, attribute: str) -> tuple[Any, Any]:
    """Rewrite one bookkeeping attribute (``shape``, ``size``, ``swmr_active``) from the
    data, keeping how it was stored (JSON envelope or native); returns (old, new)."""
    impl = h5.backend_impl
    raw = impl.get(h5.h5file, path)
    old = impl.get_attr(raw, attribute) if impl.has_attr(raw, attribute) else None
    if attribute == "swmr_active":
        impl.set_attr(raw, attribute, np.bool_(False))
        return (None if old is None else bool(read_attr(old)), False)
    shape = impl.shape(raw)
    new: Any = tuple(shape) if attribute == "shape" else int(shape[0])
    if isinstance(old, str | bytes) and is_envelope_raw(old):
        impl.set_attr(raw, attribute, encode_json(new))
    else:  # another writer stored it natively: keep it native
        impl.set_attr(raw, attribute, np.array(new) if attribute == "shape" else np.int64(new))
    return (None if old is None else read_attr(old), new)


def reconcile(h5: H5Backend) -> list[str]:
    """Fix every stale bookkeeping attribute; returns the fixed ``path@attribute``."""
    fixed = []
    for stale in find_stale(h5):
        apply_fix(h5, stale.path, stale.attribute)
        fixed.append(f"{stale.path}@{stale.attribute}")
    return fixed
