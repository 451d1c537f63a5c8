"""``h5layout repair FILE``: fix what ``h5layout validate`` marks as repairable.

* the consistency flags a crashed writer left in a version 2/3 superblock (the file then
  opens again with any HDF5 reader): the flags byte is cleared and the superblock checksum
  (Jenkins' lookup3, as HDF5 computes it) rewritten; refused while another process has the
  file open;
* stale bookkeeping attributes: ``shape`` of arrays, ``size`` of axes, and a root
  ``swmr_active`` left true.

A backup ``FILE.bak`` (``FILE.bak.1``… when taken; never overwritten, never through a
symlink) is written first (``--no-backup`` skips it). Exit
status: 0 when the file is clean afterwards, 1 when problems remain that repair cannot fix
(or the file cannot be read), 2 on usage errors (missing file, a ``--layout`` that cannot
load).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from h5layout.runtime.check.report import FileReport

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
#: files from this size on get a progress bar (on a terminal): the backup copy is the long part
PROGRESS_FROM_BYTES = 64 * 1024 * 1024

EPILOG = """\
examples:
  h5layout repair run_crashed.h5           writes run_crashed.h5.bak first
  h5layout repair run.h5 --layout my_lab.yaml --no-backup

exit status: 0 clean afterwards, 1 problems repair cannot fix remain (or the file cannot be
read), 2 usage error, missing input or a --layout that cannot load.
"""

T = TypeVar("T")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``FILE``, ``--layout`` and ``--no-backup``."""
    parser.add_argument("file", metavar="FILE", help="HDF5 file to repair in place")
    parser.add_argument("--layout", metavar="NAME|PATH", help="layout (default: detected)")
    parser.add_argument("--no-backup", action="store_true", help="do not write a backup first")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG


def _with_progress(path: str, backup: bool, work: Callable[[], T]) -> T:
    """Run ``work`` in a thread while a bar follows the backup copy growing, then the
    checks (nothing of the repair itself is touched: only file sizes are read here)."""
    from h5layout.cli.progress import Bar

    total = os.path.getsize(path)
    bar = Bar(total, f"backup of {os.path.basename(path)}", unit="bytes")
    value: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            value.append(work())
        except BaseException as exc:  # handed to the caller's thread
            error.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    bak = path + ".bak"
    while worker.is_alive():
        worker.join(0.2)
        if backup and os.path.exists(bak):
            done = os.path.getsize(bak)
            bar.label = f"backup of {os.path.basename(path)}" if done < total else "checking"
            bar.update(min(done, total))
    bar.close()
    if error:
        raise error[0]
    return value[0]


def run(args: argparse.Namespace) -> int:
    """Repair one file and print what changed."""
    path = args.file
    from h5layout.runtime.check.domains import is_domain_url, redact

    if is_domain_url(path):
        path = redact(path)
        # Repair rewrites a file in place after a byte-for-byte backup; HSDS has neither
        # a copy of a domain on the server nor transactions to undo a half-done repair.
        print(
            f"h5layout repair: {path}: HSDS domains are not repaired in place (no backup "
            "or undo on the server); repair a local copy and copy it back:\n"
            f"  h5layout copy {path} run.h5 --no-validate && h5layout repair run.h5 && "
            f"h5layout copy run.h5 {path} --force",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not Path(path).is_file():
        print(f"h5layout repair: no such file: {path}", file=sys.stderr)
        return EXIT_USAGE
    from h5layout.cli.progress import wanted
    from h5layout.finder import layout_finder
    from h5layout.runtime.check.detect import LayoutNotFoundError
    from h5layout.runtime.check.repair import RepairError, repair_file
    from h5layout.runtime.errors import LayoutSpecError

    def work() -> tuple[list[str], FileReport]:
        return repair_file(path, args.layout, backup=not args.no_backup, finder=layout_finder())

    show = wanted(args.no_progress) and Path(path).stat().st_size >= PROGRESS_FROM_BYTES
    try:
        changed, report = _with_progress(path, not args.no_backup, work) if show else work()
    except RepairError as exc:
        print(f"h5layout repair: {path}: cannot repair: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except (LayoutNotFoundError, LayoutSpecError) as exc:  # --layout names no usable layout
        print(f"h5layout repair: {path}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # an HDF5 error of a damaged file: a problem of the input
        print(f"h5layout repair: {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    for line in changed:
        print(f"{path}: {line}")
    if len([c for c in changed if not c.startswith("backup")]) == 0:
        print(f"{path}: nothing to repair")
    left = [f for f in report.findings if f.severity == "error"]
    for f in left:
        print(f"{path}: still {f.severity} {f.code} {f.where}: {f.message}")
    return EXIT_OK if not left else EXIT_FAIL
