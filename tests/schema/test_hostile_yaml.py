"""Hostile layouts: each is checked in a child process under CPU and memory limits.

``hostile/*.yaml`` are small committed cases, each with the exact problem lines expected in
``.expected`` beside it; large or machine-specific cases are made at test time. Every
case must end, within its limits, with its problems listed: no hang, no traceback, no
tag constructed, no file quoted that is not a layout.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

HOSTILE = Path(__file__).parent / "hostile"
CASES = sorted(p.name for p in HOSTILE.glob("*.yaml"))
ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 60
MEMORY_BYTES = 2 << 30

CHECK = """
import sys
from h5layout.schema import check_layout
for p in check_layout(sys.argv[1]):
    print(p)
"""


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_limited(code: str, *args: str, cwd: Path) -> list[str]:
    """Run ``code`` in a child under the limits; its output lines (asserting a clean exit)."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        preexec_fn=_limits,  # sets the limits in the child, before it runs Python
        capture_output=True,
        text=True,
        timeout=4 * CPU_SECONDS,
        check=False,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return proc.stdout.splitlines()


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 25
    for case in CASES:
        assert (HOSTILE / case).with_suffix(".expected").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_hostile_layout(case: str) -> None:
    expected = (HOSTILE / case).with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert run_limited(CHECK, case, cwd=HOSTILE) == expected
    assert not Path("/tmp/h5layout-pwned").exists()  # python_tag.yaml's payload never ran


H = 'layout: hostile\nversion: "1"\nextends: pymodaq\n'


def _write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def test_deep_flow_nesting(tmp_path: Path) -> None:
    case = _write(tmp_path, "deep.yaml", H + "description: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert run_limited(CHECK, case, cwd=tmp_path) == [
        "deep.yaml:4:1013: the document is nested more than 64 levels deep"
    ]


def test_deep_block_nesting(tmp_path: Path) -> None:
    lines = [f"{' ' * i}k{i}:" for i in range(2000)]
    case = _write(tmp_path, "deep.yaml", H + "groups:\n" + "\n".join(lines[1:]) + " 1\n")
    out = run_limited(CHECK, case, cwd=tmp_path)
    assert out == ["deep.yaml:68:65: the document is nested more than 64 levels deep"]


def test_huge_file_is_not_read(tmp_path: Path) -> None:
    with (tmp_path / "huge.yaml").open("wb") as f:  # sparse: costs no disk
        f.write(H.encode())
        f.truncate(1 << 30)
    assert run_limited(CHECK, "huge.yaml", cwd=tmp_path) == [
        "huge.yaml:1:1: huge.yaml is 1,073,741,824 bytes; a layout file is at most 16,777,216"
    ]


def test_long_value(tmp_path: Path) -> None:
    case = _write(tmp_path, "long.yaml", H + "description: " + "x" * 5_000_000 + "\n")
    assert run_limited(CHECK, case, cwd=tmp_path) == []


def test_special_files_are_never_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")  # reading it would block forever
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")  # reading it would never end
    case = _write(tmp_path, "l.yaml", H + "include: [fifo.yaml, zero.yaml]\n")
    assert run_limited(CHECK, case, cwd=tmp_path) == [
        "l.yaml:4:11: fifo.yaml is not a regular file",
        "l.yaml:4:22: zero.yaml is not a regular file",
    ]
    assert run_limited(CHECK, "fifo.yaml", cwd=tmp_path) == [
        "fifo.yaml:1:1: fifo.yaml is not a regular file"
    ]


def test_many_includes_are_bounded(tmp_path: Path) -> None:
    _write(tmp_path, "frag.yaml", "description: x\n")
    case = _write(tmp_path, "l.yaml", H + "include: [" + ", ".join(["frag.yaml"] * 1000) + "]\n")
    out = run_limited(CHECK, case, cwd=tmp_path)
    assert len(out) == 1 and "more than 256 files" in out[0], out


def test_runtime_pattern_on_hostile_value(tmp_path: Path) -> None:
    # A value a file may hold, against patterns Python's re needs hours or more for.
    code = """
from h5layout.runtime.layout.attrcheck import check_value
from h5layout.runtime.layout.spec import AttrSpec
for pattern in ("[a-z]*[a-z]*[a-z]*x", "^(a+)+$", "(a|aa)*b"):
    spec = AttrSpec(name="s", type="str", pattern=pattern)
    print(len(check_value(spec, "a" * 200_000 + "!")))
"""
    assert run_limited(code, cwd=tmp_path) == ["1", "1", "1"]


def test_syntax_error_at_the_end_of_a_large_file(tmp_path: Path) -> None:
    # explaining the mistake reads the lines above it once, not once per line
    body = "".join(f"  g{i}: {{}}\n" for i in range(200_000))
    case = _write(tmp_path, "big.yaml", H + "groups:\n" + body + " bad: 1\n")
    assert run_limited(CHECK, case, cwd=tmp_path) == [
        "big.yaml:200005:2: this line is indented by 1 space, which matches no enclosing "
        "block (the lines above use 0, 2): indent it like the keys it belongs with"
    ]


def test_many_unknown_references_among_many_types(tmp_path: Path) -> None:
    # each "did you mean" compares with every node type: only the first 50 are given
    lines = ["groups:", "  raw:", "    children:"]
    lines += [f"      zz{i}: {{}}" for i in range(5000)]
    lines += [f"  g{i}: {{}}" for i in range(20_000)]
    case = _write(tmp_path, "unk.yaml", H + "\n".join(lines) + "\n")
    out = run_limited(CHECK, case, cwd=tmp_path)
    assert len(out) == 5000
    assert out[-1] == "unk.yaml:5006:15: groups.raw.children.zz4999: unknown node type 'zz4999'"


def test_files_given_directly_that_are_not_layouts_are_not_quoted(tmp_path: Path) -> None:
    (tmp_path / "shadow").write_text("root:$6$salt$hash:19000:0:99999:7:::\ndaemon:*:1:0:::::\n")
    (tmp_path / "config.txt").write_text("Secret hunter2\n  Indented: x: y\n")
    out = run_limited(CHECK, "shadow", cwd=tmp_path) + run_limited(
        CHECK, "config.txt", cwd=tmp_path
    )
    assert out == [
        "shadow:1:1: shadow is not a layout (a layout is a mapping with keys such as layout, "
        "groups, arrays)",
        "config.txt:1:1: config.txt is not a layout: YAML syntax error at line 1",
    ]
