"""A one-line progress bar on standard error, only on a terminal.

Off when standard error is not a terminal (piped, CI logs) or when the command was given
``--no-progress``; drawn at most every 0.1 s so a fast loop pays nothing for it.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def wanted(no_progress: bool = False, stream: TextIO | None = None) -> bool:
    """Whether to draw: a terminal, and not switched off."""
    stream = stream or sys.stderr
    return not no_progress and bool(getattr(stream, "isatty", lambda: False)())


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


class Bar:
    """``[#####-----] 12/40 label`` (``unit='bytes'`` shows sizes)."""

    WIDTH = 30

    def __init__(
        self,
        total: int,
        label: str = "",
        *,
        enabled: bool = True,
        unit: str = "",
        stream: TextIO | None = None,
    ) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.enabled = enabled
        self.unit = unit
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._drawn = False

    def update(self, done: int, total: int | None = None) -> None:
        """Show ``done`` out of ``total`` (redrawn at most ten times a second)."""
        if not self.enabled:
            return
        if total is not None:
            self.total = max(int(total), 0)
        now = time.monotonic()
        if now - self._last < 0.1 and done < self.total:
            return
        self._last = now
        total_ = max(self.total, 1)
        filled = min(self.WIDTH * done // total_, self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        if self.unit == "bytes":
            count = f"{_size(done)}/{_size(self.total)}"
        else:
            count = f"{done}/{self.total}"
        self.stream.write(f"\r[{bar}] {count} {self.label}"[:200])
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the bar."""
        if self.enabled and self._drawn:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()
        self._drawn = False
