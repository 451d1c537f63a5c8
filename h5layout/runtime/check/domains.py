"""HSDS domains as command-line targets: ``hsds://host:port/home/lab/run.h5``.

:func:`parse_target` turns a command-line argument into a :class:`Target`: a local path
(read by h5py or PyTables), or an HSDS domain read by the h5pyd backend. A domain is
named by a URL (``hsds://`` over HTTP, ``hsdss://`` over TLS) or, with ``--backend h5pyd``,
by its bare path (the server then comes from ``HS_ENDPOINT`` or ``~/.hscfg``). Credentials
never go in a URL (it ends up in shell histories, logs and reports): a URL with a user or
password is refused, and h5pyd reads ``HS_USERNAME``/``HS_PASSWORD`` or ``~/.hscfg``.

:func:`validate_domain` checks a domain with the same checker, findings and report as a
local file: :func:`~h5layout.runtime.check.validate.validate_file` reads it through the
h5pyd backend's metadata walk (one request per object, attributes and links included; no
array data).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast
from urllib.parse import urlsplit

from h5layout.runtime.errors import DomainURLError, FileAccessError

if TYPE_CHECKING:
    from h5layout.runtime.check.report import FileReport
    from h5layout.runtime.layout.spec import LayoutSpec
    from h5layout.runtime.storage.backends import Backend

#: URL schemes naming an HSDS domain → the scheme of the server's endpoint
SCHEMES = {"hsds": "http", "hsdss": "https"}


@dataclass(frozen=True)
class Target:
    """Where a command reads or writes: a local path, or a domain of an HSDS server."""

    #: the local path, or the domain path (``/home/lab/run.h5``)
    location: str
    #: the backend reading it: ``h5py``/``tables`` for paths, ``h5pyd`` for domains
    backend: str
    #: h5pyd connection arguments (``endpoint``, ``username``, ``password``); empty for paths
    server: dict[str, str] = field(default_factory=dict, repr=False)
    #: the text the user gave (shown in reports)
    text: str = ""

    @property
    def is_domain(self) -> bool:
        """Whether this is an HSDS domain."""
        return self.backend == "h5pyd"

    def __str__(self) -> str:
        return self.text or self.location


def hs_setting(key: str) -> str | None:
    """An h5pyd setting (``hs_endpoint``, ``hs_username``...) as h5pyd finds it: the
    upper-case environment variable, else ``./.hscfg``, else ``~/.hscfg``.

    Read here at each call: h5pyd reads its configuration once per process, so a
    variable set later would be ignored by it.
    """
    value = os.environ.get(key.upper())
    if value:
        return value
    for cfg in (".hscfg", os.path.expanduser("~/.hscfg")):
        if not os.path.isfile(cfg):
            continue
        try:
            with open(cfg, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    k, sep, v = line.strip().partition("=")
                    if sep and not k.startswith("#") and k.strip() == key:
                        return v.strip() or None
        except OSError:
            pass
        return None  # h5pyd reads only the first file it finds
    return None


def _server(endpoint: str | None) -> dict[str, str]:
    given = {
        "endpoint": endpoint or hs_setting("hs_endpoint"),
        "username": hs_setting("hs_username"),
        "password": hs_setting("hs_password"),
    }
    return {k: v for k, v in given.items() if v}


def is_domain_url(text: str) -> bool:
    """Whether ``text`` is an ``hsds://`` or ``hsdss://`` URL."""
    scheme, sep, _ = str(text).partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def parse_target(text: str | os.PathLike[str], backend: str | None = None) -> Target:
    """The target an argument names (see the module docstring).

    ``backend`` is the command's ``--backend`` (None: its default). A URL always means
    the h5pyd backend; naming another backend with a URL is an error.
    """
    raw = os.fspath(text)
    if not is_domain_url(raw):
        if backend != "h5pyd":
            return Target(raw, backend or "h5py", {}, raw)
        if not raw.startswith("/"):
            raise DomainURLError(f"{raw}: an HSDS domain path must be absolute (/home/lab/run.h5)")
        return Target(raw, "h5pyd", _server(None), raw)
    parts = urlsplit(raw)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise DomainURLError(
            f"{redact(raw)}: credentials are never read from a URL; set HS_USERNAME and "
            "HS_PASSWORD or use ~/.hscfg"
        )
    if backend not in (None, "h5pyd"):
        raise DomainURLError(f"{raw}: an HSDS domain is read with --backend h5pyd, not {backend}")
    try:
        port = parts.port
    except ValueError as exc:
        raise DomainURLError(f"{raw}: bad port ({exc})") from None
    if not parts.hostname:
        raise DomainURLError(f"{raw}: no server host (hsds://host:port/folder/file.h5)")
    if parts.query or parts.fragment:
        raise DomainURLError(f"{raw}: a domain URL has no query or fragment")
    domain = parts.path
    if not domain or domain == "/" or domain.endswith("/"):
        raise DomainURLError(f"{raw}: names no domain (hsds://host:port/folder/file.h5)")
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    endpoint = f"{SCHEMES[parts.scheme.lower()]}://{host}" + (f":{port}" if port else "")
    return Target(domain, "h5pyd", _server(endpoint), raw)


