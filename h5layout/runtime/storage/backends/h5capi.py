"""HDF5's C functions, called through ctypes in the very library h5py loaded (read-only walks).

A tree walk over an h5py file spends most of its time in h5py's per-call machinery rather
than in HDF5: every low-level call builds a Python object for each id it returns and
registers it in h5py's weak-reference table. :class:`CApi` calls the C functions directly
(about 0.2 µs of overhead a call) on plain integer ids, for the few things a read-only walk
does: list links and attribute names, open objects, read scalar variable-length string
attributes, read an array's type, dataspace and chunking; and :func:`open_evicting` opens a
file for such a walk with HDF5's evict-on-close.

Nothing here decides anything: every call reports failure as a negative id or status (or
:data:`OTHER` for a value it leaves to h5py), and the caller then goes through h5py, whose
answer and error message are the ones a reader sees. :func:`capi` gives None when the
library cannot be found, is older than 1.12, or is not the one h5py uses (checked on an open
file by :meth:`CApi.usable`), so the h5py path is always there.

The library is loaded with ``ctypes.PyDLL`` (the GIL is held during each call), and
callers hold h5py's own lock while they use it, so no h5py call in another thread enters
HDF5 at the same time (h5py's HDF5 is not thread-safe).
"""

from __future__ import annotations

import ctypes
import glob
import os
import re
import threading
from collections.abc import Callable
from typing import Final, TypeAlias

from h5layout.runtime.storage.backends._base import LibraryHandle

_hid = ctypes.c_int64
_herr = ctypes.c_int
_hsize = ctypes.c_uint64

#: a C function of the loaded library (its results are ctypes' plain Python values)
CFunction: TypeAlias = "ctypes._NamedFuncPointer"

#: what :meth:`CApi.read_attrs` gives for an attribute it leaves to h5py
OTHER: Final = object()

# Values of HDF5's enums, stable since 1.12 (checked against h5py's own in CApi.usable).
_H5O_INFO_BASIC = 0x0001
_H5_INDEX_NAME, _H5_ITER_INC = 0, 0
_H5P_DEFAULT = 0
_H5D_CHUNKED = 2
H5I_GROUP, H5I_DATASET = 2, 5
_H5T_REFERENCE, _H5T_VLEN = 7, 9
_H5S_UNLIMITED = 2**64 - 1
#: array types remembered with their dtype text
_MAX_TYPES = 64
#: bytes of ``H5O_info2_t`` that identify an object: ``unsigned long fileno`` (8 bytes on
#: LP64; read only where ``c_ulong`` is 8 bytes) and the 16-byte ``H5O_token_t``
_KEY_BYTES = 24
#: the buffer ``H5Oget_info3`` fills (``H5O_info2_t`` is 72 bytes on LP64; room to spare)
_INFO_SIZE = 256
#: dimensions read at most for an array (HDF5's own limit is 32)
_MAX_RANK = 32

_LinkCallback = ctypes.CFUNCTYPE(_herr, _hid, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p)
_AttrCallback = ctypes.CFUNCTYPE(_herr, _hid, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p)

