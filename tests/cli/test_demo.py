"""``h5layout demo``: the README's main job runs, and its files are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

import h5layout
from h5layout.cli.main import main


@pytest.mark.parametrize("backend", ["h5py", "tables"])
def test_demo_writes_valid_files(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "-o", str(tmp_path), "--backend", backend]) == 0
    out = capsys.readouterr().out
    assert "refused before writing" in out  # the custom layout's required metadata
    assert "equal=True" in out  # pymodaq_data's loader reads the same data
    files = sorted(p.name for p in tmp_path.glob("*.h5"))
    assert files == [f"log_{backend}.h5", f"raman_map_{backend}.h5", f"scan_{backend}.h5"]
    report = h5layout.validate(tmp_path)
    assert report.summary() == {"files": 3, "valid": 3, "errors": 0, "warnings": 0}
