"""Helpers shared by the backend conformance suite and its h5pyd run."""

from __future__ import annotations

from typing import Any

import numpy as np

from h5layout.runtime.storage.h5backend import H5Backend, StringARRAY


def attrs_by_path(h5: H5Backend) -> dict[str, dict[str, Any]]:
    """Path -> decoded attributes without the attributes one backend adds (VERSION...)."""
    skip = {"VERSION", "PYTABLES_FORMAT_VERSION"}
    return {
        n.path: {k: v for k, v in n.attrs.to_dict().items() if k not in skip}
        for n in h5.walk_nodes("/")
    }


def populate(h5: H5Backend) -> None:
    """A group with an attribute, a fixed, an enlargeable and a string array."""
    g = h5.get_set_group("/", "Grp", title="a group")
    h5.set_attr(g, "meta", {"k": (1, 2)})
    h5.create_carray(g, "Fixed", obj=np.arange(6.0).reshape(2, 3), title="fixed")
    e = h5.create_earray(g, "Enl", np.int32, data_shape=(2,), title="enl")
    e.append(np.array([[1, 2], [3, 4]], dtype=np.int32))
    s = h5.create_vlarray(g, "Strings", "string", title="strs")
    assert isinstance(s, StringARRAY)
    s.append("héllo")
