"""Bad data is refused before the first byte: a point is written whole or not at all.

One table of bad-data cases, run against every saver it applies to, on h5py and PyTables.
Each case opens a file, writes a good first point (unless the case is about the first
point), flushes, takes the file's bytes and a node-by-node snapshot (paths, shapes, dtypes,
attributes, values), then makes the bad call. It must raise the expected h5layout error
and leave the file unchanged, byte for byte and node for node. A good point written after
the refusal must then make a file ``validate`` accepts.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.errors import DataDimError, DataValueError, LayoutError
from h5layout.runtime.model.data import Axis, DataRaw, DataToExport
from h5layout.runtime.save.data import DataSaverLoader
from h5layout.runtime.save.dte import (
    DataToExportEnlargeableSaver,
    DataToExportExtendedSaver,
    DataToExportSaver,
    DataToExportTimedSaver,
)
from h5layout.runtime.save.modules import (
    DetectorExtendedSaver,
    DetectorSaver,
    LoggerSaver,
    ScanSaver,
)
from h5layout.runtime.save.points import DataEnlargeableSaver, DataExtendedSaver
from h5layout.runtime.storage.backends import Backend
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

#: the scan shape of the scan savers
SCAN = (3, 2)
#: more than PyTables stores in one attribute (h5py has no such limit)
BIG = 70_000


# -- good data and its bad variants --------------------------------------------------------


def spec(
    k: float = 0.0,
    *,
    channels: int = 2,
    shape: tuple[int, ...] = (5,),
    dtype: Any = "float64",
    values: Any = None,
    axes: Any = True,
    errors: bool = False,
    name: str = "spec",
    origin: str = "",
    **extra: Any,
) -> DataRaw:
    """The 1D item (two float64 channels of 5 values, an axis); keyword arguments spoil it."""
    size = int(np.prod(shape))
    if values is None:
        array = (np.arange(size) + k).reshape(shape).astype(dtype)
    else:
        array = np.asarray(values).reshape(shape) if np.size(values) == size else np.asarray(values)
    if axes is True:
        axes = [Axis("x", "mm", data=np.arange(float(shape[0])), index=0)]
    return DataRaw(
        name,
        data=[array.copy() for _ in range(channels)],
        axes=axes or [],
        errors=[np.ones(shape) for _ in range(channels)] if errors else None,
        origin=origin,
        timestamp=100.0 + k,
        **extra,
    )


def counter(k: float = 0.0) -> DataRaw:
    """The 0D item: two float64 channels."""
    return DataRaw("counter", data=[np.array([k]), np.array([-k])], timestamp=100.0 + k)


def dte(*items: Any) -> DataToExport:
    return DataToExport("det", list(items), timestamp=100.0)


def good(k: float = 0.0) -> DataToExport:
    return dte(counter(k), spec(k))


def first_of(dtype: str) -> Callable[[float], DataToExport]:
    return lambda k: dte(counter(k), spec(k, dtype=dtype))


def extra_attr(name: str, value: Any) -> DataToExport:
    item = spec()
    item.add_extra_attribute(name, value)
    return dte(counter(), item)


# -- the savers under test -----------------------------------------------------------------

#: every saver kind: what it writes a point with
KINDS = ("plain", "dte", "bkg", "enl", "dte_enl", "timed", "ext", "dte_ext", "scan", "logger")
#: module savers, which create their module's group on the first point
MODULE_KINDS = ("scan", "logger", "det", "det_bkg", "det_ext", "scan_nav")


def plain_module(title: str, **more: Any) -> types.SimpleNamespace:
    return types.SimpleNamespace(title=title, settings_xml=None, **more)


class Rig:
    """One saver of one kind on a new file; ``put`` writes a point its way."""

    def __init__(self, kind: str, backend: str, path: Path) -> None:
        self.kind = kind
        self.path = path
        h5 = H5SaverLowLevel(save_type="scan" if kind == "scan" else "detector", backend=backend)
        h5.init_file(path, new_file=True)
        self.h5 = h5
        self.saver: Any
        self.where: Any = None
        if kind in MODULE_KINDS:
            det = [plain_module("det")]
            if kind in ("scan", "scan_nav"):
                self.saver = ScanSaver(plain_module("scan", detectors=det, actuators=[]), SCAN)
            elif kind == "logger":
                self.saver = LoggerSaver(plain_module("log", detectors=det, actuators=[]))
            elif kind == "det_ext":
                self.saver = DetectorExtendedSaver(det[0], SCAN)
            else:
                self.saver = DetectorSaver(det[0])
            self.saver.h5saver = h5
            return
        self.where = h5.add_det_group(h5.raw_group, "det")
        self.saver = {
            "plain": lambda: DataSaverLoader(h5),
            "dte": lambda: DataToExportSaver(h5),
            "bkg": lambda: DataToExportSaver(h5),
            "enl": lambda: DataEnlargeableSaver(h5),
            "dte_enl": lambda: DataToExportEnlargeableSaver(h5),
            "timed": lambda: DataToExportTimedSaver(h5),
            "ext": lambda: DataExtendedSaver(h5, SCAN),
            "dte_ext": lambda: DataToExportExtendedSaver(h5, SCAN),
            "nav": lambda: DataToExportExtendedSaver(h5, SCAN),
            "array": lambda: h5,
        }[kind]()

    def put(self, data: DataToExport, k: int = 0, **kw: Any) -> None:
        """Write ``data`` as point ``k`` (item savers get its last item)."""
        s, where, kind = self.saver, self.where, self.kind
        item = data.data[-1] if len(data) else None
        if kind in ("ext", "dte_ext", "scan", "det_ext"):
            kw.setdefault("indexes", (k, 0))
        if kind in ("enl", "dte_enl"):
            kw.setdefault("axis_values", [float(k)])
        if kind == "plain":
            s.add_data(where, item, **kw)
        elif kind == "bkg":
            s.add_bkg(where, data, **kw)
        elif kind in ("enl", "ext"):
            s.add_data(where, item, **kw)
        elif kind in ("dte", "dte_enl", "timed", "dte_ext"):
            s.add_data(where, data, **kw)
        elif kind == "scan":
            s.add_data(data, **kw)
        elif kind == "logger":
            s.add_data(data)
        elif kind in ("det", "det_ext"):
            s.add_data(None, data, **kw)
        elif kind == "det_bkg":
            s.add_bkg(None, data)
        elif kind == "scan_nav":
            s.add_nav_axes(kw["axes"])
        elif kind == "nav":
            s.add_nav_axes(where, kw["axes"])
        elif kind == "array":
            kw.setdefault("array_to_save", item.data[0] if item is not None else None)
            s.add_array(where, f"arr{k}", "data", **kw)
        else:  # pragma: no cover
            raise AssertionError(kind)


def snapshot(impl: Backend, root: Any) -> dict[str, Any]:
    """Every node: kind, shape, dtype, attributes and a hash of the values."""
    out: dict[str, Any] = {}

    def walk(raw: Any, path: str) -> None:
        attrs = {n: repr(impl.get_attr(raw, n)) for n in sorted(impl.attr_names(raw))}
        if impl.is_group(raw):
            out[path] = ("group", attrs)
            for name, child in impl.children(raw).items():
                walk(child, path.rstrip("/") + "/" + name)
            return
        values = impl.read(raw)
        if isinstance(values, np.ndarray) and values.dtype.kind != "O":
            digest = hashlib.sha1(np.ascontiguousarray(values).tobytes()).hexdigest()
        else:
            digest = repr(values)
        out[path] = ("array", impl.shape(raw), str(impl.dtype(raw)), attrs, digest)

    walk(root, "/")
    return out


# -- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A bad call: ``data`` and ``kw`` given to ``Rig.put`` as point 1 (or as the first
    point when not ``primed``); ``first`` is the good first point."""

    id: str
    kinds: tuple[str, ...]
    data: Callable[[], DataToExport] = good
    kw: dict[str, Any] = field(default_factory=dict)
    primed: bool = True
    first: Callable[[float], DataToExport] = good
    first_kw: dict[str, Any] = field(default_factory=dict)
    backends: tuple[str, ...] = ("h5py", "tables")
    error: type[LayoutError] = DataValueError


