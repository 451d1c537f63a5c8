"""The h5pyd backend sends a POST again when the server answers 503 (busy), as h5pyd does
for the other methods (issue 17, several writers on one service).

HSDS answers 503 when more requests are in flight than its ``max_task_count``, which a test
cannot provoke reliably on a loaded machine; the retry is tested instead against a tiny
HTTP server on a real loopback socket that answers ``503`` a given number of times and then
``200``, through h5pyd's own connection object."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("h5pyd")

from h5pyd.httpconn import HttpConn

from h5layout.runtime.storage.backends import _h5pyd


class _Busy(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first ``busy`` POSTs, then 201 with a JSON body."""

    busy = 0
    posts: list[str] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        type(self).posts.append(self.path)
        if len(type(self).posts) <= type(self).busy:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"id": "g-1"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def busy_server() -> Iterator[tuple[str, type[_Busy]]]:
    handler = type("Handler", (_Busy,), {"busy": 0, "posts": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _conn(endpoint: str) -> Any:
    return HttpConn("/home/test/busy.h5", endpoint=endpoint, username="u", password="p")


@pytest.mark.parametrize("busy", [1, 3])
def test_post_answered_busy_is_sent_again(
    busy_server: tuple[str, type[_Busy]], busy: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, handler = busy_server
    handler.busy = busy
    monkeypatch.setattr(_h5pyd, "_BUSY_BACKOFF_S", 0.001)  # the test need not wait
    conn = _conn(endpoint)
    _h5pyd._retry_busy_posts(conn)
    rsp = conn.POST("/groups", body={})
    assert rsp.status_code == 201
    assert len(handler.posts) == busy + 1  # refused ones, then the one that went through
    conn.close()


def test_h5pyd_alone_does_not_retry_a_busy_post(busy_server: tuple[str, type[_Busy]]) -> None:
    """Why the backend retries: h5pyd's own session gives up on a POST answered 503."""
    endpoint, handler = busy_server
    handler.busy = 1
    conn = _conn(endpoint)
    conn.open()
    rsp = conn.POST("/groups", body={})
    assert rsp.status_code == 503
    assert len(handler.posts) == 1
    conn.close()


def test_retries_are_bounded(
    busy_server: tuple[str, type[_Busy]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server busy for longer than the retries: the 503 reaches the caller."""
    endpoint, handler = busy_server
    handler.busy = 100
    monkeypatch.setattr(_h5pyd, "_BUSY_BACKOFF_S", 0.001)
    conn = _conn(endpoint)
    _h5pyd._retry_busy_posts(conn)
    rsp = conn.POST("/groups", body={})
    assert rsp.status_code == 503  # h5pyd then raises it as an OSError of the request
    assert len(handler.posts) == _h5pyd._BUSY_RETRIES + 1
    conn.close()
