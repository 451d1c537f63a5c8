"""The h5pyd backend's background writer (issue 17, flush without stalling acquisition),
against the real loopback HSDS server: values complete and in order, bookkeeping written
after the rows, errors of the server surfaced, the queue bound respected."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from h5layout.runtime.errors import BackendError

from ...hsds_server import HsdsServer

h5pyd = pytest.importorskip("h5pyd")

SIGNAL = 16


def _create(server: HsdsServer, domain: str) -> None:
    with h5pyd.File(domain, "w", **server.h5pyd_kwargs) as f:
        f.create_dataset(
            "data", (0, SIGNAL), maxshape=(None, SIGNAL), dtype="f8", chunks=(64, SIGNAL)
        )
        f.create_dataset("axis", (0,), maxshape=(None,), dtype="f8", chunks=(1024,))


def _writer(server: HsdsServer, domain: str, **kw: Any) -> Any:
    from h5layout.runtime.storage.backends import get_backend

    backend = get_backend("h5pyd")
    return backend.background_writer(domain, **server.h5pyd_kwargs, **kw)  # type: ignore[attr-defined]


def _envelope(value: Any) -> Any:
    return json.loads(value)["data"]


def test_rows_complete_in_order_after_close(hsds_server: HsdsServer, hsds_domain: str) -> None:
    _create(hsds_server, hsds_domain)
    block = np.empty((10, SIGNAL))  # one reused buffer, as a saver's row buffer
    axis = np.empty(10)
    writer = _writer(hsds_server, hsds_domain, max_pending=3)
    for b in range(12):
        block[:] = np.arange(b * 10, b * 10 + 10)[:, None] + np.arange(SIGNAL) / 100
        axis[:] = np.arange(b * 10, b * 10 + 10)
        writer.append("/data", block)
        writer.append("/axis", axis, is_axis=True)
        writer.flush()
    writer.append("/axis", np.array([120.0]), is_axis=True)  # queued, never flush-marked
    writer.close()
    assert writer.peak_pending <= 3
    with h5pyd.File(hsds_domain, "r", **hsds_server.h5pyd_kwargs) as f:
        data = f["data"][...]
        np.testing.assert_array_equal(data, np.arange(120)[:, None] + np.arange(SIGNAL) / 100)
        np.testing.assert_array_equal(f["axis"][...], np.arange(121, dtype=float))
        assert _envelope(f["data"].attrs["shape"]) == "(120, 16)"
        assert _envelope(f["axis"].attrs["shape"]) == "(121,)"
        assert _envelope(f["axis"].attrs["size"]) == "121"


def test_flush_wait_makes_rows_visible(hsds_server: HsdsServer, hsds_domain: str) -> None:
    _create(hsds_server, hsds_domain)
    with _writer(hsds_server, hsds_domain, max_pending=1) as writer:
        writer.append("/axis", np.arange(5.0))
        writer.flush(wait=True)
        assert writer.peak_pending == 1
        with h5pyd.File(hsds_domain, "r", **hsds_server.h5pyd_kwargs) as f:
            np.testing.assert_array_equal(f["axis"][...], np.arange(5.0))
            assert _envelope(f["axis"].attrs["shape"]) == "(5,)"
    with pytest.raises(BackendError, match="closed"):
        writer.append("/axis", np.arange(3.0))


def test_server_error_surfaced_at_next_call_and_at_close(
    hsds_server: HsdsServer, hsds_domain: str
) -> None:
    _create(hsds_server, hsds_domain)
    writer = _writer(hsds_server, hsds_domain)
    writer.append("/axis", np.arange(3.0))
    writer.flush(wait=True)
    # the domain goes away under the writer: its next flush gets an HTTP error (410)
    folder, name = hsds_domain.rsplit("/", 1)
    with h5pyd.Folder(folder + "/", mode="a", **hsds_server.h5pyd_kwargs) as parent:
        del parent[name]
    writer.append("/axis", np.arange(3.0, 6.0))
    writer.append("/axis", np.arange(6.0, 9.0))
    with pytest.raises(BackendError, match=r"in the background failed: .*410.*6 queued row"):
        writer.flush(wait=True)
    with pytest.raises(BackendError, match="410"):  # every later call too
        writer.append("/axis", np.arange(3.0))
    with pytest.raises(BackendError, match="6 queued row"):
        writer.close()


def test_missing_array_surfaced(hsds_server: HsdsServer, hsds_domain: str) -> None:
    _create(hsds_server, hsds_domain)
    writer = _writer(hsds_server, hsds_domain)
    writer.append("/nope", np.arange(3.0))
    with pytest.raises(BackendError, match="3 queued row"):
        writer.flush(wait=True)
    with pytest.raises(BackendError, match="3 queued row"):
        writer.close()


def test_reader_sees_whole_flushed_blocks(hsds_server: HsdsServer, hsds_domain: str) -> None:
    _create(hsds_server, hsds_domain)
    seen = set()
    with _writer(hsds_server, hsds_domain, max_pending=4) as writer:
        for b in range(8):
            writer.append("/axis", np.arange(b * 7, b * 7 + 7, dtype=float))
            writer.flush()
            with h5pyd.File(hsds_domain, "r", **hsds_server.h5pyd_kwargs) as f:
                ds = f["axis"]
                if "shape" not in ds.attrs:
                    continue
                (rows,) = _shape_of(ds.attrs["shape"])
                assert rows % 7 == 0  # whole blocks only
                assert ds.shape[0] >= rows  # the rows are there before ``shape`` says so
                np.testing.assert_array_equal(_first_rows(ds, rows), np.arange(rows, dtype=float))
                seen.add(rows)
    assert seen  # the reader saw at least one flushed state


def _shape_of(value: Any) -> tuple[int, ...]:
    """``(n,)`` from the JSON envelope of a shape tuple."""
    text = _envelope(value).strip("()")
    return tuple(int(x) for x in text.split(",") if x.strip())


def _first_rows(ds: Any, rows: int) -> Any:
    """``ds[:rows]``, also when the writer grew the array after this handle read its shape:
    h5pyd sends a selection covering the whole shape it knows as "everything", and the
    server answers with its larger array (ValueError: cannot reshape). The shape is then
    read again (it holds ``rows`` and more) and the read repeated."""
    try:
        return ds[:rows]
    except ValueError:
        ds.refresh()
        return ds[:rows]
