"""Scan points written into a fixed array on HSDS: the points of one line leave as one
h5pyd update (one HTTP request at the flush) instead of one per point (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

from h5layout.runtime.storage.h5backend import H5Backend

pytest.importorskip("h5pyd")

pytestmark = pytest.mark.usefixtures("h5pyd_server")


def test_points_of_a_line_go_out_as_one_update(hsds_domain: str) -> None:
    shape = (4, 6, 3)
    expected = np.full(shape, -1.0)
    writer = H5Backend("h5pyd")
    writer.open_file(hsds_domain, "w")
    arr = writer.create_carray("/", "data", shape=shape, dtype="float64", fill_value=-1.0)
    raw = arr.node
    order = [(i, j) for i in range(3) for j in range(6)]  # three full lines, in order
    order += [(3, 4), (3, 1), (3, 2)]  # then out of order, and a line left unfinished
    for n, (i, j) in enumerate(order):
        point = np.array([i, j, n], dtype=np.float64)
        arr[i, j] = point
        expected[i, j] = point
        if (i, j) == (1, 2):
            writer.flush()  # a flush in the middle of a line
    pending = raw.id.db._getDatasetUpdates(raw.id.uuid)
    # line 1 from j=3 on, line 2, and (3, 4), then (3, 1)+(3, 2) joined: 4 updates
    assert len(pending) == 4
    writer.flush()
    reader = H5Backend("h5pyd")
    reader.open_file(hsds_domain, "r")
    try:
        np.testing.assert_array_equal(reader.get_node("/data").read(), expected)
    finally:
        reader.close_file()
    writer.close_file()
