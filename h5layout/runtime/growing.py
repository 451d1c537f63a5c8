"""Enlargeable arrays that grow in blocks and keep their bookkeeping right at flush.

Resizing an HDF5 dataset for every appended row costs as much as writing the row. A
:class:`GrowingArray` reserves rows in blocks and trims the dataset back to the rows
really written at every flush and close, when it also writes the ``shape`` (and, for
axes, ``size``) attributes, so readers and pymodaq_data always see exact shapes. During
SWMR writing it grows by exact rows (readers see no reserved rows) and leaves the
attributes to :meth:`~h5layout.runtime.h5backend.H5Backend.finalize_swmr`.

Between flushes the file lags behind; the API does not. Savers register their growing
arrays in :data:`PENDING` for the time of the writing session, and the node wrappers
consult it: ``node.attrs['shape']``, ``size``, ``node.shape`` and ``node.read()`` report
the rows written so far (without reserved rows) at every moment, while the disk write of
the bookkeeping stays deferred to the next flush. The check costs one truthiness test of
an empty dict outside writing sessions, and nothing on the append path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from h5layout.runtime.attrs import encode_json
from h5layout.runtime.backends import Backend

#: rows reserved at once (at most ~4 MiB of rows)
BLOCK_ROWS = 256
_BLOCK_BYTES = 4 * 1024 * 1024


#: growing arrays of the open writing sessions, by :func:`dataset_key` of their dataset
PENDING: dict[Any, GrowingArray] = {}

#: attributes whose value a growing array knows better than the file between flushes
LIVE_ATTRS = frozenset({"shape", "size"})


def dataset_key(raw: Any) -> Any:
    """A key equal for every handle of one dataset (PyTables: its file and path; h5py and
    h5pyd objects hash and compare by HDF5 object)."""
    pathname = getattr(raw, "_v_pathname", None)
    if pathname is not None:
        return (id(raw._v_file), pathname)
    return raw


def pending(raw: Any) -> GrowingArray | None:
    """The growing array writing ``raw`` in an open session, or None."""
    if not PENDING:
        return None
    try:
        return PENDING.get(dataset_key(raw))
    except (TypeError, ValueError, RuntimeError):  # unhashable, or a handle already closed
        return None


class GrowingArray:
    """Appends to one enlargeable dataset through a backend, with cached state."""

    __slots__ = ("_block", "_dirty", "_impl", "_raw", "_row_shape", "capacity", "is_axis", "rows")

    def __init__(self, impl: Backend, raw: Any, *, is_axis: bool = False) -> None:
        self._impl = impl
        self._raw = raw
        shape = impl.shape(raw)
        self._row_shape = tuple(shape[1:])
        self.rows = int(shape[0]) if shape else 0
        self.capacity = self.rows
        self.is_axis = is_axis
        self._dirty = False
        row_bytes = max(int(np.prod(self._row_shape, dtype=np.int64)) * impl.dtype(raw).itemsize, 1)
        self._block = max(1, min(BLOCK_ROWS, _BLOCK_BYTES // row_bytes))

    @property
    def raw(self) -> Any:
        """The library's dataset."""
        return self._raw

    @property
    def row_shape(self) -> tuple[int, ...]:
        """Shape of one row."""
        return self._row_shape

    def append(self, rows: np.ndarray, swmr: bool = False) -> None:
        """Append ``rows`` shaped ``(n, *row_shape)``."""
        n = rows.shape[0]
        impl = self._impl
        if not impl.supports_block_growth or swmr:
            if self.capacity > self.rows:
                impl.resize(self._raw, self.rows)
            impl.append(self._raw, rows)
            self.rows += n
            self.capacity = self.rows
        else:
            end = self.rows + n
            if end > self.capacity:
                self.capacity = max(end, self.capacity + self._block)
                impl.resize(self._raw, self.capacity)
            if n == 1:
                impl.write(self._raw, self.rows, rows[0])
            else:
                impl.write(self._raw, slice(self.rows, end), rows)
            self.rows = end
        self._dirty = True

    def live_attr(self, name: str) -> Any:
        """The current value of bookkeeping attribute ``name`` (``shape``; ``size`` of
        axes), or None when this array does not keep it."""
        if name == "shape":
            return (self.rows, *self._row_shape)
        if name == "size" and self.is_axis:
            return self.rows
        return None

    def sync(self, swmr: bool = False) -> None:
        """Trim reserved rows and write ``shape`` (and ``size``) when they changed."""
        if self.capacity > self.rows and not swmr:
            self._impl.resize(self._raw, self.rows)
            self.capacity = self.rows
        if self._dirty and not swmr:
            self._impl.set_attr(self._raw, "shape", encode_json((self.rows, *self._row_shape)))
            if self.is_axis:
                self._impl.set_attr(self._raw, "size", encode_json(self.rows))
            self._dirty = False
