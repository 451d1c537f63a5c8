"""The SIGKILL crash suite: writers killed at random moments, then their files checked.

``python -m tests.crash.run_crash [--kills N] [--seed S] [--libs h5layout,pymodaq_data]``

Eight configurations (scan and logger, h5py and PyTables, plain and SWMR where the backend
has it, and the start-up window on both backends), each run ``--kills`` times: a writer
child process (:mod:`tests.crash.writer`) writes points ``k`` holding ``k + 1``, flushes
every ``EVERY`` points and reports each flush on its stdout; it is killed with SIGKILL at
a moment drawn from a seeded generator (after its first flush, within a second; for the
start-up window, within the first second after its imports, ``init_file`` included).
A reader child (:mod:`tests.crash.check`) then reads the file with the library's own
``DataLoader`` on the backend that wrote it. Figures per configuration: files readable,
points lost before the last reported flush, corrupt points (neither the value written nor
the fill value), files h5layout ``validate`` finds clean, files any reader modified, and
for SWMR files, files ``repair`` makes validate clean. The same program runs on
pymodaq_data's own savers for comparison. The test suite runs a bounded version
(``tests/crash/test_crash.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EVERY = 10  # points per flush


@dataclass(frozen=True)
class Config:
    """One writer configuration."""

    name: str
    mode: str  # scan | logger
    backend: str  # h5py | tables
    swmr: bool = False
    startup: bool = False  # killed within the first second, init_file included


CONFIGS = [
    Config("scan-h5py", "scan", "h5py"),
    Config("scan-tables", "scan", "tables"),
    Config("scan-h5py-swmr", "scan", "h5py", swmr=True),
    Config("logger-h5py", "logger", "h5py"),
    Config("logger-tables", "logger", "tables"),
    Config("logger-h5py-swmr", "logger", "h5py", swmr=True),
    Config("startup-h5py", "scan", "h5py", startup=True),
    Config("startup-tables", "scan", "tables", startup=True),
]


@dataclass
class Figures:
    """What the kills of one configuration left."""

    kills: int = 0
    files: int = 0  # files that exist (a start-up kill may come before the file)
    readable: int = 0
    flushed_files: int = 0  # files whose writer reported a flush before it was killed
    flushed_readable: int = 0
    lost: int = 0
    corrupt: int = 0
    valid: int = 0
    modified: int = 0  # by validate or the library's DataLoader
    modified_by_validate: int = 0
    swmr_files: int = 0
    repaired: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, flushed: int, res: dict[str, Any]) -> None:
        """Count one killed writer's file."""
        self.kills += 1
        if not res.get("exists"):
            if flushed:
                self.lost += flushed
                self.errors.append("file missing after a reported flush")
            return
        self.files += 1
        self.readable += bool(res.get("readable"))
        if flushed:
            self.flushed_files += 1
            self.flushed_readable += bool(res.get("readable"))
        self.lost += int(res.get("lost", flushed))
        self.corrupt += int(res.get("corrupt", 0))
        self.valid += bool(res.get("valid"))
        self.modified += not res.get("unmodified", False)
        self.modified_by_validate += not res.get("unmodified_by_validate", True)
        if "repaired" in res:
            self.swmr_files += 1
            self.repaired += bool(res["repaired"])
        for key in ("error", "repair_error", "reader"):
            if key in res and len(self.errors) < 5:
                self.errors.append(str(res[key]))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(HERE.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def kill_writer(lib: str, cfg: Config, path: Path, delay: float) -> int:
    """Start a writer, SIGKILL it ``delay`` s after its trigger; return the last flush it
    reported (every point below it is on disk)."""
    args = [lib, cfg.mode, cfg.backend, "1" if cfg.swmr else "0", str(path), str(EVERY)]
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "writer.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    trigger = threading.Event()
    want = "READY" if cfg.startup else "flush"

    def _read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if (line.strip() == "READY" and want == "READY") or line.strip().isdigit():
                trigger.set()
        trigger.set()  # the writer ended (killed or failed)

    reader = threading.Thread(target=_read, daemon=True)
    reader.start()
    trigger.wait(timeout=120)
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    reader.join(timeout=60)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode != -signal.SIGKILL:
        raise RuntimeError(f"{lib} {cfg.name}: writer ended by itself: {err[-2000:]}")
    return max((int(x) for x in lines if x.isdigit()), default=0)


class Checker:
    """A reader child process; restarted when a file kills or hangs it."""

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(HERE / "check.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_env(),
        )

    def check(self, req: dict[str, Any]) -> dict[str, Any]:
        """The reader's figures for one file (``reader`` says how the reader died)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        line = self.proc.stdout.readline() if ready else ""
        if line:
            return dict(json.loads(line))
        self.close()
        what = "hung" if not ready else "died"
        return {"exists": True, "readable": False, "lost": req["flushed"], "reader": what,
                "unmodified": True}  # fmt: skip

    def close(self) -> None:
        """Stop the reader child."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc = None


def delays(cfg: Config, kills: int, seed: int) -> list[float]:
    """The seeded kill schedule of one configuration (the same for every library)."""
    rng = random.Random(seed * 1_000_003 + zlib.crc32(cfg.name.encode()))
    return [rng.uniform(0.0, 1.0) for _ in range(kills)]


def run(
    libs: list[str], configs: list[Config], kills: int, seed: int, folder: Path
) -> dict[str, dict[str, Figures]]:
    """Kill ``kills`` writers per configuration and library; their figures."""
    out: dict[str, dict[str, Figures]] = {}
    for lib in libs:
        checker = Checker()
        try:
            for cfg in configs:
                fig = out.setdefault(lib, {}).setdefault(cfg.name, Figures())
                for i, delay in enumerate(delays(cfg, kills, seed)):
                    path = folder / f"{lib}-{cfg.name}-{i}.h5"
                    flushed = kill_writer(lib, cfg, path, delay)
                    req = {"path": str(path), "lib": lib, "mode": cfg.mode,
                           "backend": cfg.backend, "swmr": cfg.swmr,
                           "flushed": flushed}  # fmt: skip
                    fig.add(flushed, checker.check(req))
                    path.unlink(missing_ok=True)
        finally:
            checker.close()
    return out


def table(results: dict[str, dict[str, Figures]]) -> str:
    """A Markdown table of the figures, one row per library and configuration."""
    rows = [
        "| configuration | library | kills | files readable | readable after a flush "
        "| lost before last flush | corrupt points | validate clean "
        "| modified by validate / by DataLoader | repair → clean |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cfg in CONFIGS:
        for lib, figs in results.items():
            f = figs.get(cfg.name)
            if f is None:
                continue
            repair = f"{f.repaired}/{f.swmr_files}" if f.swmr_files else "—"
            rows.append(
                f"| {cfg.name} | {lib} | {f.kills} | {f.readable}/{f.files} "
                f"| {f.flushed_readable}/{f.flushed_files} | {f.lost} | {f.corrupt} "
                f"| {f.valid}/{f.files} | {f.modified_by_validate} / {f.modified} | {repair} |"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the suite and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20, help="kills per configuration")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--libs", default="h5layout,pymodaq_data")
    ap.add_argument("--configs", default=",".join(c.name for c in CONFIGS))
    ns = ap.parse_args(argv)
    names = ns.configs.split(",")
    configs = [c for c in CONFIGS if c.name in names]
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="h5crash-") as tmp:
        results = run(ns.libs.split(","), configs, ns.kills, ns.seed, Path(tmp))
    print(table(results))
    for lib, figs in results.items():
        for name, f in figs.items():
            for e in f.errors:
                print(f"{lib} {name}: {e}")
    print(f"{ns.kills} kills per configuration, seed {ns.seed}, {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
