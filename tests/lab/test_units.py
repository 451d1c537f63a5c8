"""Units declared for an attribute reach the file (issue 14 item 7): ``<name>_units``."""

from __future__ import annotations

from pathlib import Path

import h5py

from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.codec.attrs import encode_json, read_attr


def test_units_are_written_and_checked(flim_file: Path) -> None:
    with h5py.File(flim_file, "r") as f:
        scan = f["/RawData/FLIM000"]
        assert read_attr(scan.attrs["temperature"]) == 4.2
        assert read_attr(scan.attrs["temperature_units"]) == "K"
        assert "sample_id_units" not in scan.attrs  # no units declared for it
    assert validate_file(flim_file).codes() == []
    with h5py.File(flim_file, "r+") as f:
        f["/RawData/FLIM000"].attrs["temperature_units"] = encode_json("degC")
    codes = validate_file(flim_file).codes()
    assert codes == [("bad-attribute-value", "/RawData/FLIM000@temperature_units", "error")]
