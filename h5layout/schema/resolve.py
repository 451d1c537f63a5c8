"""``extends``, ``include`` and ``remove``: from a layout file to one merged document.

Merge rules (documented in the README, "Extension and merge rules"):

* the base layout (``extends``) comes first, then each ``include`` fragment in order, then
  the file's own content; each step merges onto the result of the previous ones;
* mappings merge recursively, key by key (new keys are appended, so the order of the
  base is kept); scalars and lists replace what they override;
* ``remove: [dotted.path, ...]`` deletes inherited entries (applied before the file's own
  content is merged);
* ``extends``, ``include`` and ``remove`` are directives of one file and never inherited.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from h5layout.runtime.errors import Problem
from h5layout.schema.source import Document, Loc, Path_, YamlValue, dotted, parse_yaml

#: Folder of the shipped layouts.
LAYOUTS_DIR = Path(__file__).resolve().parent.parent / "layouts"
#: Shown instead of the machine-specific folder of shipped layouts.
LAYOUTS_DISPLAY = "h5layout/layouts"

DIRECTIVES = ("extends", "include", "remove")
#: The top-level keys of a layout (a file with none of them is not a layout).
LAYOUT_KEYS = frozenset(
    (
        *DIRECTIVES,
        "layout",
        "version",
        "language",
        "description",
        "root",
        "policy",
        "attr_sets",
        "groups",
        "arrays",
    )
)
#: Largest layout file read (bytes); a layout of 8,000 node types is about 2 MB.
MAX_FILE_BYTES = 16 << 20
#: Largest total of the files one layout reads (itself, what it extends and includes).
MAX_TOTAL_BYTES = 32 << 20
#: Most files one layout may read (includes of includes count).
MAX_FILES = 256
#: What ``extends``/``include`` paths must end with.
LAYOUT_SUFFIXES = (".yaml", ".yml")


def shipped_layouts() -> list[str]:
    """Names of the layouts shipped with h5layout."""
    return sorted(p.stem for p in LAYOUTS_DIR.glob("*.yaml"))


def display_name(path: Path, given: str | None = None) -> str:
    """How a file is named in messages: package-relative for shipped layouts."""
    try:
        rel = path.resolve().relative_to(LAYOUTS_DIR)
        return f"{LAYOUTS_DISPLAY}/{rel.as_posix()}"
    except ValueError:
        pass
    return given if given is not None else str(path)


@dataclass
class Merged:
    """The merged document, where every value came from, and the files read."""

    data: dict[str, YamlValue] = field(default_factory=dict)
    values: dict[Path_, Loc] = field(default_factory=dict)
    keys: dict[Path_, Loc] = field(default_factory=dict)
    digests: list[bytes] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # the files behind ``digests``, in order
    top_keys: set[str] = field(default_factory=set)


def _paths(value: YamlValue, prefix: Path_) -> list[Path_]:
    """``prefix`` and the path of everything below it in ``value`` (work ∝ its size)."""
    out: list[Path_] = []
    stack: list[tuple[Path_, YamlValue]] = [(prefix, value)]
    while stack:
        path, v = stack.pop()
        out.append(path)
        if isinstance(v, dict):
            stack.extend(((*path, k), c) for k, c in v.items())
        elif isinstance(v, list):
            stack.extend(((*path, i), c) for i, c in enumerate(v))
    return out


def _forget(merged: Merged, value: YamlValue, prefix: Path_) -> None:
    """Drop the locations of ``value`` (found at ``prefix``) and of everything below it."""
    for p in _paths(value, prefix):
        merged.values.pop(p, None)
        merged.keys.pop(p, None)


def merge_into(base: Merged, doc: Document, data: dict[str, YamlValue]) -> None:
    """Merge ``data`` (the top-level mapping of ``doc``) onto ``base`` in place.

    Work is proportional to the size of ``data`` plus what it replaces: locations are
    copied and dropped by walking the values themselves, never by scanning the whole
    location tables (which made merging quadratic in the number of node types).
    """
    _merge(base, doc, base.data, data, ())


def _merge(
    base: Merged,
    doc: Document,
    target: dict[str, YamlValue],
    data: dict[str, YamlValue],
    path: Path_,
) -> None:
    """Merge ``data`` (the mapping of ``doc`` at ``path``) onto ``target`` (the mapping of
    ``base`` at ``path``)."""
    for key, value in data.items():
        child = (*path, key)
        old = target.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            if child in doc.values:
                base.values[child] = doc.values[child]
            _merge(base, doc, old, value, child)
            continue
        if key in target:
            _forget(base, target[key], child)
        # no copy: each file's data is built afresh (aliases included) and used only here
        target[key] = value
        for p in _paths(value, child):
            if p in doc.values:
                base.values[p] = doc.values[p]
            if p in doc.keys:
                base.keys[p] = doc.keys[p]


def _decode(raw: bytes) -> str | None:
    """UTF-8 text (a leading byte-order mark is dropped), or None."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _encoding_hint(raw: bytes) -> str:
    """What to do about a file that is not UTF-8 (never quotes the file)."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return f" ({name}); save it as UTF-8"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return f" (byte 0x{raw[exc.start]:02x} on line {line}); save it as UTF-8"
    return ""


class Resolver:
    """Reads a layout and everything it extends or includes, collecting problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.shown: dict[Path, str] = {}
        self.files_read = 0
        self.bytes_read = 0
        #: An ``extends`` or ``include`` could not be read: what it held is missing, and
        #: problems that follow from its absence are not reported.
        self.incomplete = False
        #: Inherited entries deleted by ``remove``: dotted path → where the entry was written.
        self.removed: dict[Path_, Loc] = {}

    def add(self, loc: Loc, path: Path_, message: str, code: str) -> None:
        self.problems.append(Problem(loc.file, loc.line, loc.column, dotted(path), message, code))

    def locate(self, ref: str, here: Path | None) -> Path | None:
        """A shipped name or a path (relative to ``here``'s folder)."""
        if here is None or (
            "/" not in ref and "\\" not in ref and not ref.endswith((".yaml", ".yml"))
        ):
            shipped = LAYOUTS_DIR / f"{ref}.yaml"
            if shipped.is_file():
                return shipped
            if here is None and not Path(ref).is_file():
                return None
        path = Path(ref)
        if not path.is_absolute() and here is not None:
            path = here.parent / path
        return path

    def load(self, ref: str, given: str) -> Merged:
        """Resolve the top-level layout ``ref`` (shipped name or path)."""
        path = self.locate(ref, None)
        if path is None:
            path = Path(ref)
        out = Merged()
        out.values[()] = Loc(given, 1, 1)
        doc = self._read(path, given, Loc(given, 0, 0), (), out)
        if doc is not None and isinstance(doc.data, dict):
            out.top_keys = set(doc.data)
        return out

    def _read(
        self, path: Path, shown: str, origin: Loc, stack: tuple[Path, ...], out: Merged
    ) -> Document | None:
        real = path.resolve()
        self.shown.setdefault(real, shown)
        if real in stack:
            loop = (*stack, real)[stack.index(real) :]
            chain = " -> ".join(self.shown.get(p, display_name(p)) for p in loop)
            self.add(origin, (), f"cycle in extends/include: {chain}", "cycle")
            return None
        raw = self._read_bytes(path, shown, origin)
        if raw is None:
            return None
        out.digests.append(hashlib.sha256(raw).digest())
        out.files.append(real)
        # A file named by another layout may be anything (a typo, a system file): until it
        # reads as a layout, its problems say what is wrong, never what it contains.
        nested = bool(stack)
        # the same care for a file given directly that is not named like a layout
        guarded = nested or path.suffix not in LAYOUT_SUFFIXES
        text = _decode(raw)
        if text is None:
            self.add(
                origin if nested else Loc(shown, 1, 1),
                (),
                f"{shown} is not a layout: not UTF-8 text"
                + ("" if nested else _encoding_hint(raw)),
                "yaml-syntax",
            )
            return None
        doc, problems = parse_yaml(text, shown)
        if guarded and (doc.data is None or not isinstance(doc.data, dict)) and problems:
            first = problems[0]
            self.add(
                origin if nested else Loc(shown, first.line, 1),
                (),
                f"{shown} is not a layout: YAML syntax error at line {first.line}",
                "yaml-syntax",
            )
            return None
        self.problems.extend(problems)
        if doc.data is None:
            if not problems:
                self.add(Loc(shown, 1, 1), (), "empty layout file", "invalid-type")
            return doc
        if not isinstance(doc.data, dict) or not LAYOUT_KEYS & set(doc.data):
            mapping = isinstance(doc.data, dict)
            self.add(
                origin if nested else doc.values.get((), Loc(shown, 1, 1)),
                (),
                f"{shown} is not a layout (a layout is a mapping with keys such as "
                "layout, groups, arrays)"
                if nested or mapping
                else "a layout must be a mapping",
                "invalid-type",
            )
            return None if nested or mapping else doc
        data = doc.data
        stack = (*stack, real)
        extends = data.get("extends")
        if extends is not None:
            if isinstance(extends, str) and extends:
                self._follow(
                    extends, path, shown, doc.values[("extends",)], stack, out, kind="layout"
                )
            else:
                self.add(
                    doc.values[("extends",)],
                    ("extends",),
                    "extends must be a layout name or a path",
                    "invalid-type",
                )
        include = data.get("include")
        if include is not None:
            items = include if isinstance(include, list) else [include]
            for i, item in enumerate(items):
                p = ("include", i) if isinstance(include, list) else ("include",)
                if isinstance(item, str) and item:
                    self._follow(item, path, shown, doc.values[p], stack, out, kind="fragment")
                else:
                    self.add(doc.values[p], p, "an include must be a file path", "invalid-type")
        self._remove(doc, data.get("remove"), out)
        own = {k: v for k, v in data.items() if k not in DIRECTIVES}
        merge_into(out, doc, own)
        return doc

    def _read_bytes(self, path: Path, shown: str, origin: Loc) -> bytes | None:
        """The bytes of a regular file within the size limits (None after a problem)."""
        where = origin if origin.line else Loc(shown, 1, 1)
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):  # a device, a FIFO, a folder: never read
                self.add(where, (), f"{shown} is not a regular file", "missing-file")
                return None
            if info.st_size > MAX_FILE_BYTES:
                self.add(
                    where,
                    (),
                    f"{shown} is {info.st_size:,} bytes; a layout file is at most "
                    f"{MAX_FILE_BYTES:,}",
                    "too-large",
                )
                return None
            self.files_read += 1
            if self.files_read > MAX_FILES:
                if self.files_read == MAX_FILES + 1:  # said once, at the first one refused
                    self.add(
                        where,
                        (),
                        f"this layout reads more than {MAX_FILES} files (extends and "
                        "includes, counted with repeats); the rest are not read",
                        "too-large",
                    )
                return None
            with path.open("rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.add(origin, (), f"cannot read {shown}: {exc.strerror or exc}", "missing-file")
            return None
        self.bytes_read += len(raw)
        if len(raw) > MAX_FILE_BYTES or self.bytes_read > MAX_TOTAL_BYTES:
            self.add(
                where,
                (),
                f"the files of this layout exceed {MAX_TOTAL_BYTES:,} bytes",
                "too-large",
            )
            return None
        return raw

    def _follow(
        self,
        ref: str,
        here: Path,
        here_shown: str,
        origin: Loc,
        stack: tuple[Path, ...],
        out: Merged,
        kind: str,
    ) -> None:
        target = (
            self.locate(ref, here)
            if kind == "layout"
            else (Path(ref) if Path(ref).is_absolute() else here.parent / ref)
        )
        if (
            target is not None
            and target.suffix not in LAYOUT_SUFFIXES
            and (kind == "fragment" or "/" in ref or "\\" in ref or target.exists())
            and display_name(target) == str(target)
        ):
            self.add(
                origin,
                ("extends",) if kind == "layout" else ("include",),
                f"{kind} {ref!r} is not a layout file (layout files end in .yaml or .yml)",
                "invalid-value",
            )
            self.incomplete = True
            return
        if target is None or not target.exists():  # special files are refused when read
            hint = ""
            if kind == "layout" and "/" not in ref and not ref.endswith((".yaml", ".yml")):
                close = difflib.get_close_matches(ref, shipped_layouts(), n=1)
                hint = (
                    f" (did you mean {close[0]!r}?)"
                    if close
                    else f" (shipped: {', '.join(shipped_layouts())})"
                )
            self.add(
                origin,
                ("extends",) if kind == "layout" else ("include",),
                f"{kind} {ref!r} not found{hint}",
                "missing-file",
            )
            self.incomplete = True
            return
        if display_name(target) != str(target):
            shown = display_name(target)
        elif Path(ref).is_absolute():
            shown = ref
        else:
            shown = os.path.normpath(os.path.join(os.path.dirname(here_shown), ref))
        doc = self._read(target, shown, origin, stack, out)
        if doc is None or not isinstance(doc.data, dict):
            self.incomplete = True
        if kind == "fragment" and doc is not None and isinstance(doc.data, dict):
            for key in ("layout", "extends"):
                if key in doc.data:
                    self.add(
                        doc.keys[(key,)],
                        (key,),
                        f"a fragment cannot set {key!r} (only layouts can)",
                        "invalid-key",
                    )

    def _remove(self, doc: Document, remove: YamlValue, out: Merged) -> None:
        if remove is None:
            return
        if not isinstance(remove, list):
            self.add(
                doc.values[("remove",)],
                ("remove",),
                "remove must be a list of dotted paths",
                "invalid-type",
            )
            return
        for i, item in enumerate(remove):
            loc = doc.values[("remove", i)]
            if not isinstance(item, str) or not item:
                self.add(
                    loc,
                    ("remove", i),
                    "remove entries are dotted paths such as groups.scan.attrs.note",
                    "invalid-type",
                )
                continue
            parts = tuple(item.split("."))
            parent: YamlValue = out.data
            for part in parts[:-1]:
                parent = parent.get(part) if isinstance(parent, dict) else None
            if not isinstance(parent, dict) or parts[-1] not in parent:
                self.add(loc, ("remove", i), f"nothing to remove at {item!r}", "unknown-reference")
                continue
            _forget(out, parent.pop(parts[-1]), parts)
            self.removed[parts] = loc
