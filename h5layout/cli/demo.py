"""``h5layout demo``: write small PyMoDAQ-layout files with the runtime and show them."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

HELP = "write a small PyMoDAQ-layout file and print its tree"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``h5layout demo``."""
    parser.add_argument(
        "-o", "--output", type=Path, default=None, help="folder for the files (default: a temp dir)"
    )
    parser.add_argument(
        "--backend", default="h5py", choices=["h5py", "tables"], help="storage backend"
    )


def tree_lines(h5: object) -> list[str]:
    """One line per node, depth first: name, class, title and a few attributes."""
    from h5layout.runtime.h5backend import H5Backend
    from h5layout.runtime.nodes import CARRAY, GROUP, Node

    assert isinstance(h5, H5Backend)
    lines: list[str] = []

    def visit(node: Node, depth: int) -> None:
        extra = f" shape={node.shape} dtype={node.dtype}" if isinstance(node, CARRAY) else ""
        data_type = node.attrs.get("data_type")
        if data_type:
            extra += f" data_type={data_type}"
        label = "/" if node.path == "/" else node.name
        lines.append(f"{'  ' * depth}{label} ({type(node).__name__}) {node.title!r}{extra}")
        if isinstance(node, GROUP):
            for child in node.children().values():
                visit(child, depth + 1)

    visit(h5.root(), 0)
    return lines


def run(args: argparse.Namespace) -> int:
    """Write the demo file(s) and print their trees."""
    import numpy as np

    from h5layout.runtime.saving import H5SaverLowLevel

    out_dir = args.output or Path(tempfile.mkdtemp(prefix="h5layout-demo-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"demo_{args.backend}.h5"
    saver = H5SaverLowLevel(backend=args.backend)
    saver.init_file(path, new_file=True, metadata={"operator": "demo"})
    det = saver.add_det_group(saver.raw_group, title="camera", settings_as_xml="")
    saver.add_array(det, "data", "data", array_to_save=np.linspace(0, 1, 11), title="spectrum")
    log = saver.add_array(
        det, "enl", "data_enlargeable", data_shape=(4,), array_type="float64", enlargeable=True
    )
    for i in range(3):
        log.append(np.full(4, float(i)))
    saver.add_log("demo written by h5layout")
    print(f"wrote {path}")
    for line in tree_lines(saver):
        print(line)
    saver.close_file()
    return 0
