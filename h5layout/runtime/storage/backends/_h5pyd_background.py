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
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from h5layout.runtime.codec.attrs import encode_json
from h5layout.runtime.errors import BackendError

_FLUSH = "flush"
_STOP = "stop"


class BackgroundWriter:
    """Appends blocks of rows to arrays of one domain from a worker thread.

    Made by ``H5pydBackend.background_writer``. ``file`` is the writer's own h5pyd handle
    of the domain (opened for it; this object owns and closes it); ``join_rows(array,
    index, rows)`` queues rows with those pending just before (one update per array), or
    returns False. The arrays appended to must be on the server (created and flushed by
    the acquisition's own handle) before their first block.

    At most ``max_pending`` items (blocks and flush marks) wait in the queue: a full
    queue makes :meth:`append` wait for the worker, so memory stays bounded when the
    server is slower than the acquisition.
    """

    def __init__(
        self,
        file: Any,
        *,
        max_pending: int = 16,
        join_rows: Callable[[Any, int, np.ndarray], bool] | None = None,
    ) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.domain = str(file.filename)
        self.max_pending = max_pending
        #: the most items the queue held at once (the bound is ``max_pending``)
        self.peak_pending = 0
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        self._lost_rows = 0
        self._closed = False
        self._file = file
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
        self._put(("rows", path, np.array(rows, copy=True), is_axis))

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

    def _check(self) -> None:
        error = self._error
        if error is not None:  # every call raises once the worker failed
            raise BackendError(
                f"writing {self.domain} in the background failed: {type(error).__name__}: "
                f"{error}; {self._lost_rows} queued row(s) were not written"
            ) from error

    # -- worker thread -----------------------------------------------------------------
    def _coalesce(self, marks: int) -> bool:
        """Whether to defer this flush mark into the next one: when more items already
        wait, they join this flush (one round of requests for several flush intervals), so
        a server slower than the flushes asked for gets fewer, larger flushes instead of
        holding up the acquisition. Bounded, so a flush is never deferred for long."""
        return marks < 4 * self.max_pending and not self._queue.empty()

    def _run(self) -> None:
        join_rows = self._join_rows
        file = self._file
        arrays: dict[str, Any] = {}
        rows: dict[str, int] = {}
        axes: set[str] = set()
        changed: set[str] = set()
        unsent = 0  # rows handed to h5pyd since the last flush that went through
        marks = 0  # flush marks deferred into the next flush

        def send() -> None:
            file.flush()  # the rows first: ``shape`` never runs ahead of them
            for path in sorted(changed):
                ds = arrays[path]
                ds.attrs["shape"] = encode_json((rows[path], *ds.shape[1:]))
                if path in axes:
                    ds.attrs["size"] = encode_json(rows[path])
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
                        self._lost_rows += len(item[2])
                    continue
                try:
                    if kind == "rows":
                        _, path, block, is_axis = item
                        ds = arrays.get(path)
                        if ds is None:
                            ds = arrays[path] = file[path]
                            rows[path] = int(ds.shape[0])
                        n = rows[path]
                        k = len(block)
                        ds.resize(n + k, axis=0)
                        # consecutive blocks join one update: one request per array
                        if join_rows is None or not join_rows(ds, n, block):
                            ds[n : n + k] = block
                        rows[path] = n + k
                        unsent += k
                        changed.add(path)
                        if is_axis:
                            axes.add(path)
                    elif kind == _FLUSH and changed and not self._coalesce(marks):
                        marks = 0
                        send()
                        unsent = 0
                except BaseException as exc:  # surfaced on the acquisition thread
                    self._error = exc
                    self._lost_rows += unsent + (len(item[2]) if kind == "rows" else 0)
            finally:
                self._queue.task_done()
        try:
            if self._error is None and changed:  # flush marks deferred up to the stop
                send()
                unsent = 0
            file.close()
        except BaseException as exc:
            if self._error is None:
                self._error = exc
                self._lost_rows += unsent
