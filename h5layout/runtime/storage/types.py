"""The types signatures share to say *which node* and *which library object*.

``Where`` is what every ``where``/``node`` argument of the savers, loaders and tools accepts;
``LibraryHandle`` is what a backend hands back and takes (the HDF5 library's own objects).
They live next to :mod:`~h5layout.runtime.storage.h5backend`, which wraps those handles.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from h5layout.runtime.storage.h5backend import Node

__all__ = ["LibraryHandle", "Where"]

#: A node's address: its absolute path (``'/RawData/Scan000'``) or its :class:`Node`
#: wrapper (as pymodaq_data's ``Union[str, Node]``).
Where: TypeAlias = "str | Node"

#: An object of the HDF5 library a backend wraps: an ``h5py`` / ``h5pyd`` ``File``, ``Group``
#: or ``Dataset``, a PyTables ``File`` or ``Node``. Those libraries ship no type stubs, so
#: nothing more precise can be said of their objects: this is the one place that says so.
LibraryHandle: TypeAlias = Any
