"""The data model savers write and loaders return: Axis, DataWithAxes, DataToExport.

A small typed counterpart of pymodaq_data's objects with the attribute and method names
PyMoDAQ users rely on. :func:`as_axis`, :func:`as_dwa` and :func:`as_dte` turn
pymodaq_data's own objects (or anything with the same attribute names) into these
without touching the caller's objects; ``to_pymodaq()`` goes the other way when
pymodaq_data is installed.
"""

from __future__ import annotations

import copy as _copy
import importlib
import time
from collections.abc import Iterable, Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from h5layout.runtime.errors import DataValueError
from h5layout.runtime.model.enums import DataDim, DataDistribution, DataSource
from h5layout.runtime.model.plot import DPI, FIGSIZE

if TYPE_CHECKING:
    import os

    import xarray as xr
    from matplotlib.figure import Figure

__all__ = [
    "Axis",
    "AxisLike",
    "DataCalculated",
    "DataFromPlugins",
    "DataRaw",
    "DataToExport",
    "DataWithAxes",
    "DteLike",
    "DwaLike",
    "PymodaqObject",
    "as_axis",
    "as_dte",
    "as_dwa",
    "infer_dim",
]

#: An object of pymodaq_data (its Axis, DataWithAxes, DataToExport) or anything with the same
#: attribute names, read by duck typing: pymodaq_data is optional and ships no type
#: information h5layout could name, so such an object is typed as anything.
PymodaqObject: TypeAlias = Any
#: What savers and converters accept as an axis / a data object / a group of them: h5layout's
#: own, or one read like pymodaq_data's (:func:`as_axis`, :func:`as_dwa`, :func:`as_dte`).
AxisLike: TypeAlias = "Axis | PymodaqObject"
DwaLike: TypeAlias = "DataWithAxes | PymodaqObject"
DteLike: TypeAlias = "DataToExport | PymodaqObject"

#: Keyword arguments of PyMoDAQ's DataFromPlugins that only steer its GUI.
PLOT_KWARGS: frozenset[str] = frozenset({"plot", "viewers", "plot_type"})


def _pymodaq_data() -> ModuleType:
    """The ``pymodaq_data.data`` module, imported on first use."""
    try:
        return importlib.import_module("pymodaq_data.data")
    except ImportError as exc:
        raise ImportError(
            "to_pymodaq() needs pymodaq_data; install it with `pip install pymodaq_data`"
        ) from exc


def _is_linear(values: np.ndarray) -> bool:
    """Whether 1D ``values`` are equally spaced (a single point counts as linear)."""
    if values.size < 2:
        return values.size == 1
    if values.dtype.kind not in "iuf":
        return False
    steps = np.diff(values.astype(np.float64))
    return bool(np.all(np.isfinite(steps)) and np.allclose(steps, steps.mean()))


