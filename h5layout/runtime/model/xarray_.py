"""Data to xarray: :class:`~xarray.DataArray` for one data object, :class:`~xarray.Dataset`
for a :class:`DataToExport` or a scan.

Works on h5layout's data model and on pymodaq_data's alike (duck typing on ``.data``,
``.axes``, ``.nav_indexes``, ``.units``, ``.labels``, ``.distribution``), so a loader that
returns either gives the same xarray objects. xarray is an optional extra
(``pip install h5layout[xarray]``); :class:`XarrayMissingError` says so when it is absent.

Mapping:

* each data dimension is named after the label of the axis describing it (``dim_N``
  when it has none), with the axis values as its coordinate and the axis units as the
  coordinate's ``units`` attribute; navigation axes included;
* spread data (scattered navigation points) get one ``points`` dimension for all
  navigation indexes, and each navigation axis becomes a coordinate variable along it;
* several channels are stacked along a ``channel`` dimension whose coordinate holds the
  channel labels (one channel: no such dimension);
* ``units``, ``name``, ``source``, ``origin``, ``distribution``, ``nav_dims``,
  ``timestamp`` and the extra attributes go to ``attrs``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from h5layout.runtime.errors import LayoutError, XarrayMissingError

if TYPE_CHECKING:
    import xarray

    from h5layout.runtime.load.loader import DataLoader
    from h5layout.runtime.model.data import AxisLike, DteLike, DwaLike
    from h5layout.runtime.storage.types import Where

#: name of the dimension of spread (scattered) navigation points
POINTS_DIM = "points"
#: name of the dimension stacking several channels
CHANNEL_DIM = "channel"


def _xr() -> ModuleType:
    try:
        import xarray
    except ImportError as exc:
        raise XarrayMissingError(
            "xarray is not installed: pip install 'h5layout[xarray]' (or pip install xarray)"
        ) from exc
    return xarray


def _text(value: object) -> str:
    """An enum member's name (ours and pymodaq_data's), or the value as text."""
    name = getattr(value, "name", None)
    return str(name) if isinstance(name, str) else str(value)


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 1
    while out in taken:
        k += 1
        out = f"{name}_{k}"
    taken.add(out)
    return out


def _attr_value(value: object) -> str | int | float | bool | np.generic | np.ndarray | list[object]:
    """An attribute value xarray (and netCDF) can keep: tuples as lists, enums as names."""
    if isinstance(value, (str, int, float, bool, np.generic, np.ndarray)):
        return value
    if isinstance(value, (tuple, list)):
        return [_attr_value(v) for v in value]
    return _text(value)


def _axis_values(axis: AxisLike) -> np.ndarray:
    return np.asarray(axis.get_data())


def dwa_to_xarray(dwa: DwaLike) -> xarray.DataArray:
    """An :class:`xarray.DataArray` of one data object (see the module docstring)."""
    xr = _xr()
    arrays = [np.asarray(a) for a in dwa.data]
    if not arrays:
        raise LayoutError(f"{getattr(dwa, 'name', '?')!r}: no data to convert")
    shape = arrays[0].shape
    nav = tuple(int(i) for i in getattr(dwa, "nav_indexes", ()) or ())
    spread = _text(getattr(dwa, "distribution", "uniform")) == "spread"
    axes = list(getattr(dwa, "axes", []) or [])
    taken: set[str] = {CHANNEL_DIM}
    dims: list[str] = []
    coords: dict[str, xarray.Variable] = {}
    for i, size in enumerate(shape):
        if spread and i in nav:
            if i == nav[0]:
                dims.append(_unique(POINTS_DIM, taken))
            else:  # only one navigation dimension for scattered points
                dims.append(_unique(f"dim_{i}", taken))
            continue
        here = [a for a in axes if int(a.index) == i]
        axis = here[0] if here else None
        dim = _unique(str(axis.label) if axis is not None and axis.label else f"dim_{i}", taken)
        dims.append(dim)
        if axis is not None:
            values = _axis_values(axis)
            if values.shape == (size,):
                coords[dim] = xr.Variable(dim, values, attrs={"units": str(axis.units)})
    if spread and nav:
        points = dims[nav[0]]
        for axis in sorted(
            (a for a in axes if int(a.index) in nav), key=lambda a: int(a.spread_order)
        ):
            values = _axis_values(axis)
            if values.shape == (shape[nav[0]],):
                name = _unique(str(axis.label) or f"nav_{axis.spread_order}", taken)
                coords[name] = xr.Variable(points, values, attrs={"units": str(axis.units)})
    labels = list(getattr(dwa, "labels", []) or [])
    if len(arrays) == 1:
        stacked: np.ndarray = arrays[0]
        all_dims: Sequence[str] = dims
    else:
        stacked = np.stack(arrays)
        all_dims = [CHANNEL_DIM, *dims]
        names = labels if len(labels) == len(arrays) else [f"CH{k:02d}" for k in range(len(arrays))]
        coords[CHANNEL_DIM] = xr.Variable(CHANNEL_DIM, np.asarray(names, dtype=object))
    attrs: dict[str, object] = {
        "name": str(dwa.name),
        "units": str(getattr(dwa, "units", "") or ""),
        "source": _text(getattr(dwa, "source", "raw")),
        "origin": str(getattr(dwa, "origin", "") or ""),
        "distribution": "spread" if spread else "uniform",
        "nav_dims": [dims[i] for i in nav if i < len(dims)],
    }
    if len(arrays) == 1 and labels:
        attrs["label"] = str(labels[0])
    timestamp = getattr(dwa, "timestamp", None)
    if timestamp is not None:
        attrs["timestamp"] = float(timestamp)
    for key in list(getattr(dwa, "extra_attributes", []) or []):
        attrs[key] = _attr_value(getattr(dwa, key))
    name = str(dwa.name) if len(arrays) > 1 or not labels else str(labels[0])
    out: xarray.DataArray = xr.DataArray(
        stacked, dims=list(all_dims), coords=coords, attrs=attrs, name=name
    )
    return out


def _variable_name(dwa: DwaLike, label: str | None, taken: set[str]) -> str:
    base = str(dwa.name) if label is None else f"{dwa.name}/{label}"
    origin = str(getattr(dwa, "origin", "") or "")
    return _unique(f"{origin}/{base}" if origin else base, taken)


def dte_to_xarray(dte: DteLike | Iterable[DwaLike], name: str = "") -> xarray.Dataset:
    """An :class:`xarray.Dataset` with one variable per channel of every data object.

    Variables are named ``origin/name/label``. Dimensions of the same name must agree
    (same size and coordinates) across data objects; when they do not, the second data
    object's dimensions are renamed ``name.dim``.
    """
    xr = _xr()
    items = list(getattr(dte, "data", dte))
    ds: xarray.Dataset = xr.Dataset(attrs={"name": str(name or getattr(dte, "name", ""))})
    taken: set[str] = set()
    for dwa in items:
        arr = dwa_to_xarray(dwa)
        parts = (
            [arr.sel({CHANNEL_DIM: c}, drop=True) for c in arr[CHANNEL_DIM].values]
            if CHANNEL_DIM in arr.dims
            else [arr]
        )
        labels = list(getattr(dwa, "labels", []) or [])
        for k, part in enumerate(parts):
            label = labels[k] if k < len(labels) else None
            var = _variable_name(dwa, label if len(parts) > 1 or label else None, taken)
            part = part.rename(var)
            try:
                ds = xr.merge([ds, part], compat="no_conflicts", join="exact")
            except ValueError:
                renamed = part.rename({d: f"{dwa.name}.{d}" for d in part.dims})
                renamed = renamed.rename(
                    {c: f"{dwa.name}.{c}" for c in renamed.coords if c not in renamed.dims}
                )
                ds = xr.merge([ds, renamed], compat="no_conflicts", join="exact")
    return ds


def load_xarray(loader: DataLoader, where: Where) -> xarray.DataArray | xarray.Dataset:
    """What :meth:`DataLoader.load_xarray` returns: a DataArray for a data node, a Dataset
    of every data object below a group (a scan, a detector, the raw group)."""
    node = loader.get_node(where)
    if callable(getattr(node, "children", None)):
        return dte_to_xarray(loader.load_all(node), name=str(getattr(node, "name", "")))
    return dwa_to_xarray(loader.load_data(node))
