"""Reading h5py attributes through HDF5's low-level API, for the h5py backend and the h5py
walk of ``inspect`` alike.

Nearly every attribute of a PyMoDAQ file is a scalar variable-length string (the JSON
envelope); read through ``h5a`` with its dtype known, it costs a third of ``attrs[name]``.
"""

from __future__ import annotations

import h5py
import numpy as np
from h5py import h5a, h5s, h5t

from h5layout.runtime.storage.backends._base import LibraryHandle, LibraryValue

#: per character set, the numpy dtype and HDF5 memory type a variable-length string is read as
_VLEN_STR = {
    cset: (dt, h5t.py_create(dt))
    for cset, dt in (
        (h5t.CSET_ASCII, h5py.string_dtype("ascii")),
        (h5t.CSET_UTF8, h5py.string_dtype("utf-8")),
    )
}


#: what read_vlen_str_attr returns for an attribute it leaves to h5py's generic reader
OTHER = object()


def read_vlen_str_attr(oid: LibraryHandle, name: str) -> LibraryValue:
    """A scalar variable-length string attribute, read through the low-level API.

    Nearly every attribute of a PyMoDAQ file is one (the JSON envelope); h5py's generic
    ``attrs[name]`` spends most of its time deriving the dtype, which is known here, so
    this is about three times faster. Returns ``OTHER`` for any other kind of attribute
    (the caller then reads it the generic way) and raises KeyError when it is absent.
    """
    aid = h5a.open(oid, name.encode("utf-8"))
    tid = aid.get_type()
    if not (isinstance(tid, h5t.TypeStringID) and tid.is_variable_str()):
        return OTHER
    if aid.get_space().get_simple_extent_type() != h5s.SCALAR:
        return OTHER
    kind = _VLEN_STR.get(tid.get_cset())
    if kind is None:
        return OTHER
    buf = np.zeros((), dtype=kind[0])
    aid.read(buf, mtype=kind[1])
    value = buf[()]
    # h5py's own decoding of variable-length strings, so both paths give equal values
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value
