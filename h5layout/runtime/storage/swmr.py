"""Reading files a SWMR writer may hold (h5py only), and refreshing what a reader sees.

A scan written with ``swmr_mode=True`` can be read while it grows::

    f, is_swmr = open_h5_file_for_reading("scan.h5")
    cache = collect_datasets(f)  # {'/RawData/Scan000/Detector000/Data0D/CH00/Data00': ...}
    ...
    refresh_cached(cache)  # see the points written since
    cache["/RawData/Scan000/Detector000/Data0D/CH00/Data00"][...]

Refresh through the handles you read with. HDF5 shares one dataset object between all
open handles of a dataset: refreshing one handle while another stays open leaves the
other reading chunks written meanwhile as zeros (seen with h5py 3.16 / HDF5 2.0). So
either hold handles and use :func:`refresh_cached` on them, or hold none and use
:func:`refresh_datasets` before reading through the group.

Opening never writes to the file and never takes it over: a file that a live SWMR writer
in another process holds is recognised from its superblock (the HDF5 library itself
refuses a plain open of it with "file is already open for write") and opened as a SWMR
reader directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from h5layout.runtime.errors import FileAccessError
from h5layout.runtime.storage.backends import LibraryHandle
from h5layout.runtime.storage.probe import probe_file

__all__ = [
    "collect_datasets",
    "is_file_swmr_active",
    "open_h5_file_for_reading",
    "refresh_cached",
    "refresh_datasets",
]

SwmrChoice = bool | Literal["auto"]


def _open(filepath: str, swmr: bool, locking: bool | None) -> LibraryHandle:
    import h5py

    if swmr:
        # bounded metadata read attempts: a damaged file fails in about a second
        from h5layout.runtime.storage.backends.swmr_read import open_swmr_reader

        return open_swmr_reader(filepath, locking)
    kwargs: dict[str, object] = {}
    if locking is not None:
        kwargs["locking"] = locking
    return h5py.File(filepath, "r", **kwargs)


def _root_swmr_active(f: LibraryHandle) -> bool:
    """The raw root ``swmr_active`` flag a SWMR writer sets (False when absent)."""
    try:
        value = f.attrs["swmr_active"]
    except (KeyError, OSError):
        return False
    try:
        return bool(value)
    except (TypeError, ValueError):  # an odd foreign value: not our flag
        return False


def open_h5_file_for_reading(
    filepath: str | os.PathLike[str],
    swmr: SwmrChoice = "auto",
    locking: bool | None = None,
) -> tuple[LibraryHandle, bool]:
    """Open ``filepath`` read-only with h5py; returns ``(h5py.File, opened_as_swmr_reader)``.

    ``swmr=True`` opens as a SWMR reader, ``False`` opens plainly. ``'auto'`` looks at
    the superblock first: when a SWMR writer holds the file (also one in another
    process), it opens as a SWMR reader at once. Otherwise it opens plainly and, if the
    file's root says ``swmr_active`` (a writer that did not finalize), reopens as a SWMR
    reader. When the plain open fails with an ``OSError`` (a lock, a crashed writer), it
    retries as a SWMR reader without file locking (unless ``locking`` was given).

    ``locking`` is passed to :class:`h5py.File` when not None. Raises
    :class:`~h5layout.runtime.errors.FileAccessError` (an ``OSError``) when the file is
    missing or no way of opening it works.
    """
    path = os.fspath(filepath)
    probe = probe_file(path)
    if not probe.exists:
        raise FileAccessError(f"{path}: no such file")
    if probe.checksum_ok is False:  # a SWMR reader would retry it for minutes
        raise FileAccessError(f"{path}: cannot open: {probe.problem()}")
    if swmr is True or swmr is False:
        try:
            return _open(path, bool(swmr), locking), bool(swmr)
        except OSError as exc:
            raise FileAccessError(f"{path}: cannot open for reading: {exc}") from exc
    if swmr != "auto":
        raise ValueError(f"swmr must be True, False or 'auto', not {swmr!r}")
    if probe.swmr_writer:
        try:
            return _open(path, True, locking), True
        except OSError as first:
            if locking is not None:
                raise FileAccessError(
                    f"{path}: a SWMR writer holds the file and a SWMR read failed: {first}"
                ) from first
            try:  # the writer's lock, or a lock from a crashed one
                return _open(path, True, False), True
            except OSError as exc:
                raise FileAccessError(
                    f"{path}: a SWMR writer holds the file and a SWMR read failed: {exc}"
                ) from exc
    try:
        f = _open(path, False, locking)
    except OSError as plain:
        retry_locking = False if locking is None else locking
        try:
            return _open(path, True, retry_locking), True
        except OSError as exc:
            raise FileAccessError(
                f"{path}: cannot open for reading ({plain}); as a SWMR reader: {exc}"
            ) from exc
    if not _root_swmr_active(f):
        return f, False
    # A SWMR file whose writer did not finalize: read it the way its writer meant.
    f.close()
    try:
        return _open(path, True, locking), True
    except OSError:
        return _open(path, False, locking), False


def is_file_swmr_active(filepath: str | os.PathLike[str]) -> bool:
    """Whether a SWMR writer holds ``filepath`` or left it in SWMR mode.

    True when the superblock shows a SWMR writer (live, or crashed without closing) or
    the root attribute ``swmr_active`` is set. False for a missing or non-HDF5 file, and
    whenever the file cannot be opened to look (an ``OSError`` proves nothing).
    """
    path = os.fspath(filepath)
    probe = probe_file(path)
    if not probe.exists or not probe.is_hdf5:
        return False
    if probe.swmr_writer:
        return True
    import h5py

    # locking=False first (never blocks on a writer's lock); the default if this process
    # already holds the file with other locking flags.
    for kwargs in ({"locking": False}, {}):
        try:
            with h5py.File(path, "r", **kwargs) as f:
                return _root_swmr_active(f)
        except OSError:
            continue
    return False


def collect_datasets(group: LibraryHandle) -> dict[str, LibraryHandle]:
    """Every dataset below an h5py group (or file), by absolute path.

    Paths are those of the PyMoDAQ layout, e.g.
    ``/RawData/Scan000/Detector000/Data0D/CH00/Data00`` or
    ``/RawData/Scan000/NavAxes/Axis00``.
    """
    import h5py

    found: dict[str, LibraryHandle] = {}

    def visit(_name: str, obj: LibraryHandle) -> None:
        if isinstance(obj, h5py.Dataset):
            found[obj.name] = obj

    group.visititems(visit)
    return found


def refresh_datasets(group: LibraryHandle) -> None:
    """Refresh every dataset below an h5py group, so a SWMR reader sees new data.

    With ``group = f["/RawData/Detector000"]`` this refreshes
    ``/RawData/Detector000/Data0D/CH00/Data00`` and every other array below it; read
    them afterwards through ``group`` (handles opened before and kept may read stale
    chunks, see the module documentation).
    """
    refresh_cached(collect_datasets(group))


def refresh_cached(cache: Mapping[str, LibraryHandle]) -> None:
    """Refresh the datasets of a :func:`collect_datasets` dict (no tree walk).

    Use it on the handles you keep and read, e.g.
    ``cache["/RawData/Scan000/Detector000/Data1D/CH00/Data00"]``.
    """
    for dataset in cache.values():
        dataset.id.refresh()
