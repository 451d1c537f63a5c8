"""The attribute codec: the pymodaq JSON envelope and raw attribute values.

PyMoDAQ stores most attributes as a JSON object ``{"module": ..., "type": ..., "data":
repr(value)}``. Writing it is :func:`encode_json`; reading it back is :func:`decode_json`,
which parses the ``repr`` payload with :func:`parse_literal`: a small walker over the
Python syntax tree that only builds literals (numbers, strings, containers, numpy scalars
and arrays, dates). Nothing in a file is ever evaluated.

:func:`read_attr` is the single entry point every attribute read goes through: it
normalises what h5py / PyTables hand back (:func:`decode_raw`) and then decodes the
envelope.
"""

from __future__ import annotations

import ast
import datetime
import json
import math
import re
from collections.abc import Callable
from enum import Enum
from typing import TypeAlias, Union

import numpy as np

from h5layout.runtime.errors import UnsafeLiteralError

__all__ = [
    "ENVELOPE_KEYS",
    "ENVELOPE_TRUSTED_TYPES",
    "MAX_LITERAL_CHARS",
    "MAX_LITERAL_DEPTH",
    "MAX_LITERAL_ELEMENTS",
    "NUMPY_SCALAR_NAMES",
    "AttrValue",
    "UnsafeLiteralError",
    "decode_json",
    "decode_raw",
    "encode_json",
    "is_envelope",
    "parse_literal",
    "read_attr",
]

#: A value a stored attribute decodes to: what :func:`parse_literal` builds from an envelope's
#: payload (a Python or numpy scalar, a string, a numpy array, a date, or a container of
#: these), or the stored text itself.
AttrValue: TypeAlias = Union[
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    np.generic,
    "np.ndarray",
    datetime.date,
    datetime.time,
    datetime.timedelta,
    datetime.tzinfo,
    tuple["AttrValue", ...],
    list["AttrValue"],
    dict["AttrValue", "AttrValue"],
    set["AttrValue"],
    frozenset["AttrValue"],
    None,
]

#: arguments of a constructor call in a payload (``dtype=`` is parsed to a dtype)
_Args: TypeAlias = list[AttrValue]
_Kwargs: TypeAlias = "dict[str, AttrValue | np.dtype[np.generic]]"
_CallBuilder: TypeAlias = "Callable[[_Args, _Kwargs], AttrValue]"

#: Keys of the pymodaq JSON envelope, in the order pymodaq writes them.
ENVELOPE_KEYS: tuple[str, str, str] = ("module", "type", "data")

#: ``type`` names pymodaq_data itself turns back into values (it returns the envelope dict
#: for every other type); h5layout decodes every type it can parse safely.
ENVELOPE_TRUSTED_TYPES: frozenset[str] = frozenset(
    {"float", "int", "str", "datetime", "date", "time", "tuple", "list", "bool", "bytes", "float64"}
)

#: Longest payload :func:`parse_literal` accepts (characters).
MAX_LITERAL_CHARS = 16 * 1024 * 1024

#: Deepest nesting of containers / calls :func:`parse_literal` accepts.
MAX_LITERAL_DEPTH = 64

#: Most elements (items of containers, call arguments) :func:`parse_literal` accepts.
#: Python's parser takes about 1.5 kB per element of a list literal, so a 2 MB payload
#: of small numbers would cost a gigabyte: the elements are counted before parsing,
#: and a payload over the limit is refused (fails closed; the attribute reads as its text).
MAX_LITERAL_ELEMENTS = 20_000

#: numpy scalar types that may appear as ``np.<name>(literal)`` in a payload.
NUMPY_SCALAR_NAMES: frozenset[str] = frozenset(
    name
    for name in (
        "bool_",
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "intc",
        "uintc",
        "intp",
        "uintp",
        "byte",
        "ubyte",
        "short",
        "ushort",
        "long",
        "ulong",
        "longlong",
        "ulonglong",
        "float16",
        "float32",
        "float64",
        "half",
        "single",
        "double",
        "longdouble",
        "complex64",
        "complex128",
        "csingle",
        "cdouble",
        "clongdouble",
        "str_",
        "bytes_",
        "datetime64",
        "timedelta64",
    )
    if isinstance(getattr(np, name, None), type) and issubclass(getattr(np, name), np.generic)
)

