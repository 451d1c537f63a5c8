"""The HSDS test server's start-up reports failures with the nodes' output."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from ...hsds_server import HsdsStartError, hsds_missing, start_hsds


def test_a_node_that_cannot_start_fails_with_its_log(tmp_path: Path) -> None:
    # A "python" that prints and exits: the start fails at once, with what it printed.
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'no hsds here' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(HsdsStartError, match="exited with code 3") as info:
        start_hsds(tmp_path / "srv", python=str(fake))
    assert "no hsds here" in str(info.value)
    assert "sn.log" in str(info.value)


def test_missing_packages_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def without_hsds(name: str, *args: Any) -> Any:
        return None if name == "hsds" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_hsds)
    why = hsds_missing()
    assert why is not None and why.startswith("hsds not installed")
