"""``h5layout repair FILE``: fix what ``h5layout validate`` marks as repairable.

* the consistency flags a crashed writer left in a version 2/3 superblock (the file then
  opens again with any HDF5 reader): the flags byte is cleared and the superblock checksum
  (Jenkins' lookup3, as HDF5 computes it) rewritten; refused while another process has the
  file open;
* stale bookkeeping attributes: ``shape`` of arrays, ``size`` of axes, and a root
  ``swmr_active`` left true.

A backup ``FILE.bak`` (``FILE.bak.1``… when taken; never overwritten, never through a
symlink) is written first when something will change (``--no-backup`` skips it). Exit
status: 0 when the file is clean afterwards, 1 when problems remain that repair cannot fix,
2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``FILE``, ``--layout`` and ``--no-backup``."""
    parser.add_argument("file", metavar="FILE", help="HDF5 file to repair in place")
    parser.add_argument("--layout", metavar="NAME|PATH", help="layout (default: detected)")
    parser.add_argument("--no-backup", action="store_true", help="do not write a backup first")


def run(args: argparse.Namespace) -> int:
    """Repair one file and print what changed."""
    path = args.file
    if not Path(path).is_file():
        print(f"h5layout repair: no such file: {path}", file=sys.stderr)
        return EXIT_USAGE
    from h5layout.runtime.repair import RepairError, repair_file

    try:
        changed, report = repair_file(path, args.layout, backup=not args.no_backup)
    except RepairError as exc:
        print(f"h5layout repair: {path}: cannot repair: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except Exception as exc:  # a layout that cannot load, an HDF5 error: say so
        print(f"h5layout repair: {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for line in changed:
        print(f"{path}: {line}")
    if len([c for c in changed if not c.startswith("backup")]) == 0:
        print(f"{path}: nothing to repair")
    left = [f for f in report.findings if f.severity == "error"]
    for f in left:
        print(f"{path}: still {f.severity} {f.code} {f.where}: {f.message}")
    return EXIT_OK if not left else EXIT_FAIL
