"""The shipped exporters take data too: pymodaq_data's DataWithAxes as well as h5layout's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import h5layout.pymodaq as hp

pd = pytest.importorskip("pymodaq_data.data")


def _spectra(kind: str) -> object:
    data = [np.arange(5.0), np.arange(5.0) * 2]
    axis = np.linspace(0.0, 1.0, 5)
    if kind == "pymodaq":
        return pd.DataRaw("spec", data=data, axes=[pd.Axis("w", "nm", data=axis, index=0)])
    return hp.DataRaw("spec", data=data, axes=[hp.Axis("w", "nm", data=axis, index=0)])


@pytest.mark.parametrize("kind", ["pymodaq", "h5layout"])
def test_text_numpy_ascii_exporters_take_data(tmp_path: Path, kind: str) -> None:
    dwa = _spectra(kind)
    expected = np.stack([np.arange(5.0), np.arange(5.0) * 2])
    hp.ExporterFactory.create_exporter("txt", "Text files").export_data(dwa, tmp_path / "a.txt")
    assert np.allclose(np.loadtxt(tmp_path / "a.txt"), expected)
    hp.H5npyExporter().export_data(dwa, tmp_path / "a.npy")
    assert np.array_equal(np.load(tmp_path / "a.npy"), expected)
    hp.H5asciiExporter().export_data(dwa, tmp_path / "a.ascii")
    assert np.allclose(np.loadtxt(tmp_path / "a.ascii"), expected.T)


@pytest.mark.parametrize("kind", ["pymodaq", "h5layout"])
def test_h5_exporter_saves_data_that_loads_back(tmp_path: Path, kind: str) -> None:
    hp.H5h5Exporter().export_data(_spectra(kind), tmp_path / "a.h5")
    with hp.DataLoader(tmp_path / "a.h5", data_model="pymodaq") as loader:
        back = loader.load_data("/RawData/Detector000/Data1D/CH00/Data00", load_all=True)
    assert back.length == 2 and np.array_equal(back.data[1], np.arange(5.0) * 2)
    assert back.axes[0] == pd.Axis("w", "nm", data=np.linspace(0.0, 1.0, 5), index=0)


def test_anything_else_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(hp.InvalidExport, match="expected a node or a DataWithAxes"):
        hp.H5txtExporter().export_data(42, tmp_path / "a.txt")  # type: ignore[arg-type]
    assert not (tmp_path / "a.txt").exists()
