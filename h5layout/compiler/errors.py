"""The compiler's exception."""

from __future__ import annotations

from h5layout.runtime.errors import LayoutError


class CompileError(LayoutError):
    """A checked layout that cannot become a Python module (a name that cannot be a
    parameter, a value with no literal form, ...)."""