# dtype kinds an array payload may ask for (no objects, no raw void records).
_ARRAY_KINDS = frozenset("biufcUSMm")
_NUMPY_MODULE_NAMES = frozenset({"np", "numpy"})
# How repr() spells non-finite floats and complex parts.
_BARE_NAMES: dict[str, float | complex] = {
    "nan": math.nan,
    "inf": math.inf,
    "nanj": complex(0.0, math.nan),
    "infj": complex(0.0, math.inf),
}
_CONSTANT_TYPES = (str, bytes, int, float, complex, bool, type(None))


def encode_json(value: object) -> str:
    """The pymodaq JSON envelope of ``value``, byte for byte as pymodaq_data writes it."""
    return json.dumps(
        {"module": type(value).__module__, "type": type(value).__name__, "data": repr(value)}
    )


# --------------------------------------------------------------------------------------
# parse_literal


def parse_literal(text: str) -> AttrValue:
    """Build the value a Python literal payload (a ``repr``) stands for, without ``eval``.

    Accepts constants, tuples, lists, dicts, sets, signs on numbers, complex sums such as
    ``1+2j``, the bare names ``nan``/``inf`` (as numpy prints them), ``np.<scalar>(x)``,
    ``np.True_``/``np.False_``, ``array([...], dtype=...)`` / ``np.array(...)`` and the
    ``datetime`` constructors. Anything else raises :class:`UnsafeLiteralError`.
    """
    if not isinstance(text, str):
        raise UnsafeLiteralError(f"payload must be str, not {type(text).__name__}")
    if len(text) > MAX_LITERAL_CHARS:
        raise UnsafeLiteralError(f"payload of {len(text)} characters is too long to parse")
    quick = _quick_literal(text)
    if quick is not _NO_QUICK:
        return quick
    # every element takes two characters at least ("1,")
    if len(text) > 2 * MAX_LITERAL_ELEMENTS and _count_separators(text) > MAX_LITERAL_ELEMENTS:
        raise UnsafeLiteralError(
            f"payload of more than {MAX_LITERAL_ELEMENTS} elements is too large to parse"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        # The parser signals over-deep input with MemoryError/RecursionError.
        raise UnsafeLiteralError(f"not a Python literal: {type(exc).__name__}") from exc
    return _Builder().build(tree.body, 0)


_SEPARATORS = ",:([{"


def _count_separators(text: str) -> int:
    """An upper bound of the elements a payload holds: separators outside string literals,
    counted until it passes :data:`MAX_LITERAL_ELEMENTS` (string search only: no regex
    engine state, no copies beyond one segment)."""
    if sum(text.count(c) for c in _SEPARATORS) <= MAX_LITERAL_ELEMENTS:
        return 0  # even counting inside strings, few enough
    count, i, n = 0, 0, len(text)
    while i < n and count <= MAX_LITERAL_ELEMENTS:
        quotes = [j for j in (text.find("'", i), text.find('"', i)) if j != -1]
        j = min(quotes) if quotes else n
        segment = text[i:j]
        count += sum(segment.count(c) for c in _SEPARATORS)
        if j == n:
            break
        quote, k = text[j], j + 1
        while True:  # the closing quote: one not escaped by an odd run of backslashes
            k = text.find(quote, k)
            if k == -1:
                return MAX_LITERAL_ELEMENTS + 1  # unterminated: not a literal anyway
            b = k - 1
            while b > j and text[b] == "\\":
                b -= 1
            if (k - 1 - b) % 2 == 0:
                break
            k += 1
        i = k + 1
    return count


class _NoQuick(Enum):
    """The marker of a payload :func:`_quick_literal` leaves to the full parser."""

    NO_QUICK = 0


_NO_QUICK = _NoQuick.NO_QUICK
_INT_RE = re.compile(r"-?[0-9]{1,18}\Z")
_FLOAT_RE = re.compile(r"-?[0-9]+\.[0-9]*(?:e[-+]?[0-9]+)?\Z|-?[0-9]+e[-+]?[0-9]+\Z")
_INT_TUPLE_RE = re.compile(r"\((?:-?[0-9]{1,18}, )*(?:-?[0-9]{1,18},?)?\)\Z")
_NP_FLOAT_RE = re.compile(r"np\.float64\((.*)\)\Z")
_CONSTANTS = {"True": True, "False": False, "None": None}


def _quick_literal(text: str) -> AttrValue | _NoQuick:
    """The value of the payloads most attributes hold, without building a syntax tree
    (``'text'``, ints, floats, ``True``/``None``, tuples of ints, ``np.float64(x)``);
    ``_NO_QUICK`` for anything else. Gives exactly what the full parser would."""
    n = len(text)
    if n >= 2 and text[0] == text[-1] and text[0] in "'\"" and "\\" not in text:
        if text[0] not in text[1:-1]:
            return text[1:-1]
        return _NO_QUICK
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        return float(text)
    if text.startswith("(") and _INT_TUPLE_RE.match(text):
        inner = text[1:-1].rstrip(",")
        return tuple(int(v) for v in inner.split(", ")) if inner else ()
    match = _NP_FLOAT_RE.match(text)
    if match is not None:
        inner = match.group(1)
        if _INT_RE.match(inner) or _FLOAT_RE.match(inner):
            scalar: np.float64 = np.float64(float(inner))
            return scalar
    return _NO_QUICK


class _Builder:
    """Walks an expression tree and builds only the node kinds listed in parse_literal."""

    def build(self, node: ast.AST, depth: int) -> AttrValue:
        if depth > MAX_LITERAL_DEPTH:
            raise UnsafeLiteralError(f"literal nested deeper than {MAX_LITERAL_DEPTH}")
        d = depth + 1
        if isinstance(node, ast.Constant):
            if isinstance(node.value, _CONSTANT_TYPES):
                return node.value
            raise UnsafeLiteralError(f"constant {type(node.value).__name__} not allowed")
        if isinstance(node, ast.Tuple):
            return tuple(self.build(e, d) for e in node.elts)
        if isinstance(node, ast.List):
            return [self.build(e, d) for e in node.elts]
        if isinstance(node, ast.Set):
            return {self._hashable(self.build(e, d)) for e in node.elts}
        if isinstance(node, ast.Dict):
            out: dict[AttrValue, AttrValue] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                if k is None:
                    raise UnsafeLiteralError("dict unpacking (**) not allowed")
                out[self._hashable(self.build(k, d))] = self.build(v, d)
            return out
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, d)
        if isinstance(node, ast.BinOp):
            return self._complex_sum(node, d)
        if isinstance(node, ast.Name):
            if node.id in _BARE_NAMES:
                return _BARE_NAMES[node.id]
            raise UnsafeLiteralError(f"name {node.id!r} not allowed")
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node, d)
        raise UnsafeLiteralError(f"{type(node).__name__} not allowed in a literal")

    @staticmethod
    def _hashable(value: AttrValue) -> AttrValue:
        try:
            hash(value)
        except TypeError as exc:
            raise UnsafeLiteralError(f"unhashable {type(value).__name__} as key") from exc
        return value

    def _number(self, node: ast.AST, depth: int) -> int | float | complex | np.number:
        value = self.build(node, depth)
        if isinstance(value, bool) or not isinstance(value, (int, float, complex, np.number)):
            raise UnsafeLiteralError(f"sign on a {type(value).__name__}")
        return value

    def _unary(self, node: ast.UnaryOp, depth: int) -> AttrValue:
        value = self._number(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        raise UnsafeLiteralError(f"operator {type(node.op).__name__} not allowed")

    def _complex_sum(self, node: ast.BinOp, depth: int) -> AttrValue:
        # Only "real ± imag j", as repr() writes complex numbers.
        if not isinstance(node.op, (ast.Add, ast.Sub)):
            raise UnsafeLiteralError(f"operator {type(node.op).__name__} not allowed")
        left = self._number(node.left, depth)
        right = self._number(node.right, depth)
        if not isinstance(left, (int, float)) or not isinstance(right, complex):
            raise UnsafeLiteralError("only complex literals like 1+2j may use + or -")
        return left + right if isinstance(node.op, ast.Add) else left - right

    @staticmethod
    def _dotted(node: ast.AST) -> str:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            raise UnsafeLiteralError(f"{type(node).__name__} not allowed in a literal")
        parts.append(node.id)
        return ".".join(reversed(parts))

    def _attribute(self, node: ast.Attribute) -> AttrValue:
        name = self._dotted(node)
        if name in {"np.True_", "numpy.True_"}:
            return np.True_
        if name in {"np.False_", "numpy.False_"}:
            return np.False_
        if name in {"np.nan", "numpy.nan"}:
            return np.nan
        if name in {"np.inf", "numpy.inf"}:
            return np.inf
        if name == "datetime.timezone.utc":
            return datetime.timezone.utc
        raise UnsafeLiteralError(f"name {name!r} not allowed")

    def _call(self, node: ast.Call, depth: int) -> AttrValue:
        name = self._dotted(node.func)
        args = [self.build(a, depth) for a in node.args if not isinstance(a, ast.Starred)]
        if len(args) != len(node.args):
            raise UnsafeLiteralError("argument unpacking (*) not allowed")
        kwargs: _Kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise UnsafeLiteralError("argument unpacking (**) not allowed")
            if kw.arg == "dtype":
                kwargs["dtype"] = _dtype_from(kw.value)
            else:
                kwargs[kw.arg] = self.build(kw.value, depth)
        module, _, attr = name.rpartition(".")
        if name in {"array", "np.array", "numpy.array"}:
            return _make_array(args, kwargs)
        if module in _NUMPY_MODULE_NAMES and attr in NUMPY_SCALAR_NAMES:
            return _make_numpy_scalar(attr, args, kwargs)
        builder = _CALLS.get(name)
        if builder is None:
            raise UnsafeLiteralError(f"call of {name!r} not allowed")
        return builder(args, kwargs)


def _dtype_from(node: ast.AST) -> np.dtype[np.generic]:
    """A dtype from ``dtype=float64`` / ``dtype=np.int32`` / ``dtype='<U1'``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        spec = node.value
    elif isinstance(node, (ast.Name, ast.Attribute)):
        dotted = _Builder._dotted(node)
        module, _, spec = dotted.rpartition(".")
        if module and module not in _NUMPY_MODULE_NAMES:
            raise UnsafeLiteralError(f"dtype {dotted!r} not allowed")
        if spec not in NUMPY_SCALAR_NAMES and spec not in {"bool", "int", "float", "complex"}:
            raise UnsafeLiteralError(f"dtype {dotted!r} not allowed")
    else:
        raise UnsafeLiteralError("dtype must be a name or a string")
    try:
        dtype = np.dtype(spec)
    except TypeError as exc:
        raise UnsafeLiteralError(f"unknown dtype {spec!r}") from exc
    if dtype.kind not in _ARRAY_KINDS:
        raise UnsafeLiteralError(f"dtype {spec!r} not allowed")
    return dtype


def _only(kwargs: _Kwargs, allowed: set[str], what: str) -> None:
    extra = set(kwargs) - allowed
    if extra:
        raise UnsafeLiteralError(f"{what}: keyword(s) {sorted(extra)} not allowed")


def _check_array_content(value: AttrValue, depth: int = 0) -> None:
    # Only numbers, strings, bytes, bools and nested lists/tuples of them.
    if depth > MAX_LITERAL_DEPTH:
        raise UnsafeLiteralError("array nested too deep")
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_array_content(item, depth + 1)
    elif not isinstance(value, (int, float, complex, str, bytes, np.generic)):
        raise UnsafeLiteralError(f"array element of type {type(value).__name__}")
    elif value is Ellipsis:  # pragma: no cover - Ellipsis is not an allowed constant anyway
        raise UnsafeLiteralError("summarised array")


def _make_array(args: _Args, kwargs: _Kwargs) -> np.ndarray:
    # numpy >= 2.2 adds shape=... to the repr of empty arrays with a non-trivial shape.
    _only(kwargs, {"dtype", "shape"}, "array")
    if len(args) != 1:
        raise UnsafeLiteralError("array() takes exactly one positional argument")
    _check_array_content(args[0])
    shape = kwargs.get("shape")
    if shape is not None and not (
        isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)
    ):
        raise UnsafeLiteralError("array(): shape must be a tuple of sizes")
    dtype = kwargs.get("dtype")
    if dtype is not None and not isinstance(dtype, np.dtype):  # pragma: no cover - parsed
        raise UnsafeLiteralError("array(): dtype must be a dtype name")
    try:
        array = np.array(args[0], dtype=dtype)
        return array if shape is None else array.reshape(shape)
    except (ValueError, TypeError, OverflowError) as exc:
        raise UnsafeLiteralError(f"cannot build array: {exc}") from exc


def _make_numpy_scalar(name: str, args: _Args, kwargs: _Kwargs) -> np.generic:
    _only(kwargs, set(), f"np.{name}")
    scalar_type = getattr(np, name)
    if not args or len(args) > 2 or (len(args) == 2 and name not in {"datetime64", "timedelta64"}):
        raise UnsafeLiteralError(f"np.{name}() needs exactly one literal argument")
    for arg in args:
        if not isinstance(arg, (int, float, complex, str, bytes, bool, np.generic)):
            raise UnsafeLiteralError(f"np.{name}() of a {type(arg).__name__}")
    try:
        value: np.generic = scalar_type(*args)
        return value
    except (ValueError, TypeError, OverflowError) as exc:
        raise UnsafeLiteralError(f"cannot build np.{name}: {exc}") from exc


def _ints(args: _Args, kwargs: _Kwargs, what: str) -> None:
    for value in [*args, *(v for k, v in kwargs.items() if k != "tzinfo")]:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UnsafeLiteralError(f"{what}() takes numbers, not {type(value).__name__}")
    tz = kwargs.get("tzinfo")
    if tz is not None and not isinstance(tz, datetime.tzinfo):
        raise UnsafeLiteralError(f"{what}(): tzinfo must be a timezone")


def _guarded(
    factory: Callable[..., datetime.date | datetime.time | datetime.timedelta],
    what: str,
    keys: set[str],
) -> _CallBuilder:
    def build(args: _Args, kwargs: _Kwargs) -> AttrValue:
        _only(kwargs, keys, what)
        _ints(args, kwargs, what)
        try:
            return factory(*args, **kwargs)
        except (ValueError, TypeError, OverflowError) as exc:
            raise UnsafeLiteralError(f"cannot build {what}: {exc}") from exc

    return build


def _make_timezone(args: _Args, kwargs: _Kwargs) -> datetime.timezone:
    _only(kwargs, set(), "datetime.timezone")
    if not args or len(args) > 2 or not isinstance(args[0], datetime.timedelta):
        raise UnsafeLiteralError("datetime.timezone() takes a timedelta")
    offset, name = args[0], None
    if len(args) == 2:
        if not isinstance(args[1], str):
            raise UnsafeLiteralError("datetime.timezone() name must be a string")
        name = args[1]
    try:
        return datetime.timezone(offset) if name is None else datetime.timezone(offset, name)
    except (ValueError, TypeError) as exc:
        raise UnsafeLiteralError(f"cannot build datetime.timezone: {exc}") from exc


def _make_float(args: _Args, kwargs: _Kwargs) -> float:
    _only(kwargs, set(), "float")
    if len(args) != 1 or not isinstance(args[0], str):
        raise UnsafeLiteralError("float() only with a string such as 'nan'")
    try:
        return float(args[0])
    except ValueError as exc:
        raise UnsafeLiteralError(f"cannot build float: {exc}") from exc


def _make_set(factory: type[set[AttrValue]] | type[frozenset[AttrValue]]) -> _CallBuilder:
    def build(args: _Args, kwargs: _Kwargs) -> AttrValue:
        _only(kwargs, set(), factory.__name__)
        if len(args) > 1 or (args and not isinstance(args[0], (set, list, tuple))):
            raise UnsafeLiteralError(f"{factory.__name__}() takes one literal container")
        return factory(*args)

    return build


_DT_KEYS = {"year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo", "fold"}
_TD_KEYS = {"days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"}
_CALLS: dict[str, _CallBuilder] = {
    "datetime.datetime": _guarded(datetime.datetime, "datetime.datetime", _DT_KEYS),
    "datetime.date": _guarded(datetime.date, "datetime.date", {"year", "month", "day"}),
    "datetime.time": _guarded(datetime.time, "datetime.time", _DT_KEYS - {"year"}),
    "datetime.timedelta": _guarded(datetime.timedelta, "datetime.timedelta", _TD_KEYS),
    "datetime.timezone": _make_timezone,
    "float": _make_float,
    "set": _make_set(set),
    "frozenset": _make_set(frozenset),
}


# --------------------------------------------------------------------------------------
# envelope and raw values


def is_envelope(obj: object) -> bool:
    """Whether a decoded JSON value is a pymodaq envelope (module/type/data keys)."""
    return (
        isinstance(obj, dict)
        and set(obj) == set(ENVELOPE_KEYS)
        and all(isinstance(obj[k], str) for k in ENVELOPE_KEYS)
    )


def is_envelope_raw(raw: object) -> bool:
    """Whether a stored attribute value (``str``, ``bytes`` or a numpy string, as a library
    returns it) holds a pymodaq JSON envelope: the one test of the encoding, used by the
    checker and by bookkeeping alike."""
    text = decode_raw(raw)
    if not isinstance(text, str) or not text.lstrip().startswith("{"):
        return False
    if text.startswith('{"module": "') and '", "data": ' in text and text.endswith('"}'):
        return True  # the envelope exactly as pymodaq and h5layout write it: no second parse
    try:
        return is_envelope(json.loads(text))
    except (ValueError, RecursionError):
        return False


def _coerce(value: AttrValue, module: str, type_name: str) -> AttrValue:
    """Give old-style payloads (numpy 1 printed ``500.0`` for a float64) their type."""
    if module == "numpy" and type_name in NUMPY_SCALAR_NAMES and not isinstance(value, np.generic):
        if isinstance(value, (bool, int, float, complex, str, bytes)):
            try:
                coerced: np.generic = getattr(np, type_name)(value)
                return coerced
            except (ValueError, TypeError, OverflowError):
                return value
    if module == "builtins" and type_name == "float" and isinstance(value, int):
        return float(value)
    return value


#: decoded envelopes by stored text: files repeat the same few envelopes ('data', 'uniform',
#: '()', ...) on every node, and decoding one costs a JSON parse plus a literal parse
_DECODED: dict[str, AttrValue] = {}
_DECODED_MAX = 4096
_IMMUTABLE = (str, int, float, bool, type(None), np.number, np.bool_)


def _shareable(value: AttrValue) -> bool:
    """Whether one decoded value may be handed to several callers (nothing mutable)."""
    if isinstance(value, tuple):
        return all(isinstance(v, _IMMUTABLE) for v in value)
    return isinstance(value, _IMMUTABLE)


def decode_json(text: str | bytes) -> AttrValue:
    """The value a stored attribute string stands for.

    A pymodaq envelope gives back the real value of its ``data`` payload (see
    :func:`parse_literal`); a payload that is not a safe literal gives back the payload
    text itself, never run. Any other text is returned unchanged (bytes as UTF-8 str).
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    try:
        return _DECODED[text]
    except KeyError:
        pass
    value = _decode_json(text)
    if _shareable(value) and len(text) < 256:
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.clear()
        _DECODED[text] = value
    return value


def _decode_json(text: str) -> AttrValue:
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return text
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if not is_envelope(obj):
        return text
    payload: str = obj["data"]
    try:
        value = parse_literal(payload)
    except UnsafeLiteralError:
        return payload
    return _coerce(value, obj["module"], obj["type"])


def decode_raw(value: object) -> object:
    """Normalise a raw attribute value as h5py or PyTables return it.

    bytes and numpy strings become ``str`` (UTF-8, bad bytes replaced), an ``h5py.Empty``
    (null dataspace, PyTables' empty title) becomes ``''``, numpy booleans become
    ``bool`` and 0-d arrays become their scalar. Other values are returned as they are.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bytes, bytearray)):  # includes numpy.bytes_
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):  # includes numpy.str_
        return str(value)
    if isinstance(value, np.bool_):
        return bool(value)
    # Checked by name so this module never imports h5py.
    cls = type(value)
    if cls.__name__ == "Empty" and cls.__module__.startswith("h5py"):
        return ""
    return value


def read_attr(value: object) -> object:
    """Decode one attribute value read from a file (raw normalisation, then JSON)."""
    value = decode_raw(value)
    if isinstance(value, str):
        return decode_json(value)
    return value
