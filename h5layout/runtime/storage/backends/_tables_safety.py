"""What makes PyTables kill the process, found before PyTables opens a file.

PyTables (its bundled HDF5 1.14) dies with a segmentation fault, rather than raising, on
three structures h5py (HDF5 2.0) reads without trouble. Each was reproduced in a child
process, with a file written for that one structure:

* a link name that is not UTF-8: PyTables dies when it loads the node behind it;
* an attribute name that is not UTF-8: PyTables dies when it loads the node's attributes;
* an attribute whose datatype message is encoded in the HDF5 2.0 format (datatype message
  version 5). HDF5 2.0 writes enum, compound and complex types so when a file is written
  with ``libver='latest'``, which is what a SWMR writer asks for: the ``swmr_active``
  boolean (an HDF5 enum) that pymodaq_data sets on the root when it enables SWMR is one,
  so every file pymodaq_data wrote in SWMR mode and closed without ``finalize_swmr()``
  crashes PyTables as it opens the root (``finalize_swmr()`` rewrites the attribute in the
  older encoding, which is why finalized files open). HDF5 1.14 decodes datasets of such
  types with an error, not a crash.

:func:`tables_hazard` lists every link and attribute name of the file through h5py (once
per version of a file: the answer is cached by device, inode, size and modification time).
Names are checked exactly. The datatype encoding is not visible through HDF5's API, so a
file that may hold such attributes (a version 3 superblock, which any ``libver='latest'``
file has, and an attribute of an enum, compound, complex or array type) is opened once by
PyTables in a child process, as the backend would; the child's fate decides.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from h5layout.runtime.storage.backends.swmr_read import open_swmr_reader
from h5layout.runtime.storage.probe import FileProbe

#: seconds the child process may take to open and walk a file with PyTables
CHILD_TIMEOUT = 300.0

_cache: dict[tuple[str, int, int, int, int], str | None] = {}
_lock = threading.Lock()


def _identity(path: str) -> tuple[str, int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def tables_hazard(path: str, probe: FileProbe) -> str | None:
    """Why PyTables must not open ``path`` (a sentence), or None when it may."""
    key = _identity(path)
    if key is not None:
        with _lock:
            if key in _cache:
                return _cache[key]
    verdict = _decide(path, probe)
    if key is not None:
        with _lock:
            if len(_cache) > 4096:
                _cache.clear()
            _cache[key] = verdict
    return verdict


def _decide(path: str, probe: FileProbe) -> str | None:
    import h5py
    from h5py import h5a, h5o, h5t

    suspect_classes = {h5t.ENUM, h5t.COMPOUND, h5t.ARRAY}
    if hasattr(h5t, "COMPLEX"):
        suspect_classes.add(h5t.COMPLEX)
    bad_link: list[bytes] = []
    bad_attr: list[tuple[bytes, bytes]] = []
    # attribute types matter only where HDF5 2.0 encodings can be (version 3 superblocks)
    # and PyTables' HDF5 cannot read them
    check_types = (probe.superblock_version or 0) >= 3 and _tables_hdf5_older_than_2()
    suspect: list[bool] = [False]

    def on_link(name: bytes) -> int | None:
        try:
            name.decode("utf-8")
        except UnicodeDecodeError:
            bad_link.append(name)
            return 1  # stop at the first
        return None

    try:
        opened = (
            open_swmr_reader(path, locking=False)
            if probe.swmr_writer
            else h5py.File(path, "r", locking=False)
        )
        with opened as f:
            root = f.id

            def on_object(name: bytes) -> int | None:
                oid = h5o.open(root, name)

                def on_attr(aname: bytes) -> int | None:
                    try:
                        aname.decode("utf-8")
                    except UnicodeDecodeError:
                        bad_attr.append((name, aname))
                        return 1
                    if check_types and not suspect[0]:
                        aid = h5a.open(oid, aname)
                        if aid.get_type().get_class() in suspect_classes:
                            suspect[0] = True
                    return None

                if h5a.iterate(oid, on_attr) is not None:
                    return 1
                return None

            root.links.visit(on_link)
            # h5py's visit leaves out the starting object itself: the root is looked at first
            if not bad_link and on_object(b".") is None:
                h5o.visit(root, on_object)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        # h5py cannot read it either: PyTables will give its own error, no names to guard
        del exc
        return None
    if bad_link:
        shown = bad_link[0].decode("utf-8", "backslashreplace")
        return (
            f"a link name is not valid UTF-8 ({shown!r}); PyTables crashes the process on such "
            "names, so h5layout does not let it open the file (the h5py backend reads it)"
        )
    if bad_attr:
        node = bad_attr[0][0]
        where = "/" if node == b"." else "/" + node.decode("utf-8", "backslashreplace")
        shown = bad_attr[0][1].decode("utf-8", "backslashreplace")
        return (
            f"an attribute name of {where!r} is not valid UTF-8 ({shown!r}); PyTables crashes "
            "the process on such names, so h5layout does not let it open the file (the h5py "
            "backend reads it)"
        )
    if suspect[0]:
        return _child_verdict(path)
    return None


def _tables_hdf5_older_than_2() -> bool:
    import tables

    try:
        return int(str(tables.hdf5_version).split(".")[0]) < 2
    except ValueError:
        return True


_CHILD = """
import sys
from h5layout.runtime.storage.backends._tables import trial_read
trial_read(sys.argv[1])
"""


def _child_verdict(path: str) -> str | None:
    here = str(Path(__file__).resolve().parents[4])
    env = dict(os.environ)
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, path],
            capture_output=True,
            timeout=CHILD_TIMEOUT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return (
            f"PyTables did not finish reading the file in {CHILD_TIMEOUT:.0f} s (tried in a "
            "separate process); read it with the h5py backend"
        )
    except OSError as exc:
        return f"could not check whether PyTables can read the file safely ({exc})"
    if done.returncode < 0:
        return (
            f"PyTables' HDF5 crashes on this file (the trial read in a separate process died "
            f"of signal {-done.returncode}): it holds attributes whose datatype is encoded in "
            "the HDF5 2.0 format, as written by h5py with libver='latest' (a file pymodaq_data "
            "left in SWMR mode: root swmr_active never finalized). Read it with the h5py "
            "backend; when root swmr_active is the only such attribute, `h5layout repair` "
            "rewrites it in the older encoding and PyTables reads the file again"
        )
    return None
