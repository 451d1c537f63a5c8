"""Attribute values written with set_attr, read back after reopening, on both backends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from h5layout.runtime.storage.h5backend import H5Backend

from ..conftest import BACKENDS, attr_values, values_equal


class _Store:
    """One file per backend for the whole module; attributes are attr_0, attr_1, ..."""

    def __init__(self, path: Path, backend: str) -> None:
        self.path = path
        self.h5 = H5Backend(backend)
        self.h5.open_file(path, "w")
        self.h5.get_set_group("/", "G")
        self.counter = itertools.count()

    def roundtrip(self, value: Any) -> Any:
        name = f"attr_{next(self.counter)}"
        self.h5.open_file(self.path, "a")
        self.h5.set_attr("/G", name, value)
        self.h5.close_file()
        self.h5.open_file(self.path, "r")
        try:
            return self.h5.get_attr("/G", name)
        finally:
            self.h5.close_file()


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, _Store]]:
    folder = tmp_path_factory.mktemp("attrs")
    out = {b: _Store(folder / f"rt_{b}.h5", b) for b in BACKENDS}
    for store in out.values():
        store.h5.close_file()
    yield out


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=attr_values)
def test_attribute_roundtrip(stores: dict[str, _Store], backend: str, value: Any) -> None:
    back = stores[backend].roundtrip(value)
    assert values_equal(back, value), f"{value!r} came back as {back!r}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_fixed_examples(stores: dict[str, _Store], backend: str) -> None:
    for value in [
        "",
        'it\'s "quoted"\n',
        (),
        (1,),
        [],
        {},
        {"nested": {"t": (1, [2, None])}},
        np.float64(500.0),
        np.int64(7),
        np.array([1, 2]),
        np.array([0.5, -1.25]),
        float("nan"),
        float("-inf"),
        10**30,
        True,
    ]:
        back = stores[backend].roundtrip(value)
        assert values_equal(back, value), f"{value!r} came back as {back!r}"
