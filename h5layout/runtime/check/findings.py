"""Findings as data: a :class:`Rule` declares a code, a :class:`Finding` is one occurrence.

Each rule family (:mod:`h5layout.runtime.check.rules`) declares its own rules with
:func:`declare`; nothing here touches a file.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SEVERITIES", "Finding", "Rule", "declare"]

#: Severities, most serious first.
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Rule:
    """One rule: a stable code, its default severity, a one-line meaning, its family."""

    code: str
    severity: str
    description: str
    family: str = ""


def declare(family: str, *rules: tuple[str, str, str]) -> dict[str, Rule]:
    """The rules of one family, by code, from ``(code, severity, description)``."""
    out: dict[str, Rule] = {}
    for code, severity, description in rules:
        if severity not in SEVERITIES or code in out:
            raise ValueError(f"rule {code!r} of {family!r}: bad severity or declared twice")
        out[code] = Rule(code, severity, description, family)
    return out


@dataclass(frozen=True)
class Finding:
    """One problem of one file: a rule code, a severity, where (node path and attribute),
    and a sentence for a person."""

    code: str
    severity: str
    node: str
    message: str
    attribute: str | None = None
    node_type: str | None = None
    layout_location: str | None = None
    repairable: bool = False

    @property
    def where(self) -> str:
        """``/path@attribute`` (or just the path)."""
        return f"{self.node}@{self.attribute}" if self.attribute else self.node

    def to_dict(self) -> dict[str, object]:
        """Plain JSON values (the ``findings`` items of the JSON report)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "node": self.node,
            "attribute": self.attribute,
            "node_type": self.node_type,
            "message": self.message,
            "layout_location": self.layout_location,
            "repairable": self.repairable,
        }