class Axis:
    """One axis: a label, units, the data dimension it describes, and its values.

    A linear axis can be given as ``offset``/``scaling``/``size`` (values computed by
    :meth:`get_data`), or as explicit ``data``. ``offset`` and ``scaling`` are numpy
    float64 for linear axes (whichever way they were given) and ``None`` otherwise.
    """

    def __init__(
        self,
        label: str = "",
        units: str = "",
        data: npt.ArrayLike | None = None,
        index: int = 0,
        scaling: float | None = None,
        offset: float | None = None,
        size: int | None = None,
        spread_order: int = 0,
    ) -> None:
        self.label: str = str(label)
        self.units: str = str(units)
        self.index: int = int(index)
        self.spread_order: int = int(spread_order)
        self._data: np.ndarray | None = None
        self._offset: np.float64 | None = None
        self._scaling: np.float64 | None = None
        self._size = 0
        if data is not None:
            array = np.asarray(data)
            if array.ndim == 0 or (array.ndim > 1 and sum(n != 1 for n in array.shape) <= 1):
                array = array.reshape(-1)  # a scalar or a (1, N) row is still an axis
            if array.ndim != 1:
                raise DataValueError(f"axis {self.label!r}: data must be 1D, got {array.shape}")
            self._data = array
            self._size = int(array.size)
        elif offset is not None and scaling is not None:
            self._offset = np.float64(offset)
            self._scaling = np.float64(scaling)
            self._size = int(size) if size is not None else 0
            if self._size < 0:
                raise DataValueError(f"axis {self.label!r}: size must be >= 0")
        elif size is not None:
            # Only a size: the default linear axis 0, 1, ..., size-1.
            self._offset, self._scaling, self._size = np.float64(0), np.float64(1), int(size)

    @property
    def data(self) -> np.ndarray | None:
        """The explicit values, or ``None`` for an axis given as offset/scaling."""
        return self._data

    @property
    def size(self) -> int:
        """Number of points."""
        return self._size

    @size.setter
    def size(self, value: int) -> None:
        if self._data is not None:
            raise DataValueError(f"axis {self.label!r}: the size of explicit data is fixed")
        self._size = int(value)

    @property
    def offset(self) -> np.float64 | None:
        """First value of a linear axis (``None`` if the axis is not linear)."""
        if self._data is None:
            return self._offset
        params = self._linear_params()
        return params[0] if params is not None else None

    @property
    def scaling(self) -> np.float64 | None:
        """Step of a linear axis (``None`` if the axis is not linear)."""
        if self._data is None:
            return self._scaling
        params = self._linear_params()
        return params[1] if params is not None else None

    def linear_params(self) -> tuple[np.float64, np.float64] | None:
        """``(offset, scaling)`` of a linear axis, ``None`` otherwise.

        One pass over explicit values, where asking :meth:`is_axis_linear`, :attr:`offset`
        and :attr:`scaling` in turn makes three (savers need all three for every axis).
        """
        if self._data is None:
            if self._offset is None or self._scaling is None:
                return None
            return self._offset, self._scaling
        return self._linear_params()

    def _linear_params(self) -> tuple[np.float64, np.float64] | None:
        values = self._data
        if values is None or not _is_linear(values):
            return None
        if values.size < 2:
            return np.float64(values[0]), np.float64(1.0)
        step = (float(values[-1]) - float(values[0])) / (values.size - 1)
        return np.float64(values[0]), np.float64(step)

    def is_axis_linear(self) -> bool:
        """Whether the values are equally spaced."""
        if self._data is None:
            return self._offset is not None and self._scaling is not None
        return _is_linear(self._data)

    def get_data(self) -> np.ndarray:
        """The axis values as a 1D array (computed for offset/scaling axes)."""
        if self._data is not None:
            return self._data
        if self._offset is None or self._scaling is None:
            return np.zeros((0,), dtype=np.float64)
        return self._offset + self._scaling * np.arange(self._size, dtype=np.float64)

    def copy(self) -> Axis:
        """An independent copy (values copied too)."""
        new = _copy.copy(self)
        if self._data is not None:
            new._data = self._data.copy()
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Axis):
            return NotImplemented
        if (self.label, self.units, self.index, self.spread_order) != (
            other.label,
            other.units,
            other.index,
            other.spread_order,
        ):
            return False
        mine, theirs = self.get_data(), other.get_data()
        return mine.shape == theirs.shape and _allclose(mine, theirs)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return (
            f"Axis(label={self.label!r}, units={self.units!r}, index={self.index}, "
            f"size={self.size}, spread_order={self.spread_order})"
        )

    def to_pymodaq(self) -> PymodaqObject:
        """The equivalent ``pymodaq_data.data.Axis`` (needs pymodaq_data)."""
        module = _pymodaq_data()
        if self._data is None and self._offset is not None:
            return module.Axis(
                label=self.label,
                units=self.units,
                index=self.index,
                offset=float(self._offset),
                scaling=float(self._scaling) if self._scaling is not None else None,
                size=self._size,
                spread_order=self.spread_order,
            )
        return module.Axis(
            label=self.label,
            units=self.units,
            data=self.get_data().copy(),
            index=self.index,
            spread_order=self.spread_order,
        )


