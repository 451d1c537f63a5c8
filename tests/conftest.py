"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1].parent / "shared" / "golden"


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """The folder of files written by pymodaq_data 5.3.0 (skips when absent)."""
    if not GOLDEN.is_dir():
        pytest.skip("../shared/golden is not present")
    return GOLDEN
