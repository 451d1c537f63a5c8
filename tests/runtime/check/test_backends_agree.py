"""``validate`` reads files through any storage backend and gives the same findings:
h5py and PyTables on the golden files, broken copies of them and files h5layout wrote;
an HSDS domain (through the h5pyd backend directly) and the local file it was copied from."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from h5layout.runtime.check.domains import Target, validate_domain
from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.codec.attrs import encode_json

from ...conftest import make_crashed_swmr
from .conftest import GOLDEN_FILES, custom_layout, good_tiny

SCAN = "/RawData/Scan000"
DTE = "/RawData/Detector000/Data1D/CH00/Data00"


def _del_attr(path: str, name: str) -> Callable[[h5py.File], None]:
    return lambda f: f[path].attrs.__delitem__(name)


def _set_attr(path: str, name: str, value: Any) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        f[path].attrs[name] = value

    return edit


def _add_group(path: str) -> Callable[[h5py.File], None]:
    return lambda f: f.create_group(path)


def _replace_axis(f: h5py.File) -> None:
    nav = f[f"{SCAN}/NavAxes/Axis01"]
    attrs = dict(nav.attrs)
    del f[f"{SCAN}/NavAxes/Axis01"]
    new = f[f"{SCAN}/NavAxes"].create_dataset("Axis01", data=np.arange(3.0))
    for k, v in attrs.items():
        new.attrs[k] = v


def _rename_scan(f: h5py.File) -> None:
    f.move(SCAN, "/RawData/Map000")  # its attributes still say it is a scan: bad-name


#: (name, golden file, edits made with h5py)
BROKEN: list[tuple[str, str, list[Callable[[h5py.File], None]]]] = [
    ("missing_attr", "dte_basic_h5py.h5", [_del_attr(DTE, "timestamp")]),
    ("missing_attr_tables", "dte_basic_tables.h5", [_del_attr(DTE, "timestamp")]),
    (
        "wrong_values",
        "dte_basic_h5py.h5",
        [
            _set_attr(DTE, "timestamp", encode_json("noon")),
            _set_attr(DTE, "distribution", encode_json("grid")),
            _set_attr(DTE, "dtype", encode_json("int8")),
        ],
    ),
    (
        "stale",
        "enlargeable_h5py.h5",
        [
            _set_attr("/RawData/Detector000/Data0D/CH00/EnlData00", "shape", encode_json((7, 1))),
            _set_attr("/RawData/Detector000/NavAxes/Axis01", "size", encode_json(12)),
        ],
    ),
    ("nav_axes", "scan2d_h5py.h5", [_replace_axis]),
    ("nav_axes_tables", "scan2d_tables.h5", [_replace_axis]),
    ("bad_name_tables", "scan2d_tables.h5", [_rename_scan]),
    (
        "undeclared",
        "dte_basic_h5py.h5",
        [_add_group("/RawData/Detector000/Data1D/CH00/junk"), _add_group("/Extra")],
    ),
    ("encoding", "scan2d_h5py.h5", [_set_attr(SCAN, "type", "scan")]),
    # (a copy writes system attributes the way its library does: not in the domain test)
    (
        "encoding_system",
        "scan2d_h5py.h5",
        [_set_attr(f"{SCAN}/NavAxes", "CLASS", encode_json("GROUP"))],
    ),
    ("missing_node", "scan2d_h5py.h5", [lambda f: f.__delitem__("/RawData")]),
]


def _files(golden_dir: Path, tmp_path: Path) -> list[Path]:
    out = [golden_dir / name for name in GOLDEN_FILES]
    for name, source, edits in BROKEN:
        path = tmp_path / f"{name}.h5"
        shutil.copy(golden_dir / source, path)
        with h5py.File(path, "r+") as f:
            for edit in edits:
                edit(f)
        out.append(path)
    out.extend(_written_by_h5layout(tmp_path))
    return out


def _written_by_h5layout(tmp_path: Path) -> list[Path]:
    """A scan written by h5layout's savers with each backend, then broken a little."""
    from h5layout import pymodaq as hp

    out = []
    for backend in ("h5py", "tables"):
        path = tmp_path / f"ours_{backend}.h5"
        h5 = hp.H5SaverLowLevel(save_type="detector", backend=backend)
        h5.init_file(path, new_file=True)
        det = h5.add_det_group(h5.raw_group, "det")
        dte = hp.DataToExport(
            "det",
            [
                hp.DataRaw("c0", data=[np.array([1.0]), np.array([2.0])]),
                hp.DataRaw("c1", data=[np.linspace(0, 1, 5)]),
            ],
        )
        hp.DataToExportSaver(h5).add_data(det, dte)
        h5.close_file()
        out.append(path)
        broken = tmp_path / f"ours_{backend}_broken.h5"
        shutil.copy(path, broken)
        with h5py.File(broken, "r+") as f:
            data = "/RawData/Detector000/Data0D/CH00/Data00"
            f[data].attrs["shape"] = encode_json((4,))
            del f[data].attrs["label"]
            f["/RawData/Detector000"].attrs["stray"] = 1
        out.append(broken)
    return out


