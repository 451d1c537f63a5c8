"""Files whose content would run code if read carelessly: h5layout runs nothing."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest
import tables

from h5layout.runtime.errors import UnsafeContentError
from h5layout.runtime.storage.h5backend import H5Backend, StringARRAY


class _Evil:
    """Pickles to a call of os.system."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (self.command,))


def _write_raw_attrs(path: Path, backend: str, attrs: dict[str, str]) -> None:
    """Store strings as they are (no JSON encoding) on the root, with the library itself."""
    if backend == "h5py":
        with h5py.File(path, "w") as f:
            f.attrs["CLASS"] = "GROUP"
            f.attrs["TITLE"] = "x"
            for k, v in attrs.items():
                f.attrs[k] = v
    else:
        with tables.open_file(str(path), "w") as f:
            for k, v in attrs.items():
                f.root._v_attrs[k] = v


def test_attribute_payload_is_not_run(backend: str, tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    code = f"__import__('os').system('touch {pwned}')"
    envelope = json.dumps({"module": "builtins", "type": "str", "data": code})
    trusted = json.dumps({"module": "builtins", "type": "float", "data": code})
    path = tmp_path / "evil.h5"
    _write_raw_attrs(path, backend, {"env": envelope, "as_float": trusted, "bare": code})
    h5 = H5Backend(backend)
    h5.open_file(path, "r")
    try:
        assert h5.get_attr("/", "env") == code
        assert h5.get_attr("/", "as_float") == code
        assert h5.get_attr("/", "bare") == code
        assert h5.get_attr("/")["env"] == code
    finally:
        h5.close_file()
    assert not pwned.exists()


def test_malicious_pickle_row(backend: str, tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    payload = pickle.dumps(_Evil(f"touch {pwned}"), protocol=4)
    path = tmp_path / "evil_strings.h5"
    h5 = H5Backend(backend)
    h5.open_file(path, "w")
    strings = h5.create_vlarray("/", "Comments", "string")
    assert isinstance(strings, StringARRAY)
    strings.append("harmless")
    row = np.frombuffer(payload, dtype=np.uint8)
    strings.backend_impl.vl_append(strings.node, row)
    h5.close_file()

    h5.open_file(path, "r")
    try:
        node = h5.get_node("/Comments")
        assert isinstance(node, StringARRAY)
        assert node[0] == "harmless"
        with pytest.raises(UnsafeContentError, match="/Comments"):
            node.read()
        with pytest.raises(UnsafeContentError, match="/Comments"):
            node[1]
    finally:
        h5.close_file()
    assert not pwned.exists()


def test_truncated_and_trailing_rows_refused(tmp_path: Path) -> None:
    good = pickle.dumps("text", protocol=4)
    h5 = H5Backend("h5py")
    h5.open_file(tmp_path / "rows.h5", "w")
    try:
        node = h5.create_vlarray("/", "S", "string")
        assert isinstance(node, StringARRAY)
        for bad in (good[:-3], good + b"\x2e", b"", b"\x80\x04K\x01."):
            with pytest.raises(UnsafeContentError, match="/S"):
                node.array_to_string(np.frombuffer(bad, dtype=np.uint8))
        assert node.array_to_string(np.frombuffer(good, dtype=np.uint8)) == "text"
    finally:
        h5.close_file()


def _pickled_attr_file(path: Path, pwned: Path) -> None:
    """A file whose attributes PyTables would unpickle (fixed-length strings ending in '.')."""
    payload = pickle.dumps(_Evil(f"touch {pwned}"), protocol=0)
    with h5py.File(path, "w") as f:
        f.attrs["CLASS"] = "GROUP"
        f.attrs["TITLE"] = "x"
        f.attrs["root_evil"] = np.bytes_(payload)
        g = f.create_group("RawData")
        g.attrs["CLASS"] = "GROUP"
        g.attrs["TITLE"] = "raw"
        g.attrs["evil"] = np.bytes_(payload)
        d = g.create_dataset("Data00", data=np.arange(3.0))
        d.attrs["CLASS"] = "CARRAY"
        d.attrs["TITLE"] = "d"
        d.attrs["evil"] = np.bytes_(payload)


def test_pytables_never_unpickles_attributes(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    path = tmp_path / "pickled_attrs.h5"
    _pickled_attr_file(path, pwned)
    payload_text = pickle.dumps(_Evil(f"touch {pwned}"), protocol=0).decode()
    h5 = H5Backend("tables")
    h5.open_file(path, "r")  # PyTables reads the root's attributes on open
    try:
        assert h5.get_attr("/", "root_evil") == payload_text
        assert h5.get_attr("/RawData", "evil") == payload_text
        assert [n.name for n in h5.walk_nodes("/")] == ["/", "RawData", "Data00"]
        assert h5.get_attr("/RawData/Data00")["evil"] == payload_text
        assert list(h5.read("/RawData/Data00")) == [0.0, 1.0, 2.0]
    finally:
        h5.close_file()
    assert not pwned.exists()


def test_pytables_object_arrays_are_refused(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    path = tmp_path / "object_array.h5"
    with tables.open_file(str(path), "w") as f:  # PyTables' own pickled-object arrays
        f.create_vlarray("/", "objects", atom=tables.ObjectAtom()).append(_Evil(f"touch {pwned}"))
    assert not pwned.exists()
    h5 = H5Backend("tables")
    h5.open_file(path, "r")
    try:
        with pytest.raises(UnsafeContentError, match="never unpickles"):
            h5.read("/objects")
    finally:
        h5.close_file()
    assert not pwned.exists()


def test_pytables_still_unpickles_outside_h5layout(tmp_path: Path) -> None:
    """The guard is scoped to h5layout's calls: PyTables used directly is unchanged."""
    path = tmp_path / "plain.h5"
    H5Backend("tables")  # loads the backend and its guard
    with tables.open_file(str(path), "w") as f:
        f.root._v_attrs.obj = {"a": 1}  # PyTables pickles what it cannot store natively
    with tables.open_file(str(path), "r") as f:
        assert f.root._v_attrs.obj == {"a": 1}
