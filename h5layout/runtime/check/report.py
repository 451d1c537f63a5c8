"""Findings of the file checker and the reports made from them.

A :class:`Finding` is one problem of one file (a stable rule code, a severity, the HDF5
node and attribute, the layout node type and the layout location that asked for it, and a
sentence for a person). A :class:`FileReport` holds the findings of one file and a
:class:`Report` those of many; the formatters turn a report into text (for a terminal),
JSON (documented by ``report.schema.json``), SARIF 2.1.0 (code-scanning tools) or JUnit
XML (CI dashboards). Nothing here touches a file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from h5layout._version import __version__
from h5layout.runtime.check.findings import SEVERITIES, Finding
from h5layout.runtime.check.rules import RULES as ALL_RULES

__all__ = [
    "RULES",
    "SEVERITIES",
    "FileReport",
    "Finding",
    "Report",
    "format_report",
]

#: Every rule code: (default severity, one-line meaning), the union of what the rule
#: families declare (:mod:`h5layout.runtime.check.rules`). The README documents these.
RULES: dict[str, tuple[str, str]] = {
    code: (rule.severity, rule.description) for code, rule in ALL_RULES.items()
}


@dataclass
class FileReport:
    """The findings of one file."""

    path: str
    layout: str | None = None
    layout_version: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Number of error findings."""
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        """Number of warning findings."""
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def valid(self) -> bool:
        """True when the file has no error finding."""
        return self.errors == 0

    def ok(self, strict: bool = False) -> bool:
        """Valid, and (with ``strict``) without warnings either."""
        return self.valid and not (strict and self.warnings)

    def codes(self) -> list[tuple[str, str, str]]:
        """``(code, node@attribute, severity)`` of every finding (handy in tests)."""
        return [(f.code, f.where, f.severity) for f in self.findings]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON values (one item of the JSON report's ``files``)."""
        return {
            "path": self.path,
            "layout": self.layout,
            "valid": self.valid,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class Report:
    """The findings of several files, in the order they were given."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when no file has an error."""
        return all(f.valid for f in self.files)

    def summary(self) -> dict[str, int]:
        """Counts: files, valid files, errors, warnings."""
        return {
            "files": len(self.files),
            "valid": sum(1 for f in self.files if f.valid),
            "errors": sum(f.errors for f in self.files),
            "warnings": sum(f.warnings for f in self.files),
        }

    def exit_code(self, strict: bool = False) -> int:
        """0 when every file is fine, 1 otherwise (``strict``: warnings count too)."""
        return 0 if all(f.ok(strict) for f in self.files) else 1

    def to_dict(self) -> dict[str, object]:
        """The JSON report (see ``report.schema.json``)."""
        return {"files": [f.to_dict() for f in self.files], "summary": self.summary()}

    def to_json(self) -> str:
        """The JSON report as text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self, *, color: bool = False, strict: bool = False) -> str:
        """Findings grouped per file, then a summary line."""
        return format_text(self, color=color, strict=strict)

    def to_sarif(self) -> str:
        """A SARIF 2.1.0 log."""
        return json.dumps(sarif_log(self), indent=2, ensure_ascii=False)

    def to_junit(self) -> str:
        """JUnit XML: one testsuite and one testcase per file."""
        return junit_xml(self)


# --------------------------------------------------------------------------------------
# text

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m", "ok": "\033[32m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def _paint(text: str, what: str, color: bool) -> str:
    return f"{_COLORS[what]}{text}{_RESET}" if color else text


def format_text(report: Report, *, color: bool = False, strict: bool = False) -> str:
    """Findings grouped per file (``severity code node@attr: message``), then a summary."""
    lines: list[str] = []
    for fr in report.files:
        status = "OK" if fr.ok(strict) else "INVALID"
        head = f"{fr.path}" + (f" [{fr.layout}]" if fr.layout else "")
        tag = _paint(status, "ok" if fr.ok(strict) else "error", color)
        lines.append(f"{_BOLD if color else ''}{head}{_RESET if color else ''}: {tag}")
        for f in fr.findings:
            sev = _paint(f"{f.severity:7}", f.severity, color)
            extra = f" (layout {f.layout_location})" if f.layout_location else ""
            fix = " [repairable]" if f.repairable else ""
            lines.append(f"  {sev} {f.code:22} {f.where}: {f.message}{fix}{extra}")
    s = report.summary()
    lines.append(
        f"{s['files']} file(s) checked, {s['valid']} valid, "
        f"{s['errors']} error(s), {s['warnings']} warning(s)"
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# SARIF 2.1.0

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def sarif_log(report: Report) -> dict[str, object]:
    """The report as a SARIF 2.1.0 log (one run, one result per finding)."""
    used = sorted({f.code for fr in report.files for f in fr.findings})
    rules = [
        {
            "id": code,
            "name": "".join(part.capitalize() for part in code.split("-")),
            "shortDescription": {"text": RULES.get(code, ("error", code))[1]},
            "defaultConfiguration": {"level": _SARIF_LEVEL[RULES.get(code, ("error", ""))[0]]},
            "helpUri": "https://github.com/h5layout/h5layout#validate",
        }
        for code in used
    ]
    index = {code: i for i, code in enumerate(used)}
    results: list[dict[str, object]] = []
    artifacts: list[dict[str, object]] = []
    for ai, fr in enumerate(report.files):
        artifacts.append({"location": {"uri": _uri(fr.path)}})
        for f in fr.findings:
            logical: dict[str, object] = {
                "fullyQualifiedName": f.where,
                "name": f.attribute or f.node.rsplit("/", 1)[-1] or "/",
                "kind": "member" if f.attribute else "object",
            }
            result: dict[str, object] = {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f"{f.where}: {f.message}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(fr.path), "index": ai}
                        },
                        "logicalLocations": [logical],
                    }
                ],
                "properties": {
                    "node": f.node,
                    "attribute": f.attribute,
                    "nodeType": f.node_type,
                    "layout": fr.layout,
                    "layoutLocation": f.layout_location,
                    "repairable": f.repairable,
                },
            }
            results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "h5layout",
                        "version": __version__,
                        "informationUri": "https://github.com/h5layout/h5layout",
                        "rules": rules,
                    }
                },
                "artifacts": artifacts,
                "results": results,
            }
        ],
    }


def _uri(path: str) -> str:
    # SARIF wants URI references: forward slashes, spaces escaped.
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/:._-~")


# --------------------------------------------------------------------------------------
# JUnit XML


def junit_xml(report: Report) -> str:
    """JUnit XML: a ``testsuites`` root, one ``testsuite`` and one ``testcase`` per file.

    A file with errors gets one ``failure`` element per error finding; warnings go to
    ``system-out`` so dashboards show them without failing the build.
    """
    from xml.etree import ElementTree as ET  # only for JUnit output: not at every start

    root = ET.Element("testsuites", name="h5layout validate")
    total_fail = 0
    for fr in report.files:
        fails = [f for f in fr.findings if f.severity == "error"]
        total_fail += 1 if fails else 0
        suite = ET.SubElement(
            root,
            "testsuite",
            name=fr.path,
            tests="1",
            failures="1" if fails else "0",
            errors="0",
            skipped="0",
        )
        case = ET.SubElement(
            suite, "testcase", name=f"validate[{fr.layout or 'unknown'}]", classname=fr.path
        )
        for f in fails:
            el = ET.SubElement(case, "failure", message=f"{f.where}: {f.message}", type=f.code)
            el.text = _finding_line(f)
        others = [f for f in fr.findings if f.severity != "error"]
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(_finding_line(f) for f in others)
    root.set("tests", str(len(report.files)))
    root.set("failures", str(total_fail))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _finding_line(f: Finding) -> str:
    loc = f" (layout {f.layout_location})" if f.layout_location else ""
    return f"{f.severity} {f.code} {f.where}: {f.message}{loc}"


# --------------------------------------------------------------------------------------

FORMATS = ("text", "json", "sarif", "junit")


def format_report(report: Report, fmt: str, *, color: bool = False, strict: bool = False) -> str:
    """The report in one of :data:`FORMATS`."""
    if fmt == "json":
        return report.to_json()
    if fmt == "sarif":
        return report.to_sarif()
    if fmt == "junit":
        return report.to_junit()
    if fmt == "text":
        return report.to_text(color=color, strict=strict)
    raise ValueError(f"unknown report format {fmt!r} (one of {', '.join(FORMATS)})")


def merge(reports: Sequence[FileReport]) -> Report:
    """A report over several file reports."""
    return Report(files=list(reports))
