"""A small parameter tree without Qt: what :class:`~h5layout.runtime.save.h5saver.H5SaverBase`
holds as ``settings``.

It answers the calls acquisition programs make on PyMoDAQ's (pyqtgraph) parameters —
``name()``, ``type()``, ``value()``, ``setValue()``, ``child(...)``, ``children()``,
``opts``, ``settings['name']`` — and serialises to plain dicts and to PyMoDAQ's parameter
XML (through :mod:`h5layout.runtime.codec.settings`), so that PyMoDAQ reads it back into its own
parameters. Values are checked against the parameter's type and limits; nothing read from
XML is evaluated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from xml.etree import ElementTree as ET

from h5layout.runtime.codec.settings import (
    ParamDict,
    ParamValue,
    settings_from_xml,
    settings_to_xml,
)
from h5layout.runtime.errors import DataValueError

#: options every parameter carries, as PyMoDAQ's own parameters have them
_DEFAULT_OPTS: ParamDict = {
    "visible": True,
    "readonly": False,
    "enabled": True,
    "removable": False,
    "renamable": False,
    "expanded": True,
    "syncExpanded": False,
    "showTop": False,
    "strictNaming": False,
}
#: parameter types holding text
_TEXT_TYPES = frozenset({"str", "text", "browsepath", "file", "date", "color"})
#: PyMoDAQ's typed spellings of list values (``str('h5py')``, ``float(0.0)``, ``np.nan``)
_TYPED = re.compile(r"^(str|float|int|bool)\((.*)\)$", re.S)

#: a listener of value changes: ``(parameter, new value)``
Listener = Callable[["Parameter", ParamValue], None]


def _same(a: object, b: object) -> bool:
    """Equality where NaN equals NaN (fill values) and booleans equal only booleans."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _untyped(text: str) -> str | float | int | bool:
    """A value from PyMoDAQ's typed spelling, without evaluating anything."""
    text = text.strip()
    if text in ("np.nan", "nan", "float('nan')", 'float("nan")'):
        return math.nan
    match = _TYPED.match(text)
    if match is None:
        return text
    kind, inner = match.groups()
    inner = inner.strip()
    if kind == "str":
        if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
            return inner[1:-1].replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")
        return inner
    try:
        if kind == "float":
            return float(inner.strip("'\""))
        if kind == "int":
            return int(inner)
    except ValueError:
        return text
    return inner == "True"


def _typed(value: object) -> str:
    """PyMoDAQ's typed spelling of a list value (what its XML reader expects)."""
    if isinstance(value, bool):
        return f"bool({value})"
    if isinstance(value, int):
        return f"int({value})"
    if isinstance(value, float):
        return "np.nan" if math.isnan(value) else f"float({value!r})"
    return f"str({str(value)!r})"


