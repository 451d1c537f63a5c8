"""SWMR: a scan read while another process writes it; reading helpers; finalisation."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.runtime.codec.attrs import read_attr
from h5layout.runtime.errors import FileAccessError
from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import DataRaw, DataToExport
from h5layout.runtime.save.dte import DataToExportEnlargeableSaver
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel
from h5layout.runtime.storage.swmr import (
    collect_datasets,
    is_file_swmr_active,
    open_h5_file_for_reading,
    refresh_cached,
    refresh_datasets,
)

N_POINTS = 40
SIGNAL = 257  # points of the 1D channel: big enough for a torn write to show
DATA_1D = "/RawData/Scan000/Detector000/Data1D/CH00/Data00"
DATA_0D = "/RawData/Scan000/Detector000/Data0D/CH00/Data00"

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np
    from h5layout.runtime.model.data import Axis, DataRaw, DataToExport
    from h5layout.runtime.save.dte import DataToExportExtendedSaver
    from h5layout.runtime.storage.lowlevel import H5SaverLowLevel

    path, n, size, delay = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    h5 = H5SaverLowLevel(save_type="scan", backend="h5py")
    h5.init_file(path, new_file=True, swmr_mode=True)
    h5.set_swmr_flush_interval(1)
    scan = h5.add_scan_group()
    saver = DataToExportExtendedSaver(h5, (n,))
    saver.add_nav_axes(scan, [Axis("x", "mm", data=np.arange(float(n)), index=0)])
    det = h5.add_det_group(scan)
    for k in range(n):
        dte = DataToExport("d", [
            DataRaw("spec", data=[np.full(size, float(k))], units="V"),
            DataRaw("power", data=[np.array([float(k)])]),
        ])
        saver.add_data(det, dte, (k,))
        if k == 0:
            assert h5.is_swmr_active()
            print("SWMR", flush=True)
            sys.stdin.readline()  # wait until the reader has opened the file
        time.sleep(delay)
    print("WRITTEN", flush=True)
    sys.stdin.readline()  # hold the file open until the reader says so
    h5.finalize_swmr()
    print("DONE", flush=True)
    """
)


