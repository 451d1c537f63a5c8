"""The literal writer: exact values back, ruff's formatting, nothing that runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from h5layout.compiler import CompileError
from h5layout.compiler.literals import py_literal, py_str
from h5layout.compiler.lowering import isort_key, safe_text
from tests.compiler.conftest import TRICKY

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("text", TRICKY)
def test_strings_come_back_exactly(text: str) -> None:
    code = py_str(text)
    assert ast.literal_eval(code) == text
    assert "\n" not in code and "\r" not in code


@given(values)
@settings(max_examples=100, deadline=None)
def test_values_come_back_exactly(value: Any) -> None:
    assert ast.literal_eval(py_literal(value)) == value


def test_special_floats_and_tuples() -> None:
    assert py_literal(float("inf")) == 'float("inf")'
    assert py_literal(-float("inf")) == '-float("inf")'
    assert py_literal(float("nan")) == 'float("nan")'
    assert ast.literal_eval(py_literal((1,))) == (1,)
    assert ast.literal_eval(py_literal((1, [2, "x"]))) == (1, [2, "x"])


def test_unsupported_values_are_refused() -> None:
    import datetime

    with pytest.raises(CompileError, match="date"):
        py_literal({"when": datetime.date(2024, 1, 1)})
    with pytest.raises(CompileError, match="bytes"):
        py_literal([b"raw"])


def test_literals_are_already_ruff_formatted(tmp_path: Path) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        pytest.skip("ruff not installed")
    value = {
        "strings": TRICKY,
        "numbers": [0, -1, 10**20, 1.5, 1e-300, 1e16, -0.0],
        "nested": {"a": [], "b": {}, "c": [[1], {"d": None}], "e": True},
        "long": "x" * 300,
    }
    source = tmp_path / "lit.py"
    source.write_text(f"# ruff: noqa: E501\nVALUE = {py_literal(value)}\n", encoding="utf-8")
    config = Path(__file__).resolve().parents[2] / "pyproject.toml"
    res = subprocess.run(
        [str(ruff), "format", "--check", "--diff", "--config", str(config), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("text", TRICKY)
def test_safe_text_cannot_leave_a_docstring_or_comment(text: str) -> None:
    out = safe_text(text)
    assert '"' not in out and "\\" not in out
    assert all(ch.isprintable() for ch in out)
    assert ast.literal_eval(f'"""{out} """') == f"{out} "


def test_isort_key_orders_constants_classes_then_functions() -> None:
    names = ["validate", "DataType", "GROUP", "LAYOUT", "Axis", "collect_datasets"]
    assert sorted(names, key=isort_key) == [
        "GROUP",
        "LAYOUT",
        "Axis",
        "DataType",
        "collect_datasets",
        "validate",
    ]