def _allclose(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "iufcb" and b.dtype.kind in "iufcb":
        return bool(np.allclose(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def infer_dim(shape: Sequence[int], nav_indexes: Sequence[int] = ()) -> DataDim:
    """The DataDim PyMoDAQ gives data of ``shape``: any nav index or >2 dims is ND."""
    if nav_indexes or len(shape) > 2:
        return DataDim.DataND
    if len(shape) == 2:
        return DataDim.Data2D
    if tuple(shape) == (1,):
        return DataDim.Data0D
    return DataDim.Data1D


def _dim_fits(dim: DataDim, shape: tuple[int, ...], nav_indexes: tuple[int, ...]) -> bool:
    if nav_indexes:
        return dim == DataDim.DataND
    if dim == DataDim.DataND:
        return True
    if dim == DataDim.Data0D:
        return int(np.prod(shape)) == 1
    if dim == DataDim.Data1D:
        return len(shape) == 1 or sum(n != 1 for n in shape) <= 1
    return len(shape) == 2


_RESERVED: frozenset[str] = frozenset()  # filled after the class is defined


class DataWithAxes:
    """Data of one or more channels of the same shape, with their axes and metadata.

    Extra keyword arguments become extra attributes (``dwa.exposure``), listed in
    :attr:`extra_attributes` and written by the savers next to the data.
    """

    _default_source: DataSource | None = None

    def __init__(
        self,
        name: str,
        source: DataSource | str | None = None,
        dim: DataDim | str | None = None,
        distribution: DataDistribution | str = DataDistribution.uniform,
        data: Sequence[npt.ArrayLike] | np.ndarray | None = None,
        labels: Sequence[str] | None = None,
        origin: str = "",
        units: str = "",
        axes: Iterable[Axis] | None = None,
        nav_indexes: Iterable[int] = (),
        errors: Sequence[npt.ArrayLike] | None = None,
        timestamp: float | None = None,
        extra_attributes: Iterable[str] | None = None,
        path: str | None = None,
        **kwargs: object,
    ) -> None:
        self.name: str = str(name)
        if source is None:
            source = self._default_source or DataSource.raw
        self.source: DataSource = DataSource.parse(source)
        self.distribution: DataDistribution = DataDistribution.parse(distribution)
        self.origin: str = str(origin)
        self.units: str = str(units)
        self.path: str | None = path
        self.timestamp: float = float(time.time() if timestamp is None else timestamp)
        self._data: list[np.ndarray] = self._check_arrays(data, "data")
        self.nav_indexes: tuple[int, ...] = tuple(int(i) for i in nav_indexes)
        ndim = len(self.shape)
        if any(not 0 <= i < ndim for i in self.nav_indexes):
            raise DataValueError(
                f"{self.name!r}: nav_indexes {self.nav_indexes} outside data of {ndim} dims"
            )
        self.dim: DataDim = self._resolve_dim(dim)
        self.labels: list[str] = self._resolve_labels(labels)
        self.axes: list[Axis] = [self._sized(as_axis(ax)) for ax in (axes or [])]
        self.errors: list[np.ndarray] | None = None
        if errors is not None:
            self.errors = self._check_arrays(errors, "errors")
            if len(self.errors) != self.length or self.errors[0].shape != self.shape:
                raise DataValueError(f"{self.name!r}: errors must match the data channels")
        self._extra: dict[str, object] = {}
        for key in [*(extra_attributes or []), *kwargs]:
            if key in kwargs:
                self.add_extra_attribute(key, kwargs[key])

    # ---- construction helpers

    def _check_arrays(
        self, arrays: Sequence[npt.ArrayLike] | np.ndarray | None, what: str
    ) -> list[np.ndarray]:
        if isinstance(arrays, np.ndarray):
            arrays = [arrays]
        if arrays is None or len(arrays) == 0:
            raise DataValueError(f"{self.name!r}: {what} must be a non-empty list of arrays")
        out = []
        for item in arrays:
            array = np.asarray(item)
            if array.ndim == 0:
                array = array.reshape((1,))
            if array.size == 0:
                raise DataValueError(f"{self.name!r}: {what} arrays must not be empty")
            out.append(array)
        if any(a.shape != out[0].shape for a in out):
            shapes = [a.shape for a in out]
            raise DataValueError(f"{self.name!r}: all {what} arrays need one shape, got {shapes}")
        return out

    def _resolve_dim(self, dim: DataDim | str | None) -> DataDim:
        inferred = infer_dim(self.shape, self.nav_indexes)
        if dim is None:
            return inferred
        given = DataDim.parse(dim)
        return given if _dim_fits(given, self.shape, self.nav_indexes) else inferred

    def _sized(self, axis: Axis) -> Axis:
        """An offset/scaling axis given no size takes its dimension's (as in PyMoDAQ), on a
        copy: the caller's axis is left alone."""
        if axis.data is None and axis.size == 0 and axis.offset is not None:
            shape = self.shape
            if 0 <= axis.index < len(shape):
                axis = axis.copy()
                axis.size = shape[axis.index]
        return axis

    def _resolve_labels(self, labels: Sequence[str] | None) -> list[str]:
        given = [str(label) for label in (labels or [])][: self.length]
        return given + [f"CH{i:02d}" for i in range(len(given), self.length)]

    def add_extra_attribute(self, name: str, value: object) -> None:
        """Add (or replace) an extra attribute, readable as ``self.<name>``."""
        if name in _RESERVED or name.startswith("_"):
            raise DataValueError(f"{self.name!r}: {name!r} cannot be an extra attribute")
        self._extra[name] = value

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not regular attributes: the extra attributes,
        # which hold whatever their writer gave (so: anything).
        extra = self.__dict__.get("_extra")
        if extra is not None and name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    # ---- shape and content

    @property
    def data(self) -> list[np.ndarray]:
        """One array per channel, all of the same shape."""
        return self._data

    @property
    def extra_attributes(self) -> list[str]:
        """Names of the extra attributes."""
        return list(self._extra)

    @property
    def length(self) -> int:
        """Number of channels."""
        return len(self._data)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of each channel's array."""
        return tuple(self._data[0].shape)

    @property
    def size(self) -> int:
        """Number of elements in each channel's array."""
        return int(self._data[0].size)

    @property
    def sig_indexes(self) -> tuple[int, ...]:
        """Dimensions that are not navigation dimensions."""
        return tuple(i for i in range(len(self.shape)) if i not in self.nav_indexes)

    def get_dim_from_data_axes(self) -> DataDim:
        """The DataDim the data shape and navigation indexes imply."""
        return infer_dim(self.shape, self.nav_indexes)

    def get_data_index(self, index: int = 0) -> np.ndarray:
        """The array of channel ``index``."""
        return self._data[index]

    def get_axis_from_index(self, index: int) -> list[Axis]:
        """The axes describing data dimension ``index`` (several for spread data)."""
        return [ax for ax in self.axes if ax.index == index]

    def get_full_name(self) -> str:
        """``origin/name``."""
        return f"{self.origin}/{self.name}"

    def errors_as_dwa(self) -> DataWithAxes:
        """The error bars as calculated data named ``<name>_errors`` (no axes)."""
        if self.errors is None:
            raise DataValueError(f"{self.name!r} has no errors")
        return DataCalculated(
            f"{self.name}_errors",
            dim=self.dim,
            distribution=self.distribution,
            data=list(self.errors),
            labels=self.labels,
            origin=self.origin,
            units=self.units,
            nav_indexes=self.nav_indexes,
            timestamp=self.timestamp,
        )

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self._data)

    def __eq__(self, other: object) -> bool:
        """Same name, dim, labels, units, nav indexes, axes, data and errors (NaN == NaN)."""
        if not isinstance(other, DataWithAxes):
            return NotImplemented
        if (self.name, self.dim, self.labels, self.units, self.nav_indexes) != (
            other.name,
            other.dim,
            other.labels,
            other.units,
            other.nav_indexes,
        ):
            return False
        if self.length != other.length or not all(
            _allclose(a, b) for a, b in zip(self._data, other._data, strict=True)
        ):
            return False
        if (self.errors is None) != (other.errors is None):
            return False
        if self.errors is not None and other.errors is not None:
            if not all(_allclose(a, b) for a, b in zip(self.errors, other.errors, strict=True)):
                return False
        key = lambda ax: (ax.index, ax.spread_order)  # noqa: E731
        return sorted(self.axes, key=key) == sorted(other.axes, key=key)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def copy(self) -> DataWithAxes:
        """An independent copy: arrays, axes and extra attributes are copied."""
        new = _copy.copy(self)
        new._data = [a.copy() for a in self._data]
        new.errors = None if self.errors is None else [e.copy() for e in self.errors]
        new.axes = [ax.copy() for ax in self.axes]
        new.labels = list(self.labels)
        new._extra = _copy.deepcopy(self._extra)
        return new

    deepcopy = copy

    def with_origin(self, origin: str) -> DataWithAxes:
        """A shallow copy (arrays shared) with another origin."""
        new = _copy.copy(self)
        new._extra = dict(self._extra)
        new.origin = origin
        return new

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}: {self.name} <u: {self.units}> <len:{self.length}> "
            f"{self.dim.name} {self.shape}>"
        )

    def to_xarray(self) -> xr.DataArray:
        """An ``xarray.DataArray``: named dims, axes as coordinates, units in ``attrs``
        (needs the ``xarray`` extra; see :mod:`h5layout.runtime.model.xarray_`)."""
        from h5layout.runtime.model.xarray_ import dwa_to_xarray

        return dwa_to_xarray(self)

    def plot(
        self,
        output: str | os.PathLike[str] | None = None,
        *,
        figsize: tuple[float, float] = FIGSIZE,
        dpi: int = DPI,
    ) -> Figure:
        """A matplotlib figure of the data, saved to ``output`` when given (needs the
        ``plot`` extra; see :mod:`h5layout.runtime.model.plot`)."""
        from h5layout.runtime.model.plot import plot_dwa

        return plot_dwa(self, output, figsize=figsize, dpi=dpi)

    def to_pymodaq(self) -> PymodaqObject:
        """The equivalent pymodaq_data DataRaw / DataCalculated (needs pymodaq_data)."""
        module = _pymodaq_data()
        cls = module.DataCalculated if self.source == DataSource.calculated else module.DataRaw
        kwargs: dict[str, object] = dict(self._extra)
        if self._extra:
            kwargs["extra_attributes"] = list(self._extra)
        if self.path is not None:
            kwargs["path"] = self.path
        # Let pymodaq infer the dim it would infer anyway (it warns on dims it rejects).
        inferred = self.dim == self.get_dim_from_data_axes()
        return cls(
            self.name,
            dim=None if inferred else self.dim.name,
            distribution=self.distribution.name,
            data=[a.copy() for a in self._data],
            labels=list(self.labels),
            origin=self.origin,
            units=self.units,
            axes=[ax.to_pymodaq() for ax in self.axes],
            nav_indexes=self.nav_indexes,
            errors=None if self.errors is None else [e.copy() for e in self.errors],
            timestamp=self.timestamp,
            **kwargs,
        )


