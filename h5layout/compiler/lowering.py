"""Lowering: a :class:`~h5layout.runtime.layout.spec.LayoutSpec` becomes a :class:`ModuleIR`.

Every decision about the generated code is taken here (class and method names,
parameter names and annotations, which runtime method each group role maps to, sort
orders, quoting); the templates only loop. Any text from the layout reaches the code
either as a checked identifier or through :func:`~h5layout.compiler.literals.py_literal`,
and docstrings and comments get :func:`safe_text`.
"""

from __future__ import annotations

import builtins
import dataclasses
import keyword
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from h5layout._version import __version__
from h5layout.compiler.errors import CompileError
from h5layout.compiler.ir import BoundClass, GroupMethod, ModuleIR, ModuleSaverClass, Param
from h5layout.compiler.layout_data import layout_data, node_table
from h5layout.compiler.literals import is_scalar, py_literal, py_scalar, py_str
from h5layout.runtime import api
from h5layout.runtime.layout.spec import (
    AttrSpec,
    Bindings,
    LayoutSpec,
    Naming,
    NodeBinding,
    NodeSpec,
)
from h5layout.runtime.model.enums import DataType, GroupType

#: Layout attribute type -> annotation of the keyword argument.
ANNOTATIONS = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "tuple": "tuple[object, ...]",
    "list": "list[Any]",
    "ndarray": "_rt.ndarray",
    "datetime": "_rt.datetime | str",
    "dict": "dict[str, Any]",
    "any": "object",
}
_ITEM_ANNOTATIONS = {"str": "str", "int": "int", "float": "float", "bool": "bool"}

#: Parameters every ``add_*_group`` method already has, and names its body uses.
_METHOD_NAMES = frozenset({"self", "where", "title", "settings_as_xml", "metadata", "meta"})
_GENERIC_NAMES = frozenset({"group_type"})


@dataclass(frozen=True)
class _Role:
    """How a group role becomes an ``add_*_group`` method (the runtime's own choice)."""

    method: str
    role: str
    group_type: str | None  # the runtime finds the node type by this option, else by role
    where_default: str | None


#: Group methods of ``H5SaverLowLevel`` and the layout node type each one creates: the
#: one the layout's bindings give for the group type, which the runtime reads, so the
#: arguments offered are the attributes the runtime checks.
GROUP_ROLES = (
    _Role("add_scan_group", "scan", "scan", "None"),
    _Role("add_det_group", "detector", "detector", None),
    _Role("add_act_group", "actuator", "actuator", None),
    _Role("add_move_group", "actuator", "actuator", None),
    _Role("add_ch_group", "incremental", "ch", None),
    _Role("add_generic_group", "generic", None, "None"),
)

#: ruff's line length (pyproject) and the indent of parameters in generated methods
LINE_LENGTH = 100
PARAM_INDENT = " " * 8

_WORD = re.compile(r"[A-Za-z0-9_.+\-]*\Z")
_HEX = re.compile(r"[0-9a-f]*\Z")


def safe_text(text: str) -> str:
    """``text`` on one line, fit for a docstring or a comment.

    Whitespace runs become one space, characters that are not printable are dropped,
    double quotes become single quotes and backslashes become slashes, so the text can
    neither close a docstring nor start an escape or a new line.
    """
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = text.replace("\\", "/").replace('"', "'")
    return " ".join(text.split())


def wrap(text: str, width: int) -> list[str]:
    """:func:`safe_text` wrapped at ``width`` columns."""
    return textwrap.wrap(safe_text(text), width=width, break_on_hyphens=False) or [""]


def word(text: str) -> str:
    """A version or name for a comment: as is when it is a plain word, else quoted."""
    return text if text and _WORD.match(text) else py_str(text)


def isort_key(name: str) -> tuple[int, str]:
    """Order of names in ruff's isort (``order-by-type``) and ``__all__`` sorting:
    CONSTANTS, then Classes, then everything else, each case-sensitively."""
    if len(name) > 1 and name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def import_sort_key(name: str) -> tuple[int, str, str]:
    """Order of imported names in ruff's isort: as :func:`isort_key`, but case-insensitive
    within each kind (``H5asciiExporter`` before ``H5Backend``)."""
    kind = isort_key(name)[0]
    return (kind, name.lower(), name)


