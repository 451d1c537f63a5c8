"""The attribute codec: pymodaq JSON envelope, safe literal parsing, raw values."""

from __future__ import annotations

import ast
import builtins
import datetime
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from h5layout.runtime.codec import attrs
from h5layout.runtime.codec.attrs import (
    UnsafeLiteralError,
    decode_json,
    decode_raw,
    encode_json,
    parse_literal,
    read_attr,
)
from h5layout.runtime.errors import LayoutError, UnsafeContentError

# ---------------------------------------------------------------------------------------
# helpers


def same(a: Any, b: Any) -> bool:
    """Equality that also checks types, dtypes and NaN == NaN, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if isinstance(a, (float, np.floating)):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, (complex, np.complexfloating)):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def round_trip(value: Any) -> Any:
    return decode_json(encode_json(value))


# ---------------------------------------------------------------------------------------
# encode_json: byte equality with pymodaq's converter

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
simple_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=5), children, max_size=4),
    ),
    max_leaves=12,
)
int_dtypes = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
float_dtypes = ["float16", "float32", "float64"]


@st.composite
def numpy_scalars(draw: st.DrawFn) -> Any:
    dtype = np.dtype(draw(st.sampled_from(int_dtypes + float_dtypes)))
    if dtype.kind in "iu":
        info = np.iinfo(dtype)  # type: ignore[type-var]
        return dtype.type(draw(st.integers(int(info.min), int(info.max))))
    width: Any = dtype.itemsize * 8
    return dtype.type(draw(st.floats(width=width)))


@st.composite
def small_arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(st.sampled_from(["int8", "int32", "int64", "uint16", *float_dtypes])))
    shape = draw(st.sampled_from([(0,), (1,), (3,), (2, 3), (1, 4), (3, 1)]))
    n = int(np.prod(shape))
    if dtype.kind in "iu":
        info = np.iinfo(dtype)  # type: ignore[type-var]
        values = draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=n, max_size=n))
    else:
        # numpy prints array floats with 8 digits: use values that need fewer.
        values = draw(
            st.lists(
                st.one_of(
                    st.integers(-4000, 4000).map(lambda i: i / 8),
                    st.sampled_from([math.nan, math.inf, -math.inf]),
                ),
                min_size=n,
                max_size=n,
            )
        )
    return np.array(values, dtype=dtype).reshape(shape)


@pytest.fixture(scope="module")
def object2json() -> Any:
    utils = pytest.importorskip("pymodaq_utils.utils")
    return utils.JsonConverter.object2json


@settings(max_examples=80, deadline=None)
@given(value=st.one_of(simple_values, numpy_scalars(), small_arrays()))
def test_encode_json_matches_pymodaq(object2json: Any, value: Any) -> None:
    assert encode_json(value) == object2json(value)


def test_encode_json_known_strings() -> None:
    assert (
        encode_json("detector") == '{"module": "builtins", "type": "str", "data": "\'detector\'"}'
    )
    assert encode_json(np.float64(500.0)) == (
        '{"module": "numpy", "type": "float64", "data": "np.float64(500.0)"}'
    )
    assert encode_json(None) == '{"module": "builtins", "type": "NoneType", "data": "None"}'
    # ensure_ascii: non-ASCII text is escaped in the JSON.
    assert "\\u00b5" in encode_json("µm")


# ---------------------------------------------------------------------------------------
# round trips


@settings(max_examples=100, deadline=None)
@given(value=simple_values)
def test_round_trip_builtin_values(value: Any) -> None:
    assert same(round_trip(value), value)


@settings(max_examples=60, deadline=None)
@given(value=st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("'\"\\\n\r\t\x00")))
def test_round_trip_any_text(value: str) -> None:
    assert round_trip(value) == value


@pytest.mark.parametrize("value", ["\ud800", "a'b\"c", "\\", "\n", "", "{}", '{"module": 1}'])
def test_round_trip_awkward_strings(value: str) -> None:
    assert round_trip(value) == value


@settings(max_examples=80, deadline=None)
@given(value=numpy_scalars())
def test_round_trip_numpy_scalars(value: Any) -> None:
    back = round_trip(value)
    assert type(back) is type(value)
    assert same(back, value)


@settings(max_examples=80, deadline=None)
@given(value=small_arrays())
def test_round_trip_numpy_arrays(value: np.ndarray) -> None:
    back = round_trip(value)
    assert isinstance(back, np.ndarray)
    assert same(back, value)


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        -0.0,
        1e300,
        5e-324,
        1 + 2j,
        complex(math.nan, -math.inf),
        np.complex128(1 - 2j),
        np.complex64(3j),
        b"\x00ab'",
        {1, 2},
        set(),
        frozenset({3}),
        np.True_,
        np.False_,
        np.str_("x"),
        np.bytes_(b"y"),
        np.longdouble("1.5"),
        np.datetime64("2024-01-02"),
        np.array(["a", "bc"]),
        np.array([True, False]),
        np.array(3),
        np.zeros((0, 3)),
        datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
        datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc),
        datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        datetime.date(2024, 1, 2),
        datetime.time(1, 2, 3),
        datetime.timedelta(days=1, seconds=5),
        {"k": (1, [2.5, None]), 3: "x"},
        [np.float64(1.0), np.int64(2)],
    ],
    ids=repr,
)
def test_round_trip_other_values(value: Any) -> None:
    back = round_trip(value)
    assert same(back, value), (back, value)


def test_old_numpy_payloads_get_their_type() -> None:
    # numpy 1 printed numpy scalars as plain numbers.
    back = decode_json('{"module": "numpy", "type": "float64", "data": "500.0"}')
    assert type(back) is np.float64 and back == 500.0
    back = decode_json('{"module": "numpy", "type": "int32", "data": "7"}')
    assert type(back) is np.int32 and back == 7


def test_summarised_array_comes_back_as_text() -> None:
    big = np.arange(2000)
    text = repr(big)
    assert "..." in text
    assert decode_json(encode_json(big)) == text


# ---------------------------------------------------------------------------------------
# golden files

_ATTR_LINE = re.compile(r"^\s*@(?P<name>\S+) <(?P<storage>[^>]*)> = (?P<value>.*)$")


def golden_envelopes(golden_dir: Path) -> list[tuple[str, str, str]]:
    """(file, attribute name, stored text) for every JSON envelope in the golden dumps."""
    found = []
    for dump in sorted(golden_dir.glob("*.dump.txt")):
        for line in dump.read_text(encoding="utf-8").splitlines():
            m = _ATTR_LINE.match(line)
            if not m or '"module"' not in m["value"]:
                continue
            stored = ast.literal_eval(m["value"])
            if isinstance(stored, bytes):
                stored = stored.decode("utf-8")
            found.append((dump.name, m["name"], stored))
    return found


def test_every_golden_envelope_decodes(golden_dir: Path) -> None:
    envelopes = golden_envelopes(golden_dir)
    assert len(envelopes) > 1000
    for file, name, stored in envelopes:
        value = read_attr(stored)
        kind = json.loads(stored)
        where = f"{file}@{name}: {stored}"
        if kind["module"] == "builtins":
            expected = type(None) if kind["type"] == "NoneType" else getattr(builtins, kind["type"])
            assert type(value) is expected, where
        else:
            assert type(value).__name__ == kind["type"], where
        # A str attribute whose text is an envelope would mean decoding failed.
        assert not (isinstance(value, str) and value.startswith('{"module"')), where
        # Writing the value back gives the same stored text.
        assert encode_json(value) == stored, where


def test_golden_specific_values(golden_dir: Path) -> None:
    values = {
        (f, n): read_attr(s) for f, n, s in golden_envelopes(golden_dir) if f.startswith("lowlevel")
    }
    get = {n: v for (_f, n), v in values.items()}
    assert get["a_none"] is None
    assert get["a_dict"] == {"k": 1}
    assert type(get["a_npint"]) is np.int64 and get["a_npint"] == 7
    assert isinstance(get["a_nparray"], np.ndarray) and get["a_nparray"].tolist() == [1, 2]
    assert type(get["a_npfloat"]) is np.float64 and get["a_npfloat"] == 1.25
    assert get["a_tuple"] == (1, 2) and type(get["a_tuple"]) is tuple
    assert get["a_list"] == [1, 2]
    assert get["a_bool"] is True
    assert get["a_float"] == 2.5
    offsets = [read_attr(s) for f, n, s in golden_envelopes(golden_dir) if n == "offset"]
    assert any(type(v) is np.float64 and v == 500.0 for v in offsets)
    assert None in offsets


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_golden_files_read_through_read_attr(golden_dir: Path, backend: str) -> None:
    h5py = pytest.importorskip("h5py")
    files = sorted(golden_dir.glob(f"*_{backend}.h5"))
    if not files:
        pytest.skip(f"no golden {backend} file")
    seen_empty = seen_bytes_class = False
    for path in files:
        with h5py.File(path, "r", locking=False) as f:
            objects: list[Any] = [f]
            f.visit(lambda name, objects=objects, f=f: objects.append(f[name]))
            for obj in objects:
                for name in obj.attrs:
                    raw = obj.attrs[name]
                    value = read_attr(raw)
                    if name in {"TITLE", "CLASS"}:
                        assert isinstance(value, str), (path.name, obj.name, name, raw)
                    if type(raw).__name__ == "Empty":
                        seen_empty = True
                        assert value == ""
                    if name == "CLASS":
                        seen_bytes_class |= isinstance(raw, bytes)
                        assert value in {"GROUP", "CARRAY", "EARRAY", "VLARRAY"}
                    if isinstance(value, str):
                        assert not value.startswith('{"module"'), (path.name, obj.name, name)
                    if name == "shape":
                        assert isinstance(value, tuple)
    if backend == "tables":
        assert seen_empty and seen_bytes_class


# ---------------------------------------------------------------------------------------
# decode_raw


def test_decode_raw() -> None:
    h5py = pytest.importorskip("h5py")
    assert decode_raw(b"GROUP") == "GROUP" and type(decode_raw(b"GROUP")) is str
    assert decode_raw(np.bytes_(b"CARRAY")) == "CARRAY"
    assert type(decode_raw(np.str_("x"))) is str
    assert decode_raw(b"\xff") == "\ufffd"
    assert decode_raw(h5py.Empty(dtype="S1")) == ""
    assert decode_raw(np.bool_(False)) is False
    assert decode_raw(np.array(b"x")) == "x"
    assert decode_raw(np.array(3)) == 3
    extdim = np.int64(0)
    assert decode_raw(extdim) is extdim
    array = np.arange(3)
    assert decode_raw(array) is array


def test_attrs_module_does_not_import_h5py() -> None:
    source = Path(attrs.__file__).read_text(encoding="utf-8")
    assert "import h5py" not in source


def test_read_attr() -> None:
    assert read_attr(b'{"module": "builtins", "type": "int", "data": "42"}') == 42
    assert read_attr("plain text") == "plain text"
    assert read_attr(np.int64(3)) == 3
    assert read_attr("not json {") == "not json {"
    assert read_attr('{"a": 1}') == '{"a": 1}'  # JSON, but not an envelope


# ---------------------------------------------------------------------------------------
# safety

MALICIOUS = [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "lambda: 1",
    "np.float64(__import__('os').system('touch {marker}'))",
    "array([1], dtype=__import__('os').system('touch {marker}'))",
    "open('{marker}', 'w')",
    "datetime.datetime.now()",
    "np.load('{marker}')",
    "[x for x in ()]",
    "np.array([1], dtype=object)",
    "array([1], dtype='O')",
    "{{**{{}}}}",
    "f'{{1}}'",
    "1 + 1",
    "np.float64(1.0).__class__",
    "np.True_.__class__",
    "datetime.datetime(2024, 1, 1, tzinfo='x')",
]


@pytest.mark.parametrize("template", MALICIOUS)
def test_malicious_payloads_are_never_run(tmp_path: Path, template: str) -> None:
    marker = tmp_path / "pwned"
    payload = template.format(marker=marker)
    with pytest.raises(UnsafeLiteralError):
        parse_literal(payload)
    stored = json.dumps({"module": "builtins", "type": "str", "data": payload})
    assert decode_json(stored) == payload
    assert not marker.exists()


def test_unsafe_literal_error_is_a_layout_error() -> None:
    assert issubclass(UnsafeLiteralError, UnsafeContentError)
    assert issubclass(UnsafeLiteralError, LayoutError)


@pytest.mark.parametrize(
    "payload",
    ["(" * 5000 + ")" * 5000, "-" * 200_000 + "1", "[" * 150 + "]" * 150, "~1", "not 1", ""],
)
def test_deep_or_odd_payloads_raise_cleanly(payload: str) -> None:
    with pytest.raises(UnsafeLiteralError):
        parse_literal(payload)


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attrs, "MAX_LITERAL_CHARS", 100)
    assert parse_literal("'" + "x" * 90 + "'") == "x" * 90
    with pytest.raises(UnsafeLiteralError, match="too long"):
        parse_literal("'" + "x" * 200 + "'")


def test_parse_literal_accepted_forms() -> None:
    assert same(parse_literal("[nan, -inf, +1]"), [math.nan, -math.inf, 1])
    assert same(parse_literal("float('nan')"), math.nan)
    assert parse_literal("np.True_") is np.True_
    assert same(parse_literal("np.array([1, 2], dtype=np.int32)"), np.array([1, 2], np.int32))
    assert same(parse_literal("array([], dtype=float64)"), np.zeros((0,)))
    assert same(parse_literal("numpy.uint8(3)"), np.uint8(3))
    assert parse_literal("np.str_('a')") == "a"
    with pytest.raises(UnsafeLiteralError):
        parse_literal("np.int8(1000)")  # out of range is refused, not wrapped
    with pytest.raises(UnsafeLiteralError):
        parse_literal("-'a'")
    with pytest.raises(UnsafeLiteralError):
        parse_literal("{[1]: 2}")


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
        st.tuples(st.integers(), st.integers()),
        st.lists(st.integers(min_value=-5, max_value=5), max_size=4).map(tuple),
        st.floats(allow_nan=False, allow_infinity=False).map(np.float64),
    )
)
def test_quick_path_gives_what_the_full_parser_gives(value: object) -> None:
    """The fast path for common payloads never differs from the syntax-tree walk."""
    import ast

    from h5layout.runtime.codec.attrs import _NO_QUICK, _Builder, _quick_literal

    text = repr(value)
    quick = _quick_literal(text)
    if quick is _NO_QUICK:
        return
    full = _Builder().build(ast.parse(text, mode="eval").body, 0)
    assert type(quick) is type(full)
    assert quick == full


# --------------------------------------------------------------------------------------
# bounded memory: elements are counted before Python's parser sees a payload


def _peak_bytes(fn: Any) -> tuple[Any, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        value = fn()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_long_list_literal_fails_closed_in_bounded_memory() -> None:
    payload = "[" + "1, " * 700_000 + "]"  # 2 MB: about 1 GB through Python's parser
    envelope = json.dumps({"module": "builtins", "type": "list", "data": payload})
    value, peak = _peak_bytes(lambda: read_attr(envelope))
    assert value == payload  # refused: the text, never a partial value
    assert peak < 32 * 1024 * 1024
    with pytest.raises(UnsafeLiteralError, match="elements"):
        parse_literal(payload)


def test_element_limit_counts_outside_strings() -> None:
    n = attrs.MAX_LITERAL_ELEMENTS - 10
    assert parse_literal(repr(list(range(n)))) == list(range(n))
    # commas inside strings are not elements: one long string with many commas parses
    text = "a,b:c(\\n" * 100_000
    value, peak = _peak_bytes(lambda: parse_literal(repr([text, "it's"])))
    assert value == [text, "it's"]
    assert peak < 64 * 1024 * 1024
    with pytest.raises(UnsafeLiteralError, match="elements"):
        parse_literal(repr(["x"] * (attrs.MAX_LITERAL_ELEMENTS + 1)))
