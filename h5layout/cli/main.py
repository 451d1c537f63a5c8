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
import sys
from collections.abc import Sequence

from h5layout._version import __version__

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
    )
    parser.add_argument("--version", action="version", version=f"h5layout {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (modname, helptext) in commands.items():
        if chosen is not None and name != chosen:
            continue  # a parser per command costs ~1 ms at every start; --help builds them all
        p = sub.add_parser(name, help=helptext, description=helptext)
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
