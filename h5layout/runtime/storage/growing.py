"""Enlargeable arrays that grow in blocks and keep their bookkeeping right at flush.

Every HDF5 call costs about as much as writing a row of a few hundred numbers, so rows
do not reach the library one by one. A :class:`GrowingArray` keeps the rows of the
current flush interval in a preallocated numpy block (the *row buffer*) and hands them
to the library as one block at the next flush: one resize and one write per array and
per flush on h5py, one append on PyTables, one update (one HTTP request) on h5pyd. The
promise of the flush policy is the same as if the rows had been written one by one: at
every flush (and close, and before the rows are read back through the API) the file
holds every row appended so far; a writer killed between two flushes loses the rows of
that interval, as it would have anyway (they were never flushed).

The buffer is bounded: at most the rows of one flush interval and at most
:data:`BUFFER_BYTES` per array; when it is full before the flush it is written out
(still one block). Rows bigger than a quarter of that bound (frames) are written at once,
as before: for them the cost of a call is small beside the data.

Unbuffered arrays reserve rows in blocks and trim the dataset back to the rows really
written at every flush and close, when ``shape`` (and, for axes, ``size``) are written,
so readers and pymodaq_data always see exact shapes. During SWMR writing arrays grow by
exact rows (readers see no reserved rows) and the attributes are left to
:meth:`~h5layout.runtime.storage.h5backend.H5Backend.finalize_swmr`.

Between flushes the file lags behind; the API does not. Savers register their growing
arrays (and scan point blocks) in :data:`PENDING` for the time of the writing session,
and the node wrappers consult it: ``node.attrs['shape']``, ``size``, ``node.shape`` and
``node.read()`` report the rows written so far (without reserved rows) at every moment; a
read first writes the rows still buffered. The check costs one truthiness test of an
empty dict outside writing sessions, and nothing on the append path.

With a :class:`RowSink` (a backend's background writer: h5pyd's, opt-in through the saver's
``background_flush``) the blocks go to the sink instead of the library's handle: one check
per block, none per row. The counts here stay the truth until the sink has sent them; a
read through the API first waits for the sink (:meth:`GrowingArray.settle`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol, TypeAlias

import numpy as np

from h5layout.runtime.codec.attrs import encode_json
from h5layout.runtime.storage.backends import Backend, LibraryHandle

#: rows reserved at once by unbuffered arrays (at most ~4 MiB of rows)
BLOCK_ROWS = 256
_BLOCK_BYTES = 4 * 1024 * 1024
#: bytes of rows one array may hold between flushes (its row buffer)
BUFFER_BYTES = 4 * 1024 * 1024
#: fewest rows a buffer must hold to be worth having (else rows are written at once)
MIN_BUFFER_ROWS = 4


#: growing arrays of the open writing sessions, by :func:`dataset_key` of their dataset
PENDING: dict[Hashable, GrowingArray | PointBlock] = {}

#: how to undo the puts of the scan point being written, in order (see :func:`undo_point`)
PointLog: TypeAlias = "list[PointRecord]"
#: one put: ``(block, n)`` for a point held (``n`` points were held before it), or
#: ``(block, index, previous values, whether the cell was written before)`` for one written
PointRecord: TypeAlias = (
    "tuple[PointBlock, int] | tuple[PointBlock, tuple[int, ...], np.ndarray, bool]"
)

#: attributes whose value a growing array knows better than the file between flushes
LIVE_ATTRS = frozenset({"shape", "size"})


class RowSink(Protocol):
    """Where a growing array's values go instead of the library's own handle: a backend's
    background writer (h5pyd: ``BackgroundFlusher``). Blocks are copied when queued."""

    def write(
        self,
        raw: LibraryHandle,
        start: int,
        block: np.ndarray,
        prefix: tuple[int, ...] = (),
        grow: bool = False,
        is_axis: bool = False,
    ) -> None:
        """Queue ``raw[(*prefix, slice(start, start + len(block)))] = block`` (``grow``:
        enlarge the array to hold the rows first, and keep ``shape``/``size`` written)."""

    def truncate(self, raw: LibraryHandle, rows: int) -> None:
        """Queue cutting an enlargeable array back to ``rows`` rows."""

    def settle(self, raw: LibraryHandle) -> None:
        """Wait until everything queued is on the server and make the library's handle
        of ``raw`` see it (for a read)."""


class FlushSink(RowSink, Protocol):
    """A :class:`RowSink` that also takes a saver's flushes: the backend's background
    flusher while one runs (h5pyd: ``BackgroundFlusher``)."""

    @property
    def failed(self) -> bool:
        """Whether the worker failed (the next call raises)."""

    def check(self) -> None:
        """Raise the worker's error, if any."""

    def flush(self, wait: bool = False) -> None:
        """A saver's flush (``wait``: return once everything is on the server)."""

    def close(self) -> None:
        """Wait until everything queued is on the server; raise the worker's error."""


