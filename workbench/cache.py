"""Derived state in ``.workbench/``: the one cache module, with one validity rule.

**The rule.** A cached result records the *fingerprint* — size and modification time in
nanoseconds — of every file it was computed from, and is used only while each of those files
still has that fingerprint. A file modified within the last :data:`SETTLE_NS` (2 s) has no
fingerprint yet (a coarse file-system clock may not tick between two quick edits), so nothing
derived from it is cached until it settles. A cache file carries a CRC-32 of its own content and
is ignored when it does not match (damaged, truncated or hand-edited): caches are rebuilt, never
trusted. Deleting ``.workbench/`` loses no work.

Two caches use it: the transcript catalog (:mod:`workbench.catalog`, one entry per transcript
file) and the replay snapshots of the coding logs (:mod:`workbench.codinglog`). A snapshot also
serves a log that only *grew* since: it stands for the first bytes of the log, identified by
their digest, and only the appended lines are replayed.

**Paths.** A cache holds no path of the project folder: the folder may be moved, renamed or
opened through another mount, and its caches stay valid (a fingerprint is size and time). Text
about a file — a warning ``path:line: …`` — is kept with a placeholder for the file's path
(:func:`path_free`) and read back with the path the file has now (:func:`with_path`), so that
what a cache gives is what computing it again gives.

A cache file is one header line (JSON: kind, version, length and CRC-32 of the payload) and a
JSON payload. JSON, not pickle: a planted cache file can never run code.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import gc
import json
import os
import sys
import threading
import time
import zlib
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .fileio import atomic_file, atomic_write

SETTLE_NS = 2_000_000_000
_DECODER = json.JSONDecoder()
_HEAD_WIDTH = 200   # bytes of the header line written by CacheFile.save_stream (JSON + spaces)


@contextlib.contextmanager
def gc_paused(settle: bool = False) -> Iterator[None]:
    """Pause Python's cycle collector while derived state is built in bulk (a catalog, a
    replayed log, a coder's current codings: many objects, no cycles among them): otherwise its
    passes over the growing heap cost as much as the building.

    ``settle``: when done, move what was built to the collector's oldest generation, where its
    young passes would move it after traversing each object once or twice (0.1 s for 200,000
    codings): ``gc.freeze()`` then ``gc.unfreeze()`` moves them without a traversal. Not done
    when objects are frozen already (the app freezes its loaded state: unfreezing would release
    those too), nor off the main thread (the app could freeze its state in between)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
        if settle and gc.get_freeze_count() == 0 \
                and threading.current_thread() is threading.main_thread():
            gc.freeze()
            gc.unfreeze()
    finally:
        if was:
            gc.enable()


def fingerprint(st: os.stat_result | None, now_ns: int | None = None) -> list[int] | None:
    """``[size, mtime_ns]`` of a file's stat, or None when there is no file or it was modified
    too recently to be told apart from a next edit (see the module docstring)."""
    if st is None:
        return None
    now = time.time_ns() if now_ns is None else now_ns
    if st.st_mtime_ns > now - SETTLE_NS:
        return None
    return [st.st_size, st.st_mtime_ns]


def file_fingerprint(path: Path, now_ns: int | None = None) -> list[int] | None:
    try:
        return fingerprint(os.stat(path), now_ns)
    except OSError:
        return None


class CacheFile:
    """One cache file under ``.workbench/``: ``load()`` gives its payload or None (missing,
    another kind or version, damaged); ``save(payload)`` replaces it atomically, quietly doing
    nothing where the project cannot be written (a read-only project works, only slower)."""

    def __init__(self, path: Path, kind: str, version: int | str):
        self.path = Path(path)
        self.kind = kind
        self.version = version

    def load(self) -> Any | None:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return None
        cut = raw.find(b"\n") + 1
        try:
            meta = json.loads(raw[:cut])
            body = memoryview(raw)[cut:]
            if (not cut or not raw[:cut].isascii() or not isinstance(meta, dict) or meta.get("kind") != self.kind
                    or meta.get("version") != self.version or meta.get("length") != len(body)
                    or meta.get("crc") != zlib.crc32(body)):
                return None
            # the payload parsed where it lies in the file's text (no copy of it)
            text = raw.decode("utf-8")
            value, end = _DECODER.raw_decode(text, cut)
            if text[end:].strip(" \t\n\r"):
                return None
            return value
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None

    def save(self, payload: Any) -> None:
        body = json_bytes(payload)
        head = json.dumps({"kind": self.kind, "version": self.version, "length": len(body),
                           "crc": zlib.crc32(body)}).encode("ascii")
        try:
            atomic_write(self.path, head + b"\n" + body)
        except OSError:
            pass  # derived state: a read-only project rebuilds it next time

    def save_stream(self, chunks: Iterable[bytes]) -> None:
        """:meth:`save` for a large payload given as the bytes of its JSON in pieces: written
        as they come (the header, which holds the length and CRC-32 of them all, is written
        last over a blank one of fixed width), so that the whole payload is never in memory."""
        try:
            with atomic_file(self.path) as f:
                f.write(b" " * _HEAD_WIDTH + b"\n")
                crc = length = 0
                for chunk in chunks:
                    crc = zlib.crc32(chunk, crc)
                    length += len(chunk)
                    f.write(chunk)
                head = json.dumps({"kind": self.kind, "version": self.version,
                                   "length": length, "crc": crc}).encode("ascii")
                f.seek(0)
                f.write(head.ljust(_HEAD_WIDTH))
        except OSError:
            pass  # derived state: a read-only project rebuilds it next time

    def remove(self) -> None:
        try:
            self.path.unlink()
        except OSError:
            pass  # nothing to remove


