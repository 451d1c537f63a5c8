"""``h5layout copy SRC DST [--backend h5py|tables]``: a file copied between backends.

Every group, attribute (as stored: JSON envelope or native) and array is copied, arrays in
blocks (bounded memory), with compression and chunks as the layout says; the copy is
written under a temporary name and renamed at the end (nothing half-written on failure),
then validated against its layout.
"""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

EPILOG = """\
examples:
  h5layout copy run1.h5 run1_tables.h5 --backend tables   h5py file -> PyTables file
  h5layout copy run1_tables.h5 back.h5                    -> h5py (the default)
  h5layout copy big.h5 copy.h5 --block-mb 64 --no-progress

exit status: 0 copied and valid, 1 the copy failed (nothing written) or has errors
against its layout, 2 usage error or missing input (or an existing DST without --force).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``SRC DST [--backend B] [--layout L] [--force] [--block-mb N] [--no-progress]``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("source", metavar="SRC", help="file or HSDS domain to copy")
    parser.add_argument("destination", metavar="DST", help="new file or HSDS domain")
    parser.add_argument(
        "--backend",
        default=None,
        choices=("h5py", "tables", "h5pyd"),
        help="library writing DST (default h5py; h5pyd for an hsds:// URL; h5pyd with a "
        "bare DST names a domain on HS_ENDPOINT)",
    )
    parser.add_argument(
        "--source-backend",
        default=None,
        choices=("h5py", "tables", "h5pyd"),
        help="library reading SRC (default h5py; h5pyd for an hsds:// URL)",
    )
    parser.add_argument("--layout", metavar="NAME|PATH", help="layout (default: detected)")
    parser.add_argument("--force", action="store_true", help="replace DST if it exists")
    parser.add_argument(
        "--block-mb", type=float, default=16.0, help="array block size in MB (default 16)"
    )
    parser.add_argument("--no-validate", action="store_true", help="skip validating the copy")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def run(args: argparse.Namespace) -> int:
    """Copy, validate, report."""
    from h5layout.cli.progress import Bar, wanted
    from h5layout.runtime.errors import FileAccessError, LayoutError

    if args.block_mb <= 0:
        print("h5layout copy: --block-mb must be positive", file=sys.stderr)
        return EXIT_USAGE
    from h5layout.runtime.check.domains import backend_for, exists, parse_target

    try:
        src = parse_target(args.source, args.source_backend)
        dst = parse_target(args.destination, args.backend)
        if src.server and dst.server and src.server != dst.server:
            print(
                "h5layout copy: SRC and DST are on two HSDS servers; copy through a local file",
                file=sys.stderr,
            )
            return EXIT_USAGE
        for t in (src, dst):
            if t.is_domain:
                backend_for(t)
        src_found, dst_found = exists(src), exists(dst)
    except LayoutError as exc:
        print(f"h5layout copy: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not src_found:
        print(f"h5layout copy: {args.source}: no such file", file=sys.stderr)
        return EXIT_USAGE
    if dst_found and not args.force:
        print(f"h5layout copy: {args.destination}: exists (--force replaces it)", file=sys.stderr)
        return EXIT_USAGE
    from h5layout.runtime.tools.copy import copy_file

    spec = None
    if args.layout is not None:
        from h5layout.finder import find_layout_spec

        try:
            spec = find_layout_spec(args.layout)
        except LayoutError as exc:
            print(f"h5layout copy: cannot load layout {args.layout!r}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    name = dst.location.rstrip("/").rsplit("/", 1)[-1]
    bar = Bar(0, name, enabled=wanted(args.no_progress), unit="bytes")
    try:
        result = copy_file(
            src.location,
            dst.location,
            backend=dst.backend,
            source_backend=src.backend,
            layout=spec,
            block_bytes=int(args.block_mb * 1e6),
            progress=bar.update,
            overwrite=args.force,
            validate=not args.no_validate,
        )
    except FileAccessError as exc:
        bar.close()
        print(f"h5layout copy: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except LayoutError as exc:
        bar.close()
        print(f"h5layout copy: {exc}; nothing was written", file=sys.stderr)
        return EXIT_FAIL
    bar.close()
    layout = f"layout {result.layout}" if result.layout else "no known layout"
    print(
        f"copied {src} -> {dst} ({dst.backend}): "
        f"{result.nodes} nodes, {result.bytes / 1e6:.1f} MB of arrays; {layout}"
    )
    report = result.report
    if report is None:
        return EXIT_OK
    if report.valid:
        print(f"the copy is valid ({report.warnings} warning(s))")
        return EXIT_OK
    print(f"the copy has {report.errors} error(s) against its layout:")
    for f in report.findings:
        if f.severity == "error":
            where = f"{f.node}@{f.attribute}" if f.attribute else f.node
            print(f"  {where}: {f.code}: {f.message}")
    return EXIT_FAIL
