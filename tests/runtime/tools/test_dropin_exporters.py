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


@pytest.mark.parametrize("backend", ["h5py", "tables"])
@pytest.mark.parametrize(
    ("ext", "description"), [("txt", "Text files"), ("ascii", "Ascii flimj file")]
)
def test_a_group_exports_as_columns_like_pymodaq(
    tmp_path: Path, backend: str, ext: str, description: str
) -> None:
    from pymodaq_data.h5modules.backends import H5Backend as PmBackend
    from pymodaq_data.h5modules.exporter import ExporterFactory as PmFactory

    h5 = hp.H5Backend(backend)
    h5.open_file(tmp_path / "a.h5", "w")
    group = h5.get_set_group("/", "G")
    h5.create_carray(group, "A", np.linspace(0.0, 1.0, 4))
    h5.create_carray(group, "B", np.arange(4, dtype=np.int64))
    h5.create_carray(group, "M", np.zeros((2, 2)))  # not 1D: left out, as pymodaq does
    h5.close_file()
    h5.open_file(tmp_path / "a.h5", "r")
    ours = tmp_path / f"ours.{ext}"
    hp.ExporterFactory.create_exporter(ext, description).export_data(h5.get_node("/G"), ours)
    h5.close_file()
    pm = PmBackend(backend)
    pm.open_file(str(tmp_path / "a.h5"), "r")
    theirs = tmp_path / f"theirs.{ext}"
    PmFactory.create_exporter(ext, description).export_data(pm.get_node("/G"), str(theirs))
    pm.close_file()
    assert ours.read_text() == theirs.read_text()


def test_columns_of_different_lengths_are_refused(tmp_path: Path) -> None:
    h5 = hp.H5Backend("h5py")
    h5.open_file(tmp_path / "a.h5", "w")
    group = h5.get_set_group("/", "G")
    h5.create_carray(group, "A", np.arange(4.0))
    h5.create_carray(group, "B", np.arange(3.0))
    with pytest.raises(hp.InvalidExport, match="different lengths"):
        hp.H5txtExporter().export_data(group, tmp_path / "a.txt")
    h5.close_file()
