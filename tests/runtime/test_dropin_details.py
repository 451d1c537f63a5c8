"""Drop-in details: node re-wrapping, root attributes of new files, group types."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import h5layout.pymodaq as hp
from h5layout.runtime.storage import h5backend

BACKENDS = ["h5py", "tables"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_node_of_a_node_unwraps(tmp_path: Path, backend: str) -> None:
    h5 = hp.H5Backend(backend)
    h5.open_file(tmp_path / "a.h5", "w")
    group = h5.get_set_group("/", "G")
    twice = hp.Node(hp.Node(group))
    assert twice.node is group.node and twice.backend == backend
    assert hp.Node(hp.Node(hp.Node(group))).node is group.node
    assert twice.path == "/G" and twice.attrs["TITLE"] == group.attrs["TITLE"]
    assert hp.GROUP(group).children_name() == group.children_name()
    h5.close_file()


@pytest.mark.parametrize("backend", BACKENDS)
def test_open_file_w_writes_pymodaq_versions_on_the_root(tmp_path: Path, backend: str) -> None:
    h5 = hp.H5Backend(backend)
    h5.open_file(tmp_path / "a.h5", "w", "my title")
    root = h5.root()
    version = root.attrs["pymodaq_version"]
    assert int(version.split(".")[0]) >= 4
    assert root.attrs["pymodaq_data_version"]
    assert root.attrs["TITLE"] == "my title"
    h5.close_file()
    # the same attribute names as pymodaq_data's own open_file
    pm_backends = pytest.importorskip("pymodaq_data.h5modules.backends")
    pm = pm_backends.H5Backend(backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm.open_file(str(tmp_path / "b.h5"), "w", "my title")
        theirs = set(pm.root().attrs.attrs_name)
        pm.close_file()
    h5.open_file(tmp_path / "a.h5", "r")
    assert set(h5.root().attrs.attrs_name) >= theirs  # h5layout adds CLASS in h5py files
    h5.close_file()


def test_pymodaq_version_is_never_below_4(monkeypatch: pytest.MonkeyPatch) -> None:
    for installed, written in [("3.6.2", "5.0.0"), ("5.1.0", "5.1.0"), ("dev", "5.0.0")]:
        monkeypatch.setattr(h5backend, "installed_version", lambda d, f, v=installed: v)
        assert h5backend.pymodaq_version() == written


def _children(h5: Any, where: str) -> list[str]:
    return sorted(h5.get_children(where))


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_group_types_are_refused_at_every_level(tmp_path: Path, backend: str) -> None:
    h5 = hp.H5SaverLowLevel(backend=backend)
    h5.init_file(tmp_path / "a.h5", new_file=True)
    raw = h5.raw_group.path
    before = _children(h5, raw)
    calls = [
        lambda: hp.H5Backend.add_group(h5, "x", "foo", raw),
        lambda: h5.add_group("x", "foo", raw),
        lambda: h5.add_incremental_group("foo", raw),
        lambda: h5.add_generic_group(raw, group_type="samples"),
        lambda: h5.add_group("x", 12, raw),
    ]
    for call in calls:
        with pytest.raises(hp.InvalidGroupType, match="unknown group type") as info:
            call()
        assert isinstance(info.value, ValueError)
    assert _children(h5, raw) == before  # nothing written
    # every known type, however named, still works
    pm_enums = pytest.importorskip("pymodaq_data.h5modules.backends")
    assert h5.add_group("a", "Detector", raw).attrs["type"] == "detector"
    assert h5.add_group("b", hp.GroupType.actuator, raw).attrs["type"] == "actuator"
    assert h5.add_incremental_group(pm_enums.GroupType.scan, raw).attrs["type"] == "scan"
    h5.close_file()


@pytest.mark.parametrize("backend", BACKENDS)
def test_plain_h5backend_refuses_too(tmp_path: Path, backend: str) -> None:
    h5 = hp.H5Backend(backend)
    h5.open_file(tmp_path / "a.h5", "w")
    with pytest.raises(hp.InvalidGroupType):
        h5.add_group("x", "nonsense", "/")
    assert _children(h5, "/") == []
    h5.close_file()


@pytest.mark.parametrize("backend", BACKENDS)
def test_files_with_foreign_group_types_still_read(tmp_path: Path, backend: str) -> None:
    """pymodaq_data writes any type it is given; h5layout reads such files."""
    saving = pytest.importorskip("pymodaq_data.h5modules.saving")
    data_saving = pytest.importorskip("pymodaq_data.h5modules.data_saving")
    from pymodaq_data.data import DataRaw

    path = tmp_path / "foreign.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = saving.H5SaverLowLevel(backend=backend)
        pm.init_file(path, new_file=True)
        group = pm.add_incremental_group("sample", pm.raw_group)
        data_saving.DataSaverLoader(pm).add_data(
            pm.get_set_group(group, "Data1D"), DataRaw("d", data=[np.arange(3.0)])
        )
        pm.close_file()
    with hp.DataLoader(path, backend=backend, data_model="h5layout") as loader:
        names = [node.path for node in loader.walk_nodes("/")]
        assert "/RawData/Sample000" in names
        assert [g.name for g in loader.h5saver.get_groups("/RawData", "sample")] == ["Sample000"]
        dwa = loader.load_data("/RawData/Sample000/Data1D/Data00")
        assert dwa.data[0].tolist() == [0.0, 1.0, 2.0]
