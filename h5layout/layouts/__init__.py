"""h5layout.layouts."""
