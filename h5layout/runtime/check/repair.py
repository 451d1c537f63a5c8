"""Repairing files in place: what ``h5layout validate`` marks as repairable.

* the consistency flags a crashed writer left in a version 2/3 superblock (the file then
  opens again with any HDF5 reader): the flags byte is cleared and the superblock checksum
  (Jenkins' lookup3, as HDF5 computes it) rewritten; refused while another process has the
  file open;
* stale bookkeeping attributes: ``shape`` of arrays, ``size`` of axes, and a root
  ``swmr_active`` left true.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, cast

from h5layout.runtime.check.detect import LayoutFinder
from h5layout.runtime.errors import RepairError
from h5layout.runtime.layout.spec import LayoutSpec
from h5layout.runtime.storage.probe import held_open, lookup3

if TYPE_CHECKING:
    from h5layout.runtime.check.findings import Finding
    from h5layout.runtime.check.report import FileReport

# --------------------------------------------------------------------------------------
# superblock consistency flags


def _superblock(path: str) -> tuple[int, int, bytes]:
    """``(base, size of the checksummed part, superblock bytes incl. checksum)`` (v2/v3)."""
    from h5layout.runtime.storage.probe import probe_file

    probe = probe_file(path)
    if not probe.is_hdf5 or probe.superblock_version not in (2, 3):
        raise RepairError("consistency flags live only in version 2/3 superblocks")
    with open(path, "rb") as fh:
        fh.seek(probe.base_address)
        head = fh.read(12)
        offsets = head[9]
        body = 12 + 4 * offsets
        fh.seek(probe.base_address)
        block = fh.read(body + 4)
    if len(block) != body + 4:
        raise RepairError("superblock is truncated")
    return probe.base_address, body, block


def superblock_checksum_ok(path: str | os.PathLike[str]) -> bool:
    """Whether the stored superblock checksum matches its content (v2/v3)."""
    _base, body, block = _superblock(os.fspath(path))
    return lookup3(block[:body]) == int.from_bytes(block[body : body + 4], "little")


def clear_consistency_flags(path: str | os.PathLike[str]) -> int:
    """Clear the superblock's file-consistency flags (what ``h5clear -s`` does).

    Returns the flags that were set (0: nothing to do). Raises :class:`RepairError` for a
    superblock version without flags, a bad checksum, or a file another process has open.
    """
    spath = os.fspath(path)
    base, body, block = _superblock(spath)
    flags = block[11]
    if flags == 0:
        return 0
    if lookup3(block[:body]) != int.from_bytes(block[body : body + 4], "little"):
        raise RepairError("superblock checksum does not match; not touching the file")
    if held_open(spath):
        raise RepairError("another process has the file open; close the writer first")
    new = bytearray(block[:body])
    new[11] = 0
    new += lookup3(bytes(new)).to_bytes(4, "little")
    with open(spath, "r+b") as fh:
        fh.seek(base)
        fh.write(bytes(new))
        fh.flush()
        os.fsync(fh.fileno())
    return flags


# --------------------------------------------------------------------------------------
# bookkeeping attributes


def fix_attributes(path: str, findings: list[Finding]) -> list[str]:
    """Fix the repairable bookkeeping findings (``shape``, ``size``, ``swmr_active``)
    through :func:`~h5layout.runtime.storage.bookkeeping.apply_fix`; returns what changed."""
    from h5layout.runtime.storage.bookkeeping import apply_fix
    from h5layout.runtime.storage.h5backend import H5Backend

    todo = [f for f in findings if f.repairable and f.attribute]
    if not todo:
        return []
    changed: list[str] = []
    h5 = H5Backend("h5py")
    h5.open_file(path, "a", locking=False)
    try:
        for f in todo:
            old, new = apply_fix(h5, f.node, cast(str, f.attribute))  # those kept name one
            changed.append(f"{f.where}: {old!r} -> {new!r}")
    finally:
        h5.close_file()
    return changed


def repair_file(
    path: str,
    layout: str | LayoutSpec | None = None,
    *,
    backup: bool = True,
    finder: LayoutFinder | None = None,
) -> tuple[list[str], FileReport]:
    """Repair ``path``; returns (what changed, the report of a final validation).

    ``layout`` (a name, a layout file or a spec) is found with ``finder`` (default: a
    finder of compiled layouts), as is the layout the file names when it is None."""
    from h5layout.runtime.check.validate import validate_file
    from h5layout.runtime.storage.probe import probe_file

    finder = finder or LayoutFinder()
    if isinstance(layout, LayoutSpec) or layout is None:
        spec = layout
    else:
        spec = finder.find(layout)
    probe = probe_file(path)
    if probe.problem() is not None:
        raise RepairError(probe.problem() or "")
    changed: list[str] = []
    flags_set = bool(probe.consistency_flags) and probe.superblock_version in (2, 3)
    report = validate_file(path, spec, finder=finder)
    needed = flags_set or any(f.repairable and f.attribute for f in report.findings)
    if not needed:
        return changed, report  # nothing to fix: the file is not touched, nor backed up
    if backup:
        # a new name each time: a second run never replaces the first backup (the original)
        changed.append(f"backup written: {write_backup(path)}")
    if flags_set:
        flags = clear_consistency_flags(path)
        changed.append(f"/: superblock consistency flags 0x{flags:02x} cleared")
        report = validate_file(path, spec, finder=finder)
    changed.extend(fix_attributes(path, report.findings))
    return changed, validate_file(path, spec, finder=finder)


def write_backup(path: str) -> str:
    """Copy ``path`` to a new file ``PATH.bak`` (``PATH.bak.1``, ``.2``… when taken).

    The name is claimed with ``O_CREAT | O_EXCL | O_NOFOLLOW``: an existing backup is never
    overwritten and a symlink planted at the name is never followed. The copy is flushed
    to disk before the original is touched, keeps the original's mode and times, and stays
    until the user removes it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)
    st = os.stat(path)
    for i in range(1000):
        name = f"{path}.bak" if i == 0 else f"{path}.bak.{i}"
        try:
            fd = os.open(name, flags, 0o600)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
                if hasattr(os, "fchmod"):
                    os.fchmod(out.fileno(), st.st_mode & 0o7777)
            os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
        except BaseException:
            os.unlink(name)  # ours (created exclusively above), incomplete
            raise
        return name
    raise RepairError(f"{path}: 1000 backups exist already; remove some first")
