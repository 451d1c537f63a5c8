"""``h5layout repair``: stale bookkeeping fixed, crashed SWMR files opened again."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from h5layout.cli.main import main
from h5layout.runtime.check.repair import (
    RepairError,
    clear_consistency_flags,
    superblock_checksum_ok,
)
from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.codec.attrs import encode_json, read_attr
from h5layout.runtime.storage.probe import probe_file

from ..conftest import make_crashed_swmr

_HOLD = """
import sys, time
fh = open(sys.argv[1], "rb")
print("ready", flush=True)
time.sleep(60)
"""


def _stale(golden_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "enl.h5"
    shutil.copy(golden_dir / "enlargeable_h5py.h5", path)
    with h5py.File(path, "r+") as f:
        f["/RawData/Detector000/Data0D/CH00/EnlData00"].attrs["shape"] = encode_json((7, 1))
        f["/RawData/Detector000/NavAxes/Axis00"].attrs["size"] = encode_json(2)
    return path


def test_repair_fixes_stale_shape_and_size(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _stale(golden_dir, tmp_path)
    before = path.read_bytes()
    assert {c for c, _w, _s in validate_file(path).codes()} == {"stale-shape", "stale-size"}
    rc = main(["repair", str(path)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "EnlData00@shape: (7, 1) -> (10, 1)" in out
    assert "NavAxes/Axis00@size: 2 -> 10" in out
    assert Path(str(path) + ".bak").read_bytes() == before
    assert validate_file(path).findings == []
    with h5py.File(path, "r") as f:
        # Written back in the same JSON envelope pymodaq_data reads.
        assert read_attr(f["/RawData/Detector000/Data0D/CH00/EnlData00"].attrs["shape"]) == (10, 1)
        assert read_attr(f["/RawData/Detector000/NavAxes/Axis00"].attrs["size"]) == 10


def test_repair_no_backup_and_nothing_to_do(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ok.h5"
    shutil.copy(golden_dir / "timed_h5py.h5", path)
    assert main(["repair", str(path), "--no-backup"]) == 0
    assert "nothing to repair" in capsys.readouterr().out
    assert not Path(str(path) + ".bak").exists()


def test_repair_crashed_swmr_file(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_crashed_swmr(golden_dir, tmp_path)
    assert probe_file(path).swmr_writer
    rc = main(["repair", str(path)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "consistency flags 0x05 cleared" in out
    assert "/@swmr_active: True -> False" in out
    assert "/RawData/Logger@shape: (3,) -> (0,)" in out
    assert probe_file(path).consistency_flags == 0
    assert superblock_checksum_ok(path)
    with h5py.File(path, "r") as f:  # plain readers open it again
        assert f["/RawData/Scan000/Detector000/Data0D/CH00/Data00"].shape == (5, 4)
    assert validate_file(path).findings == []


def test_clear_flags_refuses_a_file_another_process_holds(golden_dir: Path, tmp_path: Path) -> None:
    path = make_crashed_swmr(golden_dir, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(RepairError, match="another process"):
            clear_consistency_flags(path)
    finally:
        holder.kill()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert probe_file(path).swmr_writer  # untouched
    assert clear_consistency_flags(path) == 0x05


def test_clear_flags_refuses_a_bad_checksum(golden_dir: Path, tmp_path: Path) -> None:
    path = make_crashed_swmr(golden_dir, tmp_path)
    data = bytearray(path.read_bytes())
    data[12] ^= 0xFF  # corrupt the base address: the checksum no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(RepairError, match="checksum"):
        clear_consistency_flags(path)


def test_repair_refuses_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.h5"
    path.write_text("text\n")
    assert main(["repair", str(path)]) == 1
    assert "not an HDF5 file" in capsys.readouterr().err
    assert main(["repair", str(tmp_path / "missing.h5")]) == 2


def test_repair_backup_never_loses_the_original(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _stale(golden_dir, tmp_path)
    original = path.read_bytes()
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours")
    Path(str(path) + ".bak").symlink_to(victim)  # planted: must not be followed
    assert main(["repair", str(path)]) == 0
    out = capsys.readouterr().out
    assert victim.read_text() == "not yours"
    first = Path(str(path) + ".bak.1")
    assert f"backup written: {first}" in out
    assert first.read_bytes() == original and not first.is_symlink()
    repaired = path.read_bytes()
    # a second run: nothing to repair, so nothing is touched and no backup is written
    assert main(["repair", str(path)]) == 0
    out = capsys.readouterr().out
    assert "nothing to repair" in out and "backup written" not in out
    assert path.read_bytes() == repaired
    assert not Path(str(path) + ".bak.2").exists()
    # stale again: the next backup takes a new name and the original's stays
    with h5py.File(path, "r+") as f:
        f["/RawData/Detector000/Data0D/CH00/EnlData00"].attrs["shape"] = encode_json((3, 1))
    stale_again = path.read_bytes()
    assert main(["repair", str(path)]) == 0
    assert f"backup written: {path}.bak.2" in capsys.readouterr().out
    assert first.read_bytes() == original
    assert Path(str(path) + ".bak.2").read_bytes() == stale_again
