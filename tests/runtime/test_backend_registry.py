"""Choosing a backend by name."""

from __future__ import annotations

import pytest

from h5layout.runtime.backends import backends_available, get_backend
from h5layout.runtime.errors import BackendError, LayoutError


def test_available_backends_are_the_installed_ones() -> None:
    assert backends_available() == ["h5py", "tables"]
    assert get_backend("h5py") is get_backend("h5py")  # one stateless adapter per name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("hdf5", "unknown backend 'hdf5'"),
        ("h5pyd", "backend 'h5pyd' is not available in this version of h5layout"),
    ],
)
def test_unavailable_backends_say_why(name: str, message: str) -> None:
    with pytest.raises(BackendError, match=message) as info:
        get_backend(name)
    assert isinstance(info.value, LayoutError) and isinstance(info.value, ValueError)
