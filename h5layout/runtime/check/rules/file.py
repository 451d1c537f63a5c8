"""Rules about the file as a whole and its links: what it is (HDF5 at all, complete, with
an intact superblock), who holds it, whether it can be read, which layout it follows, and
links that are not followed, loop back or have names PyTables cannot read."""

from __future__ import annotations

from h5layout.runtime.check.findings import Finding, declare
from h5layout.runtime.check.rules._context import Context
from h5layout.runtime.storage.backends import (
    EXTERNAL_LINK,
    SOFT_LINK,
    UNREADABLE,
    NodeInfo,
)
from h5layout.runtime.storage.probe import FileProbe

FAMILY = "file"
RULES = declare(
    FAMILY,
    ("not-hdf5", "error", "the file is not an HDF5 file (no HDF5 signature)"),
    ("empty-file", "error", "the file is empty (0 bytes)"),
    ("truncated-file", "error", "the file is shorter than its superblock says"),
    ("unreadable-file", "error", "the file could not be opened or read"),
    ("bad-superblock", "error", "the superblock checksum does not match: a damaged header"),
    ("locked-by-writer", "error", "a writer has the file open, or crashed without closing it"),
    (
        "swmr-writer-open",
        "error",
        "a SWMR writer has the file open, or crashed without closing it; validated as a "
        "SWMR reader",
    ),
    ("link-not-followed", "info", "a soft or external link, not followed"),
    ("non-utf8-name", "error", "a link or attribute name that is not valid UTF-8"),
    ("link-cycle", "error", "a hard link to one of its own ancestors: the file holds a cycle"),
    ("unknown-layout", "error", "no layout could be found for the file"),
    (
        "layout-mismatch",
        "warning",
        "the file says it was written with another layout, version or revision",
    ),
    (
        "internal-error",
        "error",
        "a check failed unexpectedly (a bug in h5layout, please report it)",
    ),
)

#: how a link kind is named in ``link-not-followed`` messages
_LINK_NAMES = {SOFT_LINK: "SoftLink", EXTERNAL_LINK: "ExternalLink"}


def finding(
    code: str,
    message: str,
    *,
    node: str = "/",
    attribute: str | None = None,
    severity: str | None = None,
    repairable: bool = False,
) -> Finding:
    """A finding of this family (``severity`` None: its rule's default)."""
    return Finding(
        code,
        severity or RULES[code].severity,
        node,
        message,
        attribute=attribute,
        repairable=repairable,
    )


def probe_findings(probe: FileProbe) -> list[Finding]:
    """What the superblock probe says before any HDF5 library opens a local file."""
    if not probe.exists:
        return [finding("unreadable-file", "file does not exist")]
    if probe.size == 0:
        return [
            finding(
                "empty-file",
                "file is empty (0 bytes): the writer crashed before anything reached the "
                "disk, or the copy failed",
            )
        ]
    if not probe.is_hdf5:
        return [
            finding(
                "not-hdf5",
                "not an HDF5 file (no HDF5 signature in the first bytes); check the file type",
            )
        ]
    if probe.checksum_ok is False:
        # checked before any HDF5 open: a SWMR reader would retry it for minutes
        return [
            finding(
                "bad-superblock",
                (probe.problem() or "the superblock is damaged")
                + "; the file's header is damaged (bit flip, overwritten start); restore it "
                "from a backup",
            )
        ]
    if probe.truncated:
        return [
            finding(
                "truncated-file",
                (probe.problem() or "file is truncated")
                + "; the end of the file is lost (copy interrupted or writer killed); "
                "restore it from a backup",
            )
        ]
    return []


def unreadable(ck: Context, path: str, message: str) -> None:
    """A node, link or list that cannot be read."""
    ck.add("unreadable-file", path, message)


def internal_error(ck: Context, path: str, message: str) -> None:
    """A rule that failed unexpectedly."""
    ck.add("internal-error", path, message)


def node_names(ck: Context, info: NodeInfo) -> None:
    """Link and attribute names that are not UTF-8, and attributes that cannot be read."""
    if not info.name_is_utf8:
        ck.add(
            "non-utf8-name",
            info.path,
            "the link name is not valid UTF-8: PyTables (pymodaq_data's default "
            "backend) crashes on it; h5layout reads the file with h5py only",
        )


def attribute_names(ck: Context, info: NodeInfo) -> None:
    """Attribute names that are not UTF-8; an attribute list that cannot be read."""
    if info.problem and info.kind != UNREADABLE:
        ck.add("unreadable-file", info.path, info.problem)
    for text in info.bad_attr_names:
        ck.add(
            "non-utf8-name",
            info.path,
            f"attribute name {text!r} is not valid UTF-8: PyTables (pymodaq_data's "
            "default backend) crashes on it; h5layout reads the file with h5py only",
            attribute=text,
        )


def link(ck: Context, info: NodeInfo) -> bool:
    """Links the walk does not follow; False when ``info`` is no node to check."""
    if info.kind in _LINK_NAMES:
        ck.add("link-not-followed", info.path, f"{_LINK_NAMES[info.kind]} not followed")
        return False
    if info.kind == UNREADABLE:
        ck.add("unreadable-file", info.path, info.problem or "cannot read the link")
        return False
    return True


def cycle(ck: Context, path: str, first: str) -> None:
    """A hard link back to ``first``, one of the node's own ancestors."""
    ck.add(
        "link-cycle",
        path,
        f"a hard link back to {first!r}, one of its own ancestors: the file holds a cycle; "
        "not followed",
    )
