"""A writer for the crash suite: run as a child process, killed with SIGKILL.

``python writer.py LIB MODE BACKEND SWMR PATH EVERY``: LIB ``h5layout`` (h5layout.pymodaq)
or ``pymodaq_data`` (its own savers), MODE ``scan`` or ``logger``. Point ``k`` holds the
value ``k + 1`` everywhere (0 is the fill value). Prints ``READY`` once imported, then
``k`` after each explicit flush: every point below ``k`` is on disk. Self-contained, so
that it runs on either library with nothing of the test package imported.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

SIZE = 16  # points of the 1D channel: a torn write shows
SCAN_POINTS = 100_000  # never reached: the writer is killed first


def main() -> None:
    lib, mode, backend, swmr_s, path, every_s = sys.argv[1:7]
    swmr, every = swmr_s == "1", int(every_s)
    if lib == "h5layout":
        from h5layout import pymodaq as m

        data = m
    else:
        from pymodaq_data import data as data_mod
        from pymodaq_data.h5modules import data_saving as m_saving
        from pymodaq_data.h5modules import saving as m_low

        class _NS:
            pass

        m = _NS()  # type: ignore[assignment]
        for mod in (m_low, m_saving):
            for name in dir(mod):
                setattr(m, name, getattr(mod, name))
        data = data_mod  # type: ignore[assignment]
    print("READY", flush=True)
    h5 = m.H5SaverLowLevel(save_type=mode, backend=backend)
    h5.init_file(Path(path), new_file=True, swmr_mode=swmr)
    if mode == "scan":
        scan = h5.add_scan_group()
        saver = m.DataToExportExtendedSaver(h5, (SCAN_POINTS,))
        axis = data.Axis("x", "mm", data=np.arange(float(SCAN_POINTS)), index=0)
        saver.add_nav_axes(scan, [axis])
        det = h5.add_det_group(scan)
    else:
        det = h5.add_det_group(h5.raw_group)
        saver = m.DataToExportTimedSaver(h5)
    h5.set_swmr_flush_interval(every)
    k = 0
    deadline = time.monotonic() + 120  # stops by itself if never killed
    while time.monotonic() < deadline and k < SCAN_POINTS:
        v = float(k + 1)
        dte = data.DataToExport(
            "d",
            [
                data.DataRaw("c", data=[np.array([v]), np.array([-v])]),
                data.DataRaw("s", data=[np.full(SIZE, v)]),
            ],
        )
        if mode == "scan":
            saver.add_data(det, dte, (k,))
        else:
            dte.timestamp = v
            saver.add_data(det, dte)
        k += 1
        if k == 1 and swmr:
            active = h5.is_swmr_active
            if not (active() if callable(active) else active):
                h5.enable_swmr()
        if k % every == 0:
            h5.flush()
            print(k, flush=True)  # every point below k is on disk
        time.sleep(0.0005)


if __name__ == "__main__":
    main()
