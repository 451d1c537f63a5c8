"""``h5layout validate FILE_OR_DIR...``: check HDF5 files against a layout.

Exit status: 0 when every file is valid, 1 when any file has an error (or a warning, with
``--strict``), 2 on usage errors (no such file, unknown layout) or when a check failed
inside h5layout (``internal-error``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from h5layout.runtime.check.detect import LayoutFinder
    from h5layout.runtime.check.report import FileReport


EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
SUFFIXES = (".h5", ".hdf5")
#: Show a progress bar from this many files on (and only when stderr is a terminal).
PROGRESS_FROM = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``FILE_OR_DIR...``, ``--layout``, ``--format``, ``--strict``, ``--jobs``."""
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="FILE_OR_DIR",
        help="HDF5 files, or folders searched recursively for *.h5 / *.hdf5",
    )
    parser.add_argument(
        "--list-rules",
        action="store_true",
        help="print every rule (code, default severity, family, meaning) and exit",
    )
    parser.add_argument(
        "--layout",
        metavar="NAME|PATH",
        help="layout to check against: a name (shipped, or NAME.py / NAME.yaml in the current "
        "folder or on $H5LAYOUT_PATH), a layout .yaml or a compiled .py (default: the layout "
        "the file names, if shipped, compiled on this machine or on $H5LAYOUT_PATH; pymodaq "
        "files are recognised)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif", "junit"),
        default="text",
        help="text (default), json (see report.schema.json), sarif (SARIF 2.1.0) or junit",
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    parser.add_argument(
        "--jobs", "-j", type=int, default=1, metavar="N", help="check N files in parallel"
    )
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    parser.add_argument(
        "--backend",
        choices=("h5py", "tables", "h5pyd"),
        default=None,
        help="the library reading the files: h5py (default), tables (PyTables; the same "
        "findings), or h5pyd: the arguments are HSDS domain paths on HS_ENDPOINT "
        "(hsds://host:port/path URLs are domains whatever this says)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="text: print only files with findings"
    )


def collect_files(paths: list[str]) -> tuple[list[str], list[str]]:
    """The files to check (folders expanded, sorted) and the paths that do not exist."""
    files: list[str] = []
    missing: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(
                str(f) for f in path.rglob("*") if f.suffix.lower() in SUFFIXES and f.is_file()
            )
            files.extend(found)
        elif path.exists():
            files.append(p)
        else:
            missing.append(p)
    return files, missing


#: The finder of a worker process (``--jobs``): each layout is found once per worker.
_WORKER_FINDER: LayoutFinder | None = None


def _new_finder() -> LayoutFinder:
    from h5layout.finder import layout_finder

    return layout_finder()


def _init_worker() -> None:
    global _WORKER_FINDER
    _WORKER_FINDER = _new_finder()


def _check_one(
    path: str,
    layout: str | None,
    backend: str | None = None,
    finder: LayoutFinder | None = None,
) -> FileReport:
    """Check one file or HSDS domain (runs in a worker process with ``--jobs``)."""
    from h5layout.runtime.check.domains import is_domain_url, parse_target, validate_domain
    from h5layout.runtime.check.validate import validate_file

    finder = finder or _WORKER_FINDER or _new_finder()
    spec = finder.find(layout) if layout is not None else None
    if backend == "h5pyd" or is_domain_url(path):
        return validate_domain(parse_target(path, backend), spec)
    return validate_file(path, spec, finder=finder, backend=backend or "h5py")


def _run_all(
    files: list[str],
    layout: str | None,
    jobs: int,
    backend: str | None = None,
    finder: LayoutFinder | None = None,
) -> Iterator[FileReport]:
    if jobs <= 1 or len(files) <= 1:
        for f in files:
            yield _check_one(f, layout, backend, finder)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker) as pool:
        # map keeps the input order, so output does not depend on scheduling.
        n = len(files)
        yield from pool.map(_check_one, files, [layout] * n, [backend] * n, chunksize=4)


def _collect(paths: list[str], backend: str | None) -> tuple[list[str], list[str], list[str]]:
    """(files and domains to check, missing paths, refused domain arguments)."""
    from h5layout.runtime.check.domains import DomainURLError, exists, is_domain_url, parse_target
    from h5layout.runtime.errors import FileAccessError

    local = [p for p in paths if not is_domain_url(p) and backend != "h5pyd"]
    files, missing = collect_files(local)
    refused = []
    for p in paths:
        if is_domain_url(p) or backend == "h5pyd":
            try:
                if not exists(parse_target(p, backend)):
                    missing.append(p)
                    continue
            except (DomainURLError, FileAccessError) as exc:
                refused.append(str(exc))
                continue
            files.append(p)
    return files, missing, refused


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    bar = "#" * filled + "-" * (width - filled)
    sys.stderr.write(f"\r[{bar}] {done}/{total}")
    if done == total:
        sys.stderr.write("\r" + " " * (width + 20) + "\r")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    """Check every file; print the report; return the exit status."""
    from h5layout.runtime.check.report import Report, format_report

    if getattr(args, "list_rules", False):
        from h5layout.runtime.check.rules import RULES

        for rule in RULES.values():
            print(f"{rule.code:22s} {rule.severity:8s} {rule.family:12s} {rule.description}")
        return EXIT_OK
    if not args.paths:
        print("h5layout validate: give FILE_OR_DIR... (or --list-rules)", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs < 1:
        print("h5layout validate: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    backend = getattr(args, "backend", None)
    files, missing, refused = _collect(args.paths, backend)
    for m in missing:
        print(f"h5layout validate: no such file or folder: {m}", file=sys.stderr)
    for r in refused:
        print(f"h5layout validate: {r}", file=sys.stderr)
    if missing or refused:
        return EXIT_USAGE
    if not files:
        print("h5layout validate: no *.h5 or *.hdf5 file found", file=sys.stderr)
        return EXIT_USAGE
    layout = args.layout
    finder = _new_finder()  # one per run: each layout is found once
    if layout is not None:
        try:
            spec = finder.find(layout)
        except Exception as exc:  # unknown name, broken layout file
            print(f"h5layout validate: cannot load layout {layout!r}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if Path(layout).is_file():
            layout = str(Path(layout).resolve())  # workers may not share our cwd
        del spec
    show = not args.no_progress and len(files) >= PROGRESS_FROM and sys.stderr.isatty()
    color = args.format == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    stream = args.format == "text"  # text streams file by file; the others are one document
    report = Report()
    for i, fr in enumerate(_run_all(files, layout, args.jobs, backend, finder), 1):
        report.files.append(fr)
        if stream and (fr.findings or not args.quiet):
            if show:
                sys.stderr.write("\r" + " " * 60 + "\r")
            text = format_report(Report([fr]), "text", color=color, strict=args.strict)
            print("\n".join(text.splitlines()[:-1]), flush=True)  # all but the summary
        if show:
            _progress(i, len(files))
    text = format_report(report, args.format, color=color, strict=args.strict)
    print(text.splitlines()[-1] if stream else text)
    if any(f.code == "internal-error" for fr in report.files for f in fr.findings):
        return EXIT_USAGE
    return report.exit_code(strict=args.strict)
