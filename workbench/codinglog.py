"""Append-only coding logs: ``codings/<coder>.jsonl``, one JSON event per line.

Format version 1 (documented in docs/FORMATS.md)::

    {"op": "code", "id": "…", "transcript": "P01", "start": 120, "end": 245,
     "code": "value.joint_rnd", "at": "2026-11-28T10:00:00+00:00",
     "quote": "…", "prefix": "…", "suffix": "…", "transcript_crc": 123456, "source": "manual"}
    {"op": "uncode", "id": "<id of a code event>", "at": …}
    {"op": "done", "transcript": "P01", "at": …}     {"op": "reopen", "transcript": "P01", "at": …}
    {"op": "memo", "id": "…", "transcript": "P01", "target": "<code event id>" | null,
     "start": 120, "end": 245, "code": null, "text": "…", "at": …}
    {"op": "torn", "line": 17, "at": …}   # written by the workbench: line 17 was cut off by a crash

An event may carry ``"v": 1``; an event without ``v`` is version 1. Every append is flushed and
fsynced before it is reported as saved; the log is never rewritten. A torn last line (a crash in
mid-write) is reported and skipped; the next writer terminates it and appends a ``torn`` event
naming it (both in one fsynced write). Malformed lines at the very end of the file that no
``torn`` event names yet count as torn; a malformed line anywhere else is an error naming the
file and line. A UTF-8 BOM before the first line is ignored.

One process at a time writes a coder's log: the writer holds an exclusive lock on the log file
itself (deleting ``.workbench/`` cannot remove it). The file is created by the first event, so
opening a session writes nothing.

:mod:`workbench.replay` reads the logs: :func:`replay` turns a log into a :class:`LogState` (the
codings as logged, done marks, memos); it is importable from here too.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from .errors import LockedError, LogError
from .replay import FORMAT_VERSION, scan_lines

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks on the log itself
    fcntl = None  # type: ignore[assignment]

OPS = ("code", "uncode", "done", "reopen", "memo", "torn")
SOURCES = ("manual", "suggestion", "import", "consensus")


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def new_id() -> str:
    return uuid.uuid4().hex[:16]


# ---- writing ---------------------------------------------------------------------------------
class CodingLog:
    """A coder's log opened for appending: holds an exclusive lock on the log file while open.

    Use as a context manager, or call :meth:`close`. ``append`` returns the event as written
    (with ``id``/``at``/``v`` filled in) only after it is flushed and fsynced. The file is
    created by the first append; until then nothing is written (and the lock is taken then)."""

    def __init__(self, path: str | Path, lock_dir: str | Path | None = None, *,
                 timeout: float = 0.0):
        self.path = Path(path)
        self.coder = self.path.stem
        self.timeout = timeout
        self._fh: BinaryIO | None = None
        self._guard: BinaryIO | None = None
        self._closed = False
        if self.path.is_symlink():
            raise LogError("a coding log may not be a symbolic link", file=self.path,
                           hint="replace the link by the log file itself")
        if self.path.exists():
            self._open()
        else:
            # no log yet (it is created by the first event): hold the coder's lock file in
            # codings/ meanwhile, so that a second writer is refused now, not at its first event
            self.path.parent.mkdir(parents=True, exist_ok=True)
            guard_path = self.path.parent / f".{self.coder}.lock"
            fd = os.open(guard_path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
            guard = os.fdopen(fd, "ab")
            try:
                self._lock(guard)
            except BaseException:
                guard.close()
                raise
            self._guard = guard
            if self.path.exists():   # created by another writer in between
                self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o666)
        except IsADirectoryError:
            raise LogError("a coding log must be a file, this is a folder",
                           file=self.path) from None
        except OSError as e:
            if getattr(os, "O_NOFOLLOW", 0) and self.path.is_symlink():
                raise LogError("a coding log may not be a symbolic link", file=self.path,
                               hint="replace the link by the log file itself") from None
            raise e
        fh = os.fdopen(fd, "ab")
        try:
            self._lock(fh)
            self._fh = fh
            self._repair_torn_tail()
        except BaseException:
            fh.close()
            self._fh = None
            raise

    def _lock(self, fh) -> None:
        if fcntl is None:
            return
        import time
        deadline = time.monotonic() + max(self.timeout, 0.0)
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"the coding log of '{self.coder}' is open in another workbench window "
                        "or process", file=self.path,
                        hint="close the other workbench, or use another --coder name") from None
                time.sleep(0.05)

    def _repair_torn_tail(self) -> None:
        """Terminate a line cut off by a crash and announce it with a ``torn`` event, in one
        fsynced write. Nothing already in the file is rewritten."""
        if self._tail_is_intact():
            return
        data = self.path.read_bytes()
        parsed, announced, tail_start = scan_lines(data)
        torn = [no for no, ev, err in parsed
                if err is not None and no >= tail_start and no not in announced]
        out = b"" if data.endswith(b"\n") else b"\n"
        for no in torn:
            out += self._format({"op": "torn", "line": no})
        if out:
            self._write_raw(out)

    def _tail_is_intact(self) -> bool:
        """True when the log is empty or ends with a complete, valid line (no full scan)."""
        size = self.path.stat().st_size
        if size == 0:
            return True
        with open(self.path, "rb") as f:
            f.seek(max(0, size - 65536))
            tail = f.read()
        if not tail.endswith(b"\n"):
            return False
        lines = tail[:-1].split(b"\n")
        if len(lines) < 2 and size > len(tail):
            return False  # the last line is longer than the chunk: let the full scan decide
        try:
            return isinstance(json.loads(lines[-1]), dict)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return False

    def _write_raw(self, data: bytes) -> None:
        if self._fh is None:
            if self._closed:
                raise LogError("the log is closed", file=self.path)
            self._open()
        fh = self._fh
        if fh is None:   # opened by _open above
            raise LogError("the log could not be opened", file=self.path)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())

    @staticmethod
    def _format(event: dict) -> bytes:
        ev = {"v": FORMAT_VERSION, **event}
        if ev["op"] in ("code", "memo") and not ev.get("id"):
            ev["id"] = new_id()
        ev.setdefault("at", now_iso())
        return (json.dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")

    def append(self, event: dict) -> dict:
        """Write one event (flushed and fsynced before it returns) and return it as written."""
        return self.extend([event])[0]

    def extend(self, events: list[dict]) -> list[dict]:
        """Write several events in one write and one fsync (an import of thousands of codings),
        and return them as written. All or nothing: a crash leaves at most a torn last line,
        which the next writer terminates and reports."""
        if self._closed:
            raise LogError("the log is closed", file=self.path)
        out: list[dict] = []
        for event in events:
            op = event.get("op")
            if op not in OPS:
                raise ValueError(f"unknown op {op!r}")
            ev: dict[str, Any] = {"v": FORMAT_VERSION, **event}
            if op in ("code", "memo") and not ev.get("id"):
                ev["id"] = new_id()
            ev.setdefault("at", now_iso())
            out.append(ev)
        if out:
            self._write_raw(b"".join(self._format(ev) for ev in out))
        return out

    # convenience writers -------------------------------------------------------------------
    def code(self, transcript: str, start: int, end: int, code: str, *, quote: str | None = None,
             source: str = "manual", **more) -> dict:
        ev = {"op": "code", "transcript": transcript, "start": int(start), "end": int(end),
              "code": code, "source": source}
        if quote is not None:
            ev["quote"] = quote
        ev.update({k: v for k, v in more.items() if v is not None})
        return self.append(ev)

    def uncode(self, coding_id: str, **more) -> dict:
        return self.append({"op": "uncode", "id": coding_id, **more})

    def done(self, transcript: str) -> dict:
        return self.append({"op": "done", "transcript": transcript})

    def reopen(self, transcript: str) -> dict:
        return self.append({"op": "reopen", "transcript": transcript})

    def memo(self, text: str, *, transcript: str | None = None, target: str | None = None,
             start: int | None = None, end: int | None = None, code: str | None = None,
             **anchor: Any) -> dict:
        """A memo event; on a span, ``anchor`` holds what :meth:`Project.coding_fields` gives
        (quote, prefix, suffix, transcript_crc), recorded as a code event records them."""
        ev: dict[str, Any] = {"op": "memo", "transcript": transcript, "target": target,
                              "text": text}
        if start is not None and end is not None:
            ev.update(start=int(start), end=int(end))
            ev.update({k: v for k, v in anchor.items()
                       if k in ("quote", "prefix", "suffix", "transcript_crc") and v is not None})
        if code is not None:
            ev["code"] = code
        return self.append(ev)

    def close(self) -> None:
        self._closed = True
        for name in ("_fh", "_guard"):
            fh = getattr(self, name)
            if fh is not None:
                fh.close()   # closing the file releases its lock
                setattr(self, name, None)

    def __enter__(self) -> CodingLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
