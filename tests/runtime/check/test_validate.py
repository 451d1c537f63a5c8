"""The file checker: golden files, a small custom layout, and a corpus of broken files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout.finder import find_layout_spec
from h5layout.runtime.check.detect import detect_layout
from h5layout.runtime.check.report import RULES
from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.codec.attrs import encode_json
from h5layout.runtime.layout.spec import LayoutSpec

from ...conftest import make_crashed_swmr
from .conftest import GOLDEN_FILES
from .conftest import custom_layout as _custom
from .conftest import good_tiny as _good_tiny

#: Known quirks of pymodaq_data files (reference §10.10): PyTables stores the root TITLE
#: natively where h5py uses the JSON envelope.
# PyTables' native root TITLE is declared by the layout (options.backend_encodings), so
# no golden file gives a finding.
KNOWN_WARNINGS: dict[str, list[tuple[str, str, str]]] = {}


@pytest.fixture(scope="module")
def pymodaq() -> LayoutSpec:
    return find_layout_spec("pymodaq")


# --------------------------------------------------------------------------------------
# golden files


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_golden_file_has_no_errors(golden_dir: Path, name: str) -> None:
    report = validate_file(golden_dir / name)
    assert report.layout == "pymodaq"  # recognised from the file itself
    assert report.codes() == KNOWN_WARNINGS.get(name, [])
    assert report.valid


def test_golden_detected_as_pymodaq(golden_dir: Path) -> None:
    assert detect_layout(golden_dir / "scan2d_tables.h5") == "pymodaq"
    assert detect_layout(golden_dir / "README.md") is None


# --------------------------------------------------------------------------------------
# a small custom layout: every rule checked on its own


def test_custom_good_file_is_clean(tmp_path: Path) -> None:
    report = validate_file(_good_tiny(tmp_path / "ok.h5"), _custom())
    assert report.findings == []
    assert report.layout == "tiny"


def test_custom_attribute_rules(tmp_path: Path) -> None:
    path = _good_tiny(tmp_path / "a.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["sample"] = "sample 42"  # breaks the pattern
        f.attrs["temperature"] = -1.0  # below the minimum
        f.attrs["colour"] = "red"  # undeclared
        d = f["Run00/Spectrum00"]
        d.attrs["nav_indexes"] = encode_json((0, 5))  # dimension 5 of a 2-D array
        d.attrs["extra"] = 1
        del f["Run00/Axis00"].attrs["index"]
        f["Run00/Axis00"].attrs["size"] = encode_json("eight")  # wrong type
    report = validate_file(path, _custom())
    assert sorted(report.codes()) == sorted(
        [
            ("bad-attribute-value", "/@sample", "error"),
            ("out-of-range", "/@temperature", "error"),
            ("undeclared-attribute", "/@colour", "error"),
            ("bad-nav-indexes", "/Run00/Spectrum00@nav_indexes", "error"),
            ("undeclared-attribute", "/Run00/Spectrum00@extra", "warning"),
            ("missing-attribute", "/Run00/Axis00@index", "error"),
            ("bad-attribute-type", "/Run00/Axis00@size", "error"),
        ]
    )
    sample = next(f for f in report.findings if f.attribute == "sample")
    assert sample.layout_location == "tiny.yaml:5:7"
    assert sample.node_type == "root"
    assert "pattern" in sample.message


def test_custom_encoding(tmp_path: Path) -> None:
    path = _good_tiny(tmp_path / "e.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["sample"] = encode_json("S0042")  # native declared
        f["Run00/Spectrum00"].attrs["data_type"] = "data"  # json declared
    report = validate_file(path, _custom())
    assert sorted(report.codes()) == [
        ("bad-encoding", "/@sample", "warning"),
        ("bad-encoding", "/Run00/Spectrum00@data_type", "warning"),
    ]


def test_custom_array_rules(tmp_path: Path) -> None:
    path = tmp_path / "arr.h5"
    with h5py.File(path, "w") as f:
        f.attrs["sample"] = "S0001"
        run = f.create_group("Run00")
        d = run.create_dataset("Spectrum00", data=np.zeros((3, 8, 2)))  # f8, fixed, rank 3
        d.attrs["data_type"] = encode_json("data")
        d.attrs["shape"] = encode_json((2, 8, 2))  # stale
        a = run.create_dataset("Axis00", shape=(5,), maxshape=(None,), dtype="f8")
        a.attrs["data_type"] = encode_json("axis")
        a.attrs["index"] = encode_json(1)
        a.attrs["size"] = encode_json(4)  # stale
    report = validate_file(path, _custom())
    assert sorted(report.codes()) == sorted(
        [
            ("bad-array-kind", "/Run00/Spectrum00", "error"),
            ("bad-dtype", "/Run00/Spectrum00", "error"),
            ("bad-rank", "/Run00/Spectrum00", "error"),
            ("stale-shape", "/Run00/Spectrum00@shape", "error"),
            ("bad-array-kind", "/Run00/Axis00", "error"),
            ("bad-shape", "/Run00/Axis00", "error"),
            ("stale-size", "/Run00/Axis00@size", "warning"),
            ("axis-length-mismatch", "/Run00/Axis00", "error"),
        ]
    )
    repairable = {f.code for f in report.findings if f.repairable}
    assert repairable == {"stale-shape", "stale-size"}


@pytest.mark.parametrize(
    ("policy", "severity"), [("error", "error"), ("warn", "warning"), ("allow", None)]
)
def test_custom_undeclared_policy(tmp_path: Path, policy: str, severity: str | None) -> None:
    path = _good_tiny(tmp_path / "u.h5")
    with h5py.File(path, "r+") as f:
        f["Run00"].create_dataset("junk", data=[1, 2])
        f.create_group("Notes")
    report = validate_file(path, _custom(policy))
    expected = (
        []
        if severity is None
        else [("undeclared-node", "/Notes", severity), ("undeclared-node", "/Run00/junk", severity)]
    )
    assert sorted(report.codes()) == expected


def test_custom_child_counts_and_layout_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "c.h5"
    with h5py.File(path, "w") as f:
        f.attrs["sample"] = "S0001"
        f.attrs["h5layout_layout"] = "tiny"
        f.attrs["h5layout_layout_version"] = "0.9"
        f.attrs["swmr_active"] = np.bool_(True)
    report = validate_file(path, _custom())
    assert report.codes() == [
        ("layout-mismatch", "/@h5layout_layout", "warning"),
        ("missing-node", "/", "error"),
        ("swmr-active-left-set", "/@swmr_active", "warning"),
    ]
    for name in ("Run00", "Run01", "Run02"):
        with h5py.File(path, "r+") as f:
            f.create_group(name)
    report = validate_file(path, _custom())
    assert ("too-many-children", "/", "error") in report.codes()


def test_rule_exception_becomes_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from h5layout.runtime.check.checker import Checker

    def boom(self: object, node: object) -> None:
        raise TypeError("rule bug")

    monkeypatch.setattr(Checker, "_bookkeeping", boom)
    report = validate_file(_good_tiny(tmp_path / "x.h5"), _custom())
    codes = {c for c, _w, _s in report.codes()}
    assert codes == {"internal-error"}
    assert "rule bug" in report.findings[0].message


def test_every_code_is_documented() -> None:
    doc = Path(__file__).resolve().parents[3] / "README.md"
    text = doc.read_text(encoding="utf-8")
    for code in RULES:
        assert f"`{code}`" in text, code


# --------------------------------------------------------------------------------------
# broken pymodaq files


def _copy(golden_dir: Path, name: str, tmp_path: Path) -> Path:
    dst = tmp_path / name
    shutil.copy(golden_dir / name, dst)
    return dst


def test_missing_attribute(golden_dir: Path, tmp_path: Path, pymodaq: LayoutSpec) -> None:
    path = _copy(golden_dir, "dte_basic_h5py.h5", tmp_path)
    with h5py.File(path, "r+") as f:
        del f["/RawData/Detector000/Data1D/CH00/Data00"].attrs["timestamp"]
    report = validate_file(path, pymodaq)
    assert report.codes() == [
        ("missing-attribute", "/RawData/Detector000/Data1D/CH00/Data00@timestamp", "error")
    ]
    (finding,) = report.findings
    assert finding.node_type == "data"
    assert finding.layout_location and finding.layout_location.startswith(
        "h5layout/layouts/pymodaq.yaml:"
    )


def test_wrong_type(golden_dir: Path, tmp_path: Path, pymodaq: LayoutSpec) -> None:
    path = _copy(golden_dir, "dte_basic_h5py.h5", tmp_path)
    with h5py.File(path, "r+") as f:
        f["/RawData/Detector000/Data1D/CH00/Data00"].attrs["timestamp"] = encode_json("noon")
        f["/RawData/Detector000/Data1D/CH00/Data00"].attrs["distribution"] = encode_json("grid")
    report = validate_file(path, pymodaq)
    # In the order the layout declares the attributes.
    assert report.codes() == [
        ("bad-attribute-value", "/RawData/Detector000/Data1D/CH00/Data00@distribution", "error"),
        ("bad-attribute-type", "/RawData/Detector000/Data1D/CH00/Data00@timestamp", "error"),
    ]
    assert report.findings[1].message == "expected float, got str"


def test_stale_shape_and_size(golden_dir: Path, tmp_path: Path, pymodaq: LayoutSpec) -> None:
    path = _copy(golden_dir, "enlargeable_h5py.h5", tmp_path)
    with h5py.File(path, "r+") as f:
        f["/RawData/Detector000/Data0D/CH00/EnlData00"].attrs["shape"] = encode_json((7, 1))
        f["/RawData/Detector000/NavAxes/Axis01"].attrs["size"] = encode_json(12)
    report = validate_file(path, pymodaq)
    assert report.codes() == [
        ("stale-shape", "/RawData/Detector000/Data0D/CH00/EnlData00@shape", "error"),
        ("stale-size", "/RawData/Detector000/NavAxes/Axis01@size", "warning"),
    ]
    assert all(f.repairable for f in report.findings)


def test_nav_axes_mismatch(golden_dir: Path, tmp_path: Path, pymodaq: LayoutSpec) -> None:
    path = _copy(golden_dir, "scan2d_h5py.h5", tmp_path)
    with h5py.File(path, "r+") as f:
        nav = f["/RawData/Scan000/NavAxes/Axis01"]
        attrs = dict(nav.attrs)
        del f["/RawData/Scan000/NavAxes/Axis01"]
        new = f["/RawData/Scan000/NavAxes"].create_dataset("Axis01", data=np.arange(3.0))
        for k, v in attrs.items():
            new.attrs[k] = v
        new.attrs["shape"] = encode_json((3,))
        new.attrs["size"] = encode_json(3)
    report = validate_file(path, pymodaq)
    assert report.codes() == [("nav-axes-mismatch", "/RawData/Scan000/NavAxes/Axis01", "error")]


def test_wrong_dtype_custom_layout(golden_dir: Path, tmp_path: Path) -> None:
    # raman_map allows uint16/float32 data only: the float64 arrays of dte_basic fail.
    raman = find_layout_spec("raman_map")
    path = _copy(golden_dir, "dte_basic_h5py.h5", tmp_path)
    report = validate_file(path, raman)
    expected = []
    with h5py.File(path, "r") as f:

        def visit(name: str, obj: object) -> None:
            if isinstance(obj, h5py.Dataset) and obj.name.rsplit("/", 1)[-1].startswith(
                ("Data", "Bkg")
            ):
                if obj.dtype.name not in ("uint16", "float32"):
                    expected.append(("bad-dtype", obj.name, "error"))

        f.visititems(visit)
    assert expected  # the golden file does hold float64 data
    assert sorted(c for c in report.codes() if c[0] == "bad-dtype") == sorted(expected)
    assert not [c for c in report.codes() if c[2] == "error" and c[0] != "bad-dtype"]


def test_undeclared_node(golden_dir: Path, tmp_path: Path, pymodaq: LayoutSpec) -> None:
    path = _copy(golden_dir, "dte_basic_h5py.h5", tmp_path)
    with h5py.File(path, "r+") as f:
        f["/RawData/Detector000/Data1D/CH00"].create_dataset("junk", data=[1, 2, 3])
    report = validate_file(path, pymodaq)
    assert report.codes() == [
        ("undeclared-node", "/RawData/Detector000/Data1D/CH00/junk", "warning")
    ]
    assert report.valid


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"", "empty-file"), (b"hello, this is text\n" * 10, "not-hdf5")],
)
def test_not_an_hdf5_file(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    report = validate_file(path)
    assert report.codes() == [(code, "/", "error")]
    assert report.layout is None


def test_truncated_file(golden_dir: Path, tmp_path: Path) -> None:
    path = _copy(golden_dir, "scan2d_h5py.h5", tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = validate_file(path)
    assert report.codes() == [("truncated-file", "/", "error")]
    assert "truncated" in report.findings[0].message


def test_missing_file(tmp_path: Path) -> None:
    report = validate_file(tmp_path / "nope.h5")
    assert report.codes() == [("unreadable-file", "/", "error")]


def test_unknown_layout(tmp_path: Path) -> None:
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=[1])
    assert validate_file(path).codes() == [("unknown-layout", "/", "error")]
    with h5py.File(path, "r+") as f:
        f.attrs["h5layout_layout"] = "no_such_layout_anywhere"
    report = validate_file(path)
    assert report.codes() == [("unknown-layout", "/@h5layout_layout", "error")]


def test_crashed_swmr_writer(golden_dir: Path, tmp_path: Path) -> None:
    path = make_crashed_swmr(golden_dir, tmp_path)
    with pytest.raises(OSError):
        h5py.File(path, "r")  # plain readers refuse it
    report = validate_file(path)
    assert report.layout == "pymodaq"
    assert report.codes() == [
        ("swmr-writer-open", "/", "error"),
        ("stale-shape", "/RawData/Logger@shape", "error"),
        ("swmr-active-left-set", "/@swmr_active", "warning"),
    ]
    assert "SWMR reader" in report.findings[0].message


def test_validate_never_writes(golden_dir: Path, tmp_path: Path) -> None:
    path = _copy(golden_dir, "timed_h5py.h5", tmp_path)
    before = path.read_bytes()
    stat = os.stat(path)
    validate_file(path)
    assert path.read_bytes() == before
    assert os.stat(path).st_mtime_ns == stat.st_mtime_ns


def test_public_api(golden_dir: Path) -> None:
    import h5layout

    report = h5layout.validate(golden_dir / "timed_h5py.h5")
    assert report.valid and report.files[0].layout == "pymodaq"
    report = h5layout.validate(golden_dir / "timed_h5py.h5", layout="raman_map")
    assert report.files[0].layout == "raman_map"


def test_crashed_plain_writer_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "w.h5"
    code = (
        "import os, sys, h5py\n"
        "f = h5py.File(sys.argv[1], 'w', libver='latest')\n"
        "f.create_group('RawData')\n"
        "f.flush()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    report = validate_file(path)
    assert report.codes() == [("locked-by-writer", "/", "error")]
    assert report.findings[0].repairable


_LIVE_SWMR = """
import sys, time
import h5py
f = h5py.File(sys.argv[1], "r+", libver="latest")
f.swmr_mode = True
f.flush()
print("ready", flush=True)
time.sleep(60)
"""


def test_live_swmr_writer(golden_dir: Path, tmp_path: Path) -> None:
    path = _copy(golden_dir, "scan2d_swmr_finalized_h5py.h5", tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", _LIVE_SWMR, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        report = validate_file(path)  # neither hangs nor raises
        assert report.codes() == [("swmr-writer-open", "/", "error")]
        assert report.layout == "pymodaq"
    finally:
        writer.kill()
        writer.wait(timeout=30)
        if writer.stdout is not None:
            writer.stdout.close()


_CORRUPT = """
import random, sys
from h5layout.runtime.check.validate import validate_file
dst = sys.argv[1]
rng = random.Random(7)
for n in range(30):
    data = open(sys.argv[2 + n % (len(sys.argv) - 2)], "rb").read()
    b = bytearray(data)
    start = rng.randrange(100, len(b) - 600)
    for i in range(start, start + rng.choice([8, 64, 512])):
        b[i] = rng.randrange(256)
    open(dst, "wb").write(b)
    report = validate_file(dst)
    bad = [f for f in report.findings if f.code == "internal-error"]
    assert not bad, bad
