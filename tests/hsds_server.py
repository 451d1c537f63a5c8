"""An HSDS server on loopback for the h5pyd backend's tests, and its pytest fixtures.

One service node (SN) listens on a free TCP port of 127.0.0.1; the data node (DN) listens
on a unix socket, so the server opens no other port. Each node is a child of pytest
(``hsds.node_runner`` run with ``aiohttp.web.run_app`` bound to 127.0.0.1), started with a
whitelisted environment (HSDS reads any upper-case variable named like one of its settings,
so a stray ``TIMEOUT`` or ``LOG_LEVEL`` would reconfigure it) and with ``PR_SET_PDEATHSIG``
so the nodes die with pytest even when pytest itself is killed.

Fixtures: ``hsds_server`` (one server per session, skipped when hsds or h5pyd is not
installed, failing with the server's log tail when it does not start), ``hsds_domain`` (a
unique domain name per test in the server's test folder), ``hsds_folder`` (a new folder
per test), ``h5pyd_server`` (the server set as the h5pyd backend's default) and
``hsds_server_4dn`` (a server with four data nodes, per module).
"""

from __future__ import annotations

import ctypes
import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: the admin user the tests use (only an admin may create top-level folders)
USERNAME = "admin"
PASSWORD = "admin"
#: the folder every test domain goes to
TEST_FOLDER = "/h5layout_tests/"
BUCKET = "hsdstest"
#: seconds to wait for the server to be ready, and for a node to stop after SIGTERM
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
#: AF_UNIX paths are limited to about 108 bytes; keep a margin for the socket names
_MAX_SOCKET_DIR = 90

#: settings passed to every node through the environment
HSDS_SETTINGS = {
    # never write the consolidated domain summary: h5pyd caches it on open without ever
    # invalidating it, so a reopened domain would show stale shapes and attributes
    "SCAN_WAIT_TIME": "1000000000",
    # the garbage collector runs every second, so a stop after deletes stays fast
    "GC_SLEEP_TIME": "1",
    # a data node writes changes to storage at its next sync (1 s), not 1 s after the last
    # change: reopening a domain for writing waits for that (HSDS's flush on open)
    "S3_AGE_TIME": "0",
    # small caches: test data are tiny and each node otherwise reserves 256 MB
    "METADATA_MEM_CACHE_SIZE": "32m",
    "CHUNK_MEM_CACHE_SIZE": "32m",
}
#: the only variables of pytest's environment the nodes inherit
_ENV_WHITELIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")

#: run in each node: bind TCP listeners to loopback (HSDS binds every interface), then
#: run the node as the ``hsds-node`` command does
_NODE_SHIM = """
import aiohttp.web as web
_run_app = web.run_app
def _loopback_run_app(app, *args, **kwargs):
    if kwargs.get("sock") is None:
        kwargs["host"] = "127.0.0.1"
    return _run_app(app, *args, **kwargs)
web.run_app = _loopback_run_app
from hsds.node_runner import main
main()
"""

_PR_SET_PDEATHSIG = 1


def hsds_missing() -> str | None:
    """Why the HSDS tests cannot run here (None when hsds and h5pyd are importable)."""
    missing = [m for m in ("hsds", "h5pyd") if importlib.util.find_spec(m) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not installed (pip install 'h5layout[test]' on "
            "Python 3.11+ installs hsds and h5pyd)"
        )
    return None


@dataclass
class HsdsServer:
    """A running server: where to reach it and how to stop it."""

    endpoint: str
    username: str
    password: str
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]
    socket_dir: Path
    root_dir: Path
    startup_s: float = 0.0
    #: a temporary socket directory to remove at stop (when the base path was too long)
    own_socket_dir: bool = False

    @property
    def pids(self) -> list[int]:
        """Process ids of the nodes."""
        return [p.pid for p in self.processes]

    @property
    def h5pyd_kwargs(self) -> dict[str, str]:
        """``endpoint``/``username``/``password`` for ``h5pyd.File`` and h5layout's open."""
        return {"endpoint": self.endpoint, "username": self.username, "password": self.password}

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of every node's log."""
        out = []
        for log in self.logs:
            try:
                text = log.read_text(errors="replace").splitlines()[-lines:]
            except OSError as exc:
                text = [f"(cannot read: {exc})"]
            out.append(f"--- {log.name} ---")
            out.extend(text)
        return "\n".join(out)


