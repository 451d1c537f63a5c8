"""Which objects loaders return: pymodaq_data's own, or h5layout's data model.

``data_model`` is ``'auto'`` (the default), ``'pymodaq'`` or ``'h5layout'``. ``'auto'``
reads the environment variable ``H5LAYOUT_DATA_MODEL`` (``pymodaq`` or ``h5layout``) and
otherwise picks ``'pymodaq'`` when pymodaq_data is installed, ``'h5layout'`` when it is not.
With ``'pymodaq'`` a loaded :class:`~h5layout.runtime.model.data.DataWithAxes` becomes the
``pymodaq_data.data.DataWithAxes`` pymodaq_data's loader returns (arrays shared, not
copied), so viewers, ``inav``, slicing, equality and ``isinstance`` work as with it.

h5layout's own code that relies on h5layout's objects passes ``data_model='h5layout'``.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import os
import threading
import warnings
from functools import lru_cache
from types import ModuleType
from typing import Final

import numpy as np

from h5layout.runtime.errors import DataValueError
from h5layout.runtime.model.data import (
    Axis,
    AxisLike,
    DataToExport,
    DataWithAxes,
    DteLike,
    DwaLike,
    PymodaqObject,
)

__all__ = [
    "DATA_MODELS",
    "DATA_MODEL_ENV",
    "convert_axis",
    "convert_dte",
    "convert_dwa",
    "is_pymodaq_dte",
    "prepare_data_model",
    "resolve_data_model",
]

#: environment variable read by ``data_model='auto'``
DATA_MODEL_ENV: Final = "H5LAYOUT_DATA_MODEL"
#: accepted values of ``data_model``
DATA_MODELS: Final = ("auto", "pymodaq", "h5layout")


@lru_cache(maxsize=1)
def pymodaq_installed() -> bool:
    """Whether pymodaq_data can be imported (looked up once, without importing it)."""
    try:
        return importlib.util.find_spec("pymodaq_data") is not None
    except (ImportError, ValueError):  # blocked (``sys.modules[name] = None``) or broken
        return False


def resolve_data_model(data_model: str | None = "auto") -> str:
    """``'pymodaq'`` or ``'h5layout'`` for a ``data_model`` argument (see the module doc).

    Raises :class:`DataValueError` for an unknown value, and for ``'pymodaq'`` (asked for or
    set in the environment) when pymodaq_data is not installed.
    """
    choice = "auto" if data_model is None else str(data_model).strip().lower()
    origin = "data_model"
    if choice == "auto":
        env = os.environ.get(DATA_MODEL_ENV, "").strip().lower()
        if env and env != "auto":
            choice, origin = env, DATA_MODEL_ENV
        else:
            return "pymodaq" if pymodaq_installed() else "h5layout"
    if choice not in DATA_MODELS[1:]:
        raise DataValueError(
            f"{origin}={choice!r}: expected one of {', '.join(map(repr, DATA_MODELS))}"
        )
    if choice == "pymodaq" and not pymodaq_installed():
        raise DataValueError(
            f"{origin}='pymodaq' needs pymodaq_data (pip install pymodaq_data), "
            "or use data_model='h5layout'"
        )
    return choice


@lru_cache(maxsize=1)
def _pymodaq_data() -> ModuleType:
    return importlib.import_module("pymodaq_data.data")


def prepare_data_model(data_model: str) -> None:
    """Import what the resolved ``data_model`` needs now (pymodaq_data for ``'pymodaq'``).

    Importing pymodaq_data (pint and its unit registry with it) takes one to two seconds,
    once per process: a loader pays it when it is built, as a program using pymodaq_data's
    loader pays it at its imports, not inside its first ``load_data``.
    """
    if data_model == "pymodaq":
        _pymodaq_data()


#: pymodaq_data ``Axis`` objects without values, by label, units, index and spread order: a
#: new axis is a deep copy of its template (see :func:`_new_axis`)
_AXIS_TEMPLATES: dict[tuple[str, str, int, int], PymodaqObject] = {}
#: bound on the templates kept (the oldest goes first)
_MAX_AXIS_TEMPLATES: Final = 256
#: taken only to add a template (loaders may run in several threads)
_TEMPLATES_LOCK: Final = threading.Lock()


def _new_axis(
    module: ModuleType,
    axis: Axis,
    data: np.ndarray | None = None,
    linear: tuple[float | np.floating, float | np.floating, int] | None = None,
) -> PymodaqObject:
    """pymodaq_data's ``Axis`` with ``axis``' label, units, index and spread order, and
    either explicit ``data`` or ``linear = (offset, scaling, size)``, without parsing its
    units again.

    pymodaq_data's ``Axis`` checks its units with pint on every construction (50 to 150 µs
    for a prefixed unit such as ``'mm'``: most of the cost of a load's axes). The check only
    depends on the unit string, so an axis built once without values serves as a template:
    a deep copy of it is the object its constructor makes (its slicers point to the copy),
    then given its values through the public setters (``data`` runs the same checks as the
    constructor, and shares the caller's array rather than copying it). Templates whose units
    pymodaq_data refused are not kept (each construction then warns, as pymodaq_data does).
    """
    key = (axis.label, axis.units, axis.index, axis.spread_order)
    template = _AXIS_TEMPLATES.get(key)
    if template is None:
        template = module.Axis(
            label=axis.label, units=axis.units, index=axis.index, spread_order=axis.spread_order
        )
        if template.units == axis.units:
            with _TEMPLATES_LOCK:
                if len(_AXIS_TEMPLATES) >= _MAX_AXIS_TEMPLATES:
                    del _AXIS_TEMPLATES[next(iter(_AXIS_TEMPLATES))]
                _AXIS_TEMPLATES[key] = template
    out = copy.deepcopy(template)
    if linear is not None:
        out.offset, out.scaling, out.size = linear
    else:
        out.data = data
        if out.scaling is not None:  # equally spaced after all: reduced as its constructor does
            out.get_scale_offset_from_data()
    return out


def _pymodaq_axis(axis: Axis, module: ModuleType) -> PymodaqObject:
    """pymodaq_data's Axis for ``axis``, as its loader builds it: equally spaced values
    become ``offset``/``scaling``/``size`` (pymodaq_data's own reduction, done here once so
    that it has no values to check)."""
    values = axis.get_data()
    if axis.data is not None and values.ndim == 1 and values.size and values.dtype.kind in "iuf":
        if values.size == 1:
            return _new_axis(module, axis, linear=(values[0], 1, 1))
        steps = np.diff(values)
        scaling = steps.mean()
        # np.allclose(steps, scaling) (its default tolerances) in one pass, without its
        # per-call overhead; anything else (non-finite values…) goes to pymodaq_data's check
        if np.isfinite(scaling) and np.abs(steps - scaling).max() <= 1e-8 + 1e-5 * abs(scaling):
            return _new_axis(module, axis, linear=(values[0], scaling, int(values.size)))
    elif axis.data is None and axis.offset is not None:
        linear = (float(axis.offset), float(axis.scaling or 0.0), axis.size)
        return _new_axis(module, axis, linear=linear)
    return _new_axis(module, axis, data=values)


def convert_axis(axis: Axis, data_model: str) -> AxisLike:
    """``axis`` in the resolved ``data_model`` (pymodaq_data's ``Axis`` for ``'pymodaq'``)."""
    if data_model != "pymodaq":
        return axis
    return _pymodaq_axis(axis, _pymodaq_data())


def convert_dwa(dwa: DataWithAxes, data_model: str) -> DwaLike:
    """``dwa`` in the resolved ``data_model``: itself for ``'h5layout'``, else the
    pymodaq_data object holding the same arrays (loaded arrays belong to the caller)."""
    if data_model != "pymodaq":
        return dwa
    module = _pymodaq_data()
    extras: dict[str, object] = dict(dwa._extra)
    kwargs: dict[str, object] = {}
    if extras:
        kwargs = {**extras, "extra_attributes": list(extras)}
    try:
        # The class pymodaq_data's loader returns: DataWithAxes, the source as an argument.
        out = module.DataWithAxes(
            dwa.name,
            source=dwa.source.name,
            # pymodaq infers the dim from shape and nav indexes; a stored dim it would
            # refuse only makes it warn, so it is passed only when it differs.
            dim=None if dwa.dim == dwa.get_dim_from_data_axes() else dwa.dim.name,
            distribution=dwa.distribution.name,
            data=list(dwa.data),
            labels=list(dwa.labels),
            origin=dwa.origin,
            units=dwa.units,
            axes=[_pymodaq_axis(ax, module) for ax in dwa.axes],
            nav_indexes=dwa.nav_indexes,
            errors=None if dwa.errors is None else list(dwa.errors),
            path=dwa.path,
            **kwargs,
        )
        out.timestamp = dwa.timestamp  # a property, not an extra attribute, as pymodaq sets it
        # As pymodaq_data's loader: every dimension gets an axis (linear when none is
        # stored); its lookup warns for each missing one, which says nothing to the caller.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", module.DataIndexWarning)
            out.create_missing_axes()
    except Exception as exc:  # pymodaq_data's own checks refuse what it cannot represent
        raise DataValueError(
            f"{dwa.path or dwa.name}: pymodaq_data cannot represent this data ({exc}); "
            "load it with data_model='h5layout'"
        ) from exc
    return out


def is_pymodaq_dte(obj: object) -> bool:
    """Whether ``obj`` is a ``pymodaq_data.data.DataToExport`` (pymodaq_data imported)."""
    if isinstance(obj, DataToExport) or not pymodaq_installed():
        return False
    return isinstance(obj, _pymodaq_data().DataToExport)


def convert_dte(dte: DataToExport, data_model: str) -> DteLike:
    """``dte`` in the resolved ``data_model`` (its data converted by :func:`convert_dwa`)."""
    if data_model != "pymodaq":
        return dte
    module = _pymodaq_data()
    return module.DataToExport(
        dte.name, data=[convert_dwa(d, data_model) for d in dte.data], timestamp=dte.timestamp
    )
