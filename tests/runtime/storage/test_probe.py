"""The superblock probe, and a file a crashed SWMR writer left open."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from h5layout.runtime.errors import FileAccessError
from h5layout.runtime.storage.h5backend import H5Backend
from h5layout.runtime.storage.probe import probe_file

_CRASH = textwrap.dedent(
    """
    import os, sys
    import h5py, numpy as np
    f = h5py.File(sys.argv[1], "w", libver="latest")
    f.attrs["CLASS"] = "GROUP"
    f.attrs["TITLE"] = "crashed"
    ds = f.create_dataset("data", shape=(0,), maxshape=(None,), dtype="f8", chunks=(16,))
    ds.attrs["CLASS"] = "EARRAY"
    ds.attrs["TITLE"] = "d"
    f.swmr_mode = True
    ds.resize((5,))
    ds[:] = np.arange(5.0)
    ds.flush()
    f.flush()
    os._exit(0)
    """
)

_OPEN_WITH_TABLES = textwrap.dedent(
    """
    import sys
    from h5layout.runtime.errors import FileAccessError
    from h5layout.runtime.storage.h5backend import H5Backend
    try:
        H5Backend("tables").open_file(sys.argv[1], "r")
    except FileAccessError as exc:
        print("REFUSED:", exc)
    else:
        print("OPENED")
    """
)


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "crashed_swmr.h5"
    done = subprocess.run(
        [sys.executable, "-c", _CRASH, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return path


def test_probe_sees_crashed_swmr_writer(crashed: Path) -> None:
    probe = probe_file(crashed)
    assert probe.exists and probe.is_hdf5
    assert probe.superblock_version == 3
    assert probe.open_for_write
    assert probe.swmr_writer


def test_tables_refuses_crashed_swmr_file(crashed: Path) -> None:
    # In a subprocess first: if the check failed, PyTables would kill the process.
    done = subprocess.run(
        [sys.executable, "-c", _OPEN_WITH_TABLES, str(crashed)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "REFUSED:" in done.stdout
    assert "h5py" in done.stdout and "SWMR" in done.stdout
    with pytest.raises(FileAccessError) as info:
        H5Backend("tables").open_file(crashed, "r")
    message = str(info.value)
    assert "h5py" in message and "SWMR" in message and str(crashed) in message


def test_h5py_swmr_reader_reads_crashed_file(crashed: Path) -> None:
    h5 = H5Backend("h5py")
    h5.open_file(crashed, "r", swmr_mode=True)
    try:
        np.testing.assert_array_equal(h5.read("/data"), np.arange(5.0))
        assert h5.get_attr("/", "TITLE") == "crashed"
    finally:
        h5.close_file()


def test_probe_healthy_files(tmp_path: Path, golden_dir: Path) -> None:
    golden = golden_dir / "lowlevel_h5py.h5"
    probe = probe_file(golden)
    assert probe.is_hdf5 and probe.problem() is None
    assert not probe.open_for_write and not probe.truncated
    assert probe.superblock_version == 0
    h5 = H5Backend("h5py")
    h5.open_file(tmp_path / "new.h5", "w", swmr_mode=True)
    h5.close_file()
    closed = probe_file(tmp_path / "new.h5")
    assert closed.superblock_version == 3 and not closed.open_for_write
    assert closed.problem() is None


def test_probe_problems(tmp_path: Path, golden_dir: Path) -> None:
    missing = probe_file(tmp_path / "absent.h5")
    assert not missing.exists
    assert "does not exist" in (missing.problem() or "")
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    assert "empty" in (probe_file(empty).problem() or "")
    text = tmp_path / "notes.h5"
    text.write_text("just some text, not HDF5\n" * 40)
    problem = probe_file(text).problem() or ""
    assert "not an HDF5 file" in problem
    source = (golden_dir / "scan2d_h5py.h5").read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(source[: len(source) // 2])
    probe = probe_file(truncated)
    assert probe.is_hdf5 and probe.truncated
    assert "truncated" in (probe.problem() or "")
    for path in (empty, text, truncated):
        with pytest.raises(FileAccessError):
            H5Backend("h5py").open_file(path, "r")


def test_probe_finds_signature_after_user_block(tmp_path: Path) -> None:
    import h5py

    path = tmp_path / "ub.h5"
    with h5py.File(path, "w", userblock_size=512) as f:
        f.attrs["CLASS"] = "GROUP"
    probe = probe_file(path)
    assert probe.is_hdf5 and probe.base_address == 512
    assert probe.problem() is None
    data = path.read_bytes()
    cut = tmp_path / "ub_cut.h5"
    cut.write_bytes(data[:-100])
    assert probe_file(cut).truncated
