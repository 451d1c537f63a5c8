"""Bookkeeping attributes (``shape``, axis ``size``, ``swmr_active``) versus the real data.

:func:`stale_attributes` and :func:`swmr_left_active` are the one definition of "stale":
SWMR finalisation (:func:`reconcile`, through :func:`find_stale`: one walk, reading three
attributes per array) and the file checker's bookkeeping rules
(:mod:`h5layout.runtime.check.rules.bookkeeping`, whose findings ``h5layout repair`` fixes
with :func:`apply_fix`) both decide with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, TypeGuard

import numpy as np

from h5layout.runtime.codec.attrs import encode_json, is_envelope_raw, read_attr
from h5layout.runtime.storage.backends import Backend, LibraryHandle

if TYPE_CHECKING:
    from h5layout.runtime.storage.h5backend import H5Backend

#: what a bookkeeping attribute holds, and what the data says it should: a ``shape``, an
#: axis ``size``, ``swmr_active``
BookkeepingValue: TypeAlias = "tuple[int, ...] | int | bool"


@dataclass(frozen=True)
class StaleAttr:
    """One bookkeeping attribute that disagrees with the data."""

    path: str
    attribute: str
    stored: BookkeepingValue
    actual: BookkeepingValue


def _is_int(x: object) -> TypeGuard[int | np.integer]:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def stale_attributes(
    shape: tuple[int, ...], attrs: Mapping[str, object]
) -> list[tuple[str, BookkeepingValue, BookkeepingValue]]:
    """The bookkeeping attributes of one array that disagree with its data, as
    ``(attribute, stored, actual)``: ``shape`` (any array) and, on axes
    (``data_type == 'axis'``), ``size`` against the length. ``attrs`` are decoded values;
    only well-formed ones count (a ``shape`` that is no sequence of integers is a wrong
    value, not a stale one)."""
    out: list[tuple[str, BookkeepingValue, BookkeepingValue]] = []
    stored = attrs.get("shape")
    if isinstance(stored, tuple | list | np.ndarray) and np.ndim(stored) == 1:
        if all(_is_int(x) for x in stored):
            as_tuple = tuple(int(x) for x in stored)
            if as_tuple != tuple(shape):
                out.append(("shape", as_tuple, tuple(shape)))
    if attrs.get("data_type") == "axis":
        size = attrs.get("size")
        if _is_int(size) and shape and int(size) != shape[0]:
            out.append(("size", int(size), int(shape[0])))
    return out


def swmr_left_active(root_attrs: Mapping[str, object]) -> bool:
    """Whether the root's decoded ``swmr_active`` says a SWMR writer never finalized."""
    active = root_attrs.get("swmr_active")
    return active is not None and not isinstance(active, str) and bool(active)


#: the attributes :func:`stale_attributes` reads
_BOOKKEEPING = ("shape", "data_type", "size")


def _get(impl: Backend, raw: LibraryHandle, name: str) -> object:
    try:
        return read_attr(impl.get_attr(raw, name))
    except KeyError:
        return None


def find_stale(h5: H5Backend) -> list[StaleAttr]:
    """Every stale bookkeeping attribute of the open file (:func:`stale_attributes` on every
    array, :func:`swmr_left_active` on the root)."""
    impl = h5.backend_impl
    root = impl.root(h5.h5file)
    out: list[StaleAttr] = []
    if swmr_left_active({"swmr_active": _get(impl, root, "swmr_active")}):
        out.append(StaleAttr("/", "swmr_active", True, False))
    stack = [root]
    seen = {impl.object_key(root)}  # each group once: hard links may make cycles
    while stack:
        group = stack.pop()
        for raw in impl.children(group).values():
            if impl.is_group(raw):
                key = impl.object_key(raw)
                if key not in seen:
                    seen.add(key)
                    stack.append(raw)
                continue
            attrs = {name: _get(impl, raw, name) for name in _BOOKKEEPING}
            path = impl.node_path(raw)
            for attribute, stored, actual in stale_attributes(impl.shape(raw), attrs):
                out.append(StaleAttr(path, attribute, stored, actual))
    return out


def apply_fix(h5: H5Backend, path: str, attribute: str) -> tuple[object, BookkeepingValue]:
    """Rewrite one bookkeeping attribute (``shape``, ``size``, ``swmr_active``) from the
    data, keeping how it was stored (JSON envelope or native); returns (old, new)."""
    impl = h5.backend_impl
    raw = impl.get(h5.h5file, path)
    old = impl.get_attr(raw, attribute) if impl.has_attr(raw, attribute) else None
    if attribute == "swmr_active":
        impl.set_attr(raw, attribute, np.bool_(False))
        return (None if old is None else bool(read_attr(old)), False)
    shape = impl.shape(raw)
    new: tuple[int, ...] | int = tuple(shape) if attribute == "shape" else int(shape[0])
    if isinstance(old, str | bytes) and is_envelope_raw(old):
        impl.set_attr(raw, attribute, encode_json(new))
    else:  # another writer stored it natively: keep it native
        impl.set_attr(raw, attribute, np.array(new) if isinstance(new, tuple) else np.int64(new))
    return (None if old is None else read_attr(old), new)


def reconcile(h5: H5Backend) -> list[str]:
    """Fix every stale bookkeeping attribute; returns the fixed ``path@attribute``."""
    fixed = []
    for stale in find_stale(h5):
        apply_fix(h5, stale.path, stale.attribute)
        fixed.append(f"{stale.path}@{stale.attribute}")
    return fixed
