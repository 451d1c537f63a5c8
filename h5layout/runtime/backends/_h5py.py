"""The h5py backend (local files; SWMR capable)."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from h5layout.runtime.backends._base import (
    CARRAY_CLASS,
    EARRAY_CLASS,
    GROUP_CLASS,
    VLARRAY_CLASS,
    Backend,
)
from h5layout.runtime.spec import Storage

_COMPRESSION_NAMES = {"zlib": "gzip", "gzip": "gzip", "lzf": "lzf", "szip": "szip"}


def _filters(storage: Storage | None) -> dict[str, Any]:
    if storage is None or not storage.compression:
        return {}
    name = _COMPRESSION_NAMES.get(storage.compression)
    if name is None:
        raise ValueError(f"compression {storage.compression!r} is not available with h5py")
    out: dict[str, Any] = {"compression": name}
    if name == "gzip":
        out["compression_opts"] = 5 if storage.level is None else storage.level
    if storage.shuffle:
        out["shuffle"] = True
    return out


def _chunks(storage: Storage | None) -> Any:
    if storage is None or storage.chunks in (None, "auto"):
        return None
    return tuple(storage.chunks) if not isinstance(storage.chunks, str) else None


class H5pyBackend(Backend):
    """Files through h5py."""

    name = "h5py"
    swmr_capable = True
    supports_block_growth = True

    def open(self, path: str, mode: str, *, title: str, swmr_mode: bool, **kwargs: Any) -> Any:
        if swmr_mode:
            if mode == "r":
                kwargs.setdefault("swmr", True)
            else:
                kwargs.setdefault("libver", "latest")
        return h5py.File(path, mode, **kwargs)

    def close(self, file: Any) -> None:
        if file.id.valid:
            if file.mode != "r":
                file.flush()
            file.close()

    def flush(self, file: Any) -> None:
        if file.id.valid and file.mode != "r":
            file.flush()

    def is_open(self, file: Any) -> bool:
        return bool(file is not None and file.id.valid)

    def filename(self, file: Any) -> str:
        return str(file.filename)

    def root(self, file: Any) -> Any:
        return file["/"]

    def file_of(self, node: Any) -> Any:
        return node.file

    def is_writable(self, file: Any) -> bool:
        return bool(file.mode != "r")

    def get(self, file: Any, path: str) -> Any:
        obj = file.get(path)
        if obj is None:
            raise KeyError(path)
        return obj

    def is_group(self, node: Any) -> bool:
        return isinstance(node, h5py.Group)

    def node_name(self, node: Any) -> str:
        path = node.name
        return "/" if path == "/" else path.rsplit("/", 1)[-1]

    def node_path(self, node: Any) -> str:
        return str(node.name)

    def parent(self, node: Any) -> Any:
        return node.parent

    def children(self, group: Any) -> dict[str, Any]:
        return {name: group[name] for name in group}

    def remove(self, node: Any) -> None:
        del node.parent[self.node_name(node)]

    def attr_names(self, node: Any) -> list[str]:
        return list(node.attrs.keys())

    def get_attr(self, node: Any, name: str) -> Any:
        return node.attrs[name]

    def set_attr(self, node: Any, name: str, value: Any) -> None:
        node.attrs[name] = value

    def has_attr(self, node: Any, name: str) -> bool:
        return name in node.attrs

    def del_attr(self, node: Any, name: str) -> None:
        del node.attrs[name]

    def create_group(self, parent: Any, name: str, title: str) -> Any:
        group = parent.create_group(name)
        group.attrs["CLASS"] = GROUP_CLASS
        group.attrs["TITLE"] = title
        return group

    def create_carray(
        self,
        parent: Any,
        name: str,
        *,
        data: np.ndarray | None,
        shape: tuple[int, ...] | None = None,
        dtype: np.dtype | None = None,
        fill_value: Any = None,
        title: str = "",
        storage: Storage | None = None,
    ) -> Any:
        kw = _filters(storage)
        chunks = _chunks(storage)
        if chunks is not None:
            kw["chunks"] = chunks
        if data is not None:
            ds = parent.create_dataset(name, data=data, **kw)
        else:
            if fill_value is not None:
                kw["fillvalue"] = fill_value
            ds = parent.create_dataset(name, shape=shape, dtype=dtype, **kw)
        ds.attrs["CLASS"] = CARRAY_CLASS
        ds.attrs["TITLE"] = title
        return ds

    def create_earray(
        self,
        parent: Any,
        name: str,
        *,
        dtype: np.dtype,
        row_shape: tuple[int, ...],
        title: str = "",
        storage: Storage | None = None,
        expected_rows: int | None = None,
    ) -> Any:
        kw = _filters(storage)
        chunks = _chunks(storage)
        if chunks is None:
            chunks = _earray_chunks(np.dtype(dtype), row_shape, expected_rows)
        ds = parent.create_dataset(
            name,
            shape=(0, *row_shape),
            maxshape=(None, *row_shape),
            dtype=dtype,
            chunks=chunks,
            **kw,
        )
        ds.attrs["CLASS"] = EARRAY_CLASS
        ds.attrs["EXTDIM"] = np.int64(0)
        ds.attrs["TITLE"] = title
        return ds

    def create_vlarray(
        self,
        parent: Any,
        name: str,
        *,
        dtype: np.dtype,
        title: str = "",
        storage: Storage | None = None,
    ) -> Any:
        kw = _filters(storage)
        ds = parent.create_dataset(
            name,
            shape=(0,),
            maxshape=(None,),
            dtype=h5py.vlen_dtype(np.dtype(dtype)),
            chunks=(1024,),
            **kw,
        )
        ds.attrs["CLASS"] = VLARRAY_CLASS
        ds.attrs["EXTDIM"] = np.int64(0)
        ds.attrs["TITLE"] = title
        return ds

    def node_class(self, node: Any) -> str:
        if isinstance(node, h5py.Group):
            return GROUP_CLASS
        if node.dtype.kind == "O" or h5py.check_vlen_dtype(node.dtype) is not None:
            return VLARRAY_CLASS
        if node.maxshape and node.maxshape[0] is None:
            return EARRAY_CLASS
        return CARRAY_CLASS

    def shape(self, array: Any) -> tuple[int, ...]:
        return tuple(array.shape)

    def dtype(self, array: Any) -> np.dtype:
        base = h5py.check_vlen_dtype(array.dtype)
        return np.dtype(base if base is not None else array.dtype)

    def maxshape(self, array: Any) -> tuple[int | None, ...]:
        return tuple(array.maxshape) if array.maxshape is not None else tuple(array.shape)

    def chunks(self, array: Any) -> tuple[int, ...] | None:
        return tuple(array.chunks) if array.chunks is not None else None

    def read(self, array: Any, selection: Any = Ellipsis) -> Any:
        if h5py.check_vlen_dtype(array.dtype) is not None:
            rows = array[selection]
            return list(rows) if isinstance(rows, np.ndarray) and rows.dtype == object else rows
        if array.shape == () or (array.size == 0 and selection is Ellipsis):
            return array[()]
        return array[selection]

    def write(self, array: Any, selection: Any, value: Any) -> None:
        if not _write_at_index(array, selection, value):
            array[selection] = value

    def append(self, array: Any, rows: np.ndarray) -> None:
        n = array.shape[0]
        array.resize(n + rows.shape[0], axis=0)
        array[n:] = rows

    def resize(self, array: Any, nrows: int) -> None:
        array.resize(nrows, axis=0)

    def vl_append(self, array: Any, row: np.ndarray) -> None:
        n = array.shape[0]
        array.resize((n + 1,))
        array[n] = row


def _write_at_index(array: Any, selection: Any, value: Any) -> bool:
    """Write ``value`` at integer index(es) through h5py's low-level API; False to fall back.

    Acquisition loops write one point or one row per call; for such writes h5py's
    ``Dataset.__setitem__`` spends longer building the selection than HDF5 spends writing.
    Only the plain case is handled here (non-negative in-range ints, a numeric array of the
    dataset's dtype and exactly the selected shape); anything else goes through h5py.
    """
    if type(selection) is int:
        index: tuple[int, ...] = (selection,)
    elif type(selection) is tuple and all(type(i) is int for i in selection):
        index = selection
    else:
        return False
    if type(value) is not np.ndarray or value.dtype.kind not in "biufc":
        return False
    dsid = array.id
    if value.dtype != dsid.dtype:
        return False
    fspace = dsid.get_space()
    shape = fspace.shape
    k = len(index)
    if k > len(shape) or value.shape != shape[k:] or 0 in shape:
        return False
    for i, n in zip(index, shape, strict=False):
        if not 0 <= i < n:
            return False
    rest = shape[k:]
    fspace.select_hyperslab(index + (0,) * len(rest), (1,) * k + rest)
    mshape = rest or (1,)
    data = value.reshape(mshape) if not rest else value
    if not data.flags.c_contiguous:
        data = np.ascontiguousarray(data)
    dsid.write(h5py.h5s.create_simple(mshape), fspace, data)
    return True


def _earray_chunks(
    dtype: np.dtype, row_shape: tuple[int, ...], expected_rows: int | None
) -> tuple[int, ...]:
    """Chunks of about 64 KiB, whole rows, so appends touch few chunks."""
    row_bytes = max(int(np.prod(row_shape, dtype=np.int64)) * dtype.itemsize, 1)
    target = 64 * 1024
    if row_bytes >= target:
        # One row per chunk, splitting the first row dimension if a row is huge.
        return (1, *row_shape)
    rows = max(1, min(target // row_bytes, 4096))
    if expected_rows:
        rows = max(1, min(rows, expected_rows))
    return (int(rows), *row_shape)
