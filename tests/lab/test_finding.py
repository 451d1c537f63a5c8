"""Which layout a file is checked against (issue 14 item 1, issue 15 item 1).

A file may *say* which layout it follows; only layouts the user chose are loaded: shipped,
compiled or loaded on this machine (matched by sha256), ``NAME.py``/``NAME.yaml`` in the
current folder or on ``$H5LAYOUT_PATH``, or given on the command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import h5py
import pytest

from h5layout.cli.main import main
from h5layout.compiler import compile_layout
from h5layout.runtime.check.detect import (
    LayoutClaim,
    LayoutFinder,
    LayoutNotFoundError,
    UntrustedLayoutError,
    parse_module_layout,
)
from h5layout.runtime.check.validate import validate_file
from h5layout.runtime.codec.attrs import encode_json

from .conftest import write_flim_file


def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flim_file: Path) -> Path:
    """Another machine: an empty cache, the data file alone in a folder of its own."""
    monkeypatch.setenv("H5LAYOUT_CACHE_DIR", str(tmp_path / "other_cache"))
    folder = tmp_path / "colleague"
    folder.mkdir()
    copy = Path(shutil.copy(flim_file, folder / "run1.h5"))
    monkeypatch.chdir(folder)
    return copy


def test_validates_where_load_layout_compiled_it(flim_file: Path) -> None:
    # the runtime finder alone (no compiler): the cache holds the module of that sha256
    report = validate_file(flim_file)
    assert report.layout == "flim_map" and report.findings == []
    assert main(["validate", str(flim_file)]) == 0
    assert main(["inspect", "flim_map.yaml"]) == 2  # not in the current folder


def test_validates_where_compile_wrote_the_module(
    flim_yaml: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "elsewhere" / "flim_map.py"
    out.parent.mkdir()
    assert main(["compile", str(flim_yaml), "-o", str(out)]) == 0
    import h5layout

    module = h5layout.load_layout(flim_yaml)
    path = write_flim_file(module, tmp_path / "run.h5")
    for p in cache.glob("flim_map_*.py"):  # only the module compile -o wrote is left
        p.unlink()
    monkeypatch.chdir(tmp_path)
    report = validate_file(path)
    assert report.layout == "flim_map" and report.findings == []


def test_validates_elsewhere_by_name(
    flim_file: Path, flim_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _elsewhere(tmp_path, monkeypatch, flim_file)
    report = validate_file(data)
    assert report.codes() == [("unknown-layout", "/@h5layout_layout", "error")]
    assert "flim_map.py or flim_map.yaml on $H5LAYOUT_PATH" in report.findings[0].message
    assert main(["validate", str(data)]) == 1

    # the colleague got the compiled module: on the search path, or named on the command line
    module = tmp_path / "mods" / "flim_map.py"
    module.parent.mkdir()
    module.write_text(compile_layout(str(flim_yaml)), encoding="utf-8")
    monkeypatch.setenv("H5LAYOUT_PATH", f"{tmp_path / 'nothing'}{os.pathsep}{module.parent}")
    assert main(["validate", str(data)]) == 0
    for given in ("flim_map", str(module), str(flim_yaml)):
        assert main(["validate", str(data), "--layout", given]) == 0, given
    monkeypatch.delenv("H5LAYOUT_PATH")
    shutil.rmtree(tmp_path / "other_cache")  # forget what --layout flim_map.yaml compiled
    # next to the data: found when the user names it, not on the file's word alone
    shutil.copy(module, Path.cwd() / "flim_map.py")
    assert main(["validate", str(data)]) == 1
    assert main(["validate", str(data), "--layout", "flim_map"]) == 0
    assert main(["validate", str(data), "--layout", "flim_map.py"]) == 0
    assert main(["inspect", "flim_map"]) == 0
    assert main(["inspect", "flim_map.py"]) == 0
    (Path.cwd() / "flim_map.py").unlink()

    # ... or the layout itself
    shutil.copy(flim_yaml, Path.cwd() / "flim_map.yaml")
    shutil.rmtree(tmp_path / "other_cache", ignore_errors=True)
    assert main(["validate", str(data)]) == 1
    assert main(["validate", str(data), "--layout", "flim_map"]) == 0
    assert main(["validate", str(data), "--layout", "flim_map.yaml"]) == 0
    assert main(["inspect", "flim_map"]) == 0


def _name_layout(path: Path, name: str) -> None:
    with h5py.File(path, "r+") as f:
        f.attrs["h5layout_layout"] = encode_json(name)
        f.attrs["h5layout_layout_sha256"] = encode_json("0" * 64)


HOSTILE_NAMES = (
    "/etc/shadow",
    "/etc/passwd",
    "../../etc/passwd",
    "evil.yaml",
    "evil",
    "__main__",
    "h5layout.__main__",
    "os",
    "flim_map.py",
    "x" * 10_000,
)

#: a module whose top level would leave a mark if it ever ran
_EVIL_PY = """
from pathlib import Path
Path({marker!r}).write_text("ran")
LAYOUT = dict(layout="evil")
"""

#: a layout that would call itself OK against anything if it were ever compiled
_EVIL_YAML = "layout: evil\nversion: '1'\nextends: pymodaq\n"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_file_cannot_choose_what_is_loaded(
    name: str, flim_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _elsewhere(tmp_path, monkeypatch, flim_file)
    marker = tmp_path / "marker"
    for stem in ("evil", "__main__", "os"):
        (Path.cwd() / f"{stem}.py").write_text(_EVIL_PY.format(marker=str(marker)), "utf-8")
    (Path.cwd() / "evil.yaml").write_text(_EVIL_YAML, encoding="utf-8")
    (tmp_path / "other_cache").mkdir(exist_ok=True)
    cached_before = sorted((tmp_path / "other_cache").rglob("*"))
    _name_layout(data, name)
    modules_before = set(sys.modules)
    from h5layout.finder import layout_finder

    for finder in (None, layout_finder()):
        report = validate_file(data, finder=finder)
        assert report.codes() == [("unknown-layout", "/@h5layout_layout", "error")], name
        message = report.findings[0].message
        assert "root:" not in message and len(message) < 600
    assert not marker.exists()
    assert set(sys.modules) - modules_before == set()
    # nothing compiled into the cache (the evil.yaml in the folder is not a 'name' match
    # unless the file says exactly 'evil', and then it is not compiled without the compiler)
    assert sorted((tmp_path / "other_cache").rglob("*.py")) == [
        p for p in cached_before if p.suffix == ".py"
    ]
    assert main(["validate", str(data)]) == 1


def test_untrusted_names_are_said_so(flim_file: Path) -> None:
    finder = LayoutFinder()
    for name in ("/etc/shadow", "a.b", "evil.yaml", "x y", ""):
        with pytest.raises(UntrustedLayoutError, match="not a layout name"):
            finder.for_file(LayoutClaim(name))
    with pytest.raises(LayoutNotFoundError, match="unknown layout"):
        finder.for_file(LayoutClaim("no_such_layout_anywhere"))


def test_main_module_never_runs(tmp_path: Path) -> None:
    """A file naming ``__main__`` once made validate_file() run the CLI and exit."""
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f.attrs["h5layout_layout"] = encode_json("__main__")
    code = (
        "import sys; sys.argv = ['x', 'demo', '--help']\n"
        "from h5layout.runtime.check.validate import validate_file\n"
        f"r = validate_file({str(path)!r})\n"
        "print(r.codes())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('unknown-layout', '/@h5layout_layout', 'error')]"


def test_compiled_module_is_read_as_data(flim: ModuleType, tmp_path: Path) -> None:
    text = Path(flim.__file__ or "").read_text(encoding="utf-8")
    assert parse_module_layout(text) == flim.LAYOUT
    for bad in (
        "LAYOUT = __import__('os').system('true')",
        "LAYOUT = {'a': open('/etc/passwd').read()}",
        "LAYOUT = [1, 2]",
        "x = 1",
        "def f(:",
        "LAYOUT = " + "[" * 5000 + "]" * 5000,
    ):
        with pytest.raises(ValueError):
            parse_module_layout(bad)
    # constants defined above LAYOUT may be referred to (compact generated modules)
    assert parse_module_layout("A = {'x': (1, -2.5)}\nLAYOUT = {'a': A, 'b': [A]}") == {
        "a": {"x": (1, -2.5)},
        "b": [{"x": (1, -2.5)}],
    }


def test_runtime_never_imports_the_compiler_for_a_file(flim_file: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from h5layout.runtime.check.validate import validate_file\n"
        f"r = validate_file({str(flim_file)!r})\n"
        "assert r.layout == 'flim_map' and not r.findings, r.findings\n"
        "bad = [m for m in sys.modules if m.startswith(('h5layout.compiler', "
        "'h5layout.schema', 'yaml', 'jinja2', 'pydantic'))]\n"
        "print(bad)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
