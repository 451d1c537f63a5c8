"""What a saver checks before the first byte of a point: pure functions, no file access.

A point (one ``add_data`` call: every channel of a DataWithAxes, every item of a
DataToExport, every detector of a scan point) is written whole or not at all. The savers
call these functions once at the top of each call, with what they cached when the arrays
were created, and write only when every check passed. Each ``require_*`` function raises
:class:`~h5layout.runtime.errors.DataValueError` on the first problem and returns
nothing; ``parse_indexes`` returns the indexes it accepted.

The rules (the README's "Refused before writing" lists them for users):

* data, errors and axes hold numbers: bool, integer, float or complex; object, str,
  bytes, datetime64, timedelta64 and structured dtypes are refused;
* a value goes into an existing array only if the array's dtype represents it exactly
  (``1.5`` into an integer array, ``2**62 + 1`` into float64, ``1+2j`` into float are
  refused; ``2`` into float64 and ``1+0j`` into float are accepted);
* a later point has the first point's channels: the same count, the same shape, error
  bars if and only if the first point had them;
* scan indexes are integers (int, numpy integers, or floats with an integral value;
  not bool, str or fractions), one per scan dimension, inside the scan shape;
* an axis describes a dimension the data have, with as many values as that dimension;
* enlargeable axes get exactly one value per axis per row, each exact in float64;
* attribute names are non-empty and hold no NUL; an attribute is not a numpy array long
  enough for its ``repr`` (what the envelope stores) to be summarised; text stored as is
  (titles, ``origin``) is UTF-8 without NUL; on PyTables an attribute's value and name fit
  in one HDF5 object header message (the backend's ``max_attr_bytes``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from h5layout.runtime.codec.attrs import encode_json
from h5layout.runtime.errors import DataValueError

if TYPE_CHECKING:
    from h5layout.runtime.model.data import Axis

#: dtype kinds a data, error or axis array may have: bool, signed, unsigned, float, complex
NUMERIC_KINDS = frozenset("biufc")

#: what the refused kinds are called in messages
_KIND_NAMES = {
    "O": "Python objects",
    "U": "str",
    "S": "bytes",
    "M": "datetime64",
    "m": "timedelta64",
    "V": "structured or raw (void) records",
}


def _kind_name(dtype: np.dtype) -> str:
    return _KIND_NAMES.get(dtype.kind, f"dtype {dtype}")


def require_numeric(dtype: np.dtype, what: str) -> None:
    """Refuse a dtype that is not bool, integer, float or complex."""
    if dtype.kind not in NUMERIC_KINDS:
        raise DataValueError(
            f"{what}: {_kind_name(dtype)} ({dtype.str}) cannot be saved; data, error bars "
            "and axes hold numbers (bool, integer, float or complex); nothing written"
        )


def require_exact(values: np.ndarray, dtype: np.dtype, what: str) -> None:
    """Refuse ``values`` that an array of ``dtype`` does not hold exactly.

    Same dtype: accepted at once (the acquisition-loop case). Other numeric dtypes: accepted
    when numpy's safe casting keeps every value (integers into float are checked value by
    value: int64 ``2**62 + 1`` does not survive float64), else when the values survive the
    round trip through ``dtype`` (``1.0`` into int, ``1+0j`` into float).
    """
    src = values.dtype
    if src == dtype:
        return
    require_numeric(src, what)
    if np.can_cast(src, dtype, "safe") and not (src.kind in "iu" and dtype.kind in "fc"):
        return
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        back = values.astype(dtype).astype(src)
    if not np.array_equal(back, values, equal_nan=src.kind in "fc"):
        raise DataValueError(f"{what}: {src} values do not fit {dtype} exactly; nothing written")


def require_same_shape(
    shape: tuple[int, ...], expected: tuple[int, ...], what: str, first: str = "first point"
) -> None:
    """Refuse data whose shape is not the one the arrays were created for."""
    if shape != expected:
        raise DataValueError(
            f"{what}: shape {shape} where the {first} had {expected}; nothing written"
        )


def require_channels(count: int, expected: int, what: str, kind: str = "channel") -> None:
    """Refuse a point with another number of channels (or error arrays) than the first."""
    if count != expected:
        raise DataValueError(
            f"{what}: {count} {kind}(s) where the first point had {expected}; nothing written"
        )


def _integer(value: object) -> int | None:
    if type(value) is int:
        return value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        as_float = float(value)
        if as_float.is_integer():
            return int(as_float)
    return None


def parse_indexes(indexes: object, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``indexes`` (whatever the caller gave) as a tuple of ints inside ``shape``
    (``DataValueError`` if not).

    Ints and numpy integers pass; floats only with an integral value; bools, strings,
    fractions, nested sequences, a wrong count or a value outside the shape are refused.
    """
    if type(indexes) is tuple and len(indexes) == len(shape):  # the acquisition-loop case
        for i, n in zip(indexes, shape):  # noqa: B905 (lengths compared above)
            if type(i) is not int or not 0 <= i < n:
                break
        else:
            return indexes
    if isinstance(indexes, tuple | list):
        items: Sequence[object] = indexes
    elif isinstance(indexes, np.ndarray):
        if indexes.ndim > 1:
            raise DataValueError(
                f"indexes must be one integer per scan dimension, got an array of "
                f"shape {indexes.shape}; nothing written"
            )
        items = indexes.reshape(-1).tolist() if indexes.dtype.kind != "O" else list(indexes)
    else:
        items = (indexes,)
    out = []
    for item in items:
        value = _integer(item)
        if value is None:
            raise DataValueError(
                f"indexes {show(indexes)}: {item!r} is not an integer index "
                "(int or numpy integer; not bool, str or a fraction); nothing written"
            )
        out.append(value)
    index = tuple(out)
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape, strict=False)):
        raise DataValueError(f"indexes {index} out of the scan shape {shape}; nothing written")
    return index


