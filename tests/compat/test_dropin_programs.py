"""Programs written for pymodaq_data.h5modules run unchanged on h5layout.pymodaq.

Each program of ``programs/`` runs twice per backend: on pymodaq_data 5.3.0, then with its
``pymodaq_data.h5modules`` imports pointed at ``h5layout.pymodaq`` (its
``pymodaq_data.data`` objects kept, loaders in their default data model). Their results
(values, shapes, attributes, types of the returned objects) must be the same, except for
the differences listed in :data:`DIFFERENCES`, where pymodaq_data has a bug h5layout fixes
(README, "What h5layout does differently").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .harness import run_program, same

pytest.importorskip("pymodaq_data")

PROGRAMS = ["scan_two_detectors", "timed_logger", "lowlevel_session", "exporters", "browse"]

#: (program, pattern of a difference line) → why the results differ on purpose
DIFFERENCES: dict[tuple[str, str], str] = {
    ("scan_two_detectors", r"\.units: 'V' != ''$"):
        "pymodaq_data drops the units of scan arrays; h5layout keeps them",
    ("timed_logger", r"\.units: 'K' != ''$"):
        "pymodaq_data drops the units of logger arrays; h5layout keeps them",
    ("lowlevel_session", r"^\.kinds\[\d+\]: 'StringARRAY' != 'VLARRAY'$"):
        "a string array is wrapped as StringARRAY (a VLARRAY subclass) when walked",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _default_data_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("H5LAYOUT_DATA_MODEL", raising=False)  # the default: 'auto'


def _unexpected(program: str, diffs: list[str]) -> list[str]:
    return [d for d in diffs if not any(
        program == p and re.search(pattern, d) for (p, pattern) in DIFFERENCES
    )]  # fmt: skip


@pytest.mark.parametrize("backend", ["h5py", "tables"])
@pytest.mark.parametrize("program", PROGRAMS)
def test_program_gives_the_same_results(tmp_path: Path, program: str, backend: str) -> None:
    theirs = run_program(program, "pymodaq_data", tmp_path / "pymodaq_data", backend)
    ours = run_program(program, "h5layout", tmp_path / "h5layout", backend)
    assert _unexpected(program, same(ours, theirs)) == []


def test_results_are_not_empty(tmp_path: Path) -> None:
    """The comparison compares something: loaded objects are pymodaq_data's own."""
    result: Any = run_program("scan_two_detectors", "h5layout", tmp_path, "h5py")
    assert result["spectra"]["type"] == "pymodaq_data.data.DataWithAxes"
    assert result["spectra"]["shape"] == (3, 2, 8)
    assert len(result["all"]["data"]) == 3
