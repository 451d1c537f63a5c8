"""h5layout: a declarative, schema-driven compiler for HDF5 file layouts."""

from h5layout._version import __version__
from h5layout.runtime.errors import LayoutError, LayoutSpecError

__all__ = ["LayoutError", "LayoutSpecError", "__version__"]