def parse_shape(shape: object, what: str) -> tuple[int, ...]:
    """A shape (whatever the caller gave) as a tuple of non-negative ints (ints or numpy
    integers, not bool or float)."""
    try:
        items = list(cast("Iterable[object]", shape))  # list() tells whether it iterates
    except TypeError:
        raise DataValueError(f"{what}: shape {show(shape)} is not a sequence") from None
    out = []
    for n in items:
        value = n if type(n) is int else int(n) if isinstance(n, np.integer) else None
        if value is None or value < 0:
            raise DataValueError(
                f"{what}: shape {show(shape)}: {n!r} is not a non-negative integer; nothing written"
            )
        out.append(value)
    return tuple(out)


def show(value: object) -> str:
    """``repr(value)``, cut to 60 characters for messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def require_axes_fit(
    axes: Iterable[Axis], shape: tuple[int, ...], what: str, of: str = "the data"
) -> None:
    """Refuse an axis of a dimension the data lack, or whose length is not that dimension's.

    ``shape`` is the shape the axes describe (the data's, or the scan's for navigation
    axes); each axis has ``index``, ``size``, ``label`` and ``get_data()``.
    """
    for axis in axes:
        index = axis.index
        if not 0 <= index < len(shape):
            raise DataValueError(
                f"{what}: axis {show(axis.label)} describes dimension {index}, {of} "
                f"{'have' if of == 'the data' else 'has'} {len(shape)} (shape {shape}); "
                "nothing written"
            )
        if axis.size != shape[index]:
            raise DataValueError(
                f"{what}: axis {show(axis.label)} has {axis.size} values, dimension {index} of "
                f"{of} has {shape[index]}; nothing written"
            )
        data = axis.data
        if data is not None:
            require_numeric(data.dtype, f"{what}: axis {show(axis.label)}")


def parse_axis_values(values: object, count: int, what: str) -> np.ndarray:
    """One float64 value per enlargeable axis (from whatever the caller gave), each exact
    in float64 (else refused)."""
    if type(values) is list and len(values) == count:  # the acquisition-loop case
        for v in values:
            if type(v) is not float:
                break
        else:
            return np.array(values, dtype=np.float64)
    try:
        array = np.atleast_1d(np.asarray(values))
    except (TypeError, ValueError) as exc:
        raise DataValueError(
            f"{what}: axis values {show(values)}: {exc}; nothing written"
        ) from None
    if array.ndim != 1 or array.size != count:
        raise DataValueError(
            f"{what}: {array.size} axis value(s) {show(values)} for {count} enlargeable "
            "axis/axes (one value per axis); nothing written"
        )
    if array.dtype == np.float64:
        return array
    if array.dtype.kind == "O":  # e.g. [1, 'a']: refused unless every item is a number
        if not all(isinstance(v, int | float | np.number) for v in array.tolist()):
            raise DataValueError(
                f"{what}: axis values {show(values)} are not all numbers; nothing written"
            )
        array = np.asarray(array.tolist())
    require_exact(array, np.dtype(np.float64), f"{what}: axis values {show(values)}")
    return array.astype(np.float64)


def require_attr_name(name: object, what: str) -> None:
    """Refuse an attribute name HDF5 cannot store as given (empty, NUL, not str)."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise DataValueError(
            f"{what}: attribute name {show(name)} cannot be stored (a non-empty str without NUL); "
            "nothing written"
        )


def require_text(text: str, what: str) -> None:
    """Refuse text stored as is (a title, ``origin``) that is not UTF-8 without NUL."""
    if "\x00" in text:
        raise DataValueError(f"{what}: {show(text)} holds a NUL character; nothing written")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DataValueError(f"{what}: {show(text)} is not valid UTF-8 ({exc.reason}); "
                             "nothing written") from None  # fmt: skip


def require_attr_size(name: str, text: str, limit: int | None, what: str) -> None:
    """Refuse an attribute larger than the backend stores (``limit`` None: no limit)."""
    if limit is None:
        return
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size + len(name.encode("utf-8", "surrogatepass")) > limit:
        raise DataValueError(
            f"{what}: attribute {show(name)} takes {size} bytes; this backend stores at most "
            f"{limit} bytes per attribute (value and name); nothing written"
        )


def require_attrs(attrs: Mapping[str, object], limit: int | None, what: str) -> None:
    """Refuse attributes the savers would write in the JSON envelope and the backend cannot
    store (a bad name; on a backend with a ``limit``, an envelope too large), or the envelope
    cannot hold exactly (a numpy array long enough for numpy to print it summarised)."""
    for name, value in attrs.items():
        require_attr_name(name, what)
        if isinstance(value, np.ndarray) and value.size > np.get_printoptions()["threshold"]:
            # The envelope holds repr(value), which numpy cuts to "[0, 1, ..., 4999]".
            raise DataValueError(
                f"{what}: attribute {show(name)} is an array of {value.size} values, which the "
                f"attribute envelope would store summarised (numpy prints at most "
                f"{np.get_printoptions()['threshold']}); save it as data; nothing written"
            )
        if limit is not None:
            require_attr_size(name, encode_json(value), limit, what)


def require_title(text: str, limit: int | None, what: str) -> None:
    """Refuse a title (stored as is, as the ``TITLE`` attribute) the backend cannot store."""
    require_text(text, what)
    require_attr_size("TITLE", text, limit, what)
