"""The h5pyd backend against the session's HSDS server: what differs from local files.

Attributes (JSON envelope and native) across sessions, overwritten and deleted later;
the DataToExport savers writing a domain and DataLoader reading it back; enlargeable
arrays with exact bookkeeping at every flush and close; what a second handle sees.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from h5layout.runtime.codec.attrs import read_attr
from h5layout.runtime.errors import BackendError, FileAccessError
from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import Axis, DataRaw, DataToExport, DataWithAxes
from h5layout.runtime.save.dte import DataToExportEnlargeableSaver, DataToExportSaver
from h5layout.runtime.storage.backends import get_backend
from h5layout.runtime.storage.h5backend import EARRAY, VLARRAY, H5Backend
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

from ...hsds_server import HsdsServer
from ..conftest import attr_values, dwas, values_equal

h5pyd = pytest.importorskip("h5pyd")

pytestmark = pytest.mark.usefixtures("h5pyd_server")

#: attribute values stored in the JSON envelope (what ``set_attr`` writes)
JSON_VALUES: dict[str, Any] = {
    "none": None,
    "true": True,
    "int": 3,
    "big": 2**70,
    "float": 2.5,
    "nan": float("nan"),
    "text": "héllo µm",
    "empty": "",
    "tuple": (1, "a", 2.0),
    "list": [1, [2, 3]],
    "dict": {"k": (1, 2), "n": None},
    "i64": np.int64(-5),
    "f32": np.float32(1.5),
    "bool_": np.bool_(False),
    "array": np.arange(4, dtype=np.int64),
    "farray": np.array([0.25, -1.5]),
}
#: attribute values stored natively (no envelope), read back as h5py reads them
NATIVE_VALUES: dict[str, Any] = {
    "CLASS": "GROUP",
    "str": "plain µ",
    "EXTDIM": np.int64(0),
    "i32": np.int32(7),
    "u8": np.uint8(255),
    "n_f64": np.float64(0.1),
    "n_f32": np.float32(2.25),
    "flag": np.bool_(True),
    "ints": np.array([1, 2, 3], dtype=np.int32),
    "grid": np.arange(6.0).reshape(2, 3),
}


def _reopen(domain: str, mode: str = "r") -> H5Backend:
    h5 = H5Backend("h5pyd")
    h5.open_file(domain, mode)
    return h5


# -- attributes --------------------------------------------------------------------------------


def test_attributes_round_trip_as_with_h5py(hsds_domain: str, tmp_path: Path) -> None:
    """Envelope and native attributes read back equal, and equal to h5py's reading."""
    local = H5Backend("h5py")
    local.open_file(tmp_path / "ref.h5", "w")
    h5 = H5Backend("h5pyd")
    h5.open_file(hsds_domain, "w")
    for be in (h5, local):
        be.get_set_group("/", "G")
        for name, value in JSON_VALUES.items():
            be.set_attr("/G", name, value)
        for name, value in NATIVE_VALUES.items():
            be.get_node("/G").attrs.set_native(name, value)
    h5.close_file()
    h5 = _reopen(hsds_domain)
    try:
        node, ref = h5.get_node("/G"), local.get_node("/G")
        assert sorted(node.attrs.attrs_name) == sorted(ref.attrs.attrs_name)
        for name, value in JSON_VALUES.items():
            assert values_equal(node.attrs[name], value), name
            raw = node.attrs.raw(name)
            assert isinstance(raw, str) and '"type"' in raw  # the pymodaq JSON envelope
        for name in NATIVE_VALUES:
            got, want = node.attrs.raw(name), ref.attrs.raw(name)
            assert values_equal(got, want), (name, got, want)
    finally:
        h5.close_file()
        local.close_file()


