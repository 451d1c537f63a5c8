"""The layout language: YAML layouts checked with file:line:col problems.

Public API:

* :func:`load_layout_spec` — check a layout and lower it into the runtime's
  :class:`~h5layout.runtime.layout.spec.LayoutSpec`;
* :func:`load_layout_model` — the checked pydantic model (:class:`~h5layout.schema.models.Layout`);
* :func:`check_layout` — every problem of a layout, as a list.

Its modules, in the order a layout goes through them: :mod:`.source` (YAML with the
line and column of every value, within the limits of hostile input), :mod:`.resolve`
(``extends``/``include``/``remove`` and the merge), :mod:`.models` (frozen pydantic models),
:mod:`.checks` (the rules, each problem with its code), :mod:`.lower` (into the runtime's
resolved spec) and :mod:`.loader` (the functions above).
"""

from __future__ import annotations

from h5layout.schema.loader import check_layout, load_layout_model, load_layout_spec

__all__ = ["check_layout", "load_layout_model", "load_layout_spec"]
