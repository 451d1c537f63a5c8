"""Every golden file (written by pymodaq_data 5.3.0) read with both backends.

The node tree, ``CLASS``/``TITLE`` and every attribute must match the file's text dump.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from h5layout.runtime.codec.attrs import decode_json
from h5layout.runtime.storage.h5backend import GROUP, H5Backend, StringARRAY

from ..conftest import values_equal

_NODE = re.compile(r"^\s*(GROUP|DATASET) (/\S*)")
_ATTR = re.compile(r"^\s*@(\S+) <([^>]*)> = (.*)$")
_NUMBER = re.compile(r"^(u?int\d+|float\d+|bool)\((.*)\)$")


def _dump_value(text: str) -> Any:
    """The decoded value a dumped attribute stands for (literals parsed, never run)."""
    if text.startswith(("'", '"', "b'", 'b"')):
        value = ast.literal_eval(text)
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        return decode_json(value)
    if text.startswith("Empty("):
        return ""
    m = _NUMBER.match(text)
    assert m is not None, f"unexpected dumped value {text!r}"
    kind, literal = m.groups()
    if kind == "bool":
        return literal == "True"
    return float(literal) if kind.startswith("float") else int(literal)


def parse_dump(path: Path) -> dict[str, dict[str, Any]]:
    """Node path -> {attribute name: decoded value} from a ``.dump.txt``."""
    nodes: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _NODE.match(line)
        if m:
            current = nodes.setdefault(m.group(2), {})
            continue
        a = _ATTR.match(line)
        if a and current is not None:
            current[a.group(1)] = _dump_value(a.group(3))
    return nodes


def _golden_files(golden_dir: Path) -> list[Path]:
    files = sorted(golden_dir.glob("*.h5"))
    assert files, "no golden files"
    return files


@pytest.fixture(
    params=[
        "dte_basic_h5py",
        "dte_basic_tables",
        "dte_minimal_h5py",
        "enlargeable_h5py",
        "lowlevel_h5py",
        "scan2d_h5py",
        "scan2d_swmr_finalized_h5py",
        "scan2d_tables",
        "timed_h5py",
    ]
)
def golden(request: pytest.FixtureRequest, golden_dir: Path) -> Path:
    path = golden_dir / f"{request.param}.h5"
    if not path.is_file():
        pytest.skip(f"{path.name} absent")
    return path


@pytest.fixture
def opened(golden: Path, backend: str) -> Any:
    h5 = H5Backend(backend)
    h5.open_file(golden, "r")
    yield h5
    h5.close_file()


def test_every_golden_file_is_listed(golden_dir: Path) -> None:
    names = {p.stem for p in _golden_files(golden_dir)}
    assert names <= {
        "dte_basic_h5py",
        "dte_basic_tables",
        "dte_minimal_h5py",
        "enlargeable_h5py",
        "lowlevel_h5py",
        "scan2d_h5py",
        "scan2d_swmr_finalized_h5py",
        "scan2d_tables",
        "timed_h5py",
    }
    for path in _golden_files(golden_dir):
        assert path.with_suffix(".dump.txt").is_file()


#: h5py's HDF5 booleans are enums, which PyTables cannot read (it gives None); the
#: PyTables backend reads them as booleans all the same (issue 13).
_ENUM_ATTRS = frozenset({"swmr_active"})


def test_tree_and_attributes(golden: Path, opened: H5Backend) -> None:
    expected = parse_dump(golden.with_suffix(".dump.txt"))
    assert len(expected) > 3
    nodes = {n.path: n for n in opened.walk_nodes("/")}
    assert set(nodes) == set(expected)
    for path, attrs in expected.items():
        node = nodes[path]
        got = opened.get_attr(node)
        assert set(got) == set(attrs), path
        assert "CLASS" in got and "TITLE" in got, path
        assert got["CLASS"] in ("GROUP", "CARRAY", "EARRAY", "VLARRAY"), path
        assert isinstance(node, GROUP) == (got["CLASS"] == "GROUP"), path
        for name, want in attrs.items():
            value = got[name]
            if name in _ENUM_ATTRS:
                assert value is want, f"{path}@{name}"
                continue
            if isinstance(want, (int, float)) and not isinstance(want, bool):
                assert value == want, f"{path}@{name}"
            else:
                assert values_equal(value, want), f"{path}@{name}: {value!r} != {want!r}"


def test_concrete_values(golden: Path, opened: H5Backend) -> None:
    name = golden.stem
    assert opened.get_attr("/", "TITLE") == "PyMoDAQ file"
    assert opened.get_attr("/", "pymodaq_data_version") == "5.3.0"
    if name == "lowlevel_h5py":
        g = "/RawData/Ch000/Data1D"
        assert opened.get_attr(g, "a_none") is None
        npint = opened.get_attr(g, "a_npint")
        assert npint == 7 and type(npint) is np.int64
        npf = opened.get_attr(g, "a_npfloat")
        assert npf == 1.25 and type(npf) is np.float64
        assert values_equal(opened.get_attr(g, "a_nparray"), np.array([1, 2]))
        assert opened.get_attr(g, "a_dict") == {"k": 1}
        assert opened.get_attr(g, "a_tuple") == (1, 2)
        assert opened.get_attr(g, "a_list") == [1, 2]
        assert opened.get_attr(g, "a_bool") is True
        np.testing.assert_array_equal(opened.read(g + "/Myarray"), np.arange(6).reshape(2, 3))
        assert opened.get_attr(g + "/Myarray", "shape") == (2, 3)
        assert np.isnan(opened.read(g + "/Prefilled")).all()
    if name.startswith("scan2d"):
        axis = "/RawData/Scan000/NavAxes/Axis00"
        offset = opened.get_attr(axis, "offset")
        assert offset == 0.0 and isinstance(offset, np.float64)
        assert opened.get_attr(axis, "shape") == (5,)
        assert opened.get_attr(axis, "label") == "x"
        assert opened.get_attr(axis, "index") == 0
        data = "/RawData/Scan000/Detector001/Data1D/CH00/Data00"
        assert opened.get_attr(data, "shape") == (5, 4, 11)
        assert opened.read(data).shape == (5, 4, 11)
        sig = opened.get_attr("/RawData/Scan000/Detector001/Data1D/CH00/Axis00", "offset")
        assert sig == 500.0
    if name == "scan2d_swmr_finalized_h5py":
        assert opened.get_attr("/", "swmr_compatible") is True
        active = opened.get_attr("/", "swmr_active")
        assert active is False  # on both backends
    if name == "timed_h5py":
        logger = opened.get_node("/RawData/Logger")
        assert isinstance(logger, StringARRAY)
        lines = logger.read()
        assert len(lines) == 10 and all(isinstance(x, str) for x in lines)
        comments = opened.get_node("/RawData/Detector000/Comments")
        assert isinstance(comments, StringARRAY)
        assert comments.read()
    if name == "dte_basic_tables":
        assert opened.get_attr("/RawData/Detector000/Data0D", "TITLE") == ""
        assert opened.get_attr("/RawData", "sample_id") == 42
