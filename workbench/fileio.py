"""Writing files safely: the one atomic writer every file the workbench writes goes through.

:func:`atomic_write` writes a new file's bytes to a temporary file in the same folder, fsyncs it,
renames it over the target and fsyncs the folder, so that a reader (or a crash) sees either the
old file or the new one, never a half-written file. The new file gets the mode a plainly created
file would get under the process's umask (``0o666 & ~umask``), not ``mkstemp``'s private 0600.
The coding logs are the exception: they are only ever appended to (:mod:`workbench.codinglog`).

:func:`inside` refuses a path that leaves its folder (``..``, absolute parts, or a symbolic
link pointing outside): used wherever a name that comes from data (an attribute, a transcript id,
a coder name) or a link in a shared project folder could otherwise write or read elsewhere.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .errors import UsageError


def umask_mode() -> int:
    """The mode a new file gets from ``open()`` under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (a no-op where folders cannot be
    opened, e.g. on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder: the rename is still atomic
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "wb", **open_kw) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path``
    (fsync, rename, fsync of the folder). On an exception the temporary file is removed and
    ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp: str | None = tmp_name
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, umask_mode())
        with os.fdopen(fd, mode, **open_kw) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        tmp = None
        fsync_folder(path.parent)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def remove_stale_temps(folder: Path, older_than_s: float = 3600.0) -> list[Path]:
    """Remove the temporary files (``.<name>.<random>.tmp``) that a writer killed before its
    rename left in ``folder``, once they are older than ``older_than_s`` (a younger one may
    belong to a write still running); returns what was removed."""
    import time
    removed = []
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(".") and entry.name.endswith(".tmp") \
                    and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    if now - entry.stat(follow_symlinks=False).st_mtime > older_than_s:
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
    return removed


def atomic_write(path: Path, data: bytes | str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` atomically (see the module docstring)."""
    raw = data.encode(encoding) if isinstance(data, str) else data
    with atomic_file(path, "wb") as f:
        f.write(raw)


def atomic_write_with(path: Path, write: Callable[[Path], None]) -> None:
    """Let ``write(tmp_path)`` create the file (for libraries that want a path, such as a
    spreadsheet writer), then move it into place as :func:`atomic_write` does."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                    suffix=path.suffix + ".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    done = False
    try:
        write(tmp)
        os.chmod(tmp, umask_mode())
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        done = True
        fsync_folder(path.parent)
    finally:
        if not done:
            with contextlib.suppress(OSError):
                tmp.unlink()


def folder_mode() -> int:
    """The mode a new folder gets from ``mkdir()`` under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


@contextlib.contextmanager
def atomic_folder(path: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path`` to fill (with :func:`atomic_write` and
    friends); on success it becomes ``path`` (an existing ``path`` is replaced only with
    ``replace``), on an exception it is removed and ``path`` is untouched. Folders created for
    ``path``'s parents are removed again when they stay empty after a failure."""
    import shutil
    path = Path(path)
    made = []
    parent = path.parent
    while not parent.exists():
        made.append(parent)          # innermost first
        parent = parent.parent
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    pending = True
    old: Path | None = None
    try:
        yield work
        os.chmod(work, folder_mode())
        if path.exists() or path.is_symlink():
            if not replace:
                raise UsageError("already exists", file=path,
                                 hint="add --force to replace it, or choose another name")
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.replace(path, old / "x")
        os.replace(work, path)
        pending = False
        fsync_folder(path.parent)
    except BaseException:
        if old is not None and not path.exists():
            os.replace(old / "x", path)      # put the old one back
        raise
    finally:
        if pending:
            shutil.rmtree(work, ignore_errors=True)
            for folder in made:
                with contextlib.suppress(OSError):
                    folder.rmdir()
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def inside(folder: Path, name: str | os.PathLike, *, what: str = "file name") -> Path:
    """``folder / name`` when it stays inside ``folder`` (after resolving ``..`` and symbolic
    links), else a :class:`UsageError` naming it."""
    folder = Path(folder)
    candidate = folder / name
    base = folder.resolve()
    try:
        candidate.resolve().relative_to(base)
    except ValueError:
        raise UsageError(f"the {what} '{name}' would lead outside {folder}",
                         hint="rename it: use letters, digits, spaces, '-', '_' or '.'") from None
    return candidate
