"""The data model, and its conversion to and from pymodaq_data's objects."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from h5layout.runtime.errors import DataValueError
from h5layout.runtime.model.data import (
    Axis,
    DataCalculated,
    DataFromPlugins,
    DataRaw,
    DataToExport,
    DataWithAxes,
    as_axis,
    as_dte,
    as_dwa,
    infer_dim,
)
from h5layout.runtime.model.enums import DataDim, DataDistribution, DataSource


@pytest.fixture(scope="module")
def P() -> Any:
    """pymodaq_data.data (skips when not installed)."""
    return pytest.importorskip("pymodaq_data.data")


# ---------------------------------------------------------------------------------------
# Axis


def test_linear_axis_from_offset_scaling() -> None:
    ax = Axis("x", "mm", offset=1.0, scaling=0.5, size=4, index=1)
    assert ax.data is None
    assert ax.get_data().tolist() == [1.0, 1.5, 2.0, 2.5]
    assert ax.size == 4 and ax.is_axis_linear()
    assert type(ax.offset) is np.float64 and type(ax.scaling) is np.float64
    ax.size = 5
    assert ax.get_data().size == 5


def test_axis_from_data() -> None:
    lin = Axis("x", data=np.linspace(0, 1, 11))
    assert lin.is_axis_linear() and lin.size == 11
    assert lin.offset == 0.0 and lin.scaling is not None and np.isclose(lin.scaling, 0.1)
    assert type(lin.offset) is np.float64
    nonlin = Axis("y", data=np.array([0.0, 1.0, 3.0]))
    assert not nonlin.is_axis_linear()
    assert nonlin.offset is None and nonlin.scaling is None
    assert nonlin.data is not None and nonlin.data.tolist() == [0.0, 1.0, 3.0]
    with pytest.raises(DataValueError):
        nonlin.size = 4
    assert Axis("z", data=np.array([[1.0, 2.0]])).size == 2
    with pytest.raises(DataValueError, match="1D"):
        Axis("z", data=np.zeros((2, 2)))


def test_axis_equality_and_copy() -> None:
    a = Axis("x", "mm", data=np.array([0.0, 1.0, 3.0]), index=1)
    b = a.copy()
    assert a == b and a is not b
    assert b.data is not None
    b.data[0] = 10
    assert a.data is not None and a.data[0] == 0.0
    assert a != b
    assert Axis("x", offset=0.0, scaling=1.0, size=3) == Axis("x", data=np.array([0.0, 1, 2]))
    assert Axis("x", units="mm", data=[1.0]) != Axis("x", units="um", data=[1.0])
    assert Axis("x", data=[1.0], index=0) != Axis("x", data=[1.0], index=1)
    assert Axis("x", data=[1.0], spread_order=1) != Axis("x", data=[1.0])
    assert Axis("x", data=[1.0]) != Axis("y", data=[1.0])


# ---------------------------------------------------------------------------------------
# DataWithAxes


@pytest.mark.parametrize(
    ("shape", "nav", "dim"),
    [
        ((1,), (), DataDim.Data0D),
        ((3,), (), DataDim.Data1D),
        ((1, 1), (), DataDim.Data2D),
        ((2, 3), (), DataDim.Data2D),
        ((2, 3, 4), (), DataDim.DataND),
        ((3,), (0,), DataDim.DataND),
        ((3, 4, 5), (0, 1), DataDim.DataND),
    ],
)
def test_dim_inference(shape: tuple[int, ...], nav: tuple[int, ...], dim: DataDim) -> None:
    assert infer_dim(shape, nav) == dim
    dwa = DataRaw("d", data=[np.zeros(shape)], nav_indexes=nav)
    assert dwa.dim == dim
    assert dwa.get_dim_from_data_axes() == dim
    assert dwa.sig_indexes == tuple(i for i in range(len(shape)) if i not in nav)


def test_dim_matches_pymodaq(P: Any) -> None:
    for shape in [(1,), (3,), (1, 1), (2, 1), (1, 5), (2, 3), (2, 3, 4)]:
        ours = DataRaw("d", data=[np.zeros(shape)])
        theirs = P.DataRaw("d", data=[np.zeros(shape)])
        assert ours.dim.name == theirs.dim.name, shape


def test_explicit_dim() -> None:
    # A dimension that fits the data is kept, one that does not is replaced.
    assert DataRaw("d", data=[np.zeros((3, 4))], dim="DataND").dim == DataDim.DataND
    assert DataRaw("d", data=[np.zeros((3,))], dim="Data2D").dim == DataDim.Data1D
    assert DataRaw("d", data=[np.zeros((1, 5))], dim=DataDim.Data1D).dim == DataDim.Data1D
    assert DataRaw("d", data=[np.zeros((3,))], nav_indexes=(0,), dim="Data1D").dim == "DataND"


def test_construction_and_defaults() -> None:
    before = time.time()
    dwa = DataRaw("det", data=[np.zeros(3), np.ones(3)], units="mm")
    assert dwa.name == "det" and dwa.source == DataSource.raw
    assert dwa.distribution == DataDistribution.uniform
    assert dwa.labels == ["CH00", "CH01"]
    assert dwa.length == len(dwa) == 2
    assert dwa.shape == (3,) and dwa.size == 3
    assert dwa.origin == "" and dwa.units == "mm"
    assert dwa.axes == [] and dwa.nav_indexes == () and dwa.errors is None
    assert before <= dwa.timestamp <= time.time()
    assert dwa.extra_attributes == []
    assert [a.tolist() for a in dwa] == [[0, 0, 0], [1, 1, 1]]
    assert dwa.get_data_index(1).tolist() == [1, 1, 1]
    assert dwa.get_full_name() == "/det"
    assert DataCalculated("c", data=[np.zeros(1)]).source == DataSource.calculated
    assert DataWithAxes("w", source="calculated", data=[np.zeros(1)]).source == "calculated"


def test_labels_padded_and_trimmed() -> None:
    assert DataRaw("d", data=[np.zeros(2)] * 3, labels=["a"]).labels == ["a", "CH01", "CH02"]
    assert DataRaw("d", data=[np.zeros(2)], labels=["a", "b"]).labels == ["a"]


def test_data_forms() -> None:
    assert DataRaw("d", data=np.zeros(4)).length == 1
    assert DataRaw("d", data=[np.float64(2.0)]).shape == (1,)
    for bad in (None, [], [np.zeros(0)], [np.zeros(2), np.zeros(3)]):
        with pytest.raises(DataValueError):
            DataRaw("d", data=bad)
    with pytest.raises(DataValueError, match="nav_indexes"):
        DataRaw("d", data=[np.zeros(3)], nav_indexes=(1,))
    with pytest.raises(DataValueError, match="errors"):
        DataRaw("d", data=[np.zeros(3)], errors=[np.zeros(4)])


def test_extra_attributes() -> None:
    dwa = DataRaw("d", data=[np.zeros(2)], extra_attributes=["exposure"], exposure=0.5, gain=2)
    assert dwa.extra_attributes == ["exposure", "gain"]
    assert dwa.exposure == 0.5 and dwa.gain == 2
    dwa.add_extra_attribute("settings]", "<x/>")
    assert getattr(dwa, "settings]") == "<x/>"
    with pytest.raises(AttributeError):
        _ = dwa.missing
    with pytest.raises(DataValueError):
        DataRaw("d", data=[np.zeros(2)], copy=1)
    with pytest.raises(DataValueError):
        dwa.add_extra_attribute("labels", 1)


def test_axes_and_errors() -> None:
    x = Axis("x", data=np.arange(4.0), index=1)
    y = Axis("y", data=np.arange(3.0), index=0)
    err = [np.full((3, 4), 0.1)]
    dwa = DataRaw("img", data=[np.zeros((3, 4))], axes=[x, y], errors=err, origin="o")
    assert dwa.get_axis_from_index(1) == [x]
    assert dwa.get_axis_from_index(0) == [y]
    e = dwa.errors_as_dwa()
    assert e.name == "img_errors" and e.source == DataSource.calculated
    assert e.axes == [] and e.labels == dwa.labels and e.origin == "o"
    assert np.allclose(e.data[0], 0.1)
    with pytest.raises(DataValueError):
        DataRaw("d", data=[np.zeros(2)]).errors_as_dwa()


def make_dwa(**kwargs: Any) -> DataRaw:
    base: dict[str, Any] = dict(
        data=[np.array([1.0, np.nan, 3.0])],
        axes=[Axis("x", "mm", data=np.array([0.0, 1.0, 5.0]))],
        labels=["a"],
        units="V",
        errors=[np.array([0.1, 0.2, 0.3])],
    )
    base.update(kwargs)
    return DataRaw("d", **base)


def test_equality() -> None:
    ref = make_dwa()
    assert ref == make_dwa()  # NaN equals NaN
    assert ref != make_dwa(labels=["b"])
    assert ref != make_dwa(units="A")
    assert ref != make_dwa(data=[np.array([1.0, np.nan, 4.0])])
    assert ref != make_dwa(axes=[Axis("x", "mm", data=np.array([0.0, 1.0, 6.0]))])
    assert ref != make_dwa(axes=[])
    assert ref != make_dwa(errors=None)
    assert ref != make_dwa(errors=[np.array([0.1, 0.2, 0.4])])
    assert ref != make_dwa(nav_indexes=(0,))
    assert ref != DataRaw("other", data=ref.data, axes=ref.axes, labels=["a"], units="V")
    assert ref != "d"


def test_copy_does_not_alias() -> None:
    ref = make_dwa(extra_attributes=["meta"], meta={"k": [1]})
    dup = ref.copy()
    assert dup == ref
    dup.data[0][0] = 100.0
    assert dup.errors is not None and dup.axes[0].data is not None
    dup.errors[0][0] = 9.0
    dup.axes[0].data[0] = 9.0
    dup.labels[0] = "z"
    dup.meta["k"].append(2)
    assert ref.data[0][0] == 1.0
    assert ref.errors is not None and ref.errors[0][0] == 0.1
    assert ref.axes[0].get_data()[0] == 0.0
    assert ref.labels == ["a"] and ref.meta == {"k": [1]}


def test_data_from_plugins_ignores_display_options() -> None:
    dwa = DataFromPlugins("p", data=[np.zeros(3)], do_plot=True, do_save=False, plot=True, gain=3)
    assert dwa.source == DataSource.raw
    assert dwa.extra_attributes == ["gain"]


# ---------------------------------------------------------------------------------------
# DataToExport


def make_dte() -> DataToExport:
    return DataToExport(
        "dte",
        data=[
            DataRaw("a", data=[np.zeros(3)], origin="o"),
            DataRaw("b", data=[np.zeros(1)]),
            DataCalculated("c", data=[np.zeros((2, 2))], origin="p"),
        ],
        timestamp=5.0,
    )


def test_dte_basics() -> None:
    dte = make_dte()
    assert len(dte) == 3 and dte.timestamp == 5.0 and dte.name == "dte"
    assert [d.name for d in dte] == ["a", "b", "c"] == dte.get_names()
    assert dte[1].origin == "dte"  # no origin: the DataToExport's name
    assert dte.get_full_names() == ["o/a", "dte/b", "p/c"]
    assert dte.get_names("Data1D") == ["a"] and dte.get_full_names(DataDim.Data2D) == ["p/c"]
    sub = dte.get_data_from_dim("Data0D")
    assert isinstance(sub, DataToExport) and sub.get_names() == ["b"] and sub.name == "dte"
    a = dte.get_data_from_name("a")
    assert a is not None and a.origin == "o"
    assert dte.get_data_from_name("zz") is None
    assert dte.get_data_from_name_origin("c", "p") is dte[2]
    assert dte.get_data_from_name_origin("c", "o") is None
    assert dte.get_data_from_name_origin("c") is dte[2]
    assert DataToExport("e").data == []


def test_dte_append_replaces_same_full_name_and_leaves_input_alone() -> None:
    dte = make_dte()
    b = DataRaw("b", data=[np.ones(1)])
    dte.append(b)
    assert b.origin == ""  # the caller's object is not changed
    assert dte.get_full_names() == ["o/a", "p/c", "dte/b"]
    assert dte[2].data[0][0] == 1.0
    dte.append([DataRaw("a", data=[np.ones(3)], origin="q")])
    assert len(dte) == 4
    other = DataToExport("other", data=[DataRaw("z", data=[np.zeros(1)], origin="o")])
    dte.append(other)
    assert dte.get_full_names()[-1] == "o/z"


def test_dte_copy_and_eq() -> None:
    dte = make_dte()
    dup = dte.copy()
    assert dup == dte
    dup[0].data[0][0] = 7.0
    assert dte[0].data[0][0] == 0.0
    assert dup != dte


# ---------------------------------------------------------------------------------------
# pymodaq_data interop


def pymodaq_dwa(P: Any) -> Any:
    return P.DataRaw(
        "det",
        data=[np.arange(6.0).reshape(2, 3), np.ones((2, 3))],
        labels=["a", "b"],
        units="mm",
        origin="o",
        axes=[
            P.Axis("x", "um", data=np.linspace(0, 1, 3), index=1),
            P.Axis("y", "s", data=np.array([0.0, 5.0]), index=0),
        ],
        errors=[np.full((2, 3), 0.1), np.full((2, 3), 0.2)],
        timestamp=12.0,
        extra_attributes=["exposure"],
        exposure=0.5,
    )


def test_as_dwa_from_pymodaq(P: Any) -> None:
    theirs = pymodaq_dwa(P)
    before = theirs.deepcopy()
    ours = as_dwa(theirs)
    assert type(ours) is DataRaw
    assert ours.name == "det" and ours.origin == "o" and ours.units == "mm"
    assert ours.labels == ["a", "b"] and ours.dim == DataDim.Data2D
    assert ours.source == DataSource.raw and ours.distribution == DataDistribution.uniform
    assert ours.timestamp == 12.0 and ours.nav_indexes == ()
    assert ours.extra_attributes == ["exposure"] and ours.exposure == 0.5
    assert np.array_equal(ours.data[0], theirs.data[0])
    assert ours.errors is not None and np.allclose(ours.errors[1], 0.2)
    x = ours.get_axis_from_index(1)[0]
    assert x.label == "x" and x.units == "um" and x.is_axis_linear() and x.size == 3
    y = ours.get_axis_from_index(0)[0]
    assert y.get_data().tolist() == [0.0, 5.0]
    # The caller's arrays cannot be written through our object, and nothing changed.
    with pytest.raises(ValueError):
        ours.data[0][0, 0] = 42.0
    assert theirs == before and theirs.origin == "o"
    assert as_dwa(ours) is ours


def test_as_dwa_nd_and_calculated(P: Any) -> None:
    theirs = P.DataCalculated(
        "hyper", data=[np.zeros((3, 4, 5))], nav_indexes=(0, 1), distribution="uniform"
    )
    ours = as_dwa(theirs)
    assert type(ours) is DataCalculated and ours.dim == DataDim.DataND
    assert ours.nav_indexes == (0, 1) and ours.sig_indexes == (2,)


def test_to_pymodaq(P: Any) -> None:
    theirs = pymodaq_dwa(P)
    back = as_dwa(theirs).to_pymodaq()
    assert isinstance(back, P.DataRaw)
    assert back == theirs
    assert back.labels == theirs.labels and back.units == "mm" and back.origin == "o"
    assert back.nav_indexes == () and back.timestamp == 12.0
    assert back.extra_attributes == ["exposure"] and back.exposure == 0.5
    for mine, ref in zip(back.errors, theirs.errors, strict=True):
        assert np.allclose(mine, ref)
    assert back.data[0].flags.writeable  # its own arrays, not our read-only views


def test_to_pymodaq_from_ours(P: Any) -> None:
    ours = DataCalculated(
        "spread",
        data=[np.arange(8.0).reshape(4, 2)],
        distribution="spread",
        nav_indexes=(0,),
        axes=[
            Axis("x", data=np.array([0.0, 2.0, 1.0, 3.0]), index=0, spread_order=0),
            Axis("y", data=np.array([1.0, 1.0, 0.0, 0.0]), index=0, spread_order=1),
            Axis("sig", data=np.array([0.0, 1.0]), index=1),
        ],
        origin="calc",
    )
    theirs = ours.to_pymodaq()
    assert isinstance(theirs, P.DataCalculated)
    assert theirs.distribution.name == "spread" and theirs.dim.name == "DataND"
    assert [ax.spread_order for ax in theirs.axes] == [0, 1, 0]
    assert as_dwa(theirs) == ours
    linear = Axis("t", "s", offset=0.0, scaling=0.5, size=4).to_pymodaq()
    assert np.allclose(linear.get_data(), [0.0, 0.5, 1.0, 1.5])
    assert as_axis(linear) == Axis("t", "s", offset=0.0, scaling=0.5, size=4)


def test_dte_both_ways(P: Any) -> None:
    theirs = P.DataToExport(
        "dte", data=[pymodaq_dwa(P), P.DataCalculated("c", data=[np.array([1.0])])]
    )
    ours = as_dte(theirs)
    assert isinstance(ours, DataToExport) and ours.name == "dte"
    assert ours.get_full_names() == theirs.get_full_names()
    assert ours.timestamp == theirs.timestamp
    assert ours[1].source == DataSource.calculated
    back = ours.to_pymodaq()
    assert isinstance(back, P.DataToExport)
    assert back.get_full_names() == theirs.get_full_names()
    assert back[0] == theirs[0]
    # (pymodaq's own == warns on data without axes: compare through ours)
    assert as_dwa(back[1]) == as_dwa(theirs[1]) and type(back[1]) is type(theirs[1])
    assert as_dte(ours) is ours


def test_duck_typing_errors() -> None:
    with pytest.raises(DataValueError, match="not a DataWithAxes"):
        as_dwa(object())
    with pytest.raises(DataValueError, match="not a DataToExport"):
        as_dte(object())


def test_to_pymodaq_without_pymodaq(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pymodaq_data.data", None)
    with pytest.raises(ImportError, match="pymodaq_data"):
        make_dwa().to_pymodaq()


def test_positional_order_matches_pymodaq(P: Any) -> None:
    args = ("d", None, "uniform", [np.zeros(3)], ["lab"], "orig", "V")
    ours, theirs = DataRaw(*args), P.DataRaw(*args)
    assert (ours.labels, ours.origin, ours.units) == (theirs.labels, theirs.origin, theirs.units)
    assert DataCalculated("c", data=[np.zeros(1)], source="calculated").source == "calculated"
    with pytest.raises(DataValueError, match="source"):
        DataRaw("r", data=[np.zeros(1)], source="calculated")


def test_linear_params_agree_with_offset_and_scaling() -> None:
    linear = Axis("x", "m", np.linspace(-1.0, 2.0, 7))
    params = linear.linear_params()
    assert params is not None
    assert params == (linear.offset, linear.scaling) and linear.is_axis_linear()
    assert np.isclose(params[1], 0.5)
    assert Axis("x", "m", np.array([0.0, 1.0, 3.0])).linear_params() is None
    assert Axis("x", "m", np.array([4.0])).linear_params() == (4.0, 1.0)
    given = Axis("x", "m", offset=1.0, scaling=0.25, size=4)
    assert given.linear_params() == (1.0, 0.25)
