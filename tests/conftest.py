"""Fixtures and helpers shared by tests of several folders (runtime, cli, lab).

Test modules import the plain helpers (``from tests.conftest import assert_same``); no test
module imports from another one (``tests/test_tests_layout.py``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import h5py
import numpy as np
import pytest

# An HSDS server on loopback for the h5pyd backend's tests (started once, on first use;
# skipped when hsds or h5pyd is not installed).
from .hsds_server import (  # noqa: F401
    h5pyd_server,
    hsds_domain,
    hsds_folder,
    hsds_server,
    hsds_server_4dn,
)

GOLDEN = Path(__file__).resolve().parents[1].parent / "shared" / "golden"


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """The folder of files written by pymodaq_data 5.3.0 (skips when absent)."""
    if not GOLDEN.is_dir():
        pytest.skip("../shared/golden is not present")
    return GOLDEN


@pytest.fixture(autouse=True)
def _h5layout_data_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaders return h5layout's data model in the tests, which compare what they load with
    h5layout objects; the tests of the other choices (``tests/runtime/model/test_datamodel.py``,
    ``test_dropin_*``) change or remove the variable themselves."""
    monkeypatch.setenv("H5LAYOUT_DATA_MODEL", "h5layout")


# -- settings XML ------------------------------------------------------------------------------


def check_parameter_xml(xml: str) -> ET.Element:
    """Parse ``xml`` and require ``type`` and ``title`` on every element (what PyMoDAQ needs)."""
    assert xml, "empty settings cannot be parsed by the browser"
    root = ET.fromstring(xml)
    for elt in root.iter():
        assert elt.get("type"), f"<{elt.tag}> has no type"
        assert elt.get("title") is not None, f"<{elt.tag}> has no title"
    return root


# -- file comparison ---------------------------------------------------------------------------


def file_snapshot(path: Path) -> dict[str, tuple[Any, ...]]:
    """Every node of a file as h5py sees it: attributes (with their HDF5 types), dtype,
    shape, maxshape, chunks, compression and the data."""
    out: dict[str, tuple[Any, ...]] = {}

    def attrs(obj: Any) -> dict[str, tuple[str, str]]:
        return {k: (str(obj.attrs.get_id(k).dtype), repr(obj.attrs[k])) for k in obj.attrs}

    with h5py.File(path, "r") as f:
        out["/"] = ("group", attrs(f))

        def visit(name: str, obj: Any) -> None:
            if isinstance(obj, h5py.Group):
                out[name] = ("group", attrs(obj))
                return
            data = obj[()]
            if data.dtype == object:
                data = [np.asarray(row).tolist() for row in data]
            else:
                data = (data.dtype.str, data.tolist())
            out[name] = (
                "array",
                attrs(obj),
                str(obj.dtype),
                obj.shape,
                obj.maxshape,
                obj.chunks,
                obj.compression,
                obj.compression_opts,
                repr(data),
            )

        f.visititems(visit)
    return out


def assert_same(a: Path, b: Path, *, chunks: bool = True) -> None:
    """Require two files to hold the same nodes (``chunks=False``: ignoring chunk shapes)."""
    sa, sb = file_snapshot(a), file_snapshot(b)
    assert sorted(sa) == sorted(sb)
    for name in sa:
        x, y = sa[name], sb[name]
        if not chunks and x[0] == "array":  # neither chunks nor the maxshape they imply
            x, y = x[:4] + x[6:], y[:4] + y[6:]
        assert x == y, name


# -- crashed files -----------------------------------------------------------------------------

_SWMR_WRITER = """
import os, sys
import h5py, numpy as np
from h5layout.runtime.codec.attrs import encode_json
f = h5py.File(sys.argv[1], "r+", libver="latest")
f.attrs["swmr_active"] = np.bool_(True)
f["/RawData/Logger"].attrs["shape"] = encode_json((3,))
f.swmr_mode = True
f.flush()
os._exit(0)  # a crash: nothing closed, consistency flags left set
"""


def make_crashed_swmr(golden_dir: Path, tmp_path: Path) -> Path:
    """A copy of a pymodaq SWMR file whose writer died without closing it."""
    name = "scan2d_swmr_finalized_h5py.h5"
    path = tmp_path / name
    shutil.copy(golden_dir / name, path)
    subprocess.run([sys.executable, "-c", _SWMR_WRITER, str(path)], check=True, timeout=60)
    return path
