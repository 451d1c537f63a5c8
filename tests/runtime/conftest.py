"""Fixtures and helpers shared by the runtime tests."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

from h5layout.runtime.model.data import Axis, DataRaw, DataWithAxes
from h5layout.runtime.storage.h5backend import H5Backend

BACKENDS = ("h5py", "tables")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend name in turn."""
    return str(request.param)


@pytest.fixture
def h5(backend: str, tmp_path: Path) -> Iterator[H5Backend]:
    """A new file opened for writing with the backend under test."""
    be = H5Backend(backend)
    be.open_file(tmp_path / f"conf_{backend}.h5", "w")
    yield be
    be.close_file()


def values_equal(a: Any, b: Any) -> bool:
    """Deep equality that treats NaN as equal to NaN and compares arrays and types."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (float, np.floating)) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


# -- parameter trees ---------------------------------------------------------------------------


class Parameter:
    """A lightweight parameter tree node shaped like PyMoDAQ's (no Qt).

    PyMoDAQ's parameter trees live in pymodaq_gui (Qt); this stand-in has the methods
    h5layout reads from a tree (``name()``, ``opts``, ``children()``, ``value()``,
    ``hasChildren()``).
    """

    def __init__(
        self,
        name: str,
        type: str = "group",
        title: str | None = None,
        value: Any = None,
        children: list[Parameter] | None = None,
        **opts: Any,
    ) -> None:
        self.opts: dict[str, Any] = {"name": name, "type": type, "title": title or name, **opts}
        if type != "group":
            self.opts["value"] = value
        self._children = list(children or [])

    def name(self) -> str:
        """The parameter's name."""
        return str(self.opts["name"])

    def value(self) -> Any:
        """The parameter's value (None for groups)."""
        return self.opts.get("value")

    def children(self) -> list[Parameter]:
        """Child parameters, in order."""
        return list(self._children)

    def hasChildren(self) -> bool:  # PyMoDAQ's name
        """Whether the parameter has children."""
        return bool(self._children)


def detector_tree() -> Parameter:
    """Settings shaped like a DAQ_Viewer's: nested groups and typed values."""
    return Parameter(
        "settings",
        title="Detector settings",
        children=[
            Parameter(
                "main_settings",
                title="Main settings",
                children=[
                    Parameter("DAQ_type", "list", "DAQ type:", "DAQ1D"),
                    Parameter("Naverage", "int", "Naverage", 5),
                    Parameter("exposure", "float", "Exposure (ms):", 12.5, suffix="ms"),
                    Parameter("continuous", "bool", "Continuous saving", True),
                    Parameter("live", "led", "Live", False, readonly=True),
                ],
            ),
            Parameter("comment", "text", "Comment", "µ line one\nline <two> & 'three'"),
            Parameter("empty", "str", "Empty", ""),
        ],
    )


# -- hypothesis strategies: attribute values ---------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
_numpy_scalars = st.one_of(
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.integers(-(2**31), 2**31 - 1).map(np.int32),
    st.integers(0, 255).map(np.uint8),
    st.floats(allow_nan=False).map(np.float64),
    st.floats(width=32, allow_nan=False).map(np.float32),
    st.booleans().map(np.bool_),
)
# numpy prints float arrays with 8 digits, so arrays hold exactly printable values.
_numpy_arrays = st.one_of(
    st.lists(st.integers(-(2**40), 2**40), max_size=8).map(lambda v: np.array(v, dtype=np.int64)),
    st.lists(st.integers(-1000, 1000), min_size=1, max_size=8).map(
        lambda v: np.array(v, dtype=np.float64) / 4
    ),
    st.lists(st.booleans(), min_size=1, max_size=5).map(np.array),
)
_nested_values = st.recursive(
    st.one_of(_scalars, _numpy_scalars),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=10,
)
#: any value set_attr takes: scalars, numpy scalars and arrays, nested lists, tuples, dicts
attr_values = st.one_of(_nested_values, _numpy_arrays)


# -- hypothesis strategies: data ---------------------------------------------------------------

DTYPES = ("float32", "float64", "int32", "uint16")


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A random array of ``shape`` and ``dtype`` (integers within +-2**20)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(shape) * 100).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -(2**20)), min(info.max, 2**20), shape).astype(dtype)


@st.composite
def axis_for(draw: st.DrawFn, index: int, size: int, spread_order: int = 0) -> Axis:
    """A linear or irregular axis of ``size`` values for dimension ``index``."""
    label = draw(st.sampled_from(["x", "y", "wavelength", "time", "µm axis"]))
    units = draw(st.sampled_from(["", "mm", "nm", "s", "°"]))
    if draw(st.booleans()):  # linear
        offset = draw(st.floats(-100, 100, allow_nan=False))
        scaling = draw(st.floats(0.01, 10))
        values = offset + scaling * np.arange(size, dtype=np.float64)
    else:
        steps = draw(st.lists(st.floats(0.1, 10), min_size=size, max_size=size))
        values = np.cumsum(np.asarray(steps, dtype=np.float64)) ** 1.5
    return Axis(label, units, data=values, index=index, spread_order=spread_order)


@st.composite
def dwas(
    draw: st.DrawFn,
    dims: tuple[str, ...] = ("0D", "1D", "2D", "ND"),
    with_errors: bool = True,
    name: str | None = None,
) -> DataWithAxes:
    """A random DataRaw of one of ``dims``: channels, axes, navigation, errors, extras."""
    dim = draw(st.sampled_from(dims))
    if dim == "0D":
        shape: tuple[int, ...] = (1,)
    elif dim == "1D":
        shape = (draw(st.integers(2, 9)),)
    elif dim == "2D":
        shape = (draw(st.integers(2, 5)), draw(st.integers(2, 5)))
    else:
        shape = tuple(draw(st.lists(st.integers(2, 4), min_size=3, max_size=3)))
    nav: tuple[int, ...] = ()
    if dim == "ND":
        nav = tuple(sorted(draw(st.sets(st.integers(0, 2), max_size=2))))
    dtype = draw(st.sampled_from(DTYPES))
    n = draw(st.integers(1, 3))
    data = [draw(arrays(shape, dtype)) for _ in range(n)]
    axes = []
    if dim != "0D":
        for i, size in enumerate(shape):
            if draw(st.booleans()) or i in nav:
                axes.append(draw(axis_for(i, size)))
    errors = None
    if with_errors and draw(st.booleans()):
        errors = [np.abs(draw(arrays(shape, "float64"))) for _ in range(n)]
    extras: dict[str, Any] = {}
    if draw(st.booleans()):
        extras["exposure"] = draw(st.floats(0, 10, allow_nan=False))
    return DataRaw(
        name or draw(st.sampled_from(["det", "spectrum", "cam µ"])),
        data=data,
        labels=[f"ch{i}" for i in range(n)],
        units=draw(st.sampled_from(["", "V", "counts"])),
        origin="orig",
        axes=axes,
        nav_indexes=nav,
        errors=errors,
        timestamp=draw(st.floats(1e9, 2e9)),
        **extras,
    )
