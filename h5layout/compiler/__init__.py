"""h5layout.compiler."""
