"""Attribute ``pattern`` rules: RE2 syntax, matched in time linear in the value's length.

Python's ``re`` backtracks: a rule such as ``^(a+)+$`` or even ``[a-z]*[a-z]*x`` takes
minutes on a value of a few thousand characters, and values come from files anyone may
write. Patterns are therefore compiled with RE2 (``google-re2``), whose matching time is
linear whatever the pattern, with a bounded program size. RE2 is Python's syntax without
back-references (``\\1``), look-around (``(?=``, ``(?!``, ``(?<=``) and possessive or
atomic groups; the layout checker refuses those, and nested quantifiers, at ``check``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import re2

from h5layout.runtime.errors import PatternError

#: Longest pattern accepted (characters).
MAX_PATTERN_LENGTH = 1000
#: Memory RE2 may use for one compiled pattern (bytes); larger programs are refused.
MAX_PATTERN_MEMORY = 8 << 20


class CompiledPattern(Protocol):
    """What :func:`compile_pattern` returns (an RE2 pattern: ``google-re2`` ships no
    stubs), as far as this package uses it."""

    def search(self, text: str) -> object | None:
        """A match object where the pattern matches in ``text``, else None."""


def _explain(reason: str) -> str:
    if ("invalid escape sequence: \\" in reason and reason[-1:].isdigit()) or "(?P=" in reason:
        return "back-references such as \\1 or (?P=name) are not supported"
    if "(?<=" in reason or "(?<!" in reason:
        return "look-behind ((?<=...), (?<!...)) is not supported"
    if "(?=" in reason or "(?!" in reason:
        return "look-ahead ((?=...), (?!...)) is not supported"
    if "(?>" in reason or "bad repetition operator: ++" in reason or "*+" in reason:
        return "atomic groups and possessive quantifiers are not supported (nor needed)"
    if "pattern too large" in reason:
        return "the pattern is too large (repetition counts multiply: keep them small)"
    if "invalid repetition size" in reason:
        return f"{reason} (repetition counts, multiplied when nested, stay within 1000)"
    return reason


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> CompiledPattern:
    """The compiled RE2 pattern (``.search(value)``); :class:`PatternError` when refused."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"longer than {MAX_PATTERN_LENGTH} characters")
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    options.max_mem = MAX_PATTERN_MEMORY
    try:
        compiled: CompiledPattern = re2.compile(pattern, options=options)
        return compiled
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(_explain(str(reason))) from None


def search(pattern: str, value: str) -> bool:
    """True when ``pattern`` matches somewhere in ``value`` (linear time)."""
    return compile_pattern(pattern).search(value) is not None
