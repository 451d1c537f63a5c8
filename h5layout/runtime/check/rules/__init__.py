"""The checker's rules, one module per family; each declares its codes, default severities
and one-line meanings (``RULES``) next to the checks that emit them.

* :mod:`.file` — the file itself and its links (not HDF5, truncated, locked, unreadable,
  links not followed or looping, names that are not UTF-8, which layout it follows);
* :mod:`.structure` — which nodes a group holds (missing, counted, undeclared, misnamed);
* :mod:`.attributes` — attribute presence, types, values, encodings;
* :mod:`.arrays` — array kind, dtype, rank, shape, and arrays against each other;
* :mod:`.bookkeeping` — stale ``shape``/``size``/``swmr_active`` (what ``repair`` fixes).

:data:`RULES` is their union; a code belongs to exactly one family.
"""

from __future__ import annotations

from types import ModuleType

from h5layout.runtime.check.findings import Rule
from h5layout.runtime.check.rules import arrays, attributes, bookkeeping, file, structure

#: the rule families, in the order the README lists them
FAMILIES: tuple[ModuleType, ...] = (file, structure, attributes, arrays, bookkeeping)


def _union() -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for family in FAMILIES:
        for code, rule in family.RULES.items():
            if code in out:
                raise RuntimeError(
                    f"rule {code!r} declared by {out[code].family} and {rule.family}"
                )
            out[code] = rule
    return out


#: every rule, by code
RULES: dict[str, Rule] = _union()

__all__ = ["FAMILIES", "RULES", "Rule"]
