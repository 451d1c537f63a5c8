#!/usr/bin/env python3
"""Bootstrap and run h5layout's jobs on a machine that has only Python 3.

    python3 run.py demo    # the main job: write PyMoDAQ-layout files and show them
    python3 run.py test    # the whole test suite (ruff, mypy, import contracts, pytest)

Creates ``.venv`` next to this file on first use and installs h5layout into it (with the
``test`` extra for ``test``); later runs reuse it until ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=HERE)


def ensure_venv(extra: str) -> None:
    """Create the venv and install the package (and ``extra``) when needed."""
    stamp = VENV / f".installed-{extra or 'base'}"
    digest = hashlib.sha256((HERE / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest and PY.is_file():
        return
    if not PY.is_file():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extra}]" if extra else "."
    _run(PY, "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    job = argv[0] if argv else "demo"
    rest = argv[1:]
    try:
        if job == "demo":
            ensure_venv("")
            _run(BIN / "h5layout", "demo", *rest)
        elif job == "test":
            ensure_venv("test")
            _run(BIN / "ruff", "check", "h5layout", "tests", "bench")
            _run(BIN / "ruff", "format", "--check", "h5layout")
            _run(BIN / "mypy", "h5layout")
            _run(BIN / "lint-imports")  # layer contracts of pyproject's [tool.importlinter]
            _run(PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", *rest)
        else:
            print(f"unknown job {job!r}: use 'demo' or 'test'", file=sys.stderr)
            return 2
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
