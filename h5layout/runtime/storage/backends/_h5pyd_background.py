"""Rows written to an HSDS domain by a worker thread with its own h5pyd handle.

A flush on HSDS costs tens of milliseconds of HTTP. h5pyd cannot be flushed from a
second thread while the first keeps writing to the same handle: its flush sends the
pending changes and then clears the pending sets, dropping what the other thread added
meanwhile (``python -m bench.hsds``, background-flush probe). :class:`BackgroundWriter`
keeps the two apart instead: the worker opens the domain a second time, and the
acquisition thread never touches that handle. It only copies each block of rows (the
copy is what the worker owns: the caller may reuse its buffer at once) and puts it in a
bounded queue; the worker appends the blocks in the order they came, array by array,
sends them at each :meth:`BackgroundWriter.flush` mark and then writes the ``shape``
bookkeeping attribute (and ``size`` for axes), so a reader that goes by ``shape`` (as
pymodaq_data does) sees whole flushed blocks only.

Errors of the worker (HTTP errors of the server, a missing array...) are raised as
:class:`~h5layout.runtime.errors.BackendError` by the next call (``append``, ``flush``)
and by every later one, ``close`` included; the blocks queued after the failure are not
written and the error says how many rows that is. :meth:`BackgroundWriter.close` (and
``flush(wait=True)``) waits until every queued block is on the server.

:class:`BackgroundFlusher` puts a writing saver's flushes on such a writer (the saver's
``background_flush``): the arrays the saver grows are written by the worker only, by their
HSDS id; everything else stays on the saver's own handle, flushed on the acquisition thread
only when it holds changes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from h5layout.runtime.codec.attrs import encode_json
from h5layout.runtime.errors import BackendError
from h5layout.runtime.storage.backends._base import LibraryHandle

_FLUSH = "flush"
_STOP = "stop"


class BackgroundWriter:
    """Appends blocks of rows to arrays of one domain from a worker thread.

    Made by ``H5pydBackend.background_writer``. ``file`` is the writer's own h5pyd handle
    of the domain (opened for it; this object owns and closes it); ``join_rows(array,
    index, rows, prefix)`` queues rows with those pending just before (one update per
    array), or returns False. The arrays appended to must be on the server (created and flushed by
    the acquisition's own handle) before their first block.

    At most ``max_pending`` items (blocks and flush marks) and at most ``max_bytes`` of
    blocks wait in the queue: a full queue makes the next call wait for the worker, so
    memory stays bounded when the server is slower than the acquisition. ``file`` may be
    None with ``open_file`` given: the worker then opens its handle itself (an open in
    mode ``'a'`` costs a server round trip the acquisition need not wait for; its error is
    raised by the next call) and ``domain`` names it.
    """

    def __init__(
        self,
        file: LibraryHandle,
        *,
        max_pending: int = 16,
        max_bytes: int | None = None,
        join_rows: Callable[[LibraryHandle, int, np.ndarray, tuple[int, ...]], bool] | None = None,
        open_file: Callable[[], LibraryHandle] | None = None,
        domain: str | None = None,
    ) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        if file is None and open_file is None:
            raise ValueError("a file or an open_file function is needed")
        self.domain = str(file.filename) if domain is None else domain
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        #: the most items the queue held at once (the bound is ``max_pending``)
        self.peak_pending = 0
        #: the most bytes of blocks the queue held at once (the bound is ``max_bytes``)
        self.peak_bytes = 0
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=max_pending)
        self._bytes = 0  # bytes of the blocks queued and not yet taken by the worker
        self._room = threading.Condition()
        self._error: BaseException | None = None
        self._lost_rows = 0
        self._closed = False
        self._file = file
        self._open_file = open_file
        self._join_rows = join_rows
        self._thread = threading.Thread(
            target=self._run, name=f"h5layout-hsds-writer {self.domain}", daemon=True
        )
        self._thread.start()

    # -- acquisition thread ------------------------------------------------------------
    def append(self, path: str, rows: np.ndarray, *, is_axis: bool = False) -> None:
        """Queue ``rows`` (shaped ``(k, *row_shape)``) to append to the array at ``path``.

        ``rows`` is copied: the caller may overwrite it as soon as this returns. With
        ``is_axis`` the worker also writes the ``size`` attribute at each flush.
        """
        self._check()
        self._put_block(("rows", path, None, (), np.array(rows, copy=True), True, is_axis))

    def write(
        self,
        key: str,
        start: int,
        block: np.ndarray,
        *,
        prefix: tuple[int, ...] = (),
        grow: bool = False,
        is_axis: bool = False,
    ) -> None:
        """Queue ``array[(*prefix, slice(start, start + len(block)))] = block``.

        ``key`` is the array's path or its HSDS id. With ``grow`` the array is first
        enlarged to hold the rows (an enlargeable array: its ``shape``, and ``size`` with
        ``is_axis``, are written at each flush); without, the selection must lie in the
        array (a scan's points). ``block`` is copied.
        """
        self._check()
        self._put_block(
            ("rows", key, int(start), prefix, np.array(block, copy=True), grow, is_axis)
        )

    def truncate(self, key: str, rows: int) -> None:
        """Queue cutting an enlargeable array back to ``rows`` rows (a refused point's
        rows that were already handed over). Nothing is queued once the worker failed:
        nothing after the failure reaches the server anyway."""
        if self._error is None and not self._closed:
            self._put(("truncate", key, int(rows)))

    @property
    def failed(self) -> bool:
        """Whether the worker failed (every later call raises)."""
        return self._error is not None

    def check(self) -> None:
        """Raise the worker's error (``BackendError``), if any."""
        self._check()

    def flush(self, wait: bool = False) -> None:
        """Mark a flush: the blocks queued so far are sent, then the bookkeeping
        attributes. With ``wait``, return once they are on the server."""
        self._check()
        self._put((_FLUSH,))
        if wait:
            self._queue.join()
            self._check()

    def close(self) -> None:
        """Send every queued block, close the worker's handle; raise the worker's error."""
        if self._closed:
            return
        self._closed = True
        self._queue.put((_FLUSH,))
        self._queue.put((_STOP,))
        self._thread.join()
        self._check()

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _put(self, item: tuple[Any, ...]) -> None:
        if self._closed:
            raise BackendError(f"the background writer of {self.domain} is closed")
        self._queue.put(item)
        pending = self._queue.qsize()
        if pending > self.peak_pending:
            self.peak_pending = pending

    def _put_block(self, item: tuple[Any, ...]) -> None:
        """Queue a block, first waiting (bytes bound) until the queue has room for it."""
        nbytes = int(item[4].nbytes)
        if self.max_bytes is not None:
            with self._room:
                while (
                    self._bytes
                    and self._bytes + nbytes > self.max_bytes
                    and self._error is None
                    and self._thread.is_alive()
                ):
                    self._room.wait(0.5)
                self._check()
                self._bytes += nbytes
                if self._bytes > self.peak_bytes:
                    self.peak_bytes = self._bytes
        self._put(item)

    def _taken(self, item: tuple[Any, ...]) -> None:
        """The worker took a block off the queue: its bytes make room."""
        if self.max_bytes is not None and item[0] == "rows":
            with self._room:
                self._bytes -= int(item[4].nbytes)
                self._room.notify_all()

    def _check(self) -> None:
        error = self._error
        if error is not None:  # every call raises once the worker failed
            raise BackendError(
                f"writing {self.domain} in the background failed: {type(error).__name__}: "
                f"{error}; {self._lost_rows} queued row(s) were not written"
            ) from error

    # -- worker thread -----------------------------------------------------------------
    def _coalesce(self, marks: int, unsent_bytes: int = 0) -> bool:
        """Whether to defer this flush mark into the next one: when more items already
        wait, they join this flush (one round of requests for several flush intervals), so
        a server slower than the flushes asked for gets fewer, larger flushes instead of
        holding up the acquisition. Bounded, so a flush is never deferred for long."""
        if self.max_bytes is not None and unsent_bytes >= self.max_bytes:
            return False
        return marks < 4 * self.max_pending and not self._queue.empty()

    def _run(self) -> None:
        join_rows = self._join_rows
        file = self._file
        if file is None:
            assert self._open_file is not None
            try:
                file = self._file = self._open_file()
            except BaseException as exc:  # raised by the next call
                self._error = exc
        arrays: dict[str, LibraryHandle] = {}
        rows: dict[str, int] = {}
        axes: set[str] = set()
        changed: set[str] = set()  # enlargeable arrays whose ``shape`` is to be written
        dirty = False  # values handed to h5pyd and not yet sent
        unsent = 0  # rows handed to h5pyd since the last flush that went through
        unsent_bytes = 0
        marks = 0  # flush marks deferred into the next flush

        def array(key: str) -> LibraryHandle:
            ds = arrays.get(key)
            if ds is None:
                ds = arrays[key] = file[key]
                rows[key] = int(ds.shape[0]) if ds.shape else 0
            return ds

        def send() -> None:
            file.flush()  # the rows first: ``shape`` never runs ahead of them
            for key in sorted(changed):
                ds = arrays[key]
                ds.attrs["shape"] = encode_json((rows[key], *ds.shape[1:]))
                if key in axes:
                    ds.attrs["size"] = encode_json(rows[key])
            file.flush()
            changed.clear()

        while True:
            item = self._queue.get()
            try:
                kind = item[0]
                if kind == _STOP:
                    break
                if kind == _FLUSH:
                    marks += 1
                if self._error is not None:
                    if kind == "rows":
                        self._lost_rows += len(item[4])
                    continue
                try:
                    if kind == "rows":
                        _, key, start, prefix, block, grow, is_axis = item
                        ds = array(key)
                        n = rows[key]
                        if start is None:
                            start = n
                        k = len(block)
                        end = start + k
                        if grow:
                            if end > n:
                                ds.resize(end, axis=0)
                                rows[key] = end
                            changed.add(key)
                            if is_axis:
                                axes.add(key)
                        # consecutive blocks join one update: one request per array
                        if join_rows is None or not join_rows(ds, start, block, prefix):
                            sel = (*prefix, slice(start, end))
                            ds[sel] = block
                        unsent += k
                        unsent_bytes += block.nbytes
                        dirty = True
                    elif kind == "truncate":
                        _, key, keep = item
                        ds = array(key)
                        if keep < rows[key]:
                            file.flush()  # pending rows past the cut would not fit after it
                            ds.resize(keep, axis=0)
                            rows[key] = keep
                            changed.add(key)
                            dirty = True
                    elif kind == _FLUSH and dirty and not self._coalesce(marks, unsent_bytes):
                        marks = 0
                        send()
                        dirty = False
                        unsent = unsent_bytes = 0
                except BaseException as exc:  # surfaced on the acquisition thread
                    self._error = exc
                    self._lost_rows += unsent + (len(item[4]) if kind == "rows" else 0)
            finally:
                self._taken(item)
                self._queue.task_done()
        try:
            if self._error is None and dirty:  # flush marks deferred up to the stop
                send()
                unsent = 0
            if file is not None:
                file.close()
        except BaseException as exc:
            if self._error is None:
                self._error = exc
                self._lost_rows += unsent


def has_pending(file: LibraryHandle) -> bool:
    """Whether an h5pyd handle holds changes not yet sent to the server."""
    db = file.id.db
    return bool(
        db.new_objects
        or db.dirty_objects
        or db.deleted_objects
        or db.resized_datasets
        or any(db._dataset_updates.values())
    )


class BackgroundFlusher:
    """A saver's flushes on an HSDS domain, handed to a :class:`BackgroundWriter`.

    Made by ``H5pydBackend.background_flusher(file)`` for a writing saver's handle
    (``file``, the *main* handle). The two handles never write the same array: the arrays
    a saver registers as growing (enlargeable arrays, scan arrays) get their values (and
    ``shape``/``size``) from the worker only; everything else (groups, arrays created,
    attributes, logger lines) stays on the main handle, which is flushed on the
    acquisition thread only when it holds such changes (:meth:`publish`). An array still
    new on the main handle is published before its first block is queued, so the worker
    (which opens arrays by their HSDS id) always finds it on the server.
    """

    def __init__(self, file: LibraryHandle, writer: BackgroundWriter) -> None:
        self._file = file
        self._db = file.id.db
        self.writer = writer
        #: main-handle flushes made on the acquisition thread (structure, logger lines)
        self.publishes = 0

    @property
    def failed(self) -> bool:
        """Whether the worker failed (the next call raises)."""
        return self.writer.failed

    def check(self) -> None:
        """Raise the worker's error as ``BackendError``, if any."""
        self.writer.check()

    def publish(self) -> None:
        """Send the main handle's pending changes (one synchronous flush), if any."""
        if has_pending(self._file):
            self._file.flush()
            self.publishes += 1

    def write(
        self,
        raw: LibraryHandle,
        start: int,
        block: np.ndarray,
        prefix: tuple[int, ...] = (),
        grow: bool = False,
        is_axis: bool = False,
    ) -> None:
        """Queue ``block`` for ``raw`` (a dataset of the main handle); see
        :meth:`BackgroundWriter.write`."""
        uuid = raw.id.uuid
        if uuid in self._db.new_objects:  # not on the server yet: the worker could not open it
            self.publish()
        self.writer.write(uuid, start, block, prefix=prefix, grow=grow, is_axis=is_axis)

    def truncate(self, raw: LibraryHandle, rows: int) -> None:
        """Queue cutting ``raw`` back to ``rows`` rows."""
        self.writer.truncate(raw.id.uuid, rows)

    def settle(self, raw: LibraryHandle) -> None:
        """Make the main handle's view of ``raw`` that of the server, every queued block
        included (for a read through the main handle): publish, wait for the worker,
        refresh the array's metadata (shape, attributes)."""
        self.publish()
        self.writer.flush(wait=True)
        raw.refresh()

    def flush(self, wait: bool = False) -> None:
        """A saver's flush: the main handle's changes (when it has any), then a flush
        mark for the worker; returns without waiting for the worker unless ``wait``.
        Raises the worker's error first."""
        self.writer.check()
        self.publish()
        self.writer.flush(wait)

    def close(self) -> None:
        """Publish, wait until every queued block is on the server, close the worker's
        handle; raise the worker's error (the main handle stays open: the caller
        closes it)."""
        try:
            self.publish()
        finally:
            self.writer.close()
