"""Bookkeeping read through the API is true at every moment of a writing session.

The enlargeable savers write ``shape``/``size`` to the file at flush and close only; what
``node.attrs``, ``get_attr``, ``node.shape``, ``read()``, ``walk_nodes`` and the loaders
report must nevertheless follow every ``add_data``, as pymodaq_data's do (it writes them
at each call). Each scenario runs on pymodaq_data and on h5layout, compared step by step.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import h5layout.pymodaq as hp

pytest.importorskip("pymodaq_data")


def pymodaq_api() -> SimpleNamespace:
    from pymodaq_data import data
    from pymodaq_data.h5modules import data_saving, saving

    return SimpleNamespace(
        H5SaverLowLevel=saving.H5SaverLowLevel, DataLoader=data_saving.DataLoader,
        DataEnlargeableSaver=data_saving.DataEnlargeableSaver,
        DataToExportEnlargeableSaver=data_saving.DataToExportEnlargeableSaver,
        DataToExportTimedSaver=data_saving.DataToExportTimedSaver,
        DataRaw=data.DataRaw, DataToExport=data.DataToExport, Axis=data.Axis,
    )  # fmt: skip


APIS: dict[str, Callable[[], Any]] = {"pymodaq_data": pymodaq_api, "h5layout": lambda: hp}


def snapshot(api: Any, h5: Any) -> list[tuple[Any, ...]]:
    """What the API says of every enlargeable array: shape attribute (node and get_attr),
    size attribute of axes, rows read, rows loaded (and h5layout's ``node.shape``)."""
    out = []
    for node in h5.walk_nodes("/"):
        if node.attrs.get("CLASS") != "EARRAY":
            continue
        loaded = None
        if node.attrs.get("data_type") == "data_enlargeable":
            loaded = api.DataLoader(h5).load_data(node).shape
        out.append((
            node.attrs["shape"], tuple(h5.get_attr(node, "shape")),
            node.attrs.get("size"), np.asarray(node.read()).shape[0], loaded,
        ))  # fmt: skip
        if isinstance(node, hp.EARRAY):
            assert node.shape == node.attrs["shape"]
    return sorted(out, key=repr)


def run(api: Any, path: Path, backend: str, kind: str) -> list[Any]:
    h5 = api.H5SaverLowLevel(save_type="detector", backend=backend)
    h5.init_file(path, new_file=True)
    det = h5.add_det_group(h5.raw_group, "det")
    if kind == "enlargeable":
        saver = api.DataEnlargeableSaver(h5, enl_axis_names=("time",), enl_axis_units=("s",))
    elif kind == "dte_enlargeable":
        saver = api.DataToExportEnlargeableSaver(h5, enl_axis_names=("time",),
                                                 enl_axis_units=("s",))  # fmt: skip
    else:
        saver = api.DataToExportTimedSaver(h5)
    steps = []
    for i in range(3):
        spec = api.DataRaw("spec", data=[np.arange(4.0) + i], units="V")
        if kind == "enlargeable":
            where = h5.get_set_group(det, "Data1D")
            saver.add_data(where, spec, axis_values=[float(i)])
        elif kind == "dte_enlargeable":
            saver.add_data(det, api.DataToExport("d", data=[spec]), axis_values=[float(i)])
        else:
            saver.add_data(det, api.DataToExport("d", data=[spec]))
        steps.append(snapshot(api, h5))
    h5.close_file()
    return steps


@pytest.mark.parametrize("kind", ["enlargeable", "dte_enlargeable", "timed"])
@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_bookkeeping_follows_every_add_data(tmp_path: Path, backend: str, kind: str) -> None:
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, api in APIS.items():
            results[name] = run(api(), tmp_path / f"{name}.h5", backend, kind)
    ours, theirs = results["h5layout"], results["pymodaq_data"]
    if kind == "enlargeable":
        # pymodaq_data's DataEnlargeableSaver counts the enlargeable axis' size two rows
        # ahead (3, 4, 5 for 1, 2, 3 rows); h5layout writes the rows (README, differences).
        assert [step[1][2] for step in theirs] == [3, 4, 5]
        theirs = [[s[0], (*s[1][:2], s[1][3], *s[1][3:])] for s in theirs]
    assert ours == theirs
    assert [step[0][0][0] for step in ours] == [1, 2, 3]  # the shape grows, call by call


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_the_file_itself_is_written_at_flush(tmp_path: Path, backend: str) -> None:
    """Deferred on disk, true in the API; the registry empties when the file closes."""
    from h5layout.runtime.storage.growing import PENDING

    h5 = hp.H5SaverLowLevel(save_type="detector", backend=backend)
    h5.init_file(tmp_path / "a.h5", new_file=True)
    group = h5.get_set_group(h5.add_det_group(h5.raw_group, "det"), "Data1D")
    saver = hp.DataEnlargeableSaver(h5)
    saver.add_data(group, hp.DataRaw("spec", data=[np.arange(4.0)]))
    saver.add_data(group, hp.DataRaw("spec", data=[np.arange(4.0)]))
    node = h5.get_node(group, "EnlData00")
    assert node.attrs["shape"] == (2, 4) and node.shape == (2, 4) and len(node) == 2
    assert node.attrs.raw("shape") != node.attrs["shape"]  # still (0, 4) in the file
    assert node[-1].tolist() == [0.0, 1.0, 2.0, 3.0] and node[:].shape == (2, 4)
    h5.flush()
    assert "(2, 4)" in str(node.attrs.raw("shape")) or "[2, 4]" in str(node.attrs.raw("shape"))
    h5.close_file()
    assert not PENDING


def test_live_during_swmr_writing(tmp_path: Path) -> None:
    """While SWMR writing leaves the attributes to finalize_swmr, the API is still live."""
    h5 = hp.H5SaverLowLevel(save_type="detector", backend="h5py")
    h5.init_file(tmp_path / "swmr.h5", new_file=True, swmr_mode=True)
    det = h5.add_det_group(h5.raw_group, "det")
    saver = hp.DataToExportTimedSaver(h5)
    point = hp.DataToExport("d", data=[hp.DataRaw("v", data=[np.array([1.0])])])
    saver.add_data(det, point)
    h5.enable_swmr()
    for _ in range(3):
        saver.add_data(det, point)
    node = h5.get_node("/RawData/Detector000/Data0D/CH00/EnlData00")
    time_axis = h5.get_node("/RawData/Detector000/NavAxes/Axis00")
    assert node.attrs["shape"] == (4, 1) and time_axis.attrs["size"] == 4
    assert hp.DataLoader(h5, data_model="h5layout").load_data(node).shape == (4,)
    h5.finalize_swmr()
    with hp.DataLoader(tmp_path / "swmr.h5", data_model="h5layout") as loader:
        assert loader.get_node(node.path).attrs["shape"] == (4, 1)
