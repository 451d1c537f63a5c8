"""Node creation shared by the backends whose library speaks h5py's API (h5py, h5pyd).

Both create groups and arrays with ``create_group``/``create_dataset`` and the same
arguments; they differ in the compression filters they accept and in their library's
variable-length dtype, which each backend supplies.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from h5layout.runtime.layout.spec import Storage
from h5layout.runtime.storage.backends._base import (
    CARRAY_CLASS,
    EARRAY_CLASS,
    GROUP_CLASS,
    VLARRAY_CLASS,
    Backend,
    LibraryHandle,
)

#: rows of a variable-length array per chunk
VLEN_CHUNK_ROWS = 1024


def earray_chunks(
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


def storage_chunks(storage: Storage | None) -> tuple[int, ...] | None:
    """The chunk shape a layout asks for (None: the library chooses)."""
    if storage is None or storage.chunks is None or isinstance(storage.chunks, str):
        return None
    return tuple(storage.chunks)


class H5LikeBackend(Backend):
    """Groups and arrays created the h5py way, with PyMoDAQ's ``CLASS``/``TITLE``; node names
    and paths from h5py's ``name``."""

    @abstractmethod
    def _filters(self, storage: Storage | None) -> dict[str, object]:
        """``create_dataset`` keyword arguments for the layout's compression."""

    @abstractmethod
    def _vlen_dtype(self, dtype: np.dtype) -> np.dtype:
        """The library's dtype for variable-length rows of ``dtype``."""

    def node_name(self, node: LibraryHandle) -> str:
        path = self.node_path(node)
        return "/" if path == "/" else path.rsplit("/", 1)[-1]

    def node_path(self, node: LibraryHandle) -> str:
        path = node.name
        if isinstance(path, bytes):
            # h5py gives paths that are not UTF-8 as bytes: surrogateescape round-trips them
            return path.decode("utf-8", "surrogateescape")
        return str(path)

    def create_group(self, parent: LibraryHandle, name: str, title: str) -> LibraryHandle:
        group = parent.create_group(name)
        self.set_attr(group, "CLASS", GROUP_CLASS)
        self.set_attr(group, "TITLE", title)
        return group

    def create_carray(
        self,
        parent: LibraryHandle,
        name: str,
        *,
        data: np.ndarray | None,
        shape: tuple[int, ...] | None = None,
        dtype: np.dtype | None = None,
        fill_value: object = None,
        title: str = "",
        storage: Storage | None = None,
    ) -> LibraryHandle:
        kw = self._filters(storage)
        chunks = storage_chunks(storage)
        if chunks is not None:
            kw["chunks"] = chunks
        if data is not None:
            ds = parent.create_dataset(name, data=data, **kw)
        else:
            if fill_value is not None:
                kw["fillvalue"] = fill_value
            ds = parent.create_dataset(name, shape=shape, dtype=dtype, **kw)
        self.set_attr(ds, "CLASS", CARRAY_CLASS)
        self.set_attr(ds, "TITLE", title)
        return ds

    def create_earray(
        self,
        parent: LibraryHandle,
        name: str,
        *,
        dtype: np.dtype,
        row_shape: tuple[int, ...],
        title: str = "",
        storage: Storage | None = None,
        expected_rows: int | None = None,
    ) -> LibraryHandle:
        chunks = storage_chunks(storage)
        if chunks is None:
            chunks = earray_chunks(np.dtype(dtype), row_shape, expected_rows)
        ds = parent.create_dataset(
            name,
            shape=(0, *row_shape),
            maxshape=(None, *row_shape),
            dtype=dtype,
            chunks=chunks,
            **self._filters(storage),
        )
        self.set_attr(ds, "CLASS", EARRAY_CLASS)
        self.set_attr(ds, "EXTDIM", np.int64(0))
        self.set_attr(ds, "TITLE", title)
        return ds

    def create_vlarray(
        self,
        parent: LibraryHandle,
        name: str,
        *,
        dtype: np.dtype,
        title: str = "",
        storage: Storage | None = None,
    ) -> LibraryHandle:
        ds = parent.create_dataset(
            name,
            shape=(0,),
            maxshape=(None,),
            dtype=self._vlen_dtype(np.dtype(dtype)),
            chunks=(VLEN_CHUNK_ROWS,),
            **self._filters(storage),
        )
        self.set_attr(ds, "CLASS", VLARRAY_CLASS)
        self.set_attr(ds, "EXTDIM", np.int64(0))
        self.set_attr(ds, "TITLE", title)
        return ds
