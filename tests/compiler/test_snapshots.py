"""Committed compiled modules are current; generated code passes ruff and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from h5layout.compiler import compile_layout, write_if_changed
from h5layout.compiler.layout_data import compact_layout
from h5layout.compiler.regen import PACKAGE_DIR, REPO_DIR, main, stale_diff, targets

TARGETS = targets()
IDS = [Path(path).stem for _source, path in TARGETS]
TOOLS = Path(sys.executable).parent


def test_targets_cover_package_module_shipped_and_test_layouts() -> None:
    names = {path.name for _source, path in TARGETS}
    assert PACKAGE_DIR / "pymodaq.py" in {path for _s, path in TARGETS}
    assert {"raman_map.py", "camera_logger.py", "lab_scan.py", "tiny_log.py"} <= names


@pytest.mark.parametrize(("source", "path"), TARGETS, ids=IDS)
def test_committed_module_is_current(source: str, path: Path, update_snapshots: bool) -> None:
    """The equivalent of ``h5layout compile SOURCE -o PATH --check``."""
    text = compile_layout(source)
    if update_snapshots:
        write_if_changed(path, text)
        return
    diff = stale_diff(path, text)
    assert not diff, (
        f"{path} is stale: run `python -m h5layout.compiler.regen` and review the diff\n"
        + diff[:4000]
    )


def test_regen_check_is_clean() -> None:
    assert main(["--check"]) == 0


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = TOOLS / tool
    if not exe.exists():
        pytest.skip(f"{tool} not installed")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, cwd=REPO_DIR, check=False
    )


def test_generated_modules_pass_ruff_format_and_check() -> None:
    files = [str(path) for _s, path in TARGETS]
    fmt = _run("ruff", "format", "--check", "--config", "pyproject.toml", *files)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = _run("ruff", "check", "--no-fix", "--config", "pyproject.toml", *files)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.slow
def test_generated_modules_pass_mypy() -> None:
    files = [str(path) for _s, path in TARGETS]
    res = _run("mypy", "--config-file", "pyproject.toml", "--follow-imports=silent", *files)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize(("source", "path"), TARGETS, ids=IDS)
def test_generated_modules_import_only_the_runtime(source: str, path: Path) -> None:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
    # the standard library for annotations, and the runtime's public API
    stdlib = {"__future__", "collections.abc", "os", "typing"}
    assert modules - stdlib == {"h5layout.runtime", "h5layout.runtime.api"}
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert calls <= {"RuntimeVersionError", "dict", "super"}


def test_pymodaq_module_needs_no_compiler_schema_or_templates() -> None:
    code = (
        "import sys, h5layout.pymodaq as m; m.DataToExportSaver; "
        "print(sorted(n for n in ('jinja2', 'pydantic', 'yaml', 'h5layout.compiler', "
        "'h5layout.schema') if n in sys.modules))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_DIR, check=True
    )
    assert res.stdout.strip() == "[]"


def test_pymodaq_module_is_the_drop_in(tmp_path: Path) -> None:
    import numpy as np

    import h5layout.pymodaq as pm
    from h5layout.runtime import api

    for name in (*api.LAYOUT_BOUND_CLASSES, *api.REEXPORTS, "LAYOUT", "LAYOUT_SPEC", "validate"):
        assert name in pm.__all__ and hasattr(pm, name)
    assert compact_layout(pm.LAYOUT_SPEC) == pm.LAYOUT  # the data says the spec, no more
    for name in api.LAYOUT_BOUND_CLASSES:
        cls = getattr(pm, name)
        assert issubclass(cls, getattr(api, name)) and cls is not getattr(api, name)
        if issubclass(cls, api.H5SaverLowLevel):
            assert cls.LAYOUT_SPEC is pm.LAYOUT_SPEC
        else:
            assert cls.SAVER_CLASS is pm.H5SaverLowLevel
    path = tmp_path / "d.h5"
    with pm.DataToExportSaver(path) as saver:
        assert type(saver.h5saver) is pm.H5SaverLowLevel
        det = saver.h5saver.add_det_group(saver.h5saver.raw_group, "det")
        saver.add_data(det, pm.DataToExport("d", data=[pm.DataRaw("s", data=[np.ones(3)])]))
    report = pm.validate(path)
    assert isinstance(report, pm.FileReport)
    assert report.layout == "pymodaq"