# Extra attributes may not hide a method, a property or a constructor argument.
_RESERVED = frozenset(name for name in dir(DataWithAxes) if not name.startswith("_")) | {
    "name",
    "source",
    "dim",
    "distribution",
    "origin",
    "units",
    "path",
    "timestamp",
    "labels",
    "axes",
    "nav_indexes",
    "errors",
}


class _FixedSource(DataWithAxes):
    """A DataWithAxes whose source is set by its class (no ``source`` argument)."""

    # Same positional order as pymodaq_data's DataRaw / DataCalculated.
    def __init__(
        self,
        name: str,
        dim: DataDim | str | None = None,
        distribution: DataDistribution | str = DataDistribution.uniform,
        data: Sequence[npt.ArrayLike] | np.ndarray | None = None,
        labels: Sequence[str] | None = None,
        origin: str = "",
        units: str = "",
        axes: Iterable[Axis] | None = None,
        nav_indexes: Iterable[int] = (),
        errors: Sequence[npt.ArrayLike] | None = None,
        **kwargs: Any,  # DataWithAxes' other keywords, checked by its own types
    ) -> None:
        source = kwargs.pop("source", None)
        if source is not None and DataSource.parse(source) != self._default_source:
            raise DataValueError(f"{type(self).__name__} {name!r} cannot have source {source!r}")
        super().__init__(
            name,
            self._default_source,
            dim,
            distribution,
            data,
            labels,
            origin,
            units,
            axes,
            nav_indexes,
            errors,
            **kwargs,
        )


