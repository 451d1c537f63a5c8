"""Walks end on any file: hard-link cycles, soft-link loops, 1,000 levels of nesting."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.storage.h5backend import H5Backend

BACKENDS = ["h5py", "tables"]


def _pymodaq_file(path: Path) -> Path:
    from h5layout.pymodaq import DataToExportSaver, H5SaverLowLevel
    from h5layout.runtime.model.data import DataRaw, DataToExport

    h5 = H5SaverLowLevel(save_type="custom", backend="h5py")
    h5.init_file(file_name=path, new_file=True)
    saver = DataToExportSaver(h5)
    saver.add_data("/RawData", DataToExport("d", data=[DataRaw("det", data=[np.array([1.0])])]))
    h5.close_file()
    return path


def _cycle(path: Path) -> Path:
    with h5py.File(path, "w") as f:
        b = f.create_group("a/b")
        b["loop"] = f["a"]  # a group linked under its own descendant
        b["d"] = np.arange(2)
        f["a/b/c/up"] = f["/"]
        f["soft_up"] = h5py.SoftLink("/a")
        f["loop1"] = h5py.SoftLink("/loop2")
        f["loop2"] = h5py.SoftLink("/loop1")
    return path


# In a child process: a walk that did not end would hang or eat the memory.
_WALK = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("ignore")
    from h5layout.runtime.tools.browsing import H5BrowserUtil
    h5 = H5BrowserUtil(sys.argv[1])
    h5.open_file(sys.argv[2], "r")
    paths = [n.path for n in h5.walk_nodes("/")]
    groups = [g.path for g in h5.walk_groups("/")]
    h5.close_file()
    print(len(paths), len(groups))
    """
)


def _walk(backend: str, path: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", _WALK, backend, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    n, g = done.stdout.split()
    return int(n), int(g)


@pytest.mark.parametrize("backend", BACKENDS)
def test_walks_end_on_hard_link_cycles(tmp_path: Path, backend: str) -> None:
    path = _cycle(tmp_path / "cycle.h5")
    nodes, groups = _walk(backend, path)
    # /, a, a/b, a/b/c, a/b/d, a/b/loop, a/b/c/up, soft_up: each group walked once
    assert groups == 4
    assert nodes == 8


def test_validate_reports_the_cycle(tmp_path: Path) -> None:
    path = _pymodaq_file(tmp_path / "ok.h5")
    assert "link-cycle" not in {f.code for f in validate_file(path).findings}
    with h5py.File(path, "a") as f:
        f["RawData/Data0D/loop"] = f["RawData"]
    report = validate_file(path)
    cycles = [f for f in report.findings if f.code == "link-cycle"]
    assert [f.node for f in cycles] == ["/RawData/Data0D/loop"]
    assert cycles[0].severity == "error"


def test_inspect_shows_the_cycle_once(tmp_path: Path) -> None:
    path = _cycle(tmp_path / "cycle.h5")
    done = subprocess.run(
        [sys.executable, "-m", "h5layout", "inspect", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    # each group once: the links back (loop, up, soft_up) are not walked again
    assert sorted(names) == ["/", "a", "b", "c", "d"], done.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_deep_nesting(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "deep.h5"
    with h5py.File(path, "w") as f:
        f.create_group("/".join(["g"] * 1000))
    assert _walk(backend, path) == (1001, 1001)
    h5 = H5Backend(backend)
    h5.open_file(path, "r")
    try:
        from h5layout.runtime.storage.h5backend import iter_tree

        depths = [d for d, _node, _again in iter_tree(h5.root())]
        assert depths == list(range(1001))
    finally:
        h5.close_file()
    report = validate_file(path)
    assert "internal-error" not in {f.code for f in report.findings}


@pytest.mark.parametrize("backend", BACKENDS)
def test_external_links_are_not_followed_unless_asked(tmp_path: Path, backend: str) -> None:
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["secret"] = np.arange(3)
    path = tmp_path / "links.h5"
    with h5py.File(path, "w") as f:
        f["ext"] = h5py.ExternalLink(str(other), "/secret")
        f["g/d"] = np.arange(2.0)
    h5 = H5Backend(backend)
    h5.open_file(path, "r")
    try:
        assert [n.path for n in h5.walk_nodes("/")] == ["/", "/g", "/g/d"]
    finally:
        h5.close_file()
    h5.open_file(path, "r", external_links=True)
    try:
        paths = [n.path for n in h5.walk_nodes("/")]
        assert len(paths) == 4
        ext = [n for n in h5.walk_nodes("/") if n.name in ("ext", "secret")]
        np.testing.assert_array_equal(ext[0].read(), np.arange(3))
    finally:
        h5.close_file()


@pytest.mark.parametrize("backend", BACKENDS)
def test_external_link_paths_and_dataloader(tmp_path: Path, backend: str) -> None:
    from h5layout.runtime.errors import NodeError

    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["g/secret"] = np.arange(3)
    path = tmp_path / "links.h5"
    with h5py.File(path, "w") as f:
        f["ext"] = h5py.ExternalLink(str(other), "/g")
    h5 = H5Backend(backend)
    h5.open_file(path, "r")
    try:
        with pytest.raises(NodeError):
            h5.get_node("/ext")
        with pytest.raises(NodeError):
            h5.get_node("/ext/secret")
    finally:
        h5.close_file()


@pytest.mark.parametrize("backend", BACKENDS)
def test_h5_export_of_a_cycle_ends(tmp_path: Path, backend: str) -> None:
    from h5layout.runtime.tools.browsing import H5BrowserUtil

    path = _cycle(tmp_path / "cycle.h5")
    browser = H5BrowserUtil(backend)
    browser.open_file(path, "r")
    try:
        out = browser.export_data("/a", tmp_path / "out.h5")
    finally:
        browser.close_file()
    with h5py.File(out, "r") as f:
        names: list[str] = []
        f.visit(names.append)
    assert any(n.endswith("b/d") for n in names)
    assert not any("loop" in n for n in names)  # the link back is left out