_SIGNATURES: dict[str, tuple[type, list[type]]] = {
    "H5get_libversion": (_herr, [ctypes.POINTER(ctypes.c_uint)] * 3),
    "H5Iis_valid": (ctypes.c_int, [_hid]),
    "H5Iget_type": (ctypes.c_int, [_hid]),
    "H5Iinc_ref": (ctypes.c_int, [_hid]),
    "H5Oopen": (_hid, [_hid, ctypes.c_char_p, _hid]),
    "H5Oclose": (_herr, [_hid]),
    "H5Oget_info3": (_herr, [_hid, ctypes.c_void_p, ctypes.c_uint]),
    "H5Literate2": (
        _herr,
        [_hid, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, _LinkCallback, ctypes.c_void_p],
    ),
    "H5Aiterate2": (
        _herr,
        [_hid, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, _AttrCallback, ctypes.c_void_p],
    ),
    "H5Aexists": (ctypes.c_int, [_hid, ctypes.c_char_p]),
    "H5Aopen": (_hid, [_hid, ctypes.c_char_p, _hid]),
    "H5Aclose": (_herr, [_hid]),
    "H5Aget_type": (_hid, [_hid]),
    "H5Aget_space": (_hid, [_hid]),
    "H5Aread": (_herr, [_hid, _hid, ctypes.c_void_p]),
    "H5Tis_variable_str": (ctypes.c_int, [_hid]),
    "H5Tget_class": (ctypes.c_int, [_hid]),
    "H5Tequal": (ctypes.c_int, [_hid, _hid]),
    "H5Tcopy": (_hid, [_hid]),
    "H5Tclose": (_herr, [_hid]),
    "H5Sget_simple_extent_type": (ctypes.c_int, [_hid]),
    "H5Sget_simple_extent_ndims": (ctypes.c_int, [_hid]),
    "H5Sget_simple_extent_dims": (ctypes.c_int, [_hid, ctypes.c_void_p, ctypes.c_void_p]),
    "H5Sclose": (_herr, [_hid]),
    "H5Dget_type": (_hid, [_hid]),
    "H5Dget_space": (_hid, [_hid]),
    "H5Dget_create_plist": (_hid, [_hid]),
    "H5Pget_layout": (ctypes.c_int, [_hid]),
    "H5Pget_chunk": (ctypes.c_int, [_hid, ctypes.c_int, ctypes.c_void_p]),
    "H5Pclose": (_herr, [_hid]),
    "H5free_memory": (_herr, [ctypes.c_void_p]),
    "H5Pset_evict_on_close": (_herr, [_hid, ctypes.c_int]),
}


def _is_hdf5(path: str) -> bool:
    """Whether a file is HDF5's C library (``libhdf5.so.310``, ``libhdf5-9e18f0c6.so…``,
    ``hdf5.dll``; not its high-level library nor a Python extension)."""
    return re.match(r"(lib)?hdf5([-.]|$)", os.path.basename(path)) is not None


def _mapped() -> list[str]:
    """The HDF5 libraries mapped into this process (Linux; empty elsewhere)."""
    found: set[str] = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split(None, 5)
                if len(parts) == 6 and _is_hdf5(parts[5].strip()):
                    found.add(parts[5].strip())
    except OSError:
        pass
    return sorted(found)


def _candidates() -> list[str]:
    """The HDF5 library h5py loaded, or nothing when that is not certain.

    A wheel's h5py carries its own copy (``h5py.libs``, ``h5py/.dylibs``, a DLL beside it);
    another h5py links a shared ``libhdf5``, found on Linux as the one HDF5 mapped into the
    process outside any wheel's bundled folder (PyTables' wheel brings a copy of its own).
    Never a library h5py did not load: a second HDF5 in one process is not a thing to risk.
    """
    import h5py  # its library is loaded from here on

    here = os.path.dirname(os.path.abspath(h5py.__file__))
    bundled = glob.glob(os.path.join(here, os.pardir, "h5py.libs", "*"))
    bundled += glob.glob(os.path.join(here, ".dylibs", "*")) + glob.glob(
        os.path.join(here, "*.dll")
    )
    bundled = sorted(os.path.realpath(p) for p in bundled if _is_hdf5(p))
    if bundled:
        return bundled[:1] if len(bundled) == 1 else []
    shared = [p for p in _mapped() if not os.path.dirname(p).endswith(".libs")]
    return shared if len(shared) == 1 else []


