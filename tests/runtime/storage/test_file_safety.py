"""Superblock and SWMR handling decided from verified facts; files PyTables would crash on.

Every open that could kill or hang the process runs in a child process with a timeout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.runtime.check.repair import repair_file
from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.storage.probe import probe_file

ROOT = Path(__file__).resolve().parents[3]

# A writer killed with its file open (os._exit: nothing closes it).
_CRASH = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "tables":
        import tables
        f = tables.open_file(path, "w")
        a = f.create_earray("/", "x", tables.Float64Atom(), (0,))
        a.append(np.arange(5.0))
        f.flush()
        os._exit(0)
    import h5py
    libver = {"v0": None, "v2": ("v108", "latest"), "v3": "latest", "swmr": "latest"}[kind]
    f = h5py.File(path, "w", libver=libver) if libver else h5py.File(path, "w")
    ds = f.create_dataset("x", shape=(0,), maxshape=(None,), dtype="f8", chunks=(16,))
    if kind == "swmr":
        f.swmr_mode = True
    ds.resize((5,))
    ds[:] = np.arange(5.0)
    f.flush()
    os._exit(0)
    """
)

# Open with H5Backend and read /x, or walk: prints OPENED / REFUSED / FOREIGN.
_OPEN = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("ignore")
    from h5layout.runtime.errors import LayoutError
    from h5layout.runtime.storage.h5backend import H5Backend
    backend, path = sys.argv[1], sys.argv[2]
    h5 = H5Backend(backend)
    try:
        h5.open_file(path, "r")
        names = [n.path for n in h5.walk_nodes("/")]
        if "/x" in names:
            print("DATA", h5.read("/x").tolist())
        h5.close_file()
        print("OPENED", len(names))
    except LayoutError as exc:
        print("REFUSED", type(exc).__name__, exc)
    except Exception as exc:
        print("FOREIGN", type(exc).__name__, exc)
    """
)

# pymodaq_data itself: a timed logger in SWMR mode, closed without finalize_swmr().
_PYMODAQ_SWMR = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    from pymodaq_data.data import DataRaw, DataToExport
    from pymodaq_data.h5modules.data_saving import DataToExportTimedSaver
    from pymodaq_data.h5modules.saving import H5SaverLowLevel
    h5 = H5SaverLowLevel(save_type="custom", backend="h5py")
    h5.init_file(file_name=Path(sys.argv[1]), new_file=True, swmr_mode=True)
    saver = DataToExportTimedSaver(h5)
    dte = DataToExport("d", data=[DataRaw("det", data=[np.array([1.0])])])
    saver.add_data("/RawData", dte)
    h5.enable_swmr()
    for _ in range(4):
        saver.add_data("/RawData", dte)
    h5.flush()
    h5.close_file()
    """
)


