"""Files that break a layout fail (issue 14 item 2).

A node whose attributes say it is one of the layout's node types (``type: scan``) is checked
as that type even when its name does not fit: a catch-all (``generic``) cannot hide it.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.cli.main import main
from h5layout.finder import find_layout_spec
from h5layout.runtime.check.validate import validate_file

from .conftest import FLIM_YAML

SCAN_FILES = ("scan2d_h5py.h5", "scan2d_tables.h5", "scan2d_swmr_finalized_h5py.h5")


@pytest.mark.parametrize("name", SCAN_FILES)
@pytest.mark.parametrize("layout", ["raman_map", str(FLIM_YAML)])
def test_pymodaq_files_fail_a_layout_they_do_not_follow(
    golden_dir: Path, name: str, layout: str, cache: Path
) -> None:
    spec = find_layout_spec(layout)
    report = validate_file(golden_dir / name, spec)
    errors = {(c, w) for c, w, s in report.codes() if s == "error"}
    assert ("bad-name", "/RawData/Scan000") in errors
    for attr in ("sample_id", "operator", "temperature"):
        assert ("missing-attribute", f"/RawData/Scan000@{attr}") in errors
    bad_name = next(f for f in report.findings if f.code == "bad-name")
    assert bad_name.node_type == "scan"
    assert "type='scan'" in bad_name.message
    assert main(["validate", str(golden_dir / name), "--layout", layout]) == 1
    # still clean against the layout it follows
    assert validate_file(golden_dir / name).codes() == []


def test_pymodaq_written_files_fail_the_lab_layout(tmp_path: Path, cache: Path) -> None:
    pm_saving = pytest.importorskip("pymodaq_data.h5modules.saving")
    path = tmp_path / "pymodaq.h5"
    h5 = pm_saving.H5SaverLowLevel(backend="h5py")
    h5.init_file(path, new_file=True)
    scan = h5.add_scan_group()
    det = h5.add_det_group(scan, title="cam")
    h5.add_array(det, "Data00", "data", array_to_save=np.arange(4.0), data_dimension="Data1D")
    h5.close_file()
    flim = find_layout_spec(str(FLIM_YAML))
    codes = validate_file(path, flim).codes()
    assert ("bad-name", "/RawData/Scan000", "error") in codes
    assert ("bad-name", "/RawData/Scan000/Detector000", "error") in codes
    assert ("missing-attribute", "/RawData/Scan000@laser_line", "error") in codes
    assert ("missing-attribute", "/RawData/Scan000/Detector000@serial", "error") in codes


def test_a_removed_catch_all_changes_nothing_for_typed_nodes(tmp_path: Path, cache: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        "layout: strict_scan\nversion: '1'\nextends: pymodaq\n"
        "remove: [groups.raw.children.generic]\n"
        "groups:\n  scan:\n    attrs:\n      sample_id: {type: str, required: true}\n",
        encoding="utf-8",
    )
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        raw = f.create_group("RawData")
        raw.attrs["CLASS"], raw.attrs["TITLE"] = "GROUP", ""
        raw.create_group("Scan000").attrs["type"] = "scan"
        raw.create_group("Other").attrs["type"] = "custom"
    codes = validate_file(path, find_layout_spec(str(strict))).codes()
    assert ("missing-attribute", "/RawData/Scan000@sample_id", "error") in codes
    # a node that claims no type of the layout stays a warning (policy.undeclared: warn)
    assert ("undeclared-node", "/RawData/Other", "warning") in codes


def test_findings_point_at_the_rule_the_layout_recorded(tmp_path: Path, cache: Path) -> None:
    """A spec that records where each rule was declared (``options['locations']``) gets
    findings located there; without it, the node type's own location."""
    import dataclasses

    spec = find_layout_spec(str(FLIM_YAML))
    data = spec.nodes["data"]
    located = dataclasses.replace(
        data, options={**data.options, "locations": {"dtypes": "flim_map.yaml:21:5"}}
    )
    spec_located = dataclasses.replace(spec, nodes={**spec.nodes, "data": located})
    path = tmp_path / "f.h5"
    import h5layout

    m = h5layout.load_layout(FLIM_YAML)
    h5 = m.H5SaverLowLevel()
    h5.init_file(path, new_file=True)
    det = h5.add_det_group(h5.raw_group, title="d", serial="x")
    group_path = h5.add_data_group(det, "Data1D").path
    h5.close_file()
    with h5py.File(path, "r+") as f:
        arr = f[group_path].create_dataset("Data00", data=np.arange(3, dtype=np.int32))
        for k, v in {"data_type": "data", "CLASS": "CARRAY"}.items():
            arr.attrs[k] = v
    # the lab layout's own `dtypes:` line (the node type `data` is pymodaq's)
    assert data.location.startswith("h5layout/layouts/pymodaq.yaml:")
    declared = data.options["locations"]["dtypes"]
    file, line, _col = declared.rsplit(":", 2)
    assert (Path(file).name, line) == (FLIM_YAML.name, "20")
    for s, where in ((spec_located, "flim_map.yaml:21:5"), (spec, declared)):
        bad = [f for f in validate_file(path, s).findings if f.code == "bad-dtype"]
        assert bad and bad[0].layout_location == where
