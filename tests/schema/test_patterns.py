"""Attribute pattern rules: what `check` accepts, and what RE2 matches."""

from __future__ import annotations

import pytest

from h5layout.runtime.layout.patterns import (
    MAX_PATTERN_LENGTH,
    PatternError,
    compile_pattern,
    search,
)
from h5layout.schema.checks import NESTED_QUANTIFIERS, pattern_problem


@pytest.mark.parametrize(
    "pattern",
    [r"^[A-Z]{2}-\d{4}$", r"^(\d{2}-)+\d{2}$", r"(ab?)+", r"^\pL+$", r"\p{Nd}", r"(?i)^abc$"],
)
def test_accepted(pattern: str) -> None:
    assert pattern_problem(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"^(a+)+$", NESTED_QUANTIFIERS),
        (r"^([a-z]+_)*$", NESTED_QUANTIFIERS),
        (r"(a*)*", NESTED_QUANTIFIERS),
        (r"^(\pL+)+$", NESTED_QUANTIFIERS),
        (r"(a)\1", "back-references such as \\1 or (?P=name) are not supported"),
        (r"(?P<x>a)(?P=x)", "back-references such as \\1 or (?P=name) are not supported"),
        (r"(?=a)", "look-ahead and look-behind ((?=...), (?<=...)) are not supported"),
        (r"(?<!a)b", "look-ahead and look-behind ((?!...), (?<!...)) are not supported"),
        (r"(a)?(?(1)b|c)", "conditional groups (?(1)...) are not supported"),
        (
            r"a{2000}",
            "invalid regular expression: invalid repetition size: {2000} "
            "(repetition counts, multiplied when nested, stay within 1000)",
        ),
        ("(", "invalid regular expression: missing ), unterminated subpattern at position 0"),
    ],
)
def test_refused(pattern: str, why: str) -> None:
    assert pattern_problem(pattern) == why


def test_long_patterns_refused() -> None:
    with pytest.raises(PatternError):
        compile_pattern("a" * (MAX_PATTERN_LENGTH + 1))


def test_search_is_re_search() -> None:
    assert search(r"\d{3}", "ab123")
    assert not search(r"^\d{3}$", "ab123")
    assert search(r"^\pL+$", "café")
    assert not search(r"^\d$", "٣")  # \d is ASCII in RE2
