"""Safe reading of a REFI-QDA project archive (``.qdpx``, a zip).

Nothing is extracted to disk: members are read into memory on demand, and only after the whole
archive has been checked — no member path outside the archive's folder (``../``, absolute paths,
drive letters), no symbolic links, no encrypted members, a bounded number of members and bounded
uncompressed sizes (declared and read). Any violation refuses the archive with one clear line.
Source references (``internal://x.txt``, ``relative:///x.txt``, bare ``x.txt``) are resolved
case-insensitively, in ``sources/`` or ``Sources/``.
"""
from __future__ import annotations

import posixpath
import re
import stat
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InterchangeError


@dataclass(frozen=True)
class Limits:
    """Bounds on what an archive may hold. The defaults fit any real project export; media
    (audio, video) count towards ``total`` but are never read."""

    members: int = 20_000               # member count
    total: int = 8 * 1024 ** 3          # sum of the declared uncompressed sizes
    member: int = 256 * 1024 ** 2       # largest member read into memory (XML, a text)
    read_total: int = 1024 ** 3         # all members read, together


DEFAULT_LIMITS = Limits()
_DRIVE = re.compile(r"^[A-Za-z]:")
HINT = "export the project again from its QDA program (File → Export → REFI-QDA project)"


def _clean_name(name: str) -> str:
    return name.replace("\\", "/")


def unsafe_reason(name: str) -> str | None:
    """Why a member name could escape the folder it is extracted to (None when it cannot)."""
    n = _clean_name(name)
    if "\x00" in n:
        return "contains a NUL character"
    if n.startswith("/") or _DRIVE.match(n):
        return "is an absolute path"
    if any(part == ".." for part in n.split("/")):
        return "climbs out of the archive with '..'"
    return None


def is_link(info: zipfile.ZipInfo) -> bool:
    """A symbolic link member (Unix mode bits in the high half of ``external_attr``)."""
    return stat.S_ISLNK(info.external_attr >> 16)


