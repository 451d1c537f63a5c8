"""The pymodaq data model costs no copy of the data and no repeated unit parsing.

No timings here (they belong to ``bench/``): what is checked is what makes loading cheap
(arrays handed over, not copied; axes built from templates equal to new ones) and that it
changes nothing in the objects returned.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import h5layout.pymodaq as hp
from h5layout.runtime.model import data as hd
from h5layout.runtime.model.datamodel import convert_axis, convert_dwa

pd = pytest.importorskip("pymodaq_data.data")

FRAME = "/RawData/Detector000/Data2D/CH00/Data00"


def _state(axis: Any) -> dict[str, Any]:
    """An Axis' attributes, its slicers apart (they point to the axis itself)."""
    return {k: v for k, v in vars(axis).items() if k not in ("iaxis", "vaxis")}


def _same_state(a: Any, b: Any) -> None:
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys()
    for key, value in sa.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, sb[key]), key
        else:
            assert value == sb[key] and type(value) is type(sb[key]), key


@pytest.mark.parametrize("units", ["mm", "", "V", "nm"])
def test_axes_equal_those_pymodaq_data_builds(units: str) -> None:
    odd = np.array([0.0, 1.0, 3.0, 4.0, 9.0])
    for _ in range(2):  # the second round comes from the templates
        # explicit values that are not equally spaced: kept, and shared with the caller
        got = convert_axis(hd.Axis("x", units, data=odd, index=1, spread_order=2), "pymodaq")
        _same_state(got, pd.Axis("x", units, data=odd, index=1, spread_order=2))
        assert np.shares_memory(got.data, odd)
        # equally spaced values: offset/scaling/size, as pymodaq_data reduces them itself
        lin = np.linspace(400.0, 500.0, 11)
        got = convert_axis(hd.Axis("w", units, data=lin, index=0), "pymodaq")
        _same_state(got, pd.Axis("w", units, data=lin, index=0))
        assert got.data is None and got.size == 11 and got.units == units
        # each axis is its own object, its slicers its own
        again = convert_axis(hd.Axis("w", units, data=lin, index=0), "pymodaq")
        assert again is not got and again.iaxis.obj is again and got.iaxis.obj is got
        again.label, again.offset = "changed", 7.0
        assert got.label == "w" and got.offset == 400.0
        assert got.iaxis[2:5].get_data().tolist() == lin[2:5].tolist()


@pytest.mark.parametrize(
    "values",
    [
        np.linspace(0.0, 1.0, 7) + np.array([0, 1e-9, 0, -1e-9, 0, 0, 0]),  # within tolerance
        np.linspace(0.0, 1.0, 7) + np.array([0, 1e-3, 0, 0, 0, 0, 0]),  # outside it
        np.arange(0, 40, 4),  # integers
        np.array([2.0, np.nan, 4.0]),
        np.array([5.0]),
        np.array([1.0, np.inf]),
    ],
)
def test_equal_spacing_decided_as_pymodaq_data_decides(values: np.ndarray) -> None:
    got = convert_axis(hd.Axis("t", "s", data=values, index=0), "pymodaq")
    with warnings.catch_warnings():  # pymodaq_data warns on a single value (mean of nothing)
        warnings.simplefilter("ignore", RuntimeWarning)
        want = pd.Axis("t", "s", data=values, index=0)
    assert (got.data is None) == (want.data is None)
    with np.errstate(invalid="ignore"):  # an infinite step: pymodaq_data computes 0 * inf
        assert np.array_equal(got.get_data(), want.get_data(), equal_nan=True)
    if want.data is None:
        assert (got.offset, got.size) == (want.offset, want.size)
        assert got.scaling == pytest.approx(want.scaling)


def test_an_unknown_unit_is_refused_as_pymodaq_data_does() -> None:
    for _ in range(2):
        got = convert_axis(hd.Axis("x", "not_a_unit_h5l", data=np.arange(3.0)), "pymodaq")
        assert got.units == pd.Axis("x", "not_a_unit_h5l", data=np.arange(3.0)).units == ""


def test_loaded_arrays_are_not_copied() -> None:
    frame = np.random.default_rng(0).random((6, 8))
    errors = np.ones_like(frame)
    odd = np.array([0.0, 1.0, 3.0, 4.0, 9.0, 11.0])
    dwa = hd.DataWithAxes(
        "frame", source="raw", data=[frame], errors=[errors], units="V",
        axes=[hd.Axis("y", "mm", data=odd, index=0),
              hd.Axis("x", "mm", data=np.arange(8.0), index=1)],
    )  # fmt: skip
    out = convert_dwa(dwa, "pymodaq")
    assert isinstance(out, pd.DataWithAxes)
    assert np.shares_memory(out.data[0], frame) and np.shares_memory(out.errors[0], errors)
    assert np.shares_memory(out.get_axis_from_index(0)[0].data, odd)


def test_a_loaded_frame_is_the_array_read(tmp_path: Path) -> None:
    """What ``load_data`` returns is the very array h5layout's model holds: no copy."""
    path = tmp_path / "frame.h5"
    h5 = hp.H5SaverLowLevel(save_type="detector")
    h5.init_file(path, new_file=True)
    det = h5.add_det_group(h5.raw_group, "camera")
    frame = np.random.default_rng(1).random((32, 48))
    axes = [
        hp.Axis("y", "px", np.arange(32.0), index=0),
        hp.Axis("x", "px", np.arange(48.0), index=1),
    ]
    hp.DataToExportSaver(h5).add_data(
        det, hp.DataToExport("camera", [hp.DataRaw("frame", data=[frame], axes=axes)])
    )
    h5.close_file()
    with hp.DataLoader(path, data_model="h5layout") as loader:
        own = loader.load_data(FRAME)
    out = convert_dwa(own, "pymodaq")
    assert np.shares_memory(out.data[0], own.data[0])
    with hp.DataLoader(path, data_model="pymodaq") as loader:
        loaded = loader.load_data(FRAME)
    assert isinstance(loaded, pd.DataWithAxes)
    assert np.array_equal(loaded.data[0], frame) and loaded.data[0].flags.c_contiguous
    assert [(a.label, a.units, a.index, a.size) for a in loaded.axes] == [
        ("y", "px", 0, 32),
        ("x", "px", 1, 48),
    ]


def test_pymodaq_data_is_imported_when_the_loader_is_built(tmp_path: Path) -> None:
    """Not inside the first ``load_data`` (its import takes seconds)."""
    path = tmp_path / "empty.h5"
    h5 = hp.H5SaverLowLevel(save_type="detector")
    h5.init_file(path, new_file=True)
    h5.close_file()
    code = (
        "import sys\n"
        "from h5layout.runtime.load.loader import DataLoader\n"
        "assert 'pymodaq_data.data' not in sys.modules\n"
        f"DataLoader({str(path)!r}, data_model='h5layout').close_file()\n"
        "assert 'pymodaq_data.data' not in sys.modules\n"
        f"DataLoader({str(path)!r}, data_model='pymodaq').close_file()\n"
        "assert 'pymodaq_data.data' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_templates_are_bounded() -> None:
    from h5layout.runtime.model import datamodel

    for i in range(datamodel._MAX_AXIS_TEMPLATES + 10):
        axis = convert_axis(hd.Axis(f"a{i}", "mm", data=np.arange(3.0)), "pymodaq")
        assert axis.label == f"a{i}" and axis.units == "mm"
    assert len(datamodel._AXIS_TEMPLATES) == datamodel._MAX_AXIS_TEMPLATES
