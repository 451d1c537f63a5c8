"""Layouts trying to inject code: refused, or compiled into modules that run none of it."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from h5layout.compiler import CompileError, compile_layout, compile_spec
from h5layout.runtime.errors import LayoutSpecError
from h5layout.schema import load_layout_spec
from tests.compiler.conftest import import_file


def _payload(marker: Path) -> str:
    return f"__import__('pathlib').Path({str(marker)!r}).touch()"


def _evil_texts(marker: Path) -> list[str]:
    code = _payload(marker)
    return [
        f'"""\n{code}\n"""',
        f"'''\n{code}\n'''",
        f'"); {code}; ("',
        f"\n{code}\n# ",
        f"\\\n{code}",
        f"\r{code}",
        f"\u2028{code}",
        f"{{{code}}}",
    ]


def _layout_yaml(marker: Path, text: str) -> str:
    # JSON strings are valid YAML double-quoted scalars: the text arrives exactly.
    s = json.dumps(text)
    return f"""
layout: evil
version: {s}
extends: pymodaq
description: {s}
groups:
  scan:
    description: {s}
    attrs:
      sample:
        type: str
        required: true
        description: {s}
        units: {s}
        enum: [{s}, "ok"]
      note: {{type: str, default: {s}, description: {s}}}
"""


def _ruff(*files: Path) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        return
    config = Path(__file__).resolve().parents[2] / "pyproject.toml"
    for cmd in (["format", "--check"], ["check", "--no-fix"]):
        res = subprocess.run(
            [str(ruff), *cmd, "--config", str(config), *map(str, files)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, res.stdout + res.stderr


def test_evil_texts_compile_to_modules_that_run_none_of_them(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    modules = []
    for k, text in enumerate(_evil_texts(marker)):
        layout = tmp_path / f"evil{k}.yaml"
        layout.write_text(_layout_yaml(marker, text), encoding="utf-8")
        try:
            source = compile_layout(str(layout))
        except LayoutSpecError:
            continue  # refusing the layout is fine too
        out = tmp_path / f"evil{k}.py"
        out.write_text(source, encoding="utf-8")
        modules.append((out, text))
    assert len(modules) >= 6, "most evil texts are valid YAML strings and must compile"
    _ruff(*(path for path, _ in modules))
    for path, text in modules:
        mod = import_file(path)
        assert not marker.exists(), f"{path.name} ran injected code"
        assert mod.LAYOUT["description"] == text
        assert mod.LAYOUT["version"] == text
        scan = mod.LAYOUT["nodes"]["scan"]  # attributes: keys of the declaration table
        assert {"sample", "note"} <= set(scan["attrs"])
        assert mod.LAYOUT["attrs"]["sample"]["description"] == text
        assert mod.LAYOUT["attrs"]["note"]["default"] == text
        assert mod.LAYOUT_SPEC.node("scan").attrs["sample"].enum == (text, "ok")
        # the values reach the typed signature as literals, never as code
        h5 = mod.H5SaverLowLevel()
        h5.init_file(path.with_suffix(".h5"), new_file=True)
        group = h5.add_scan_group(sample="ok")
        assert group.attrs["note"] == text
        h5.close_file()
    assert not marker.exists()


def test_non_identifier_layout_name_is_refused() -> None:
    spec = load_layout_spec("pymodaq")
    for name in ("x; import os", "class", "a b", "__import__('os')"):
        with pytest.raises(CompileError, match="not a Python identifier"):
            compile_spec(dataclasses.replace(spec, layout=name))


def _with_scan_attr(name: str, required: bool) -> object:
    from h5layout.runtime.layout.spec import AttrSpec

    spec = load_layout_spec("pymodaq")
    scan = spec.node("scan")
    attrs = {**scan.attrs, name: AttrSpec(name=name, type="str", required=required)}
    nodes = {**spec.nodes, "scan": dataclasses.replace(scan, attrs=attrs)}
    return dataclasses.replace(spec, nodes=nodes)


@pytest.mark.parametrize("name", ['a"b', "x)\nimport os\n#", "two words", "__dunder"])
def test_required_attribute_that_cannot_be_an_argument_is_refused(name: str) -> None:
    with pytest.raises(CompileError, match="cannot be a Python keyword argument"):
        compile_spec(_with_scan_attr(name, required=True))  # type: ignore[arg-type]


def test_optional_attribute_with_an_odd_name_stays_a_literal(tmp_path: Path) -> None:
    name = "x)\n__import__('os').system('false')\n#"
    source = compile_spec(_with_scan_attr(name, required=False))  # type: ignore[arg-type]
    out = tmp_path / "odd.py"
    out.write_text(source, encoding="utf-8")
    mod = import_file(out)
    assert name in mod.LAYOUT["nodes"]["scan"]["attrs"]
    assert "def add_scan_group" not in source  # no keyword argument for it


@pytest.mark.parametrize("name", ["id", "list", "where", "self", "LAYOUT", "GROUP", "lambda"])
def test_attribute_names_that_clash_get_a_trailing_underscore(name: str, tmp_path: Path) -> None:
    source = compile_spec(_with_scan_attr(name, required=True))  # type: ignore[arg-type]
    assert f"        {name}_: str,\n" in source or f"        {name}__: str,\n" in source
    out = tmp_path / "clash.py"
    out.write_text(source, encoding="utf-8")
    import_file(out)


def test_evil_sha_and_version_stay_in_comments(tmp_path: Path) -> None:
    spec = load_layout_spec("pymodaq")
    evil = "x\nimport os\nos.system('false')"
    source = compile_spec(dataclasses.replace(spec, sha256=evil, version=evil))
    assert "\nimport os\n" not in source
    out = tmp_path / "sha.py"
    out.write_text(source, encoding="utf-8")
    assert import_file(out).LAYOUT["sha256"] == evil
