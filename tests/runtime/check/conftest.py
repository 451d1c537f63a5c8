"""Helpers the checker's tests share: the golden files' names, a small custom layout and a
file that follows it."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from h5layout.runtime.codec.attrs import encode_json
from h5layout.runtime.layout.spec import LayoutSpec

GOLDEN_FILES = (
    "dte_basic_h5py.h5",
    "dte_basic_tables.h5",
    "dte_minimal_h5py.h5",
    "enlargeable_h5py.h5",
    "lowlevel_h5py.h5",
    "scan2d_h5py.h5",
    "scan2d_swmr_finalized_h5py.h5",
    "scan2d_tables.h5",
    "timed_h5py.h5",
)


def custom_layout(undeclared: str = "error") -> LayoutSpec:
    """A tiny layout exercising every rule (``undeclared``: its policy for other nodes)."""
    return LayoutSpec.from_dict(
        {
            "layout": "tiny",
            "version": "1.0",
            "sha256": "a" * 64,
            "root": "root",
            "nodes": {
                "root": {
                    "kind": "group",
                    "role": "root",
                    "naming": {"fixed": "/"},
                    "attrs": {
                        "sample": {
                            "type": "str",
                            "required": True,
                            "pattern": "^S[0-9]{4}$",
                            "encoding": "native",
                            "location": "tiny.yaml:5:7",
                        },
                        "temperature": {"type": "float", "minimum": 0, "encoding": "native"},
                        "h5layout_layout": {"type": "str", "encoding": "native"},
                        "h5layout_layout_version": {"type": "str", "encoding": "native"},
                        "h5layout_layout_sha256": {"type": "str", "encoding": "native"},
                        "swmr_active": {"type": "bool", "encoding": "native"},
                    },
                    "children": {"run": {"min": 1, "max": 2}},
                    "undeclared": undeclared,
                    "location": "tiny.yaml:3:3",
                },
                "run": {
                    "kind": "group",
                    "role": "group",
                    "naming": {"pattern": "Run{index:02d}"},
                    "children": {"spectrum": {}, "axis": {}},
                    "undeclared": undeclared,
                    "location": "tiny.yaml:10:3",
                },
                "spectrum": {
                    "kind": "array",
                    "role": "data",
                    "naming": {"pattern": "Spectrum{index:02d}"},
                    "match": {"data_type": "data"},
                    "attrs": {
                        "data_type": {"type": "str", "required": True, "const": "data"},
                        "shape": {"type": "tuple", "item_type": "int", "required": True},
                        "nav_indexes": {"type": "tuple", "item_type": "int"},
                    },
                    "array": {"kind": "enlargeable", "dtypes": ["float32"], "rank": [2, 2]},
                    "options": {"undeclared_attrs": "warn"},
                    "location": "tiny.yaml:20:3",
                },
                "axis": {
                    "kind": "array",
                    "role": "axis",
                    "naming": {"pattern": "Axis{index:02d}"},
                    "match": {"data_type": "axis"},
                    "attrs": {
                        "data_type": {"type": "str", "required": True, "const": "axis"},
                        "index": {"type": "int", "required": True},
                        "size": {"type": "int"},
                    },
                    "array": {"kind": "fixed", "rank": [1, 1], "dims": [8]},
                    "location": "tiny.yaml:30:3",
                },
            },
        }
    )


def good_tiny(path: Path) -> Path:
    """A file that follows :func:`custom_layout` without a finding."""
    with h5py.File(path, "w") as f:
        f.attrs["sample"] = "S0042"
        f.attrs["temperature"] = 4.2
        run = f.create_group("Run00")
        d = run.create_dataset("Spectrum00", shape=(3, 8), maxshape=(None, 8), dtype="f4")
        d.attrs["data_type"] = encode_json("data")
        d.attrs["shape"] = encode_json((3, 8))
        d.attrs["nav_indexes"] = encode_json((0,))
        a = run.create_dataset("Axis00", data=np.arange(8.0))
        a.attrs["data_type"] = encode_json("axis")
        a.attrs["index"] = encode_json(1)
        a.attrs["size"] = encode_json(8)
    return path
