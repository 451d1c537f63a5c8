"""Reading data back: :class:`~.loader.DataLoader` and the functions that turn data and axis
nodes into the data model."""
