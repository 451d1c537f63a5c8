"""Checking files against a resolved layout (:class:`LayoutSpec`): the file-level part.

A file is probed first (empty, foreign, truncated, left open by a writer), then opened once,
read-only, with h5py (which reads PyTables files too), its layout found from its root
attributes when none is given, and walked once by :class:`~h5layout.runtime.check.checker.Checker`.
Every problem becomes a :class:`~h5layout.runtime.check.report.Finding`; an odd file gives a
finding that says so and what to do, and an unexpected exception inside a rule gives an
``internal-error`` finding, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from h5layout.runtime.check.checker import Checker
from h5layout.runtime.check.detect import (
    LayoutClaim,
    LayoutFinder,
    UntrustedLayoutError,
    claim_of,
    read_root_attrs,
)
from h5layout.runtime.check.report import FileReport, Finding, Report
from h5layout.runtime.layout.spec import LayoutSpec
from h5layout.runtime.storage.probe import FileProbe, probe_file

if TYPE_CHECKING:
    import h5py

__all__ = [
    "LAYOUT_ATTRS",
    "detect_layout_name",
    "iter_h5_files",
    "validate_file",
    "validate_paths",
]

#: Root attributes every h5layout saver writes (name, version, sha256 of the layout).
LAYOUT_ATTRS = ("h5layout_layout", "h5layout_layout_version", "h5layout_layout_sha256")


def detect_layout_name(root_attrs: Mapping[str, Any]) -> str | None:
    """The layout a file says it follows (decoded root attributes), or None.

    ``h5layout_layout`` wins; a file with ``pymodaq_data_version`` is a pymodaq file
    (:func:`h5layout.runtime.check.detect.claim_of` is the one place that decides).
    """
    claim = claim_of(root_attrs)
    return claim.name if claim is not None else None


# --------------------------------------------------------------------------------------


def _probe_findings(probe: FileProbe) -> list[Finding]:
    if not probe.exists:
        return [Finding("unreadable-file", "error", "/", "file does not exist")]
    if probe.size == 0:
        return [
            Finding(
                "empty-file",
                "error",
                "/",
                "file is empty (0 bytes): the writer crashed before anything reached the "
                "disk, or the copy failed",
            )
        ]
    if not probe.is_hdf5:
        return [
            Finding(
                "not-hdf5",
                "error",
                "/",
                "not an HDF5 file (no HDF5 signature in the first bytes); check the file type",
            )
        ]
    if probe.checksum_ok is False:
        # checked before any HDF5 open: a SWMR reader would retry it for minutes
        return [
            Finding(
                "bad-superblock",
                "error",
                "/",
                (probe.problem() or "the superblock is damaged")
                + "; the file's header is damaged (bit flip, overwritten start); restore it "
                "from a backup",
            )
        ]
    if probe.truncated:
        return [
            Finding(
                "truncated-file",
                "error",
                "/",
                (probe.problem() or "file is truncated")
                + "; the end of the file is lost (copy interrupted or writer killed); "
                "restore it from a backup",
            )
        ]
    return []


def _open(path: str, probe: FileProbe, report: FileReport) -> h5py.File | None:
    """Open read-only without file locking (a live writer must not block us)."""
    import h5py

    swmr = probe.swmr_writer
    # Only version 3 superblocks make HDF5 act on the flags (earlier versions open normally).
    if probe.refused_by_plain_readers and not swmr:
        report.findings.append(
            Finding(
                "locked-by-writer",
                "error",
                "/",
                "the file is marked open for writing (a writer has it open, or crashed "
                "without closing it); HDF5 refuses to read it. Close the writer; after a "
                "crash, `h5layout repair` clears the mark",
                repairable=True,
            )
        )
        return None
    if not swmr and _write_locked(path):
        report.findings.append(
            Finding(
                "locked-by-writer",
                "warning",
                "/",
                "another process holds the HDF5 write lock (a live writer): checked what is "
                "on disk now, which may be incomplete; check again once the writer is closed",
            )
        )
    try:
        if swmr:
            report.findings.append(
                Finding(
                    "swmr-writer-open",
                    "error",
                    "/",
                    "a SWMR writer has the file open or crashed without closing it; plain "
                    "HDF5 readers refuse it. Validated as a SWMR reader. After a crash, "
                    "`h5layout repair` clears the mark",
                    repairable=True,
                )
            )
            from h5layout.runtime.storage.backends._swmr_read import open_swmr_reader

            return open_swmr_reader(path, locking=False)
        return h5py.File(path, "r", locking=False)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "already open for write" in msg:
            report.findings.append(
                Finding(
                    "locked-by-writer",
                    "error",
                    "/",
                    f"the file is open by a writer ({msg}); close the writer and retry",
                )
            )
        else:
            report.findings.append(
                Finding("unreadable-file", "error", "/", f"HDF5 cannot open the file: {msg}")
            )
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


def _layout_mismatch(spec: LayoutSpec, attrs: Mapping[str, Any], report: FileReport) -> None:
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
    report.findings.append(
        Finding("layout-mismatch", "warning", "/", msg, attribute="h5layout_layout")
    )


def validate_file(
    path: str | os.PathLike[str],
    spec: LayoutSpec | None = None,
    *,
    resolve: Callable[[str], LayoutSpec] | None = None,
    finder: LayoutFinder | None = None,
) -> FileReport:
    """Check one file against ``spec`` (found from the file itself when None).

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
        _validate(spath, spec, resolve, finder, report)
    except (OSError, RuntimeError) as exc:  # HDF5 read errors of a damaged file
        report.findings.append(
            Finding("unreadable-file", "error", "/", f"HDF5 cannot read the file: {exc}")
        )
    except (Exception, SystemExit) as exc:
        report.findings.append(
            Finding("internal-error", "error", "/", f"{type(exc).__name__}: {exc}")
        )
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
    report.findings.append(Finding("unknown-layout", "error", "/", msg, attribute=attribute))
    return None


def _validate(
    path: str,
    spec: LayoutSpec | None,
    resolve: Callable[[str], LayoutSpec] | None,
    finder: LayoutFinder | None,
    report: FileReport,
) -> None:
    probe = probe_file(path)
    early = _probe_findings(probe)
    if early:
        report.findings.extend(early)
        return
    h5 = _open(path, probe, report)
    if h5 is None:
        return
    with h5:
        attrs = read_root_attrs(h5)
        if spec is None:
            claim = claim_of(attrs, h5)
            if claim is None:
                report.findings.append(
                    Finding(
                        "unknown-layout",
                        "error",
                        "/",
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
        Checker(spec, report).run(h5)


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
) -> Report:
    """Check files and folders against ``layout`` (a name, a layout file, a spec, or None to
    find each file's own layout). Raises :class:`~h5layout.runtime.check.detect.LayoutNotFoundError`
    only for a ``layout`` that cannot be loaded; file problems are findings."""
    spec: LayoutSpec | None
    if layout is None or isinstance(layout, LayoutSpec):
        spec = layout
    else:
        spec = (finder or LayoutFinder()).find(layout)
    return Report(files=[validate_file(p, spec, finder=finder) for p in iter_h5_files(paths)])
