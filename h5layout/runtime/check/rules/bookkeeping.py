"""Rules about bookkeeping attributes a writer keeps up to date as data grow: an array's
``shape``, an axis ``size``, the root's ``swmr_active``. Stale ones are what a writer
stopped before its last flush leaves; ``h5layout repair`` rewrites them from the data.

"Stale" has one definition, :func:`~h5layout.runtime.storage.bookkeeping.stale_attributes`
and :func:`~h5layout.runtime.storage.bookkeeping.swmr_left_active`: these rules and SWMR
finalisation's :func:`~h5layout.runtime.storage.bookkeeping.find_stale` both call them
(they live in storage because finalisation, below the checker, needs them too).
"""

from __future__ import annotations

from h5layout.runtime.check.findings import declare
from h5layout.runtime.check.rules._context import Context, Node
from h5layout.runtime.layout.spec import NodeSpec
from h5layout.runtime.storage.bookkeeping import stale_attributes, swmr_left_active

FAMILY = "bookkeeping"
RULES = declare(
    FAMILY,
    ("stale-shape", "error", "the `shape` attribute differs from the array's real shape"),
    ("stale-size", "warning", "an axis `size` attribute differs from the axis length"),
    (
        "swmr-active-left-set",
        "warning",
        "root `swmr_active` is still true: the SWMR writer was not finalized",
    ),
)

__all__ = ["FAMILY", "RULES", "array_bookkeeping", "root_bookkeeping", "stale_attributes"]


def array_bookkeeping(ck: Context, node: Node, spec: NodeSpec) -> None:
    """``shape`` and axis ``size`` against the array."""
    for attribute, stored, actual in stale_attributes(node.shape, node.attrs):
        if attribute == "shape":
            ck.add(
                "stale-shape",
                node.path,
                f"shape attribute says {stored}, the array is {actual}",
                attribute="shape",
                spec=spec,
                repairable=True,
            )
        else:
            ck.add(
                "stale-size",
                node.path,
                f"size attribute says {stored}, the axis holds {actual} values",
                attribute="size",
                spec=spec,
                repairable=True,
            )


def root_bookkeeping(ck: Context, root: Node) -> None:
    """A root ``swmr_active`` left true."""
    if swmr_left_active(root.attrs):
        ck.add(
            "swmr-active-left-set",
            "/",
            "swmr_active is still true: the SWMR writer did not finalize the file "
            "(run `h5layout repair`)",
            attribute="swmr_active",
            spec=root.spec,
            repairable=True,
        )
