"""The compiler's intermediate form: a module where every decision is taken.

Lowering (:mod:`h5layout.compiler.lowering`) fills these frozen dataclasses from a
:class:`~h5layout.runtime.layout.spec.LayoutSpec`; templates only loop over them. Fields named
``*_code`` hold Python source already checked or quoted (identifiers, annotations,
literals); fields named ``doc*`` hold text already made safe for a docstring.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    """A keyword-only argument of a generated method: one layout attribute."""

    name: str  # the Python parameter name (an identifier, not a keyword or builtin)
    attr_code: str  # the attribute name as a string literal
    annotation: str  # Python annotation source
    default_code: str | None  # default value source; None: the argument is required
    skip_if_none: bool  # ``None`` means "not given": only set the attribute otherwise
    doc: tuple[str, ...]  # safe docstring lines (wrapped)


@dataclass(frozen=True)
class GroupMethod:
    """An ``add_*_group`` override passing the layout's attributes as typed arguments."""

    name: str  # the method, e.g. ``add_scan_group``
    node_type: str  # the layout node type it creates
    where_code: str  # the ``where`` parameter (``where: Any`` or with a default)
    extra_head: tuple[str, ...]  # further positional parameters after ``metadata``
    call_args: str  # arguments of the call to the runtime method
    params: tuple[Param, ...]
    doc: tuple[str, ...]  # safe summary lines (wrapped)
    #: required keyword arguments narrow the base signature: mypy must be told it is meant
    ignore_override: bool


@dataclass(frozen=True)
class BoundClass:
    """A runtime class subclassed with this layout bound."""

    name: str
    doc: str
    binds_layout: bool  # sets ``LAYOUT_SPEC`` (the low-level saver)
    binds_saver: bool  # sets ``SAVER_CLASS`` (classes that open paths)
    #: classes of this module it also derives from (a settings-driven saver is this
    #: layout's ``H5SaverLowLevel`` too: its typed group methods, ``isinstance``)
    extra_bases: tuple[str, ...]
    methods: tuple[GroupMethod, ...]


@dataclass(frozen=True)
class ModuleSaverClass:
    """A module saver whose ``get_set_node`` takes the layout's attributes of the group it
    creates, typed (all optional: the module's ``h5_attrs`` mapping may hold them)."""

    name: str  # the runtime class subclassed, e.g. ``ScanSaver``
    node_type: str  # the layout node type of the group it creates
    head: tuple[str, ...]  # parameters before ``*`` (``where: Any = None``, ...)
    call_head: str  # those parameters passed on (``where, new``)
    params: tuple[Param, ...]  # every one ``<annotation> | None = None``
    doc: str  # safe one-line class summary
    method_doc: tuple[str, ...]  # safe method summary lines (wrapped)


@dataclass(frozen=True)
class ModuleIR:
    """One generated module."""

    generator: str  # ``h5layout 0.1.0``
    layout_name: str  # an identifier
    header_lines: tuple[str, ...]  # comment lines, made safe
    docstring: str  # made safe
    runtime_api_version: int
    typing_names: tuple[str, ...]
    abc_names: tuple[str, ...]  # imported from ``collections.abc``
    #: the data section: (comment lines, statement source) for shared attribute
    #: declarations, then ``LAYOUT``
    data_section: tuple[tuple[tuple[str, ...], str], ...]
    special_names_code: str  # ``SPECIAL_GROUP_NAMES`` (from the bindings) as a literal
    reexports: tuple[str, ...]  # sorted the way ruff's isort sorts them
    classes: tuple[BoundClass, ...]
    all_names: tuple[str, ...]  # ``__all__``, sorted the way ruff wants
    #: typed module savers (names then left out of ``reexports``)
    module_savers: tuple[ModuleSaverClass, ...] = ()
