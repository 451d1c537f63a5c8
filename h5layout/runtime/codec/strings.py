"""Rows of PyMoDAQ string arrays: one pickled ``str`` per row, read without pickle.

pymodaq_data stores each string of a string array (a VLARRAY with ``subdtype='string'``)
as the bytes of ``pickle.dumps(s)`` viewed as uint8. :func:`encode_string_row` writes
exactly the bytes protocol 4 gives; :func:`decode_string_row` reads the few opcode
sequences that pickling a single ``str`` produces (protocols 2 to 5) and refuses anything
else, so a file can never make h5layout run code.
"""

from __future__ import annotations

import pickletools
import struct

import numpy as np

from h5layout.runtime.errors import UnsafeContentError

__all__ = ["decode_string_row", "encode_string_row", "string_row_bytes"]

# Pickle opcodes (see the pickle protocol description in the standard library docs).
_PROTO = 0x80
_FRAME = 0x95
_STOP = 0x2E
_SHORT_BINUNICODE = 0x8C
_BINUNICODE = 0x58
_BINUNICODE8 = 0x8D
_MEMOIZE = 0x94
_BINPUT = 0x71
_LONG_BINPUT = 0x72

# The pickler writes a payload of 64 KiB or more outside any frame, and leaves out
# frames shorter than 4 bytes (CPython's FRAME_SIZE_TARGET / FRAME_SIZE_MIN).
_FRAME_SIZE_TARGET = 64 * 1024
_FRAME_SIZE_MIN = 4


def string_row_bytes(s: str) -> bytes:
    """The bytes of ``pickle.dumps(s, protocol=4)``, built without pickle."""
    data = s.encode("utf-8", "surrogatepass")
    n = len(data)
    if n < 256:
        header = bytes((_SHORT_BINUNICODE, n))
    elif n <= 0xFFFFFFFF:
        header = bytes((_BINUNICODE,)) + struct.pack("<I", n)
    else:
        header = bytes((_BINUNICODE8,)) + struct.pack("<Q", n)
    tail = bytes((_MEMOIZE, _STOP))
    proto = bytes((_PROTO, 4))
    if n >= _FRAME_SIZE_TARGET:
        # Large payload: written unframed; the 2-byte tail is too short for a frame.
        return proto + header + data + tail
    body = header + data + tail
    return proto + bytes((_FRAME,)) + struct.pack("<Q", len(body)) + body


def encode_string_row(s: str) -> np.ndarray:
    """One string-array row: ``pickle.dumps(s, protocol=4)`` as a writable uint8 array."""
    return np.frombuffer(bytearray(string_row_bytes(s)), dtype=np.uint8)


_OPNAMES: dict[int, str] = {ord(op.code): op.name for op in pickletools.opcodes}


def _opname(code: int) -> str:
    return _OPNAMES.get(code, f"0x{code:02x}")


class _Reader:
    """Cursor over the bytes of one row, raising with the node name on any surprise."""

    def __init__(self, data: bytes, node: str) -> None:
        self.data = data
        self.pos = 0
        self.node = node or "string row"

    def fail(self, what: str) -> UnsafeContentError:
        return UnsafeContentError(f"{self.node}: not a pickled string ({what}); not read")

    def take(self, n: int, what: str) -> bytes:
        if n > len(self.data) - self.pos:
            raise self.fail(f"truncated {what} at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def opcode(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail(f"truncated: no opcode at byte {self.pos}")
        code = self.data[self.pos]
        self.pos += 1
        return code

    def unexpected(self, code: int) -> UnsafeContentError:
        what = f"opcode {_opname(code)} at byte {self.pos - 1}"
        calls = _code_opcodes(self.data)
        if calls:
            what += f"; it would import or call code: {', '.join(calls)}"
        return self.fail(what)


# Opcodes through which a pickle imports or calls code.
_CODE_OPCODES = ("GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "BUILD")


def _code_opcodes(data: bytes) -> list[str]:
    """Names of code-running opcodes in ``data`` (listed only: genops never runs them)."""
    found: list[str] = []
    try:
        for op, _arg, _pos in pickletools.genops(data):
            if op.name in _CODE_OPCODES and op.name not in found:
                found.append(op.name)
    except Exception:  # a malformed tail just ends the listing
        pass
    return found


def _to_bytes(row: object, node: str) -> bytes:
    if isinstance(row, np.ndarray):
        if row.dtype.itemsize != 1 or row.dtype.kind not in "uiSV":
            raise UnsafeContentError(
                f"{node or 'string row'}: not a pickled string (array of {row.dtype}); not read"
            )
        return row.tobytes()
    if isinstance(row, (bytes, bytearray, memoryview)):
        return bytes(row)
    raise UnsafeContentError(
        f"{node or 'string row'}: not a pickled string ({type(row).__name__}); not read"
    )


def decode_string_row(row: bytes | np.ndarray, node: str = "") -> str:
    """The ``str`` one string-array row holds, read without ``pickle.loads``.

    Accepts what ``pickle.dumps(s)`` gives for protocols 2 to 5: PROTO, an optional
    FRAME, one SHORT_BINUNICODE / BINUNICODE / BINUNICODE8, an optional MEMOIZE /
    BINPUT / LONG_BINPUT and STOP, with nothing after it. Anything else raises
    :class:`~h5layout.runtime.errors.UnsafeContentError` naming ``node`` and what was
    found.
    """
    r = _Reader(_to_bytes(row, node), node)
    code = r.opcode()
    if code != _PROTO:
        raise r.unexpected(code)
    version = r.take(1, "PROTO")[0]
    if not 2 <= version <= 5:
        raise r.fail(f"unsupported protocol {version}")
    code = r.opcode()
    if code == _FRAME:
        if version < 4:
            raise r.unexpected(code)
        (frame_len,) = struct.unpack("<Q", r.take(8, "FRAME"))
        if frame_len != len(r.data) - r.pos:
            raise r.fail(
                f"FRAME of {frame_len} bytes at byte {r.pos - 9} does not end at the row end"
            )
        code = r.opcode()
    if code == _SHORT_BINUNICODE and version >= 4:
        size = r.take(1, "SHORT_BINUNICODE")[0]
    elif code == _BINUNICODE:
        (size,) = struct.unpack("<I", r.take(4, "BINUNICODE"))
    elif code == _BINUNICODE8 and version >= 4:
        (size,) = struct.unpack("<Q", r.take(8, "BINUNICODE8"))
    else:
        raise r.unexpected(code)
    raw = r.take(size, "string data")
    code = r.opcode()
    if code == _MEMOIZE and version >= 4:
        code = r.opcode()
    elif code == _BINPUT:
        r.take(1, "BINPUT")
        code = r.opcode()
    elif code == _LONG_BINPUT:
        r.take(4, "LONG_BINPUT")
        code = r.opcode()
    if code != _STOP:
        raise r.unexpected(code)
    if r.pos != len(r.data):
        raise r.fail(f"{len(r.data) - r.pos} trailing bytes after STOP at byte {r.pos - 1}")
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise r.fail(f"invalid UTF-8 at byte {exc.start}") from exc
