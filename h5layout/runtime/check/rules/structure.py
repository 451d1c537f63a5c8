"""Rules about which nodes a group holds: each child recognised as one of the node types
its parent's type may hold (name pattern and ``match`` values; the most specific wins),
then required, counted, undeclared and misnamed nodes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from h5layout.runtime.check.findings import declare
from h5layout.runtime.check.rules.context import Context, Node
from h5layout.runtime.layout.spec import LayoutSpec, NodeSpec

FAMILY = "structure"
RULES = declare(
    FAMILY,
    ("missing-node", "error", "a group or array the layout requires is absent"),
    ("too-few-children", "error", "a group holds fewer nodes of a type than the layout requires"),
    ("too-many-children", "error", "a group holds more nodes of a type than the layout allows"),
    (
        "undeclared-node",
        "warning",
        "a node the layout does not declare (severity from the layout's policy)",
    ),
    (
        "bad-name",
        "error",
        "the node's attributes make it one of the layout's node types, its name does not fit",
    ),
)

#: a layout's ``undeclared`` policy → the severity of its findings
SEVERITY_OF_POLICY = {"error": "error", "warn": "warning"}

_ABSENT: Final = object()


def classify(ck: Context, layout: LayoutSpec, node: Node) -> None:
    """Recognise every child of ``node`` (sets ``child.spec``), then count them."""
    parent = node.spec
    if parent is None:
        return
    candidates = [c for c in (layout.nodes.get(t) for t in parent.children) if c is not None]
    for child in node.children:
        kind = "group" if child.is_group else "array"
        best: tuple[int, int, NodeSpec] | None = None
        fallback: tuple[int, NodeSpec] | None = None
        # Identity: the node's own attributes (``type: scan``, ``CLASS``...) say it is
        # one of this parent's node types although its name does not fit that type.
        identity: tuple[int, int, NodeSpec] | None = None
        for order, cand in enumerate(candidates):
            if cand.kind != kind:
                continue
            name_score = _name_score(cand, child.name)
            agrees = all(_matches(child.attrs.get(k, _ABSENT), v) for k, v in cand.match.items())
            if name_score < 0:
                if agrees and cand.match:
                    key = (len(cand.match), -order)
                    if identity is None or key > identity[:2]:
                        identity = (*key, cand)
                continue
            if agrees:
                score = name_score + len(cand.match)
                if best is None or score > best[0]:
                    best = (score, -order, cand)
            elif name_score > 0 and (fallback is None or name_score > fallback[0]):
                # Named like this type, but its attributes disagree: check it as this
                # type so the attribute rules say what is wrong.
                fallback = (name_score, cand)
        if identity is not None and (best is None or len(best[2].match) < identity[0]):
            # More specific by what the node says it is than any type its name fits (a
            # catch-all such as ``generic`` must not hide a misnamed scan): checked as
            # that type, and its name is a finding.
            cand = identity[2]
            child.spec = cand
            ck.add(
                "bad-name",
                child.path,
                f"its attributes ({_match_text(cand.match)}) make it a {cand.name!r}, "
                f"which this layout names {cand.naming.pattern or cand.naming.fixed}",
                spec=cand,
                location=rule_location(cand, "name"),
            )
        elif best is not None:
            child.spec = best[2]
        elif fallback is not None:
            child.spec = fallback[1]
        else:
            policy = parent.undeclared
            if policy != "allow":
                expected = ", ".join(parent.children) or "nothing"
                ck.add(
                    "undeclared-node",
                    child.path,
                    f"{kind} not declared by the layout (a {parent.name!r} holds: {expected})",
                    spec=parent,
                    severity=SEVERITY_OF_POLICY[policy],
                )
    child_counts(ck, layout, node)


def child_counts(ck: Context, layout: LayoutSpec, node: Node) -> None:
    """Required (``min``) and bounded (``max``) numbers of children per node type."""
    parent = node.spec
    assert parent is not None
    counts: dict[str, int] = {}
    for child in node.children:
        if child.spec is not None:
            counts[child.spec.name] = counts.get(child.spec.name, 0) + 1
    for type_name, rule in parent.children.items():
        n = counts.get(type_name, 0)
        target = layout.nodes.get(type_name)
        if n < rule.min:
            if n == 0:
                label = target.naming.fixed or target.naming.pattern if target else None
                ck.add(
                    "missing-node",
                    node.path,
                    f"no {type_name!r} node"
                    + (f" ({label})" if label else "")
                    + f"; the layout requires at least {rule.min}",
                    spec=target or parent,
                    location=rule_location(parent, "children", (target or parent).location),
                )
            else:
                ck.add(
                    "too-few-children",
                    node.path,
                    f"{n} {type_name!r} node(s), the layout requires at least {rule.min}",
                    spec=parent,
                    location=rule_location(parent, "children"),
                )
        if rule.max is not None and n > rule.max:
            ck.add(
                "too-many-children",
                node.path,
                f"{n} {type_name!r} nodes, the layout allows at most {rule.max}",
                spec=parent,
                location=rule_location(parent, "children"),
            )


def _name_score(spec: NodeSpec, name: str) -> int:
    """2 for a fixed name that matches, 1 for a pattern that matches, 0 when the type has
    no naming rule, -1 when the name does not fit."""
    naming = spec.naming
    if naming.fixed is None and naming.pattern is None:
        return 0
    if naming.fixed == "/":
        return -1
    if naming.counter_text(name) is not None:
        return 2 if naming.pattern is None else 1
    return -1


def rule_location(spec: NodeSpec, key: str, fallback: str | None = None) -> str:
    """Where the layout declared one rule of a node type (``name``, ``dtypes``, ``rank``,
    ``dims``, ``kind``, ``children``): ``options['locations'][key]`` when the layout
    records it (a derived layout's own line for what it changed), else the node type's."""
    locations = spec.options.get("locations")
    if isinstance(locations, Mapping):
        found = locations.get(key)
        if key in ("rank",) and not found:
            found = locations.get("min_rank") or locations.get("max_rank")
        if isinstance(found, str) and found:
            return found
    return spec.location if fallback is None else fallback


def _match_text(match: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in match.items())


def _matches(value: object, want: object) -> bool:
    if value is _ABSENT:
        return False
    try:
        return bool(value == want)
    except (TypeError, ValueError):
        return False
