"""Files written by h5layout, opened and walked by pymodaq_data 5.3.0 on both its backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from h5layout.runtime.codec.attrs import decode_json, is_envelope
from h5layout.runtime.storage.h5backend import H5Backend
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

from .conftest import BACKENDS, values_equal

pm_saving = pytest.importorskip("pymodaq_data.h5modules.saving")

LOG_LINES = ["first line", "µ second", "x" * 300]
COMMENTS = ["a comment", ""]


def _write(path: Path, backend: str) -> None:
    s = H5SaverLowLevel(save_type="detector", backend=backend)
    s.init_file(path, metadata={"operator": "me", "nothing": None})
    for line in LOG_LINES:
        s.add_log(line)
    det = s.add_det_group(
        s.raw_group,
        title="MyDetector",
        settings_as_xml="<s/>",
        metadata={"d": {"k": 1}, "i": np.int64(3), "t": (1, 2.5), "f": np.float64(2.0)},
    )
    data = s.add_data_group(det, "Data1D")
    s.add_array(
        data,
        "data00",
        "data",
        array_to_save=np.arange(6.0).reshape(2, 3),
        metadata={"label": "sig", "nav_indexes": (), "arr": np.array([1, 2])},
    )
    enl = s.add_array(
        data, "enl", "data_enlargeable", data_shape=(3,), array_type=np.int32, enlargeable=True
    )
    enl.append(np.arange(3, dtype=np.int32))
    enl.append(np.ones((2, 3), dtype=np.int32))
    s.add_array(
        data,
        "pre",
        "data",
        data_shape=(2,),
        array_type=np.float64,
        scan_shape=(2,),
        add_scan_dim=True,
    )
    vl = s.create_vlarray(data, "Vl", np.float64)
    vl.append(np.arange(3.0))
    comments = s.add_string_array(det, "comments")
    for c in COMMENTS:
        comments.append(c)
    s.add_ch_group(s.raw_group, title="ch")
    s.add_scan_group(s.raw_group)
    s.close_file()


def _pm_value(value: Any) -> Any:
    """What pymodaq_data's value means in h5layout's decoding."""
    if is_envelope(value):
        return decode_json(json.dumps(value))
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, h5py.Empty):
        return ""  # pymodaq's h5py backend hands PyTables' empty titles back as Empty
    return value


@pytest.fixture(scope="module", params=BACKENDS)
def ours(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ours") / f"ours_{request.param}.h5"
    _write(path, str(request.param))
    return path


@pytest.mark.parametrize("pm_backend", BACKENDS)
def test_pymodaq_walks_our_file(ours: Path, pm_backend: str) -> None:
    our_backend = "tables" if "tables" in ours.name else "h5py"
    mine = H5Backend(our_backend)
    mine.open_file(ours, "r")
    expected = {n.path: mine.get_attr(n) for n in mine.walk_nodes("/")}
    mine.close_file()
    pm = pm_saving.H5SaverLowLevel(backend=pm_backend)
    pm.init_file(ours, mode="r")
    try:
        nodes = {n.path: n for n in pm.walk_nodes("/")}
        assert set(nodes) == set(expected)
        for path, attrs in expected.items():
            got = nodes[path].attrs.to_dict()
            assert set(got) == set(attrs), path
            for name, want in attrs.items():
                value = _pm_value(got[name])
                if name in ("VERSION", "PYTABLES_FORMAT_VERSION"):
                    # pymodaq parses PyTables' '1.0' as JSON, giving a float
                    assert float(value) == float(want), f"{path}@{name}"
                elif name == "EXTDIM":
                    assert int(value) == int(want)
                else:
                    assert values_equal(value, want), f"{path}@{name}: {value!r} != {want!r}"
        det = "/RawData/Detector000"
        assert nodes[det].attrs["TITLE"] == "MyDetector"
        assert nodes[det].attrs["t"] == (1, 2.5)
        assert nodes[det].attrs["d"]["data"] == "{'k': 1}"  # pymodaq's envelope for a dict
        assert pm.get_set_logger().read() == LOG_LINES
        assert pm.get_node(det + "/Comments").read() == COMMENTS
        assert pm.get_node(det + "/Comments")[0] == COMMENTS[0]
        arr = pm.get_node(det + "/Data1D/Data00")
        np.testing.assert_array_equal(arr.read(), np.arange(6.0).reshape(2, 3))
        enl = pm.get_node(det + "/Data1D/Enl")
        assert enl.attrs["shape"] == (3, 3)
        assert type(enl).__name__ == "EARRAY"
        assert np.isnan(pm.get_node(det + "/Data1D/Pre").read()).all()
        assert type(pm.get_node(det + "/Data1D/Vl")).__name__ == "VLARRAY"
        assert pm.get_last_group("/RawData", "scan").name == "Scan000"
    finally:
        pm.close_file()
