"""``h5layout inspect``: file trees with node types and decoded attributes, layouts in full."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import jsonschema
import numpy as np
import pytest

import h5layout
from h5layout.cli.main import main
from h5layout.runtime.codec.attrs import encode_json

SCHEMA = json.loads(
    (Path(h5layout.__file__).parent / "cli" / "inspect.schema.json").read_text(encoding="utf-8")
)
BACKENDS = ("h5py", "tables")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module", params=BACKENDS)
def raman_file(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raman_map file (custom required attributes, one 1D detector in a 3-point scan)."""
    backend = str(request.param)
    mod: Any = h5layout.load_layout("raman_map")
    path = tmp_path_factory.mktemp("inspect") / f"map_{backend}.h5"
    h5 = mod.H5SaverLowLevel(save_type="scan", backend=backend)
    h5.init_file(path, new_file=True)
    scan = h5.add_scan_group(sample_id="S0042", operator="ana", temperature=4.2)
    det = h5.add_det_group(scan, "spectro")
    ext = mod.DataToExportExtendedSaver(h5, (3,))
    ext.add_nav_axes(scan, [mod.Axis("x", "mm", data=np.arange(3.0), index=0)])
    wl = mod.Axis("wavelength", "nm", data=np.linspace(500.0, 600.0, 8), index=0)
    for i in range(3):
        spectrum = mod.DataRaw(
            "spectrum", data=[np.arange(8, dtype=np.float32) + i], axes=[wl], units="counts"
        )
        ext.add_data(det, mod.DataToExport("pt", data=[spectrum]), (i,))
    h5.close_file()
    return path


@pytest.mark.parametrize("name", ["scan2d_h5py.h5", "scan2d_tables.h5"])
def test_golden_tree_names_node_types(
    golden_dir: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, str(golden_dir / name))
    assert code == 0, err
    assert "layout pymodaq" in out.splitlines()[0]
    lines = {line.strip().split(" ")[0]: line for line in out.splitlines()[1:]}
    assert "[scan]" in lines["Scan000"] and "'MyScan'" in lines["Scan000"]
    assert "[detector]" in lines["Detector001"]
    assert "[nav_axes]" in lines["NavAxes"]
    assert "[channel]" in out and "[dim]" in out
    spectrum = next(line for line in out.splitlines() if "label='intensity'" in line)
    assert "[data] CARRAY float64 (5, 4, 11)" in spectrum
    assert "nav_indexes=(0, 1)" in spectrum
    axis = next(line for line in out.splitlines() if "label='wavelength'" in line)
    assert "units='nm'" in axis and "[axis]" in axis
    assert "\033[" not in out  # plain when piped


def test_custom_attributes_decoded_with_layout_units(
    raman_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, str(raman_file), "/RawData/Map000", "--attrs")
    assert code == 0, err
    assert out.splitlines()[1].startswith("Map000 [scan]")
    assert "@temperature = 4.2 K" in out  # units from the layout beside the value
    assert "@sample_id = 'S0042'" in out
    assert "@operator = 'ana'" in out
    assert '{"module"' not in out  # the envelope is decoded
    assert "units='counts'" in out
    assert "RawData" not in out  # only the node asked for and below