# ---- texts that name a file ---------------------------------------------------------------------
_HERE = "\0"    # at the start of a cached text: the path of the file it is about (no path has it)


def path_free(texts: list[str], path: str | os.PathLike) -> list[str]:
    """``texts`` as a cache keeps them: a text beginning with ``path:`` (a warning about a line
    of that file) begins with a placeholder instead, ``\\0:``; one that begins with ``\\0``
    otherwise gets another in front (see :func:`with_path`)."""
    head = f"{os.fspath(path)}:"
    n = len(head) - 1
    return [_HERE + t[n:] if t.startswith(head) else _HERE + t if t.startswith(_HERE) else t
            for t in texts]


def with_path(texts: Iterable, path: str | os.PathLike) -> list[str]:
    """Texts a cache kept with :func:`path_free`, naming ``path`` (where the file is now) again;
    TypeError when one is not text."""
    p = os.fspath(path)
    out = []
    for t in texts:
        if t.__class__ is not str:
            raise TypeError("a cached text is not text")
        out.append(t if not t.startswith(_HERE) else p + t[1:] if t[1:2] == ":" else t[1:])
    return out


# ---- numbers in a JSON cache ---------------------------------------------------------------------
# whole numbers are kept as base64 of little-endian machine integers ("B" 1 byte, "I" and "i" 4,
# "q" 8): a few bytes each instead of a JSON number, and read back without parsing each one
_SIZES = {"B": 1, "I": 4, "i": 4, "q": 8}
_SWAP = sys.byteorder != "little"


def pack_ints(a: array) -> str:
    """An array of whole numbers as base64 text (see :func:`unpack_ints`)."""
    if _SWAP and a.itemsize > 1:
        a = array(a.typecode, a)
        a.byteswap()
    return base64.b64encode(a.tobytes()).decode("ascii")


def unpack_ints(code: str, text: str, cls: type[array] = array) -> array:
    """The array :func:`pack_ints` wrote (``code``: its type code); ValueError/KeyError/
    TypeError when the text is not one."""
    a = cls(code)
    if _SIZES[code] != a.itemsize:
        raise ValueError("integers of an unusual size on this platform")
    a.frombytes(binascii.a2b_base64(text, strict_mode=True))
    if _SWAP and a.itemsize > 1:
        a.byteswap()
    return a


# ---- JSON written in pieces (CacheFile.save_stream) ----------------------------------------------
_PIECE = 20_000        # items of a list written at a time


_CODE_DIGESTS: dict[tuple[str, ...], str] = {}


def code_digest(*modules: str) -> str:
    """A digest of the workbench's version and of the source of ``modules`` (dotted names; a
    package counts with all its files), for a cache whose content depends on how that code
    computes it: an upgrade that changes the code then ignores what the old code cached.
    Computed once per process."""
    key = tuple(modules)
    if key not in _CODE_DIGESTS:
        import importlib.util

        from . import __version__
        crc = zlib.crc32(__version__.encode())
        for name in modules:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec else None
            if not origin:
                continue
            files = sorted(Path(origin).parent.glob("*.py")) if spec is not None and \
                spec.submodule_search_locations else [Path(origin)]
            for f in files:
                try:
                    crc = zlib.crc32(f.read_bytes(), crc)
                except OSError:
                    pass
        _CODE_DIGESTS[key] = f"{crc:08x}"
    return _CODE_DIGESTS[key]


def json_bytes(value) -> bytes:
    """``value`` as compact JSON in UTF-8 (escaped where a string holds a lone surrogate, which
    UTF-8 cannot encode: a \\ud800 escape in a log line gives one)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def json_list_pieces(values: list) -> Iterator[bytes]:
    """The JSON of a list, in pieces of :data:`_PIECE` items (the bytes of
    :func:`json_bytes` of the list)."""
    yield b"["
    for k in range(0, len(values), _PIECE):
        yield (b"," if k else b"") + _items_json(values[k:k + _PIECE])
    yield b"]"


def _items_json(items: list) -> bytes:
    """``json_bytes(items)`` without its brackets. Strings of printable ASCII without ``"`` or
    ``\\`` are their own JSON between quotes: a list of only such strings (the quotes of a
    log in English) is joined as it is, about three times faster than the encoder."""
    try:
        body = '","'.join(items)
    except TypeError:       # not all strings
        body = None
    if body is not None and body.isascii():
        raw = body.encode("ascii")
        if not raw.translate(None, _PLAIN) and raw.count(b'"') == 2 * (len(items) - 1):
            return b'"' + raw + b'"'
    return json_bytes(items)[1:-1]


_PLAIN = bytes(b for b in range(0x20, 0x7F) if b != ord("\\"))   # JSON as they are (and '"')
