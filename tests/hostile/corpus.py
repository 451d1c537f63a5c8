"""A corpus of hostile and damaged HDF5 files, and the harness that runs every reader on them.

``make(folder)`` writes the cases (deterministic, small; ``large=True`` adds the big ones:
deep nesting, thousands of attributes, a compression bomb). Beside each ``CASE.h5`` it
writes ``CASE.expected.json``: what each tool must answer (finding codes that must appear
in ``validate``, the error class a loader must raise, or ``"ok"``).

``run_case(path, tool)`` runs one tool on one file in a child process with a time and an
address-space limit and returns what happened. Whatever the case, these must hold:
no signal, no timeout, no traceback, no exception outside h5layout's tree, no payload run
(a payload would create the file ``h5layout_canary`` in the child's working folder), no
file modified (``repair`` works on a copy), and both backends raise the same error class.

Long run: ``python -m tests.hostile.run_corpus`` (every case, large ones included).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CANARY = "h5layout_canary"
TOOLS = (
    "validate",
    "inspect",
    "repair",
    "loader-h5py",
    "loader-tables",
    "browser-h5py",
    "browser-tables",
)
#: a command a payload would run if anything evaluated or unpickled it
_SHELL = f"touch {CANARY}"


class _Evil:
    """Pickles to a call of ``os.system`` (never unpickled by h5layout)."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (_SHELL,))


_PICKLE = pickle.dumps(_Evil(), protocol=0)  # ends with b"." as PyTables expects
_CODE = f"__import__('os').system('{_SHELL}')"


@dataclass
class Case:
    """One hostile file: how to write it and what each tool must answer."""

    name: str
    write: Callable[[Path, Path], None]  # (path, folder)
    #: validate: finding codes that must appear
    validate: list[str] = field(default_factory=list)
    #: loaders and browsers: "ok", "error" (any h5layout error) or an error class name
    loaders: str = "ok"
    large: bool = False
    #: why the case is only reported, not asserted (work left to another item)
    known: str = ""


# --------------------------------------------------------------------------------------
# writers


def _pymodaq(path: Path, backend: str = "h5py") -> None:
    """A small valid file written by h5layout's pymodaq savers."""
    from h5layout.pymodaq import DataToExportSaver, H5SaverLowLevel
    from h5layout.runtime.model.data import DataRaw, DataToExport

    h5 = H5SaverLowLevel(save_type="custom", backend=backend)
    h5.init_file(file_name=path, new_file=True)
    saver = DataToExportSaver(h5)
    dte = DataToExport(
        "d",
        data=[
            DataRaw("det0", data=[np.array([1.0])]),
            DataRaw("det1", data=[np.linspace(0, 1, 64)]),
        ],
    )
    saver.add_data("/RawData", dte)
    h5.close_file()


def _base(folder: Path) -> Path:
    base = folder / "_base.bin"
    if not base.exists():
        _pymodaq(folder / "_base.h5")
        (folder / "_base.h5").rename(base)
    return base


def _truncated(fraction: float) -> Callable[[Path, Path], None]:
    def write(path: Path, folder: Path) -> None:
        data = _base(folder).read_bytes()
        cut = max(1, int(len(data) * fraction)) if fraction < 1 else len(data) - 1
        path.write_bytes(data[:cut])

    return write


