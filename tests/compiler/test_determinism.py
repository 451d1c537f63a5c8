"""Same layout, same bytes: across processes and ``PYTHONHASHSEED`` values, and paths."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from h5layout.compiler import compile_layout
from h5layout.compiler.regen import REPO_DIR, targets

SOURCES = [source for source, _path in targets()]

_SCRIPT = """
import hashlib, sys
from h5layout.compiler import compile_layout
for source in sys.argv[1:]:
    print(source, hashlib.sha256(compile_layout(source).encode()).hexdigest())
"""


def _digests(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    res = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *SOURCES],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_DIR,
        check=True,
    )
    return res.stdout


def test_same_bytes_under_two_hash_seeds() -> None:
    first, second = _digests("1"), _digests("4242")
    assert first == second
    here = "".join(
        f"{s} {hashlib.sha256(compile_layout(s).encode()).hexdigest()}\n" for s in SOURCES
    )
    assert first == here
    assert len(first.splitlines()) == len(SOURCES) >= 5


def test_same_bytes_wherever_the_layout_file_lives(tmp_path: Path) -> None:
    layout = REPO_DIR / "tests" / "compiler" / "layouts" / "lab_scan.yaml"
    copy = tmp_path / "deep" / "folder" / "lab_scan.yaml"
    copy.parent.mkdir(parents=True)
    shutil.copy(layout, copy)
    text = compile_layout(str(layout))
    assert compile_layout(str(copy)) == text
    assert compile_layout(os.path.relpath(copy)) == text
    assert str(tmp_path) not in text and str(REPO_DIR) not in text


def test_compile_check_agrees_with_regen_however_the_layout_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``h5layout compile PATH -o h5layout/pymodaq.py --check`` passes whatever the path."""
    from h5layout.cli.main import main

    module = REPO_DIR / "h5layout" / "pymodaq.py"
    yaml = REPO_DIR / "h5layout" / "layouts" / "pymodaq.yaml"
    monkeypatch.chdir(REPO_DIR)
    names = [
        "pymodaq",
        "h5layout/layouts/pymodaq.yaml",
        "./h5layout/layouts/../layouts/pymodaq.yaml",
        str(yaml),
    ]
    for name in names:
        assert main(["compile", name, "-o", str(module), "--check"]) == 0, name
    monkeypatch.chdir(tmp_path)
    assert main(["compile", str(yaml), "-o", str(module), "--check"]) == 0
    # a copy elsewhere is another file: its module names it by its file name
    copy = tmp_path / "pymodaq.yaml"
    shutil.copy(yaml, copy)
    assert '"source": "pymodaq.yaml"' in compile_layout(copy)
