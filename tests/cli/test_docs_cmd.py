"""``h5layout docs``: Markdown documentation of layouts; the shipped layouts' docs are current."""

from __future__ import annotations

from pathlib import Path

import pytest

from h5layout.cli.docs_cmd import DOCS_DIR, document
from h5layout.cli.main import main
from h5layout.runtime.check.detect import shipped_layouts


@pytest.mark.parametrize("name", shipped_layouts())
def test_committed_docs_are_current(name: str) -> None:
    path = DOCS_DIR / f"{name}.md"
    assert path.is_file(), f"{path} missing: run python -m h5layout.cli.docs_cmd"
    assert path.read_text(encoding="utf-8") == document(name), (
        f"{path} is stale: run python -m h5layout.cli.docs_cmd and commit the result"
    )


def test_derived_layout_docs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "raman_map"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Layout `raman_map` 1.0\n")
    changes = out.split("## Changes from `pymodaq`\n", 1)[1].split("\n## ", 1)[0]
    assert "`scan`:" in changes and "attribute `sample_id` added" in changes
    assert "name `Scan{index:03d}` → `Map{index:03d}`" in changes
    assert "child `data_logger` removed" in changes
    scan = out.split("### `scan` (group, role `scan`)", 1)[1].split("\n### ", 1)[0]
    assert "- name: `Map{index:03d}`" in scan and "- declared at: `pymodaq.yaml:" in scan
    row = next(line for line in scan.splitlines() if line.startswith("| `temperature`"))
    assert row == (
        "| `temperature` | `float` | yes | K | >= 0 | json | Sample temperature during the map. "
        "| `raman_map.yaml:31` |"
    )
    assert "matches /^S[0-9]{4}$/" in scan
    assert "encoding: native" in out  # how to make attributes readable in any HDF5 tool
    tree = out.split("## A typical file\n", 1)[1].split("```")[1]
    assert "        Map000/  [scan]\n" in tree and "CH00/  [channel]" in tree


def test_base_layout_has_no_changes_section(tmp_path: Path) -> None:
    out = tmp_path / "pymodaq.md"
    assert main(["docs", "pymodaq", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## Changes from" not in text
    assert "| `nav_indexes` | `tuple[int]` | yes |" in text


def test_layout_file_with_relative_extends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("layout: base\nversion: '1'\nextends: pymodaq\n", encoding="utf-8")
    lab = tmp_path / "lab.yaml"
    lab.write_text(
        "layout: lab\nversion: '2'\nextends: base.yaml\ngroups:\n  scan:\n    attrs:\n"
        "      operator: {type: str, required: true, encoding: native}\n",
        encoding="utf-8",
    )
    assert main(["docs", str(lab)]) == 0
    out = capsys.readouterr().out
    assert "## Changes from `base.yaml`" in out
    assert "- `scan`: attribute `operator` added" in out
    assert "| `operator` | `str` | yes |  |  | native |  | `lab.yaml:7` |" in out


def test_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", str(tmp_path / "missing.yaml")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("layout: bad\nversion: '1'\ngroups: {scan: {role: nope}}\n", encoding="utf-8")
    assert main(["docs", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:" in err and "Traceback" not in err
