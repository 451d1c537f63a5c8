"""One data object as a scientist wants to see it, drawn with matplotlib (Agg, no GUI).

* no navigation: 0D values as points per channel, 1D against the signal axis (with its
  units), 2D as an image on its axes with a colour bar (one panel per channel);
* a scan (navigation indexes): the navigation map — the signal summed over its own
  dimensions, drawn on the navigation axes (a line for one axis, an image for two, and
  scattered points coloured by the sum for spread scans).

Works on h5layout's and pymodaq_data's data objects (duck typing, as
:mod:`h5layout.runtime.model.xarray_`). matplotlib is an optional extra
(``pip install h5layout[plot]``); :class:`PlotMissingError` says so when it is absent.
The figure is built with :class:`matplotlib.figure.Figure` and the Agg canvas, so
nothing touches pyplot's global state or needs a display.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from h5layout.runtime.errors import LayoutError, PlotMissingError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from h5layout.runtime.model.data import AxisLike, DwaLike

#: default figure size (inches) and resolution: 640 x 480 pixels
FIGSIZE = (6.4, 4.8)
DPI = 100


def matplotlib_classes() -> tuple[type[Figure], type[FigureCanvasAgg]]:
    """matplotlib's Figure and Agg canvas (no pyplot, no GUI backend), or
    :class:`PlotMissingError` naming the ``h5layout[plot]`` extra."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PlotMissingError(
            "matplotlib is not installed: pip install 'h5layout[plot]' (or pip install matplotlib)"
        ) from exc
    return Figure, FigureCanvasAgg


def _text(value: object) -> str:
    name = getattr(value, "name", None)
    return str(name) if isinstance(name, str) else str(value)


def _label(text: str, units: str) -> str:
    return f"{text} ({units})" if units else text


