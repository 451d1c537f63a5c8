"""Fixtures and helpers shared by the runtime tests."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from h5layout.runtime.storage.h5backend import H5Backend

BACKENDS = ("h5py", "tables")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend name in turn."""
    return str(request.param)


@pytest.fixture
def h5(backend: str, tmp_path: Path) -> Iterator[H5Backend]:
    """A new file opened for writing with the backend under test."""
    be = H5Backend(backend)
    be.open_file(tmp_path / f"conf_{backend}.h5", "w")
    yield be
    be.close_file()


def values_equal(a: Any, b: Any) -> bool:
    """Deep equality that treats NaN as equal to NaN and compares arrays and types."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (float, np.floating)) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)
