"""The tests' own layout: tests/runtime/ mirrors h5layout/runtime/'s sub-packages, and test
modules share helpers through conftest.py, never by importing another test module.

The one exception is a conformance suite: a test class (``Test...``) imported to run it again
on another implementation of the same interface (``test_h5pyd_conformance.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def _is_test_module(dotted: str) -> bool:
    return dotted.rpartition(".")[2].startswith("test_")


def imports_of_test_modules(source: str, package: str) -> list[str]:
    """``module:name`` for each import, in ``source`` (a module of ``package``), of a test
    module or of a name from one, other than a ``Test...`` class."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if any(map(_is_test_module, a.name.split(".")))]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module] if node.level else [node.module or ""])
            for alias in node.names:
                if _is_test_module(module) and not alias.name.startswith("Test"):
                    found.append(f"{module}:{alias.name}")
                elif _is_test_module(alias.name):  # from package import test_module
                    found.append(f"{module}.{alias.name}")
    return found


def test_no_test_module_imports_another() -> None:
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        package = ".".join(path.relative_to(ROOT).parent.parts)
        if bad := imports_of_test_modules(path.read_text(encoding="utf-8"), package):
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}, "move shared helpers to the nearest common conftest.py"


def test_the_import_check_sees_helpers_and_allows_suite_classes() -> None:
    source = (
        "from ..codec.test_attrs import helper\n"
        "from tests.runtime.tools import test_copy\n"
        "import tests.cli.test_main\n"
        "from .test_backend_conformance import TestBackendConformance as _Suite\n"
        "from .conftest import populate\n"
    )
    assert imports_of_test_modules(source, "tests.runtime.storage") == [
        "tests.runtime.codec.test_attrs:helper",
        "tests.runtime.tools.test_copy",
        "tests.cli.test_main",
    ]


def _packages(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}


def test_runtime_tests_mirror_the_runtime_sub_packages() -> None:
    runtime = _packages(ROOT / "h5layout" / "runtime")
    assert {"storage", "save", "check"} <= runtime  # the walk found the sub-packages
    folders = {p.name for p in (TESTS / "runtime").iterdir() if p.is_dir()} - {"__pycache__"}
    assert folders == runtime
    assert _packages(TESTS / "runtime") == runtime  # each folder is a package (unique names)
