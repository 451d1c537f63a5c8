"""The SIGKILL crash suite, bounded for CI: two kills per configuration, h5layout's savers.

The long run, with pymodaq_data's savers beside (figures in README § Reliability):
``python -m tests.crash.run_crash --kills 20``.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from h5layout import pymodaq as hp
from tests.crash import check, run_crash
from tests.crash.run_crash import CONFIGS, Config, Figures

KILLS = 2
SEED = 15


@pytest.mark.parametrize("cfg", CONFIGS, ids=[c.name for c in CONFIGS])
def test_killed_writer_loses_nothing_flushed(tmp_path: Path, cfg: Config) -> None:
    fig: Figures = run_crash.run(["h5layout"], [cfg], KILLS, SEED, tmp_path)["h5layout"][cfg.name]
    assert fig.kills == KILLS
    assert fig.lost == 0, fig.errors
    assert fig.corrupt == 0, fig.errors
    assert fig.modified == 0, fig.errors
    # a file whose writer reported a flush is always readable
    assert fig.flushed_readable == fig.flushed_files, fig.errors
    if not cfg.startup:
        assert fig.files == fig.readable == KILLS, fig.errors
        assert fig.flushed_files == KILLS
    if cfg.swmr:
        assert fig.repaired == fig.swmr_files == fig.files, fig.errors
    else:
        assert fig.valid == fig.files, fig.errors


def test_schedule_is_seeded() -> None:
    cfg = CONFIGS[0]
    assert run_crash.delays(cfg, 5, 1) == run_crash.delays(cfg, 5, 1)
    assert run_crash.delays(cfg, 5, 1) != run_crash.delays(cfg, 5, 2)
    assert all(0.0 <= d <= 1.0 for d in run_crash.delays(cfg, 50, 3))


def test_checker_counts_lost_and_corrupt_points(tmp_path: Path) -> None:
    """The checker is not blind: a torn point and a missing one are both counted."""
    path = tmp_path / "f.h5"
    h5 = hp.H5SaverLowLevel(save_type="logger", backend="h5py")
    h5.init_file(path, new_file=True)
    det = h5.add_det_group(h5.raw_group)
    saver = hp.DataToExportTimedSaver(h5)
    for k in range(6):
        v = float(k + 1)
        dte = hp.DataToExport(
            "d",
            [
                hp.DataRaw("c", data=[np.array([v]), np.array([-v])]),
                hp.DataRaw("s", data=[np.full(16, v)]),
            ],
        )
        dte.timestamp = v
        saver.add_data(det, dte)
    h5.close_file()
    req = {"path": str(path), "lib": "h5layout", "mode": "logger", "backend": "h5py",
           "swmr": False, "flushed": 6}  # fmt: skip
    assert check.check(req)["lost"] == 0
    with h5py.File(path, "r+") as f:
        f["/RawData/Detector000/Data1D/CH00/EnlData00"][2, 5] = 99.0  # a torn point
    res = check.check({**req, "flushed": 8})  # two more reported than written
    assert (res["present"], res["lost"], res["corrupt"]) == (5, 3, 1)
    assert res["unmodified"]
