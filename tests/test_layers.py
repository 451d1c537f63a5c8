"""Import direction: runtime <- schema <- compiler <- cli.

Each check runs in a fresh interpreter so modules imported by other tests do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""

#: optional backends whose library may be absent here
OPTIONAL = frozenset({"h5layout.runtime.storage.backends._h5pyd"})


ROOT = Path(__file__).resolve().parents[1]


def _package_modules(package: str) -> list[str]:
    """The package and every module below it, sub-packages included."""
    folder = ROOT.joinpath(*package.split("."))
    found = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [m for m in found if m not in OPTIONAL]


RUNTIME_MODULES = _package_modules("h5layout.runtime")


def _loaded(*modules: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _offenders(loaded: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_runtime_imports_nothing_above_it() -> None:
    loaded = _loaded(*RUNTIME_MODULES)
    assert "h5layout.runtime.storage.lowlevel" in loaded  # the probe really imported the runtime
    bad = _offenders(
        loaded,
        (
            "h5layout.schema",
            "h5layout.compiler",
            "h5layout.cli",
            "pydantic",
            "yaml",
            "jinja2",
            "jsonschema",
        ),
    )
    assert bad == []


def test_runtime_loads_backend_libraries_lazily() -> None:
    loaded = _loaded("h5layout.runtime.storage.lowlevel")
    assert _offenders(loaded, ("tables", "h5py")) == []


def test_schema_imports_no_compiler_or_cli() -> None:
    loaded = _loaded(*_package_modules("h5layout.schema"))
    assert "h5layout.schema" in loaded
    assert _offenders(loaded, ("h5layout.compiler", "h5layout.cli")) == []


def test_import_contracts_hold() -> None:
    """import-linter's contracts (pyproject ``[tool.importlinter]``): function-level imports
    count too, unlike the ``sys.modules`` probes above."""
    import shutil

    exe = Path(sys.executable).parent / "lint-imports"
    if not exe.exists() and shutil.which("lint-imports") is None:
        import pytest

        pytest.skip("import-linter is not installed")
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [str(exe) if exe.exists() else "lint-imports"],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_runtime_answers_by_its_paths() -> None:
    """The three questions a newcomer asks have one path each (README, "How it is built")."""
    from h5layout.runtime.save.points import DataExtendedSaver
    from h5layout.runtime.storage.growing import PointBlock

    # where is a scan point written: the scan saver, into a point block
    assert DataExtendedSaver.__module__ == "h5layout.runtime.save.points"
    assert PointBlock.__module__ == "h5layout.runtime.storage.growing"
    # where is a validate rule: under check/rules/, in the family that declares its code
    from h5layout.runtime.check.rules import RULES

    assert RULES["stale-shape"].family == "bookkeeping"
    assert (ROOT / "h5layout" / "runtime" / "check" / "rules" / "bookkeeping.py").is_file()
    # where is an attribute decoded: codec/ only; JSON is parsed elsewhere only for the
    # records of layouts compiled on this machine (never an attribute of a file)
    parses_json = {
        path.relative_to(ROOT / "h5layout" / "runtime").as_posix()
        for path in (ROOT / "h5layout" / "runtime").rglob("*.py")
        if "json.loads(" in path.read_text(encoding="utf-8")
    }
    assert parses_json <= {"codec/attrs.py", "layout/cache.py", "check/detect.py"}, parses_json
