"""Checking a layout does work proportional to its size (counted, not timed)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

from h5layout.schema import check_layout

from .biglayout import write_big_layout


def _lines_run(n: int, folder: Path) -> int:
    """Python lines executed by ``check_layout`` on a layout of ``n`` node types."""
    sub = folder / str(n)
    sub.mkdir()
    path = write_big_layout(n, sub)
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        return tracer

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        problems = check_layout(path)
    finally:
        sys.settrace(old)
    assert problems == []
    return count


def test_checking_is_linear_in_node_types(tmp_path: Path) -> None:
    # Quadratic merging (every merged key scanned every location) makes each doubling
    # cost 4x more; linear work costs 2x. Differences cancel the fixed cost of `pymodaq`.
    w1, w2, w4 = (_lines_run(n, tmp_path) for n in (100, 200, 400))
    growth = (w4 - w2) / (w2 - w1)
    assert 1.5 < growth < 2.6, (w1, w2, w4, growth)
