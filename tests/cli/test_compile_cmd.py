"""``h5layout compile`` and ``h5layout inspect``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from h5layout.cli.main import main
from h5layout.compiler import compile_layout

LAB = Path(__file__).resolve().parents[1] / "compiler" / "layouts" / "lab_scan.yaml"


def test_compile_prints_the_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", "raman_map"]) == 0
    assert capsys.readouterr().out == compile_layout("raman_map")


def test_compile_writes_only_when_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lab.py"
    assert main(["compile", str(LAB), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == compile_layout(str(LAB))
    assert "wrote" in capsys.readouterr().out
    mtime = out.stat().st_mtime_ns
    assert main(["compile", str(LAB), "-o", str(out)]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert out.stat().st_mtime_ns == mtime


def test_check_passes_when_current_and_fails_with_a_diff_when_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lab.py"
    assert main(["compile", str(LAB), "-o", str(out), "--check"]) == 1  # missing
    assert not out.exists()
    capsys.readouterr()
    main(["compile", str(LAB), "-o", str(out)])
    capsys.readouterr()
    assert main(["compile", str(LAB), "-o", str(out), "--check"]) == 0
    assert "is current" in capsys.readouterr().out
    out.write_text(out.read_text(encoding="utf-8").replace("Run{index:04d}", "Old"), "utf-8")
    before = out.read_text(encoding="utf-8")
    assert main(["compile", str(LAB), "-o", str(out), "--check"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("---") and "-" in captured.out and "+" in captured.out
    assert "Run{index:04d}" in captured.out and "stale" in captured.err
    assert out.read_text(encoding="utf-8") == before  # --check writes nothing


def test_committed_pymodaq_module_is_current() -> None:
    pymodaq = Path(__file__).resolve().parents[2] / "h5layout" / "pymodaq.py"
    assert main(["compile", "pymodaq", "-o", str(pymodaq), "--check"]) == 0


def test_bad_layout_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("layout: bad\nversion: '1'\nextends: pymodaq\ngroups: {scan: {nme: x}}\n")
    assert main(["compile", str(bad), "-o", str(tmp_path / "bad.py")]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:4:" in err and "nme" in err
    assert not (tmp_path / "bad.py").exists()
    assert main(["compile", str(LAB), "--check"]) == 2


def test_inspect_layout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "raman_map"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("layout raman_map 1.0")
    scan = out.split("\nscan: group role=scan name=Map{index:03d}", 1)[1].split("\n\n")[0]
    for name in ("sample_id", "operator", "temperature"):
        line = next(x for x in scan.splitlines() if x.startswith(f"  @{name}: "))
        assert ", required" in line


def test_inspect_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import h5layout.pymodaq as pm

    path = tmp_path / "f.h5"
    with pm.DataToExportSaver(path) as saver:
        det = saver.h5saver.add_det_group(saver.h5saver.raw_group, "det")
        dwa = pm.DataRaw("sig", data=[np.arange(3.0)])
        saver.add_data(det, pm.DataToExport("d", data=[dwa]))
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("(h5py) — layout pymodaq 5.3.0")
    assert out[1] == "/ [root] 'PyMoDAQ file'"
    assert out[2].startswith("  RawData [raw] 'Data from PyMoDAQ modules'")
    # depth first: the channel group, then its array one level deeper
    i = next(i for i, line in enumerate(out) if line.strip().startswith("CH00 [channel] 'sig'"))
    assert out[i + 1].strip().startswith("Data00 [data] CARRAY float64 (3,) data_dimension=")
    assert len(out[i + 1]) - len(out[i + 1].lstrip()) == len(out[i]) - len(out[i].lstrip()) + 2


def test_inspect_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a missing file is a usage error (exit 2), as for every other command
    assert main(["inspect", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml" in err and ":0:0:" not in err
    assert main(["compile", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "no such layout file" in err and ":0:0:" not in err
    assert main(["compile", "no_such_layout_name"]) == 2


def test_compile_without_output_writes_next_to_the_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = tmp_path / "lab.yaml"
    layout.write_text(LAB.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["compile", str(layout)]) == 0
    name = compile_layout(str(LAB)).split("from the layout ", 1)[1].split()[0]
    out = tmp_path / f"{name}.py"
    assert out.read_text(encoding="utf-8") == compile_layout(str(layout))
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    assert main(["compile", str(layout), "-o", "-"]) == 0
    assert capsys.readouterr().out == out.read_text(encoding="utf-8")
