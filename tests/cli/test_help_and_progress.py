"""Every command's --help has examples and exit codes; one exit-code rule; progress bars
only on a terminal; ``validate --quiet``."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.cli.main import COMMANDS, main
from h5layout.cli.progress import Bar, wanted


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_has_examples_and_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"h5layout {command}" in out
    assert "examples:" in out and "exit status" in out


def test_top_level_help_states_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "2 usage errors" in out and "missing inputs" in out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "{missing}.h5"],
        ["repair", "{missing}.h5"],
        ["inspect", "{missing}.h5"],
        ["inspect", "{missing}.yaml"],
        ["compile", "{missing}.yaml"],
        ["check", "{missing}.yaml"],
        ["docs", "{missing}.yaml"],
        ["plot", "{missing}.h5", "/RawData"],
        ["copy", "{missing}.h5", "{missing}_copy.h5"],
        ["validate"],  # no argument at all
        ["inspect", "--no-such-option", "x"],
    ],
)
def test_missing_inputs_and_usage_errors_exit_2(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "missing")
    assert main([a.format(missing=missing) for a in args]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_validate_quiet_prints_only_files_with_findings(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.h5"
    bad = tmp_path / "bad.h5"
    shutil.copy(golden_dir / "scan2d_h5py.h5", good)
    shutil.copy(golden_dir / "scan2d_h5py.h5", bad)
    with h5py.File(bad, "r+") as f:
        del f.attrs["date"]  # a required attribute
    assert main(["validate", str(tmp_path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "bad.h5" in out and "good.h5" not in out
    assert out.splitlines()[-1].startswith("2 file(s) checked, 1 valid")
    assert main(["validate", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    # files in order, each with its findings, the summary last
    assert lines[0].startswith(str(bad)) and any(x.startswith(str(good)) for x in lines)
    assert lines[-1].startswith("2 file(s) checked")


def test_bar_draws_only_when_enabled() -> None:
    stream = io.StringIO()
    off = Bar(10, "x", enabled=False, stream=stream)
    off.update(5)
    off.close()
    assert stream.getvalue() == ""
    on = Bar(4, "files", enabled=True, stream=stream)
    on.update(4)
    assert "[" + "#" * Bar.WIDTH + "] 4/4 files" in stream.getvalue()
    on.close()
    assert stream.getvalue().endswith("\r")
    sizes = io.StringIO()
    Bar(2_000_000, "f.h5", unit="bytes", stream=sizes).update(2_000_000)
    assert "2.0 MB/2.0 MB f.h5" in sizes.getvalue()
    assert wanted(False, io.StringIO()) is False  # not a terminal
    assert wanted(True, sys.stderr) is False


def test_copy_shows_progress_on_a_terminal(
    golden_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    src = str(golden_dir / "scan2d_h5py.h5")
    assert main(["copy", src, str(tmp_path / "a.h5")]) == 0
    err = capsys.readouterr().err
    assert "\r[" in err and "kB a.h5" in err
    assert main(["copy", src, str(tmp_path / "b.h5"), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


def test_repair_shows_the_backup_growing_on_a_terminal(
    golden_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from h5layout.cli import repair as cmd

    path = tmp_path / "big.h5"
    shutil.copy(golden_dir / "enlargeable_h5py.h5", path)
    with h5py.File(path, "a") as f:  # big enough to take a few polls to back up
        f.create_dataset("RawData/filler", data=np.zeros(20_000_000, dtype=np.uint8))
        # stale bookkeeping, as a writer killed before its flush leaves it
        stale = '{"module": "builtins", "type": "tuple", "data": "(3, 1)"}'
        f["RawData/Detector000/Data0D/CH00/EnlData00"].attrs["shape"] = stale
    monkeypatch.setattr(cmd, "PROGRESS_FROM_BYTES", 0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["repair", str(path)]) == 0
    captured = capsys.readouterr()
    assert "backup written" in captured.out
    assert "\r[" in captured.err and "MB" in captured.err
    assert (tmp_path / "big.h5.bak").stat().st_size == path.stat().st_size
    assert main(["repair", str(path), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "nothing to repair" in captured.out
    assert not (tmp_path / "big.h5.bak.1").exists()  # nothing to fix: no second backup


def test_repair_exit_codes(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "f.h5"
    shutil.copy(golden_dir / "scan2d_h5py.h5", path)
    assert main(["repair", str(path), "--layout", "no_such_layout", "--no-backup"]) == 2
    assert "no_such_layout" in capsys.readouterr().err
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(path.read_bytes()[:3000])
    assert main(["repair", str(damaged), "--no-backup"]) == 1  # the input's problem
    assert "Traceback" not in capsys.readouterr().err
