"""Looking at a file before any HDF5 library opens it.

PyTables crashes the process (segfault) on a file a SWMR writer left open, and HDF5
libraries give opaque errors for truncated or foreign files. Reading the superblock
ourselves lets h5layout say what is wrong, and what to do, without risking a crash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SIGNATURE = b"\x89HDF\r\n\x1a\n"

# Superblock v2/v3 file-consistency flags (HDF5 file format spec, "Superblock").
FLAG_WRITE_ACCESS = 0x01
FLAG_SWMR_WRITE = 0x04


@dataclass(frozen=True)
class FileProbe:
    """What the first bytes of a file say."""

    path: str
    exists: bool
    size: int = 0
    is_hdf5: bool = False
    base_address: int = 0
    superblock_version: int | None = None
    consistency_flags: int = 0
    end_of_file_address: int | None = None

    @property
    def open_for_write(self) -> bool:
        """A writer has the file open, or crashed without closing it."""
        return bool(self.consistency_flags & FLAG_WRITE_ACCESS)

    @property
    def swmr_writer(self) -> bool:
        """A SWMR writer has the file open, or crashed without closing it."""
        return bool(self.consistency_flags & FLAG_SWMR_WRITE)

    @property
    def truncated(self) -> bool:
        """The superblock promises more bytes than the file holds."""
        # HDF5 writes the end-of-file address counting the user block (checked with
        # h5py/HDF5 2.0: base 512, EOF == file size), so it compares to the size as is.
        return self.end_of_file_address is not None and self.size < self.end_of_file_address

    def problem(self) -> str | None:
        """A sentence saying why the file cannot be read normally, or None."""
        if not self.exists:
            return "file does not exist"
        if self.size == 0:
            return "file is empty (0 bytes), not an HDF5 file"
        if not self.is_hdf5:
            return "not an HDF5 file (no HDF5 signature)"
        if self.truncated:
            return (
                f"file is truncated: {self.size} bytes on disk, the superblock says "
                f"{self.end_of_file_address}"
            )
        return None


def _le(data: bytes, offset: int, size: int) -> int:
    return int.from_bytes(data[offset : offset + size], "little")


def probe_file(path: str | os.PathLike[str]) -> FileProbe:
    """Read the superblock of ``path`` (never raises for a missing or odd file)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError:
        return FileProbe(path=str(p), exists=False)
    try:
        with open(p, "rb") as fh:
            # The signature sits at 0, 512, 1024, 2048 ... (after a user block).
            base = 0
            while base <= max(size - len(SIGNATURE), 0):
                fh.seek(base)
                head = fh.read(64)
                if head.startswith(SIGNATURE):
                    break
                base = 512 if base == 0 else base * 2
            else:
                return FileProbe(path=str(p), exists=True, size=size)
    except OSError:
        return FileProbe(path=str(p), exists=True, size=size)
    if not head.startswith(SIGNATURE):
        return FileProbe(path=str(p), exists=True, size=size)
    version = head[8] if len(head) > 8 else None
    flags = 0
    eof: int | None = None
    if version in (0, 1) and len(head) >= 24:
        offsets = head[13]
        flags = _le(head, 20, 4)
        # v0: base, free-space, EOF, driver addresses follow at 24 (v1 adds 4 bytes).
        start = 24 if version == 0 else 28
        eof_at = start + 2 * offsets
        if offsets in (2, 4, 8) and len(head) >= eof_at + offsets:
            eof = _le(head, eof_at, offsets)
    elif version in (2, 3) and len(head) >= 12:
        offsets = head[9]
        flags = head[11]
        eof_at = 12 + 2 * offsets
        if offsets in (2, 4, 8) and len(head) >= eof_at + offsets:
            eof = _le(head, eof_at, offsets)
    return FileProbe(
        path=str(p),
        exists=True,
        size=size,
        is_hdf5=True,
        base_address=base,
        superblock_version=version,
        consistency_flags=flags,
        end_of_file_address=eof,
    )
