"""``load_layout``: compiled on first use, cached by content hash, safe across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import h5layout
from h5layout.compiler import cache_dir, compile_layout
from h5layout.compiler.regen import REPO_DIR
from h5layout.runtime.errors import RuntimeVersionError
from tests.compiler.conftest import import_file

LAB = REPO_DIR / "tests" / "compiler" / "layouts" / "lab_scan.yaml"


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("H5LAYOUT_CACHE_DIR", str(tmp_path / "a"))
    assert cache_dir() == tmp_path / "a"
    monkeypatch.delenv("H5LAYOUT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "h5layout"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "h5layout"


def test_load_layout_compiles_once_and_imports(cache_dir: Path) -> None:
    mod = h5layout.load_layout(str(LAB))
    files = list(cache_dir.glob("lab_scan_*.py"))
    assert len(files) == 1
    assert files[0].read_text(encoding="utf-8") == compile_layout(str(LAB))
    assert mod.__name__ == f"h5layout_compiled.{files[0].stem}"
    assert mod.LAYOUT["layout"] == "lab_scan"
    mtime = files[0].stat().st_mtime_ns
    assert h5layout.load_layout(LAB) is mod  # a Path works too; same module object
    assert files[0].stat().st_mtime_ns == mtime
    assert not list(cache_dir.glob("*.tmp"))


def test_changed_layout_gets_a_new_module(cache_dir: Path, tmp_path: Path) -> None:
    layout = tmp_path / "mine.yaml"
    text = LAB.read_text(encoding="utf-8").replace("layout: lab_scan", "layout: mine")
    layout.write_text(text, encoding="utf-8")
    first = h5layout.load_layout(str(layout))
    layout.write_text(text.replace("Run{index:04d}", "Go{index:04d}"), encoding="utf-8")
    second = h5layout.load_layout(str(layout))
    assert first is not second
    assert second.LAYOUT_SPEC.node("scan").naming.pattern == "Go{index:04d}"
    assert len(list(cache_dir.glob("mine_*.py"))) == 2


def test_a_cached_layout_loads_without_the_compiler(cache_dir: Path) -> None:
    h5layout.load_layout(str(LAB))
    code = (
        "import sys, h5layout\n"
        f"m = h5layout.load_layout({str(LAB)!r})\n"
        "heavy = ['pydantic', 'yaml', 'jinja2', 'h5layout.schema', 'h5layout.compiler.build']\n"
        "print(m.__name__, [n for n in heavy if n in sys.modules])\n"
    )
    env = {**os.environ, "H5LAYOUT_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    name, heavy = out.stdout.split(" ", 1)
    assert name.startswith("h5layout_compiled.lab_scan_")
    assert heavy.strip() == "[]"


def test_a_changed_base_layout_is_seen(cache_dir: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(LAB.read_text(encoding="utf-8").replace("layout: lab_scan", "layout: base"))
    child = tmp_path / "child.yaml"
    child.write_text('layout: child\nversion: "1"\nextends: base.yaml\n', encoding="utf-8")
    first = h5layout.load_layout(child)
    base.write_text(base.read_text().replace("Run{index:04d}", "Go{index:04d}"))
    second = h5layout.load_layout(child)
    assert first is not second
    assert second.LAYOUT_SPEC.node("scan").naming.pattern == "Go{index:04d}"


def test_shipped_pymodaq_is_the_committed_module(cache_dir: Path) -> None:
    import h5layout.pymodaq

    assert h5layout.load_layout("pymodaq") is h5layout.pymodaq
    # nothing compiled into the cache: only the index entry naming the committed module
    assert not list(cache_dir.glob("*.py"))
    assert len(list((cache_dir / "index").glob("*.json"))) == 1


def test_shipped_layout_without_committed_module_is_cached(cache_dir: Path) -> None:
    mod = h5layout.load_layout("raman_map")
    assert mod.LAYOUT_SPEC.node("scan").naming.pattern == "Map{index:03d}"
    assert len(list(cache_dir.glob("raman_map_*.py"))) == 1


_LOAD = """
import sys, h5layout
mod = h5layout.load_layout(sys.argv[1])
print(mod.__file__, mod.LAYOUT["sha256"])
"""


def test_two_processes_at_once(cache_dir: Path) -> None:
    env = {**os.environ, "H5LAYOUT_CACHE_DIR": str(cache_dir)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOAD, str(LAB)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO_DIR,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    assert outs[0][0] == outs[1][0]
    files = list(cache_dir.glob("*.py"))
    assert len(files) == 1 and not list(cache_dir.glob("*.tmp"))
    assert files[0].read_text(encoding="utf-8") == compile_layout(str(LAB))


def test_module_refuses_another_runtime_api_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from h5layout.runtime import api

    out = tmp_path / "old.py"
    out.write_text(compile_layout(str(LAB)), "utf-8")
    monkeypatch.setattr(api, "RUNTIME_API_VERSION", api.RUNTIME_API_VERSION + 1)
    with pytest.raises(RuntimeVersionError, match="compile the layout again"):
        import_file(out)