class Archive:
    """An opened, checked ``.qdpx``. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path, limits: Limits = DEFAULT_LIMITS, *, data=None):
        self.path = Path(path)
        self.limits = limits
        self._read = 0
        try:
            self._zip = zipfile.ZipFile(data if data is not None else self.path)
        except zipfile.BadZipFile:
            raise InterchangeError("not a REFI-QDA project archive (not a zip file)",
                                   file=self.path, hint="a .qdpx file is a zip; " + HINT) from None
        except Exception as e:  # zipfile's errors on damaged input have no common base class
            raise InterchangeError(f"cannot open the archive ({e.__class__.__name__}: {e})",
                                   file=self.path, hint="the archive is damaged; " + HINT) from None
        try:
            self._check()
        except BaseException:
            self._zip.close()
            raise

    # ---- checks ------------------------------------------------------------------------------
    def _refuse(self, message: str, hint: str = HINT):
        raise InterchangeError(message, file=self.path, hint=hint)

    def _check(self) -> None:
        infos = self._zip.infolist()
        if len(infos) > self.limits.members:
            self._refuse(f"the archive has {len(infos):,} members, more than the "
                         f"{self.limits.members:,} a project export may hold",
                         "this does not look like a REFI-QDA export")
        total = 0
        self._index: dict[str, zipfile.ZipInfo] = {}
        self.duplicates: list[str] = []
        for info in infos:
            why = unsafe_reason(info.filename)
            if why:
                self._refuse(f"member '{info.filename}' {why}: refused, nothing was read",
                             "the archive is damaged or unsafe; " + HINT)
            if is_link(info):
                self._refuse(f"member '{info.filename}' is a symbolic link: refused, nothing "
                             "was read", "the archive is unsafe; " + HINT)
            if info.flag_bits & 0x1:
                self._refuse(f"member '{info.filename}' is encrypted",
                             "export the project without a password")
            total += max(info.file_size, 0)
            if total > self.limits.total:
                self._refuse(f"the archive unpacks to more than {self.limits.total:,} bytes "
                             "(a zip bomb?): refused", "this does not look like a REFI-QDA export")
            name = _clean_name(info.filename)
            if name.endswith("/"):
                continue
            key = name.casefold()
            if key in self._index:
                self.duplicates.append(name)
                continue
            self._index[key] = info
        self.qde_name, self.folder = self._find_qde()

    def _find_qde(self) -> tuple[str, str]:
        qdes = [i for k, i in self._index.items() if k.endswith(".qde")]
        if not qdes:
            self._refuse("the archive holds no project file (*.qde)",
                         "is this a REFI-QDA project export (.qdpx)? " + HINT)
        root = [i for i in qdes if "/" not in _clean_name(i.filename)]
        if len(root) > 1:
            named = [i for i in root if _clean_name(i.filename).casefold() == "project.qde"]
            if len(named) != 1:
                self._refuse("the archive holds several project files: " +
                             ", ".join(sorted(_clean_name(i.filename) for i in root)),
                             "a REFI-QDA export holds one; " + HINT)
            root = named
        if root:
            return _clean_name(root[0].filename), ""
        if len(qdes) > 1:
            self._refuse("the archive holds several project files in sub-folders: " +
                         ", ".join(sorted(_clean_name(i.filename) for i in qdes)), HINT)
        name = _clean_name(qdes[0].filename)
        return name, name.rsplit("/", 1)[0] + "/"

    # ---- reading -----------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [_clean_name(i.filename) for i in self._index.values()]

    def has(self, name: str) -> bool:
        return name.casefold() in self._index

    def size(self, name: str) -> int:
        return self._index[name.casefold()].file_size

    def read(self, name: str) -> bytes:
        """The member's bytes (``name`` matched case-insensitively), within the limits."""
        info = self._index.get(_clean_name(name).casefold())
        if info is None:
            raise KeyError(name)
        limit = self.limits.member
        if info.file_size > limit:
            self._refuse(f"member '{info.filename}' is {info.file_size:,} bytes, more than the "
                         f"{limit:,} the workbench reads", "split the source into smaller files")
        try:
            with self._zip.open(info) as f:
                data = f.read(limit + 1)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError,
                RuntimeError, OverflowError) as e:
            self._refuse(f"member '{info.filename}' cannot be unpacked "
                         f"({e.__class__.__name__}: {e})", "the archive is damaged; " + HINT)
        except Exception as e:  # zlib/bz2/lzma errors have no common base class
            self._refuse(f"member '{info.filename}' cannot be unpacked "
                         f"({e.__class__.__name__})", "the archive is damaged; " + HINT)
        if len(data) > limit:
            self._refuse(f"member '{info.filename}' unpacks to more than {limit:,} bytes",
                         "the archive is damaged or unsafe")
        self._read += len(data)
        if self._read > self.limits.read_total:
            self._refuse(f"the archive's texts add up to more than {self.limits.read_total:,} "
                         "bytes", "split the project")
        return data

    def project_xml(self) -> bytes:
        return self.read(self.qde_name)

    def resolve(self, ref: str | None) -> str | None:
        """The member a source reference names, or None. Accepts ``internal://x``,
        ``relative:///x``, ``absolute:///…/x`` (its file name only), ``sources/x`` and a bare
        ``x``; folder and file names are matched case-insensitively."""
        if not ref or not ref.strip():
            return None
        ref = _clean_name(ref.strip())
        rest, scheme = ref, ""
        m = re.match(r"^([A-Za-z]+):/+", ref)
        if m:
            scheme, rest = m.group(1).lower(), ref[m.end():]
        candidates = []
        for r in dict.fromkeys([rest, urllib.parse.unquote(rest)]):
            if scheme == "absolute" or unsafe_reason(r):
                candidates.append(posixpath.basename(r))
                continue
            candidates += [self.folder + "sources/" + r, self.folder + r, r]
        for c in candidates:
            if c and self.has(c):
                return self._index[c.casefold()].filename.replace("\\", "/")
        # last resort: a unique member of that file name anywhere in the archive
        base = posixpath.basename(rest).casefold()
        hits = [i for k, i in self._index.items() if posixpath.basename(k) == base]
        return _clean_name(hits[0].filename) if base and len(hits) == 1 else None

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def is_zip(data_or_path) -> bool:
    try:
        return zipfile.is_zipfile(data_or_path)
    except Exception:  # damaged input: not a zip we can read
        return False