class CApi:
    """HDF5's C functions a read-only walk needs, bound to one loaded library."""

    # the C functions (set from _SIGNATURES)
    H5get_libversion: CFunction
    H5Iis_valid: CFunction
    H5Iget_type: CFunction
    H5Iinc_ref: CFunction
    H5Oopen: CFunction
    H5Oclose: CFunction
    H5Oget_info3: CFunction
    H5Literate2: CFunction
    H5Aiterate2: CFunction
    H5Aexists: CFunction
    H5Aopen: CFunction
    H5Aclose: CFunction
    H5Aget_type: CFunction
    H5Aget_space: CFunction
    H5Aread: CFunction
    H5Tis_variable_str: CFunction
    H5Tget_class: CFunction
    H5Tequal: CFunction
    H5Tcopy: CFunction
    H5Tclose: CFunction
    H5Sget_simple_extent_type: CFunction
    H5Sget_simple_extent_ndims: CFunction
    H5Sget_simple_extent_dims: CFunction
    H5Sclose: CFunction
    H5Dget_type: CFunction
    H5Dget_space: CFunction
    H5Dget_create_plist: CFunction
    H5Pget_layout: CFunction
    H5Pget_chunk: CFunction
    H5Pclose: CFunction
    H5free_memory: CFunction
    H5Pset_evict_on_close: CFunction

    def __init__(self, lib: ctypes.CDLL) -> None:
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
            setattr(self, name, fn)
        self._names: list[bytes] = []
        self._links: list[tuple[bytes, int]] = []
        names, links = self._names, self._links
        link_type = ctypes.c_int.from_address

        def on_attr(_loc: int, name: bytes, _info: int, _data: int) -> int:
            names.append(name)
            return 0

        def on_link(_loc: int, name: bytes, info: int, _data: int) -> int:
            # H5L_info2_t starts with its H5L_type_t
            links.append((name, link_type(info).value))
            return 0

        # kept as attributes: ctypes callbacks must outlive every call that uses them
        self._on_attr = _AttrCallback(on_attr)
        self._on_link = _LinkCallback(on_link)
        self._info = ctypes.create_string_buffer(_INFO_SIZE)
        self._info_key = memoryview(self._info).cast("B")[:_KEY_BYTES]
        # H5Aread's destination for one string: read as bytes, freed through the address
        self._str = (ctypes.c_char_p * 1)()
        self._str_addr = ctypes.c_void_p.from_buffer(self._str)
        self._dims = (_hsize * _MAX_RANK)()
        self._maxdims = (_hsize * _MAX_RANK)()
        # array types already seen, each with the dtype text h5py gives it (H5Tequal finds them)
        self._dtypes: list[tuple[int, str]] = []

    def usable(self, root: LibraryHandle) -> bool:
        """Whether this is the library h5py uses, with the layout this module expects:
        ``root`` (an h5py id of an open file's root group) is valid here and its identity
        read here is the one h5py reads."""
        from h5py import h5d, h5i, h5l, h5o, h5s, h5t

        if ctypes.sizeof(ctypes.c_ulong) != 8 or self.H5Iis_valid(root.id) <= 0:
            return False
        major, minor, release = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        self.H5get_libversion(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(release))
        if (major.value, minor.value) < (1, 12):
            return False
        enums = (h5i.GROUP, h5i.DATASET, h5s.SCALAR, h5s.SIMPLE, h5d.CHUNKED, h5l.TYPE_HARD,
                 h5t.REFERENCE, h5t.VLEN)  # fmt: skip
        if enums != (H5I_GROUP, H5I_DATASET, 0, 1, _H5D_CHUNKED, 0, _H5T_REFERENCE, _H5T_VLEN):
            return False
        key = self.key(root.id)
        info = h5o.get_info(root)
        want = info.fileno.to_bytes(8, "little") + info.addr.to_bytes(8, "little")
        return key is not None and key[:16] == want

    # ------------------------------------------------------------------ objects

    def open(self, loc: int, name: bytes) -> int:
        """``H5Oopen``: the id of ``loc/name`` (negative when it cannot be opened)."""
        return int(self.H5Oopen(loc, name, _H5P_DEFAULT))

    def close(self, oid: int) -> None:
        """``H5Oclose`` (errors ignored: the id is gone either way)."""
        self.H5Oclose(oid)

    def key(self, oid: int) -> bytes | None:
        """The object's file number and token: equal for two links to one object."""
        if self.H5Oget_info3(oid, self._info, _H5O_INFO_BASIC) < 0:
            return None
        return self._info_key.tobytes()

    def kind(self, oid: int) -> int:
        """``H5Iget_type``: 2 for a group, 5 for a dataset (h5py's ``h5i`` values)."""
        return int(self.H5Iget_type(oid))

    def inc_ref(self, oid: int) -> None:
        """One more reference to ``oid`` (handed to an h5py object that will close it)."""
        self.H5Iinc_ref(oid)

    def links(self, gid: int) -> list[tuple[bytes, int]] | None:
        """A group's links as (name, link type), in name order; None on an error."""
        links = self._links
        links.clear()
        status = self.H5Literate2(gid, _H5_INDEX_NAME, _H5_ITER_INC, None, self._on_link, None)
        out = list(links)
        links.clear()
        return None if status < 0 else out

    # ------------------------------------------------------------------ attributes

    def attr_names(self, oid: int) -> list[bytes] | None:
        """Every attribute name of an object, in name order; None on an error."""
        names = self._names
        names.clear()
        status = self.H5Aiterate2(oid, _H5_INDEX_NAME, _H5_ITER_INC, None, self._on_attr, None)
        out = list(names)
        names.clear()
        return None if status < 0 else out

    def read_attrs(
        self, oid: int, names: tuple[bytes, ...] | list[bytes], maybe_absent: bool
    ) -> list[tuple[bytes, object]] | None:
        """The attributes ``names`` of an object, as (name, value) in the order given.

        A scalar variable-length string (nearly every attribute of a PyMoDAQ file) comes
        back as h5py reads it (``str``, undecodable bytes as surrogates); any other value,
        or one that fails, as :data:`OTHER` (h5py then reads it). With ``maybe_absent``,
        names the object does not have are left out; None when HDF5 cannot say.
        """
        # one loop with the functions at hand: ten C calls an attribute, each ~0.2 µs
        aopen, aclose, exists = self.H5Aopen, self.H5Aclose, self.H5Aexists
        get_type, is_vstr, tclose = self.H5Aget_type, self.H5Tis_variable_str, self.H5Tclose
        get_space, extent, sclose = self.H5Aget_space, self.H5Sget_simple_extent_type, self.H5Sclose
        aread, free, buf, addr = self.H5Aread, self.H5free_memory, self._str, self._str_addr
        out = []
        for name in names:
            aid = aopen(oid, name, _H5P_DEFAULT)
            if aid < 0:
                if maybe_absent:
                    found = exists(oid, name)
                    if found == 0:
                        continue
                    if found < 0:
                        return None
                out.append((name, OTHER))  # h5py gives the reason
                continue
            value = OTHER
            tid = get_type(aid)
            if tid >= 0:
                if is_vstr(tid) > 0:
                    sid = get_space(aid)
                    if sid >= 0:
                        scalar = extent(sid) == 0
                        sclose(sid)
                        # one pointer's room in the buffer: scalars only; the attribute's
                        # own type in memory is a char* per string, whatever its charset
                        if scalar:
                            buf[0] = None
                            if aread(aid, tid, buf) >= 0:
                                raw = buf[0]  # None for a null string: h5py's to answer
                                if raw is not None:
                                    value = raw.decode("utf-8", "surrogateescape")
                                free(addr)
                tclose(tid)
            aclose(aid)
            out.append((name, value))
        return out

    # ------------------------------------------------------------------ arrays

    def array_meta(
        self, did: int, dtype_of: Callable[[], str]
    ) -> tuple[bool, bool, tuple[int, ...], tuple[int, ...] | None, str] | None:
        """(variable-length rows?, first dimension unlimited?, shape, chunks, dtype text) of
        a dataset; None on an error.

        ``dtype_of`` gives the dtype text h5py shows for this dataset; it is asked once per
        distinct HDF5 type (found again with ``H5Tequal``).
        """
        tid = self.H5Dget_type(did)
        if tid < 0:
            return None
        try:
            type_class = self.H5Tget_class(tid)
            vlen = type_class in (_H5T_VLEN, _H5T_REFERENCE) or self.H5Tis_variable_str(tid) > 0
            dtype = None
            for known, text in self._dtypes:
                if self.H5Tequal(known, tid) > 0:
                    dtype = text
                    break
            if dtype is None:
                dtype = dtype_of()
                if len(self._dtypes) < _MAX_TYPES:
                    copy = self.H5Tcopy(tid)
                    if copy >= 0:
                        self._dtypes.append((int(copy), dtype))
        finally:
            self.H5Tclose(tid)
        sid = self.H5Dget_space(did)
        if sid < 0:
            return None
        try:
            space = self.H5Sget_simple_extent_type(sid)
            if space not in (0, 1):  # a null dataspace: h5py's answer is its own
                return None
            simple = space == 1
            rank = self.H5Sget_simple_extent_ndims(sid)
            if rank < 0 or rank > _MAX_RANK:
                return None
            if self.H5Sget_simple_extent_dims(sid, self._dims, self._maxdims) < 0:
                return None
            shape = tuple(self._dims[:rank])
            unlimited = simple and rank > 0 and self._maxdims[0] == _H5S_UNLIMITED
        finally:
            self.H5Sclose(sid)
        pid = self.H5Dget_create_plist(did)
        if pid < 0:
            return None
        try:
            chunks: tuple[int, ...] | None = None
            if self.H5Pget_layout(pid) == _H5D_CHUNKED:
                n = self.H5Pget_chunk(pid, _MAX_RANK, self._dims)
                if n < 0 or n > _MAX_RANK:
                    return None
                chunks = tuple(self._dims[:n])
        finally:
            self.H5Pclose(pid)
        return vlen, unlimited, shape, chunks, dtype

    def release(self) -> None:
        """Close the remembered array types."""
        for tid, _ in self._dtypes:
            self.H5Tclose(tid)
        self._dtypes.clear()


