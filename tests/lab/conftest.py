"""Helpers of the custom-layout tests: the lab layout of issue 14 and files written with it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import h5layout

FLIM_YAML = Path(__file__).resolve().parent / "flim_map.yaml"

#: what the lab layout requires on scans and detectors
SCAN_ATTRS: dict[str, Any] = {
    "sample_id": "S0042",
    "operator": "ana",
    "temperature": 4.2,
    "laser_line": "488",
}
DET_ATTRS: dict[str, Any] = {"serial": "CAM-7"}


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh compile cache: this test's own 'machine'."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("H5LAYOUT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def flim_yaml(tmp_path: Path) -> Path:
    """A copy of the lab layout in a folder of its own."""
    folder = tmp_path / "layouts"
    folder.mkdir()
    return Path(shutil.copy(FLIM_YAML, folder / "flim_map.yaml"))


@pytest.fixture
def flim(flim_yaml: Path, cache: Path) -> ModuleType:
    """The lab layout, compiled by load_layout into the test's cache."""
    return h5layout.load_layout(flim_yaml)


def write_flim_file(module: ModuleType, path: Path) -> Path:
    """A small file written with a compiled lab layout's low-level savers."""
    h5 = module.H5SaverLowLevel(save_type="scan")
    h5.init_file(path, new_file=True)
    scan = h5.add_scan_group(title="map", **SCAN_ATTRS)
    det = h5.add_det_group(scan, title="cam", serial="CAM-7")
    saver = module.DataToExportSaver(h5)
    data = module.DataRaw("img", data=[np.arange(6, dtype=np.uint16).reshape(2, 3)])
    saver.add_data(det, module.DataToExport("pt", data=[data]))
    h5.close_file()
    return path


@pytest.fixture
def flim_file(flim: ModuleType, tmp_path: Path) -> Iterator[Path]:
    """A file written by the compiled lab layout."""
    yield write_flim_file(flim, tmp_path / "run1.h5")
