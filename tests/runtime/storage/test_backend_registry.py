"""Choosing a backend by name."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from h5layout.runtime.errors import BackendError, LayoutError
from h5layout.runtime.storage import backends
from h5layout.runtime.storage.backends import backends_available, get_backend


def test_available_backends_are_the_installed_ones() -> None:
    expected = ["h5py", "tables"]
    if importlib.util.find_spec("h5pyd") is not None:
        expected.append("h5pyd")
    assert backends_available() == expected
    assert get_backend("h5py") is get_backend("h5py")  # one stateless adapter per name


def test_h5pyd_backend_when_installed() -> None:
    pytest.importorskip("h5pyd")
    backend = get_backend("h5pyd")
    assert backend.name == "h5pyd"
    assert backend.swmr_capable is False
    assert get_backend("h5pyd") is backend


def test_unknown_backend_says_why() -> None:
    with pytest.raises(BackendError, match="unknown backend 'hdf5'") as info:
        get_backend("hdf5")
    assert isinstance(info.value, LayoutError) and isinstance(info.value, ValueError)


def test_missing_library_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def no_h5pyd(name: str, package: str | None = None) -> object:
        if name == backends.BACKENDS["h5pyd"][0]:
            raise ImportError("No module named 'h5pyd'")
        return real_import(name, package)

    monkeypatch.setattr(backends, "_instances", {})
    monkeypatch.setattr(importlib, "import_module", no_h5pyd)
    with pytest.raises(BackendError, match="backend 'h5pyd' needs the 'h5pyd' package"):
        get_backend("h5pyd")
