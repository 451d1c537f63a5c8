"""Walking one open HDF5 file and checking every node against a resolved layout.

:class:`Checker` is the rule engine behind :func:`h5layout.runtime.check.validate.validate_file`:
each node is recognised as one of the layout's node types (the candidates are the types the
parent's type may hold; a name pattern and the ``match`` attribute values pick one, the
most specific wins), then its attributes, array properties and child counts are checked,
and the bookkeeping attributes are compared with the data. Only attributes and dataset
metadata are read, never the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from h5layout.runtime.check.report import RULES, FileReport, Finding
from h5layout.runtime.codec.attrs import is_envelope_raw, read_attr
from h5layout.runtime.layout.attrcheck import check_value, units_attr
from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec

if TYPE_CHECKING:
    import h5py

_SEVERITY_OF_POLICY = {"error": "error", "warn": "warning"}


@dataclass
class _Node:
    """What the walk knows about one node (attributes decoded once)."""

    path: str
    name: str
    obj: Any
    is_group: bool
    raw_attrs: dict[str, Any]
    attrs: dict[str, Any]
    spec: NodeSpec | None = None
    children: list[_Node] = field(default_factory=list)


class Checker:
    """One run of the checks over one open file."""

    def __init__(self, spec: LayoutSpec, report: FileReport) -> None:
        self.spec = spec
        self.report = report
        self._seen: set[Any] = set()
        # where each object was first reached: a later link under that path is a cycle
        self._first_path: dict[Any, str] = {}
        # which library wrote the file: a layout may declare per-backend encodings
        self.backend = "h5py"
        # h5py helpers, set by run() (h5py is imported only when a file is checked)
        self._read_attribute: Callable[[Any, Any], Any] | None = None
        self._is_hard_link: Callable[[Any, Any], bool] = lambda group, name: True
        self._open_child: Callable[[Any, Any], Any] = lambda group, name: group[name]

    # ---------------------------------------------------------------- helpers

    def add(
        self,
        code: str,
        node: str,
        message: str,
        *,
        attribute: str | None = None,
        spec: NodeSpec | None = None,
        location: str | None = None,
        severity: str | None = None,
        repairable: bool = False,
    ) -> None:
        self.report.findings.append(
            Finding(
                code=code,
                severity=severity or RULES[code][0],
                node=node,
                attribute=attribute,
                node_type=spec.name if spec else None,
                layout_location=location
                if location is not None
                else (spec.location if spec else None) or None,
                message=message,
                repairable=repairable,
            )
        )

    def guarded(self, what: str, node: str, fn: Callable[[], None]) -> None:
        """Run one rule; an exception becomes an ``internal-error`` finding."""
        try:
            fn()
        except (OSError, RuntimeError) as exc:  # how h5py reports HDF5 read errors
            self.add("unreadable-file", node, f"{what}: HDF5 cannot read it ({exc}); damaged file?")
        except Exception as exc:
            self.add(
                "internal-error",
                node,
                f"{what} failed: {type(exc).__name__}: {exc}",
            )

    def _load(self, path: str, name: str, obj: Any, is_group: bool) -> _Node:
        raw: dict[str, Any] = {}
        dec: dict[str, Any] = {}
        try:
            # One attribute manager per node: h5py builds a new one at each `.attrs`.
            manager = obj.attrs
            names = list(manager.keys())
        except Exception as exc:
            self.add("unreadable-file", path, f"cannot list attributes: {exc}")
            names = []
        read = self._read_attribute
        for key in names:
            try:
                value = read(obj, key) if read is not None else manager[key]
            except Exception as exc:
                self.add(
                    "bad-attribute-type",
                    path,
                    f"cannot read the attribute ({type(exc).__name__}: {exc})",
                    attribute=_name_text(key),
                )
                continue
            text = _name_text(key)
            if isinstance(key, bytes):
                self.add(
                    "non-utf8-name",
                    path,
                    f"attribute name {text!r} is not valid UTF-8: PyTables (pymodaq_data's "
                    "default backend) crashes on it; h5layout reads the file with h5py only",
                    attribute=text,
                )
            raw[text] = value
            try:
                dec[text] = read_attr(value)
            except Exception:
                dec[text] = value
        return _Node(path, name, obj, is_group, raw, dec)

    # ---------------------------------------------------------------- walk

    def run(self, h5: h5py.File) -> None:
        import h5py

        from h5layout.runtime.storage.backends import _h5py

        self._read_attribute = _h5py.read_attribute
        self._is_hard_link = _h5py.is_hard_link
        self._open_child = _h5py.open_child
        root_spec = self.spec.nodes.get(self.spec.root)
        root = self._load("/", "/", h5, True)
        root.spec = root_spec
        try:
            root_key = hash(h5["/"].id)
            self._seen.add(root_key)
            self._first_path[root_key] = "/"
        except (TypeError, ValueError, OSError, RuntimeError):
            pass
        # Depth first, in name order (deterministic findings); a group's consistency
        # checks run when the walk leaves it, once its whole subtree is loaded.
        stack: list[tuple[_Node, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self.guarded("checking consistency", node.path, partial(self._bookkeeping, node))
                continue
            if node.is_group:
                self._load_children(node, h5py)
                self.guarded("recognising children", node.path, partial(self._classify, node))
            self.guarded("checking the node", node.path, partial(self._check_node, node))
            if node.is_group:
                stack.append((node, True))
                for child in reversed(node.children):
                    if child.spec is not None:
                        stack.append((child, False))
        self.guarded("checking root bookkeeping", "/", lambda: self._root_bookkeeping(root))

    def _load_children(self, node: _Node, h5py: Any) -> None:
        try:
            # h5py gives bytes for names that are not valid UTF-8 (damaged or foreign files).
            names = sorted(node.obj.keys(), key=_name_text)
        except (OSError, RuntimeError) as exc:
            self.add("unreadable-file", node.path, f"cannot list the group ({exc}); damaged file?")
            return
        for name in names:
            path = f"{node.path.rstrip('/')}/{_name_text(name)}"
            if isinstance(name, bytes):
                self.add(
                    "non-utf8-name",
                    path,
                    "the link name is not valid UTF-8: PyTables (pymodaq_data's default "
                    "backend) crashes on it; h5layout reads the file with h5py only",
                )
            try:
                hard = self._is_hard_link(node.obj, name)
                if not hard:
                    link = node.obj.get(name, getlink=True)
            except Exception as exc:
                self.add("unreadable-file", path, f"cannot read the link: {exc}")
                continue
            if not hard:
                self.add("link-not-followed", path, f"{type(link).__name__} not followed")
                continue
            try:
                obj = self._open_child(node.obj, name)
            except Exception as exc:
                self.add("unreadable-file", path, f"cannot open the node: {exc}")
                continue
            # Hard links may reach a node twice, or make a cycle: visit each object once.
            try:
                key: Any = hash(obj.id)  # h5py hashes (file, object address)
            except (TypeError, ValueError, OSError, RuntimeError):
                key = path
            if key in self._seen:
                first = self._first_path.get(key, "")
                if first == "/" or path.startswith(first.rstrip("/") + "/"):
                    self.add(
                        "link-cycle",
                        path,
                        f"a hard link back to {first!r}, one of its own ancestors: the file "
                        "holds a cycle; not followed",
                    )
                continue
            self._seen.add(key)
            self._first_path[key] = path
            child = self._load(path, _name_text(name), obj, isinstance(obj, h5py.Group))
            node.children.append(child)

    # ---------------------------------------------------------------- recognition

    def _candidates(self, parent: NodeSpec) -> Iterator[NodeSpec]:
        for type_name in parent.children:
            child = self.spec.nodes.get(type_name)
            if child is not None:
                yield child

    def _classify(self, node: _Node) -> None:
        parent = node.spec
        if parent is None:
            return
        for child in node.children:
            kind = "group" if child.is_group else "array"
            best: tuple[int, int, NodeSpec] | None = None
            fallback: tuple[int, NodeSpec] | None = None
            # Identity: the node's own attributes (``type: scan``, ``CLASS``...) say it is
            # one of this parent's node types although its name does not fit that type.
            identity: tuple[int, int, NodeSpec] | None = None
            for order, cand in enumerate(self._candidates(parent)):
                if cand.kind != kind:
                    continue
                name_score = _name_score(cand, child.name)
                agrees = all(
                    _matches(child.attrs.get(k, _ABSENT), v) for k, v in cand.match.items()
                )
                if name_score < 0:
                    if agrees and cand.match:
                        key = (len(cand.match), -order)
                        if identity is None or key > identity[:2]:
                            identity = (*key, cand)
                    continue
                if agrees:
                    score = name_score + len(cand.match)
                    if best is None or score > best[0]:
                        best = (score, -order, cand)
                elif name_score > 0 and (fallback is None or name_score > fallback[0]):
                    # Named like this type, but its attributes disagree: check it as this
                    # type so the attribute rules say what is wrong.
                    fallback = (name_score, cand)
            if identity is not None and (best is None or len(best[2].match) < identity[0]):
                # More specific by what the node says it is than any type its name fits (a
                # catch-all such as ``generic`` must not hide a misnamed scan): checked as
                # that type, and its name is a finding.
                cand = identity[2]
                child.spec = cand
                self.add(
                    "bad-name",
                    child.path,
                    f"its attributes ({_match_text(cand.match)}) make it a {cand.name!r}, "
                    f"which this layout names {cand.naming.pattern or cand.naming.fixed}",
                    spec=cand,
                    location=rule_location(cand, "name"),
                )
            elif best is not None:
                child.spec = best[2]
            elif fallback is not None:
                child.spec = fallback[1]
            else:
                policy = parent.undeclared
                if policy != "allow":
                    expected = ", ".join(parent.children) or "nothing"
                    self.add(
                        "undeclared-node",
                        child.path,
                        f"{kind} not declared by the layout (a {parent.name!r} holds: {expected})",
                        spec=parent,
                        severity=_SEVERITY_OF_POLICY[policy],
                    )
        self._child_counts(node)

    def _child_counts(self, node: _Node) -> None:
        parent = node.spec
        assert parent is not None
        counts: dict[str, int] = {}
        for child in node.children:
            if child.spec is not None:
                counts[child.spec.name] = counts.get(child.spec.name, 0) + 1
        for type_name, rule in parent.children.items():
            n = counts.get(type_name, 0)
            target = self.spec.nodes.get(type_name)
            if n < rule.min:
                if n == 0:
                    label = target.naming.fixed or target.naming.pattern if target else None
                    self.add(
                        "missing-node",
                        node.path,
                        f"no {type_name!r} node"
                        + (f" ({label})" if label else "")
                        + f"; the layout requires at least {rule.min}",
                        spec=target or parent,
                        location=rule_location(parent, "children", (target or parent).location),
                    )
                else:
                    self.add(
                        "too-few-children",
                        node.path,
                        f"{n} {type_name!r} node(s), the layout requires at least {rule.min}",
                        spec=parent,
                        location=rule_location(parent, "children"),
                    )
            if rule.max is not None and n > rule.max:
                self.add(
                    "too-many-children",
                    node.path,
                    f"{n} {type_name!r} nodes, the layout allows at most {rule.max}",
                    spec=parent,
                    location=rule_location(parent, "children"),
                )

    # ---------------------------------------------------------------- node checks

    def _check_node(self, node: _Node) -> None:
        spec = node.spec
        if spec is None:
            return
        self._check_attrs(node, spec)
        if not node.is_group and spec.array is not None:
            self._check_array(node, spec)

    def _check_attrs(self, node: _Node, spec: NodeSpec) -> None:
        if node.path == "/" and "PYTABLES_FORMAT_VERSION" in node.raw_attrs:
            self.backend = "tables"
        encodings = spec.options.get("backend_encodings", {}).get(self.backend, {})
        for name, aspec in spec.attrs.items():
            loc = aspec.location or spec.location
            if name not in node.raw_attrs:
                if aspec.required:
                    self.add(
                        "missing-attribute",
                        node.path,
                        f"missing required attribute ({aspec.type})",
                        attribute=name,
                        spec=spec,
                        location=loc,
                    )
                continue
            raw = node.raw_attrs[name]
            value = node.attrs[name]
            enveloped = is_envelope_raw(raw)
            encoding = encodings.get(name, aspec.encoding)
            if encoding == "json" and not enveloped:
                self.add(
                    "bad-encoding",
                    node.path,
                    "stored as a native HDF5 attribute; the layout declares the JSON envelope",
                    attribute=name,
                    spec=spec,
                    location=loc,
                )
            elif encoding == "native" and enveloped:
                self.add(
                    "bad-encoding",
                    node.path,
                    "stored in the JSON envelope; the layout declares a native HDF5 attribute",
                    attribute=name,
                    spec=spec,
                    location=loc,
                )
            for code, msg in check_value(aspec, value):
                self.add(code, node.path, msg, attribute=name, spec=spec, location=loc)
        # ``<name>_units`` companions of attributes declared with units (savers write them)
        companions = {units_attr(n): a for n, a in spec.attrs.items() if a.units}
        for cname, aspec in companions.items():
            if cname in spec.attrs or cname not in node.attrs:
                continue
            if node.attrs[cname] != aspec.units:
                self.add(
                    "bad-attribute-value",
                    node.path,
                    f"units {node.attrs[cname]!r}; the layout declares {aspec.name!r} in "
                    f"{aspec.units!r}",
                    attribute=cname,
                    spec=spec,
                    location=aspec.location or spec.location,
                )
        policy = spec.options.get("undeclared_attrs", spec.undeclared)
        if policy in _SEVERITY_OF_POLICY:
            for name in node.raw_attrs:
                if name not in spec.attrs and name not in companions:
                    self.add(
                        "undeclared-attribute",
                        node.path,
                        f"attribute not declared for {spec.name!r}",
                        attribute=name,
                        spec=spec,
                        severity=_SEVERITY_OF_POLICY[policy],
                    )

    def _check_array(self, node: _Node, spec: NodeSpec) -> None:
        import h5py

        arr = spec.array
        assert arr is not None
        ds = node.obj
        shape = tuple(ds.shape or ())
        maxshape = tuple(ds.maxshape or ())
        base = h5py.check_vlen_dtype(ds.dtype)
        is_vlen = base is not None and ds.dtype.kind == "O"
        elem = base if base is not None else ds.dtype
        if arr.kind == "fixed":
            # PyTables' chunked CArrays report a finite maxshape larger than the shape.
            bad = is_vlen or any(m is None for m in maxshape)
            want = "a fixed-size array"
        elif arr.kind == "enlargeable":
            bad = is_vlen or not maxshape or maxshape[0] is not None
            want = "an enlargeable array (first dimension unlimited)"
        else:  # vlen and strings: one variable-length row per append
            bad = not is_vlen
            want = "a variable-length array"
        if bad:
            got = "variable-length" if is_vlen else f"shape {shape}, maxshape {maxshape}"
            self.add(
                "bad-array-kind",
                node.path,
                f"must be {want}; got {got}",
                spec=spec,
                location=rule_location(spec, "kind"),
            )
        dname = elem.name if hasattr(elem, "name") else str(elem)
        if arr.dtypes and dname not in arr.dtypes:
            self.add(
                "bad-dtype",
                node.path,
                f"dtype {dname} is not allowed (one of {', '.join(arr.dtypes)})",
                spec=spec,
                location=rule_location(spec, "dtypes"),
            )
        if arr.rank is not None:
            lo, hi = arr.rank
            if len(shape) < lo or (hi is not None and len(shape) > hi):
                span = f"{lo}" if hi == lo else f"{lo}..{hi if hi is not None else ''}"
                self.add(
                    "bad-rank",
                    node.path,
                    f"{len(shape)} dimension(s), expected {span}",
                    spec=spec,
                    location=rule_location(spec, "rank"),
                )
        if arr.dims is not None and len(arr.dims) == len(shape):
            for i, (want_n, got_n) in enumerate(zip(arr.dims, shape, strict=True)):
                if want_n is not None and want_n != got_n:
                    self.add(
                        "bad-shape",
                        node.path,
                        f"dimension {i} has {got_n} elements, the layout fixes {want_n}",
                        spec=spec,
                        location=rule_location(spec, "dims"),
                    )
        # The `dtype` bookkeeping attribute says what the data are.
        stored = node.attrs.get("dtype")
        if isinstance(stored, str) and stored and stored != dname and "dtype" in spec.attrs:
            self.add(
                "bad-dtype",
                node.path,
                f"the dtype attribute says {stored}, the array holds {dname}",
                attribute="dtype",
                spec=spec,
                location=spec.attrs["dtype"].location or spec.location,
            )
        self._array_bookkeeping(node, spec, shape)

    def _array_bookkeeping(self, node: _Node, spec: NodeSpec, shape: tuple[int, ...]) -> None:
        stored = node.attrs.get("shape")
        if isinstance(stored, tuple | list) and all(_is_int(x) for x in stored):
            if tuple(int(x) for x in stored) != shape:
                self.add(
                    "stale-shape",
                    node.path,
                    f"shape attribute says {tuple(int(x) for x in stored)}, the array is {shape}",
                    attribute="shape",
                    spec=spec,
                    repairable=True,
                )
        if node.attrs.get("data_type") == "axis":
            size = _as_int(node.attrs.get("size"))
            if size is not None and shape and size != shape[0]:
                self.add(
                    "stale-size",
                    node.path,
                    f"size attribute says {size}, the axis holds {shape[0]} values",
                    attribute="size",
                    spec=spec,
                    repairable=True,
                )
        nav = node.attrs.get("nav_indexes")
        if isinstance(nav, tuple | list) and all(_is_int(x) for x in nav):
            bad = [int(x) for x in nav if not 0 <= int(x) < len(shape)]
            if bad:
                self.add(
                    "bad-nav-indexes",
                    node.path,
                    f"nav_indexes {tuple(nav)} name dimension(s) {bad} of a {len(shape)}-D array",
                    attribute="nav_indexes",
                    spec=spec,
                )

    # ---------------------------------------------------------------- consistency

    def _bookkeeping(self, group: _Node) -> None:
        """Axes against the data next to them; NavAxes against the scan shape."""
        arrays = [c for c in group.children if not c.is_group and c.spec is not None]
        data = [c for c in arrays if _data_like(c)]
        axes = [c for c in arrays if c.attrs.get("data_type") == "axis"]
        if data and axes:
            for ax in axes:
                idx = _as_int(ax.attrs.get("index"))
                if idx is None or _spread(ax):
                    continue
                n = _length(ax)
                for d in data:
                    dshape = tuple(d.obj.shape or ())
                    if idx < len(dshape) and not _enlargeable(d, idx) and n != dshape[idx]:
                        self.add(
                            "axis-length-mismatch",
                            ax.path,
                            f"axis has {n} values, dimension {idx} of {d.path} has {dshape[idx]}",
                            spec=ax.spec,
                        )
        nav_group = next(
            (
                c
                for c in group.children
                if c.is_group and c.spec is not None and c.spec.role == "nav_axes"
            ),
            None,
        )
        if nav_group is not None:
            self._nav_axes(group, nav_group)

    def _nav_axes(self, scan: _Node, nav_group: _Node) -> None:
        nav_axes = [
            c
            for c in _iter_arrays(nav_group)
            if c.attrs.get("data_type") == "axis" and _is_int(c.attrs.get("index"))
        ]
        if not nav_axes:
            return
        reported: set[str] = set()  # one finding per axis, not one per data array
        for d in _iter_arrays(scan, skip=nav_group):
            if not _data_like(d):
                continue
            nav = d.attrs.get("nav_indexes")
            if not isinstance(nav, tuple | list) or not nav:
                continue
            dshape = tuple(d.obj.shape or ())
            for ax in nav_axes:
                i = _as_int(ax.attrs["index"])
                if i is None or i not in nav or i >= len(dshape) or ax.path in reported:
                    continue
                n = _length(ax)
                if n != dshape[i]:
                    # A live or crashed writer appends the axis and the data one after the
                    # other: for enlargeable arrays a difference is stale, not wrong.
                    grows = _enlargeable(d, i) or _enlargeable(ax, 0)
                    self.add(
                        "nav-axes-mismatch",
                        ax.path,
                        f"navigation axis has {n} values, the scan data {d.path} has "
                        f"{dshape[i]} along dimension {i}",
                        spec=ax.spec,
                        severity="warning" if grows else None,
                    )
                    reported.add(ax.path)

    def _root_bookkeeping(self, root: _Node) -> None:
        active = root.attrs.get("swmr_active")
        if active is not None and not isinstance(active, str) and bool(active):
            self.add(
                "swmr-active-left-set",
                "/",
                "swmr_active is still true: the SWMR writer did not finalize the file "
                "(run `h5layout repair`)",
                attribute="swmr_active",
                spec=root.spec,
                repairable=True,
            )


# --------------------------------------------------------------------------------------

_ABSENT: Any = object()


def _name_score(spec: NodeSpec, name: str) -> int:
    """2 for a fixed name that matches, 1 for a pattern that matches, 0 when the type has
    no naming rule, -1 when the name does not fit."""
    naming = spec.naming
    if naming.fixed is None and naming.pattern is None:
        return 0
    if naming.fixed == "/":
        return -1
    if naming.counter_text(name) is not None:
        return 2 if naming.pattern is None else 1
    return -1


def rule_location(spec: NodeSpec, key: str, fallback: str | None = None) -> str:
    """Where the layout declared one rule of a node type (``name``, ``dtypes``, ``rank``,
    ``dims``, ``kind``, ``children``): ``options['locations'][key]`` when the layout
    records it (a derived layout's own line for what it changed), else the node type's."""
    locations = spec.options.get("locations")
    if isinstance(locations, Mapping):
        found = locations.get(key)
        if key in ("rank",) and not found:
            found = locations.get("min_rank") or locations.get("max_rank")
        if isinstance(found, str) and found:
            return found
    return spec.location if fallback is None else fallback


def _match_text(match: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in match.items())


def _matches(value: Any, want: Any) -> bool:
    if value is _ABSENT:
        return False
    try:
        return bool(value == want)
    except (TypeError, ValueError):
        return False


def _is_int(x: Any) -> bool:
    import numpy as np

    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def _name_text(name: str | bytes) -> str:
    return name.decode("utf-8", "backslashreplace") if isinstance(name, bytes) else name


def _as_int(x: Any) -> int | None:
    return int(x) if _is_int(x) else None


def _data_like(node: _Node) -> bool:
    return node.attrs.get("data_type") in ("data", "bkg", "error", "data_enlargeable")


def _spread(node: _Node) -> bool:
    return node.attrs.get("distribution") == "spread"


def _length(node: _Node) -> int:
    shape = tuple(node.obj.shape or ())
    return int(shape[0]) if shape else 0


def _enlargeable(node: _Node, dim: int) -> bool:
    maxshape = tuple(node.obj.maxshape or ())
    return dim < len(maxshape) and maxshape[dim] is None


def _iter_arrays(group: _Node, skip: _Node | None = None) -> Iterator[_Node]:
    """Arrays below ``group`` that the walk has already loaded (depth first)."""
    stack = [group]
    while stack:
        g = stack.pop()
        for c in g.children:
            if c is skip:
                continue
            if c.is_group:
                stack.append(c)
            elif c.spec is not None:
                yield c
