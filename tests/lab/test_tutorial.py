"""The README's tutorial runs as written (issue 14): every fenced block of the section
"Tutorial: a lab's own layout", in order, in an empty folder.

* ```` ```yaml file=PATH ```` blocks are written to PATH;
* ```` ```python ```` blocks run in a fresh interpreter;
* ```` ```console ```` blocks hold ``$ command`` lines (run by a shell, ``h5layout`` being this
  checkout's command; ``cd`` changes the folder of what follows; ``# exit N`` gives the
  expected exit status, 0 by default), each followed by lines its output must contain, in
  order, ``...`` standing for any text.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Tutorial: a lab's own layout"
_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


def tutorial_blocks(text: str) -> list[tuple[str, str, str]]:
    """(language, info, body) of every fenced block of the tutorial section."""
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    return [(m.group(1), m.group(2).strip(), m.group(3)) for m in _FENCE.finditer(section)]


def _pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in line.strip().split("...")))


def _expect(output: str, expected: list[str], command: str) -> None:
    lines = output.splitlines()
    at = 0
    for want in expected:
        pattern = _pattern(want)
        while at < len(lines) and not pattern.search(lines[at]):
            at += 1
        assert at < len(lines), f"$ {command}\nexpected: {want}\ngot:\n{output}"
        at += 1


def _env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "h5layout"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m h5layout "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(README.parent), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["H5LAYOUT_CACHE_DIR"] = str(tmp_path / "cache")
    env.pop("H5LAYOUT_PATH", None)
    env["NO_COLOR"] = "1"
    return env


def _console(body: str, cwd: Path, env: dict[str, str]) -> Path:
    commands: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif line.strip():
            assert commands, f"output before any command: {line}"
            commands[-1][1].append(line)
    for command, expected in commands:
        status = 0
        found = _EXIT.search(command)
        if found:
            status = int(found.group(1))
            command = command[: found.start()]
        if command.startswith("cd "):
            cwd = (cwd / command[3:].strip()).resolve()
            continue
        done = subprocess.run(
            command,
            shell=True,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == status, f"$ {command}: exit {done.returncode}\n{output}"
        _expect(output, expected, command)
    return cwd


def test_tutorial_runs(tmp_path: Path) -> None:
    blocks = tutorial_blocks(README.read_text(encoding="utf-8"))
    kinds = [lang for lang, _info, _body in blocks]
    assert kinds.count("python") >= 3 and kinds.count("console") >= 4 and "yaml" in kinds
    env = _env(tmp_path)
    cwd = tmp_path / "work"
    cwd.mkdir()
    for lang, info, body in blocks:
        if lang == "yaml":
            assert info.startswith("file="), info
            target = cwd / info[len("file=") :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif lang == "python":
            done = subprocess.run(
                [sys.executable, "-c", body],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, f"{body}\n{done.stdout}{done.stderr}"
        elif lang == "console":
            cwd = _console(body, cwd, env)
        else:
            raise AssertionError(f"unexpected block language {lang!r}")
    assert (tmp_path / "work" / "lab" / "flim_map.py").is_file()
