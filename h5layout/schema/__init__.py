"""h5layout.schema."""