def dataset_key(raw: LibraryHandle) -> Hashable:
    """A key equal for every handle of one dataset (PyTables: its file and path; h5py and
    h5pyd objects hash and compare by HDF5 object)."""
    pathname = getattr(raw, "_v_pathname", None)
    if pathname is not None:
        return (id(raw._v_file), pathname)
    handle: Hashable = raw  # h5py and h5pyd objects hash by HDF5 object
    return handle


def pending(raw: LibraryHandle) -> GrowingArray | PointBlock | None:
    """The growing array writing ``raw`` in an open session, or None."""
    if not PENDING:
        return None
    try:
        return PENDING.get(dataset_key(raw))
    except (TypeError, ValueError, RuntimeError):  # unhashable, or a handle already closed
        return None


class GrowingArray:
    """Appends to one enlargeable dataset through a backend, with cached state.

    ``rows`` counts every row appended (written and buffered); ``written`` the rows the
    library holds.
    """

    __slots__ = (
        "_asked",
        "_block",
        "_buf",
        "_buf_rows",
        "_dirty",
        "_dtype",
        "_impl",
        "_n",
        "_raw",
        "_row_bytes",
        "_row_shape",
        "_sink",
        "capacity",
        "is_axis",
        "rows",
        "written",
    )

    def __init__(
        self, impl: Backend, raw: LibraryHandle, *, is_axis: bool = False, buffer_rows: int = 0
    ) -> None:
        self._impl = impl
        self._raw = raw
        shape = impl.shape(raw)
        self._row_shape = tuple(shape[1:])
        self.rows = int(shape[0]) if shape else 0
        self.written = self.rows
        self.capacity = self.rows
        self.is_axis = is_axis
        self._dirty = False
        self._dtype = impl.dtype(raw)
        self._row_bytes = max(
            int(np.prod(self._row_shape, dtype=np.int64)) * self._dtype.itemsize, 1
        )
        self._block = max(1, min(BLOCK_ROWS, _BLOCK_BYTES // self._row_bytes))
        self._buf: np.ndarray | None = None
        self._n = 0  # rows in the buffer
        self._buf_rows = 0
        self._asked = 0
        self._sink: RowSink | None = None
        self.set_buffer_rows(buffer_rows)

    @property
    def raw(self) -> LibraryHandle:
        """The library's dataset."""
        return self._raw

    def set_sink(self, sink: RowSink | None) -> None:
        """Hand the blocks of rows to ``sink`` (a background writer) instead of the
        library's handle from now on (None: back to the handle). Rows still buffered are
        handed over first.

        With a sink, a buffer of a single row is kept too: the buffer is handed over
        before the next point's row joins it, so a point reaches the sink only complete
        (a row bigger than the buffer's bound still goes at once; a refused one is then
        cut off again, see :meth:`rollback`)."""
        if self._n:
            self.drain()
        self._sink = sink
        self.set_buffer_rows(self._asked)

    def settle(self) -> None:
        """Make the library's handle hold every row appended so far, for a read."""
        if self._n:
            self.drain()
        if self._sink is not None:
            self._sink.settle(self._raw)

    @property
    def row_shape(self) -> tuple[int, ...]:
        """Shape of one row."""
        return self._row_shape

    @property
    def pending(self) -> int:
        """Rows appended and not yet handed to the library."""
        return self._n

    @property
    def buffer_rows(self) -> int:
        """Rows the buffer holds at most (0: rows are written at once)."""
        return self._buf_rows

    def set_buffer_rows(self, rows: int) -> None:
        """Hold up to ``rows`` rows between flushes (bounded by :data:`BUFFER_BYTES`);
        0 writes every row at once. Rows already buffered are written first."""
        if self._n:
            self.drain()
        self._asked = int(rows)
        rows = min(max(int(rows), 0), BUFFER_BYTES // self._row_bytes)
        least = 1 if self._sink is not None else MIN_BUFFER_ROWS
        self._buf_rows = rows if rows >= least else 0
        self._buf = None  # allocated at the first row

    def append(self, rows: np.ndarray, swmr: bool = False) -> None:
        """Append ``rows`` shaped ``(n, *row_shape)``."""
        n = rows.shape[0]
        if self._buf_rows:
            buf = self._buf
            start = self._n
            end = start + n
            if buf is None or end > self._buf_rows:
                if start:
                    self.drain()
                if n > self._buf_rows:  # more rows than a buffer holds: written at once
                    self._write_block(rows)
                    self.rows += n
                    self._dirty = True
                    return
                if buf is None:
                    buf = self._buf = np.empty((self._buf_rows, *self._row_shape), self._dtype)
                start, end = 0, n
            if n == 1:
                buf[start] = rows[0]
            else:
                buf[start:end] = rows
            self._n = end
            self.rows += n
            self._dirty = True
            return
        if self._sink is not None:
            self._write_block(rows)
            self.rows += n
            self._dirty = True
            return
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
        self.written = self.rows
        self._dirty = True

    def _write_block(self, block: np.ndarray) -> None:
        """Hand ``block`` (rows following the written ones) to the library in one call."""
        impl = self._impl
        start = self.written
        end = start + block.shape[0]
        if self._sink is not None:  # the worker resizes, writes and keeps ``shape`` right
            self._sink.write(self._raw, start, block, grow=True, is_axis=self.is_axis)
        elif impl.supports_block_growth:
            # resize, then write at known rows: a failed write leaves no row counted twice
            impl.resize(self._raw, end)
            impl.write(self._raw, slice(start, end), block)
        else:
            impl.append(self._raw, block)
        self.written = self.capacity = end

    def drain(self) -> None:
        """Write the buffered rows (one block); the buffer is kept for the next rows."""
        n = self._n
        if n:
            assert self._buf is not None
            self._write_block(self._buf[:n])
            self._n = 0

    def rollback(self, rows: int) -> None:
        """Forget the rows appended after the first ``rows`` (a point refused half-way).

        Buffered rows are dropped; rows already handed to the library are cut off.
        """
        if rows >= self.rows:
            return
        if rows >= self.written:
            self._n = rows - self.written
        else:
            self._n = 0
            if self._sink is not None:
                self._sink.truncate(self._raw, rows)
            else:
                self._impl.resize(self._raw, rows)
            self.written = self.capacity = rows
        self.rows = rows

    def live_attr(self, name: str) -> tuple[int, ...] | int | None:
        """The current value of bookkeeping attribute ``name`` (``shape``; ``size`` of
        axes), or None when this array does not keep it."""
        if name == "shape":
            return (self.rows, *self._row_shape)
        if name == "size" and self.is_axis:
            return self.rows
        return None

    def sync(self, swmr: bool = False) -> None:
        """Write buffered rows, trim reserved rows and write ``shape`` (and ``size``) when
        they changed."""
        if self._n:
            self.drain()
        if self._sink is not None:  # the worker writes ``shape``/``size`` at its flush
            self._dirty = False
            return
        if self.capacity > self.rows and not swmr:
            self._impl.resize(self._raw, self.rows)
            self.capacity = self.rows
        if self._dirty and not swmr:
            self._impl.set_attr(self._raw, "shape", encode_json((self.rows, *self._row_shape)))
            if self.is_axis:
                self._impl.set_attr(self._raw, "size", encode_json(self.rows))
            self._dirty = False


class PointBlock:
    """Points of a scan array buffered along the last scan dimension, written as one block.

    A scan fills its arrays point after point, most often along the last scan dimension
    (``(i, 0)``, ``(i, 1)``…). Points that continue the block (same leading indexes, next
    last index) are copied into a preallocated block; the block is written as one
    hyperslab when a point does not continue it, when it is full, and at every flush,
    close and read through the API. Any other order still works: the block is written
    first, then the new point starts one. Same protocol as :class:`GrowingArray` for the
    saver's flushes and the node wrappers (``rows``/``capacity`` are the array's fixed
    first dimension; there is no bookkeeping attribute to keep).

    A point is atomic: every :meth:`put` records how to undo it in ``log`` (the saver's
    :data:`PointLog`, emptied after each point), and :func:`undo_point` takes the arrays of
    a point interrupted half-way back to their state before it: a held point is dropped;
    a point written at once gets its cell's previous value back (the fill value when the
    cell was never written, else the value read just before writing it).
    """

    __slots__ = (
        "_asked",
        "_buf",
        "_cap",
        "_dtype",
        "_fill",
        "_impl",
        "_last",
        "_lead",
        "_log",
        "_n",
        "_point_bytes",
        "_raw",
        "_seen",
        "_signal",
        "_sink",
        "_start",
        "capacity",
        "is_axis",
        "rows",
    )

    def __init__(
        self,
        impl: Backend,
        raw: LibraryHandle,
        scan_ndim: int,
        buffer_points: int = 0,
        *,
        fill: object = None,
        log: PointLog | None = None,
    ) -> None:
        self._impl = impl
        self._raw = raw
        shape = impl.shape(raw)
        self._fill = fill
        self._log: PointLog = [] if log is None else log
        #: cells that may hold a value other than the fill value (set at each write), so
        #: that undoing a point written at once reads the previous value only when needed
        self._seen = np.zeros(tuple(shape[:scan_ndim]), dtype=bool)
        self._signal = tuple(shape[scan_ndim:])
        self._last = int(shape[scan_ndim - 1]) if scan_ndim else 1
        self.rows = self.capacity = int(shape[0]) if shape else 0
        self.is_axis = False
        self._dtype = impl.dtype(raw)
        self._point_bytes = max(
            int(np.prod(self._signal, dtype=np.int64)) * self._dtype.itemsize, 1
        )
        self._buf: np.ndarray | None = None
        self._cap = 0
        self._n = 0
        self._lead: tuple[int, ...] = ()
        self._start = 0
        self._asked = 0
        self._sink: RowSink | None = None
        self.set_buffer_rows(buffer_points)

    @property
    def raw(self) -> LibraryHandle:
        """The library's dataset."""
        return self._raw

    @property
    def pending(self) -> int:
        """Points held and not yet handed to the library."""
        return self._n

    def set_sink(self, sink: RowSink | None) -> None:
        """Hand the points to ``sink`` (a background writer) instead of the library's
        handle from now on (None: back to the handle). Held points are handed over first.
        With a sink a single point is held too, so points reach it only complete."""
        if self._n:
            self.drain()
        self._sink = sink
        self.set_buffer_rows(self._asked)

    def settle(self) -> None:
        """Make the library's handle hold every point written so far, for a read."""
        if self._n:
            self.drain()
        if self._sink is not None:
            self._sink.settle(self._raw)

    @property
    def buffer_rows(self) -> int:
        """Points the block holds at most (0: points are written at once)."""
        return self._cap

    def set_buffer_rows(self, rows: int) -> None:
        """Hold up to ``rows`` points (bounded by the last scan dimension and by
        :data:`BUFFER_BYTES`); 0 writes every point at once."""
        if self._n:
            self.drain()
        self._asked = int(rows)
        cap = min(max(int(rows), 0), self._last, BUFFER_BYTES // self._point_bytes)
        least = 1 if self._sink is not None else MIN_BUFFER_ROWS
        self._cap = cap if cap >= least else 0
        self._buf = None

    def put(self, index: tuple[int, ...], values: np.ndarray) -> None:
        """Store ``values`` (shaped as one point) at scan ``index``; how to undo it is
        recorded first (see :func:`undo_point`)."""
        cap = self._cap
        if not cap:
            self._put_at_once(index, values)
            return
        n = self._n
        if n and n < cap and index[-1] == self._start + n and index[:-1] == self._lead:
            self._log.append((self, n))
            self._buf[n] = values  # type: ignore[index]
            self._n = n + 1
            return
        if n:
            self.drain()  # earlier points, kept whatever happens to this one
        self._log.append((self, 0))
        if self._buf is None:
            self._buf = np.empty((cap, *self._signal), self._dtype)
        self._buf[0] = values
        self._lead = index[:-1]
        self._start = index[-1]
        self._n = 1

    def _put_at_once(self, index: tuple[int, ...], values: np.ndarray) -> None:
        # The cell's previous value, for undo_point: the fill value unless written before.
        seen = self._seen
        was = bool(seen[index])
        if was or self._fill is None:
            if self._sink is not None:
                self._sink.settle(self._raw)  # the cell's value may still be queued
            old = np.array(self._impl.read(self._raw, index), dtype=self._dtype)
        else:
            old = np.full(self._signal, self._fill, dtype=self._dtype)
        self._log.append((self, index, old, was))
        seen[index] = True
        self._write_cell(index, values)

    def _write_cell(self, index: tuple[int, ...], values: np.ndarray) -> None:
        sink = self._sink
        if sink is None:
            self._impl.write(self._raw, index, values)
        else:
            cell = np.asarray(values, dtype=self._dtype).reshape((1, *self._signal))
            sink.write(self._raw, index[-1], cell, prefix=index[:-1])

    def undo(self, record: PointRecord) -> None:
        """Undo one :meth:`put` from its ``log`` record."""
        if len(record) == 2:  # held: the points before it stay held
            self._n = min(self._n, record[1])
        else:  # written at once: the cell gets its previous value back
            _, index, old, was = record
            self._write_cell(index, old)
            self._seen[index] = was

    def drain(self) -> None:
        """Write the held points (one hyperslab)."""
        n = self._n
        if not n:
            return
        assert self._buf is not None
        sel: tuple[int | slice, ...] = (*self._lead, slice(self._start, self._start + n))
        self._seen[sel] = True  # first: the cells may differ from the fill value from now on
        if self._sink is not None:
            self._sink.write(self._raw, self._start, self._buf[:n], prefix=self._lead)
        elif n == 1:
            self._impl.write(self._raw, (*self._lead, self._start), self._buf[0])
        else:
            self._impl.write(self._raw, sel, self._buf[:n])
        self._n = 0

    def rollback(self, rows: int) -> None:
        """Nothing to do: a scan point is undone by :func:`undo_point`."""

    def live_attr(self, name: str) -> None:
        """None: a scan array's bookkeeping never changes while it fills."""
        return None

    def sync(self, swmr: bool = False) -> None:
        """Write the held points."""
        if self._n:
            self.drain()


def undo_point(log: PointLog) -> None:
    """Take every array of an interrupted scan point back to its state before the point
    (last put first) and empty ``log``."""
    try:
        for record in reversed(log):
            record[0].undo(record)
    finally:
        log.clear()
