"""HSDS's 503 (busy) answers to POSTs retried on h5pyd's own HTTP session."""

from __future__ import annotations

from h5layout.runtime.storage.backends._base import LibraryHandle

#: how often a request HSDS turned away as busy (503) is sent again, and the first wait
BUSY_RETRIES = 6
BUSY_BACKOFF_S = 0.1


def retry_busy_posts(http_conn: LibraryHandle) -> None:
    """Send a POST again when HSDS answers 503 (busy), as h5pyd already does for the
    other methods.

    A service node turns requests away with 503 when more than ``max_task_count`` are in
    flight (several writers flushing at once do that); h5pyd retries GET/PUT/DELETE then,
    but not POST (urllib3 never retries POST by default), and its flush of new groups and
    arrays is a POST: the flush failed, and h5pyd's pending state is then partly consumed
    (small arrays' values are moved into the failed request), so retrying the whole flush
    is not safe. Retrying the refused request itself is: the server did not run it.
    """
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class BusyRetry(Retry):
        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            if method.upper() == "POST":
                return status_code == 503 and bool(self.total)
            return bool(super().is_retry(method, status_code, has_retry_after))

    http_conn.open()
    session = getattr(http_conn, "_s", None)
    if session is None or not hasattr(session, "mount"):
        return
    retry = BusyRetry(
        total=BUSY_RETRIES,
        read=BUSY_RETRIES,
        connect=BUSY_RETRIES,
        backoff_factor=BUSY_BACKOFF_S,
        status_forcelist=(500, 502, 503, 504),
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=16, pool_maxsize=16)
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)
