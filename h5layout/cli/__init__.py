"""The ``h5layout`` command line."""