def _child(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    return done


def _crashed(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"crashed_{kind}.h5"
    _child(_CRASH, kind, str(path))
    return path


@pytest.mark.parametrize("kind", ["tables", "v0", "v2"])
def test_crashed_plain_files_open_with_pytables(tmp_path: Path, kind: str) -> None:
    # HDF5 sets the write-access flag in every superblock version, but acts on it only in
    # version 3: these files read whole with PyTables, so h5layout must not refuse them.
    path = _crashed(tmp_path, kind)
    probe = probe_file(path)
    assert probe.open_for_write and probe.superblock_version in (0, 2)
    assert not probe.refused_by_plain_readers
    for backend in ("tables", "h5py"):
        out = _child(_OPEN, backend, str(path)).stdout
        assert "DATA [0.0, 1.0, 2.0, 3.0, 4.0]" in out, (backend, out)
    codes = {f.code for f in validate_file(path).findings}
    assert "locked-by-writer" not in codes


def test_crashed_v3_plain_file_says_what_repair_does(tmp_path: Path) -> None:
    path = _crashed(tmp_path, "v3")
    out = _child(_OPEN, "tables", str(path)).stdout
    assert out.startswith("REFUSED FileAccessError") and "repair" in out
    assert "0x01" in out
    repair_file(str(path))
    assert probe_file(path).consistency_flags == 0
    out = _child(_OPEN, "tables", str(path)).stdout
    assert "DATA [0.0, 1.0, 2.0, 3.0, 4.0]" in out


def test_crashed_swmr_file(tmp_path: Path) -> None:
    path = _crashed(tmp_path, "swmr")
    out = _child(_OPEN, "tables", str(path)).stdout
    assert out.startswith("REFUSED FileAccessError")
    assert "SWMR reader" in out and "repair" in out and "0x05" in out
    # the h5py backend reads it as a SWMR reader by itself (H5BrowserUtil, inspect, ...)
    out = _child(_OPEN, "h5py", str(path)).stdout
    assert "DATA [0.0, 1.0, 2.0, 3.0, 4.0]" in out, out
    done = subprocess.run(
        [sys.executable, "-m", "h5layout", "inspect", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "EARRAY" in done.stdout, done.stderr
    from h5layout.pymodaq import H5Backend

    h5 = H5Backend("h5py")
    h5.open_file(path, "r", swmr_mode=True)
    try:
        np.testing.assert_array_equal(h5.read("/x"), np.arange(5.0))
    finally:
        h5.close_file()


def _bad_checksum_file(tmp_path: Path) -> Path:
    path = _crashed(tmp_path, "swmr")
    raw = bytearray(path.read_bytes())
    assert raw[8] == 3 and raw[9] == 8  # version 3 superblock, 8-byte addresses
    raw[44] ^= 0xFF  # the superblock checksum: 12 fixed bytes + 4 addresses
    path.write_bytes(bytes(raw))
    return path


_LOAD = textwrap.dedent(
    """
    import sys
    from h5layout.runtime.errors import FileAccessError
    from h5layout.pymodaq import DataLoader
    try:
        DataLoader(sys.argv[1], backend=sys.argv[2])
    except FileAccessError as exc:
        print("REFUSED", exc)
    """
)


def test_bad_checksum_swmr_superblock_never_retried(tmp_path: Path) -> None:
    # A SWMR reader retries a bad checksum for minutes: decided before HDF5 sees the file.
    path = _bad_checksum_file(tmp_path)
    probe = probe_file(path)
    assert probe.swmr_writer and probe.checksum_ok is False
    for backend in ("h5py", "tables"):
        out = _child(_LOAD, str(path), backend, timeout=60).stdout
        assert out.startswith("REFUSED") and "superblock is damaged" in out, (backend, out)
    report = validate_file(path)
    assert [f.code for f in report.findings] == ["bad-superblock"]


def test_probe_checksum_of_healthy_files(tmp_path: Path) -> None:
    path = tmp_path / "v3.h5"
    with h5py.File(path, "w", libver="latest") as f:
        f["x"] = np.arange(3)
    assert probe_file(path).checksum_ok is True
    with h5py.File(tmp_path / "v0.h5", "w") as f:
        f["x"] = np.arange(3)
    assert probe_file(tmp_path / "v0.h5").checksum_ok is None


def test_pymodaq_swmr_file_without_finalize_never_kills_pytables(tmp_path: Path) -> None:
    path = tmp_path / "pymodaq_swmr.h5"
    _child(_PYMODAQ_SWMR, str(path))
    with h5py.File(path, "r") as f:
        assert bool(f.attrs["swmr_active"]) is True
    # The cause: swmr_active, an HDF5 enum, encoded as HDF5 2.0 does under libver='latest'.
    out = _child(_OPEN, "tables", str(path)).stdout
    assert out.startswith("REFUSED FileAccessError"), out
    assert "signal" in out and "HDF5 2.0" in out
    out = _child(_OPEN, "h5py", str(path)).stdout
    assert out.startswith("OPENED")
    # repair rewrites swmr_active (older encoding): PyTables reads the file again
    backup = path.with_name(path.name + ".bak")
    repair_file(str(path))
    shutil.copy(path, tmp_path / "again.h5")
    out = _child(_OPEN, "tables", str(tmp_path / "again.h5")).stdout
    assert out.startswith("OPENED"), out
    assert backup.exists() or any(p.name.startswith(path.name + ".") for p in tmp_path.iterdir())


@pytest.mark.parametrize("kind", ["enum", "compound", "complex"])
def test_hdf5_2_attribute_encodings_never_kill_pytables(tmp_path: Path, kind: str) -> None:
    value = {
        "enum": np.array(1, dtype=h5py.enum_dtype({"A": 0, "B": 1}, basetype="i1")),
        "compound": np.array((1, 2.0), dtype=[("a", "i4"), ("b", "f8")]),
        "complex": np.complex128(1 + 2j),
    }[kind]
    latest, older = tmp_path / "latest.h5", tmp_path / "older.h5"
    for path, libver in ((latest, "latest"), (older, ("v110", "latest"))):
        with h5py.File(path, "w", libver=libver) as f:
            f.attrs["x"] = value  # on the root: PyTables dies as it opens the file
            f.create_group("g")
    out = _child(_OPEN, "tables", str(latest)).stdout
    assert out.startswith("REFUSED FileAccessError") and "signal" in out, out
    # the same attribute in the 1.10 encoding is read (no refusal by guess)
    out = _child(_OPEN, "tables", str(older)).stdout
    assert out.startswith("OPENED"), out
    # on another node PyTables raises instead (no crash): an h5layout error
    with h5py.File(latest, "w", libver="latest") as f:
        f.create_group("g").attrs["x"] = value
    out = _child(_OPEN, "tables", str(latest)).stdout
    assert out.startswith(("REFUSED FileAccessError", "OPENED")), out


@pytest.mark.parametrize("where", ["link", "attribute", "root-attribute"])
def test_non_utf8_names_never_reach_pytables(tmp_path: Path, where: str) -> None:
    path = tmp_path / "names.h5"
    bad = b"bad\xff\xfename"
    with h5py.File(path, "w") as f:
        g = f.create_group("sub")
        if where == "link":
            g.create_dataset(bad, data=[1, 2])
        elif where == "attribute":
            g.attrs[bad] = 1
        else:
            f.attrs[bad] = 1
    out = _child(_OPEN, "tables", str(path)).stdout
    assert out.startswith("REFUSED FileAccessError") and "not valid UTF-8" in out, out
    out = _child(_OPEN, "h5py", str(path)).stdout
    assert out.startswith("OPENED"), out


def test_h5layout_swmr_files_stay_readable_by_pytables(tmp_path: Path) -> None:
    from h5layout.runtime.storage.h5backend import H5Backend

    path = tmp_path / "ours.h5"
    h5 = H5Backend("h5py")
    h5.open_file(path, "w", swmr_mode=True)
    h5.h5file.attrs["flag"] = True  # an HDF5 enum, as pymodaq_data writes swmr_active
    h5.close_file()
    assert probe_file(path).superblock_version == 3
    out = _child(_OPEN, "tables", str(path)).stdout
    assert out.startswith("OPENED"), out


def test_validate_reports_non_utf8_names(tmp_path: Path) -> None:
    from tests.hostile.corpus import _bad_names

    for where in ("link", "attr"):
        path = tmp_path / f"{where}.h5"
        _bad_names(where)(path, tmp_path)
        found = [f for f in validate_file(path).findings if f.code == "non-utf8-name"]
        assert len(found) == 1, found
        if where == "link":
            assert found[0].node == "/RawData/bad\\xff\\xfe"
        else:
            assert (found[0].node, found[0].attribute) == ("/RawData", "bad\\xff\\xfe")


def test_damaged_swmr_files_fail_fast(tmp_path: Path) -> None:
    # A SWMR reader retries bad checksums (HDF5's default: 100 attempts, minutes per
    # damaged object): h5layout's readers bound the attempts, and refuse a file cut short.
    crashed = _crashed(tmp_path, "swmr")
    cut = tmp_path / "cut.h5"
    cut.write_bytes(crashed.read_bytes()[:179])
    damaged = tmp_path / "damaged.h5"
    raw = bytearray(crashed.read_bytes())
    raw[200:260] = bytes(60)  # object headers after the superblock
    damaged.write_bytes(bytes(raw))
    out = _child(_LOAD, str(cut), "h5py", timeout=60).stdout
    assert out.startswith("REFUSED") and "truncated" in out, out
    # before: more than 120 s; now it ends, with the data that can be read or an error
    out = _child(_OPEN, "h5py", str(damaged), timeout=60).stdout
    assert out.startswith(("REFUSED FileAccessError", "OPENED")), out
    assert {"truncated-file"} <= {f.code for f in validate_file(cut).findings}
    assert "internal-error" not in {f.code for f in validate_file(damaged).findings}
