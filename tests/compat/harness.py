"""Runs a program written for pymodaq_data.h5modules on pymodaq_data, or on h5layout with
only its ``pymodaq_data.h5modules`` imports pointed at ``h5layout.pymodaq``.

Programs live in ``programs/``: each defines ``run(path, backend) -> dict``. Their imports
of ``pymodaq_data.data`` stay as they are (a PyMoDAQ user keeps PyMoDAQ's data objects):
h5layout must accept them and give them back. Results are reduced to plain values by
:func:`plain` and compared by :func:`same`.
"""

from __future__ import annotations

import re
import types
import warnings
from pathlib import Path
from typing import Any

import numpy as np

PROGRAMS = Path(__file__).parent / "programs"

#: ``from pymodaq_data.h5modules[.submodule] import`` at the start of a line
_H5MODULES_IMPORT = re.compile(r"^from pymodaq_data\.h5modules(?:\.[A-Za-z_.]+)? import ", re.M)


def load_program(name: str, target: str) -> types.ModuleType:
    """The program ``name`` as written (``target='pymodaq_data'``) or pointed at h5layout."""
    path = PROGRAMS / f"{name}.py"
    source = path.read_text()
    if target == "h5layout":
        source, count = _H5MODULES_IMPORT.subn("from h5layout.pymodaq import ", source)
        assert count > 0 and "pymodaq_data.h5modules" not in source, name
    module = types.ModuleType(f"compat_{name}_{target}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def run_program(name: str, target: str, folder: Path, backend: str) -> dict[str, Any]:
    """Run the program in ``folder`` and return its result reduced by :func:`plain`."""
    folder.mkdir(parents=True, exist_ok=True)
    module = load_program(name, target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymodaq_data's own warnings are not under test
        result = module.run(folder / f"{name}.h5", backend)
        return plain(result)


def _type_name(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def plain(obj: Any) -> Any:
    """Numbers, strings, tuples, lists, dicts and arrays only: what a program's results mean."""
    if hasattr(obj, "inav") and hasattr(obj, "axes") and hasattr(obj, "nav_indexes"):
        return {
            "type": _type_name(obj), "name": obj.name, "source": obj.source.name,
            "dim": obj.dim.name, "distribution": obj.distribution.name, "shape": obj.shape,
            "nav_indexes": tuple(obj.nav_indexes), "labels": list(obj.labels),
            "units": obj.units, "origin": obj.origin,
            "data": [np.asarray(a) for a in obj.data],
            "errors": None if obj.errors is None else [np.asarray(e) for e in obj.errors],
            "axes": sorted((plain(ax) for ax in obj.axes), key=lambda a: (a["index"], a["label"])),
            "extra": {k: plain(getattr(obj, k)) for k in obj.extra_attributes
                      if k not in ("timestamp", "path")},
        }  # fmt: skip
    if hasattr(obj, "get_data") and hasattr(obj, "spread_order"):  # an Axis
        return {"type": _type_name(obj), "label": obj.label, "units": obj.units,
                "index": obj.index, "values": np.asarray(obj.get_data())}  # fmt: skip
    if hasattr(obj, "get_full_names") and hasattr(obj, "data"):  # a DataToExport
        items = sorted((plain(d) for d in obj.data), key=lambda d: (d["origin"], d["name"]))
        return {"type": _type_name(obj), "name": obj.name, "data": items}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(v) for v in obj)
    if isinstance(obj, np.ndarray):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def same(a: Any, b: Any, where: str = "") -> list[str]:
    """The differences between two plain results (empty when they are the same)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        if a_arr.shape != b_arr.shape:
            return [f"{where}: shape {a_arr.shape} != {b_arr.shape}"]
        if a_arr.dtype.kind in "iufcb" and b_arr.dtype.kind in "iufcb":
            ok = np.allclose(a_arr, b_arr, equal_nan=True)
        else:
            ok = np.array_equal(a_arr, b_arr)
        return [] if ok else [f"{where}: {a_arr!r} != {b_arr!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(set(a) ^ set(b))} differ"]
        return [d for k in a for d in same(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            return [f"{where}: {a!r} != {b!r}"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in same(x, y, f"{where}[{i}]")]
    if type(a) is not type(b) or a != b:
        return [f"{where}: {a!r} != {b!r}"]
    return []
