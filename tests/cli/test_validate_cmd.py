"""``h5layout validate``: exit codes, formats, folders, --jobs, and a light start-up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import h5py
import pytest

from h5layout.cli.main import main
from h5layout.runtime.codec.attrs import encode_json


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["validate", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def _add_warning(path: Path) -> None:
    """One warning: an attribute the layout does not declare on a NavAxes group."""
    with h5py.File(path, "r+") as f:
        f["/RawData/Scan000/NavAxes"].attrs["note"] = encode_json("hand-written")


@pytest.fixture
def corpus(golden_dir: Path, tmp_path: Path) -> Path:
    """A folder with good and broken files (and a file that is not .h5)."""
    d = tmp_path / "corpus"
    (d / "sub").mkdir(parents=True)
    shutil.copy(golden_dir / "dte_minimal_h5py.h5", d / "a_good.h5")
    tables_file = d / "sub" / "b_tables.hdf5"
    shutil.copy(golden_dir / "scan2d_tables.h5", tables_file)
    _add_warning(tables_file)
    bad = d / "c_bad.h5"
    shutil.copy(golden_dir / "dte_minimal_h5py.h5", bad)
    with h5py.File(bad, "r+") as f:
        del f["/RawData"].attrs["CLASS"]
    (d / "d_text.h5").write_text("not hdf5\n")
    (d / "notes.txt").write_text("ignored\n")
    return d


def test_valid_file_exits_0(golden_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, str(golden_dir / "timed_h5py.h5"))
    assert rc == 0, out + err
    assert "timed_h5py.h5 [pymodaq]: OK" in out
    assert out.strip().splitlines()[-1] == "1 file(s) checked, 1 valid, 0 error(s), 0 warning(s)"
    assert "\033[" not in out  # not a terminal: no colour


def test_warnings_fail_only_with_strict(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "scan2d_tables.h5")
    shutil.copy(golden_dir / "scan2d_tables.h5", path)
    _add_warning(Path(path))  # one warning: an undeclared attribute
    assert _run(capsys, path)[0] == 0
    assert _run(capsys, path, "--strict")[0] == 1


def test_folder_text_and_exit_1(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = _run(capsys, str(corpus))
    assert rc == 1
    heads = [line for line in out.splitlines() if not line.startswith(" ")]
    assert [h.split(":")[0].split(" ")[0] for h in heads[:-1]] == [
        str(corpus / "a_good.h5"),
        str(corpus / "c_bad.h5"),
        str(corpus / "d_text.h5"),
        str(corpus / "sub" / "b_tables.hdf5"),
    ]
    assert "missing-attribute" in out and "/RawData@CLASS" in out
    assert "not-hdf5" in out
    assert heads[-1] == "4 file(s) checked, 2 valid, 2 error(s), 1 warning(s)"


def test_json_format(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import resources

    import jsonschema

    rc, out, _err = _run(capsys, str(corpus), "--format", "json")
    assert rc == 1
    doc = json.loads(out)
    schema = json.loads(
        resources.files("h5layout.runtime.check").joinpath("report.schema.json").read_text("utf-8")
    )
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    bad = next(f for f in doc["files"] if f["path"].endswith("c_bad.h5"))
    assert [(x["code"], x["node"], x["attribute"], x["severity"]) for x in bad["findings"]] == [
        ("missing-attribute", "/RawData", "CLASS", "error")
    ]
    text = next(f for f in doc["files"] if f["path"].endswith("d_text.h5"))
    assert text["layout"] is None and text["findings"][0]["code"] == "not-hdf5"
    assert doc["summary"] == {"files": 4, "valid": 2, "errors": 2, "warnings": 1}


def test_sarif_and_junit(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = _run(capsys, str(corpus), "--format", "sarif")
    assert rc == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {
        "missing-attribute",
        "not-hdf5",
        "undeclared-attribute",
    }
    rc, out, _err = _run(capsys, str(corpus), "--format", "junit")
    assert rc == 1
    root = ET.fromstring(out)
    assert len(root.findall("testsuite")) == 4
    assert root.get("failures") == "2"


def test_jobs_give_the_same_output(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = _run(capsys, str(corpus), "--format", "json", "--jobs", "1")
    two = _run(capsys, str(corpus), "--format", "json", "--jobs", "2")
    assert one == two


def test_layout_override(golden_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = _run(capsys, str(golden_dir / "dte_basic_h5py.h5"), "--layout", "raman_map")
    assert rc == 1
    assert "[raman_map]" in out and "bad-dtype" in out


@pytest.mark.parametrize(
    "args",
    [
        ["/no/such/file.h5"],
        ["--layout", "no_such_layout", "FILE"],
        ["--jobs", "0", "FILE"],
        [],
    ],
)
def test_usage_errors_exit_2(
    golden_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    args = [str(golden_dir / "timed_h5py.h5") if a == "FILE" else a for a in args]
    rc, _out, err = _run(capsys, *args)
    assert rc == 2
    assert "Traceback" not in err


def test_empty_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _out, err = _run(capsys, str(tmp_path))
    assert rc == 2 and "no *.h5" in err


def test_internal_error_exits_2(
    golden_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from h5layout.runtime.check.checker import Checker

    def boom(self: object, node: object) -> None:
        raise TypeError("rule bug")

    monkeypatch.setattr(Checker, "_check_node", boom)
    rc, out, err = _run(capsys, str(golden_dir / "timed_h5py.h5"))
    assert rc == 2
    assert "internal-error" in out and "Traceback" not in out + err


def test_stale_shape_is_reported(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "e.h5"
    shutil.copy(golden_dir / "enlargeable_h5py.h5", path)
    with h5py.File(path, "r+") as f:
        f["/RawData/Detector000/Data1D/CH00/EnlData00"].attrs["shape"] = encode_json((9, 11))
    rc, out, _err = _run(capsys, str(path), "--format", "json")
    assert rc == 1
    (finding,) = json.loads(out)["files"][0]["findings"]
    assert finding["code"] == "stale-shape"
    assert finding["repairable"] is True


_PROBE = """
import sys
from h5layout.cli.main import main
rc = main(["validate", sys.argv[1], "--format", "json"])
heavy = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("pydantic", "pydantic_core", "yaml", "jinja2")
    or m.startswith(("h5layout.schema", "h5layout.compiler"))
    # the saving API: validate reads the compiled LAYOUT from its cached JSON copy
    or m in ("h5layout.pymodaq", "h5layout.runtime.api", "h5layout.runtime.save.data",
            "h5layout.runtime.save.points")
)
print("HEAVY", heavy)
sys.exit(rc)
"""


def test_no_heavy_imports_with_compiled_layout(golden_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("h5layout.pymodaq")
    env = {**os.environ, "PYTHONWARNINGS": "error", "H5LAYOUT_CACHE_DIR": str(tmp_path)}
    for _ in range(2):  # the first run makes the cached copy of LAYOUT, the second uses it
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE, str(golden_dir / "dte_minimal_h5py.h5")],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_colour_and_progress_only_on_a_terminal(
    corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from h5layout.cli import validate as cmd

    monkeypatch.setattr(cmd, "PROGRESS_FROM", 2)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _rc, out, err = _run(capsys, str(corpus))
    assert "\033[31m" in out
    assert "[" in err and "4/4" in err
    _rc, _out, err = _run(capsys, str(corpus), "--no-progress")
    assert err == ""
    monkeypatch.setenv("NO_COLOR", "1")
    _rc, out, _err = _run(capsys, str(corpus))
    assert "\033[" not in out
    _rc, out, _err = _run(capsys, str(corpus), "--format", "json")
    assert "\033[" not in out
