"""G. Compile the PyMoDAQ layout; ``load_layout`` from the cache against a plain import."""

from __future__ import annotations

import statistics
import subprocess
import sys

from bench.common import Options, Result, has_module, skipped
from bench.timing import interleave, now, timed

NAME = "G compile"


def _py(code: str) -> float:
    t0 = now()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return now() - t0


def run(opts: Options) -> list[Result]:
    """Scenario G."""
    if not has_module("h5layout.compiler.build") or not has_module("h5layout.pymodaq"):
        return [skipped(NAME, "the compiler or h5layout.pymodaq is not there yet")]
    from h5layout.compiler.build import compile_layout

    compile_layout("pymodaq")  # warm the imports: the figure is the compilation itself
    repeats = 1 if opts.quick else 5
    compile_s = statistics.median(timed(lambda: compile_layout("pymodaq"), repeats))
    _py("import h5layout; h5layout.load_layout('pymodaq')")  # make sure the cache is filled
    cold = interleave(
        {"raw": lambda: _py("import h5layout.pymodaq"),
         "h5layout": lambda: _py("import h5layout; h5layout.load_layout('pymodaq')")},
        repeats,
    )  # fmt: skip
    return [
        Result(NAME, "-", "compile pymodaq layout (in process)", "s", compile_s,
               note="schema load, lowering and rendering"),
        Result(NAME, "-", "load_layout('pymodaq') cached, fresh process", "s",
               statistics.median(cold["h5layout"]), statistics.median(cold["raw"]),
               note="vs a fresh process importing h5layout.pymodaq"),
    ]  # fmt: skip
