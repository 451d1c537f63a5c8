"""Checking files against a resolved layout (:class:`LayoutSpec`): the file-level part.

A file is read through a storage backend (h5py by default, which reads PyTables files
too; PyTables; h5pyd for HSDS domains). A local file is probed first (empty, foreign,
truncated, left open by a writer), then opened once, read-only; its layout is found from
its root attributes when none is given, and it is walked once by
:class:`~h5layout.runtime.check.checker.Checker` through the backend's metadata walk.
Every problem becomes a :class:`~h5layout.runtime.check.report.Finding`; an odd file gives a
finding that says so and what to do, and an unexpected exception inside a rule gives an
``internal-error`` finding, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping

from h5layout.runtime.check.checker import Checker
from h5layout.runtime.check.detect import (
    RAW_GROUP,
    LayoutClaim,
    LayoutFinder,
    UntrustedLayoutError,
    claim_attrs,
    claim_of,
)
from h5layout.runtime.check.report import FileReport, Report
from h5layout.runtime.check.rules.file import finding, probe_findings
from h5layout.runtime.errors import FileAccessError, UnsafeContentError
from h5layout.runtime.layout.spec import LayoutSpec
from h5layout.runtime.storage.backends import (
    DEFAULT_BACKEND,
    Backend,
    LibraryHandle,
    NodeInfo,
    get_backend,
)
from h5layout.runtime.storage.probe import FileProbe, probe_file

__all__ = [
    "LAYOUT_ATTRS",
    "detect_layout_name",
    "iter_h5_files",
    "validate_file",
    "validate_paths",
]

#: Root attributes every h5layout saver writes (name, version, sha256 of the layout).
LAYOUT_ATTRS = ("h5layout_layout", "h5layout_layout_version", "h5layout_layout_sha256")


def detect_layout_name(root_attrs: Mapping[str, object]) -> str | None:
    """The layout a file says it follows (decoded root attributes), or None.

    ``h5layout_layout`` wins; a file with ``pymodaq_data_version`` is a pymodaq file
    (:func:`h5layout.runtime.check.detect.claim_of` is the one place that decides).
    """
    claim = claim_of(root_attrs)
    return claim.name if claim is not None else None


# --------------------------------------------------------------------------------------


def _open(backend: Backend, path: str, probe: FileProbe, report: FileReport) -> LibraryHandle:
    """Open a local file read-only without file locking (a live writer must not block us)."""
    swmr = probe.swmr_writer
    # Only version 3 superblocks make HDF5 act on the flags (earlier versions open normally).
    if probe.refused_by_plain_readers and not swmr:
        report.findings.append(
            finding(
                "locked-by-writer",
                "the file is marked open for writing (a writer has it open, or crashed "
                "without closing it); HDF5 refuses to read it. Close the writer; after a "
                "crash, `h5layout repair` clears the mark",
                repairable=True,
            )
        )
        return None
    if not swmr and _write_locked(path):
        report.findings.append(
            finding(
                "locked-by-writer",
                "another process holds the HDF5 write lock (a live writer): checked what is "
                "on disk now, which may be incomplete; check again once the writer is closed",
                severity="warning",
            )
        )
    if swmr:
        if not backend.swmr_capable:
            report.findings.append(
                finding(
                    "swmr-writer-open",
                    "a SWMR writer has the file open or crashed without closing it; plain "
                    f"HDF5 readers refuse it, and the {backend.name} backend has no SWMR "
                    "reader (check it with the h5py backend). After a crash, "
                    "`h5layout repair` clears the mark",
                    repairable=True,
                )
            )
            return None
        report.findings.append(
            finding(
                "swmr-writer-open",
                "a SWMR writer has the file open or crashed without closing it; plain "
                "HDF5 readers refuse it. Validated as a SWMR reader. After a crash, "
                "`h5layout repair` clears the mark",
                repairable=True,
            )
        )
    try:
        return backend.open(path, "r", title="", swmr_mode=swmr, locking=False)
    except (OSError, ValueError, RuntimeError, KeyError, UnsafeContentError) as exc:
        # the library's own words (the backend's message wraps them)
        cause = exc.__cause__ if isinstance(exc, FileAccessError) and exc.__cause__ else exc
        msg = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        if "already open for write" in msg:
            report.findings.append(
                finding(
                    "locked-by-writer",
                    f"the file is open by a writer ({msg}); close the writer and retry",
                )
            )
        else:
            report.findings.append(finding("unreadable-file", f"HDF5 cannot open the file: {msg}"))
        return None


def _write_locked(path: str) -> bool:
    """Whether another process holds an exclusive (HDF5 writer's) lock on the file."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: HDF5's own locking is bypassed, nothing to tell
        return False
    try:
        with open(path, "rb") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def _layout_mismatch(spec: LayoutSpec, attrs: Mapping[str, object], report: FileReport) -> None:
    name = attrs.get("h5layout_layout")
    if not isinstance(name, str) or not name:
        return
    version = attrs.get("h5layout_layout_version")
    sha = attrs.get("h5layout_layout_sha256")
    if name != spec.layout:
        msg = f"the file says it follows layout {name!r}; checked against {spec.layout!r}"
    elif isinstance(version, str) and version and spec.version and version != spec.version:
        msg = (
            f"the file was written with version {version} of {name!r}; "
            f"checked against {spec.version}"
        )
    elif isinstance(sha, str) and sha and spec.sha256 and sha != spec.sha256:
        msg = (
            f"the file was written with another revision of {name!r} "
            f"(sha256 {sha[:12]}…, this layout {spec.sha256[:12]}…)"
        )
    else:
        return
    report.findings.append(finding("layout-mismatch", msg, attribute="h5layout_layout"))


def validate_file(
    path: str | os.PathLike[str],
    spec: LayoutSpec | None = None,
    *,
    resolve: Callable[[str], LayoutSpec] | None = None,
    finder: LayoutFinder | None = None,
    backend: str | Backend = DEFAULT_BACKEND,
) -> FileReport:
    """Check one file against ``spec`` (found from the file itself when None).

    ``backend`` reads it: a name (``h5py``, ``tables``, ``h5pyd``: then ``path`` is an
    HSDS domain on the backend's server) or a backend object; every backend gives the
    same findings for the same content.

    The layout a file names is looked up with ``finder``
    (:meth:`~h5layout.runtime.check.detect.LayoutFinder.for_file`: only layouts the user
    chose, never a path or module the file supplies; default: a finder of compiled layouts)
    or, when given, ``resolve`` (a layout name to a spec). Never raises and never exits for
    a bad file: every problem is a finding of the returned report.
    """
    spath = os.fspath(path)
    report = FileReport(
        path=spath,
        layout=spec.layout if spec else None,
        layout_version=spec.version if spec else None,
    )
    try:
        be = backend if isinstance(backend, Backend) else get_backend(backend)
        _validate(spath, spec, resolve, finder, report, be)
    except (OSError, RuntimeError) as exc:  # HDF5 read errors of a damaged file
        report.findings.append(finding("unreadable-file", f"HDF5 cannot read the file: {exc}"))
    except (Exception, SystemExit) as exc:
        report.findings.append(finding("internal-error", f"{type(exc).__name__}: {exc}"))
    return report


def _resolve(
    claim: LayoutClaim,
    resolve: Callable[[str], LayoutSpec] | None,
    finder: LayoutFinder | None,
    report: FileReport,
) -> LayoutSpec | None:
    """The spec of the layout a file names, or None with an ``unknown-layout`` finding."""
    attribute = "h5layout_layout" if claim.named else None
    try:
        if resolve is not None:
            return resolve(claim.name)
        return (finder or LayoutFinder()).for_file(claim)
    except UntrustedLayoutError as exc:
        msg = f"{exc}; pass --layout NAME|PATH"
    except (Exception, SystemExit) as exc:
        msg = (
            f"the file says it follows layout {claim.name[:80]!r}, which cannot be loaded "
            f"({exc}); pass --layout NAME|PATH"
        )
    report.findings.append(finding("unknown-layout", msg, attribute=attribute))
    return None


def _validate(
    path: str,
    spec: LayoutSpec | None,
    resolve: Callable[[str], LayoutSpec] | None,
    finder: LayoutFinder | None,
    report: FileReport,
    backend: Backend,
) -> None:
    if backend.local_files:
        probe = probe_file(path)
        early = probe_findings(probe)
        if early:
            report.findings.extend(early)
            return
        opened = _open(backend, path, probe, report)
    else:
        try:
            opened = backend.open(path, "r", title="", swmr_mode=False)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            report.findings.append(finding("unreadable-file", f"cannot read the domain: {exc}"))
            return
    if opened is None:
        return
    try:
        root = backend.describe(backend.root(opened))
        children: list[NodeInfo] | None
        try:
            children = backend.scan(root.node)
        except (OSError, RuntimeError):
            children = None  # the checker reports it
        attrs = claim_attrs(root.attrs)
        if spec is None:
            raw_data = next((c for c in children or () if c.name == RAW_GROUP and c.is_group), None)
            claim = claim_of(attrs, raw_data.attrs if raw_data is not None else None)
            if claim is None:
                report.findings.append(
                    finding(
                        "unknown-layout",
                        "the file does not say which layout it follows (no h5layout_layout "
                        "root attribute, not a PyMoDAQ file); pass --layout NAME|PATH",
                    )
                )
                return
            spec = _resolve(claim, resolve, finder, report)
            if spec is None:
                return
            report.layout, report.layout_version = spec.layout, spec.version
        _layout_mismatch(spec, attrs, report)
        Checker(spec, report, backend).run_from(root, children)
    finally:
        backend.close(opened)


def iter_h5_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """The files to check: files as given, folders searched recursively for
    ``*.h5``/``*.hdf5`` (sorted, so reports are deterministic)."""
    from pathlib import Path

    for p in paths:
        path = Path(p)
        if path.is_dir():
            yield from sorted(
                str(f)
                for f in path.rglob("*")
                if f.suffix.lower() in (".h5", ".hdf5") and f.is_file()
            )
        else:
            yield os.fspath(p)


def validate_paths(
    paths: Iterable[str | os.PathLike[str]],
    layout: str | os.PathLike[str] | LayoutSpec | None = None,
    *,
    finder: LayoutFinder | None = None,
    backend: str = DEFAULT_BACKEND,
) -> Report:
    """Check files and folders against ``layout`` (a name, a layout file, a spec, or None to
    find each file's own layout). Raises :class:`~h5layout.runtime.check.detect.LayoutNotFoundError`
    only for a ``layout`` that cannot be loaded; file problems are findings."""
    spec: LayoutSpec | None
    if layout is None or isinstance(layout, LayoutSpec):
        spec = layout
    else:
        spec = (finder or LayoutFinder()).find(layout)
    return Report(
        files=[validate_file(p, spec, finder=finder, backend=backend) for p in iter_h5_files(paths)]
    )
