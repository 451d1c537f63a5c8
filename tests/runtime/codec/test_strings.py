"""Rows of string arrays: pickled str, written and read without pickle.loads."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from h5layout.runtime.codec import strings
from h5layout.runtime.codec.strings import decode_string_row, encode_string_row, string_row_bytes
from h5layout.runtime.errors import UnsafeContentError

LENGTHS = [*range(0, 300), *range(65530, 65541), 200_000]


@pytest.mark.parametrize("char", ["x", "µ", "€", "😀", "\ud800"])
def test_encode_matches_pickle_protocol_4(char: str) -> None:
    for n in LENGTHS:
        s = char * n
        expected = pickle.dumps(s, protocol=4)
        assert string_row_bytes(s) == expected, (char, n)
        row = encode_string_row(s)
        assert row.dtype == np.uint8 and row.tobytes() == expected
    assert encode_string_row("x").flags.writeable


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize("char", ["x", "µ", "\udfff"])
def test_decode_what_pickle_writes(protocol: int, char: str) -> None:
    for n in [0, 1, 255, 256, 300, 65535, 65536, 65540, 200_000]:
        s = char * n
        data = pickle.dumps(s, protocol=protocol)
        assert decode_string_row(data) == s
        assert decode_string_row(np.frombuffer(data, dtype=np.uint8)) == s


def test_binunicode8_header() -> None:
    # Strings beyond 4 GiB use BINUNICODE8; check the header form on a short payload.
    row = b"\x80\x04\x8d" + (3).to_bytes(8, "little") + b"abc\x94."
    assert decode_string_row(row) == "abc"


def test_long_binput_memo() -> None:
    row = b"\x80\x02X\x02\x00\x00\x00ab" + b"r\x00\x00\x00\x00" + b"."
    assert decode_string_row(row) == "ab"


@settings(max_examples=100, deadline=None)
@given(s=st.text())
def test_round_trip(s: str) -> None:
    row = encode_string_row(s)
    assert row.tobytes() == pickle.dumps(s, protocol=4)
    assert decode_string_row(row) == s


_ROW = re.compile(r"<uint8 x(\d+): ([0-9a-f ]+)>")


def golden_rows(golden_dir: Path, path: str) -> list[bytes]:
    text = (golden_dir / "timed_h5py.dump.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"DATASET {path} "))
    rows = []
    for size, hexes in _ROW.findall(lines[at + 1]):
        data = bytes.fromhex(hexes)
        assert len(data) == int(size)  # short rows are shown whole
        rows.append(data)
    return rows


def test_golden_rows_from_dump(golden_dir: Path) -> None:
    logger = golden_rows(golden_dir, "/RawData/Logger")
    assert [decode_string_row(r) for r in logger] == [f"appended point {i}" for i in range(6)]
    comments = golden_rows(golden_dir, "/RawData/Detector000/Comments")
    assert [decode_string_row(r) for r in comments] == ["first", "second with unicode: µm", ""]
    for row in logger + comments:
        assert string_row_bytes(decode_string_row(row)) == row


def test_golden_rows_from_file(golden_dir: Path) -> None:
    h5py = pytest.importorskip("h5py")
    with h5py.File(golden_dir / "timed_h5py.h5", "r", locking=False) as f:
        logger = [
            decode_string_row(r, f"/RawData/Logger row {i}")
            for i, r in enumerate(f["RawData/Logger"][()])
        ]
        comments = [decode_string_row(r) for r in f["RawData/Detector000/Comments"][()]]
    assert logger == [f"appended point {i}" for i in range(10)]
    assert comments == ["first", "second with unicode: µm", ""]


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_malicious_pickle_is_refused(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "pwned"
    data = pickle.dumps(_Payload(marker), protocol=protocol)
    with pytest.raises(UnsafeContentError) as info:
        decode_string_row(np.frombuffer(data, dtype=np.uint8), "/RawData/Logger row 3")
    message = str(info.value)
    assert message.startswith("/RawData/Logger row 3: not a pickled string (")
    assert message.endswith("; not read")
    assert "REDUCE" in message
    assert not marker.exists()


def test_refusal_names_the_opcode() -> None:
    data = pickle.dumps(_Payload(Path("/nonexistent")), protocol=2)
    with pytest.raises(UnsafeContentError, match=r"opcode GLOBAL at byte 2"):
        decode_string_row(data, "/RawData/Logger row 3")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "truncated"),
        (pickle.dumps("ab")[:-1], "FRAME"),
        (pickle.dumps("ab") + b".", "FRAME"),
        (pickle.dumps("a" * 70000)[:-1], "truncated"),
        (pickle.dumps("a" * 70000) + b"\x00", "trailing"),
        (pickle.dumps("a" * 300, protocol=2)[:100], "truncated string data"),
        (pickle.dumps(b"ab"), "SHORT_BINBYTES"),
        (pickle.dumps(["a"]), "EMPTY_LIST"),
        (pickle.dumps(1), "BININT1"),
        (pickle.dumps("a", protocol=0), "opcode UNICODE"),
        (pickle.dumps("a", protocol=1), "opcode BINUNICODE at byte 0"),
        (b"\x80\x09\x8c\x01a\x94.", "unsupported protocol 9"),
        (b"\x80\x04\x8c\x02\xff\xfe\x94.", "invalid UTF-8"),
        (b"\x80\x02\x8c\x01a.", "SHORT_BINUNICODE"),  # not a protocol 2 opcode
    ],
)
def test_malformed_rows(data: bytes, fragment: str) -> None:
    with pytest.raises(UnsafeContentError, match="not a pickled string") as info:
        decode_string_row(data, "/x")
    assert fragment in str(info.value)
    assert str(info.value).startswith("/x: ")


def test_default_node_name_and_bad_inputs() -> None:
    with pytest.raises(UnsafeContentError, match=r"^string row: "):
        decode_string_row(b"\x00")
    with pytest.raises(UnsafeContentError, match="float64"):
        decode_string_row(np.zeros(3))
    with pytest.raises(UnsafeContentError, match="str"):
        decode_string_row("abc")  # type: ignore[arg-type]


def test_module_never_calls_pickle() -> None:
    source = Path(strings.__file__).read_text(encoding="utf-8")
    assert "import pickle\n" not in source and "loads(" not in source
