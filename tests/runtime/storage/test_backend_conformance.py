"""One conformance suite every backend runs: H5Backend, the node wrappers, SWMR."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import tables

from h5layout.runtime.codec.attrs import read_attr
from h5layout.runtime.errors import (
    BackendError,
    DataValueError,
    FileAccessError,
    InvalidGroupType,
    NodeError,
)
from h5layout.runtime.model.enums import GroupType
from h5layout.runtime.storage import backends as be
from h5layout.runtime.storage.h5backend import H5Backend
from h5layout.runtime.storage.nodes import CARRAY, EARRAY, GROUP, VLARRAY, Attributes, StringARRAY

from ..conftest import values_equal
from .conftest import attrs_by_path, populate


def _soft_link(h5: H5Backend, backend: str, path: str, target: str) -> None:
    """A soft link made with the backend's own library."""
    parent, name = path.rsplit("/", 1)
    if backend == "tables":
        h5.h5file.create_soft_link(parent or "/", name, target)
    else:
        lib = h5py if backend == "h5py" else __import__("h5pyd")
        h5.h5file[path] = lib.SoftLink(target)


class TestBackendConformance:
    """Every H5Backend method and node wrapper, on each backend (``backend`` fixture)."""

    # -- backend selection and files -------------------------------------------------------
    def test_set_backend(self, backend: str, tmp_path: Path) -> None:
        h5 = H5Backend(backend)
        assert h5.backend == backend
        h5.open_file(tmp_path / "f.h5", "w")
        other = "tables" if backend == "h5py" else "h5py"
        h5.set_backend(other)
        assert h5.backend == other
        assert not h5.isopen()  # switching closes the file
        with pytest.raises(BackendError, match="nope"):
            h5.set_backend("nope")
        assert h5.backend == other
        with pytest.raises(BackendError):
            H5Backend("nope")

    def test_open_close_flush(self, backend: str, tmp_path: Path) -> None:
        path = tmp_path / "f.h5"
        h5 = H5Backend(backend)
        assert not h5.isopen()
        assert h5.h5file is None
        assert h5.filename == ""
        f = h5.open_file(path, "w", title="my title")
        assert f is h5.h5file
        assert h5.isopen()
        assert Path(h5.filename).resolve() == path.resolve()
        root = h5.root()
        assert isinstance(root, GROUP)
        assert root.path == "/"
        assert h5.get_attr("/", "CLASS") == "GROUP"
        assert h5.get_attr("/", "TITLE") == "my title"
        lib_file = h5py.File if backend == "h5py" else tables.File
        assert isinstance(h5.h5file, lib_file)
        h5.get_set_group("/", "G")
        h5.flush()
        h5.close_file()
        assert not h5.isopen()
        h5.close_file()  # no-op
        h5.open_file(path, "r")
        assert h5.is_node_in_group("/", "G")
        h5.flush()  # read-only: no error
        h5.close_file()
        with pytest.raises(FileAccessError):
            h5.open_file(tmp_path / "missing.h5", "r")
        with pytest.raises(FileAccessError):
            h5.root()

    def test_save_file_as(self, h5: H5Backend, backend: str, tmp_path: Path) -> None:
        populate(h5)
        before = attrs_by_path(h5)
        copy = tmp_path / "copy.h5"
        h5.save_file_as(copy)
        with pytest.raises(FileAccessError):
            h5.save_file_as(h5.filename)
        assert h5.isopen()
        other = H5Backend(backend)
        other.open_file(copy, "r")
        try:
            after = attrs_by_path(other)
            assert after.keys() == before.keys()
            for path, attrs in before.items():
                assert values_equal(after[path], attrs), path
            np.testing.assert_array_equal(other.read("/Grp/Fixed"), np.arange(6.0).reshape(2, 3))
            assert other.get_node("/Grp/Strings").read() == ["héllo"]
        finally:
            other.close_file()

    # -- metadata walks (what validate reads) ---------------------------------------------
    def test_metadata_walk(self, h5: H5Backend, backend: str) -> None:
        populate(h5)
        h5.define_compression("gzip", 4)
        h5.create_carray("/", "Z", obj=np.zeros((50, 4)))
        h5.define_compression(None, 0)
        _soft_link(h5, backend, "/Grp/soft", "/Grp/Fixed")
        impl = h5.backend_impl
        infos = list(impl.walk(h5.h5file))
        # the root, its entries, then each group's entries as the walk enters it
        assert [i.path for i in infos] == [
            "/", "/Grp", "/Z", "/Grp/Enl", "/Grp/Fixed", "/Grp/Strings", "/Grp/soft",
        ]  # fmt: skip
        by = {i.path: i for i in infos}
        root, grp = by["/"], by["/Grp"]
        assert root.kind == be.GROUP and root.is_group and root.name == "/"
        assert read_attr(root.attrs["CLASS"]) == "GROUP"
        assert grp.name == "Grp" and read_attr(grp.attrs["meta"]) == {"k": (1, 2)}
        assert read_attr(grp.attrs["TITLE"]) == "a group"
        fixed, enl, strings, z = by["/Grp/Fixed"], by["/Grp/Enl"], by["/Grp/Strings"], by["/Z"]
        assert fixed.kind == be.ARRAY and not fixed.is_group
        assert (fixed.shape, fixed.dtype, fixed.vlen) == ((2, 3), "float64", False)
        assert None not in fixed.maxshape and len(fixed.maxshape) == 2
        assert (enl.shape, enl.maxshape, enl.dtype, enl.vlen) == ((2, 2), (None, 2), "int32", False)
        assert enl.chunks is not None and len(enl.chunks) == 2
        assert strings.vlen and strings.maxshape == (None,) and strings.shape == (1,)
        assert (z.compression, z.compression_opts) == ("gzip", 4) and z.chunks is not None
        assert fixed.compression is None and enl.compression is None
        soft = by["/Grp/soft"]
        assert soft.kind == be.SOFT_LINK and soft.node is None  # reported, never followed
        assert all(not i.attr_errors and i.problem is None for i in infos)
        # keys: one object, one key, whichever scan reached it
        again = {i.name: i.key for i in impl.scan(impl.get(h5.h5file, "/Grp"))}
        assert again["Fixed"] == fixed.key and fixed.key != enl.key
        assert impl.describe(impl.get(h5.h5file, "/Grp")).key == grp.key
        # descend decides which groups the walk enters
        assert [i.path for i in impl.walk(h5.h5file, lambda i: False)] == ["/", "/Grp", "/Z"]

    # -- attributes --------------------------------------------------------------------------
    def test_attrs(self, h5: H5Backend) -> None:
        g = h5.get_set_group("/", "G")
        h5.set_attr(g, "num", 3)
        h5.set_attr("/G", "none", None)
        assert h5.get_attr(g, "num") == 3
        assert h5.get_attr("/G", "none") is None
        assert h5.has_attr(g, "num")
        assert not h5.has_attr(g, "absent")
        every = h5.get_attr(g)
        assert every["num"] == 3 and "CLASS" in every and "TITLE" in every
        with pytest.raises(KeyError):
            h5.get_attr(g, "absent")
        raw = g.attrs.raw("num")
        assert read_attr(raw) == 3
        assert '"type": "int"' in (raw.decode() if isinstance(raw, bytes) else str(raw))

    def test_define_compression(self, h5: H5Backend, backend: str) -> None:
        h5.define_compression("gzip", 4)
        c = h5.create_carray("/", "C", obj=np.zeros((50, 4)))
        e = h5.create_earray("/", "E", "float64", data_shape=(4,))
        h5.define_compression(None, 0)
        plain = h5.create_carray("/", "P", obj=np.zeros((50, 4)))
        if backend == "h5py":
            for node in (c, e):
                assert node.node.compression == "gzip"
                assert node.node.compression_opts == 4
            assert plain.node.compression is None
        else:
            for node in (c, e):
                assert node.node.filters.complib == "zlib"
                assert node.node.filters.complevel == 4
            assert plain.node.filters.complevel == 0

    # -- groups and navigation ----------------------------------------------------------
    def test_get_set_group(self, h5: H5Backend, backend: str) -> None:
        g = h5.get_set_group("/", "G", title="first", origin="a")
        assert isinstance(g, GROUP)
        assert g.title == "first"
        assert h5.get_attr(g, "origin") == "a"
        raw = g.attrs.raw("origin")
        assert "module" not in str(raw)  # native attribute, not the JSON envelope
        again = h5.get_set_group("/", "G", title="second", origin="b", extra=1)
        assert again == g
        assert again.title == "first"
        assert h5.get_attr(g, "origin") == "a"  # kwargs only set when absent
        assert h5.get_attr(g, "extra") == 1

    def test_get_group_by_title(self, h5: H5Backend) -> None:
        h5.get_set_group("/", "A", title="alpha")
        h5.get_set_group("/", "B", title="beta")
        h5.create_carray("/", "arr", obj=np.zeros(2), title="gamma")
        found = h5.get_group_by_title("/", "beta")
        assert found is not None and found.name == "B"
        assert h5.get_group_by_title("/", "gamma") is None  # arrays are not groups
        assert h5.get_group_by_title("/", "nothing") is None

    def test_node_lookup(self, h5: H5Backend) -> None:
        populate(h5)
        assert h5.is_node_in_group("/", "grp")
        assert h5.is_node_in_group("/", "GRP")
        assert not h5.is_node_in_group("/", "other")
        assert not h5.is_node_in_group("/Grp/Fixed", "x")
        node = h5.get_node("/Grp", "Fixed")
        assert isinstance(node, CARRAY) and not isinstance(node, EARRAY)
        assert h5.get_node(node) is node
        assert h5.get_node("/Grp/Fixed") == node
        assert isinstance(h5.get_node("/Grp/Enl"), EARRAY)
        assert isinstance(h5.get_node("/Grp/Strings"), StringARRAY)
        with pytest.raises(NodeError, match="/Grp/Missing"):
            h5.get_node("/Grp/Missing")
        with pytest.raises(KeyError):
            h5.get_node("/Grp", "Missing")
        assert h5.get_node_name(node) == "Fixed"
        assert h5.get_node_name("/") == "/"
        assert h5.get_node_path(node) == "/Grp/Fixed"
        parent = h5.get_parent_node("/Grp/Fixed")
        assert isinstance(parent, GROUP) and parent.path == "/Grp"
        assert h5.get_parent_node("/Grp").path == "/"  # type: ignore[union-attr]
        assert h5.get_parent_node("/") is None
        kids = h5.get_children("/Grp")
        assert list(kids) == ["Enl", "Fixed", "Strings"]
        assert all(k.path == f"/Grp/{n}" for n, k in kids.items())
        assert h5.get_children("/Grp/Fixed") == {}

    def test_walk(self, h5: H5Backend) -> None:
        populate(h5)
        h5.get_set_group("/Grp", "Sub")
        h5.create_carray("/Grp/Sub", "Deep", obj=np.ones(2))
        paths = [n.path for n in h5.walk_nodes("/")]
        assert paths[0] == "/"
        assert sorted(paths) == sorted(
            [
                "/",
                "/Grp",
                "/Grp/Enl",
                "/Grp/Fixed",
                "/Grp/Strings",
                "/Grp/Sub",
                "/Grp/Sub/Deep",
            ]
        )
        assert len(paths) == len(set(paths))
        assert [n.path for n in h5.walk_nodes("/", depth=0)] == ["/"]
        assert sorted(n.path for n in h5.walk_nodes("/", depth=1)) == ["/", "/Grp"]
        assert sorted(n.path for n in h5.walk_nodes("/", depth=2)) == sorted(
            ["/", "/Grp", "/Grp/Enl", "/Grp/Fixed", "/Grp/Strings", "/Grp/Sub"]
        )
        assert sorted(n.path for n in h5.walk_nodes("/", only_groups=True)) == [
            "/",
            "/Grp",
            "/Grp/Sub",
        ]
        assert [n.path for n in h5.walk_nodes("/Grp/Sub")] == ["/Grp/Sub", "/Grp/Sub/Deep"]
        groups = [g.path for g in h5.walk_groups("/")]
        assert groups == ["/", "/Grp", "/Grp/Sub"]
        assert all(isinstance(g, GROUP) for g in h5.walk_groups("/Grp"))
        assert list(h5.walk_groups("/Grp/Fixed")) == []

    def test_read(self, h5: H5Backend) -> None:
        populate(h5)
        np.testing.assert_array_equal(h5.read("/Grp/Fixed"), np.arange(6.0).reshape(2, 3))
        np.testing.assert_array_equal(h5.read(h5.get_node("/Grp/Enl")), [[1, 2], [3, 4]])
        with pytest.raises(NodeError):
            h5.read("/Grp")

    # -- array creation ------------------------------------------------------------------
    def test_create_carray(self, h5: H5Backend, backend: str) -> None:
        data = np.arange(12, dtype=np.uint16).reshape(3, 4)
        c = h5.create_carray("/", "C", obj=data, title="ct")
        attrs = c.attrs.to_dict()
        assert attrs["CLASS"] == "CARRAY"
        assert attrs["TITLE"] == "ct"
        assert attrs["shape"] == (3, 4)
        assert attrs["dtype"] == "uint16"
        assert attrs["subdtype"] == ""
        assert attrs["backend"] == backend
        assert "EXTDIM" not in attrs
        np.testing.assert_array_equal(c.read(), data)
        with pytest.raises(ValueError):
            h5.create_carray("/", "Bad")

    def test_create_earray(self, h5: H5Backend, backend: str) -> None:
        e = h5.create_earray("/", "E", "float32", data_shape=(5,), title="et")
        assert e.shape == (0, 5)
        attrs = e.attrs.to_dict()
        assert attrs["CLASS"] == "EARRAY"
        assert attrs["TITLE"] == "et"
        assert attrs["shape"] == (0, 5)
        assert attrs["dtype"] == "float32"
        assert attrs["subdtype"] == ""
        assert attrs["backend"] == backend
        extdim = e.attrs.raw("EXTDIM")
        assert int(extdim) == 0
        assert np.asarray(extdim).dtype == (np.int64 if backend == "h5py" else np.int32)

    def test_create_vlarray(self, h5: H5Backend, backend: str) -> None:
        v = h5.create_vlarray("/", "V", "float64", title="vt")
        assert type(v) is VLARRAY
        attrs = v.attrs.to_dict()
        assert attrs["CLASS"] == "VLARRAY"
        assert attrs["TITLE"] == "vt"
        assert attrs["shape"] == (0,)
        assert attrs["dtype"] == "float64"
        assert attrs["subdtype"] == ""
        assert attrs["backend"] == backend
        if backend == "h5py":
            assert int(v.attrs.raw("EXTDIM")) == 0
        else:
            assert "EXTDIM" not in v.attrs
        s = h5.create_vlarray("/", "S", "string")
        assert isinstance(s, StringARRAY)
        assert s.attrs["dtype"] == "uint8"
        assert s.attrs["subdtype"] == "string"
        assert isinstance(h5.get_node("/S"), StringARRAY)

    def test_add_group(self, h5: H5Backend, backend: str) -> None:
        g = h5.add_group("myGroup", GroupType.detector, "/", title="gt", metadata={"m": 1.5})
        assert g.name == "MyGroup"
        assert g.title == "gt"
        assert g.attrs["type"] == "detector"
        assert g.attrs["backend"] == backend
        assert g.attrs["m"] == 1.5
        with pytest.raises(InvalidGroupType):  # issue 13: unknown types refused on write
            h5.add_group("free", "Anything", "/")
        assert "Free" not in h5.get_children("/")
        assert h5.add_group("myGroup", GroupType.scan, "/") == g  # existing group kept

    # -- node wrappers ----------------------------------------------------------------------
    def test_node_and_group(self, h5: H5Backend, backend: str) -> None:
        populate(h5)
        g = h5.get_node("/Grp")
        assert isinstance(g, GROUP)
        assert g.name == "Grp" and g.path == "/Grp" and g.title == "a group"
        assert g.backend == backend
        assert g.parent_node is not None and g.parent_node.path == "/"
        assert g.h5file == h5.h5file
        g.set_attr("x", [1, 2])
        assert g.get_attr("x") == [1, 2]
        other = g.to_h5_backend()
        assert other.get_node("/Grp/Fixed").path == "/Grp/Fixed"
        del other  # dropping the view must not close the caller's file
        assert h5.isopen()
        assert h5.get_node("/Grp/Fixed").path == "/Grp/Fixed"
        assert g.children_name() == ["Enl", "Fixed", "Strings"]
        assert set(g.children()) == {"Enl", "Fixed", "Strings"}
        assert isinstance(g.get_child("Enl"), EARRAY)
        with pytest.raises(NodeError):
            g.get_child("nope")
        assert "/Grp" in repr(g)
        g.remove_children()
        assert g.children_name() == []
        assert h5.get_children("/Grp") == {}

    def test_carray_wrapper(self, h5: H5Backend) -> None:
        c = h5.create_carray("/", "C", obj=np.arange(10.0))
        assert len(c) == 10
        assert c.shape == (10,)
        assert c.dtype == np.float64
        assert c[3] == 3.0
        np.testing.assert_array_equal(c[2:4], [2.0, 3.0])
        c[0] = 42.0
        assert c.read()[0] == 42.0
        assert c.array is c.node

    def test_earray_append(self, h5: H5Backend) -> None:
        e = h5.create_earray("/", "E", "float64", data_shape=(3,))
        e.append(np.array([1.0, 2.0, 3.0]))  # one row
        assert e.shape == (1, 3) and e.attrs["shape"] == (1, 3)
        e.append(np.ones((2, 3)))  # many rows
        assert e.shape == (3, 3) and e.attrs["shape"] == (3, 3)
        assert len(e) == 3
        with pytest.raises(DataValueError, match="/E"):
            e.append(np.ones((2, 4)))
        with pytest.raises(DataValueError):
            e.append([1.0, 2.0, 3.0])  # type: ignore[arg-type]
        assert e.shape == (3, 3)
        np.testing.assert_array_equal(e.read()[0], [1.0, 2.0, 3.0])
        e0 = h5.create_earray("/", "E0", "int64", data_shape=(1,))
        e0.append(np.array([5]))
        e0.append(np.array([6]))
        assert e0.shape == (2, 1) and e0.attrs["shape"] == (2, 1)
        e0.append(np.array([7, 8, 9]))  # several 0D values: one row each
        assert e0.shape == (5, 1) and e0.attrs["shape"] == (5, 1)
        np.testing.assert_array_equal(e0.read()[:, 0], [5, 6, 7, 8, 9])
        with pytest.raises(DataValueError):
            e0.append(np.array([7, 8, 9]), expand=False)
        e3 = h5.create_earray("/", "E3", "float64", data_shape=(2, 3))
        e3.append(np.ones((2, 3)))
        e3.append(np.ones((4, 2, 3)))
        assert e3.shape == (5, 2, 3) and e3.attrs["shape"] == (5, 2, 3)
        e1 = h5.create_earray("/", "E1", "int64")
        e1.append(np.array([1, 2, 3]))
        assert e1.shape == (3,) and e1.attrs["shape"] == (3,)

    def test_vlarray_append(self, h5: H5Backend) -> None:
        v = h5.create_vlarray("/", "V", "int32")
        v.append(np.arange(4))
        v.append([7])
        assert v.attrs["shape"] == (2,)
        rows = v.read()
        assert len(rows) == 2
        np.testing.assert_array_equal(rows[0], [0, 1, 2, 3])
        np.testing.assert_array_equal(rows[1], [7])
        assert rows[0].dtype == np.int32

    def test_string_array(self, h5: H5Backend) -> None:
        s = h5.create_vlarray("/", "S", "string")
        assert isinstance(s, StringARRAY)
        texts = ["", "appended point 0", "µ", "x" * 300]
        for t in texts:
            s.append(t)
        assert s.attrs["shape"] == (4,)
        assert s.read() == texts
        assert s[1] == "appended point 0"
        assert s[0:2] == texts[:2]
        with pytest.raises(DataValueError):
            s.append(b"bytes")  # type: ignore[arg-type]
        assert bytes(StringARRAY.string_to_array("appended point 0")).hex() == (
            "80049514000000000000008c10" + b"appended point 0".hex() + "942e"
        )

    def test_attributes_wrapper(self, h5: H5Backend, backend: str) -> None:
        g = h5.get_set_group("/", "G", title="tt")
        attrs = Attributes(g, backend)
        assert isinstance(g.attrs, Attributes)
        attrs["val"] = (1, "a")
        assert attrs["val"] == (1, "a")
        assert attrs["title"] == "tt"  # 'title' maps to TITLE
        attrs["title"] = "new"
        assert g.title == "new"
        assert attrs.get("missing", 5) == 5
        assert attrs.get("val") == (1, "a")
        with pytest.raises(KeyError):
            attrs["missing"]
        assert "val" in attrs and "missing" not in attrs
        names = attrs.attrs_name
        assert {"CLASS", "TITLE", "val"} <= set(names)
        assert list(iter(attrs)) == names
        d = attrs.to_dict()
        assert d["val"] == (1, "a") and d["CLASS"] == "GROUP"
        del attrs["val"]
        assert "val" not in attrs

    # -- SWMR -------------------------------------------------------------------------------
    def test_swmr_capability(self, backend: str, tmp_path: Path) -> None:
        h5 = H5Backend(backend)
        assert h5.is_swmr_capable() is (backend == "h5py")
        assert not h5.is_swmr_active()
        assert not h5.is_swmr_compatible()
        h5.open_file(tmp_path / "s.h5", "w", swmr_mode=True)
        try:
            assert h5.is_swmr_compatible() is (backend == "h5py")
            if backend == "tables":
                with pytest.raises(BackendError):
                    h5.enable_swmr()
        finally:
            h5.close_file()

    def test_enable_swmr_needs_swmr_mode(self, tmp_path: Path) -> None:
        h5 = H5Backend("h5py")
        h5.open_file(tmp_path / "plain.h5", "w")
        try:
            with pytest.raises(FileAccessError, match="swmr_mode"):
                h5.enable_swmr()
            assert not h5.is_swmr_active()
        finally:
            h5.close_file()
        with pytest.raises(FileAccessError):
            H5Backend("h5py").enable_swmr()  # no file at all

    def test_enable_and_finalize_swmr(self, tmp_path: Path) -> None:
        path = tmp_path / "swmr.h5"
        h5 = H5Backend("h5py")
        h5.open_file(path, "w", swmr_mode=True)
        e = h5.create_earray("/", "Data", "float64", data_shape=(2,))
        ax = h5.create_earray("/", "Axis00", "float64")
        ax.attrs["data_type"] = "axis"
        ax.attrs["size"] = 1
        v = h5.create_vlarray("/", "Log", "string")
        h5.enable_swmr()
        assert h5.h5file.swmr_mode is True
        raw = h5.h5file.attrs["swmr_active"]
        assert isinstance(raw, np.bool_) and bool(raw) is True
        assert h5.is_swmr_active()
        h5.enable_swmr()  # idempotent
        assert h5.is_swmr_active()
        for i in range(3):
            e.append(np.array([i, i], dtype=float))
        ax.append(np.arange(5.0))
        v.append("line")
        assert e.attrs["shape"] == (0, 2)  # deferred while SWMR is on
        assert ax.attrs["size"] == 1
        h5.finalize_swmr()
        assert not h5.isopen()
        with h5py.File(path, "r") as f:
            assert bool(f.attrs["swmr_active"]) is False
        check = H5Backend("h5py")
        check.open_file(path, "r")
        try:
            assert check.get_attr("/Data", "shape") == (3, 2)
            assert check.get_attr("/Axis00", "shape") == (5,)
            assert check.get_attr("/Axis00", "size") == 5
            assert check.get_attr("/Log", "shape") == (1,)
            assert check.get_attr("/", "swmr_compatible") is True
        finally:
            check.close_file()

    def test_finalize_keep_open_and_reconcile(self, tmp_path: Path) -> None:
        h5 = H5Backend("h5py")
        h5.open_file(tmp_path / "k.h5", "w", swmr_mode=True)
        e = h5.create_earray("/", "E", "int32")
        h5.enable_swmr()
        e.append(np.arange(4, dtype=np.int32))
        h5.finalize_swmr(keep_open=True)
        try:
            assert h5.isopen() and not h5.is_swmr_active()
            assert h5.get_attr("/E", "shape") == (4,)
            assert h5.reconcile_swmr_attrs() == []  # nothing left to fix
        finally:
            h5.close_file()
