"""Rules about a node's attributes: required, typed, within their values, stored in the
declared encoding (native HDF5 or the JSON envelope), units companions, undeclared ones."""

from __future__ import annotations

from h5layout.runtime.check.findings import declare
from h5layout.runtime.check.rules._context import Context, Node
from h5layout.runtime.check.rules.structure import SEVERITY_OF_POLICY
from h5layout.runtime.codec.attrs import is_envelope_raw
from h5layout.runtime.layout.attrcheck import check_value, units_attr
from h5layout.runtime.layout.spec import NodeSpec
from h5layout.runtime.storage.backends import NodeInfo

FAMILY = "attributes"
RULES = declare(
    FAMILY,
    ("missing-attribute", "error", "a required attribute is absent"),
    # the next three are the codes of layout.attrcheck.check_value (shared with the savers)
    ("bad-attribute-type", "error", "an attribute value has the wrong type"),
    ("bad-attribute-value", "error", "an attribute value breaks a const, enum or pattern"),
    ("out-of-range", "error", "a numeric attribute is below its minimum or above its maximum"),
    (
        "bad-encoding",
        "warning",
        "an attribute is stored JSON-encoded where native is declared, or the reverse",
    ),
    (
        "undeclared-attribute",
        "warning",
        "an attribute the layout does not declare (severity from the layout's policy)",
    ),
)


def unreadable_values(ck: Context, info: NodeInfo) -> None:
    """Attributes whose value the library cannot read."""
    for name, why in info.attr_errors.items():
        ck.add(
            "bad-attribute-type",
            info.path,
            f"cannot read the attribute ({why})",
            attribute=name,
        )


def check_attrs(ck: Context, node: Node, spec: NodeSpec) -> None:
    """Every declared attribute of ``spec`` on ``node``, then the undeclared ones."""
    if node.path == "/" and "PYTABLES_FORMAT_VERSION" in node.raw_attrs:
        ck.backend = "tables"
    encodings = spec.options.get("backend_encodings", {}).get(ck.backend, {})
    for name, aspec in spec.attrs.items():
        loc = aspec.location or spec.location
        if name not in node.raw_attrs:
            if aspec.required:
                ck.add(
                    "missing-attribute",
                    node.path,
                    f"missing required attribute ({aspec.type})",
                    attribute=name,
                    spec=spec,
                    location=loc,
                )
            continue
        raw = node.raw_attrs[name]
        value = node.attrs[name]
        enveloped = is_envelope_raw(raw)
        encoding = encodings.get(name, aspec.encoding)
        if encoding == "json" and not enveloped:
            ck.add(
                "bad-encoding",
                node.path,
                "stored as a native HDF5 attribute; the layout declares the JSON envelope",
                attribute=name,
                spec=spec,
                location=loc,
            )
        elif encoding == "native" and enveloped:
            ck.add(
                "bad-encoding",
                node.path,
                "stored in the JSON envelope; the layout declares a native HDF5 attribute",
                attribute=name,
                spec=spec,
                location=loc,
            )
        for code, msg in check_value(aspec, value):
            ck.add(code, node.path, msg, attribute=name, spec=spec, location=loc)
    # ``<name>_units`` companions of attributes declared with units (savers write them)
    companions = {units_attr(n): a for n, a in spec.attrs.items() if a.units}
    for cname, aspec in companions.items():
        if cname in spec.attrs or cname not in node.attrs:
            continue
        if node.attrs[cname] != aspec.units:
            ck.add(
                "bad-attribute-value",
                node.path,
                f"units {node.attrs[cname]!r}; the layout declares {aspec.name!r} in "
                f"{aspec.units!r}",
                attribute=cname,
                spec=spec,
                location=aspec.location or spec.location,
            )
    policy = spec.options.get("undeclared_attrs", spec.undeclared)
    if policy in SEVERITY_OF_POLICY:
        for name in node.raw_attrs:
            if name not in spec.attrs and name not in companions:
                ck.add(
                    "undeclared-attribute",
                    node.path,
                    f"attribute not declared for {spec.name!r}",
                    attribute=name,
                    spec=spec,
                    severity=SEVERITY_OF_POLICY[policy],
                )
