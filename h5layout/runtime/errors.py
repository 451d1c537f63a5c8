"""Every exception h5layout raises, in this one module, rooted at :class:`LayoutError`.

Other modules raise these and re-export the ones they are known by
(``h5layout.runtime.check.detect.LayoutNotFoundError``, ``h5layout.compiler.CompileError``,
...); the classes live here. Checks report problems as data: :class:`LayoutSpecError`
carries a list of :class:`Problem` (a layout file's location, a stable code) and
:class:`DataValueError` a list of :class:`ValueProblem` (node path, attribute, code).

::

    LayoutError
    ├── LayoutSpecError                  a layout (YAML) is wrong; .problems: list[Problem]
    ├── LayoutNotFoundError (LookupError)   no layout of that name or path
    │   └── UntrustedLayoutError         a file named a path or module, not a layout
    ├── PatternError (ValueError)        a layout pattern RE2 cannot compile
    ├── CompileError                     a checked layout that cannot become Python code
    ├── BackendError (ValueError)        unknown or unavailable backend
    ├── DomainURLError (ValueError)      a domain URL refused (credentials, no path, bad port)
    ├── FileAccessError (OSError)        a file cannot be opened as asked (crashed SWMR writer)
    ├── NodeError (KeyError)             no node at a path
    ├── UnsafeContentError               file content that would need code execution to read
    │   └── UnsafeLiteralError (ValueError)   a payload that is not a plain literal
    ├── DataValueError (ValueError)      values refused before writing; .problems
    │   └── MissingAttributeError (TypeError)   only required attributes were missing
    ├── RepairError                      a file repair cannot do safely
    ├── InvalidExport (ValueError)       \
    ├── InvalidGroupType (ValueError)     |
    ├── InvalidSave                       |
    ├── InvalidGroupDataType              |  pymodaq_data's names
    ├── InvalidDataType                   |
    ├── InvalidDataDimension              |
    ├── InvalidScanType                  /
    ├── AxisError                        a node is not an axis, or an axis does not fit
    ├── DataDimError (ValueError)        data of a dimensionality the saver cannot handle
    ├── RuntimeVersionError (ImportError)   a generated module needs another runtime
    ├── CopyError                        a copy between backends failed (nothing left behind)
    └── ExtraMissingError (ImportError)  an optional extra is not installed
        ├── XarrayMissingError           h5layout[xarray]
        └── PlotMissingError             h5layout[plot]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class LayoutError(Exception):
    """Root of every error raised by h5layout."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a layout file, with its location."""

    file: str
    line: int
    column: int
    path: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        """Plain-dict form used by ``h5layout check --format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class ValueProblem:
    """One value refused before writing: where, which attribute, a stable code, why.

    Codes: ``missing-attribute``, ``bad-attribute-type``, ``bad-attribute-value``,
    ``out-of-range`` (the file checker's codes for the same rules).
    """

    path: str  # the node (or the node type, when the node does not exist yet)
    attribute: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.attribute}: {self.message}"


class LayoutSpecError(LayoutError):
    """A layout has one or more problems; ``problems`` lists all of them."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class BackendError(LayoutError, ValueError):
    """Unknown backend name, or the backend's library is not installed."""


class FileAccessError(LayoutError, OSError):
    """A file cannot be opened the way it was asked (and why, and what to do)."""


class NodeError(LayoutError, KeyError):
    """No node at the given path."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnsafeContentError(LayoutError):
    """File content that could only be read by running code (pickles, ...)."""


class UnsafeLiteralError(UnsafeContentError, ValueError):
    """A payload that is not a plain literal h5layout can build without running code."""


class LayoutNotFoundError(LayoutError, LookupError):
    """No layout of that name or path, or a file that does not say which layout it follows."""


class UntrustedLayoutError(LayoutNotFoundError):
    """A file names its layout with something that is not a layout name (a path, a module):
    nothing was loaded."""


class PatternError(LayoutError, ValueError):
    """A pattern RE2 cannot compile, with the reason in the layout language's words."""


class CompileError(LayoutError):
    """A checked layout that cannot become a Python module (a name that cannot be a
    parameter, a value with no literal form, ...)."""


class RepairError(LayoutError):
    """A file repair cannot do safely."""


class DataValueError(LayoutError, ValueError):
    """Data or attribute values refused before anything is written.

    ``problems`` lists each refused value when the check found them one by one (empty
    for a refusal told by its message only).
    """

    def __init__(self, message: str = "", problems: Iterable[ValueProblem] = ()) -> None:
        self.problems: list[ValueProblem] = list(problems)
        super().__init__(message)


class MissingAttributeError(DataValueError, TypeError):
    """A required layout attribute was not passed to a saver."""


class InvalidExport(LayoutError, ValueError):
    """No exporter for the requested format."""


class InvalidGroupType(LayoutError, ValueError):
    """Unknown group type."""


class InvalidSave(LayoutError):
    """Unknown save type."""


class InvalidGroupDataType(LayoutError):
    """Unknown group data type."""


class InvalidDataType(LayoutError):
    """Unknown data type."""


class InvalidDataDimension(LayoutError):
    """Unknown data dimension."""


class InvalidScanType(LayoutError):
    """Unknown scan type."""


class AxisError(LayoutError):
    """A node is not an axis, or an axis does not fit its data."""


class DataDimError(LayoutError, ValueError):
    """Data of a dimensionality the saver cannot handle."""


class RuntimeVersionError(LayoutError, ImportError):
    """A generated module was made for another version of the h5layout runtime."""


class DomainURLError(LayoutError, ValueError):
    """A domain URL h5layout refuses (credentials in it, no domain path, bad port)."""


class CopyError(LayoutError):
    """A copy between backends failed; nothing was left at the destination."""


class ExtraMissingError(LayoutError, ImportError):
    """An optional extra (a library h5layout does not require) is not installed."""


class XarrayMissingError(ExtraMissingError):
    """xarray is not installed (``pip install h5layout[xarray]``)."""


class PlotMissingError(ExtraMissingError):
    """matplotlib is not installed (``pip install h5layout[plot]``)."""
