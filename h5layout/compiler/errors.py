"""The compiler's exception (defined with every other one in :mod:`h5layout.runtime.errors`)."""

from __future__ import annotations

from h5layout.runtime.errors import CompileError

__all__ = ["CompileError"]
