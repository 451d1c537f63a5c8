"""``h5layout plot FILE NODE [-o out.png]``: one data node as a PNG picture.

0D values as points, 1D against their axis with units, 2D as an image with axes and a
colour bar, and for a scan's data its navigation map (the signal summed over its own
dimensions on the navigation axes; spread scans as scattered points). Needs matplotlib
(``pip install h5layout[plot]``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

EPILOG = """\
examples:
  h5layout plot run1.h5 /RawData/Scan000/Detector000/Data1D/CH00/Data00 -o map.png
  h5layout plot run1.h5 /RawData/Detector000/Data2D/CH00/Data00      (writes run1_Data00.png)

exit status: 0 written, 1 the node cannot be plotted or matplotlib is missing (a message,
no traceback), 2 usage error or missing input.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``FILE NODE [-o PNG] [--backend B] [--size WxH]``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("file", help="HDF5 file, or HSDS domain (hsds://host:port/path)")
    parser.add_argument("node", help="path of a data array, e.g. /RawData/Scan000/.../Data00")
    parser.add_argument("-o", "--output", type=Path, help="PNG to write (default FILE_NODE.png)")
    parser.add_argument(
        "--backend",
        default=None,
        choices=("h5py", "tables", "h5pyd"),
        help="library reading FILE (h5pyd: FILE is a domain path on HS_ENDPOINT)",
    )
    parser.add_argument("--dpi", type=int, default=100, help="pixels per inch (default 100)")
    parser.add_argument(
        "--size", default="6.4x4.8", help="figure size in inches, WxH (default 6.4x4.8)"
    )


def _size(text: str) -> tuple[float, float] | None:
    try:
        w, h = (float(v) for v in text.lower().split("x"))
    except ValueError:
        return None
    return (w, h) if w > 0 and h > 0 else None


def run(args: argparse.Namespace) -> int:
    """Load the node, draw it, write the PNG."""
    from h5layout.runtime.errors import LayoutError

    size = _size(args.size)
    if size is None or args.dpi <= 0:
        print(f"h5layout plot: bad --size {args.size!r} or --dpi {args.dpi}", file=sys.stderr)
        return EXIT_USAGE
    from h5layout.runtime.check.domains import DomainURLError, backend_for, exists, parse_target

    try:
        target = parse_target(args.file, args.backend)
        found = exists(target)
    except (DomainURLError, LayoutError) as exc:
        print(f"h5layout plot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not found:
        print(f"h5layout plot: {args.file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    backend_for(target)
    stem = Path(target.location).stem
    output = args.output or Path(f"{stem}_{args.node.rstrip('/').rsplit('/', 1)[-1]}.png")
    try:
        from h5layout.runtime.load.loader import DataLoader
        from h5layout.runtime.model.plot import matplotlib_classes, plot_dwa
        from h5layout.runtime.storage.h5backend import CARRAY

        matplotlib_classes()  # say matplotlib is missing before reading anything
        with DataLoader(target.location, backend=target.backend) as loader:
            node = loader.get_node(args.node)
            if not isinstance(node, CARRAY):
                print(
                    f"h5layout plot: {args.file}:{args.node}: not a data array (a group); "
                    "`h5layout inspect` lists the data nodes",
                    file=sys.stderr,
                )
                return EXIT_FAIL
            dwa = loader.load_data(node)
            plot_dwa(dwa, output, figsize=size, dpi=args.dpi)
    except LayoutError as exc:
        print(f"h5layout plot: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except (OSError, KeyError, ValueError) as exc:
        print(f"h5layout plot: {args.file}:{args.node}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"wrote {output}")
    return EXIT_OK