_lock = threading.Lock()
_loaded: list[CApi | None] = []  # [the bound library or None], filled once


def capi() -> CApi | None:
    """The C functions of the HDF5 library h5py loaded, or None when it cannot be found
    (callers check :meth:`CApi.usable` on an open file before use)."""
    with _lock:
        if _loaded:
            return _loaded[0]
        found = None
        for path in _candidates():
            try:
                found = CApi(ctypes.PyDLL(path))
            except (OSError, AttributeError):
                continue
            break
        _loaded.append(found)
        return found


def open_evicting(path: str, locking: bool | None) -> LibraryHandle:
    """``h5py.File(path, 'r')`` with HDF5's evict-on-close set, or None when it cannot be
    (no library, or HDF5 refuses: the file is open elsewhere in this process without it).

    HDF5 then drops an object's metadata from its cache when the object is closed: a walk
    that visits every object once keeps a small cache, and closing the file has nothing
    left to evict (a third less HDF5 time for ``inspect``). The caller opens the file the
    plain way when this gives None, and gets that open's answer.
    """
    api = capi()
    if api is None:
        return None
    import h5py
    from h5py import h5f, h5p

    try:  # h5py's own file access list (its defaults), as h5py.File would make it
        from h5py._hl.files import make_fapl

        fapl = make_fapl(None, locking=locking)
    except (ImportError, TypeError):
        fapl = h5p.create(h5p.FILE_ACCESS)
        if locking is not None:
            fapl.set_file_locking(bool(locking), True)
    if api.H5Iis_valid(fapl.id) <= 0 or api.H5Pset_evict_on_close(fapl.id, 1) < 0:
        return None
    try:
        file = h5py.File(h5f.open(os.fsencode(path), h5f.ACC_RDONLY, fapl=fapl))
    except (OSError, RuntimeError, ValueError, KeyError):
        return None
    _small_cache(file)
    return file


#: bytes of metadata cache a walk's file keeps (HDF5's default starts at 2 MiB and grows)
WALK_CACHE_BYTES = 512 * 1024


def _small_cache(file: LibraryHandle) -> None:
    """Give an evict-on-close file a small fixed metadata cache.

    A walk holds few objects open at a time and each is dropped when closed, so a small
    cache keeps what the walk reuses (the open groups' link storage) and HDF5's own work
    per closed object stays small: 15 % less CPU for ``inspect`` of a 10,000-node file than
    with the default cache. Only how much HDF5 caches changes; a refusal keeps the default.
    """
    try:
        config = file.id.get_mdc_config()
        config.set_initial_size = True
        config.initial_size = config.min_size = config.max_size = WALK_CACHE_BYTES
        # no resizing (H5C_incr__off, H5C_flash_incr__off, H5C_decr__off)
        config.incr_mode = config.flash_incr_mode = config.decr_mode = 0
        file.id.set_mdc_config(config)
    except (OSError, RuntimeError, ValueError, AttributeError):
        pass