class _OpenDomain:
    """One writer handle for every example of a property test (opening costs requests)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.h5 = H5Backend("h5pyd")
        self.h5.open_file(domain, "w")
        self.h5.get_set_group("/", "G")


@pytest.fixture
def open_domain(hsds_domain: str) -> Iterator[_OpenDomain]:
    store = _OpenDomain(hsds_domain)
    yield store
    store.h5.close_file()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=attr_values)
def test_attribute_values_read_by_another_handle(open_domain: _OpenDomain, value: Any) -> None:
    h5 = open_domain.h5
    h5.set_attr("/G", "value", value)  # the same name each time: replaced on the server
    h5.flush()
    reader = _reopen(open_domain.domain)
    try:
        assert values_equal(reader.get_attr("/G", "value"), value)
    finally:
        reader.close_file()


def test_attributes_overwritten_and_deleted_in_later_sessions(hsds_domain: str) -> None:
    h5 = H5Backend("h5pyd")
    h5.open_file(hsds_domain, "w")
    g = h5.get_set_group("/", "G", title="first")
    g.attrs["count"] = 1
    g.attrs.set_native("native", "a")
    g.attrs["gone"] = "soon"
    h5.flush()
    g.attrs["count"] = 2  # already on the server: HSDS would answer 409 Conflict
    h5.flush()
    h5.close_file()

    h5 = _reopen(hsds_domain, "a")
    g = h5.get_node("/G")
    g.attrs["count"] = 3
    g.attrs["title"] = "second"
    g.attrs.set_native("native", "b")
    del g.attrs["gone"]
    with pytest.raises(KeyError):
        del g.attrs["never"]
    h5.close_file()

    h5 = _reopen(hsds_domain)
    try:
        g = h5.get_node("/G")
        assert g.attrs["count"] == 3
        assert g.title == "second"
        assert g.attrs.raw("native") == "b"
        assert "gone" not in g.attrs
        assert sorted(g.attrs.attrs_name) == ["CLASS", "TITLE", "count", "native"]
    finally:
        h5.close_file()


# -- nodes -------------------------------------------------------------------------------------


def test_nodes_removed_and_recreated(hsds_domain: str) -> None:
    h5 = H5Backend("h5pyd")
    h5.open_file(hsds_domain, "w")
    g = h5.get_set_group("/", "G")
    h5.get_set_group(g, "Sub")
    h5.create_carray(g, "A", obj=np.arange(3.0))
    h5.flush()
    get_backend("h5pyd").remove(h5.get_node("/G/Sub").node)  # a nested node, by its parent
    h5.create_carray("/G", "Sub", obj=np.ones(2))  # the name taken again, by an array
    h5.close_file()

    h5 = _reopen(hsds_domain, "a")
    assert h5.get_children("/G").keys() == {"A", "Sub"}
    np.testing.assert_array_equal(h5.read("/G/Sub"), np.ones(2))
    h5.get_node("/G").remove_children()  # deleted in a later session
    h5.close_file()
    h5 = _reopen(hsds_domain)
    try:
        assert h5.get_children("/G") == {}
    finally:
        h5.close_file()


def test_variable_length_rows_read_back_with_empty_rows(hsds_domain: str) -> None:
    h5 = H5Backend("h5pyd")
    h5.open_file(hsds_domain, "w")
    v = h5.create_vlarray("/", "V", "float64")
    for row in ([], [1.0, 2.0], []):
        v.append(np.asarray(row))
    assert len(v.node.id.db._getDatasetUpdates(v.node.id.uuid)) == 1  # one block, one request
    np.testing.assert_array_equal(v.read()[1], [1.0, 2.0])  # pending rows read back too
    s = h5.create_vlarray("/", "Log", "string")
    s.append("")
    s.append("µ line")
    h5.close_file()
    h5 = _reopen(hsds_domain)
    try:
        v = h5.get_node("/V")
        assert isinstance(v, VLARRAY)
        rows = v.read()
        assert [r.tolist() for r in rows] == [[], [1.0, 2.0], []]  # h5pyd alone gives 0
        assert all(r.dtype == np.float64 for r in rows)
        assert v[0].shape == (0,)
        assert v.attrs["shape"] == (3,)
        assert h5.get_node("/Log").read() == ["", "µ line"]
    finally:
        h5.close_file()


# -- enlargeable arrays and what other handles see ---------------------------------------------


def test_row_appends_go_out_as_one_block_with_exact_bookkeeping(
    hsds_domain: str, hsds_server: HsdsServer
) -> None:
    saver = H5SaverLowLevel(backend="h5pyd")
    saver.init_file(hsds_domain, new_file=True)
    saver.set_swmr_flush_interval(0)  # flushes are explicit here
    enl = DataToExportEnlargeableSaver(saver, enl_axis_names=("pos",), enl_axis_units=("mm",))
    det = saver.add_det_group(saver.raw_group)
    data_path = "/RawData/Detector000/Data1D/CH00/EnlData00"
    axis_path = "/RawData/Detector000/NavAxes/Axis00"
    frames = [np.arange(5.0) + i for i in range(300)]  # more rows than one reserved block

    def point(i: int) -> None:
        dwa = DataRaw("spec", data=[frames[i]], timestamp=float(i))
        enl.add_data(det, DataToExport("d", [dwa]), axis_values=[0.5 * i])

    for i in range(40):
        point(i)
    raw = saver.get_node(data_path).node
    saver.write_pending()  # the saver's row buffers, handed to h5pyd (still unsent)
    pending = raw.id.db._getDatasetUpdates(raw.id.uuid)
    assert len(pending) == 1  # one block of rows, not one update per row
    saver.flush()
    other = h5pyd.File(hsds_domain, "r", **hsds_server.h5pyd_kwargs)  # another client
    try:
        assert other[data_path].shape == (40, 5)  # reserved rows trimmed at the flush
        assert read_attr(other[data_path].attrs["shape"]) == (40, 5)
        assert read_attr(other[axis_path].attrs["size"]) == 40
        np.testing.assert_array_equal(other[data_path][...], np.stack(frames[:40]))
    finally:
        other.close()
    for i in range(40, 300):
        point(i)
    saver.close_file()

    h5 = _reopen(hsds_domain)
    try:
        data = h5.get_node(data_path)
        assert isinstance(data, EARRAY)
        assert data.shape == (300, 5) and data.attrs["shape"] == (300, 5)
        axis = h5.get_node(axis_path)
        assert axis.shape == (300,) and axis.attrs["size"] == 300
        np.testing.assert_array_equal(data.read(), np.stack(frames))
        np.testing.assert_allclose(axis.read(), 0.5 * np.arange(300))
    finally:
        h5.close_file()


def test_second_handle_sees_data_after_flush(hsds_domain: str) -> None:
    writer = H5Backend("h5pyd")
    writer.open_file(hsds_domain, "w")
    e = writer.create_earray("/", "E", "int32", data_shape=(2,))
    e.append(np.array([[1, 2], [3, 4]], dtype=np.int32))
    writer.set_attr("/E", "note", "first")
    writer.flush()
    reader = _reopen(hsds_domain)
    try:
        np.testing.assert_array_equal(reader.read("/E"), [[1, 2], [3, 4]])
        assert reader.get_attr("/E", "note") == "first"
        assert reader.get_attr("/E", "shape") == (2, 2)
    finally:
        reader.close_file()
    e.append(np.array([5, 6], dtype=np.int32))
    writer.set_attr("/E", "note", "second")
    writer.flush()
    reader = _reopen(hsds_domain)  # a new handle: h5pyd caches shapes per handle
    try:
        np.testing.assert_array_equal(reader.read("/E")[-1], [5, 6])
        assert reader.get_attr("/E", "note") == "second"
        assert reader.get_attr("/E", "shape") == (3, 2)
    finally:
        reader.close_file()
        writer.close_file()


# -- savers and loader -------------------------------------------------------------------------


def _items() -> list[DataRaw]:
    rng = np.random.default_rng(7)
    spectrum = DataRaw(
        "spectrum",
        data=[rng.standard_normal(6), rng.standard_normal(6)],
        labels=["a", "b"],
        units="V",
        origin="spectro",
        axes=[Axis("wavelength", "nm", data=np.linspace(400.0, 450.0, 6), index=0)],
        timestamp=1.7e9,
    )
    image = DataRaw(
        "camera",
        data=[rng.integers(0, 4000, (3, 4)).astype(np.uint16)],
        units="counts",
        origin="cam",
        axes=[
            Axis("y", "µm", data=np.arange(3.0) * 2, index=0),
            Axis("x", "µm", data=np.arange(4.0) + 0.5, index=1),
        ],
        timestamp=1.7e9,
        exposure=0.25,
    )
    value = DataRaw("power", data=[np.array([1.5])], units="W", origin="meter", timestamp=1.7e9)
    return [spectrum, image, value]


def test_dte_savers_write_what_data_loader_reads(hsds_domain: str) -> None:
    items = _items()
    saver = H5SaverLowLevel(save_type="detector", backend="h5pyd")
    saver.init_file(hsds_domain, new_file=True)
    det = saver.add_det_group(saver.raw_group, title="det")
    DataToExportSaver(saver).add_data(det, DataToExport("dte", items), settings_as_xml="<s/>")
    enl = DataToExportEnlargeableSaver(saver, enl_axis_names=("z",), enl_axis_units=("mm",))
    det2 = saver.add_det_group(saver.raw_group)
    for k in range(3):
        enl.add_data(det2, DataToExport("d", [items[0]]), axis_values=[0.1 * k])
    saver.close_file()

    with DataLoader(hsds_domain, backend="h5pyd") as loader:
        for dwa, where in zip(
            items,
            ["Data1D/CH00", "Data2D/CH00", "Data0D/CH00"],
            strict=True,
        ):
            loaded = loader.load_data(f"/RawData/Detector000/{where}/Data00", load_all=True)
            assert loaded == dwa
            assert loaded.settings == "<s/>"
            assert [(a.label, a.units) for a in loaded.axes] == [
                (a.label, a.units) for a in dwa.axes
            ]
            for got, want in zip(loaded.axes, dwa.axes, strict=True):
                np.testing.assert_array_equal(got.get_data(), want.get_data())
        log = loader.load_data("/RawData/Detector001/Data1D/CH00/EnlData00", load_all=True)
        assert log.shape == (3, 6)
        for k in range(3):
            np.testing.assert_array_equal(log.data[0][k], items[0].data[0])
        nav = [a for a in log.axes if a.label == "z"]
        assert len(nav) == 1 and nav[0].units == "mm"
        np.testing.assert_allclose(nav[0].get_data(), [0.0, 0.1, 0.2])
        # one entry per name and origin, as with local files
        assert len(loader.load_all("/RawData")) == 3
        assert len(loader.load_all("/RawData/Detector001")) == 1


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(dwas(with_errors=False), min_size=1, max_size=3))
def test_random_data_round_trip(hsds_folder: Path, items: list[DataWithAxes]) -> None:
    """Random data, dtypes and axes: saved to a domain, loaded back equal."""
    domain = str(hsds_folder / f"rt_{uuid.uuid4().hex[:8]}.h5")
    items = [d.with_origin(f"o{i}") for i, d in enumerate(items)]  # all distinct
    saver = H5SaverLowLevel(save_type="custom", backend="h5pyd")
    saver.init_file(domain, new_file=True)
    det = saver.add_det_group(saver.raw_group)
    dte_saver = DataToExportSaver(saver)
    dte_saver.add_data(det, DataToExport("dte", items))
    saver.close_file()
    positions: dict[str, int] = {}
    with DataLoader(domain, backend="h5pyd") as loader:
        for dwa in items:
            pos = positions.get(dwa.dim.name, 0)
            positions[dwa.dim.name] = pos + 1
            where = (
                f"/RawData/Detector000/Data{dwa.dim.name[4:]}/{dte_saver.channel_formatter(pos)}"
            )
            assert loader.load_data(f"{where}/Data00", load_all=True) == dwa


def test_saver_reopening_a_domain_keeps_it(hsds_domain: str) -> None:
    first = H5SaverLowLevel(save_type="scan", backend="h5pyd")
    assert first.init_file(hsds_domain, new_file=True) is True
    first.add_scan_group(first.raw_group)
    first.add_log("first session")
    first.close_file()
    assert get_backend("h5pyd").file_exists(hsds_domain)  # type: ignore[attr-defined]
    again = H5SaverLowLevel(save_type="scan", backend="h5pyd")
    assert again.init_file(hsds_domain) is False  # 'a': the domain is not replaced
    again.add_scan_group(again.raw_group)
    again.add_log("second session")
    again.close_file()
    with DataLoader(hsds_domain, backend="h5pyd") as loader:
        h5 = loader.h5saver
        assert sorted(h5.get_children("/RawData")) == ["Logger", "Scan000", "Scan001"]
        assert h5.get_node("/RawData/Logger").read() == ["first session", "second session"]


def test_durable_flush_policy_leaves_durability_to_the_server(hsds_domain: str) -> None:
    """A layout asking for fsync after each flush still saves to a domain (no local file)."""
    import dataclasses

    from h5layout.pymodaq import LAYOUT_SPEC

    spec = dataclasses.replace(
        LAYOUT_SPEC, policy=dataclasses.replace(LAYOUT_SPEC.policy, fsync=True)
    )
    saver_class = type("DurableSaver", (H5SaverLowLevel,), {"LAYOUT_SPEC": spec})
    saver = saver_class(save_type="scan", backend="h5pyd")
    saver.init_file(hsds_domain, new_file=True)
    saver.add_log("kept")
    saver.flush()
    saver.close_file()
    with DataLoader(hsds_domain, backend="h5pyd") as loader:
        assert loader.h5saver.get_node("/RawData/Logger").read() == ["kept"]


# -- opening -----------------------------------------------------------------------------------


def test_open_errors_and_server_arguments(
    hsds_domain: str, hsds_server: HsdsServer, tmp_path: Path
) -> None:
    backend = get_backend("h5pyd")
    with pytest.raises(BackendError, match="no SWMR"):
        backend.open(hsds_domain, "w", title="", swmr_mode=True)
    with pytest.raises(FileAccessError, match="cannot open"):
        H5Backend("h5pyd").open_file(hsds_domain, "r")  # not created yet
    assert not backend.file_exists(hsds_domain)  # type: ignore[attr-defined]
    assert not backend.file_exists("/h5layout_tests/")  # type: ignore[attr-defined]
    with pytest.raises(FileAccessError, match="no such file"):
        DataLoader(hsds_domain, backend="h5pyd")
    # arguments given to open win over the backend's default server
    backend.set_server(endpoint="http://127.0.0.1:9", username="x", password="y")  # type: ignore[attr-defined]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        h5 = H5Backend("h5pyd")
        h5.open_file(hsds_domain, "w", locking=False, **hsds_server.h5pyd_kwargs)
        assert root.level == logging.WARNING  # h5pyd's own open sets it to ERROR
        assert h5.is_swmr_capable() is False
        h5.close_file()
    finally:
        root.setLevel(level)
        backend.set_server(**hsds_server.h5pyd_kwargs)  # type: ignore[attr-defined]
    assert backend.server == hsds_server.h5pyd_kwargs  # type: ignore[attr-defined]