def _check_identifier(name: str, what: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise CompileError(f"{what} {name!r} is not a Python identifier")
    return name


#: Names savers use for a role the layout does not name (the runtime's API is PyMoDAQ's,
#: so are its defaults). Only the compiler reads these; the runtime reads the bindings.
DEFAULT_NAMES = {
    "raw": Naming(fixed="RawData"),
    "logger": Naming(fixed="Logger"),
    "channel": Naming(pattern="CH{index:02d}"),
    "dim": Naming(pattern="Data{dim}"),
    "nav_axes": Naming(fixed="NavAxes"),
}

#: incremental group type -> the role of its node type (other types: ``incremental``)
ROLE_OF_GROUP_TYPE = {"detector": "detector", "actuator": "actuator", "scan": "scan"}


def _incremental_default(group_type: str) -> Naming:
    """``Detector{index:03d}`` for ``detector``: the first letter upper-cased."""
    return Naming(pattern=group_type[:1].upper() + group_type[1:] + "{index:03d}")


def _role_binding(spec: LayoutSpec, role: str) -> NodeBinding:
    """The group role ``channel``/``dim``/``nav_axes``: the last node type of that role
    that names the way the role needs (a pattern with the same field, or a fixed name).

    A node type with a fixed name where a pattern is needed (a layout's ``Data2D`` group
    only) describes one such group, not the rule for all of them.
    """
    default = DEFAULT_NAMES[role]
    for node in reversed([n for n in spec.nodes.values() if n.kind == "group"]):
        if node.role != role:
            continue
        naming = node.naming
        if default.pattern is not None and naming.pattern and naming.field == default.field:
            return NodeBinding(node.name, naming)
        if default.fixed is not None and naming.fixed:
            return NodeBinding(node.name, naming)
    return NodeBinding(None, default)


def _fixed_binding(node: NodeSpec | None, role: str) -> NodeBinding:
    if node is not None and node.naming.fixed:
        return NodeBinding(node.name, node.naming)
    return NodeBinding(node.name if node is not None else None, DEFAULT_NAMES[role])


def group_for(spec: LayoutSpec, role: str, group_type: str | None = None) -> NodeSpec | None:
    """The group node type savers create for a role (and incremental group type).

    Node types of that ``group_type`` and that role come first, then any of that
    ``group_type``, then any of that role. Among equals the one declared last wins: a
    layout that extends another declares its own node types after the inherited ones, so
    its ``camera`` (role detector, ``group_type: detector``) is used instead of PyMoDAQ's
    ``detector``.
    """
    groups = [n for n in spec.nodes.values() if n.kind == "group"]
    typed = [
        n for n in groups if group_type is not None and n.options.get("group_type") == group_type
    ]
    for candidates in (
        [n for n in typed if n.role == role],
        typed,
        [n for n in groups if n.role == role],
    ):
        if candidates:
            return candidates[-1]
    return None


def array_for(spec: LayoutSpec, data_type: str) -> NodeSpec | None:
    """The array node type savers create for a data type (declared last wins)."""
    found = None
    for node in spec.nodes.values():
        if node.kind == "array" and node.options.get("data_type") == data_type:
            found = node
    return found


def group_types(spec: LayoutSpec) -> list[str]:
    """Incremental group types savers accept: PyMoDAQ's, then the layout's own."""
    names = list(GroupType.names())
    for node in spec.nodes.values():
        value = node.options.get("group_type")
        if node.kind == "group" and isinstance(value, str) and value not in names:
            names.append(value)
    return names


def resolve_bindings(spec: LayoutSpec) -> Bindings:
    """Decide, once, which node type and naming every saver role uses.

    * incremental groups of a type: the node types of that ``group_type`` and role come
      first, then any of that ``group_type``, then any of that role; among equals the one
      declared last wins (a derived layout declares its own node types last, so its
      ``camera`` is used instead of PyMoDAQ's ``detector``). Named by the node type's
      pattern, else the type with its first letter upper-cased and three digits;
    * arrays of a data type: the last array node type of that ``data_type`` option, named
      by its pattern, else the data type's word and two digits (``Data00``).
    """
    groups = {}
    for type_name in group_types(spec):
        node = group_for(spec, ROLE_OF_GROUP_TYPE.get(type_name, "incremental"), type_name)
        numbered = node is not None and node.naming.field == "index"
        naming = node.naming if node is not None and numbered else _incremental_default(type_name)
        groups[type_name] = NodeBinding(node.name if node is not None else None, naming)
    arrays = {}
    for data_type in DataType:
        node = array_for(spec, data_type.name)
        default = Naming(pattern=f"{data_type.value}{{index:02d}}")
        naming = node.naming if node is not None and node.naming.pattern else default
        arrays[data_type.name] = NodeBinding(node.name if node is not None else None, naming)
    loggers = spec.by_role("logger")
    return Bindings(
        raw=_fixed_binding(group_for(spec, "raw"), "raw"),
        logger=_fixed_binding(loggers[-1] if loggers else None, "logger"),
        channel=_role_binding(spec, "channel"),
        dim=_role_binding(spec, "dim"),
        nav_axes=_role_binding(spec, "nav_axes"),
        groups=groups,
        arrays=arrays,
    )


def bind(spec: LayoutSpec) -> LayoutSpec:
    """``spec`` carrying its :func:`resolve_bindings` (what compiled modules hold)."""
    return dataclasses.replace(spec, bindings=resolve_bindings(spec))


def find_node(spec: LayoutSpec, role: _Role) -> NodeSpec | None:
    """The node type a group method creates: the one its bindings name."""
    if role.group_type is None:
        return group_for(spec, role.role)
    bindings = spec.bindings or resolve_bindings(spec)
    name = bindings.groups[role.group_type].node
    return spec.nodes[name] if name is not None else None


def width(text: str) -> int:
    """Columns ``text`` takes in ruff's line-length count (wide characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def annotation(attr: AttrSpec, name: str = "", required: bool = False) -> tuple[str, bool]:
    """The annotation of an attribute's argument, and whether it needs ``Literal``.

    An enum becomes ``Literal[...]``, split one value per line (as ruff does) when the
    parameter line would pass 100 columns; an optional argument then falls back to the
    plain type, whose line ruff leaves alone.
    """
    fits = all(width(f"{PARAM_INDENT}    {py_scalar(v)},") <= LINE_LENGTH for v in attr.enum or ())
    if attr.enum and fits and all(isinstance(v, str | int) for v in attr.enum):
        values = [py_scalar(v) for v in attr.enum]
        flat = f"Literal[{', '.join(values)}]"
        if width(f"{PARAM_INDENT}{name}: {flat},") <= LINE_LENGTH:
            return flat, True
        if required:
            inner = "".join(f"{PARAM_INDENT}    {v},\n" for v in values)
            return f"Literal[\n{inner}{PARAM_INDENT}]", True
    if attr.type in ("tuple", "list") and attr.item_type in _ITEM_ANNOTATIONS:
        item = _ITEM_ANNOTATIONS[attr.item_type]
        return (f"tuple[{item}, ...]" if attr.type == "tuple" else f"list[{item}]"), False
    if attr.type not in ANNOTATIONS:
        raise CompileError(f"attribute {attr.name!r}: unknown type {attr.type!r}")
    return ANNOTATIONS[attr.type], False


def param_name(attr_name: str, reserved: Iterable[str]) -> str | None:
    """The Python parameter name of an attribute (``id`` -> ``id_``), None if impossible."""
    if not attr_name.isidentifier() or attr_name.startswith("__"):
        return None
    taken = set(reserved)
    name = attr_name
    while keyword.iskeyword(name) or name in taken or hasattr(builtins, name):
        name += "_"
    return name


def keyword_attrs(node: NodeSpec) -> list[AttrSpec]:
    """Attributes of a group node type offered as keyword arguments (required first)."""
    usable = [
        a
        for a in node.attrs.values()
        if a.name not in api.GROUP_RUNTIME_ATTRS and a.encoding == "json" and not a.has_const
    ]
    required = [a for a in usable if a.required and not a.has_default]
    return required + [a for a in usable if a not in required]


def lower_params(node: NodeSpec, reserved: frozenset[str]) -> tuple[tuple[Param, ...], bool]:
    """The keyword arguments of a node type's group method, and whether ``Literal`` is used."""
    params: list[Param] = []
    names: set[str] = set()
    uses_literal = False
    for attr in keyword_attrs(node):
        required = attr.required and not attr.has_default
        name = param_name(attr.name, reserved)
        if name is None:
            if required:
                raise CompileError(
                    f"node type {node.name!r}: required attribute {attr.name!r} cannot be a "
                    "Python keyword argument (use a name made of letters, digits and '_')"
                )
            continue  # still accepted through ``metadata``
        if name in names:
            raise CompileError(
                f"node type {node.name!r}: attributes {attr.name!r} and another one both "
                f"become the argument {name!r}; rename one"
            )
        names.add(name)
        ann, lit = annotation(attr, name, required)
        uses_literal = uses_literal or lit
        text = f"{name}: {safe_text(attr.description) or attr.type}"
        if attr.units:
            text += f" [{safe_text(attr.units)}]"
        doc = tuple(wrap(text, LINE_LENGTH - len(PARAM_INDENT)))
        if required:
            params.append(Param(name, py_str(attr.name), ann, None, False, doc))
        elif (
            attr.has_default
            and attr.default is not None
            and is_scalar(attr.default)
            # a default too long for its line is left to the runtime (it writes it too)
            and width(f"{PARAM_INDENT}{name}: {ann} = {py_scalar(attr.default)},") <= LINE_LENGTH
        ):
            default = py_scalar(attr.default)
            params.append(Param(name, py_str(attr.name), ann, default, False, doc))
        else:
            params.append(Param(name, py_str(attr.name), f"{ann} | None", "None", True, doc))
    return tuple(params), uses_literal


def lower_methods(
    spec: LayoutSpec, reserved: frozenset[str]
) -> tuple[tuple[GroupMethod, ...], bool]:
    """The ``add_*_group`` overrides of the low-level saver (only where arguments exist)."""
    methods: list[GroupMethod] = []
    uses_literal = False
    for role in GROUP_ROLES:
        node = find_node(spec, role)
        if node is None:
            continue
        generic = role.role == "generic"
        params, lit = lower_params(node, reserved | (_GENERIC_NAMES if generic else frozenset()))
        if not params:
            continue
        uses_literal = uses_literal or lit
        where = "where: _rt.Where"
        if role.where_default == "None":
            where += " | None = None"
        elif role.where_default:
            where += f" = {role.where_default}"
        extra = ("group_type: _rt.GroupTypeLike = GroupType.scan",) if generic else ()
        call = "where, title, settings_as_xml, meta" + (", group_type" if generic else "")
        naming = node.naming.pattern or node.naming.fixed or node.name
        doc = tuple(
            wrap(
                f"The next {node.name} group ({naming}), with its attributes.",
                LINE_LENGTH - len(PARAM_INDENT) - 3,
            )
        )
        narrowed = any(p.default_code is None for p in params)
        methods.append(
            GroupMethod(role.method, node.name, where, extra, call, params, doc, narrowed)
        )
    return tuple(methods), uses_literal


@dataclass(frozen=True)
class _SaverRole:
    """A module saver and the group it creates (found as the runtime finds it)."""

    name: str
    role: str
    group_type: str
    head: tuple[str, ...]
    call_head: str


_SAVER_HEAD = ("where: _rt.Where | None = None", "name: str | None = None")

#: Module savers whose ``get_set_node`` creates a group of the layout.
MODULE_SAVER_ROLES = (
    _SaverRole(
        "ScanSaver",
        "scan",
        "scan",
        ("where: _rt.Where | None = None", "new: bool = False"),
        "where, new",
    ),
    _SaverRole("DetectorSaver", "detector", "detector", _SAVER_HEAD, "where, name"),
    _SaverRole("DetectorEnlargeableSaver", "detector", "detector", _SAVER_HEAD, "where, name"),
    _SaverRole("DetectorExtendedSaver", "detector", "detector", _SAVER_HEAD, "where, name"),
    _SaverRole("ActuatorSaver", "actuator", "actuator", _SAVER_HEAD, "where, name"),
)
_SAVER_NAMES = frozenset({"where", "new", "name", "attrs"})


def lower_module_savers(
    spec: LayoutSpec, reserved: frozenset[str]
) -> tuple[tuple[ModuleSaverClass, ...], bool]:
    """The typed module savers (only where the group they create has attributes)."""
    out: list[ModuleSaverClass] = []
    uses_literal = False
    for role in MODULE_SAVER_ROLES:
        bindings = spec.bindings or resolve_bindings(spec)
        binding = bindings.groups.get(role.group_type)
        node = spec.nodes[binding.node] if binding is not None and binding.node else None
        if node is None:
            continue
        params, _ = lower_params(node, reserved | _SAVER_NAMES)
        if not params:
            continue
        optional = []
        for p in params:
            attr = node.attrs[p.attr_code[1:-1]] if p.attr_code[1:-1] in node.attrs else None
            ann = p.annotation if p.default_code == "None" else None
            if ann is None and attr is not None:
                plain, lit = annotation(attr, p.name, required=False)
                uses_literal = uses_literal or lit
                ann = f"{plain} | None"
            elif ann is None:
                ann = "object"
            elif "Literal[" in ann:
                uses_literal = True
            optional.append(Param(p.name, p.attr_code, ann, "None", True, p.doc))
        naming = node.naming.pattern or node.naming.fixed or node.name
        out.append(
            ModuleSaverClass(
                name=role.name,
                node_type=node.name,
                head=role.head,
                call_head=role.call_head,
                params=tuple(optional),
                doc=f"{role.name} whose new {safe_text(node.name)} groups get this layout's "
                "attributes.",
                method_doc=tuple(
                    wrap(
                        f"The module's {node.name} group ({naming}); a new one gets these "
                        "attributes, else the module's h5_attrs.",
                        88,
                    )
                ),
            )
        )
    return tuple(out), uses_literal


def lower(spec: LayoutSpec, base: LayoutSpec | None = None) -> ModuleIR:
    """Take every decision about the module of ``spec`` (``base``: the layout it extends,
    when known, for the docstring's list of what it changes)."""
    if spec.bindings is None:
        spec = bind(spec)
    name = _check_identifier(spec.layout, "layout name")
    bound = tuple(api.LAYOUT_BOUND_CLASSES)
    reexports = tuple(sorted(api.REEXPORTS, key=import_sort_key))
    module_names = {
        "LAYOUT",
        "LAYOUT_SPEC",
        "SPECIAL_GROUP_NAMES",
        "validate",
        "PathLike",
        "_rt",
        "Any",
        "ClassVar",
        "Literal",
        "Mapping",
    }
    reserved = frozenset(_METHOD_NAMES | module_names | set(bound) | set(reexports))
    methods, uses_literal = lower_methods(spec, reserved)
    savers, savers_literal = lower_module_savers(spec, reserved)
    uses_literal = uses_literal or savers_literal
    reexports = tuple(n for n in reexports if n not in {c.name for c in savers})
    classes = []
    for cls in bound:
        runtime_cls = getattr(api, cls)
        low_level = issubclass(runtime_cls, api.H5SaverLowLevel)
        opens_paths = hasattr(runtime_cls, "SAVER_CLASS")
        own = methods if cls == "H5SaverLowLevel" else ()
        doc = f"{cls} of the {name} layout."
        if low_level:
            doc = f"{cls} of the {name} layout (bound to ``LAYOUT_SPEC`` at the end)."
        extra = ("H5SaverLowLevel",) if low_level and cls != "H5SaverLowLevel" else ()
        binds_saver = opens_paths and not low_level
        classes.append(BoundClass(cls, doc, low_level, binds_saver, extra, own))
    generator = f"h5layout {__version__}"
    sha = spec.sha256 if _HEX.match(spec.sha256) else py_str(spec.sha256)
    first = f"Generated by {generator} from the layout {name} (version {word(spec.version)})."
    header = (
        *(f"# {line}" for line in wrap(first, LINE_LENGTH - 2)),
        "# Do not edit: change the layout and compile it again (h5layout compile).",
        *(f"# {line}" for line in wrap(f"Layout sha256: {sha}", LINE_LENGTH - 2)),
    )
    doc_lines = [f"Savers and loaders of the {name} layout (generated by h5layout, do not edit)."]
    if spec.description:
        doc_lines += ["", *wrap(spec.description, 88)]
    doc_lines += ["", *node_table(spec, safe_text, base)]
    doc_lines += [
        "",
        "Below: the layout's savers and loaders (each bound to this layout), ``validate``,",
        "then the layout itself as data (``LAYOUT``, read into ``LAYOUT_SPEC``).",
    ]
    # list and dict attributes keep ``Any`` items: ``list[object]`` would refuse a ``list[int]``
    uses_any = any(
        "Any" in p.annotation
        for group in (*(m.params for m in methods), *(s.params for s in savers))
        for p in group
    )
    typing_names = (
        *(("Any",) if uses_any else ()),
        "ClassVar",
        *(("Literal",) if uses_literal else ()),
    )
    abc_names = ("Mapping",) if methods else ()
    own_names = {"LAYOUT", "LAYOUT_SPEC", "SPECIAL_GROUP_NAMES", "validate"}
    all_names = sorted({*own_names, *bound, *reexports, *(c.name for c in savers)}, key=isort_key)
    assert spec.bindings is not None
    special = {"nav_axes": spec.bindings.nav_axes.naming.format()}
    return ModuleIR(
        generator=generator,
        layout_name=name,
        header_lines=header,
        docstring="\n".join(doc_lines),
        runtime_api_version=int(api.RUNTIME_API_VERSION),
        typing_names=typing_names,
        abc_names=abc_names,
        data_section=tuple(
            (tuple(wrap(comment, LINE_LENGTH - 3)), code) for comment, code in layout_data(spec)
        ),
        special_names_code=py_literal(special),
        reexports=reexports,
        classes=tuple(classes),
        all_names=tuple(all_names),
        module_savers=savers,
    )
