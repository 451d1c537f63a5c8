"""The version of h5layout (the generator and runtime)."""

__version__ = "0.1.0"
