"""Same layout, same bytes: across processes and ``PYTHONHASHSEED`` values, and paths."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

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