class HsdsStartError(RuntimeError):
    """The server did not become ready (the message holds its log tail)."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask the kernel to SIGTERM this process when its parent (pytest) dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _socket_url(path: Path) -> str:
    """``http+unix://`` URL of a socket path, as HSDS expects it (slashes escaped)."""
    return "http+unix://" + str(path).replace("/", "%2F")


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket (to ask a data node whether it is up)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except BaseException:
            sock.close()  # a node not up yet: no socket left for the GC to warn about
            raise
        self.sock = sock


def _get_json(conn: http.client.HTTPConnection, path: str) -> dict[str, Any] | None:
    """JSON of ``GET path`` (None when the node does not answer 200 yet)."""
    try:
        conn.request("GET", path)
        rsp = conn.getresponse()
        body = rsp.read()
        if rsp.status != 200:
            return None
        data = json.loads(body)
        return data if isinstance(data, dict) else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


def _node_env() -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_WHITELIST if k in os.environ}
    env.update(HSDS_SETTINGS)
    return env


def start_hsds(base_dir: Path, *, dn_count: int = 1, python: str | None = None) -> HsdsServer:
    """Start an SN and ``dn_count`` DNs storing under ``base_dir``; wait until ready.

    Raises :class:`HsdsStartError` (with the nodes' log tail) when the server does not
    become ready within ``START_TIMEOUT`` seconds or a node exits; nothing is left running.
    The free port is picked before the SN binds it: when another process took it in
    between, the start is tried again (three times in all) on another port.
    """
    for attempt in range(3):
        try:
            return _start_once(base_dir / f"try{attempt}", dn_count=dn_count, python=python)
        except HsdsStartError as exc:
            if "address already in use" not in str(exc).lower() or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _start_once(base_dir: Path, *, dn_count: int, python: str | None) -> HsdsServer:
    base_dir.mkdir(parents=True, exist_ok=True)
    root_dir = base_dir / "data"
    (root_dir / BUCKET).mkdir(parents=True, exist_ok=True)
    log_dir = base_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    socket_dir = base_dir / "sock"
    own_socket_dir = len(str(socket_dir)) > _MAX_SOCKET_DIR
    if own_socket_dir:
        socket_dir = Path(tempfile.mkdtemp(prefix="hsds.", dir="/tmp"))
    else:
        socket_dir.mkdir(exist_ok=True)
    dn_sockets = [socket_dir / f"dn_{i + 1}.sock" for i in range(dn_count)]
    dn_urls = ",".join(_socket_url(p) for p in dn_sockets)
    exe = python or sys.executable
    env = _node_env()
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    common = [
        "--standalone",
        f"--dn_urls={dn_urls}",
        f"--hsds_endpoint={endpoint}",
        f"--root_dir={root_dir}",
        f"--bucket_name={BUCKET}",
        "--log_level=WARNING",
    ]
    commands: list[tuple[str, list[str]]] = [
        (
            "sn",
            [
                "--node_type=sn",
                "--log_prefix=sn ",
                f"--sn_url={endpoint}",
                f"--hs_username={USERNAME}",
                f"--hs_password={PASSWORD}",
                f"--admin_user={USERNAME}",
                "--password_file=",
                *common,
            ],
        )
    ]
    for i in range(dn_count):
        commands.append(
            (
                f"dn{i + 1}",
                [
                    "--node_type=dn",
                    f"--log_prefix=dn{i + 1} ",
                    f"--node_number={i}",
                    *common,
                ],
            )
        )
    server = HsdsServer(
        endpoint=endpoint,
        username=USERNAME,
        password=PASSWORD,
        processes=[],
        logs=[],
        socket_dir=socket_dir,
        root_dir=root_dir,
        own_socket_dir=own_socket_dir,
    )
    t0 = time.perf_counter()
    try:
        for name, args in commands:
            log = log_dir / f"{name}.log"
            server.logs.append(log)
            with open(log, "wb") as fh:
                server.processes.append(
                    subprocess.Popen(
                        [exe, "-c", _NODE_SHIM, *args],
                        stdin=subprocess.DEVNULL,
                        stdout=fh,
                        stderr=subprocess.STDOUT,
                        env=env,
                        cwd=base_dir,
                        preexec_fn=_die_with_parent,
                        start_new_session=True,  # a Ctrl-C reaches pytest, which stops us
                    )
                )
        _wait_ready(server, port, dn_sockets)
    except BaseException:
        stop_hsds(server)
        raise
    server.startup_s = time.perf_counter() - t0
    return server