print("done")
"""


def test_damaged_files_give_findings_not_tracebacks(golden_dir: Path, tmp_path: Path) -> None:
    # In a subprocess: a crash inside the HDF5 library would end the test run otherwise.
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _CORRUPT,
            str(tmp_path / "damaged.h5"),
            *(
                str(golden_dir / n)
                for n in ("dte_basic_h5py.h5", "scan2d_tables.h5", "timed_h5py.h5")
            ),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "done"


def test_registry(golden_dir: Path) -> None:
    from h5layout.runtime.check.detect import LayoutNotFoundError, shipped_layouts

    assert {"pymodaq", "raman_map"} <= set(shipped_layouts())
    assert find_layout_spec(file=golden_dir / "timed_h5py.h5").layout == "pymodaq"
    assert find_layout_spec("raman_map").layout == "raman_map"
    layout_file = Path(__file__).resolve().parents[3] / "h5layout" / "layouts" / "raman_map.yaml"
    assert find_layout_spec(layout_file).layout == "raman_map"
    with pytest.raises(LayoutNotFoundError, match="shipped"):
        find_layout_spec("no_such_layout")
    with pytest.raises(LayoutNotFoundError, match="no such layout file"):
        find_layout_spec("somewhere/missing.yaml")
    with pytest.raises(LayoutNotFoundError, match="does not say"):
        find_layout_spec(file=golden_dir / "README.md")


def test_detects_layout_written_by_h5layout(tmp_path: Path) -> None:
    path = tmp_path / "mine.h5"
    with h5py.File(path, "w") as f:
        f.attrs["h5layout_layout"] = encode_json("raman_map")
        f.attrs["pymodaq_data_version"] = encode_json("5.3.0")
    assert detect_layout(path) == "raman_map"  # the layout name wins over pymodaq
    assert validate_file(path).layout == "raman_map"


_LIVE_WRITER = """
import sys, time
import h5py
f = h5py.File(sys.argv[1], "a")  # HDF5 takes an exclusive file lock
print("ready", flush=True)
time.sleep(60)
"""


def test_live_plain_writer(golden_dir: Path, tmp_path: Path) -> None:
    path = _copy(golden_dir, "timed_h5py.h5", tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", _LIVE_WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        report = validate_file(path)  # neither blocks nor fails on the lock
        assert report.codes() == [("locked-by-writer", "/", "warning")]
        assert report.layout == "pymodaq"
    finally:
        writer.kill()
        writer.wait(timeout=30)
        if writer.stdout is not None:
            writer.stdout.close()
    assert validate_file(path).findings == []


def test_compiled_module_validate(golden_dir: Path) -> None:
    compiled = pytest.importorskip("h5layout.pymodaq")
    report = compiled.validate(golden_dir / "scan2d_h5py.h5")
    assert report.layout == "pymodaq" and report.valid and report.findings == []


def test_links_and_cycles(tmp_path: Path) -> None:
    path = _good_tiny(tmp_path / "links.h5")
    with h5py.File(path, "r+") as f:
        f["Run00/loop"] = f["/"]  # a hard link back to the root: a cycle
        f["Run00/soft"] = h5py.SoftLink("/Run00/Axis00")
        f["Run00/ext"] = h5py.ExternalLink("other.h5", "/x")
    report = validate_file(path, _custom("warn"))
    assert report.codes() == [
        ("link-not-followed", "/Run00/ext", "info"),
        ("link-cycle", "/Run00/loop", "error"),
        ("link-not-followed", "/Run00/soft", "info"),
    ]  # /Run00/loop is the root again: reported as a cycle, not walked twice
