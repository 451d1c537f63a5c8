"""Rules about arrays: their kind (fixed, enlargeable, variable-length), element type,
rank and fixed dimensions, the ``dtype`` and ``nav_indexes`` attributes against the data,
and arrays against each other (axes against the data they describe, navigation axes
against the scan shape)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeGuard

import numpy as np

from h5layout.runtime.check.findings import declare
from h5layout.runtime.check.rules.context import Context, Node
from h5layout.runtime.check.rules.structure import rule_location
from h5layout.runtime.layout.spec import NodeSpec

FAMILY = "arrays"
RULES = declare(
    FAMILY,
    (
        "bad-array-kind",
        "error",
        "an array is not of the declared kind (fixed, enlargeable, vlen, strings)",
    ),
    ("bad-dtype", "error", "an array's element type is not one the layout allows"),
    ("bad-rank", "error", "an array has a number of dimensions the layout does not allow"),
    ("bad-shape", "error", "an array dimension differs from the size the layout fixes"),
    ("bad-nav-indexes", "error", "`nav_indexes` names a dimension the array does not have"),
    (
        "axis-length-mismatch",
        "error",
        "an axis length differs from the data dimension it describes",
    ),
    ("nav-axes-mismatch", "error", "a navigation axis length differs from the scan shape"),
)


def check_array(ck: Context, node: Node, spec: NodeSpec) -> None:
    """Kind, element type, rank, fixed dimensions and the ``dtype`` attribute."""
    arr = spec.array
    assert arr is not None
    info = node.info
    shape, maxshape, is_vlen = info.shape, info.maxshape, info.vlen
    if arr.kind == "fixed":
        # PyTables' chunked CArrays report a finite maxshape larger than the shape.
        bad = is_vlen or any(m is None for m in maxshape)
        want = "a fixed-size array"
    elif arr.kind == "enlargeable":
        bad = is_vlen or not maxshape or maxshape[0] is not None
        want = "an enlargeable array (first dimension unlimited)"
    else:  # vlen and strings: one variable-length row per append
        bad = not is_vlen
        want = "a variable-length array"
    if bad:
        got = "variable-length" if is_vlen else f"shape {shape}, maxshape {maxshape}"
        ck.add(
            "bad-array-kind",
            node.path,
            f"must be {want}; got {got}",
            spec=spec,
            location=rule_location(spec, "kind"),
        )
    dname = info.dtype
    if arr.dtypes and dname not in arr.dtypes:
        ck.add(
            "bad-dtype",
            node.path,
            f"dtype {dname} is not allowed (one of {', '.join(arr.dtypes)})",
            spec=spec,
            location=rule_location(spec, "dtypes"),
        )
    if arr.rank is not None:
        lo, hi = arr.rank
        if len(shape) < lo or (hi is not None and len(shape) > hi):
            span = f"{lo}" if hi == lo else f"{lo}..{hi if hi is not None else ''}"
            ck.add(
                "bad-rank",
                node.path,
                f"{len(shape)} dimension(s), expected {span}",
                spec=spec,
                location=rule_location(spec, "rank"),
            )
    if arr.dims is not None and len(arr.dims) == len(shape):
        for i, (want_n, got_n) in enumerate(zip(arr.dims, shape, strict=True)):
            if want_n is not None and want_n != got_n:
                ck.add(
                    "bad-shape",
                    node.path,
                    f"dimension {i} has {got_n} elements, the layout fixes {want_n}",
                    spec=spec,
                    location=rule_location(spec, "dims"),
                )
    # The `dtype` bookkeeping attribute says what the data are.
    stored = node.attrs.get("dtype")
    if isinstance(stored, str) and stored and stored != dname and "dtype" in spec.attrs:
        ck.add(
            "bad-dtype",
            node.path,
            f"the dtype attribute says {stored}, the array holds {dname}",
            attribute="dtype",
            spec=spec,
            location=spec.attrs["dtype"].location or spec.location,
        )


def nav_indexes(ck: Context, node: Node, spec: NodeSpec) -> None:
    """``nav_indexes`` must name dimensions the array has."""
    shape = node.shape
    nav = node.attrs.get("nav_indexes")
    if isinstance(nav, tuple | list) and all(_is_int(x) for x in nav):
        bad = [int(x) for x in nav if not 0 <= int(x) < len(shape)]
        if bad:
            ck.add(
                "bad-nav-indexes",
                node.path,
                f"nav_indexes {tuple(nav)} name dimension(s) {bad} of a {len(shape)}-D array",
                attribute="nav_indexes",
                spec=spec,
            )


def consistency(ck: Context, group: Node) -> None:
    """Axes against the data next to them; NavAxes against the scan shape (run once the
    whole subtree of ``group`` is loaded)."""
    arrays = [c for c in group.children if not c.is_group and c.spec is not None]
    data = [c for c in arrays if _data_like(c)]
    axes = [c for c in arrays if c.attrs.get("data_type") == "axis"]
    if data and axes:
        for ax in axes:
            idx = _as_int(ax.attrs.get("index"))
            if idx is None or ax.attrs.get("distribution") == "spread":
                continue
            n = ax.length()
            for d in data:
                dshape = d.shape
                if idx < len(dshape) and not d.enlargeable(idx) and n != dshape[idx]:
                    ck.add(
                        "axis-length-mismatch",
                        ax.path,
                        f"axis has {n} values, dimension {idx} of {d.path} has {dshape[idx]}",
                        spec=ax.spec,
                    )
    nav_group = next(
        (
            c
            for c in group.children
            if c.is_group and c.spec is not None and c.spec.role == "nav_axes"
        ),
        None,
    )
    if nav_group is not None:
        _nav_axes(ck, group, nav_group)


def _nav_axes(ck: Context, scan: Node, nav_group: Node) -> None:
    nav_axes = [
        c
        for c in _iter_arrays(nav_group)
        if c.attrs.get("data_type") == "axis" and _is_int(c.attrs.get("index"))
    ]
    if not nav_axes:
        return
    reported: set[str] = set()  # one finding per axis, not one per data array
    for d in _iter_arrays(scan, skip=nav_group):
        if not _data_like(d):
            continue
        nav = d.attrs.get("nav_indexes")
        if not isinstance(nav, tuple | list) or not nav:
            continue
        dshape = d.shape
        for ax in nav_axes:
            i = _as_int(ax.attrs["index"])
            if i is None or i not in nav or i >= len(dshape) or ax.path in reported:
                continue
            n = ax.length()
            if n != dshape[i]:
                # A live or crashed writer appends the axis and the data one after the
                # other: for enlargeable arrays a difference is stale, not wrong.
                grows = d.enlargeable(i) or ax.enlargeable(0)
                ck.add(
                    "nav-axes-mismatch",
                    ax.path,
                    f"navigation axis has {n} values, the scan data {d.path} has "
                    f"{dshape[i]} along dimension {i}",
                    spec=ax.spec,
                    severity="warning" if grows else None,
                )
                reported.add(ax.path)


def _is_int(x: object) -> TypeGuard[int | np.integer]:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def _as_int(x: object) -> int | None:
    return int(x) if _is_int(x) else None


def _data_like(node: Node) -> bool:
    return node.attrs.get("data_type") in ("data", "bkg", "error", "data_enlargeable")


def _iter_arrays(group: Node, skip: Node | None = None) -> Iterator[Node]:
    """Arrays below ``group`` that the walk has already loaded (depth first)."""
    stack = [group]
    while stack:
        g = stack.pop()
        for c in g.children:
            if c is skip:
                continue
            if c.is_group:
                stack.append(c)
            elif c.spec is not None:
                yield c
