"""Plots of data nodes: real PNGs of the expected size, with something drawn on them."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from h5layout.cli.main import main
from h5layout.pymodaq import DataLoader
from h5layout.runtime.model.data import Axis, DataRaw  # h5layout's own model (.plot)
from h5layout.runtime.model.plot import plot_dwa

from .conftest import write_map_scan

mpl_image = pytest.importorskip("matplotlib.image")
BACKENDS = ("h5py", "tables")


def check_png(path: Path, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """The PNG's pixels, after checking its signature and size and that it is not blank."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    assert struct.unpack(">II", raw[16:24]) == size
    pixels = np.asarray(mpl_image.imread(path))
    assert pixels.shape[:2] == (size[1], size[0])
    rgb = pixels[..., :3].reshape(-1, 3)
    assert (rgb < 0.9).any(axis=1).mean() > 0.01  # more than a white page
    assert len(np.unique(np.round(rgb, 2), axis=0)) > 20  # data colours, not one fill
    return pixels


@pytest.mark.parametrize("name", ["dte_basic_h5py.h5", "dte_basic_tables.h5"])
@pytest.mark.parametrize("dim", ["Data0D", "Data1D", "Data2D", "DataND"])
def test_golden_nodes_plot_from_the_command_line(
    golden_dir: Path, name: str, dim: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"{dim}.png"
    node = f"/RawData/Detector000/{dim}/CH00/Data00"
    assert main(["plot", str(golden_dir / name), node, "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    check_png(out)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("spread", [False, True])
def test_scan_navigation_map(backend: str, spread: bool, tmp_path: Path) -> None:
    path = tmp_path / f"scan_{backend}.h5"
    write_map_scan(path, backend, spread=spread)
    with DataLoader(path, backend=backend) as loader:
        dwa = loader.load_data("/RawData/Scan000/Detector000/Data1D/CH00/Data00")
    out = tmp_path / "map.png"
    # plot_dwa: the loader may return pymodaq_data's objects, whose own .plot needs Qt
    fig = plot_dwa(dwa, out, figsize=(5.0, 4.0), dpi=80)
    check_png(out, (400, 320))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x (mm)" and ax.get_ylabel() == "y (um)"
    assert "navigation map" in fig.get_suptitle()
    if spread:  # scattered points at the scan's coordinates, coloured by the summed signal
        offsets = ax.collections[0].get_offsets()
        np.testing.assert_array_equal(np.asarray(offsets)[:, 0], [0.0, 1.0, 0.5, 3.0])
        sums = ax.collections[0].get_array()
        np.testing.assert_allclose(sums, [10.0 + 50 * k for k in range(4)])
    assert fig.axes[-1].get_ylabel() == "Σ signal (counts)"  # the colour bar


def test_1d_plot_uses_the_axis_and_its_units(tmp_path: Path) -> None:
    dwa = DataRaw(
        "spec",
        data=[np.sin(np.linspace(0, 6, 50)), np.cos(np.linspace(0, 6, 50))],
        labels=["a", "b"],
        units="V",
        axes=[Axis("t", "s", data=np.linspace(0, 6, 50), index=0)],
    )
    fig = dwa.plot(tmp_path / "l.png")
    check_png(tmp_path / "l.png")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("t (s)", "signal (V)")
    np.testing.assert_allclose(ax.lines[0].get_xdata(), np.linspace(0, 6, 50))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_errors_are_messages(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    golden = str(golden_dir / "dte_basic_h5py.h5")
    assert main(["plot", str(tmp_path / "none.h5"), "/x"]) == 2
    assert main(["plot", golden, "/RawData/Detector000", "-o", str(tmp_path / "g.png")]) == 1
    assert "not a data array" in capsys.readouterr().err
    assert main(["plot", golden, "/RawData/Nope", "-o", str(tmp_path / "n.png")]) == 1
    assert "Nope" in capsys.readouterr().err
    import builtins

    real_import = builtins.__import__

    def no_mpl(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    node = "/RawData/Detector000/Data1D/CH00/Data00"
    assert main(["plot", golden, node, "-o", str(tmp_path / "m.png")]) == 1
    assert "pip install 'h5layout[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "m.png").exists()
