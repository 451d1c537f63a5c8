"""Rendering: a :class:`~h5layout.compiler.ir.ModuleIR` becomes Python source text."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from h5layout.compiler.ir import ModuleIR

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment: undefined names are errors, no HTML escaping."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is Python source; values arrive already quoted
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(ir: ModuleIR) -> str:
    """The module's source (ends with one newline)."""
    text = environment().get_template("module.py.j2").render(ir=ir)
    return text.rstrip("\n") + "\n"
