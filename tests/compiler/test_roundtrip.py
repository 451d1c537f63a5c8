"""Every committed generated module saves and loads back, on h5py and PyTables."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from h5layout.compiler.regen import targets
from h5layout.runtime.errors import DataValueError, MissingAttributeError
from tests.compiler.conftest import import_file

BACKENDS = ("h5py", "tables")
MODULES = {Path(path).stem: path for _source, path in targets()}

#: keyword arguments the layouts require, per group method
SCAN_KW: dict[str, dict[str, Any]] = {
    "raman_map": {"sample_id": "S0042", "operator": "ana", "temperature": 4.2},
    "lab_scan": {
        "sample_id": "S0001",
        "repeats": 2,
        "cooled": True,
        "positions": [1, 2],
        "mode": "fast",
        "id_": "run-a",
    },
}
DET_KW: dict[str, dict[str, Any]] = {
    "lab_scan": {"serial": "SN-7"},
    "camera_logger": {"exposure": 10.0},
}
SCAN_NAMES = {"raman_map": "Map000", "lab_scan": "Run0000", "tiny_log": "Take00"}


@pytest.fixture(scope="module", params=sorted(MODULES))
def module(request: pytest.FixtureRequest) -> ModuleType:
    return import_file(MODULES[request.param])


def make_dte(mod: ModuleType, offset: float = 0.0) -> Any:
    x = mod.Axis("x", "mm", data=np.linspace(0.0, 1.0, 5), index=0)
    spectrum = mod.DataRaw(
        "spectrum", data=[np.arange(5, dtype=np.float32) + np.float32(offset)], axes=[x]
    )
    point = mod.DataRaw("point", data=[np.array([1.5 + offset], dtype=np.float32)])
    return mod.DataToExport("dte", data=[spectrum, point])


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("backend", BACKENDS)
def test_save_load_round_trip(module: ModuleType, backend: str, tmp_path: Path) -> None:
    layout = module.LAYOUT["layout"]
    path = tmp_path / f"{layout}_{backend}.h5"
    h5 = module.H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    scan = h5.add_scan_group(**SCAN_KW.get(layout, {}))
    det = h5.add_det_group(scan, "det", **DET_KW.get(layout, {}))
    module.DataToExportSaver(h5).add_data(det, make_dte(module))
    # a scan of three points through the extended saver
    det2 = h5.add_det_group(scan, "det2", **DET_KW.get(layout, {}))
    ext = module.DataToExportExtendedSaver(h5, (3,))
    ext.add_nav_axes(scan, [module.Axis("pos", "mm", data=np.arange(3.0), index=0)])
    for i in range(3):
        ext.add_data(det2, make_dte(module, offset=10.0 * i), (i,))
    scan_path, det_path, det2_path = scan.path, det.path, det2.path
    h5.close_file()

    if layout in SCAN_NAMES:
        assert scan_path == f"/RawData/{SCAN_NAMES[layout]}"
    loader = module.DataLoader(path, backend=backend)
    try:
        got = loader.load_data(f"{det_path}/Data1D/CH00/Data00")
        np.testing.assert_array_equal(got.data[0], np.arange(5, dtype=np.float32))
        assert got.name == "spectrum"
        np.testing.assert_allclose(got.axes[0].get_data(), np.linspace(0.0, 1.0, 5))
        point = loader.load_data(f"{det_path}/Data0D/CH00/Data00")
        np.testing.assert_array_equal(point.data[0], np.array([1.5], dtype=np.float32))
        scanned = loader.load_data(f"{det2_path}/Data1D/CH00/Data00")
        expected = np.stack([np.arange(5, dtype=np.float32) + 10.0 * i for i in range(3)])
        np.testing.assert_array_equal(np.squeeze(np.asarray(scanned.data[0])), expected)
        scan_attrs = loader.get_node(scan_path).attrs
        for key, value in SCAN_KW.get(layout, {}).items():
            attr = key.rstrip("_")
            stored = scan_attrs[attr]
            assert (list(stored) if isinstance(stored, tuple) else stored) == value
    finally:
        loader.close_file()


def test_raman_map_scan_is_map000_with_its_attributes(tmp_path: Path) -> None:
    mod = import_file(MODULES["raman_map"])
    path = tmp_path / "map.h5"
    with mod.DataToExportExtendedSaver(path, (2,)) as ext:
        h5 = ext.h5saver
        scan = h5.add_scan_group(sample_id="S0042", operator="ana", temperature=4.2)
        assert scan.name == "Map000"
        assert h5.add_scan_group(sample_id="S0043", operator="bo", temperature=5).name == "Map001"
        det = h5.add_det_group(scan, "cam")
        for i in range(2):
            ext.add_data(det, make_dte(mod, offset=i), (i,))
    with mod.DataLoader(path) as loader:
        attrs = loader.get_node("/RawData/Map000").attrs
        assert (attrs["sample_id"], attrs["operator"], attrs["temperature"]) == (
            "S0042",
            "ana",
            4.2,
        )
        data = loader.load_data("/RawData/Map000/Detector000/Data0D/CH00/Data00")
        np.testing.assert_array_equal(
            np.ravel(data.data[0]), np.array([1.5, 2.5], dtype=np.float32)
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_required_attribute_leaves_file_unchanged(backend: str, tmp_path: Path) -> None:
    mod = import_file(MODULES["lab_scan"])
    path = tmp_path / "lab.h5"
    h5 = mod.H5SaverLowLevel(backend=backend)
    h5.init_file(path, new_file=True)
    h5.flush()
    before = md5(path)
    kwargs = dict(SCAN_KW["lab_scan"])
    del kwargs["sample_id"]
    with pytest.raises(TypeError, match="sample_id"):
        h5.add_scan_group(**kwargs)  # the signature itself refuses the call
    with pytest.raises(MissingAttributeError, match=r"sample_id: missing required attribute"):
        # a caller bypassing the typed signature still meets the runtime check
        mod._rt.H5SaverLowLevel.add_scan_group(h5, metadata=kwargs)
    with pytest.raises(DataValueError, match="sample_id"):
        h5.add_scan_group(**{**SCAN_KW["lab_scan"], "sample_id": "not-a-sample"})
    with pytest.raises(DataValueError, match="repeats"):
        h5.add_scan_group(**{**SCAN_KW["lab_scan"], "repeats": "two"})
    h5.flush()
    assert md5(path) == before
    assert h5.get_children(h5.raw_group).keys() == {"Logger"}
    h5.close_file()
