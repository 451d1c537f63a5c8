"""The compiler: checked layouts become Python modules of savers and loaders.

Public API:

* :func:`compile_spec` — source text of the module of a :class:`LayoutSpec`;
* :func:`compile_layout` — check a layout (shipped name or YAML path) and compile it;
* :func:`write_if_changed` — write a file only when its content differs;
* :func:`load_layout` — compile on first use, cache by content hash, import;
* :func:`lower` / :func:`render` — the two steps, for tests and tools;
* :class:`CompileError`.
"""

from __future__ import annotations

from h5layout.compiler.build import compile_layout, compile_spec, portable_spec, write_if_changed
from h5layout.compiler.cache import cache_dir, load_layout
from h5layout.compiler.errors import CompileError
from h5layout.compiler.lowering import lower
from h5layout.compiler.render import render

__all__ = [
    "CompileError",
    "cache_dir",
    "compile_layout",
    "compile_spec",
    "load_layout",
    "lower",
    "portable_spec",
    "render",
    "write_if_changed",
]
