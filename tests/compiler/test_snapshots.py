"""Committed compiled modules are current; generated code passes ruff and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from h5layout.compiler import compile_layout, write_if_changed
from h5layout.compiler.regen import PACKAGE_DIR, REPO_DIR, main, stale_diff, targets

TARGETS = targets()
IDS = [Path(path).stem for _source, path in TARGETS]
TOOLS = Path(sys.executable).parent


def test_targets_cover_package_module_shipped_and_test_layouts() -> None:
    names = {path.name for _source, path in TARGETS}
    assert PACKAGE_DIR / "pymodaq.py" in {path for _s, path in TARGETS}
    assert {"raman_map.py", "camera_logger.py", "lab_scan.py", "tiny_log.py"} <= names


@pytest.mark.parametrize(("source", "path"), TARGETS, ids=IDS)
def test_committed_module_is_current(source: str, path: Path, update_snapshots: bool) -> None:
    """The equivalent of ``h5layout compile SOURCE -o PATH --check``."""
    text = compile_layout(source)
    if update_snapshots:
        write_if_changed(path, text)
        return
    diff = stale_diff(path, text)
    assert not diff, (
        f"{path} is stale: run `python -m h5layout.compiler.regen` and review the diff\n"
        + diff[:4000]
    )


def test_regen_check_is_clean() -> None:
    assert main(["--check"]) == 0


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = TOOLS / tool
    if not exe.exists():
        pytest.skip(f"{tool} not installed")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, cwd=REPO_DIR, check=False
    )


def test_generated_modules_pass_ruff_format_and_check() -> None:
    files = [str(path) for _s, path in TARGETS]
    fmt = _run("ruff", "format", "--check", "--config", "pyproject.toml", *files)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = _run("ruff", "check", "--no-fix", "--config", "pyproject.toml", *files)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.slow
def test_generated_modules_pass_mypy() -> None:
    files = [str(path) for _s, path in TARGETS]
    res = _run("mypy", "--config-file", "pyproject.toml", "--follow-imports=silent", *files)
    assert res.returncode == 0, res.stdout + res.stderr