class DataRaw(_FixedSource):
    """Data as acquired (``source='raw'``)."""

    _default_source = DataSource.raw


class DataCalculated(_FixedSource):
    """Data computed from other data (``source='calculated'``)."""

    _default_source = DataSource.calculated


class DataFromPlugins(DataRaw):
    """Data emitted by an instrument plugin; PyMoDAQ's display options are ignored."""

    # the arguments go to DataRaw's, whose own types check them
    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        for key in list(kwargs):
            if key.startswith("do_") or key in PLOT_KWARGS:
                del kwargs[key]
        super().__init__(name, *args, **kwargs)


class DataToExport:
    """A named list of DataWithAxes, as emitted together (by a detector, a module...).

    Data without an origin take the DataToExport's name as origin (on a shallow copy:
    the object passed in is left alone). Appending data whose ``origin/name`` is already
    present replaces it.
    """

    def __init__(
        self, name: str, data: Iterable[DwaLike] | None = None, timestamp: float | None = None
    ) -> None:
        self.name: str = str(name)
        self.timestamp: float = float(time.time() if timestamp is None else timestamp)
        self._data: list[DataWithAxes] = []
        self.append(list(data or []))

    @property
    def data(self) -> list[DataWithAxes]:
        """The DataWithAxes, in order."""
        return self._data

    def _adopt(self, dwa: DwaLike) -> DataWithAxes:
        item = as_dwa(dwa)
        return item.with_origin(self.name) if item.origin == "" else item

    def append(self, data: DwaLike | DteLike | Sequence[DwaLike]) -> None:
        """Add one DataWithAxes, a list of them, or the content of another DataToExport."""
        items = data.data if isinstance(data, DataToExport) else data
        if not isinstance(items, (list, tuple)):
            items = [items]
        for dwa in items:
            item = self._adopt(dwa)
            full = item.get_full_name()
            self._data = [d for d in self._data if d.get_full_name() != full]
            self._data.append(item)

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[DataWithAxes]:
        return iter(self._data)

    def __getitem__(self, index: int) -> DataWithAxes:
        return self._data[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataToExport):
            return NotImplemented
        return self.name == other.name and self._data == other._data

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return f"<DataToExport: {self.name} <len:{len(self)}> {self.get_full_names()}>"

    def _select(self, dim: DataDim | str | None) -> list[DataWithAxes]:
        if dim is None:
            return list(self._data)
        wanted = DataDim.parse(dim)
        return [d for d in self._data if d.dim == wanted]

    def get_data_from_dim(self, dim: DataDim | str) -> DataToExport:
        """A DataToExport (same name and timestamp) with the data of dimension ``dim``."""
        return DataToExport(self.name, data=self._select(dim), timestamp=self.timestamp)

    def get_names(self, dim: DataDim | str | None = None) -> list[str]:
        """Names of the data (of dimension ``dim`` if given)."""
        return [d.name for d in self._select(dim)]

    def get_full_names(self, dim: DataDim | str | None = None) -> list[str]:
        """``origin/name`` of the data (of dimension ``dim`` if given)."""
        return [d.get_full_name() for d in self._select(dim)]

    def get_data_from_name(self, name: str) -> DataWithAxes | None:
        """The first data called ``name`` (``None`` if none)."""
        return next((d for d in self._data if d.name == name), None)

    def get_data_from_name_origin(self, name: str, origin: str = "") -> DataWithAxes | None:
        """The data called ``name`` from ``origin`` (any origin when ``origin`` is empty)."""
        return next(
            (d for d in self._data if d.name == name and (not origin or d.origin == origin)),
            None,
        )

    def copy(self) -> DataToExport:
        """An independent copy."""
        return DataToExport(self.name, [d.copy() for d in self._data], self.timestamp)

    def to_xarray(self) -> xr.Dataset:
        """An ``xarray.Dataset``, one variable per channel (needs the ``xarray`` extra)."""
        from h5layout.runtime.model.xarray_ import dte_to_xarray

        return dte_to_xarray(self)

    def to_pymodaq(self) -> PymodaqObject:
        """The equivalent ``pymodaq_data.data.DataToExport`` (needs pymodaq_data)."""
        module = _pymodaq_data()
        return module.DataToExport(
            self.name, data=[d.to_pymodaq() for d in self._data], timestamp=self.timestamp
        )


