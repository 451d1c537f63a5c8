"""Opening a file as a SWMR reader with a bounded number of metadata read attempts.

A SWMR reader retries every metadata read whose checksum fails, because a live writer may
be rewriting that metadata at the moment: HDF5's default is 100 attempts with a growing
pause, which on a damaged file (a bad checksum that never heals, a file cut short) means
minutes per damaged object — a hang. h5py has no setting for it, so the file access
property is set through HDF5's C function ``H5Pset_metadata_read_attempts`` in the very
library h5py loaded. :data:`READ_ATTEMPTS` attempts still ride out a writer's update (each
takes microseconds); a damaged file fails within about a second.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import threading

from h5layout.runtime.storage.backends._base import LibraryHandle
from h5layout.runtime.storage.backends.h5capi import CFunction

#: metadata read attempts of h5layout's SWMR readers (HDF5's default: 100)
READ_ATTEMPTS = 12

_lock = threading.Lock()
_setter: list[CFunction | None] = []  # [function or None], filled once


def _attempts_setter() -> CFunction | None:
    with _lock:
        if _setter:
            return _setter[0]
        fn = None
        import h5py

        here = os.path.dirname(h5py.__file__)
        candidates = sorted(glob.glob(os.path.join(here, os.pardir, "h5py.libs", "libhdf5-*")))
        candidates += sorted(glob.glob(os.path.join(here, ".dylibs", "libhdf5*")))
        found = ctypes.util.find_library("hdf5")
        if found:
            candidates.append(found)
        for path in candidates:
            if "_hl" in os.path.basename(path):
                continue
            try:
                lib = ctypes.CDLL(path)
                fn = lib.H5Pset_metadata_read_attempts
            except (OSError, AttributeError):
                continue
            fn.argtypes = [ctypes.c_int64, ctypes.c_uint]
            fn.restype = ctypes.c_int
            break
        _setter.append(fn)
        return fn


def open_swmr_reader(path: str, locking: bool | None = None) -> LibraryHandle:
    """``h5py.File(path, 'r', swmr=True)`` with :data:`READ_ATTEMPTS` metadata read
    attempts (h5py's own open when HDF5's function cannot be reached)."""
    import h5py

    setter = _attempts_setter()
    if setter is None:
        kwargs: dict[str, object] = {} if locking is None else {"locking": locking}
        return h5py.File(path, "r", swmr=True, **kwargs)
    try:  # h5py's own file access list, so the file may be open elsewhere in the process
        from h5py._hl.files import make_fapl

        fapl = make_fapl(None, locking=locking)
    except (ImportError, TypeError):
        fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
        if locking is not None:
            fapl.set_file_locking(bool(locking), True)
    # fails (negative) only if this is not h5py's library: HDF5's default is kept then
    setter(fapl.id, READ_ATTEMPTS)
    name = os.fsencode(path)
    fid = h5py.h5f.open(name, h5py.h5f.ACC_RDONLY | h5py.h5f.ACC_SWMR_READ, fapl=fapl)
    return h5py.File(fid)