class _Dims:
    """The axes of a data object, by data dimension."""

    def __init__(self, dwa: DwaLike, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.axes = list(getattr(dwa, "axes", []) or [])

    def axis(self, i: int, spread_order: int | None = None) -> AxisLike | None:
        for a in self.axes:
            if int(a.index) == i and (
                spread_order is None or int(getattr(a, "spread_order", 0)) == spread_order
            ):
                return a
        return None

    def values(self, i: int, size: int, spread_order: int | None = None) -> tuple[np.ndarray, str]:
        a = self.axis(i, spread_order)
        if a is not None:
            v = np.asarray(a.get_data(), dtype=float)
            if v.shape == (size,):
                return v, _label(str(a.label) or f"dim {i}", str(a.units))
        return np.arange(size, dtype=float), f"index {i}"


def _image(
    fig: Figure, ax: Axes, img: np.ndarray, x: np.ndarray, y: np.ndarray, clabel: str
) -> None:
    """``img`` (rows along ``y``, columns along ``x``) on its axes, with a colour bar."""
    mesh = ax.pcolormesh(x, y, img, shading="nearest")
    fig.colorbar(mesh, ax=ax, label=clabel)


def draw(fig: Figure, dwa: DwaLike) -> None:
    """Draw a data object into an empty figure."""
    arrays = [np.asarray(a, dtype=float) for a in dwa.data]
    if not arrays:
        raise LayoutError(f"{getattr(dwa, 'name', '?')!r}: no data to plot")
    shape = arrays[0].shape
    nav = tuple(int(i) for i in getattr(dwa, "nav_indexes", ()) or ())
    sig = tuple(i for i in range(len(shape)) if i not in nav)
    dims = _Dims(dwa, shape)
    labels = list(getattr(dwa, "labels", []) or [])
    names = labels if len(labels) == len(arrays) else [f"CH{k:02d}" for k in range(len(arrays))]
    units = str(getattr(dwa, "units", "") or "")
    spread = _text(getattr(dwa, "distribution", "uniform")) == "spread"
    title = str(getattr(dwa, "name", ""))
    if nav:
        _navigation_map(fig, arrays, nav, sig, dims, names, units, spread, title)
        return
    if len(sig) >= 2 and shape[sig[-1]] > 1 and shape[sig[-2]] > 1:
        panels = fig.subplots(1, len(arrays), squeeze=False)[0]
        y, ylabel = dims.values(sig[-2], shape[sig[-2]])
        x, xlabel = dims.values(sig[-1], shape[sig[-1]])
        for ax, arr, name in zip(panels, arrays, names, strict=True):
            img = arr.reshape(-1, shape[sig[-2]], shape[sig[-1]]).sum(axis=0)
            _image(fig, ax, img, x, y, _label(name, units))
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.set_title(name)
        fig.suptitle(title)
        return
    ax = fig.subplots()
    size = int(np.prod(shape)) if shape else 1
    if size <= 1:  # 0D: one value per channel
        values = [float(np.ravel(a)[0]) if a.size else np.nan for a in arrays]
        ax.plot(range(len(values)), values, "o", markersize=8)
        ax.set_xticks(range(len(values)), names)
        ax.set_ylabel(_label("value", units))
    else:
        i = sig[0] if sig else 0
        longest = max(range(len(shape)), key=lambda k: shape[k]) if shape else 0
        i = i if shape[i] > 1 else longest
        x, xlabel = dims.values(i, shape[i])
        for arr, name in zip(arrays, names, strict=True):
            ax.plot(x, np.ravel(arr), label=name)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(_label("signal", units))
        if len(arrays) > 1:
            ax.legend()
    ax.set_title(title)


def _navigation_map(
    fig: Figure,
    arrays: list[np.ndarray],
    nav: tuple[int, ...],
    sig: tuple[int, ...],
    dims: _Dims,
    names: list[str],
    units: str,
    spread: bool,
    title: str,
) -> None:
    shape = dims.shape
    # the signal summed over its own dimensions (NaN where a point was never measured)
    summed = [np.nansum(a, axis=sig) if sig else a for a in arrays]
    measured = [np.isfinite(a).any(axis=sig) if sig else np.isfinite(a) for a in arrays]
    summed = [np.where(m, s, np.nan) for s, m in zip(summed, measured, strict=True)]
    clabel = _label("Σ signal" if sig else "signal", units)
    panels = fig.subplots(1, len(arrays), squeeze=False)[0]
    for ax, values, name in zip(panels, summed, names, strict=True):
        if spread:
            n = shape[nav[0]]
            x, xlabel = dims.values(nav[0], n, spread_order=0)
            if dims.axis(nav[0], spread_order=1) is not None:
                y, ylabel = dims.values(nav[0], n, spread_order=1)
                points = ax.scatter(x, y, c=np.ravel(values), s=40)
                fig.colorbar(points, ax=ax, label=clabel)
                ax.set_ylabel(ylabel)
            else:
                ax.plot(x, np.ravel(values), "o")
                ax.set_ylabel(clabel)
            ax.set_xlabel(xlabel)
        elif len(nav) == 1:
            x, xlabel = dims.values(nav[0], shape[nav[0]])
            ax.plot(x, values, "o-")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(clabel)
        else:
            x, xlabel = dims.values(nav[0], shape[nav[0]])
            y, ylabel = dims.values(nav[1], shape[nav[1]])
            img = values.reshape(shape[nav[0]], shape[nav[1]], -1).sum(axis=2)
            _image(fig, ax, img.T, x, y, clabel)  # first nav axis horizontal
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
        ax.set_title(name)
    fig.suptitle(f"{title}: navigation map")


def plot_dwa(
    dwa: DwaLike,
    output: str | os.PathLike[str] | None = None,
    *,
    figsize: tuple[float, float] = FIGSIZE,
    dpi: int = DPI,
) -> Figure:
    """A :class:`matplotlib.figure.Figure` of ``dwa``, saved as PNG to ``output`` when given."""
    figure_cls, canvas_cls = matplotlib_classes()
    fig = figure_cls(figsize=figsize, dpi=dpi, layout="constrained")
    canvas_cls(fig)
    draw(fig, dwa)
    if output is not None:
        fig.savefig(os.fspath(output), dpi=dpi, format="png")
    return fig
