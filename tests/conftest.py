"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

# An HSDS server on loopback for the h5pyd backend's tests (started once, on first use;
# skipped when hsds or h5pyd is not installed).
from .hsds_server import (  # noqa: F401
    h5pyd_server,
    hsds_domain,
    hsds_folder,
    hsds_server,
    hsds_server_4dn,
)

GOLDEN = Path(__file__).resolve().parents[1].parent / "shared" / "golden"


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """The folder of files written by pymodaq_data 5.3.0 (skips when absent)."""
    if not GOLDEN.is_dir():
        pytest.skip("../shared/golden is not present")
    return GOLDEN


@pytest.fixture(autouse=True)
def _h5layout_data_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaders return h5layout's data model in the tests, which compare what they load with
    h5layout objects; the tests of the other choices (``tests/runtime/model/test_datamodel.py``,
    ``test_dropin_*``) change or remove the variable themselves."""
    monkeypatch.setenv("H5LAYOUT_DATA_MODEL", "h5layout")
