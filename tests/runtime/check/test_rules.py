"""The rule families: each code declared once, by the family whose module emits it; the
README documents every code with its severity; one definition of "stale" for the checker
and SWMR finalisation's ``find_stale`` (which ``repair`` and ``reconcile`` rely on)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from h5layout.runtime.check import report, rules
from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.storage.bookkeeping import find_stale
from h5layout.runtime.storage.h5backend import H5Backend

from ...conftest import make_crashed_swmr

ROOT = Path(__file__).resolve().parents[3]
CHECK = ROOT / "h5layout" / "runtime" / "check"
#: modules outside check/ whose codes end up in findings (value rules shared with savers)
SHARED = [ROOT / "h5layout" / "runtime" / "layout" / "attrcheck.py"]
_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+\Z")
_EMITTERS = {"add", "finding", "Finding"}


def _emitted(path: Path) -> set[str]:
    """Codes a module emits: the first argument of ``add``/``finding``/``Finding`` calls,
    and ``(code, message)`` pairs (how ``check_value`` reports)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        first: ast.expr | None = None
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _EMITTERS and node.args:
                first = node.args[0]
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            first = node.elts[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if _CODE.match(first.value):
                out.add(first.value)
    return out


def test_every_code_is_declared_by_exactly_one_family() -> None:
    seen: dict[str, str] = {}
    for family in rules.FAMILIES:
        for code, rule in family.RULES.items():
            assert code not in seen, f"{code} declared by {seen[code]} and {family.FAMILY}"
            assert rule.family == family.FAMILY
            assert rule.severity in ("error", "warning", "info") and rule.description
            seen[code] = family.FAMILY
    assert set(seen) == set(rules.RULES) == set(report.RULES)
    assert all(report.RULES[c] == (r.severity, r.description) for c, r in rules.RULES.items())


def test_every_emitted_code_is_declared_where_it_is_emitted() -> None:
    emitted: set[str] = set()
    for path in [*sorted(CHECK.rglob("*.py")), *SHARED]:
        codes = _emitted(path)
        undeclared = codes - set(rules.RULES)
        assert not undeclared, f"{path.relative_to(ROOT)} emits undeclared {sorted(undeclared)}"
        if path.parent.name == "rules" and not path.name.startswith("_"):
            family = getattr(rules, path.stem)
            foreign = {c for c in codes if rules.RULES[c].family != family.FAMILY}
            # a family module emits its own codes only (attrcheck's go through attributes)
            assert not foreign, f"{path.name} emits codes of other families: {sorted(foreign)}"
        emitted |= codes
    # and nothing is declared that no check emits
    assert emitted == set(rules.RULES)


def test_readme_table_gives_each_code_its_severity() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, rule in rules.RULES.items():
        row = re.search(rf"^\| `{re.escape(code)}` \| (\w+) \|", text, re.MULTILINE)
        assert row is not None, code
        assert row.group(1) == rule.severity, code


# --------------------------------------------------------------------------------------
# one definition of "stale"

_STALE = {"stale-shape", "stale-size", "swmr-active-left-set"}


def _checker_stale(path: Path) -> set[tuple[str, str]]:
    found = validate_file(path).findings
    return {(f.node, f.attribute or "") for f in found if f.code in _STALE}


def _find_stale(path: Path) -> set[tuple[str, str]]:
    h5 = H5Backend("h5py")
    h5.open_file(path, "r", locking=False)
    try:
        return {(s.path, s.attribute) for s in find_stale(h5)}
    finally:
        h5.close_file()


def test_checker_and_find_stale_agree_on_crashed_files(golden_dir: Path, tmp_path: Path) -> None:
    """Writers killed mid-acquisition (the crash suite's writer, SWMR and not) and a
    pymodaq SWMR file whose writer died: the checker's bookkeeping findings are exactly
    what ``find_stale`` (SWMR finalisation, ``reconcile``) would fix."""
    from tests.crash.run_crash import CONFIGS, kill_writer

    files = [make_crashed_swmr(golden_dir, tmp_path)]
    for cfg in CONFIGS:
        if cfg.name in ("logger-h5py-swmr", "scan-h5py-swmr", "logger-h5py"):
            path = tmp_path / f"{cfg.name}.h5"
            kill_writer("h5layout", cfg, path, 0.2)
            files.append(path)
    stale_files = 0
    for path in files:
        by_checker = _checker_stale(path)
        assert by_checker == _find_stale(path), path.name
        stale_files += bool(by_checker)
    assert stale_files >= 2  # not a comparison of empty sets


@pytest.mark.parametrize(
    ("shape", "attrs", "expected"),
    [
        ((3, 4), {"shape": (3, 4)}, []),
        ((3, 4), {"shape": [2, 4]}, [("shape", (2, 4), (3, 4))]),
        ((3,), {"shape": "(3,)"}, []),  # not a shape at all: a value rule's business
        ((5,), {"data_type": "axis", "size": 4}, [("size", 4, 5)]),
        ((5,), {"data_type": "data", "size": 4}, []),
        ((0,), {"data_type": "axis", "size": 4}, [("size", 4, 0)]),
        ((), {"data_type": "axis", "size": 4}, []),
    ],
)
def test_stale_attributes(shape: tuple[int, ...], attrs: dict, expected: list) -> None:
    from h5layout.runtime.check.rules.bookkeeping import stale_attributes

    assert stale_attributes(shape, attrs) == expected


def test_cli_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from h5layout.cli.main import main

    assert main(["validate", "--list-rules"]) == 0
    rows = [line.split(None, 3) for line in capsys.readouterr().out.splitlines()]
    assert [r[0] for r in rows] == list(rules.RULES)
    assert all((r[1], r[2]) == (rules.RULES[r[0]].severity, rules.RULES[r[0]].family) for r in rows)
    assert main(["validate"]) == 2  # no file: a usage error