def _findings(report: Any) -> list[dict[str, Any]]:
    return [f.to_dict() for f in report.findings]


def test_tables_backend_gives_the_same_findings(golden_dir: Path, tmp_path: Path) -> None:
    files = _files(golden_dir, tmp_path)
    total = 0
    codes: set[str] = set()
    for path in files:
        by_h5py = validate_file(path)
        by_tables = validate_file(path, backend="tables")
        assert _findings(by_tables) == _findings(by_h5py), path.name
        assert (by_tables.layout, by_tables.layout_version) == (
            by_h5py.layout,
            by_h5py.layout_version,
        )
        total += len(by_h5py.findings)
        codes |= {f.code for f in by_h5py.findings}
    # the comparison is not between empty reports: every broken file has findings
    assert total >= len(BROKEN) + 2
    assert {"missing-attribute", "stale-shape", "nav-axes-mismatch", "bad-name"} <= codes
    assert {"undeclared-node", "bad-encoding", "missing-node", "bad-dtype"} <= codes


def test_links_are_reported_alike(tmp_path: Path) -> None:
    path = good_tiny(tmp_path / "links.h5")
    with h5py.File(path, "r+") as f:
        f["Run00/soft"] = h5py.SoftLink("/Run00/Axis00")
        f["Run00/ext"] = h5py.ExternalLink("other.h5", "/x")
    by_h5py = validate_file(path, custom_layout("warn"))
    assert [c for c, _w, _s in by_h5py.codes()] == ["link-not-followed"] * 2
    assert _findings(validate_file(path, custom_layout("warn"), backend="tables")) == _findings(
        by_h5py
    )


def test_tables_backend_on_files_pytables_cannot_read(golden_dir: Path, tmp_path: Path) -> None:
    """A SWMR writer's file: h5py validates it as a SWMR reader; PyTables has none and
    says so (same code); a file PyTables would crash on is an unreadable-file finding."""
    path = make_crashed_swmr(golden_dir, tmp_path)
    by_tables = validate_file(path, backend="tables")
    assert by_tables.codes() == [("swmr-writer-open", "/", "error")]
    assert "h5py" in by_tables.findings[0].message
    bad = tmp_path / "nonutf8.h5"
    shutil.copy(golden_dir / "dte_basic_h5py.h5", bad)
    with h5py.File(bad, "r+") as f:
        f["/RawData"].attrs[b"\xff\xfe"] = 1
    assert ("non-utf8-name", "/RawData@\\xff\\xfe", "error") in validate_file(bad).codes()
    assert [c for c, _w, _s in validate_file(bad, backend="tables").codes()] == ["unreadable-file"]


def test_domain_gives_the_same_findings(
    golden_dir: Path, tmp_path: Path, h5pyd_server: Any, hsds_folder: Path
) -> None:
    """Each file copied into a domain: validating the domain directly (h5pyd backend)
    gives the findings of the local file."""
    from h5layout.runtime.tools.copy import copy_file

    files = [golden_dir / "scan2d_h5py.h5", golden_dir / "dte_basic_tables.h5"]
    files += [
        p for p in _files(golden_dir, tmp_path) if p.parent == tmp_path and "system" not in p.name
    ]
    total = 0
    for i, path in enumerate(files):
        domain = f"{hsds_folder}/f{i}.h5"
        copy_file(path, domain, backend="h5pyd", validate=False)
        local = validate_file(path)
        remote = validate_domain(Target(domain, "h5pyd"))
        assert remote.path == domain
        assert _findings(remote) == _findings(local), path.name
        total += len(local.findings)
    assert total >= len(BROKEN)
    missing = validate_domain(Target(f"{hsds_folder}/none.h5", "h5pyd"))
    assert [c for c, _w, _s in missing.codes()] == ["unreadable-file"]


def test_cli_backend_option(golden_dir: Path, tmp_path: Path, capsys: Any) -> None:
    """``validate --backend tables``: the same report and exit code as h5py's."""
    from h5layout.cli.main import main

    broken = tmp_path / "b.h5"
    shutil.copy(golden_dir / "scan2d_tables.h5", broken)
    with h5py.File(broken, "r+") as f:
        del f[SCAN].attrs["type"]
    for path, code in ((golden_dir / "scan2d_tables.h5", 0), (broken, 1)):
        outs = []
        for backend in ("h5py", "tables"):
            assert main(["validate", str(path), "--backend", backend, "--format", "json"]) == code
            outs.append(capsys.readouterr().out)
        assert outs[0] == outs[1]