def _start_writer(path: Path, n: int, delay: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(n), str(SIGNAL), str(delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _written_points(rows: np.ndarray) -> int:
    """Number of points written; fails on a torn point or a gap."""
    count = 0
    for k, row in enumerate(rows):
        row = np.atleast_1d(row)
        if np.isnan(row).all():
            continue
        # never a torn point: all of it is the point number
        assert np.all(row == float(k)), f"torn or wrong point {k}: {np.unique(row)}"
        assert count == k, f"point {k} written before point {count}"
        count += 1
    return count


def test_reader_follows_a_writer_in_another_process(tmp_path: Path) -> None:
    path = tmp_path / "live.h5"
    proc = _start_writer(path, N_POINTS, 0.01)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline().strip()
        assert line == "SWMR", proc.stderr.read() if proc.stderr else line
        # the plain HDF5 open fails on a live SWMR writer; 'auto' must still open it
        with pytest.raises(OSError):
            h5py.File(path, "r")
        assert is_file_swmr_active(path)
        f, is_swmr = open_h5_file_for_reading(path, "auto")
        try:
            assert is_swmr
            paths = collect_datasets(f)
            assert {DATA_1D, DATA_0D, "/RawData/Scan000/NavAxes/Axis00"} <= set(paths)
            del paths  # handles must not outlive a refresh made through other handles
            assert _written_points(f[DATA_1D][...]) == 1
            proc.stdin.write("go\n")
            proc.stdin.flush()
            cache: dict[str, h5py.Dataset] | None = None
            seen = [0]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if seen[-1] < N_POINTS // 2:
                    refresh_datasets(f)  # then read through the file
                    n1 = _written_points(f[DATA_1D][...])
                    n0 = _written_points(f[DATA_0D][...])
                else:
                    if cache is None:
                        cache = collect_datasets(f)
                    refresh_cached(cache)  # the handles held from now on
                    n1 = _written_points(cache[DATA_1D][...])
                    n0 = _written_points(cache[DATA_0D][...])
                assert n0 >= seen[-1] and n1 >= seen[-1], "written points never go back"
                seen.append(min(n0, n1))
                if seen[-1] == N_POINTS:
                    break
                time.sleep(0.005)
            assert seen[-1] == N_POINTS
            # several intermediate states were seen: the reader really followed the writer
            assert len(set(seen)) > 2
            del cache
            # the h5layout loader reads the live file as a SWMR reader too
            loader = DataLoader(path, swmr_mode=True)
            try:
                dwa = loader.load_data(DATA_1D)
                assert dwa.shape == (N_POINTS, SIGNAL) and dwa.units == "V"
                assert np.array_equal(dwa.data[0][:, 0], np.arange(float(N_POINTS)))
            finally:
                loader.close_file()
        finally:
            f.close()
        assert proc.stdout.readline().strip() == "WRITTEN"
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "DONE"
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # reap the process and close its pipes
    assert not is_file_swmr_active(path)
    f, is_swmr = open_h5_file_for_reading(path)
    try:
        assert not is_swmr
        assert not bool(f.attrs["swmr_active"])
    finally:
        f.close()


def _enlargeable_swmr_file(path: Path, before: int, during: int) -> H5SaverLowLevel:
    h5 = H5SaverLowLevel(save_type="logger", backend="h5py")
    h5.init_file(path, new_file=True, swmr_mode=True)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportEnlargeableSaver(h5, enl_axis_names=("xpos",), enl_axis_units=("mm",))
    for k in range(before + during):
        if k == before:
            h5.enable_swmr()
        dte = DataToExport("d", [DataRaw("s", data=[np.arange(3.0) + k])], timestamp=1.0 + k)
        saver.add_data(det, dte, axis_values=[float(k)])
    return h5


def test_finalize_swmr_reconciles_shape_and_axis_size(tmp_path: Path) -> None:
    path = tmp_path / "enl.h5"
    h5 = _enlargeable_swmr_file(path, before=2, during=5)
    data = "/RawData/Detector000/Data1D/CH00/EnlData00"
    axis = "/RawData/Detector000/NavAxes/Axis00"
    assert h5.is_swmr_active()
    # in SWMR the bookkeeping waits for finalisation (data still grow); rows reach the file
    # at each flush (they are buffered between flushes)
    h5.flush()
    impl = h5.backend_impl
    assert impl.shape(impl.get(h5.h5file, data)) == (7, 3)
    assert tuple(read_attr(impl.get_attr(impl.get(h5.h5file, data), "shape"))) == (2, 3)
    assert is_file_swmr_active(path)  # the same process holds it: the superblock says so
    h5.finalize_swmr()
    assert not is_file_swmr_active(path)
    with h5py.File(path, "r") as f:
        assert tuple(read_attr(f[data].attrs["shape"])) == (7, 3) == f[data].shape
        assert read_attr(f[axis].attrs["size"]) == 7 == f[axis].shape[0]
        assert tuple(read_attr(f[axis].attrs["shape"])) == (7,)
        assert not bool(f.attrs["swmr_active"])
    loader = DataLoader(path)
    try:
        dwa = loader.load_data(data)
        assert dwa.shape == (7, 3)
        assert np.array_equal(dwa.axes[0].get_data(), np.arange(7.0)) or any(
            np.array_equal(a.get_data(), np.arange(7.0)) for a in dwa.axes
        )
    finally:
        loader.close_file()


def test_unfinalized_swmr_file_opens_as_swmr(tmp_path: Path) -> None:
    path = tmp_path / "left.h5"
    h5 = _enlargeable_swmr_file(path, before=1, during=2)
    h5.close_file()  # closed without finalize: swmr_active stays set
    assert is_file_swmr_active(path)
    f, is_swmr = open_h5_file_for_reading(path)
    try:
        assert is_swmr
    finally:
        f.close()
    f, is_swmr = open_h5_file_for_reading(path, swmr=False)
    try:
        assert not is_swmr
    finally:
        f.close()


def test_is_file_swmr_active_is_false_for_missing_and_foreign_files(tmp_path: Path) -> None:
    assert is_file_swmr_active(tmp_path / "does_not_exist.h5") is False
    text = tmp_path / "not_hdf5.h5"
    text.write_text("hello")
    assert is_file_swmr_active(text) is False
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = np.arange(3)
    assert is_file_swmr_active(plain) is False
    # held open by this process for writing (no SWMR): an OSError proves nothing
    with h5py.File(plain, "a"):
        assert is_file_swmr_active(plain) is False
    with pytest.raises(FileAccessError):
        open_h5_file_for_reading(tmp_path / "does_not_exist.h5")


def test_golden_files_open_without_swmr(golden_dir: Path) -> None:
    for path in sorted(golden_dir.glob("*.h5")):
        before = hashlib.md5(path.read_bytes()).hexdigest()
        f, is_swmr = open_h5_file_for_reading(path)
        try:
            assert not is_swmr
            assert collect_datasets(f)
        finally:
            f.close()
        assert not is_file_swmr_active(path)
        assert hashlib.md5(path.read_bytes()).hexdigest() == before


def test_explicit_modes(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    h5 = _enlargeable_swmr_file(path, before=1, during=1)
    h5.finalize_swmr()
    f, is_swmr = open_h5_file_for_reading(path, swmr=True)
    try:
        assert is_swmr and f.swmr_mode
    finally:
        f.close()
    with pytest.raises(ValueError):
        open_h5_file_for_reading(path, swmr="sometimes")  # type: ignore[arg-type]


def test_refresh_sees_rows_appended_by_a_writer(tmp_path: Path) -> None:
    """Same process: a SWMR writer appends, the reader's cached datasets see it after refresh."""
    path = tmp_path / "r.h5"
    h5 = H5SaverLowLevel(save_type="logger", backend="h5py")
    h5.init_file(path, new_file=True, swmr_mode=True)
    det = h5.add_det_group(h5.raw_group)
    saver = DataToExportEnlargeableSaver(h5)
    dte = DataToExport("d", [DataRaw("s", data=[np.array([1.0])])])
    saver.add_data(det, dte)
    h5.enable_swmr()
    h5.flush()
    f, is_swmr = open_h5_file_for_reading(path)
    try:
        assert is_swmr
        cache = collect_datasets(f["/RawData/Detector000"])
        name = "/RawData/Detector000/Data0D/CH00/EnlData00"
        assert cache[name].shape == (1, 1)
        for _ in range(3):
            saver.add_data(det, dte)
        h5.flush()
        refresh_cached(cache)
        assert cache[name].shape == (4, 1)
    finally:
        f.close()
        h5.close_file()


def test_killed_swmr_writer_leaves_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "killed.h5"
    proc = _start_writer(path, N_POINTS, 0.01)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "SWMR"
        proc.stdin.write("go\n")
        proc.stdin.flush()
        time.sleep(0.1)
        proc.kill()  # SIGKILL while points are being written
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    assert is_file_swmr_active(path)  # the superblock still says a SWMR writer has it
    f, is_swmr = open_h5_file_for_reading(path)
    try:
        assert is_swmr
        written = _written_points(f[DATA_1D][...])
        assert written >= 1  # every point flushed before the kill is there, none torn
        assert _written_points(f[DATA_0D][...]) >= written - 1
    finally:
        f.close()
    for swmr_mode in (False, True):  # the loader sees the SWMR writer by itself
        loader = DataLoader(path, swmr_mode=swmr_mode)
        try:
            assert loader.h5saver.h5file.swmr_mode
            dwa = loader.load_data(DATA_1D)
            assert dwa.shape == (N_POINTS, SIGNAL)
        finally:
            loader.close_file()
    with pytest.raises(FileAccessError):  # PyTables would crash on it: refused with advice
        DataLoader(path, backend="tables")
    assert hashlib.md5(path.read_bytes()).hexdigest() == digest