def redact(text: str) -> str:
    """``text`` with a domain URL's user information hidden (never echo a password)."""
    if not is_domain_url(text):
        return text
    scheme, _, rest = text.partition("://")
    netloc, slash, path = rest.partition("/")
    if "@" not in netloc:
        return text
    return f"{scheme}://***@{netloc.rpartition('@')[2]}{slash}{path}"


def backend_for(target: Target) -> Backend:
    """The backend reading ``target``, pointed at its server when the target names one.

    The h5pyd backend keeps one server for every later open that names none (savers and
    loaders open domains without connection arguments); a command works on one server.
    """
    from h5layout.runtime.storage.backends import get_backend

    be = get_backend(target.backend)
    if target.is_domain and target.server:
        be.set_server(**target.server)  # type: ignore[attr-defined]
    return be


class _DomainStore(Protocol):
    """What the backend of a server's domains (h5pyd) adds to the interface."""

    def file_exists(self, path: str) -> bool: ...

    def remove_file(self, path: str) -> None: ...


def _domain_store(target: Target) -> _DomainStore:
    return cast("_DomainStore", backend_for(target))


def exists(target: Target) -> bool:
    """Whether the file or domain exists."""
    if not target.is_domain:
        return os.path.isfile(target.location)
    try:
        return bool(_domain_store(target).file_exists(target.location))
    except OSError as exc:
        raise FileAccessError(f"{target}: cannot reach the HSDS server: {exc}") from exc


def remove_domain(target: Target) -> None:
    """Delete a domain (a failed copy into it); a missing domain is not an error."""
    _domain_store(target).remove_file(target.location)


def root_attrs(target: Target) -> dict[str, object]:
    """The root attributes of a file or domain, decoded (to detect its layout)."""
    from h5layout.runtime.codec.attrs import decode_json, decode_raw

    be = backend_for(target)
    file = be.open(target.location, "r", title="", swmr_mode=False)
    try:
        root = be.root(file)
        out: dict[str, object] = {}
        for name in be.attr_names(root):
            value = decode_raw(be.get_attr(root, name))
            out[name] = decode_json(value) if isinstance(value, str) else value
        return out
    finally:
        be.close(file)


def detect_layout(target: Target) -> LayoutSpec | None:
    """The layout a file or domain names (or a PyMoDAQ file's), None when it names none."""
    from h5layout.runtime.check.detect import LayoutNotFoundError, find_layout_spec, read_claim

    if not target.is_domain:
        try:
            return find_layout_spec(file=target.location)
        except LayoutNotFoundError:
            return None
    be = backend_for(target)
    file = be.open(target.location, "r", title="", swmr_mode=False)
    try:
        claim = read_claim(be, file)
    finally:
        be.close(file)
    if claim is None:
        return None
    try:
        return find_layout_spec(claim.name)
    except LayoutNotFoundError:
        return None


def validate_domain(target: Target, spec: LayoutSpec | None = None) -> FileReport:
    """Check a domain like :func:`~h5layout.runtime.check.validate.validate_file` checks a
    file (it does: through the h5pyd backend).

    Never raises for a bad domain: an unreachable server or domain is an
    ``unreadable-file`` finding, as an unreadable local file is.
    """
    from h5layout.runtime.check.validate import validate_file

    report = validate_file(target.location, spec, backend=backend_for(target))
    report.path = str(target)
    return report