ALL = KINDS
ROWS_AND_POINTS = ("enl", "dte_enl", "timed", "ext", "dte_ext", "scan", "logger")
DTE_POINTS = ("dte_enl", "timed", "dte_ext", "scan", "logger")
INDEXED = ("ext", "dte_ext", "scan")
CREATING = ("plain", "dte", "enl", "dte_enl", "ext", "dte_ext")

CASES: list[Case] = [
    # dtypes nothing can store exactly, at the first point
    *(
        Case(f"first-{label}", ALL, lambda v=v: dte(counter(), spec(values=v)), primed=False)
        for label, v in [
            ("object", np.array([1, "a", None, 2.0, 3], dtype=object)),
            ("str", np.array(["1.5"] * 5)),
            ("bytes", np.array([b"ab"] * 5)),
            ("datetime64", np.arange(5).astype("datetime64[s]")),
        ]
    ),
    *(
        Case(
            f"first-{label}",
            ("plain", "dte_ext", "enl"),
            lambda v=v: dte(counter(), spec(values=v)),
            primed=False,
        )
        for label, v in [
            ("timedelta64", np.arange(5).astype("timedelta64[s]")),
            ("structured", np.zeros(5, dtype=[("a", "f8"), ("b", "i4")])),
        ]
    ),
    Case(
        "first-object-module",
        ("det", "det_bkg", "det_ext"),
        lambda: dte(counter(), spec(values=np.array([1, "a", None, 2.0, 3], dtype=object))),
        primed=False,
    ),
    Case(
        "first-second-item-str",
        ("dte", "dte_enl", "dte_ext", "scan", "logger"),
        lambda: dte(counter(), spec(values=np.array(["x"] * 5))),
        primed=False,
    ),
    # a later point unlike the first
    Case(
        "one-channel-of-two",
        (*ROWS_AND_POINTS, "det_ext"),
        lambda: dte(counter(1), spec(1, channels=1)),
    ),
    Case("three-channels-of-two", ROWS_AND_POINTS, lambda: dte(counter(1), spec(1, channels=3))),
    Case("longer", ROWS_AND_POINTS, lambda: dte(counter(1), spec(1, shape=(6,), axes=False))),
    Case(
        "same-size-other-shape",
        ROWS_AND_POINTS,
        lambda: dte(counter(1), spec(1, shape=(5, 1), axes=False)),
    ),
    Case("error-bars-new", ROWS_AND_POINTS, lambda: dte(counter(1), spec(1, errors=True))),
    Case(
        "complex-into-float",
        ROWS_AND_POINTS,
        lambda: dte(counter(1), spec(1, values=np.full(5, 1 + 2j))),
    ),
    Case(
        "str-into-float",
        ROWS_AND_POINTS,
        lambda: dte(counter(1), spec(1, values=np.array(["1.5"] * 5))),
    ),
    Case(
        "int64-2**62+1-into-float64",
        ROWS_AND_POINTS,
        lambda: dte(counter(1), spec(1, values=np.full(5, 2**62 + 1, dtype=np.int64))),
    ),
    Case(
        "fraction-into-int",
        ("enl", "ext", "dte_ext", "logger"),
        lambda: dte(counter(1), spec(1, values=np.full(5, 1.5))),
        first=first_of("int64"),
    ),
    Case(
        "nan-into-int",
        ("ext", "dte_enl"),
        lambda: dte(counter(1), spec(1, values=np.full(5, np.nan))),
        first=first_of("int64"),
    ),
    Case(
        "float64-into-float32",
        ("enl", "dte_ext"),
        lambda: dte(counter(1), spec(1, values=np.full(5, 0.1))),
        first=first_of("float32"),
    ),
    Case(
        "negative-into-uint8",
        ("ext", "timed"),
        lambda: dte(counter(1), spec(1, values=np.full(5, -1))),
        first=first_of("uint8"),
    ),
    Case("missing-item", DTE_POINTS, lambda: dte(counter(1))),
    Case("new-item", DTE_POINTS, lambda: dte(counter(1), spec(1), spec(1, name="more"))),
    # scan indexes
    *(
        Case(f"indexes-{label}", kinds, kw={"indexes": value})
        for label, value, kinds in [
            ("1.9,0", [1.9, 0], INDEXED),
            ("True,1", [True, 1], INDEXED),
            ("'1','0'", ["1", "0"], INDEXED),
            ("nan,0", [float("nan"), 0], INDEXED),
            ("array-1.5,0", np.array([1.5, 0.0]), ("dte_ext",)),
            ("array-bool", np.array([True, False]), ("dte_ext",)),
            ("nested", [[1, 0]], ("dte_ext",)),
            ("None", None, ("dte_ext",)),
            ("one-of-two", (1,), ("dte_ext", "scan")),
            ("three-of-two", (1, 0, 0), ("dte_ext",)),
            ("negative", (-1, 0), ("dte_ext", "ext")),
            ("equal-to-shape", (1, 2), ("dte_ext", "scan")),
        ]
    ),
    Case("distribution-unknown", ("ext", "dte_ext"), kw={"distribution": "banana"}, primed=False),
    # axes against the data
    Case(
        "axis-shorter",
        (*CREATING, "scan"),
        lambda: dte(counter(), spec(axes=[Axis("x", data=np.arange(4.0), index=0)])),
        primed=False,
    ),
    Case(
        "axis-of-no-dimension",
        ("plain", "dte", "ext"),
        lambda: dte(counter(), spec(axes=[Axis("x", data=np.arange(5.0), index=1)])),
        primed=False,
    ),
    Case(
        "axis-of-str",
        ("plain", "dte_ext"),
        lambda: dte(counter(), spec(axes=[Axis("x", data=np.array(list("abcde")), index=0)])),
        primed=False,
    ),
    Case(
        "nav-axis-shorter",
        ("nav", "scan_nav"),
        kw={
            "axes": [
                Axis("a", data=np.arange(3.0), index=0),
                Axis("b", data=np.arange(3.0), index=1),
            ]
        },
    ),
    Case(
        "nav-axis-of-no-dimension", ("nav",), kw={"axes": [Axis("a", data=np.arange(3.0), index=2)]}
    ),
    # the low-level add_array
    Case(
        "array-fraction-into-int",
        ("array",),
        kw={"array_type": "int64"},
        data=lambda: dte(spec(values=np.full(5, 1.5))),
    ),
    Case("array-str", ("array",), data=lambda: dte(spec(values=np.array(["1.5"] * 5)))),
    Case(
        "array-scan-shape-fraction",
        ("array",),
        kw={
            "array_to_save": None,
            "array_type": "float64",
            "data_shape": (5,),
            "scan_shape": (2.5,),
            "add_scan_dim": True,
        },
    ),
    Case("array-title-nul", ("array",), kw={"title": "a\x00b"}),
    Case(
        "array-big-metadata",
        ("array",),
        kw={"metadata": {"notes": "x" * BIG}},
        backends=("tables",),
    ),
    # enlargeable axis values
    *(
        Case(f"axis-values-{label}", kinds, kw={"axis_values": value})
        for label, value, kinds in [
            ("missing", [], ("enl", "dte_enl")),
            ("extra", [1.0, 2.0], ("enl", "dte_enl")),
            ("str", ["a"], ("enl", "dte_enl")),
            ("int64-2**62+1", [2**62 + 1], ("enl", "dte_enl")),
            ("complex", [1 + 2j], ("enl",)),
            ("none-with-axes", None, ("enl",)),
        ]
    ),
    Case(
        "axis-values-without-axes",
        ("enl",),
        kw={"axis_values": [1.0]},
        first_kw={"axis_values": None},
    ),
    Case(
        "two-navigation-indexes",
        ("enl", "dte_enl"),
        lambda: dte(counter(), DataRaw("m", data=[np.zeros((2, 3))], nav_indexes=(0, 1))),
        primed=False,
        error=DataDimError,
    ),
    # attribute names and texts no backend stores as given
    Case("attr-name-empty", CREATING, lambda: extra_attr("", 1), primed=False),
    Case(
        "attr-array-summarised",
        CREATING,
        lambda: extra_attr("calib", np.arange(5000)),
        primed=False,
    ),
    Case("attr-name-nul", ("plain", "dte_ext"), lambda: extra_attr("a\x00b", 1), primed=False),
    Case(
        "name-with-nul",
        ("dte", "ext", "dte_enl"),
        lambda: dte(counter(), spec(name="a\x00b")),
        primed=False,
    ),
    Case(
        "name-not-utf8",
        ("dte", "dte_ext"),
        lambda: dte(counter(), spec(name="\ud800")),
        primed=False,
    ),
    Case(
        "origin-with-nul",
        ("dte", "dte_ext"),
        lambda: dte(counter(), spec(origin="o\x00p")),
        primed=False,
    ),
    # attributes PyTables cannot store (h5py can: see test_h5py_takes_large_attributes)
    Case(
        "big-extra-attr",
        (*CREATING, "timed"),
        lambda: extra_attr("notes", "x" * BIG),
        primed=False,
        backends=("tables",),
    ),
    Case(
        "big-settings",
        ("dte",),
        kw={"settings_as_xml": "<x/>" * (BIG // 4)},
        primed=False,
        backends=("tables",),
    ),
    Case(
        "big-name",
        ("dte", "ext", "dte_enl"),
        lambda: dte(counter(), spec(name="n" * BIG)),
        primed=False,
        backends=("tables",),
    ),
    Case(
        "big-origin",
        ("dte_ext",),
        lambda: dte(counter(), spec(origin="o" * BIG)),
        primed=False,
        backends=("tables",),
    ),
    Case(
        "big-axis-label",
        ("plain", "dte_ext"),
        lambda: dte(counter(), spec(axes=[Axis("l" * BIG, data=np.arange(5.0), index=0)])),
        primed=False,
        backends=("tables",),
    ),
]


def _params() -> list[Any]:
    out = []
    for case in CASES:
        for kind in case.kinds:
            for backend in case.backends:
                out.append(pytest.param(case, kind, backend, id=f"{backend}-{kind}-{case.id}"))
    return out


PARAMS = _params()


def test_the_table_is_large() -> None:
    """The table covers every family of bad data on every saver it applies to."""
    assert len({(p.values[0].id, p.values[1]) for p in PARAMS}) >= 150
    assert {k for p in PARAMS for k in [p.values[1]]} == {*KINDS, *MODULE_KINDS, "nav", "array"}


@pytest.mark.parametrize(("case", "kind", "backend"), PARAMS)
def test_refused_before_writing(case: Case, kind: str, backend: str, tmp_path: Path) -> None:
    path = tmp_path / "f.h5"
    rig = Rig(kind, backend, path)
    try:
        if case.primed and kind not in ("nav", "array", "scan_nav"):
            rig.put(case.first(0.0), 0, **case.first_kw)
        rig.h5.flush()
        before_bytes = path.read_bytes()
        before = snapshot(rig.h5.backend_impl, rig.h5.root().node)
        with pytest.raises(case.error) as info:
            rig.put(case.data(), 1, **case.kw)
        assert isinstance(info.value, LayoutError)
        assert "nothing written" in str(info.value) or case.error is not DataValueError
        assert len(str(info.value)) < 500  # a message, not the data
        rig.h5.flush()
        assert snapshot(rig.h5.backend_impl, rig.h5.root().node) == before
        assert path.read_bytes() == before_bytes
    finally:
        rig.h5.close_file()


#: one refusal per saver kind, followed by a good point: the file must validate
AFTER = {
    "plain": "axis-shorter",
    "dte": "first-object",
    "bkg": "first-str",
    "enl": "one-channel-of-two",
    "dte_enl": "missing-item",
    "timed": "str-into-float",
    "ext": "indexes-1.9,0",
    "dte_ext": "one-channel-of-two",
    "scan": "one-channel-of-two",
    "logger": "new-item",
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_good_point_after_a_refusal(kind: str, backend: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == AFTER[kind])
    path = tmp_path / "f.h5"
    rig = Rig(kind, backend, path)
    try:
        if case.primed:
            rig.put(good(0.0), 0)
        with pytest.raises(DataValueError):
            rig.put(case.data(), 1, **case.kw)
        rig.put(good(1.0), 1)
    finally:
        rig.h5.close_file()
    report = validate_file(path)
    assert not [f for f in report.findings if f.severity == "error"], report.findings


def test_h5py_takes_large_attributes(tmp_path: Path) -> None:
    """The PyTables limit is PyTables': h5py stores the same attributes."""
    rig = Rig("dte", "h5py", tmp_path / "f.h5")
    try:
        rig.put(extra_attr("notes", "x" * BIG), settings_as_xml="<x/>" * (BIG // 4))
        node = rig.h5.get_node("/RawData/Detector000/Data1D/CH00/Data00")
        assert node.attrs["notes"] == "x" * BIG
    finally:
        rig.h5.close_file()


def test_pytables_takes_attributes_up_to_its_limit(tmp_path: Path) -> None:
    rig = Rig("dte", "tables", tmp_path / "f.h5")
    try:
        rig.put(extra_attr("notes", "x" * 60_000))
        node = rig.h5.get_node("/RawData/Detector000/Data1D/CH00/Data00")
        assert node.attrs["notes"] == "x" * 60_000
    finally:
        rig.h5.close_file()


@pytest.mark.parametrize(
    ("first", "later"),
    [
        ("float64", np.full(5, 2, dtype=np.int64)),  # exact: 2 is 2.0
        ("float64", np.full(5, 1 + 0j)),  # no imaginary part to lose
        ("int64", np.full(5, 3.0)),  # an integral float
        ("float32", np.full(5, 0.5)),  # exact in float32
        ("uint8", np.full(5, 200, dtype=np.int64)),
        ("float64", np.full(5, 2**53, dtype=np.int64)),
    ],
)
def test_exact_values_of_another_dtype_are_accepted(
    first: str, later: np.ndarray, backend: str, tmp_path: Path
) -> None:
    rig = Rig("dte_ext", backend, tmp_path / "f.h5")
    try:
        rig.put(first_of(first)(0.0), 0)
        rig.put(dte(counter(1), spec(1, values=later)), 1)
        node = rig.h5.get_node("/RawData/Detector000/Data1D/CH00/Data00")
        stored = np.asarray(node.read())[1, 0]
        assert stored.dtype == np.dtype(first)
        assert np.array_equal(stored.astype(later.dtype), later)
    finally:
        rig.h5.close_file()


@pytest.mark.parametrize(
    "indexes", [(1, 0), [1, 0], np.array([1, 0]), (np.int64(1), np.int32(0)), (1.0, 0.0)]
)
def test_integer_indexes_are_accepted(indexes: Any, tmp_path: Path) -> None:
    rig = Rig("dte_ext", "h5py", tmp_path / "f.h5")
    try:
        rig.put(good(0.0), 0)
        rig.put(good(7.0), 1, indexes=indexes)
        node = rig.h5.get_node("/RawData/Detector000/Data1D/CH00/Data00")
        assert np.asarray(node.read())[1, 0, 0] == 7.0
    finally:
        rig.h5.close_file()


def test_enlargeable_rows_of_data_with_a_navigation_index(backend: str, tmp_path: Path) -> None:
    """Data with one navigation index: its points become rows, the signal is one row."""
    rig = Rig("enl", backend, tmp_path / "f.h5")
    item = DataRaw(
        "m",
        data=[np.arange(6.0).reshape(2, 3)],
        nav_indexes=(0,),
        axes=[Axis("s", data=np.arange(3.0), index=1)],
    )
    try:
        rig.put(dte(item), 0, axis_values=[5.0])
        rig.put(dte(item), 1, axis_values=[6.0])
        rig.h5.flush()  # trims the rows reserved ahead
        group = "/RawData/Detector000"
        data = np.asarray(rig.h5.get_node(f"{group}/EnlData00").read())
        assert data.shape == (4, 3)
        assert np.array_equal(data[2:], np.arange(6.0).reshape(2, 3))
        assert rig.h5.get_node(f"{group}/EnlData00").attrs["nav_indexes"] == (0,)
        assert rig.h5.get_node(f"{group}/Axis00").attrs["index"] == 1
    finally:
        rig.h5.close_file()
    assert not [f for f in validate_file(tmp_path / "f.h5").findings if f.severity == "error"]


def test_complex_scans_on_both_backends(backend: str, tmp_path: Path) -> None:
    rig = Rig("dte_ext", backend, tmp_path / "f.h5")
    try:
        rig.put(dte(counter(), spec(values=np.full(5, 1 + 2j))), 0)
        node = rig.h5.get_node("/RawData/Detector000/Data1D/CH00/Data00")
        values = np.asarray(node.read())
        assert values[0, 0, 0] == 1 + 2j
        assert np.isnan(values[1, 0, 0].real)  # unwritten points keep the fill value
    finally:
        rig.h5.close_file()


@pytest.mark.parametrize("shape", [(2.5,), (2, -1), (True, 2), "ab", None])
def test_scan_shapes_are_exact_integers(shape: Any, tmp_path: Path) -> None:
    rig = Rig("dte", "h5py", tmp_path / "f.h5")
    try:
        for make in (
            lambda: DataToExportExtendedSaver(rig.h5, shape),
            lambda: DataExtendedSaver(rig.h5, shape),
            lambda: ScanSaver(plain_module("s", detectors=[], actuators=[]), shape),
        ):
            with pytest.raises(DataValueError, match="extended_shape"):
                make()
    finally:
        rig.h5.close_file()


def test_offset_scaling_axes_without_size_take_their_dimension(tmp_path: Path) -> None:
    """As in PyMoDAQ: such an axis is not refused for having 0 values; the caller's is kept."""
    axis = Axis("x", "mm", offset=1.0, scaling=0.5, index=0)
    rig = Rig("dte", "h5py", tmp_path / "f.h5")
    try:
        rig.put(dte(counter(), spec(axes=[axis])))
        node = rig.h5.get_node("/RawData/Detector000/Data1D/CH00/Axis00")
        assert np.array_equal(np.asarray(node.read()), 1.0 + 0.5 * np.arange(5))
    finally:
        rig.h5.close_file()
    assert axis.size == 0


@pytest.mark.parametrize(
    "kw",
    [
        {"settings_as_xml": "<a/>" * (BIG // 4)},
        {"metadata": {"notes": "y" * BIG}},
        {"title": "t" * BIG},
        {"title": "a\x00b"},
        {"metadata": {"": 1}},
    ],
    ids=["settings", "metadata", "title", "title-nul", "empty-name"],
)
def test_groups_refused_before_they_exist(kw: dict[str, Any], tmp_path: Path) -> None:
    """An incremental group whose attributes PyTables cannot store is not created."""
    rig = Rig("dte", "tables", tmp_path / "f.h5")
    try:
        before = snapshot(rig.h5.backend_impl, rig.h5.root().node)
        with pytest.raises(DataValueError, match="nothing written"):
            rig.h5.add_det_group(rig.h5.raw_group, **kw)
        assert snapshot(rig.h5.backend_impl, rig.h5.root().node) == before
    finally:
        rig.h5.close_file()


#: refusals run on an HSDS domain too (node for node: a domain has no bytes to compare)
H5PYD_CASES = [
    ("one-channel-of-two", "dte_ext"),
    ("missing-item", "dte_enl"),
    ("indexes-1.9,0", "dte_ext"),
    ("first-str", "dte"),
    ("complex-into-float", "timed"),
    ("axis-values-extra", "dte_enl"),
]


@pytest.mark.parametrize(("case_id", "kind"), H5PYD_CASES)
def test_refused_before_writing_on_h5pyd(
    case_id: str, kind: str, request: pytest.FixtureRequest
) -> None:
    pytest.importorskip("h5pyd")
    request.getfixturevalue("h5pyd_server")
    folder: Path = request.getfixturevalue("hsds_folder")
    case = next(c for c in CASES if c.id == case_id)
    rig = Rig(kind, "h5pyd", folder / "f.h5")
    try:
        if case.primed:
            rig.put(case.first(0.0), 0, **case.first_kw)
        rig.h5.flush()
        before = snapshot(rig.h5.backend_impl, rig.h5.root().node)
        with pytest.raises(case.error, match="nothing written"):
            rig.put(case.data(), 1, **case.kw)
        rig.h5.flush()
        assert snapshot(rig.h5.backend_impl, rig.h5.root().node) == before
    finally:
        rig.h5.close_file()