def test_json_output_follows_its_schema(
    raman_file: Path, golden_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in (raman_file, golden_dir / "scan2d_tables.h5", golden_dir / "enlargeable_h5py.h5"):
        code, out, err = _run(capsys, str(path), "--json")
        assert code == 0, err
        doc = json.loads(out)
        jsonschema.validate(doc, SCHEMA)
    doc = json.loads(_run(capsys, str(raman_file), "--json")[1])
    scan = doc["tree"]["children"][0]["children"][-1]
    assert (scan["name"], scan["node_type"], scan["role"]) == ("Map000", "scan", "scan")
    assert scan["attrs"]["temperature"] == {
        "value": 4.2,
        "encoding": "json",
        "units": "K",
        "declared": True,
    }
    assert scan["attrs"]["CLASS"]["encoding"] == "native"
    data = [n for n in _walk(doc["tree"]) if n["node_type"] == "data"]
    assert data and data[0]["shape"] == [3, 8] and data[0]["dtype"] == "float32"
    # a schema that could fail: a node without its type is refused
    broken = json.loads(out)
    del broken["tree"]["node_type"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node["children"]:
        out.extend(_walk(child))
    return out


def test_native_attributes_are_shown_decoded(
    raman_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "native.h5"
    path.write_bytes(raman_file.read_bytes())
    with h5py.File(path, "r+") as f:
        f["/RawData/Map000"].attrs["operator"] = "bo"  # native, not the envelope
        f["/RawData/Map000"].attrs["note"] = encode_json("free")
    doc = json.loads(_run(capsys, str(path), "/RawData/Map000", "--json")[1])
    attrs = doc["tree"]["attrs"]
    assert attrs["operator"] == {
        "value": "bo",
        "encoding": "native",
        "units": None,
        "declared": True,
    }
    assert attrs["note"]["value"] == "free" and attrs["note"]["declared"] is False


def test_native_array_attributes_on_tree_lines(
    raman_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key shown on a tree line stored as a native numpy array (no single truth value)."""
    path = tmp_path / "native_array.h5"
    path.write_bytes(raman_file.read_bytes())
    with h5py.File(path, "r+") as f:
        data = []
        f.visititems(lambda name, obj: data.append(obj) if isinstance(obj, h5py.Dataset) else None)
        data[0].attrs["nav_indexes"] = np.array([0, 1])
        data[-1].attrs["nav_indexes"] = np.array([], dtype=int)
        shown = data[0].name.rsplit("/", 1)[1]
    code, out, err = _run(capsys, str(path))
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.strip().startswith(shown))
    assert "nav_indexes=" in line


def test_colour_only_when_asked_or_on_a_terminal(
    golden_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, str(golden_dir / "scan2d_h5py.h5"), "--color", "always")
    assert code == 0 and "\033[36m[scan]\033[0m" in out


def test_hard_link_cycle_ends(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cycle.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("a/b")
        g["up"] = f["a"]  # a hard link back to an ancestor
        f["a"].create_dataset("x", data=np.arange(3))
    code, out, err = _run(capsys, str(path))
    assert code == 0, err
    assert "no known layout" in out.splitlines()[0]
    assert out.count("x [?]") == 1 and "up" not in out


def test_bad_inputs_exit_with_a_message_not_a_traceback(
    tmp_path: Path, golden_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, str(tmp_path / "missing.h5"))
    assert code == 2 and "no such file" in err
    code, _, err = _run(capsys, "no_such_layout")
    assert code == 2 and "no such file or shipped layout" in err
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not hdf5 at all" * 10)
    code, _, err = _run(capsys, str(garbage))
    assert code == 1 and "not an HDF5 file" in err
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes((golden_dir / "scan2d_h5py.h5").read_bytes()[:5000])
    code, _, err = _run(capsys, str(truncated))
    assert code == 1 and "cannot open" in err and "Traceback" not in err
    code, _, err = _run(capsys, str(golden_dir / "scan2d_h5py.h5"), "/RawData/Nope")
    assert code == 1 and "no node '/RawData/Nope'" in err
    code, _, err = _run(capsys, "--bogus-option", str(garbage))
    assert code == 2
    code, _, err = _run(capsys, str(golden_dir / "scan2d_h5py.h5"), "--layout", "no_such_one")
    assert code == 2 and "no_such_one" in err


def test_layout_shows_types_units_rules_and_descriptions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(capsys, "raman_map")
    assert code == 0, err
    assert out.startswith("layout raman_map 1.0")
    scan = out.split("\nscan: ", 1)[1].split("\n\n", 1)[0]
    assert "name=Map{index:03d}" in scan and "(pymodaq.yaml:" in scan
    assert "@temperature: float, required, units K, >= 0 — Sample temperature" in scan
    assert "@sample_id: str, required, matches /^S[0-9]{4}$/" in scan
    assert "recognised by: type='scan'" in scan
    assert "@type: str, optional, one of 'scan', 'detector'" in out
    data = out.split("\ndata: ", 1)[1].split("\n\n", 1)[0]
    assert "array: fixed, dtype uint16|float32" in data and "gzip level 4" in data


def test_pytables_reads_the_same_tree(golden_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(golden_dir / "scan2d_tables.h5")
    docs = {}
    for backend in BACKENDS:
        code, out, err = _run(capsys, path, "--json", "--backend", backend)
        assert code == 0, err
        docs[backend] = json.loads(out)
        jsonschema.validate(docs[backend], SCHEMA)
    assert docs["tables"]["backend"] == "tables"

    def summary(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (n["path"], n["node_type"], n["shape"], n["dtype"], n["attrs"]["TITLE"]["value"])
            for n in _walk(doc["tree"])
        ]

    assert summary(docs["tables"]) == summary(docs["h5py"])


def test_names_not_in_utf8_give_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from h5py import h5g

    path = tmp_path / "names.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("ok")
        h5g.create(g.id, b"bad\xff")
        g.attrs.create(b"at\xfe", np.int64(3))
    code, out, err = _run(capsys, str(path), "--attrs")
    assert code == 0 and "Traceback" not in err
    assert "@at\\xfe = np.int64(3) (native)" in out  # the name shown escaped, the value read
