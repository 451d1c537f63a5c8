"""The data savers answer the low-level saver's API through explicit forwarders."""

from __future__ import annotations

import inspect
from pathlib import Path

from h5layout.runtime.save.access import LowLevelAccess
from h5layout.runtime.save.data import DataManagement, DataSaverLoader
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel


def test_no_getattr_forwarding() -> None:
    for cls in DataManagement.__mro__:
        assert "__getattr__" not in vars(cls), cls


def test_every_public_name_of_the_low_level_saver_is_forwarded() -> None:
    saver = H5SaverLowLevel()
    public = {n for n in dir(H5SaverLowLevel) if not n.startswith("_")}
    public |= {n for n in vars(saver) if not n.startswith("_")}
    public -= {"from_file", "LAYOUT_SPEC"}  # a constructor; the class's binding
    missing = {n for n in public if not hasattr(DataManagement, n)}
    assert missing == set()
    for name in vars(LowLevelAccess):
        if not name.startswith("_"):
            assert name in public, f"{name} forwards to nothing"


def test_forwarders_keep_the_signatures(tmp_path: Path) -> None:
    for name, member in vars(LowLevelAccess).items():
        if name.startswith("_") or isinstance(member, property):
            continue
        ours = inspect.signature(member)
        theirs = inspect.signature(getattr(H5SaverLowLevel, name))
        assert list(ours.parameters) == list(theirs.parameters), name
    saver = DataSaverLoader(tmp_path / "f.h5")
    try:
        assert saver.raw_group.path == "/RawData"
        assert saver.get_node("/RawData/Logger").name == "Logger"
        assert saver.bindings is saver.h5saver.bindings
    finally:
        saver.close_file()
