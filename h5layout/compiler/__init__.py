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

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see of the names imported on first use
    from h5layout.compiler.build import compile_layout as compile_layout
    from h5layout.compiler.build import compile_spec as compile_spec
    from h5layout.compiler.build import portable_spec as portable_spec
    from h5layout.compiler.build import write_if_changed as write_if_changed
    from h5layout.compiler.cache import cache_dir as cache_dir
    from h5layout.compiler.cache import load_layout as load_layout
    from h5layout.compiler.errors import CompileError as CompileError
    from h5layout.compiler.lowering import lower as lower
    from h5layout.compiler.render import render as render

#: public name -> submodule; imported on first use, so ``load_layout`` from the cache
#: (an import of the cached module) loads neither jinja2 nor the schema
_EXPORTS = {
    "CompileError": "errors",
    "cache_dir": "cache",
    "compile_layout": "build",
    "compile_spec": "build",
    "load_layout": "cache",
    "lower": "lowering",
    "portable_spec": "build",
    "render": "render",
    "write_if_changed": "build",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'h5layout.compiler' has no attribute {name!r}")
    return getattr(importlib.import_module(f"h5layout.compiler.{module}"), name)
