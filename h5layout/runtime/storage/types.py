"""The types signatures share to say *which node* and *which library object*.

``Where`` is what every ``where``/``node`` argument of the savers, loaders and tools accepts;
``LibraryHandle`` is what a backend hands back and takes (the HDF5 library's own objects),
``LibraryValue`` what it reads (both defined with the backend interface,
:mod:`~h5layout.runtime.storage.backends`, and named here for the layers above).
They live next to :mod:`~h5layout.runtime.storage.h5backend`, which wraps those handles.
"""

from __future__ import annotations

from typing import TypeAlias

from h5layout.runtime.storage.backends import LibraryHandle, LibraryValue
from h5layout.runtime.storage.h5backend import Node

__all__ = ["LibraryHandle", "LibraryValue", "Where"]

#: A node's address: its absolute path (``'/RawData/Scan000'``) or its :class:`Node`
#: wrapper (as pymodaq_data's ``Union[str, Node]``).
Where: TypeAlias = "str | Node"
