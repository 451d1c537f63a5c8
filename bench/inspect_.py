"""H. Inspect: the tree of a 10,000-node file against a raw h5py walk reading every attribute."""

from __future__ import annotations

import statistics

from bench.common import Options, Result
from bench.timing import interleave, now
from bench.validate_ import make_file, read_all_attrs

NAME = "H inspect"


def inspect_tree(path: object) -> float:
    """``load_tree`` as ``h5layout inspect FILE`` calls it (the detected layout, the
    attributes a tree line shows)."""
    from h5layout.runtime.registry import find_layout_spec
    from h5layout.runtime.tree import load_tree

    t0 = now()
    tree = load_tree(str(path), layout=find_layout_spec(file=str(path)), full=False)
    elapsed = now() - t0
    assert tree.root.children
    return elapsed


def run(opts: Options) -> list[Result]:
    """Scenario H (h5py reads both PyMoDAQ backends' files)."""
    big = opts.workdir / "inspect10k.h5"
    count = make_file(big, 1_000 if opts.quick else 10_000)
    inspect_tree(big)  # the layout is compiled and cached once, as after the first use
    t = interleave({"raw": lambda: read_all_attrs(big), "h5layout": lambda: inspect_tree(big)},
                   3)  # fmt: skip
    return [Result(NAME, "h5py", f"inspect {count} nodes", "s",
                   statistics.median(t["h5layout"]), statistics.median(t["raw"]), 2.0,
                   note="vs h5py visititems reading every attribute")]  # fmt: skip