def _flipped(where: str) -> Callable[[Path, Path], None]:
    def write(path: Path, folder: Path) -> None:
        data = bytearray(_base(folder).read_bytes())
        if where == "superblock":
            data[13] ^= 0xFF  # size of lengths
        elif where == "root-header":
            for i in range(96, 160):
                data[i] ^= 0x5A
        else:  # somewhere in the middle: object headers, heaps or data
            for i in range(len(data) // 2, len(data) // 2 + 64):
                data[i] ^= 0xA5
        path.write_bytes(bytes(data))

    return write


def _zero(path: Path, folder: Path) -> None:
    path.write_bytes(b"")


def _text(path: Path, folder: Path) -> None:
    path.write_text("this is not an HDF5 file\n" * 40)


def _code_attrs(path: Path, folder: Path) -> None:
    _pymodaq(path)
    with h5py.File(path, "a") as f:
        f.attrs["plain_code"] = _CODE
        envelope = {"module": "builtins", "type": "list", "data": _CODE}
        f.attrs["enveloped_code"] = json.dumps(envelope)
        f["RawData"].attrs["settings"] = json.dumps(
            {"module": "builtins", "type": "str", "data": f"eval({_CODE!r})"}
        )


def _pickles(path: Path, folder: Path) -> None:
    import tables

    with tables.open_file(str(path), "w") as f:
        f.root._v_attrs["unused"] = 1
        vl = f.create_vlarray("/", "objects", tables.ObjectAtom())
        vl.append([1, 2])
    with h5py.File(path, "a") as f:
        # a PyTables attribute PyTables would unpickle as it loads the node
        f.attrs["evil"] = np.bytes_(_PICKLE)
        f["objects"].attrs["evil"] = np.bytes_(_PICKLE)
        # the object array's rows: replace the pickled list by the payload
        row = np.frombuffer(_PICKLE, dtype=np.uint8)
        f["objects"][0] = row


def _huge_shape(path: Path, folder: Path) -> None:
    with h5py.File(path, "w") as f:
        f.create_dataset("huge", shape=(2**40,), dtype="f8", chunks=(1024,))
        f.create_dataset("huge2d", shape=(2**31, 2**31), dtype="u1", chunks=(64, 64))


def _bomb(size: int) -> Callable[[Path, Path], None]:
    def write(path: Path, folder: Path) -> None:
        with h5py.File(path, "w") as f:
            chunk = 1 << 20
            ds = f.create_dataset(
                "bomb", shape=(size,), dtype="u1", chunks=(chunk,), compression="gzip"
            )
            # one chunk compressed once, stored as is everywhere: the writer stays small
            packed = zlib.compress(bytes(chunk), 9)
            for start in range(0, size, chunk):
                ds.id.write_direct_chunk((start,), packed)

    return write


def _many_attrs(n: int) -> Callable[[Path, Path], None]:
    def write(path: Path, folder: Path) -> None:
        _pymodaq(path)
        with h5py.File(path, "a") as f:
            for i in range(n):
                f["RawData"].attrs[f"a{i:05d}"] = json.dumps(
                    {"module": "builtins", "type": "int", "data": str(i)}
                )

    return write


def _deep(n: int) -> Callable[[Path, Path], None]:
    def write(path: Path, folder: Path) -> None:
        with h5py.File(path, "w") as f:
            f.create_group("/".join(["g"] * n))

    return write


def _hard_cycle(path: Path, folder: Path) -> None:
    _pymodaq(path)
    with h5py.File(path, "a") as f:
        f["RawData/Data1D/loop"] = f["RawData"]
        f["RawData/Data0D/up"] = f["/"]


def _soft_loops(path: Path, folder: Path) -> None:
    _pymodaq(path)
    with h5py.File(path, "a") as f:
        f["loop1"] = h5py.SoftLink("/loop2")
        f["loop2"] = h5py.SoftLink("/loop1")
        f["RawData/self"] = h5py.SoftLink("/RawData")
        f["dangling"] = h5py.SoftLink("/nowhere")


def _external(path: Path, folder: Path) -> None:
    secret = folder / "_secret.bin"
    with h5py.File(secret, "w") as f:
        f["secret"] = np.arange(5)
    _pymodaq(path)
    with h5py.File(path, "a") as f:
        f["RawData/ext"] = h5py.ExternalLink(str(secret), "/secret")
        f["ext_rel"] = h5py.ExternalLink("_secret.bin", "/")
        f["ext_passwd"] = h5py.ExternalLink("/etc/passwd", "/")


def _bad_names(where: str) -> Callable[[Path, Path], None]:
    def write(path: Path, folder: Path) -> None:
        _pymodaq(path)
        with h5py.File(path, "a") as f:
            bad = b"bad\xff\xfe"
            if where == "link":
                f["RawData"].create_group(bad)
            elif where == "attr":
                f["RawData"].attrs[bad] = 1
            else:  # a value that is not UTF-8
                f["RawData"].attrs["raw_bytes"] = np.bytes_(b"\xff\xfe\x00bad")
                ascii_vlen = h5py.string_dtype("ascii")
                f["RawData"].attrs["vlen_bytes"] = np.array(b"\xff\xfe", dtype=ascii_vlen)

    return write


def _names_layout(value: str) -> Callable[[Path, Path], None]:
    def write(path: Path, folder: Path) -> None:
        _pymodaq(path)
        with h5py.File(path, "a") as f:
            f.attrs["h5layout_layout"] = value

    return write


_CRASH = textwrap.dedent(
    """
    import os, sys
    import h5py, numpy as np
    kind, path = sys.argv[1], sys.argv[2]
    libver = {"v0": None, "v3": "latest", "swmr": "latest"}[kind]
    f = h5py.File(path, "w", libver=libver) if libver else h5py.File(path, "w")
    ds = f.create_dataset("x", shape=(0,), maxshape=(None,), dtype="f8", chunks=(16,))
    if kind == "swmr":
        f.swmr_mode = True
    ds.resize((5,))
    ds[:] = np.arange(5.0)
    f.flush()
    os._exit(0)
    """
)


def _crashed(kind: str, damage: str = "") -> Callable[[Path, Path], None]:
    def write(path: Path, folder: Path) -> None:
        subprocess.run([sys.executable, "-c", _CRASH, kind, str(path)], check=True, timeout=60)
        data = bytearray(path.read_bytes())
        if damage == "checksum":
            data[44] ^= 0xFF  # the superblock checksum
        elif damage == "headers":
            data[200:260] = bytes(60)  # object headers after the superblock
        elif damage == "cut":
            data = data[:179]
        path.write_bytes(bytes(data))

    return write


_PYMODAQ_SWMR = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    from pymodaq_data.data import DataRaw, DataToExport
    from pymodaq_data.h5modules.data_saving import DataToExportTimedSaver
    from pymodaq_data.h5modules.saving import H5SaverLowLevel
    h5 = H5SaverLowLevel(save_type="custom", backend="h5py")
    h5.init_file(file_name=Path(sys.argv[1]), new_file=True, swmr_mode=True)
    saver = DataToExportTimedSaver(h5)
    dte = DataToExport("d", data=[DataRaw("det", data=[np.array([1.0])])])
    saver.add_data("/RawData", dte)
    h5.enable_swmr()
    saver.add_data("/RawData", dte)
    h5.close_file()
    """
)


def _pymodaq_swmr(path: Path, folder: Path) -> None:
    subprocess.run([sys.executable, "-c", _PYMODAQ_SWMR, str(path)], check=True, timeout=120)


CASES: list[Case] = [
    Case("zero_length", _zero, ["empty-file"], "FileAccessError"),
    Case("text_file", _text, ["not-hdf5"], "FileAccessError"),
    Case("truncated_1pct", _truncated(0.01), ["truncated-file"], "FileAccessError"),
    Case("truncated_30pct", _truncated(0.3), ["truncated-file"], "FileAccessError"),
    Case("truncated_90pct", _truncated(0.9), ["truncated-file"], "FileAccessError"),
    Case("truncated_last_byte", _truncated(1.0), ["truncated-file"], "FileAccessError"),
    Case("flip_superblock", _flipped("superblock"), [], "error"),
    Case("flip_root_header", _flipped("root-header"), [], "error"),
    Case("flip_middle", _flipped("middle"), [], "any"),
    Case("code_in_attributes", _code_attrs, [], "ok"),
    Case("malicious_pickles", _pickles, [], "any"),
    Case("huge_declared_shapes", _huge_shape, [], "any"),
    Case("compression_bomb_small", _bomb(64 << 20), [], "ok"),
    Case("compression_bomb_large", _bomb(8 << 30), [], "any", large=True),
    Case("thousands_of_attributes", _many_attrs(3000), [], "ok"),
    Case("deep_nesting_1000", _deep(1000), [], "ok", large=True),
    Case("deep_nesting_200", _deep(200), [], "ok"),
    Case("hard_link_cycles", _hard_cycle, ["link-cycle"], "ok"),
    Case("soft_link_loops", _soft_loops, ["link-not-followed"], "ok"),
    Case("external_links", _external, ["link-not-followed"], "ok"),
    Case("non_utf8_link_name", _bad_names("link"), ["non-utf8-name"], "any"),
    Case("non_utf8_attribute_name", _bad_names("attr"), ["non-utf8-name"], "any"),
    Case("non_utf8_values", _bad_names("value"), [], "ok"),
    Case("crashed_plain_v0", _crashed("v0"), [], "ok"),
    Case("crashed_plain_v3", _crashed("v3"), ["locked-by-writer"], "FileAccessError"),
    Case("crashed_swmr", _crashed("swmr"), ["swmr-writer-open"], "any"),
    Case("swmr_bad_checksum", _crashed("swmr", "checksum"), ["bad-superblock"], "FileAccessError"),
    Case("swmr_cut_179_bytes", _crashed("swmr", "cut"), ["truncated-file"], "FileAccessError"),
    Case("swmr_damaged_headers", _crashed("swmr", "headers"), ["swmr-writer-open"], "any"),
    Case("pymodaq_swmr_not_finalized", _pymodaq_swmr, ["swmr-active-left-set"], "any"),
    Case(
        "names_system_file_as_layout",
        _names_layout("/etc/passwd"),
        ["unknown-layout"],
        "ok",
    ),
    Case(
        "names_main_as_layout",
        _names_layout("__main__"),
        ["unknown-layout"],
        "ok",
    ),
]


def make(folder: Path, *, large: bool = False, only: list[str] | None = None) -> list[Path]:
    """Write the corpus into ``folder``; returns the case files."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for case in CASES:
        if (case.large and not large) or (only and case.name not in only):
            continue
        path = folder / f"{case.name}.h5"
        if path.exists():
            path.unlink()
        case.write(path, folder)
        expected = {
            "validate": case.validate,
            "loaders": case.loaders,
            "known": case.known,
        }
        (folder / f"{case.name}.expected.json").write_text(json.dumps(expected, indent=1))
        out.append(path)
    return out


# --------------------------------------------------------------------------------------
# the harness

_DRIVER = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")
    tools, path, copy = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
    from h5layout.runtime.errors import LayoutError

    def one(tool):
        out = {"outcome": "ok"}
        if tool == "validate":
            from h5layout.runtime.check.validate import validate_file
            out["codes"] = sorted({f.code for f in validate_file(path).findings})
        elif tool == "repair":
            from h5layout.runtime.check.repair import repair_file
            repair_file(copy)
        elif tool.startswith("loader-"):
            from h5layout.pymodaq import DataLoader
            loader = DataLoader(path, backend=tool.split("-", 1)[1])
            nodes = 0
            for node in loader.walk_nodes("/"):
                nodes += 1
                node.attrs.to_dict()
                if type(node).__name__ != "GROUP":
                    try:  # whatever the declared size: the memory limit decides
                        node.read()
                    except LayoutError as exc:
                        out.setdefault("node_errors", []).append(type(exc).__name__)
            try:
                loader.load_all("/")
            except LayoutError as exc:
                out.setdefault("node_errors", []).append(type(exc).__name__)
            out["nodes"] = nodes
        elif tool.startswith("browser-"):
            from h5layout.pymodaq import H5BrowserUtil
            b = H5BrowserUtil(backend=tool.split("-", 1)[1])
            b.open_file(path, "r")
            for node in b.walk_nodes("/"):
                b.get_h5_attributes(node)
            b.get_h5file_scans()
            b.close_file()
        return out

    for tool in tools:
        try:
            out = one(tool)
        except LayoutError as exc:
            out = {"outcome": "error", "error": type(exc).__name__, "message": str(exc)[:300]}
        except BaseException as exc:
            out = {"outcome": "foreign", "error": type(exc).__name__, "message": str(exc)[:300]}
        print("RESULT " + json.dumps({"tool": tool, **out}), flush=True)
    """
)


def _limits(memory: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run_case(
    path: Path, tool: str, work: Path, *, timeout: float = 120, memory: int = 3 << 30
) -> dict[str, Any]:
    """Run ``tool`` on ``path`` in its own child process (cwd ``work``); what happened."""
    return run_tools(path, [tool], work, timeout=timeout, memory=memory)[tool]


def run_tools(
    path: Path,
    tools: list[str],
    work: Path,
    *,
    timeout: float = 120,
    memory: int = 3 << 30,
) -> dict[str, dict[str, Any]]:
    """Run ``tools`` one after the other on ``path`` in one child process (``inspect``, a
    command, in a second one); what happened to each. One process per tool isolates best
    (``run_case``); sharing one makes the bounded suite fast."""
    work.mkdir(parents=True, exist_ok=True)
    copy = work / path.name
    if "repair" in tools:
        shutil.copy(path, copy)
    before = _digest(path)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if "PYTHONPATH" in env else "")
    results: dict[str, dict[str, Any]] = {}
    api = [t for t in tools if t != "inspect"]
    runs: list[tuple[list[str], list[str]]] = []
    if api:
        runs.append((api, [sys.executable, "-c", _DRIVER, ",".join(api), str(path), str(copy)]))
    if "inspect" in tools:
        runs.append((["inspect"], [sys.executable, "-m", "h5layout", "inspect", str(path)]))
    for names, cmd in runs:
        try:
            done = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                errors="replace",  # names that are not UTF-8 may be printed as they are
                timeout=timeout,
                cwd=work,
                env=env,
                preexec_fn=_limits(memory),
            )
        except subprocess.TimeoutExpired:
            for t in names:
                results[t] = {"tool": t, "outcome": "timeout"}
            continue
        seen = {}
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                r = json.loads(line[7:])
                seen[r["tool"]] = r
        for t in names:
            r = {"tool": t, "returncode": done.returncode}
            if t == "inspect":
                r["outcome"] = "ok" if done.returncode == 0 else "error"
                r["message"] = (done.stdout + done.stderr)[-300:]
            elif t in seen:
                r.update(seen[t])
            if "Traceback" in done.stderr:
                r["outcome"] = "traceback"
                r["stderr"] = done.stderr[-800:]
            elif done.returncode < 0 and t not in seen:
                r["outcome"] = f"signal {-done.returncode}"
            elif t not in seen and t != "inspect":
                r["outcome"] = "no result"
                r["stderr"] = done.stderr[-800:]
            results[t] = r
    if (work / CANARY).exists():
        for r in results.values():
            r["payload_ran"] = True
        (work / CANARY).unlink()
    if _digest(path) != before:
        for r in results.values():
            r["modified"] = True
    return results


def problems(case: Path, results: dict[str, dict[str, Any]]) -> list[str]:
    """What breaks the corpus' rules in the results of every tool on one case."""
    expected = json.loads(case.with_suffix(".expected.json").read_text())
    out = []
    for tool, r in results.items():
        where = f"{case.stem} / {tool}"
        if r["outcome"] in ("timeout", "traceback", "foreign", "no result") or r[
            "outcome"
        ].startswith("signal"):
            out.append(f"{where}: {r['outcome']} {r.get('error', '')} {r.get('message', '')}")
        if r.get("payload_ran"):
            out.append(f"{where}: a payload ran")
        if r.get("modified"):
            out.append(f"{where}: the file was modified")
        if tool == "validate" and "codes" in r:
            missing = set(expected["validate"]) - set(r["codes"])
            if missing:
                out.append(f"{where}: expected findings {sorted(missing)}, got {r['codes']}")
        if tool.startswith(("loader-", "browser-")):
            want = expected["loaders"]
            got = r["outcome"] if r["outcome"] != "error" else r.get("error", "error")
            if want == "ok" and r["outcome"] != "ok":
                out.append(f"{where}: expected ok, got {got}: {r.get('message', '')}")
            elif want == "error" and r["outcome"] != "error":
                out.append(f"{where}: expected an h5layout error, got {got}")
            elif want not in ("ok", "error", "any") and got != want:
                out.append(f"{where}: expected {want}, got {got}: {r.get('message', '')}")
    for kind in ("loader", "browser"):
        a, b = results.get(f"{kind}-h5py"), results.get(f"{kind}-tables")
        if a and b and a["outcome"] == b["outcome"] == "error" and a["error"] != b["error"]:
            out.append(f"{case.stem} / {kind}: h5py raises {a['error']}, tables {b['error']}")
    if expected.get("known"):
        return [f"KNOWN ({expected['known']}): {p}" for p in out]
    return out
