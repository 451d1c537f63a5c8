"""Lowering decisions: frozen IR, bindings the runtime reads and never re-decides."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from h5layout import LayoutError
from h5layout.compiler import lower
from h5layout.compiler.lowering import GROUP_ROLES, bind, keyword_attrs, resolve_bindings
from h5layout.compiler.regen import targets
from h5layout.runtime.layout.spec import Naming, NodeBinding
from h5layout.runtime.load.loader import DataLoader
from h5layout.runtime.model.data import Axis, DataToExport, DataWithAxes
from h5layout.runtime.save.dte import DataToExportExtendedSaver
from h5layout.runtime.storage.lowlevel import H5SaverLowLevel
from h5layout.schema import load_layout_spec

SOURCES = [source for source, _path in targets()]


@pytest.mark.parametrize("source", SOURCES)
def test_every_group_method_has_a_binding(source: str) -> None:
    bindings = resolve_bindings(load_layout_spec(source))
    for role in GROUP_ROLES:
        if role.group_type is not None:
            assert role.group_type in bindings.groups


def test_savers_read_the_bindings_and_decide_nothing(tmp_path: Path) -> None:
    """Bindings changed after compilation (and nothing else) change what savers write:
    the runtime reads them and keeps no naming rule of its own."""
    spec = bind(load_layout_spec("pymodaq"))
    assert spec.bindings is not None
    b = spec.bindings
    groups = dict(b.groups)
    groups["scan"] = NodeBinding(None, Naming(pattern="Run{index:02d}"))
    arrays = dict(b.arrays)
    arrays["data"] = NodeBinding(b.arrays["data"].node, Naming(pattern="Frame{index:04d}"))
    changed = dataclasses.replace(
        b,
        raw=NodeBinding(b.raw.node, Naming(fixed="Acquired")),
        logger=NodeBinding(b.logger.node, Naming(fixed="Journal")),
        channel=NodeBinding(None, Naming(pattern="Sensor{index:01d}")),
        dim=NodeBinding(None, Naming(pattern="Dim{dim}")),
        nav_axes=NodeBinding(None, Naming(fixed="Navigation")),
        groups=groups,
        arrays=arrays,
    )
    bound = type("Bound", (H5SaverLowLevel,), {"LAYOUT_SPEC": replace(spec, bindings=changed)})
    saver = bound(save_type="scan")
    saver.init_file(tmp_path / "bound.h5", new_file=True)
    scan = saver.add_scan_group()
    det = saver.add_det_group(scan)
    dte = DataToExport("dte", data=[DataWithAxes("d", source="raw", data=[np.zeros(3)])])
    dte_saver = DataToExportExtendedSaver(saver, (2,))
    dte_saver.add_nav_axes(det, [Axis("x", data=np.arange(2.0), index=0)])
    dte_saver.add_data(det, dte, indexes=(0,))
    paths = {n.path for n in saver.walk_nodes("/")}
    saver.close_file()
    assert {"/Acquired", "/Acquired/Journal", "/Acquired/Run00"} <= paths
    assert "/Acquired/Run00/Detector000/Dim1D/Sensor0/Frame0000" in paths
    assert "/Acquired/Run00/Detector000/Navigation/Axis00" in paths
    loader_cls = type("BoundLoader", (DataLoader,), {"SAVER_CLASS": bound})
    with loader_cls(tmp_path / "bound.h5") as loader:
        data = "/Acquired/Run00/Detector000/Dim1D/Sensor0/Frame0000"
        nav = loader.get_nav_group(data)
        assert nav is not None and nav.path == "/Acquired/Run00/Detector000/Navigation"
        assert loader.get_node(data).attrs["shape"] == (2, 3)


def test_a_layout_never_compiled_is_refused() -> None:
    spec = load_layout_spec("pymodaq")  # no bindings: the runtime does not decide instead
    bound = type("Bound", (H5SaverLowLevel,), {"LAYOUT_SPEC": spec})
    with pytest.raises(LayoutError, match="no bindings"):
        bound()


def test_ir_is_frozen_and_holds_every_decision() -> None:
    ir = lower(load_layout_spec("raman_map"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ir.layout_name = "other"  # type: ignore[misc]
    low = next(c for c in ir.classes if c.name == "H5SaverLowLevel")
    (method,) = low.methods
    assert method.name == "add_scan_group" and method.node_type == "scan"
    assert [(p.name, p.annotation, p.default_code) for p in method.params] == [
        ("sample_id", "str", None),
        ("operator", "str", None),
        ("temperature", "float", None),
    ]
    assert method.ignore_override
    assert all(not c.methods for c in ir.classes if c.name != "H5SaverLowLevel")


def test_runtime_written_attributes_are_not_arguments() -> None:
    spec = load_layout_spec("pymodaq")
    for node in spec.nodes.values():
        if node.kind == "group":
            names = {a.name for a in keyword_attrs(node)}
            assert not names & {"type", "settings", "CLASS", "TITLE", "description"}
    ir = lower(spec)
    assert all(not c.methods for c in ir.classes)  # PyMoDAQ itself requires nothing extra


def test_module_docstring_tables_the_node_types() -> None:
    import h5layout.pymodaq as pm

    doc = pm.__doc__ or ""
    for name, node in pm.LAYOUT_SPEC.nodes.items():
        pattern = node.naming.pattern or node.naming.fixed or "(any name)"
        rows = [line.split(maxsplit=1) for line in doc.splitlines() if line.strip()]
        assert any(r[0] == name and r[1].startswith(pattern) for r in rows if len(r) == 2), name


def test_a_derived_module_shows_what_it_changes_first() -> None:
    from h5layout.compiler import compile_layout

    first_screen = compile_layout("camera_logger").splitlines()[:50]
    text = "\n".join(first_screen)
    assert "camera            Camera{index:03d}       camera_logger.yaml:26   new:" in text
    # a changed node type points at the line of the layout's own file that changes it
    assert (
        "raw               RawData                 camera_logger.yaml:22   changes children" in text
    )
    assert "Policy: swmr True (was False); undeclared 'error' (was 'warn')" in text
    assert "Inherited unchanged (from h5layout/layouts/pymodaq.yaml):" in text
    tiny = compile_layout(Path(__file__).parent / "layouts" / "tiny_log.yaml")
    assert (
        "scan              Take{index:02d}         tiny_log.yaml:9         changes naming" in tiny
    )
    assert "Policy: flush_every 5 (was 10)" in tiny