class Parameter:
    """One parameter (a group when it has children).

    ``limits`` is a sequence of allowed values, or a mapping of labels to values (PyMoDAQ's
    ``list`` parameters); ``min``/``max`` bound numbers.
    """

    def __init__(
        self,
        name: str,
        type: str = "group",
        value: ParamValue = None,
        title: str | None = None,
        children: list[Parameter] | None = None,
        **opts: ParamValue,
    ) -> None:
        self.opts: ParamDict = {**_DEFAULT_OPTS, **opts}
        self.opts["name"] = name
        self.opts["type"] = type
        self.opts["title"] = title if title is not None else name
        self._parent: Parameter | None = None
        self._children: list[Parameter] = []
        self._listeners: list[Listener] = []
        self._opts_listeners: list[Callable[[Parameter, ParamDict], None]] = []
        self._activations: list[Callable[[Parameter], None]] = []
        if type not in ("group", "action"):
            checked = self._check(value)
            self.opts["value"] = checked
            self.opts.setdefault("default", checked)
        for child in children or []:
            self.addChild(child)

    # -- identity ------------------------------------------------------------------------
    def name(self) -> str:
        """The parameter's name."""
        return str(self.opts["name"])

    def type(self) -> str:
        """The parameter's type (``'group'``, ``'int'``, ``'list'``...)."""
        return str(self.opts["type"])

    def title(self) -> str:
        """The displayed title."""
        return str(self.opts["title"])

    def parent(self) -> Parameter | None:
        """The group holding this parameter (None for the root)."""
        return self._parent

    def path(self) -> tuple[str, ...]:
        """Names from the root's child down to this parameter."""
        names: list[str] = []
        node: Parameter | None = self
        while node is not None and node._parent is not None:
            names.append(node.name())
            node = node._parent
        return tuple(reversed(names))

    # -- values --------------------------------------------------------------------------
    def value(self) -> ParamValue:
        """The current value (None for groups and actions)."""
        return self.opts.get("value")

    def defaultValue(self) -> ParamValue:
        """The default value."""
        return self.opts.get("default")

    def limits(self) -> ParamValue:
        """Allowed values (list, or mapping label -> value), or None."""
        return self.opts.get("limits")

    def _allowed(self) -> list[ParamValue] | None:
        limits = self.opts.get("limits")
        if limits is None or self.type() != "list":
            return None
        return list(limits.values()) if isinstance(limits, Mapping) else list(limits)

    def _check(self, value: ParamValue) -> ParamValue:
        """``value`` converted to the parameter's type, or a clear error."""
        ptype = self.type()
        where = "/".join(self.path()) or self.name()
        if ptype == "list":
            allowed = self._allowed()
            if allowed is None:
                return value
            if isinstance(value, str):
                limits = self.opts.get("limits")
                if isinstance(limits, Mapping) and value in limits:
                    return limits[value]
                value = _untyped(value)
            for candidate in allowed:
                if _same(candidate, value) or (isinstance(value, str) and str(candidate) == value):
                    return candidate
            raise DataValueError(f"setting {where!r}: {value!r} is not one of {allowed}")
        if value is None:
            return None
        try:
            if ptype == "bool":
                if isinstance(value, str):
                    if value.strip().lower() in ("1", "true", "yes", "on"):
                        return True
                    if value.strip().lower() in ("0", "false", "no", "off", ""):
                        return False
                    raise ValueError(value)
                return bool(value)
            if ptype == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError(value)
                out: int | float = int(value)
            elif ptype == "float":
                out = float(value)
            elif ptype in _TEXT_TYPES:
                return str(value)
            else:
                return value
        except (TypeError, ValueError):
            raise DataValueError(
                f"setting {where!r}: {value!r} is not a valid {ptype} value"
            ) from None
        low, high = self.opts.get("min"), self.opts.get("max")
        if (low is not None and out < low) or (high is not None and out > high):
            raise DataValueError(f"setting {where!r}: {out} is outside [{low}, {high}]")
        return out

    def setValue(self, value: ParamValue) -> ParamValue:
        """Check and set the value; listeners hear of real changes. Returns the value."""
        if self.type() in ("group", "action"):
            raise DataValueError(f"setting {self.name()!r} is a {self.type()}: it has no value")
        checked = self._check(value)
        old = self.opts.get("value")
        self.opts["value"] = checked
        if not _same(old, checked):
            try:
                self._notify(self, checked)
            except Exception:
                self.opts["value"] = old  # a listener refused it (a file that cannot open)
                raise
        return checked

    def setDefault(self, value: ParamValue) -> None:
        """Set the default value (the current value is unchanged)."""
        self.opts["default"] = self._check(value)

    def setOpts(self, **opts: ParamValue) -> None:
        """Change options (``visible``, ``readonly``, ``limits``...); ``value`` goes
        through :meth:`setValue`."""
        value = opts.pop("value", None) if "value" in opts else ...
        self.opts.update(opts)
        if opts:
            node: Parameter | None = self
            while node is not None:
                for listener in list(node._opts_listeners):
                    listener(self, dict(opts))
                node = node._parent
        if value is not ...:
            self.setValue(value)

    def show(self, show: bool = True) -> None:
        """Show or hide the parameter (the ``visible`` option)."""
        self.setOpts(visible=bool(show))

    def hide(self) -> None:
        """Hide the parameter."""
        self.show(False)

    # -- tree ------------------------------------------------------------------------------
    def addChild(self, child: Parameter) -> Parameter:
        """Append ``child`` (names are unique among siblings)."""
        if any(c.name() == child.name() for c in self._children):
            raise DataValueError(f"{self.name()!r} already has a child {child.name()!r}")
        child._parent = self
        self._children.append(child)
        return child

    def children(self) -> list[Parameter]:
        """The direct children, in order."""
        return list(self._children)

    def hasChildren(self) -> bool:
        """Whether the parameter has children."""
        return bool(self._children)

    def walk(self) -> Iterator[Parameter]:
        """This parameter and every descendant, depth first."""
        yield self
        for child in self._children:
            yield from child.walk()

    def _direct(self, name: str) -> Parameter | None:
        for child in self._children:
            if child.name() == name:
                return child
        return None

    def child(self, *names: str) -> Parameter:
        """The descendant at ``names``.

        The first name may be a direct child or any descendant (the first found, depth
        first); the following names walk down from it. ``KeyError`` names what is missing.
        """
        if not names:
            return self
        first = self._direct(names[0])
        if first is None:
            first = next((p for p in self.walk() if p is not self and p.name() == names[0]), None)
        if first is None:
            raise KeyError(f"{self.name()!r} has no setting {names[0]!r}")
        node = first
        for name in names[1:]:
            nxt = node._direct(name)
            if nxt is None:
                raise KeyError(f"setting {node.name()!r} has no child {name!r}")
            node = nxt
        return node

    def __getitem__(self, names: str | tuple[str, ...]) -> ParamValue:
        return self.child(*((names,) if isinstance(names, str) else names)).value()

    def __setitem__(self, names: str | tuple[str, ...], value: ParamValue) -> None:
        self.child(*((names,) if isinstance(names, str) else names)).setValue(value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(p.name() == name for p in self.walk())

    def __repr__(self) -> str:
        return f"<Parameter {self.name()!r} ({self.type()}) = {self.value()!r}>"

    # -- signals ---------------------------------------------------------------------------
    def connect(self, listener: Listener) -> None:
        """Call ``listener(parameter, value)`` when this parameter or a descendant changes."""
        self._listeners.append(listener)

    def disconnect(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def connect_options(self, listener: Callable[[Parameter, ParamDict], None]) -> None:
        """Call ``listener(parameter, changed_options)`` when options of this parameter or
        a descendant change (``visible``, ``limits``...)."""
        self._opts_listeners.append(listener)

    def _notify(self, param: Parameter, value: ParamValue) -> None:
        node: Parameter | None = self
        while node is not None:
            for listener in list(node._listeners):
                listener(param, value)
            node = node._parent

    def sigActivated_connect(self, callback: Callable[[Parameter], None]) -> None:
        """Call ``callback(parameter)`` when this action is activated."""
        self._activations.append(callback)

    def activate(self) -> None:
        """Trigger an ``action`` parameter (a button in a GUI)."""
        for callback in list(self._activations):
            callback(self)

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> ParamDict:
        """The tree as nested dicts (``name``, ``type``, ``title``, ``value``, ``children``,
        ``limits``...): what ``Parameter.create(**d)`` of PyMoDAQ takes."""
        out: ParamDict = {k: v for k, v in self.opts.items() if k != "default"}
        if self._children:
            out["children"] = [c.to_dict() for c in self._children]
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, ParamValue]) -> Parameter:
        """A tree from :meth:`to_dict`'s form."""
        opts = {
            k: v for k, v in d.items() if k not in ("name", "type", "value", "title", "children")
        }
        return cls(
            str(d["name"]),
            str(d.get("type", "group")),
            d.get("value"),
            d.get("title"),
            [cls.from_dict(c) for c in d.get("children", [])],
            **opts,
        )

    def values(self) -> ParamDict:
        """Leaf values by name path (``'backend/backend_type'``)."""
        return {
            "/".join(p.path()): p.value()
            for p in self.walk()
            if p is not self and p.type() not in ("group", "action")
        }

    def set_values(self, values: Mapping[str, ParamValue]) -> None:
        """Set several values from a plain dict: keys are names (``'h5comp_level'``) or
        paths (``'data_format/compression_options/h5comp_level'``, as :meth:`values`
        gives them). Every value is checked first: a bad one changes nothing."""
        pending = []
        for key, value in values.items():
            param = self.child(*key.split("/"))
            if param.type() in ("group", "action"):
                raise DataValueError(f"setting {key!r} is a {param.type()}: it has no value")
            pending.append((param, param._check(value)))
        for param, value in pending:
            param.setValue(value)

    def to_xml(self) -> str:
        """PyMoDAQ parameter XML: elements named after parameters with ``type``, ``title``
        and the boolean options; list values and limits in PyMoDAQ's typed spelling."""
        root = ET.fromstring(settings_to_xml(self))
        self._decorate(root)
        return ET.tostring(root, encoding="unicode")

    def _decorate(self, elt: ET.Element) -> None:
        if self.type() == "list":
            limits = self.opts.get("limits")
            if isinstance(limits, Mapping):
                elt.set("limits", repr({str(k): _typed(v) for k, v in limits.items()}))
            elif limits is not None:
                elt.set("limits", repr(list(limits)))
            if self.value() is not None:
                elt.text = _typed(self.value())
        for child, sub in zip(self._children, elt, strict=False):
            child._decorate(sub)

    def set_values_from_xml(self, xml: str | bytes) -> list[str]:
        """Set the values found in settings XML (this tree's own or PyMoDAQ's).

        Only the values of parameters this tree has are taken (types and limits are this
        tree's), except those marked ``transient`` (state such as the current file).
        Returns the paths of parameters found in the XML but unknown here;
        ``DataValueError`` when a value does not fit (nothing is set then).
        """
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        try:
            tree = settings_from_xml(text)
        except ET.ParseError as exc:
            raise DataValueError(f"settings XML cannot be parsed: {exc}") from exc
        pending: list[tuple[Parameter, ParamValue]] = []
        unknown: list[str] = []

        def walk(node: Mapping[str, ParamValue], param: Parameter, prefix: str) -> None:
            for sub in node.get("children", []):
                path = f"{prefix}/{sub['name']}" if prefix else str(sub["name"])
                target = param._direct(str(sub["name"]))
                if target is None:
                    unknown.append(path)
                    continue
                if (
                    "value" in sub
                    and target.type() not in ("group", "action")
                    and not target.opts.get("transient")
                ):
                    value = sub["value"]
                    if target.type() == "list" and isinstance(value, str):
                        value = _untyped(value)
                    pending.append((target, target._check(value)))
                walk(sub, target, path)

        walk(tree, self, "")
        for param, value in pending:
            param.setValue(value)
        return unknown

    @classmethod
    def from_xml(cls, xml: str | bytes) -> Parameter:
        """A new tree from settings XML (types from the XML, list values untyped)."""
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        try:
            tree = settings_from_xml(text)
        except ET.ParseError as exc:
            raise DataValueError(f"settings XML cannot be parsed: {exc}") from exc

        def build(d: Mapping[str, ParamValue]) -> Parameter:
            value = d.get("value")
            if d.get("type") == "list" and isinstance(value, str):
                value = _untyped(value)
            return cls(
                str(d["name"]),
                str(d.get("type", "group")),
                value,
                d.get("title"),
                [build(c) for c in d.get("children", [])],
            )

        return build(tree)
