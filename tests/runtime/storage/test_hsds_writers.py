"""Several acquisition PCs on one HSDS service (issue 17): 2 and 4 writer processes, each
logging through the generated pymodaq savers into its own domain, and a reader process
following one of them and seeing each of its flushes; against 1 and 4 data nodes.

The writers and the reader are ``python -m bench.hsds_workers`` processes (the same the
benchmark runs). Writer 0 runs in lock step with the test: after each flush it waits
until the reader has seen the flushed rows (values checked by the reader); the others
write freely at the same time. Bounded: a few seconds per case.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import h5py  # noqa: F401  (the workers need it; fail here rather than in a child)
import numpy as np
import pytest

from bench.hsds_workers import DATA_PATH

from ...hsds_server import TEST_FOLDER, HsdsServer

pytest.importorskip("h5pyd")

ROOT = Path(__file__).resolve().parents[3]
POINTS, FLUSH_EVERY = 30, 10


def _spawn(server: HsdsServer, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HS_ENDPOINT": server.endpoint,
        "HS_USERNAME": server.username,
        "HS_PASSWORD": server.password,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bench.hsds_workers", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=30)
        assert proc.stderr is not None
        pytest.fail(f"worker exited ({proc.returncode}): {proc.stderr.read()[-2000:]}")
    return line.strip()


def _send(proc: subprocess.Popen[str], text: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(text + "\n")
    proc.stdin.flush()


@pytest.fixture(params=[1, 4], ids=["1dn", "4dn"])
def server(request: pytest.FixtureRequest) -> Any:
    name = "hsds_server" if request.param == 1 else "hsds_server_4dn"
    return request.getfixturevalue(name)


@pytest.mark.parametrize("writers", [2, 4])
def test_writers_in_parallel_and_a_reader_following_one(server: HsdsServer, writers: int) -> None:
    _writers_and_a_reader(server, writers)


def test_background_writers_and_a_reader_following_one(hsds_server: HsdsServer) -> None:
    """The same with the savers' background writer: the lead's ``flush(wait=True)``
    returns once the reader can see the rows."""
    _writers_and_a_reader(hsds_server, 2, "--background")


def _writers_and_a_reader(server: HsdsServer, writers: int, *options: str) -> None:
    import h5pyd

    tag = uuid.uuid4().hex[:8]
    domains = [f"{TEST_FOLDER}multi_{tag}_{i}.h5" for i in range(writers)]
    common = ("--points", str(POINTS), "--flush-every", str(FLUSH_EVERY), *options)
    procs = [_spawn(server, "writer", d, *common) for d in domains[1:]]
    lead = _spawn(server, "writer", domains[0], *common, "--lockstep")
    reader = _spawn(server, "reader", domains[0])
    try:
        seen = []
        for _ in range(POINTS // FLUSH_EVERY):
            flushed = _line(lead)
            assert flushed.startswith("flushed ")
            n = int(flushed.split()[1])
            # the flush returned once the rows were on the server: a new handle sees them
            # at once (the reader below polls, and measures the lag)
            with h5pyd.File(domains[0], "r", **server.h5pyd_kwargs) as f:
                assert f[DATA_PATH].shape[0] >= n
            _send(reader, f"expect {n}")
            answer = _line(reader)
            assert answer.split()[:2] == ["saw", str(n)], answer
            seen.append(n)
            _send(lead, "go")
        assert seen == [10, 20, 30]
        for p in [lead, *procs]:
            assert _line(p).startswith(f"done {POINTS} ")
            assert p.wait(timeout=30) == 0
        _send(reader, "stop")
        assert reader.wait(timeout=30) == 0
    finally:
        for p in [lead, reader, *procs]:
            if p.poll() is None:
                p.kill()
                p.wait()
            for pipe in (p.stdin, p.stdout, p.stderr):
                if pipe is not None:
                    pipe.close()
    # every writer's domain holds all its points, nothing mixed between domains
    path = "/RawData/Detector000/Data1D/CH00/EnlData00"
    for d in domains:
        with h5pyd.File(d, "r", **server.h5pyd_kwargs) as f:
            data = f[path][...]
            assert data.shape == (POINTS, 256)
            np.testing.assert_array_equal(data[:, 0], np.arange(POINTS, dtype=float))
