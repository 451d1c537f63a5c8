"""The backend conformance suite on the h5pyd backend, against the session's HSDS server.

The class reuses every test of :class:`TestBackendConformance` with the fixtures pointed
at HSDS: ``backend`` is ``'h5pyd'``, ``h5`` a new domain, and ``tmp_path`` a new folder of
the server (``tmp_path / "f.h5"`` names a domain in it). Tests that check one library's
objects are replaced by their h5pyd form.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from h5layout.runtime.errors import BackendError, FileAccessError
from h5layout.runtime.storage.backends import get_backend
from h5layout.runtime.storage.h5backend import GROUP, H5Backend

from ...hsds_server import HsdsServer
from ..conftest import values_equal
from .conftest import attrs_by_path, populate
from .test_backend_conformance import TestBackendConformance as _Conformance

h5pyd = pytest.importorskip("h5pyd")


class TestH5pydConformance(_Conformance):
    """Every H5Backend method and node wrapper on HSDS domains."""

    @pytest.fixture
    def backend(self, h5pyd_server: HsdsServer) -> str:
        return "h5pyd"

    @pytest.fixture
    def tmp_path(self, hsds_folder: Path, h5pyd_server: HsdsServer) -> Path:
        return hsds_folder

    @pytest.fixture
    def h5(self, hsds_domain: str, h5pyd_server: HsdsServer) -> Iterator[H5Backend]:
        be = H5Backend("h5pyd")
        be.open_file(hsds_domain, "w")
        yield be
        be.close_file()

    # -- replaced: they check h5py or PyTables objects ----------------------------------
    def test_open_close_flush(self, backend: str, tmp_path: Path) -> None:
        path = tmp_path / "f.h5"
        h5 = H5Backend(backend)
        assert not h5.isopen() and h5.h5file is None and h5.filename == ""
        f = h5.open_file(path, "w", title="my title")
        assert f is h5.h5file and h5.isopen()
        assert isinstance(h5.h5file, h5pyd.File)
        assert h5.filename == str(path)  # the domain name
        assert h5.root().path == "/"
        assert h5.get_attr("/", "CLASS") == "GROUP"
        assert h5.get_attr("/", "TITLE") == "my title"
        h5.get_set_group("/", "G")
        h5.flush()
        h5.close_file()
        assert not h5.isopen()
        h5.close_file()  # no-op
        h5.open_file(path, "r")
        assert h5.is_node_in_group("/", "G")
        h5.flush()  # read-only: no error
        h5.close_file()
        with pytest.raises(FileAccessError, match=r"missing\.h5"):
            h5.open_file(tmp_path / "missing.h5", "r")
        with pytest.raises(FileAccessError):
            h5.root()

    def test_save_file_as(self, h5: H5Backend, backend: str, tmp_path: Path) -> None:
        # A copy of a domain is a local HDF5 file written with h5py; here it goes to a
        # real local folder, not to the server.
        import tempfile

        populate(h5)
        before = attrs_by_path(h5)
        with tempfile.TemporaryDirectory() as local:
            copy = Path(local) / "copy.h5"
            h5.save_file_as(copy)
            other = H5Backend("h5py")
            other.open_file(copy, "r")
            try:
                after = attrs_by_path(other)
                assert after.keys() == before.keys()
                np.testing.assert_array_equal(
                    other.read("/Grp/Fixed"), np.arange(6.0).reshape(2, 3)
                )
                for path, attrs in before.items():
                    assert values_equal(after[path], attrs), path
            finally:
                other.close_file()

    def test_define_compression(self, h5: H5Backend, backend: str) -> None:
        h5.define_compression("gzip", 4)
        c = h5.create_carray("/", "C", obj=np.zeros((50, 4)))
        e = h5.create_earray("/", "E", "float64", data_shape=(4,))
        h5.define_compression(None, 0)
        plain = h5.create_carray("/", "P", obj=np.zeros((50, 4)))
        for node in (c, e):
            assert node.node.compression == "gzip"
            assert node.node.compression_opts == 4
        assert plain.node.compression is None
        h5.define_compression("lzf", 1)
        with pytest.raises(ValueError, match="gzip"):
            h5.create_carray("/", "L", obj=np.zeros(3))

    def test_create_earray(self, h5: H5Backend, backend: str) -> None:
        e = h5.create_earray("/", "E", "float32", data_shape=(5,), title="et")
        assert e.shape == (0, 5)
        assert e.node.maxshape == (None, 5)
        attrs = e.attrs.to_dict()
        assert attrs["CLASS"] == "EARRAY" and attrs["TITLE"] == "et"
        assert attrs["shape"] == (0, 5) and attrs["dtype"] == "float32"
        assert attrs["subdtype"] == "" and attrs["backend"] == "h5pyd"
        extdim = e.attrs.raw("EXTDIM")
        assert int(extdim) == 0 and np.asarray(extdim).dtype == np.int64  # as h5py writes it

    def test_create_vlarray(self, h5: H5Backend, backend: str) -> None:
        v = h5.create_vlarray("/", "V", "float64", title="vt")
        attrs = v.attrs.to_dict()
        assert attrs["CLASS"] == "VLARRAY" and attrs["TITLE"] == "vt"
        assert attrs["shape"] == (0,) and attrs["dtype"] == "float64"
        assert attrs["subdtype"] == "" and attrs["backend"] == "h5pyd"
        assert int(v.attrs.raw("EXTDIM")) == 0  # as h5py writes it
        assert v.read() == []
        s = h5.create_vlarray("/", "S", "string")
        assert s.attrs["dtype"] == "uint8" and s.attrs["subdtype"] == "string"
        assert type(h5.get_node("/S")).__name__ == "StringARRAY"

    def test_enable_swmr_needs_swmr_mode(self, tmp_path: Path) -> None:
        h5 = H5Backend("h5pyd")
        h5.open_file(tmp_path / "plain.h5", "w")
        try:
            with pytest.raises(BackendError, match="h5pyd"):
                h5.enable_swmr()
            assert not h5.is_swmr_active()
        finally:
            h5.close_file()

    def test_enable_and_finalize_swmr(self, tmp_path: Path) -> None:
        # No SWMR on HSDS: the backend refuses it outright, with the reason.
        with pytest.raises(BackendError, match="HSDS has no SWMR"):
            get_backend("h5pyd").open(str(tmp_path / "s.h5"), "w", title="", swmr_mode=True)

    def test_finalize_keep_open_and_reconcile(self, tmp_path: Path) -> None:
        # reconcile (used by finalize_swmr and repair) fixes stale bookkeeping on HSDS too
        h5 = H5Backend("h5pyd")
        h5.open_file(tmp_path / "k.h5", "w")
        try:
            e = h5.create_earray("/", "E", "int32")
            get_backend("h5pyd").append(e.node, np.arange(4, dtype=np.int32))
            assert e.attrs["shape"] == (0,)  # written behind the wrapper's back
            assert h5.reconcile_swmr_attrs() == ["/E@shape"]
            assert h5.get_attr("/E", "shape") == (4,)
            assert h5.reconcile_swmr_attrs() == []
        finally:
            h5.close_file()

    # -- h5pyd only ------------------------------------------------------------------------
    def test_root_is_a_group_of_the_file(self, h5: H5Backend) -> None:
        root = h5.root()
        assert isinstance(root, GROUP)
        assert root.h5file is h5.h5file
        assert h5.get_node("/").parent_node is None
