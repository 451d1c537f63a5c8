"""The crash suite's reader: run as a child process (a reader that dies takes only itself).

Reads one JSON request a line on stdin (``path``, ``lib``, ``mode``, ``backend``, ``swmr``,
``flushed``), answers one JSON line on stdout: what the library's own ``DataLoader`` reads
from the killed writer's file, h5layout's ``validate`` verdict, whether reading changed the
file, and for SWMR files whether ``repair`` (on a copy) makes it validate clean.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

SCAN = "/RawData/Scan000/Detector000"
LOGGER = "/RawData/Detector000"
#: array -> sign of the values (point k holds (k + 1) * sign)
ARRAYS = {
    "scan": {f"{SCAN}/Data0D/CH00/Data00": 1, f"{SCAN}/Data0D/CH00/Data01": -1,
             f"{SCAN}/Data1D/CH00/Data00": 1},
    "logger": {f"{LOGGER}/Data0D/CH00/EnlData00": 1, f"{LOGGER}/Data0D/CH00/EnlData01": -1,
               f"{LOGGER}/Data1D/CH00/EnlData00": 1},
}  # fmt: skip


def _sha(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _read(load: Any, path: str) -> np.ndarray:
    """One array; an array not created yet (start-up window) is empty."""
    try:
        return np.asarray(load(path).data[0])
    except Exception as exc:
        text = str(exc)
        if type(exc).__name__ == "NodeError" and ("does not exist" in text or "no node" in text):
            return np.zeros((0,))
        raise


def _load(req: dict[str, Any]) -> list[np.ndarray]:
    """Every array of the file, read through the library's own DataLoader."""
    path, backend, swmr = req["path"], req["backend"], req["swmr"]
    if req["lib"] == "h5layout":
        from h5layout.pymodaq import DataLoader

        loader = DataLoader(path, backend=backend, data_model="h5layout")
        try:
            return [_read(loader.load_data, p) for p in ARRAYS[req["mode"]]]
        finally:
            loader.close_file()
    from pymodaq_data.h5modules.data_saving import DataLoader as PDLoader
    from pymodaq_data.h5modules.saving import H5SaverLowLevel

    h5 = H5SaverLowLevel(backend=backend)
    h5.init_file(Path(path), mode="r", swmr_mode=swmr)  # how a user reads it back
    try:
        pl = PDLoader(h5)
        return [_read(pl.load_data, p) for p in ARRAYS[req["mode"]]]
    finally:
        h5.close_file()


def _points(req: dict[str, Any], arrays: list[np.ndarray]) -> tuple[int, int, int]:
    """(points present and correct, points lost below the last flush, corrupt points)."""
    rows = max(len(a) for a in arrays)
    signs = list(ARRAYS[req["mode"]].values())
    good = np.ones(rows, bool)
    corrupt = np.zeros(rows, bool)
    expected = np.arange(1, rows + 1, dtype=float)
    for a, sign in zip(arrays, signs, strict=True):
        flat = a.reshape(len(a), -1).astype(float) if a.size else np.zeros((0, 1))
        exp = (expected[: len(a)] * sign)[:, None]
        ok = np.all(flat == exp, axis=1)
        fill = np.all((flat == 0) | np.isnan(flat), axis=1)
        good[: len(a)] &= ok
        good[len(a) :] = False
        corrupt[: len(a)] |= ~ok & ~fill
    flushed = req["flushed"]
    lost = int(flushed - np.count_nonzero(good[:flushed]))
    return int(np.count_nonzero(good)), lost, int(np.count_nonzero(corrupt))


def _valid(path: str) -> bool:
    from h5layout import validate

    return bool(validate(path).summary()["errors"] == 0)


def _repair(path: str) -> dict[str, Any]:
    """Whether ``repair`` makes a copy of ``path`` validate clean."""
    from h5layout.runtime.check.repair import repair_file

    with tempfile.TemporaryDirectory() as tmp:
        copy = str(Path(tmp) / "copy.h5")
        shutil.copyfile(path, copy)
        try:
            _, report = repair_file(copy, backup=False)
            return {"repaired": bool(report.errors == 0)}
        except Exception as exc:
            return {"repaired": False, "repair_error": f"{type(exc).__name__}: {exc}"[:300]}


def check(req: dict[str, Any]) -> dict[str, Any]:
    """The figures of one killed writer's file."""
    path = req["path"]
    out: dict[str, Any] = {"exists": Path(path).exists()}
    if not out["exists"]:
        return out
    before = _sha(path)
    if req["swmr"]:
        out.update(_repair(path))  # on a copy of the file as the writer left it
    out["valid"] = _valid(path)  # before the library's reader, which might change the file
    out["unmodified_by_validate"] = _sha(path) == before
    try:
        arrays = _load(req)
        out["readable"] = True
        out["present"], out["lost"], out["corrupt"] = _points(req, arrays)
    except Exception as exc:
        out.update(readable=False, error=f"{type(exc).__name__}: {exc}"[:300])
        out["lost"] = req["flushed"]
    out["unmodified"] = _sha(path) == before
    if not out["unmodified"] and out["readable"]:
        # what the reader returned is no longer what the writer left: not a read of it
        out.update(readable=False, lost=req["flushed"], error="the reader rewrote the file")
    return out


def main() -> None:
    for line in sys.stdin:
        print(json.dumps(check(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
