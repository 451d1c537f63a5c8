"""Entry point of the ``h5layout`` command.

Each sub-command lives in its own module of :mod:`h5layout.cli` exposing
``add_arguments(parser)`` and ``run(args) -> int``; its one-line help is in
:data:`COMMANDS`, so ``--help`` imports no command module. Only the chosen command's
module is imported, and command modules import heavy libraries inside ``run`` only, so
``h5layout validate`` starts without pydantic, jinja2 or the compiler.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

from h5layout._version import __version__

if "numpy" not in sys.modules:
    # No command does linear algebra worth a thread pool, and OpenBLAS's threads, started
    # when numpy is imported, spin for a while waiting for work: ~0.1 s of CPU per thread
    # on every run (a third of `inspect FILE`'s start-up and a tenth of its main()). One
    # thread unless the user chose otherwise; set before any command imports numpy.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

#: command name -> (module, one-line help). Order is the order shown by ``--help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "h5layout.cli.demo",
        "write PyMoDAQ and custom-layout files, validate them, read them back",
    ),
    "check": ("h5layout.cli.check", "check layout files and report every problem"),
    "schema": ("h5layout.cli.schema_cmd", "print the JSON Schema of the layout language"),
    "compile": ("h5layout.cli.compile_cmd", "compile a layout into a Python module"),
    "validate": ("h5layout.cli.validate", "check HDF5 files against a layout"),
    "repair": ("h5layout.cli.repair", "fix what validate marks as repairable, in place"),
    "inspect": ("h5layout.cli.inspect_cmd", "show the node tree of a file or a layout"),
    "docs": ("h5layout.cli.docs_cmd", "write Markdown documentation of a layout"),
    "plot": ("h5layout.cli.plot_cmd", "draw one data node of a file as a PNG"),
    "copy": ("h5layout.cli.copy_cmd", "copy a file between backends, then validate the copy"),
}

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

#: the exit-code rule every command follows (shown by ``h5layout --help``)
EXIT_RULE = """\
exit status (every command): 0 success, 1 the input has problems (invalid file or layout,
stale output, a copy or plot that failed: a report, never a traceback), 2 usage errors
and missing inputs (no such file, unknown layout, bad option), 130 interrupted.
"""

#: examples and exit codes of commands whose module gives no ``EPILOG`` of its own
EPILOGS: dict[str, str] = {
    "demo": """\
examples:
  h5layout demo                      files in a temporary folder
  h5layout demo --backend tables -o demo_files/

exit status: 0 every step worked, 1 a step failed.
""",
    "check": """\
examples:
  h5layout check my_lab.yaml
  h5layout check pymodaq raman_map --format json

exit status: 0 every layout valid, 1 problems (each as file:line:col: path: message),
2 usage error or no such layout.
""",
    "schema": """\
examples:
  h5layout schema -o layout.schema.json    for editors (yaml-language-server)

exit status: 0 written, 2 the output cannot be written.
""",
    "compile": """\
examples:
  h5layout compile my_lab.yaml -o my_lab.py
  h5layout compile my_lab.yaml -o my_lab.py --check     in CI: is the module current?

exit status: 0 written or current, 1 layout problems or a stale module (--check),
2 usage error or no such layout.
""",
    "validate": """\
examples:
  h5layout validate data/                          every *.h5 / *.hdf5 below data/
  h5layout validate run1.h5 --layout my_lab.yaml --strict
  h5layout validate data/ --quiet -j 2             only files with findings, 2 processes
  h5layout validate data/ --format sarif > validate.sarif

exit status: 0 every file valid, 1 errors (or warnings with --strict), 2 usage error,
missing input or a check that failed inside h5layout.
""",
}


def _available() -> dict[str, tuple[str, str]]:
    out = {}
    for name, (modname, helptext) in COMMANDS.items():
        if importlib.util.find_spec(modname) is not None:
            out[name] = (modname, helptext)
    return out


def build_parser(
    commands: dict[str, tuple[str, str]], chosen: str | None
) -> argparse.ArgumentParser:
    """The top-level parser; only ``chosen``'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(
        prog="h5layout",
        description="Declarative, schema-driven compiler for HDF5 file layouts.",
        epilog=EXIT_RULE + "\n'h5layout COMMAND --help' shows each command's examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"h5layout {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (modname, helptext) in commands.items():
        if chosen is not None and name != chosen:
            continue  # a parser per command costs ~1 ms at every start; --help builds them all
        p = sub.add_parser(
            name,
            help=helptext,
            description=helptext,
            epilog=EPILOGS.get(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == chosen:
            importlib.import_module(modname).add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    if chosen in COMMANDS and importlib.util.find_spec(COMMANDS[chosen][0]) is not None:
        commands = {chosen: COMMANDS[chosen]}
    else:
        chosen, commands = None, _available()
    parser = build_parser(commands, chosen)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    module = importlib.import_module(commands[args.command][0])
    try:
        return int(module.run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
