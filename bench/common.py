"""What every scenario shares: options, results, the printed table, data builders."""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

#: calls between flushes, the same for h5layout and the raw baselines of A and B
FLUSH_EVERY = 100


@dataclass
class Options:
    """Command-line options every scenario sees."""

    quick: bool
    backends: tuple[str, ...]
    workdir: Path
    pymodaq: bool = True
    shared: dict[str, Any] = field(default_factory=dict)  # files scenarios pass on (A → D, E)


@dataclass
class Result:
    """One row of the table.

    ``h5layout``, ``raw`` and ``pymodaq`` are in ``unit``; ``ratio`` is h5layout/raw and
    ``target`` the bound it must meet (``<=`` or ``>=`` per ``sense``).
    """

    scenario: str
    backend: str
    metric: str
    unit: str
    h5layout: float | None
    raw: float | None = None
    target: float | None = None
    sense: str = "<="
    pymodaq: float | None = None
    note: str = ""
    ratio: float | None = None
    pm_ratio: float | None = None
    passed: bool | None = None
    #: the same work hand-written with the backend's own library (PyTables rows): the floor
    #: h5layout cannot go under on that backend; ``lib_ratio`` is h5layout / raw_lib
    raw_lib: float | None = None
    lib_ratio: float | None = None

    def __post_init__(self) -> None:
        if self.ratio is None and self.h5layout is not None and self.raw:
            self.ratio = self.h5layout / self.raw
        if self.lib_ratio is None and self.h5layout is not None and self.raw_lib:
            self.lib_ratio = self.h5layout / self.raw_lib
        if self.pm_ratio is None and self.pymodaq is not None and self.raw:
            self.pm_ratio = self.pymodaq / self.raw
        if self.passed is None and self.target is not None:
            value = self.ratio if self.raw is not None else self.h5layout
            if value is not None and not math.isnan(value):
                self.passed = value <= self.target if self.sense == "<=" else value >= self.target


def skipped(scenario: str, reason: str, backend: str = "-") -> Result:
    """A row saying a scenario could not run."""
    print(f"  {scenario}: skipped: {reason}")
    return Result(scenario, backend, "skipped", "", None, note=f"skipped: {reason}")


def has_module(name: str) -> bool:
    """Whether ``name`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # a parent package that does not import counts as absent
        return False


def pymodaq_available() -> bool:
    """Whether pymodaq_data is installed."""
    return has_module("pymodaq_data")


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _target(r: Result) -> str:
    if r.target is None:
        return "-"
    return f"{r.sense} {r.target:g}"


HEADER = (
    "scenario", "backend", "metric", "ratio", "target", "pass", "h5layout", "raw", "unit",
    "pymodaq_data", "pm ratio", "raw PyTables", "ratio to it",
)  # fmt: skip


def rows(results: list[Result]) -> list[tuple[str, ...]]:
    """The table's rows as text, ratios first."""
    out: list[tuple[str, ...]] = []
    for r in results:
        verdict = "-" if r.passed is None else ("pass" if r.passed else "FAIL")
        out.append(
            (
                r.scenario, r.backend, r.metric, _fmt(r.ratio), _target(r), verdict,
                _fmt(r.h5layout), _fmt(r.raw), r.unit, _fmt(r.pymodaq), _fmt(r.pm_ratio),
                _fmt(r.raw_lib), _fmt(r.lib_ratio),
            )
        )  # fmt: skip
    return out


def format_table(results: list[Result], markdown: bool = False) -> str:
    """The results as an aligned text table (or a Markdown table)."""
    body = rows(results)
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(HEADER)]
    line = "  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(out)


def write_json(results: list[Result], path: Path, meta: dict[str, Any]) -> None:
    """Results and run information as JSON."""
    payload = {"meta": meta, "results": [asdict(r) for r in results]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


# -- layout copies for the raw baselines ---------------------------------------------------


@dataclass
class NodeCopy:
    """One node of a file as raw h5py needs it to write the same node."""

    path: str
    is_group: bool
    attrs: dict[str, Any]
    shape: tuple[int, ...] = ()
    maxshape: tuple[int | None, ...] | None = None
    dtype: Any = None
    chunks: tuple[int, ...] | None = None
    fillvalue: Any = None
    data: np.ndarray | None = None  # fixed content (axes), None for data written later


def copy_layout(path: Path, keep_data: tuple[str, ...] = ("Axis",)) -> list[NodeCopy]:
    """Every node below the root of ``path``: groups, array creation parameters, attributes.

    Arrays whose name starts with one of ``keep_data`` keep their content (axes are
    written whole at creation); the others are recreated empty.
    """
    nodes: list[NodeCopy] = []
    with h5py.File(path, "r") as f:
        root_attrs = dict(f.attrs)
        nodes.append(NodeCopy("/", True, root_attrs))

        def visit(name: str, obj: Any) -> None:
            attrs = dict(obj.attrs)
            if isinstance(obj, h5py.Group):
                nodes.append(NodeCopy("/" + name, True, attrs))
                return
            keep = name.rsplit("/", 1)[-1].startswith(keep_data)
            nodes.append(
                NodeCopy(
                    "/" + name, False, attrs, tuple(obj.shape), obj.maxshape, obj.dtype,
                    obj.chunks, obj.fillvalue, obj[()] if keep and obj.size else None,
                )
            )  # fmt: skip

        f.visititems(visit)
    return nodes


def write_layout(f: h5py.File, nodes: list[NodeCopy]) -> dict[str, h5py.Dataset]:
    """Create ``nodes`` in ``f`` with plain h5py calls; the datasets by path."""
    handles: dict[str, h5py.Dataset] = {}
    for node in nodes:
        if node.is_group:
            group = f if node.path == "/" else f.require_group(node.path)
            for key, value in node.attrs.items():
                group.attrs[key] = value
            continue
        if node.data is not None:
            ds = f.create_dataset(node.path, data=node.data, chunks=node.chunks)
        else:
            ds = f.create_dataset(
                node.path, shape=node.shape, maxshape=node.maxshape, dtype=node.dtype,
                chunks=node.chunks, fillvalue=node.fillvalue,
            )  # fmt: skip
        for key, value in node.attrs.items():
            ds.attrs[key] = value
        handles[node.path] = ds
    return handles


def describe(path: Path) -> dict[str, tuple[Any, ...]]:
    """Paths with shape, chunks and attribute names: what must match between writers."""
    out: dict[str, tuple[Any, ...]] = {}
    with h5py.File(path, "r") as f:

        def visit(name: str, obj: Any) -> None:
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj.shape, obj.chunks, obj.dtype.str, sorted(obj.attrs))
            else:
                out[name] = ("group", sorted(obj.attrs))

        f.visititems(visit)
    return out


def same_layout(a: Path, b: Path, ignore: tuple[str, ...] = ("Logger",)) -> list[str]:
    """Differences of :func:`describe` between two files (nodes named in ``ignore`` aside)."""
    da, db = describe(a), describe(b)
    diffs = []
    for key in sorted(set(da) | set(db)):
        if key.rsplit("/", 1)[-1] in ignore:
            continue
        if da.get(key) != db.get(key):
            diffs.append(f"{key}: {da.get(key)} != {db.get(key)}")
    return diffs


@contextmanager
def quiet_warnings() -> Iterator[None]:
    """Silence the warnings pymodaq_data's imports and calls emit."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def json_attr(value: str) -> str:
    """A text attribute in the pymodaq JSON envelope (what h5layout writes for ``shape``)."""
    return json.dumps({"module": "builtins", "type": "tuple", "data": value})
