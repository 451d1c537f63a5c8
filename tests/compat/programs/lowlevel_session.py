"""A low-level backend session: groups, arrays and attributes written and read back."""

from pathlib import Path
from typing import Any

import numpy as np
from pymodaq_data.h5modules.backends import H5Backend
from pymodaq_data.h5modules.saving import GroupType


def run(path: Path, backend: str) -> dict[str, Any]:
    h5 = H5Backend(backend)
    h5.open_file(str(path), "w", "session")
    group = h5.get_set_group("/", "Samples", title="the samples")
    det = h5.add_group("probe", GroupType.detector, group, metadata={"gain": 2.5})
    h5.create_carray(det, "Fixed", obj=np.arange(12.0).reshape(3, 4), title="fixed")
    growing = h5.create_earray(det, "Growing", np.dtype("int32"), data_shape=(2,), title="grow")
    for k in range(4):
        growing.append(np.array([k, -k], dtype="int32"))
    strings = h5.create_vlarray(det, "Notes", dtype="string", title="notes")
    strings.append("first note")
    strings.append("second note")
    h5.set_attr(det, "count", 3)
    h5.set_attr(det, "ratio", 0.5)
    h5.set_attr(det, "label", "probe A")
    h5.set_attr(det, "limits", (1, 2))
    h5.set_attr(det, "enabled", True)
    h5.close_file()

    h5 = H5Backend(backend)
    h5.open_file(str(path), "r")
    det_node = h5.get_node("/Samples/Probe")
    names = ("count", "ratio", "label", "limits", "enabled", "gain", "type")
    attrs = {name: h5.get_attr(det_node, name) for name in names}
    result = {
        "attrs": attrs,
        "children": sorted(h5.get_children(det_node)),
        "fixed": h5.get_node("/Samples/Probe/Fixed").read(),
        "growing": h5.get_node("/Samples/Probe/Growing").read(),
        "growing_shape": h5.get_attr(h5.get_node("/Samples/Probe/Growing"), "shape"),
        "notes": h5.get_node("/Samples/Probe/Notes").read(),
        "titles": [h5.get_node(p).attrs["TITLE"] for p in ("/Samples", "/Samples/Probe/Fixed")],
        "node_name": h5.get_node_name(det_node),
        "parent": h5.get_parent_node(det_node).path,
        "in_group": h5.is_node_in_group("/Samples", "probe"),
        "kinds": [type(n).__name__ for n in h5.walk_nodes("/Samples")],
    }
    h5.close_file()
    return result