def _wait_ready(server: HsdsServer, port: int, dn_sockets: list[Path]) -> None:
    """Poll the SN's ``/about`` (state READY) and every DN's ``/info`` until they answer."""
    deadline = time.monotonic() + START_TIMEOUT
    dn_up = [False] * len(dn_sockets)
    while True:
        for proc in server.processes:
            if proc.poll() is not None:
                raise HsdsStartError(
                    f"HSDS node {proc.pid} exited with code {proc.returncode} while "
                    f"starting\n{server.log_tail()}"
                )
        for i, path in enumerate(dn_sockets):
            if not dn_up[i] and path.exists():
                dn_up[i] = _get_json(_UnixHTTPConnection(str(path), 2.0), "/info") is not None
        if all(dn_up):
            about = _get_json(http.client.HTTPConnection("127.0.0.1", port, timeout=2.0), "/about")
            if about is not None and about.get("state") == "READY":
                return
        if time.monotonic() > deadline:
            raise HsdsStartError(
                f"HSDS was not ready after {START_TIMEOUT:.0f} s\n{server.log_tail()}"
            )
        time.sleep(0.05)


def stop_hsds(server: HsdsServer) -> None:
    """SIGTERM every node (they write pending data out), SIGKILL those still up after 10 s."""
    for proc in server.processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in server.processes:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if server.own_socket_dir:
        for path in server.socket_dir.glob("*.sock"):
            path.unlink(missing_ok=True)
        try:
            server.socket_dir.rmdir()
        except OSError:
            pass


def create_folder(server: HsdsServer, folder: str) -> None:
    """Create a folder (as admin: only an admin may create top-level folders)."""
    import h5pyd

    h5pyd.Folder(folder, mode="w", **server.h5pyd_kwargs).close()


# -- pytest fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hsds_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HsdsServer]:
    """One HSDS server for the whole session, with the test folder created.

    Skips when hsds or h5pyd is not installed; fails (with the server's log tail) when
    they are installed but the server does not start.
    """
    why = hsds_missing()
    if why is not None:
        pytest.skip(why)
    try:
        server = start_hsds(tmp_path_factory.mktemp("hsds"))
    except HsdsStartError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        create_folder(server, TEST_FOLDER)
        yield server
    finally:
        stop_hsds(server)


@pytest.fixture(scope="module")
def hsds_server_4dn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HsdsServer]:
    """A second server with four data nodes (one per module that asks for it): HSDS
    spreads a domain's chunks and objects over its data nodes by hash."""
    why = hsds_missing()
    if why is not None:
        pytest.skip(why)
    try:
        server = start_hsds(tmp_path_factory.mktemp("hsds4"), dn_count=4)
    except HsdsStartError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        create_folder(server, TEST_FOLDER)
        yield server
    finally:
        stop_hsds(server)


@pytest.fixture
def hsds_domain(hsds_server: HsdsServer, request: pytest.FixtureRequest) -> str:
    """A domain name no other test uses (the domain itself is not created)."""
    stem = "".join(c if c.isalnum() else "_" for c in request.node.name)[:40]
    return f"{TEST_FOLDER}{stem}_{uuid.uuid4().hex[:8]}.h5"


@pytest.fixture
def hsds_folder(hsds_server: HsdsServer, request: pytest.FixtureRequest) -> Path:
    """A new folder of its own for a test, as a ``Path`` (``folder / "f.h5"`` is a domain)."""
    stem = "".join(c if c.isalnum() else "_" for c in request.node.name)[:40]
    folder = f"{TEST_FOLDER}{stem}_{uuid.uuid4().hex[:8]}/"
    create_folder(hsds_server, folder)
    return Path(folder)


@pytest.fixture
def h5pyd_server(hsds_server: HsdsServer) -> Iterator[HsdsServer]:
    """The test server as the h5pyd backend's default, for opens that name no server
    (savers and loaders open domains without connection arguments)."""
    from h5layout.runtime.storage.backends import get_backend

    backend = get_backend("h5pyd")
    backend.set_server(**hsds_server.h5pyd_kwargs)  # type: ignore[attr-defined]
    yield hsds_server
    backend.set_server()  # type: ignore[attr-defined]
