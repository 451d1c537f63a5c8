"""The CLI on HSDS domains (issue 17): validate, inspect, plot, copy, repair, against the
loopback HSDS server the tests start (``tests/hsds_server.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import pytest

from h5layout.cli.main import main
from h5layout.runtime.check.domains import DomainURLError, parse_target

from ..conftest import assert_same


@pytest.fixture
def hs_env(hsds_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Credentials in the environment (never in the URL); the endpoint as a URL prefix."""
    monkeypatch.setenv("HS_USERNAME", hsds_server.username)
    monkeypatch.setenv("HS_PASSWORD", hsds_server.password)
    monkeypatch.setenv("HS_ENDPOINT", hsds_server.endpoint)
    from h5layout.runtime.storage.backends import get_backend

    yield "hsds://" + hsds_server.endpoint.split("://", 1)[1]
    get_backend("h5pyd").set_server()  # type: ignore[attr-defined]


def test_parse_target(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HS_USERNAME", "HS_PASSWORD", "HS_ENDPOINT"):
        monkeypatch.setenv(key, "")
    monkeypatch.chdir(Path(__file__).parent)  # no ./.hscfg
    monkeypatch.setenv("HOME", "/nonexistent")
    t = parse_target("hsds://127.0.0.1:5101/home/lab/run.h5")
    assert (t.location, t.backend, t.server) == (
        "/home/lab/run.h5",
        "h5pyd",
        {"endpoint": "http://127.0.0.1:5101"},
    )
    assert parse_target("hsdss://hs.example.org/a/b.h5").server == {
        "endpoint": "https://hs.example.org"
    }
    assert parse_target("run.h5").backend == "h5py"
    assert parse_target("/home/lab/run.h5", "h5pyd").is_domain
    monkeypatch.setenv("HS_USERNAME", "lab")
    monkeypatch.setenv("HS_PASSWORD", "pw")
    monkeypatch.setenv("HS_ENDPOINT", "http://127.0.0.1:1")
    assert parse_target("/home/lab/run.h5", "h5pyd").server == {
        "endpoint": "http://127.0.0.1:1",
        "username": "lab",
        "password": "pw",
    }
    assert parse_target("hsds://h:2/a/b.h5").server["endpoint"] == "http://h:2"
    assert "pw" not in repr(parse_target("hsds://h:2/a/b.h5"))
    for bad in (
        "hsds://admin:secret@127.0.0.1:5101/home/run.h5",
        "hsds://admin@127.0.0.1:5101/home/run.h5",
        "hsds://127.0.0.1:5101/",
        "hsds://127.0.0.1:5101/home/folder/",
        "hsds://127.0.0.1:99999/home/run.h5",
        "hsds:///home/run.h5",
    ):
        with pytest.raises(DomainURLError) as err:
            parse_target(bad)
        assert "secret" not in str(err.value)
    with pytest.raises(DomainURLError):
        parse_target("run.h5", "h5pyd")  # a bare domain path must be absolute
    with pytest.raises(DomainURLError):
        parse_target("hsds://h:1/a/b.h5", "tables")


def test_cli_refuses_credentials_in_urls(capsys: pytest.CaptureFixture[str]) -> None:
    url = "hsds://admin:secret@127.0.0.1:5101/home/run.h5"
    for argv in (["validate", url], ["inspect", url], ["copy", url, "x.h5"], ["repair", url]):
        assert main(argv) == 2, argv
        assert "secret" not in capsys.readouterr().err


def test_copy_validate_inspect_plot_on_a_domain(
    golden_dir: Path,
    hs_env: str,
    hsds_domain: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """local → domain → local with the CLI: equal node by node, validated after each copy;
    validate/inspect give the same findings and documents as on the local file."""
    src = golden_dir / "scan2d_h5py.h5"
    url = hs_env + hsds_domain
    assert main(["copy", str(src), url, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "(h5pyd)" in out and "the copy is valid" in out
    assert main(["copy", str(src), url, "--no-progress"]) == 2  # exists
    assert "--force" in capsys.readouterr().err
    back = tmp_path / "back.h5"
    assert main(["copy", url, str(back), "--no-progress"]) == 0
    assert "the copy is valid" in capsys.readouterr().out
    assert_same(src, back)

    # validate: same report as the local file, in every format, by URL or bare domain path
    for fmt in ("json", "text"):
        assert main(["validate", str(src), "--format", fmt]) == 0
        local = capsys.readouterr().out
        assert main(["validate", url, "--format", fmt]) == 0
        remote = capsys.readouterr().out
        assert main(["validate", hsds_domain, "--backend", "h5pyd", "--format", fmt]) == 0
        bare = capsys.readouterr().out
        assert remote.replace(url, str(src)) == local
        assert bare.replace(hsds_domain, str(src)) == local

    # inspect: the same JSON document apart from the file and backend
    assert main(["inspect", str(src), "--json"]) == 0
    local_doc = json.loads(capsys.readouterr().out)
    assert main(["inspect", url, "--json"]) == 0
    remote_doc = json.loads(capsys.readouterr().out)
    assert remote_doc["file"] == url and remote_doc["backend"] == "h5pyd"
    assert remote_doc["tree"] == local_doc["tree"] and remote_doc["layout"] == local_doc["layout"]
    assert main(["inspect", str(src), "--color", "never"]) == 0
    local_text = capsys.readouterr().out.splitlines()
    assert main(["inspect", hsds_domain, "--backend", "h5pyd", "--color", "never"]) == 0
    remote_text = capsys.readouterr().out.splitlines()
    assert remote_text[0].startswith(f"{hsds_domain} (h5pyd)")
    assert remote_text[1:] == local_text[1:]

    pytest.importorskip("matplotlib")
    node = "/RawData/Scan000/Detector000/Data0D/CH00/Data00"
    png = tmp_path / "p.png"
    assert main(["plot", url, node, "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # repair refuses domains with the reason and the way round it
    assert main(["repair", url]) == 2
    assert "local copy" in capsys.readouterr().err


def test_validate_finds_errors_in_a_domain(
    golden_dir: Path, hs_env: str, hsds_domain: str, tmp_path: Path, capsys: Any
) -> None:
    """A broken file copied into a domain gets the same findings and exit code there."""
    broken = tmp_path / "broken.h5"
    broken.write_bytes((golden_dir / "scan2d_h5py.h5").read_bytes())
    with h5py.File(broken, "r+") as f:
        del f["RawData/Scan000"].attrs["type"]
    url = hs_env + hsds_domain
    assert main(["copy", str(broken), url, "--no-progress"]) == 1  # copied, not valid
    capsys.readouterr()
    assert main(["validate", str(broken), "--format", "json"]) == 1
    local = json.loads(capsys.readouterr().out)
    assert main(["validate", url, "--format", "json"]) == 1
    remote = json.loads(capsys.readouterr().out)
    assert remote["files"][0]["findings"] == local["files"][0]["findings"]
    assert remote["files"][0]["findings"]
    missing = hs_env + hsds_domain.replace(".h5", "_none.h5")
    assert main(["validate", missing]) == 2
    assert main(["inspect", missing]) == 2


def test_failed_copy_into_a_domain_is_removed(
    golden_dir: Path, hs_env: str, hsds_domain: str
) -> None:
    """A copy that fails half-way (here: interrupted by its progress callback after the
    first array block) leaves no domain behind."""
    from h5layout.runtime.check.domains import backend_for, exists
    from h5layout.runtime.errors import CopyError
    from h5layout.runtime.tools.copy import copy_file

    target = parse_target(hs_env + hsds_domain)
    backend_for(target)

    def interrupt(done: int, total: int) -> None:
        if done:
            raise RuntimeError("connection lost")

    with pytest.raises(CopyError, match="connection lost"):
        copy_file(
            golden_dir / "scan2d_h5py.h5",
            target.location,
            backend="h5pyd",
            block_bytes=64,
            progress=interrupt,
        )
    assert not exists(target)


def test_copy_into_a_domain_streams_in_bounded_memory(
    hs_env: str, hsds_domain: str, tmp_path: Path
) -> None:
    """A file 16× the block size goes up and down with memory bounded by a few blocks
    (h5pyd would otherwise keep every written block until its 128 MiB auto-flush)."""
    import tracemalloc

    import numpy as np

    from h5layout.runtime.check.domains import backend_for
    from h5layout.runtime.tools.copy import copy_file

    backend_for(parse_target(hs_env + hsds_domain))
    src = tmp_path / "big.h5"
    rows = np.arange(2_000_000, dtype=np.float64).reshape(-1, 1000)  # 16 MB
    with h5py.File(src, "w") as f:
        f.create_dataset("fixed", data=rows, chunks=(100, 1000))
    del rows
    back = tmp_path / "back.h5"
    peaks = []
    for args, kw in (
        ((src, hsds_domain), {"backend": "h5pyd"}),
        ((hsds_domain, back), {"source_backend": "h5pyd"}),
    ):
        tracemalloc.start()
        try:
            result = copy_file(*args, block_bytes=1_000_000, **kw)  # type: ignore[arg-type]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert result.bytes == 16_000_000
        peaks.append(peak)
    print("copy peaks (bytes):", peaks)
    assert max(peaks) < 8_000_000, peaks  # half the file: blocks are not all kept
    # no layout declares chunks here, and HSDS picks its own chunk shape for the domain
    assert_same(src, back, chunks=False)
