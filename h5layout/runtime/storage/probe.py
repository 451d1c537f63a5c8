"""Looking at a file before any HDF5 library opens it.

HDF5 libraries give opaque errors for truncated or foreign files, a SWMR reader retries
for minutes on a superblock whose checksum is wrong, and only version 3 superblocks make
HDF5 refuse a file a writer left open. Reading the superblock ourselves lets h5layout say
what is wrong, and what to do, before a library touches the file.

Facts checked with h5py (HDF5 2.0) and PyTables (HDF5 1.14.6) on files whose writer was
killed: HDF5 sets bit 0 of the consistency flags while a writer has a file open, in every
superblock version; it enforces them only in version 3 superblocks (plain readers refuse
the file, SWMR readers accept it when bit 2, SWMR writer, is set too). Version 0-2 files
left flagged open normally with both libraries, nothing lost. :func:`held_open` says whether
another process holds a file (repair refuses such files; a truncated SWMR file held open is
a writer at work, not a crash).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SIGNATURE = b"\x89HDF\r\n\x1a\n"

# Superblock file-consistency flags (HDF5 file format spec, "Superblock").
FLAG_WRITE_ACCESS = 0x01
FLAG_SWMR_WRITE = 0x04

_MASK = 0xFFFFFFFF


# --------------------------------------------------------------------------------------
# Jenkins lookup3 ``hashlittle`` (public domain algorithm, written from its description):
# HDF5 checksums superblocks v2/v3 and other metadata with it, initial value 0.


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _MASK


def lookup3(data: bytes, initval: int = 0) -> int:
    """Bob Jenkins' lookup3 ``hashlittle`` of ``data`` (the byte-wise variant HDF5 uses)."""
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & _MASK
    i = 0
    while length > 12:
        a = (a + int.from_bytes(data[i : i + 4], "little")) & _MASK
        b = (b + int.from_bytes(data[i + 4 : i + 8], "little")) & _MASK
        c = (c + int.from_bytes(data[i + 8 : i + 12], "little")) & _MASK
        # mix(a, b, c)
        a = (a - c) & _MASK
        a ^= _rot(c, 4)
        c = (c + b) & _MASK
        b = (b - a) & _MASK
        b ^= _rot(a, 6)
        a = (a + c) & _MASK
        c = (c - b) & _MASK
        c ^= _rot(b, 8)
        b = (b + a) & _MASK
        a = (a - c) & _MASK
        a ^= _rot(c, 16)
        c = (c + b) & _MASK
        b = (b - a) & _MASK
        b ^= _rot(a, 19)
        a = (a + c) & _MASK
        c = (c - b) & _MASK
        c ^= _rot(b, 4)
        b = (b + a) & _MASK
        length -= 12
        i += 12
    if length == 0:
        return c
    tail = data[i:] + b"\0" * (12 - length)
    a = (a + int.from_bytes(tail[0:4], "little")) & _MASK
    b = (b + int.from_bytes(tail[4:8], "little")) & _MASK
    c = (c + int.from_bytes(tail[8:12], "little")) & _MASK
    # final(a, b, c)
    c ^= b
    c = (c - _rot(b, 14)) & _MASK
    a ^= c
    a = (a - _rot(c, 11)) & _MASK
    b ^= a
    b = (b - _rot(a, 25)) & _MASK
    c ^= b
    c = (c - _rot(b, 16)) & _MASK
    a ^= c
    a = (a - _rot(c, 4)) & _MASK
    b ^= a
    b = (b - _rot(a, 14)) & _MASK
    c ^= b
    c = (c - _rot(b, 24)) & _MASK
    return c


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
    #: whether the superblock checksum matches (None: versions 0/1 have none)
    checksum_ok: bool | None = None

    @property
    def open_for_write(self) -> bool:
        """A writer has the file open, or crashed without closing it."""
        return bool(self.consistency_flags & FLAG_WRITE_ACCESS)

    @property
    def flags_enforced(self) -> bool:
        """HDF5 acts on the consistency flags (version 3 superblocks only): a plain reader
        refuses the file while :attr:`open_for_write` is set."""
        return self.superblock_version is not None and self.superblock_version >= 3

    @property
    def refused_by_plain_readers(self) -> bool:
        """HDF5 refuses a plain (non-SWMR) read: a version 3 superblock flagged open."""
        return self.flags_enforced and self.open_for_write

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

    def writer_left_message(self, *, swmr_reader_available: bool) -> str:
        """What to tell a reader of a file :attr:`refused_by_plain_readers`, and what
        ``h5layout repair`` will do about it."""
        flags = f"0x{self.consistency_flags:02x}"
        repair = (
            "Once no writer holds it, 'h5layout repair' copies it to a backup and clears the "
            f"flags {flags} in the superblock (rewriting its checksum); every reader then "
            "opens it"
        )
        if self.swmr_writer:
            how = (
                "it is read as a SWMR reader (the h5py backend does so by itself)"
                if swmr_reader_available
                else "PyTables has no SWMR reader: read it with the h5py backend "
                "(H5Backend('h5py'), DataLoader(path, backend='h5py'))"
            )
            return (
                "a SWMR writer has the file open, or crashed without closing it (superblock "
                f"consistency flags {flags}); HDF5 lets only SWMR readers in, and {how}. " + repair
            )
        return (
            "a writer has the file open, or crashed without closing it (superblock "
            f"consistency flags {flags}, version 3 superblock): HDF5 refuses to read it. " + repair
        )

    def problem(self) -> str | None:
        """A sentence saying why the file cannot be read normally, or None."""
        if not self.exists:
            return "file does not exist"
        if self.size == 0:
            return "file is empty (0 bytes), not an HDF5 file"
        if not self.is_hdf5:
            return "not an HDF5 file (no HDF5 signature)"
        if self.checksum_ok is False:
            return (
                "the superblock is damaged (its checksum does not match its content); "
                "HDF5 cannot read the file"
            )
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
                head = fh.read(160)
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
    checksum: bool | None = None
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
        # v2/v3: 12 fixed bytes, four addresses, then the checksum of everything before it
        body = 12 + 4 * offsets
        if len(head) >= body + 4:
            checksum = lookup3(head[:body]) == _le(head, body, 4)
        else:
            checksum = False  # cut inside the superblock (or an absurd offset size)
    return FileProbe(
        path=str(p),
        exists=True,
        size=size,
        is_hdf5=True,
        base_address=base,
        superblock_version=version,
        consistency_flags=flags,
        end_of_file_address=eof,
        checksum_ok=checksum,
    )


def held_open(path: str) -> bool:
    """Whether another process holds the file open or locked (best effort)."""
    import fcntl

    real = os.path.realpath(path)
    try:
        with open(path, "rb") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except OSError:
        return True
    # SWMR writers drop their lock once SWMR starts: look for open descriptors (Linux).
    proc = Path("/proc")
    if not proc.is_dir():
        return False
    me = str(os.getpid())
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit() or pid_dir.name == me:
            continue
        try:
            for fd in (pid_dir / "fd").iterdir():
                try:
                    if os.readlink(fd) == real:
                        return True
                except OSError:
                    continue
        except OSError:
            continue
    return False