# --------------------------------------------------------------------------------------
# duck typing


def as_axis(obj: AxisLike) -> Axis:
    """An :class:`Axis` from an Axis or anything with the same attributes (not mutated)."""
    if isinstance(obj, Axis):
        return obj
    label = getattr(obj, "label", "")
    units = str(getattr(obj, "units", "") or "")
    index = int(getattr(obj, "index", 0))
    spread_order = int(getattr(obj, "spread_order", 0))
    raw = getattr(obj, "data", None)
    if raw is None and hasattr(obj, "get_data"):
        offset, scaling = getattr(obj, "offset", None), getattr(obj, "scaling", None)
        size = getattr(obj, "size", None)
        if offset is not None and scaling is not None and size is not None:
            return Axis(label, units, None, index, float(scaling), float(offset), int(size),
                        spread_order)  # fmt: skip
        raw = obj.get_data()
    data = None if raw is None else np.array(raw, copy=True)
    return Axis(label, units, data, index, spread_order=spread_order)


def _readonly(array: npt.ArrayLike) -> np.ndarray:
    # A read-only view: h5layout code cannot write into the caller's arrays through it.
    view: np.ndarray = np.asarray(array).view()
    view.flags.writeable = False
    return view


def as_dwa(obj: DwaLike) -> DataWithAxes:
    """A :class:`DataWithAxes` from one, or from anything with the same attribute names.

    pymodaq_data's DataWithAxes are read attribute by attribute (enums by name); their
    arrays are shared through read-only views, their axes copied. Nothing of ``obj`` is
    changed.
    """
    if isinstance(obj, DataWithAxes):
        return obj
    try:
        name = obj.name
        arrays = obj.data
    except AttributeError as exc:
        raise DataValueError(f"{type(obj).__name__} is not a DataWithAxes: {exc}") from exc
    source_value = getattr(obj, "source", None)
    source = DataSource.raw if source_value is None else DataSource.parse(source_value)
    distribution = getattr(obj, "distribution", None)
    extras = list(getattr(obj, "extra_attributes", None) or [])
    # pymodaq sometimes lists structural names (timestamp, path) as extras: skip those.
    values = {k: getattr(obj, k) for k in extras if k not in _RESERVED and hasattr(obj, k)}
    errors = getattr(obj, "errors", None)
    dim = getattr(obj, "dim", None)
    cls = DataCalculated if source == DataSource.calculated else DataRaw
    return cls(
        str(name),
        dim=None if dim is None else DataDim.parse(dim),
        distribution=DataDistribution.uniform
        if distribution is None
        else DataDistribution.parse(distribution),
        data=[_readonly(a) for a in arrays],
        labels=list(getattr(obj, "labels", None) or []),
        origin=str(getattr(obj, "origin", "") or ""),
        units=str(getattr(obj, "units", "") or ""),
        axes=[as_axis(ax) for ax in (getattr(obj, "axes", None) or [])],
        nav_indexes=tuple(int(i) for i in (getattr(obj, "nav_indexes", None) or ())),
        errors=None if errors is None else [_readonly(e) for e in errors],
        timestamp=getattr(obj, "timestamp", None),
        path=getattr(obj, "path", None) if isinstance(getattr(obj, "path", None), str) else None,
        **values,
    )


def as_dte(obj: DteLike) -> DataToExport:
    """A :class:`DataToExport` from one, or from anything with ``name`` and ``data``."""
    if isinstance(obj, DataToExport):
        return obj
    try:
        name, items = obj.name, obj.data
    except AttributeError as exc:
        raise DataValueError(f"{type(obj).__name__} is not a DataToExport: {exc}") from exc
    return DataToExport(str(name), [as_dwa(d) for d in items], getattr(obj, "timestamp", None))
