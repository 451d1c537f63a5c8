"""``h5layout check``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from h5layout.cli.main import main

BROKEN = Path(__file__).resolve().parents[1] / "schema" / "broken"


def test_valid_layouts_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "pymodaq", "raman_map", "camera_logger"]) == 0
    out = capsys.readouterr().out
    assert "3 layout(s) OK" in out


def test_problems_exit_1_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN)
    assert main(["check", "03_unknown_attr_type.yaml", "04_unknown_dtype.yaml"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "03_unknown_attr_type.yaml:7:25: groups.root.attrs.sample_id.type: "
        "unknown type 'strr' (did you mean 'str'?)",
        "04_unknown_dtype.yaml:7:22: arrays.frames.dtypes[1]: "
        "unknown dtype 'flaot32' (did you mean 'float32'?)",
    ]


def test_problems_exit_1_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN)
    assert main(["check", "--format", "json", "pymodaq", "03_unknown_attr_type.yaml"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert problems == [
        {
            "file": "03_unknown_attr_type.yaml",
            "line": 7,
            "column": 25,
            "path": "groups.root.attrs.sample_id.type",
            "code": "unknown-name",
            "message": "unknown type 'strr' (did you mean 'str'?)",
        }
    ]


def test_json_empty_list_when_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format=json", "pymodaq"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_missing_file_is_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "no such layout file" in err and "nope.yaml" in err


def test_no_argument_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert main(["check", "--format", "xml", "pymodaq"]) == 2
    capsys.readouterr()


def test_extends_cycle_reported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN)
    assert main(["check", "17_extends_cycle.yaml"]) == 1
    assert "cycle in extends/include" in capsys.readouterr().out
