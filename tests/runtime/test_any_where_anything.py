"""``Any`` only where a value really is anything, in the runtime modules cleaned of it.

Every use of ``Any`` in an annotation of these modules is listed here by where it is
(``Class.method(param)``, ``Class.method ->`` for a return, ``Name =`` for an alias). A new
one fails this test: give the value its type (``Where``, ``AttrValue``, ``DwaLike``,
``np.ndarray``, ``object`` for a value only passed through... see README, "Types tools can
see"), or add it here with the reason it is anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "h5layout"
RUNTIME = PACKAGE / "runtime"

ALLOWED: dict[str, set[str]] = {
    "__init__.py": set(),
    "errors.py": set(),
    "codec/__init__.py": set(),
    "load/__init__.py": set(),
    "model/__init__.py": set(),
    "save/__init__.py": set(),
    "api.py": set(),
    "compat.py": set(),
    "layout/__init__.py": set(),
    "layout/attrcheck.py": set(),
    "layout/cache.py": set(),
    "layout/default_bindings.py": set(),
    "layout/patterns.py": set(),
    "layout/point_checks.py": set(),
    # each reader of a role's settings knows the type of the key it reads
    "layout/spec.py": {"NodeOptions ="},
    "check/__init__.py": set(),
    "check/checker.py": set(),
    "check/detect.py": set(),
    "check/domains.py": set(),
    "check/findings.py": set(),
    "check/repair.py": set(),
    "check/report.py": set(),
    "check/validate.py": set(),
    "check/rules/__init__.py": set(),
    "check/rules/arrays.py": set(),
    "check/rules/attributes.py": set(),
    "check/rules/bookkeeping.py": set(),
    "check/rules/context.py": set(),
    "check/rules/file.py": set(),
    "check/rules/structure.py": set(),
    "codec/attrs.py": set(),
    # a parameter holds whatever its widget edits
    "codec/settings.py": {"ParamValue ="},
    "codec/strings.py": set(),
    "load/loader.py": set(),
    "model/data.py": {
        "PymodaqObject =",  # pymodaq_data's objects: optional, untyped, duck typed
        "DataWithAxes.__getattr__ ->",  # extra attributes hold what their writer gave
        "_FixedSource.__init__(**kwargs)",  # handed on to DataWithAxes' typed signature
        "DataFromPlugins.__init__(*args)",
        "DataFromPlugins.__init__(**kwargs)",
    },
    "model/datamodel.py": set(),
    "model/enums.py": set(),
    "model/plot.py": set(),
    "model/xarray_.py": set(),
    "save/access.py": set(),
    "save/data.py": {"DataManagement.__init__(**open_kwargs)"},  # open_saver's typed keywords
    # handed on to the enlargeable saver's
    "save/dte.py": {"DataToExportTimedSaver.add_data(**kwargs)"},
    "save/modules.py": set(),
    "save/points.py": set(),
    "save/h5saver.py": set(),
    # handed on to the Qt class's typed constructor; an Any return lets type checkers type
    # H5Saver(...) from the class's own __init__
    "save/h5saver_lazy.py": {
        "_QtOnCall.__call__(*args)",
        "_QtOnCall.__call__(**kwargs)",
        "_QtOnCall.__call__ ->",
    },
    "save/h5saver_qt.py": set(),
    "save/params.py": set(),
    "storage/__init__.py": set(),
    "storage/bookkeeping.py": set(),
    "storage/growing.py": set(),
    "storage/h5backend.py": set(),
    "storage/lowlevel.py": set(),
    "storage/probe.py": set(),
    "storage/swmr.py": set(),
    "storage/types.py": set(),
    "storage/backends/__init__.py": set(),
    # the HDF5 libraries ship no stubs: their objects and what they read are untyped
    "storage/backends/_base.py": {"LibraryHandle =", "LibraryValue ="},
    "storage/backends/_h5like.py": set(),
    "storage/backends/_h5py.py": set(),
    "storage/backends/_h5pyd.py": set(),
    # a message of the writer's queue: its kind, then that kind's own fields
    "storage/backends/_h5pyd_background.py": {
        "BackgroundWriter.__init__.self._queue =",
        "BackgroundWriter._put(item)",
        "BackgroundWriter._put_block(item)",
        "BackgroundWriter._taken(item)",
    },
    # pickle.loads's own arguments, handed on as PyTables gives them
    "storage/backends/_tables.py": {"_PickleGate.loads(*args)", "_PickleGate.loads(**kwargs)"},
    "storage/backends/_tables_safety.py": set(),
    "storage/backends/h5capi.py": set(),
    "storage/backends/h5py_attrs.py": set(),
    "storage/backends/hsds_retry.py": set(),
    "storage/backends/swmr_read.py": set(),
    "tools/__init__.py": set(),
    "tools/_tree_h5py.py": set(),
    "tools/_tree_walk.py": set(),
    "tools/browsing.py": set(),
    "tools/copy.py": set(),
    "tools/tree.py": set(),
}


#: the same, outside the runtime (paths from ``h5layout/``)
ALLOWED_OUTSIDE_RUNTIME: dict[str, set[str]] = {
    "cli/__init__.py": set(),
    "cli/_describe.py": set(),
    "cli/progress.py": set(),
    "cli/check.py": set(),
    "cli/compile_cmd.py": set(),
    "cli/copy_cmd.py": set(),
    "cli/demo.py": set(),
    "cli/docs_cmd.py": set(),
    "cli/inspect_cmd.py": set(),
    "cli/main.py": set(),
    "cli/plot_cmd.py": set(),
    "cli/repair.py": set(),
    "cli/schema_cmd.py": set(),
    "cli/validate.py": set(),
    "compiler/__init__.py": set(),
    "compiler/build.py": set(),
    "compiler/cache.py": set(),
    "compiler/errors.py": set(),
    "compiler/ir.py": set(),
    "compiler/layout_data.py": set(),
    "compiler/literals.py": set(),
    "compiler/lowering.py": set(),
    "compiler/regen.py": set(),
    "compiler/render.py": set(),
    "schema/__init__.py": set(),
    # the private regex parser's structures have no types
    "schema/checks.py": {"_ParsedRegex ="},
    "schema/jsonschema_gen.py": set(),
    "schema/loader.py": set(),
    "schema/lower.py": set(),
    # any YAML value: the models leave data open, the semantic checks say what fits
    "schema/models.py": {"LayoutData ="},
    "schema/resolve.py": set(),
    "schema/source.py": set(),
}


def _mentions_any(node: ast.AST | None) -> bool:
    if node is None:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == "Any":
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "Any":
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            try:
                if _mentions_any(ast.parse(sub.value, mode="eval")):
                    return True
            except SyntaxError:
                continue
    return False


def uses_of_any(source: str) -> set[str]:
    """Where ``Any`` appears in the annotations and type aliases of a module."""
    found: set[str] = set()

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                args = child.args
                for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                    if _mentions_any(arg.annotation):
                        found.add(f"{name}({arg.arg})")
                if args.vararg is not None and _mentions_any(args.vararg.annotation):
                    found.add(f"{name}(*{args.vararg.arg})")
                if args.kwarg is not None and _mentions_any(args.kwarg.annotation):
                    found.add(f"{name}(**{args.kwarg.arg})")
                if _mentions_any(child.returns):
                    found.add(f"{name} ->")
                visit(child, f"{name}.")
            elif isinstance(child, ast.AnnAssign):
                target = ast.unparse(child.target)
                if _mentions_any(child.annotation) or (
                    "TypeAlias" in ast.unparse(child.annotation) and _mentions_any(child.value)
                ):
                    found.add(f"{prefix}{target} =")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_any_only_where_a_value_is_anything(module: str) -> None:
    found = uses_of_any((RUNTIME / module).read_text(encoding="utf-8"))
    assert found == ALLOWED[module]


@pytest.mark.parametrize("module", sorted(ALLOWED_OUTSIDE_RUNTIME))
def test_any_only_where_a_value_is_anything_outside_the_runtime(module: str) -> None:
    found = uses_of_any((PACKAGE / module).read_text(encoding="utf-8"))
    assert found == ALLOWED_OUTSIDE_RUNTIME[module]


#: packages cleaned whole: a module added to them is listed above too
CLEANED_PACKAGES = (
    "cli",
    "compiler",
    "schema",
    "runtime",
    "runtime/codec",
    "runtime/load",
    "runtime/model",
    "runtime/save",
    "runtime/check",
    "runtime/check/rules",
    "runtime/layout",
    "runtime/storage",
    "runtime/storage/backends",
    "runtime/tools",
)


def test_every_module_of_a_cleaned_package_is_listed() -> None:
    listed = {f"runtime/{m}" for m in ALLOWED} | set(ALLOWED_OUTSIDE_RUNTIME)
    found = {
        path.relative_to(PACKAGE).as_posix()
        for package in CLEANED_PACKAGES
        for path in (PACKAGE / package).glob("*.py")
    }
    assert found - listed == set()


def test_the_check_sees_every_kind_of_use() -> None:
    source = (
        "from typing import Any, TypeAlias\n"
        "X: TypeAlias = Any\n"
        "Y: TypeAlias = 'dict[str, Any]'\n"
        "class C:\n"
        "    a: Any\n"
        "    def f(self, p: 'list[Any]', *v: Any, k: int, **kw: Any) -> Any: ...\n"
        "def g(q: int) -> int:\n"
        "    local: dict[str, Any] = {}\n"
        "    return q\n"
    )
    assert uses_of_any(source) == {
        "X =",
        "Y =",
        "C.a =",
        "C.f(p)",
        "C.f(*v)",
        "C.f(**kw)",
        "C.f ->",
        "g.local =",
    }
