"""The h5py backend's low-level shortcuts give what h5py's high-level API gives."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.runtime.codec.attrs import decode_json, encode_json
from h5layout.runtime.storage.backends import (
    CARRAY_CLASS,
    EARRAY_CLASS,
    GROUP_CLASS,
    VLARRAY_CLASS,
    get_backend,
)

from ..conftest import values_equal

ATTRS: dict[str, object] = {
    "utf8": "é and ü",
    "envelope": encode_json((1, 2)),
    "empty_str": "",
    "bytes": b"raw bytes",  # h5py stores these as fixed-length strings
    "int": np.int64(3),
    "float": 2.5,
    "array": np.arange(4.0),
    "str_list": ["a", "bc"],
    "bool": np.bool_(True),
}


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "fast.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("g")
        for key, value in ATTRS.items():
            g.attrs[key] = value
        g.attrs.create("ascii", "plain", dtype=h5py.string_dtype("ascii"))
        g.attrs.create("vlen_array", ["x", "y"], dtype=h5py.string_dtype())
        g.attrs["null"] = h5py.Empty("f8")
        g.attrs["bad_utf8"] = np.array(b"\xff\xfe", dtype=h5py.string_dtype("utf-8"))[()]
        g.create_dataset("carray", data=np.zeros(3))
        g.create_dataset("earray", shape=(0, 2), maxshape=(None, 2), dtype="f8")
        g.create_dataset("vlarray", shape=(1,), dtype=h5py.vlen_dtype(np.float64))
        g.create_dataset("strings", data=["a", "b"], dtype=h5py.string_dtype())
        g["soft"] = h5py.SoftLink("/g/carray")
        g["dangling"] = h5py.SoftLink("/nowhere")
    return path


def test_every_attribute_reads_as_h5py_reads_it(sample: Path) -> None:
    be = get_backend("h5py")
    with h5py.File(sample, "r") as f:
        g = f["g"]
        names = list(g.attrs)
        assert len(names) == len(ATTRS) + 4
        for name in names:
            mine, theirs = be.get_attr(g, name), g.attrs[name]
            assert type(mine) is type(theirs), name
            if isinstance(theirs, np.ndarray):
                assert values_equal(mine, theirs), name
            elif isinstance(theirs, h5py.Empty):
                assert mine == theirs
            else:
                assert mine == theirs, name
        assert be.get_attr(g, "bad_utf8") == g.attrs["bad_utf8"] == "\udcff\udcfe"
        with pytest.raises(KeyError):
            be.get_attr(g, "absent")


def test_children_and_get_match_h5py(sample: Path) -> None:
    be = get_backend("h5py")
    for mode in ("r", "r+"):
        with h5py.File(sample, mode) as f:
            kids = be.children(f["g"])
            # a dangling link has no node behind it: left out rather than failing the walk
            assert sorted(kids) == sorted(k for k in f["g"] if k != "dangling")
            for name in ("carray", "earray", "vlarray", "strings", "soft"):
                mine, theirs = be.get(f, f"/g/{name}"), f["g"][name]
                assert type(mine) is type(theirs) and mine == theirs
                # the read-only flag drives h5py's caches of shape and readers
                assert mine._readonly is theirs._readonly is (mode == "r")
            assert be.get(f, "/").name == "/"
            for missing in ("/g/absent", "/g/dangling", "/g/carray/below"):
                with pytest.raises(KeyError):
                    be.get(f, missing)


def test_node_class_from_type_and_dataspace(sample: Path) -> None:
    be = get_backend("h5py")
    with h5py.File(sample, "r") as f:
        g = f["g"]
        assert be.node_class(g) == GROUP_CLASS
        assert be.node_class(g["carray"]) == CARRAY_CLASS
        assert be.node_class(g["earray"]) == EARRAY_CLASS
        assert be.node_class(g["vlarray"]) == VLARRAY_CLASS
        assert be.node_class(g["strings"]) == VLARRAY_CLASS


def test_decoded_values_are_never_shared_when_mutable() -> None:
    text = encode_json([1, 2])
    first = decode_json(text)
    first.append(3)
    assert decode_json(text) == [1, 2]
    shape = encode_json((4, 5))
    assert decode_json(shape) == (4, 5) and decode_json(shape) is decode_json(shape)


def test_string_attributes_are_written_as_h5py_writes_them(tmp_path: Path) -> None:
    be = get_backend("h5py")
    with h5py.File(tmp_path / "w.h5", "w") as f:
        theirs, mine = f.create_group("theirs"), f.create_group("mine")
        for name, value in (("plain", "text"), ("é", "ü"), ("empty", ""), ("plain", "twice")):
            theirs.attrs[name] = value
            be.set_attr(mine, name, value)
        assert list(mine.attrs) == list(theirs.attrs)
        for name in theirs.attrs:
            a, b = theirs.attrs.get_id(name), mine.attrs.get_id(name)
            assert a.get_type() == b.get_type() and a.get_type().get_cset() == h5py.h5t.CSET_UTF8
            assert a.shape == b.shape == ()
            assert mine.attrs[name] == theirs.attrs[name]
        assert mine.attrs["plain"] == "twice"
        # a value HDF5 cannot store fails as h5py fails, and leaves no half-made attribute
        with pytest.raises(UnicodeEncodeError):
            be.set_attr(mine, "bad", "\udcff")
        assert "bad" not in mine.attrs
