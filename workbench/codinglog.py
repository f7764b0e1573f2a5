"""Append-only coding logs: ``codings/<coder>.jsonl``, one JSON event per line.

Format version 1 (documented in docs/FORMATS.md)::

    {"op": "code", "id": "…", "transcript": "P01", "start": 120, "end": 245,
     "code": "value.joint_rnd", "at": "2026-11-28T10:00:00+00:00",
     "quote": "…", "source": "manual", "memo": "…"}
    {"op": "uncode", "id": "<id of a code event>", "at": …}
    {"op": "done", "transcript": "P01", "at": …}     {"op": "reopen", "transcript": "P01", "at": …}
    {"op": "memo", "id": "…", "transcript": "P01", "target": "<code event id>" | null,
     "start": 120, "end": 245, "text": "…", "at": …}
    {"op": "torn", "line": 17, "at": …}   # written by the workbench: line 17 was cut off by a crash

An event may carry ``"v": 1``; an event without ``v`` is version 1. Every append is flushed and
fsynced before it is reported as saved; the log is never rewritten. A torn last line (a crash in
mid-write) is reported and skipped; the next writer terminates it and appends a ``torn`` event
naming it (both in one fsynced write), so that the log stays readable without rewriting a byte.
Malformed lines at the very end of the file that no ``torn`` event names yet count as torn (a
crash can leave at most the cut-off line and a cut-off ``torn`` event after it). A malformed
line anywhere else is an error naming the file and line. A UTF-8 BOM (left by a text editor)
before the first line is ignored. One process at a time writes a coder's log (a lock in
``.workbench/locks/``).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import hashlib
import json
import mmap
import os
import pickle
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import LockedError, LogError

FORMAT_VERSION = 1
OPS = ("code", "uncode", "done", "reopen", "memo", "torn")
SOURCES = ("manual", "suggestion", "import", "consensus")


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def new_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class Coding:
    """One coded span, as replayed from a coder's log (status filled in by the project)."""

    id: str
    coder: str
    transcript: str
    code: str
    start: int
    end: int
    at: str | None = None
    source: str = "manual"
    quote: str | None = None
    memo: str | None = None
    status: str = "ok"
    segment: int | None = None
    original_code: str | None = None
    settles: dict | None = None
    line: int | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "coder": self.coder, "transcript": self.transcript,
                "code": self.code, "start": self.start, "end": self.end, "quote": self.quote,
                "segment": self.segment, "status": self.status, "source": self.source,
                "memo": self.memo, "at": self.at}


@dataclass
class Memo:
    id: str
    transcript: str | None
    text: str
    target: str | None = None
    start: int | None = None
    end: int | None = None
    at: str | None = None
    code: str | None = None     # a memo on a code (an analytic memo about a theme)


# the fields of a coding as kept by replay (a plain list per coding: cheap to build and to cache)
ROW_FIELDS = ("id", "transcript", "code", "start", "end", "at", "source", "quote", "memo",
              "settles", "line")
_R_MEMO = ROW_FIELDS.index("memo")


class LogState:
    """The current state after replaying a coder's log.

    ``rows`` maps a coding id to a list of :data:`ROW_FIELDS` values — the fast form that bulk
    readers (counts, exports) use; ``codings`` gives the same as :class:`Coding` objects (built on
    first use)."""

    def __init__(self, coder: str, warnings: list[str] | None = None):
        self.coder = coder
        self.rows: dict[str, list] = {}
        self.done: set[str] = set()
        self.memos: list[Memo] = []
        self.warnings: list[str] = list(warnings or [])
        self.n_events = 0
        self.last_transcript: str | None = None
        # the log's content when it was last replayed in full (a digest; see replay): under the
        # same origin, a coding on the same line of the log has the same offsets and quote
        self.origin: str | None = None
        self._codings: dict[str, Coding] | None = None

    @property
    def codings(self) -> dict[str, Coding]:
        if self._codings is None:
            coder = self.coder
            self._codings = {
                cid: Coding(id=r[0], coder=coder, transcript=r[1], code=r[2], start=r[3],
                            end=r[4], at=r[5], source=r[6], quote=r[7], memo=r[8], settles=r[9],
                            line=r[10])
                for cid, r in self.rows.items()}
        return self._codings

    # snapshot (derived state in .workbench/: plain builtins only, see replay) -----------------
    def _dump(self) -> dict:
        return {"rows": self.rows, "done": sorted(self.done), "warnings": self.warnings,
                "memos": [(m.id, m.transcript, m.text, m.target, m.start, m.end, m.at, m.code)
                          for m in self.memos],
                "n_events": self.n_events, "last_transcript": self.last_transcript}

    @classmethod
    def _load(cls, coder: str, d: dict) -> "LogState":
        st = cls(coder, d["warnings"])
        st.rows = d["rows"]
        st.done = set(d["done"])
        st.memos = [Memo(*m) for m in d["memos"]]
        st.n_events = d["n_events"]
        st.last_transcript = d["last_transcript"]
        return st


def _require(ev: dict, keys, path, line):
    for k in keys:
        if k not in ev:
            raise LogError(f"'{ev.get('op')}' event lacks '{k}'", file=path, line=line,
                           hint="fix or remove this line with a text editor (keep a backup)")


def _scan(data: bytes, strip_bom: bool = True, line_base: int = 0):
    """Split a log's bytes into lines and parse them.

    Returns ``(parsed, announced, tail_start)``: ``parsed`` is a list of
    ``(line_no, event_or_None, error_or_None, raw)`` for every line (an empty final piece after
    the last newline is not a line); ``announced`` the line numbers named by ``torn`` events;
    ``tail_start`` the number of the first line of the trailing run of malformed (or blank) lines
    that no ``torn`` event names yet — what a crash can leave behind: a line cut off in mid-write,
    or, when the crash hit while a writer was terminating such a line, that line plus the cut-off
    start of the ``torn`` event that was to name it.

    For a chunk of a log, ``line_base`` is the number of lines before it: line numbers in
    ``parsed`` and ``announced`` are then relative to the chunk.
    """
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()
    if strip_bom and lines and lines[0].startswith(b"\xef\xbb\xbf"):  # a BOM left by an editor
        lines[0] = lines[0][3:]
    parsed = []
    announced: set[int] = set()
    for no, raw in enumerate(lines, start=1):
        if not raw.strip():
            parsed.append((no, None, None, raw))
            continue
        try:
            ev = json.loads(raw.decode("utf-8"))
            if not isinstance(ev, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as e:
            parsed.append((no, None, e, raw))
            continue
        parsed.append((no, ev, None, raw))
        if ev.get("op") == "torn":
            try:
                announced.add(int(ev["line"]) - line_base)
            except (KeyError, TypeError, ValueError):
                pass  # a 'torn' event without a usable line number announces nothing
    tail_start = len(parsed) + 1
    for no, ev, err, raw in reversed(parsed):
        if ev is not None or (err is not None and no in announced):
            break
        tail_start = no
    return parsed, announced, tail_start


def _events_in(data: bytes, path: Path, line_base: int = 0):
    """Events of a chunk of a log (``line_base`` lines precede it). Returns (events, warnings,
    announced line numbers)."""
    parsed, announced, tail_start = _scan(data, strip_bom=line_base == 0, line_base=line_base)
    warnings: list[str] = []
    events: list[tuple[int, dict]] = []
    for no, ev, err, raw in parsed:
        if ev is not None:
            events.append((no + line_base, ev))
        elif err is not None:
            if no in announced:
                continue  # cut off by a crash, terminated and announced by a later writer
            if no >= tail_start:
                warnings.append(f"{path}:{no + line_base}: the last line is incomplete (a crash "
                                "while saving?) and was skipped; earlier lines are intact")
                continue
            raise LogError(f"malformed line ({err})", file=path, line=no + line_base,
                           hint="fix or remove this line with a text editor (keep a backup)")
    return events, warnings, {a + line_base for a in announced}


def read_events(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """Read all events with their line numbers. Returns (events, warnings)."""
    data = _read(path)
    events, warnings, _ = _events_in(data, path)
    return events, warnings


def _read(path: Path, mapped: bool = False) -> bytes:
    """The log's bytes (see :func:`_read_log`)."""
    return _read_log(path, mapped)[0]


def _read_log(path: Path, mapped: bool = False):
    """The log's bytes and its ``os.stat_result`` taken before reading (None: no log).
    ``mapped``: a large log as a read-only memory map instead (it slices like bytes; a replay
    from a snapshot then reads only the first and last 64 KiB and what was appended, not the
    whole file). The caller closes it."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if mapped and st.st_size >= 4 * _EDGE:
                try:
                    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), st
                except (OSError, ValueError):
                    pass  # no memory map here: read it
            return f.read(), st
    except FileNotFoundError:
        return b"", None
    except IsADirectoryError:
        raise LogError("a coding log must be a file, this is a folder", file=path) from None


def _intern(value):
    return sys.intern(value) if value.__class__ is str else value


def _apply(st: LogState, events, path: Path) -> None:
    rows = st.rows
    for no, ev in events:
        v = ev.get("v", 1)
        if v.__class__ is not int or v < 1:
            raise LogError(f"event format version {v!r} is not a version number (1, 2, …)",
                           file=path, line=no,
                           hint="fix or remove this line with a text editor (keep a backup)")
        if v > FORMAT_VERSION:
            raise LogError(f"event format version {v} is newer than this workbench understands "
                           f"(it reads version {FORMAT_VERSION})",
                           file=path, line=no, hint="upgrade workbench")
        op = ev.get("op")
        st.n_events += 1
        if op == "code":
            _require(ev, ("id", "transcript", "start", "end", "code"), path, no)
            try:
                start, end = int(ev["start"]), int(ev["end"])
            except (TypeError, ValueError):
                raise LogError("'start'/'end' must be whole numbers", file=path, line=no) from None
            # transcript, code and source repeat across codings: one shared string each keeps
            # the rows (and their snapshot) smaller and faster to load
            cid, tid = str(ev["id"]), _intern(str(ev["transcript"]))
            rows[cid] = [cid, tid, _intern(str(ev["code"])), start, end, ev.get("at"),
                         _intern(ev.get("source") or "manual"), ev.get("quote"), ev.get("memo"),
                         ev.get("settles"), no]
            st.last_transcript = tid
        elif op == "uncode":
            _require(ev, ("id",), path, no)
            if rows.pop(str(ev["id"]), None) is None:
                st.warnings.append(f"{path}:{no}: 'uncode' of an unknown coding {ev['id']}")
        elif op in ("done", "reopen"):
            _require(ev, ("transcript",), path, no)
            (st.done.add if op == "done" else st.done.discard)(str(ev["transcript"]))
        elif op == "memo":
            _require(ev, ("text",), path, no)
            memo = Memo(id=str(ev.get("id") or f"line{no}"), transcript=ev.get("transcript"),
                        text=str(ev["text"]), target=ev.get("target"), start=ev.get("start"),
                        end=ev.get("end"), at=ev.get("at"),
                        code=str(ev["code"]) if ev.get("code") is not None else None)
            st.memos.append(memo)
            if memo.target and memo.target in rows:
                rows[memo.target][_R_MEMO] = memo.text or None
        elif op == "torn":
            continue
        else:
            st.warnings.append(f"{path}:{no}: unknown event '{op}' skipped")
    st._codings = None


# ---- snapshots: replay only what was appended since the last time ------------------------------
# 2: repeated strings shared; 3: the log's stat, a digest of all of it and the origin (older
# snapshots are replayed again once)
_SNAP_VERSION = 4
_EDGE = 65536
_RACY_NS = 2_000_000_000   # a file changed this close to a snapshot may keep its mtime


def _digest(b) -> str:
    return hashlib.blake2b(b, digest_size=16).hexdigest()


def _digest_prefix(data, size: int) -> str:
    """:func:`_digest` of ``data[:size]`` without copying it (``data`` may be a memory map)."""
    with memoryview(data) as view, view[:size] as part:
        return _digest(part)


def _stat_key(st) -> list | None:
    return None if st is None else [st.st_size, st.st_mtime_ns, st.st_ino]


_gc_lock = threading.Lock()
_gc_pauses = 0          # paused_gc blocks open, in any thread
_gc_was_enabled = False  # whether the first of them found the collector enabled


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while building many small containers at once (a
    snapshot's rows, a cache's dicts): they hold no cycles, and without the pause every
    collection in between traverses all of them again (it makes loading ~3x slower).

    Nested and concurrent pauses (the TUI loads in worker threads) share one count: the
    collector is enabled again when the last one ends, if it was enabled before the first,
    whatever the order they end in and whether they end by an exception."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                if not gc.get_freeze_count():
                    # what was built is meant to last: file it with the oldest generation at
                    # once (documented freeze/unfreeze semantics) rather than have the next
                    # collection of the young generation traverse all of it; skipped when the
                    # application froze objects of its own
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()


class _BuiltinsOnly(pickle.Unpickler):
    """Snapshots hold only dicts, lists, strings and numbers: refuse anything else, so that a
    planted file can never run code."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a snapshot")


def _snapshot_path(cache_dir: Path, coder: str) -> Path:
    return Path(cache_dir) / f"replay-{coder}.pickle"


def _load_snapshot(cache_dir: Path, coder: str, data: bytes, stat):
    """The snapshot when ``data`` (the log, ``stat`` its stat) starts with the bytes it was
    taken of, else None; and whether that was proven by the digest of all of them (the log
    changed since: its size, mtime or inode differ, or its mtime was too close to the snapshot
    to tell). With the same stat, the digests of the first and last 64 KiB suffice."""
    try:
        with open(_snapshot_path(cache_dir, coder), "rb") as f, paused_gc():
            snap = _BuiltinsOnly(f).load()
        size = snap["size"]
        if (snap.get("v") != _SNAP_VERSION or size > len(data)
                or snap["head"] != _digest(data[:min(size, _EDGE)])
                or snap["tail"] != _digest(data[max(0, size - _EDGE):size])):
            return None
        key = _stat_key(stat)
        if (key is not None and key == snap["stat"] and key[0] == size == len(data)
                and key[1] + _RACY_NS < snap["checked_ns"]):
            return snap, False
        # changed in place (an edit, a git merge, a rewrite to the same size) or appended to
        if snap["digest"] != _digest_prefix(data, size):
            return None
        return snap, True
    except (OSError, EOFError, KeyError, TypeError, pickle.UnpicklingError, ValueError,
            AttributeError, IndexError):
        return None


def _save_snapshot(cache_dir: Path, coder: str, data: bytes, lines: int, st: LogState,
                   stat, checked_ns: int, digest: str) -> None:
    snap = {"v": _SNAP_VERSION, "size": len(data), "lines": lines, "stat": _stat_key(stat),
            "checked_ns": checked_ns, "digest": digest, "origin": st.origin,
            "head": _digest(data[:_EDGE]), "tail": _digest(data[-_EDGE:]), "state": st._dump()}
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        path = _snapshot_path(cache_dir, coder)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(snap, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only project still works, only slower next time


def replay(path: Path, coder: str | None = None, cache_dir: Path | None = None) -> LogState:
    """Replay a log file into its current state.

    With ``cache_dir`` (the project's ``.workbench/cache``), the replayed state is kept as a
    snapshot with the log's size and digests of its first and last 64 KiB; next time only the
    lines appended since are replayed. A log that changed otherwise (e.g. a git merge) is
    replayed in full. The snapshot is derived state: deleting it changes nothing.

    The state's ``origin`` names the log's content at its last full replay: it stays the same
    while the log only grows, so that what was derived from its codings stays valid."""
    path = Path(path)
    coder = coder or path.stem
    checked = time.time_ns()
    data, stat = _read_log(path, mapped=cache_dir is not None)
    try:
        found = _load_snapshot(cache_dir, coder, data, stat) if cache_dir and data else None
        snap, verified = found if found is not None else (None, False)
        digest = None
        if snap is not None:
            try:
                st = LogState._load(coder, snap["state"])
                st.origin = snap["origin"]
                start, line_base = int(snap["size"]), int(snap["lines"])
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                snap, verified = None, False  # a damaged snapshot: derived state, replay in full
        if snap is None:
            st, start, line_base = LogState(coder), 0, 0
            st.origin = digest = _digest(data)
        events, warnings, announced = _events_in(data[start:], path, line_base)
        if snap is not None and any(a <= line_base for a in announced):
            return replay(path, coder)  # a torn event names an older line: start over
        st.warnings.extend(warnings)
        _apply(st, events, path)
        # saved again after a check of the whole log too: the next one needs only the edges
        if (cache_dir and data and (events or snap is None or verified)
                and data[-1:] == b"\n" and not warnings):
            if digest is None:
                digest = _digest(data)
            _save_snapshot(cache_dir, coder, data, line_base + data[start:].count(b"\n"), st,
                           stat, checked, digest)
        return st
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


class CodingLog:
    """A coder's log opened for appending. Holds the coder's lock while open.

    Use as a context manager, or call :meth:`close`. ``append`` returns the event as written
    (with ``id``/``at``/``v`` filled in) only after it is flushed and fsynced.
    """

    def __init__(self, path: str | Path, lock_dir: str | Path | None = None, *,
                 timeout: float = 0.0):
        self.path = Path(path)
        self.coder = self.path.stem
        lock_dir = Path(lock_dir) if lock_dir else self.path.parent / ".locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(lock_dir / f"{self.coder}.lock"))
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout:
            raise LockedError(f"the coding log of '{self.coder}' is open in another workbench "
                              "window or process", file=self.path,
                              hint="close the other workbench, or use another --coder name") from None
        self._fh = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")
            self._repair_torn_tail()
        except BaseException:
            self.close()
            raise

    def _repair_torn_tail(self) -> None:
        """Terminate a line cut off by a crash and announce it with a ``torn`` event, in one
        fsynced write. Nothing already in the file is rewritten."""
        if self._tail_is_intact():
            return
        data = self.path.read_bytes()
        if not data:
            return
        parsed, announced, tail_start = _scan(data)
        torn = [no for no, ev, err, raw in parsed
                if err is not None and no >= tail_start and no not in announced]
        out = b"" if data.endswith(b"\n") else b"\n"
        for no in torn:
            out += self._format({"op": "torn", "line": no})
        if out:
            self._write_raw(out)

    def _tail_is_intact(self) -> bool:
        """True when the log is empty or ends with a complete, valid line: then there is no torn
        tail and opening needs no full scan (a large log opens in milliseconds)."""
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
            return isinstance(json.loads(lines[-1].decode("utf-8")), dict)
        except (ValueError, UnicodeDecodeError):
            return False

    def _write_raw(self, data: bytes) -> None:
        self._fh.write(data)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    @staticmethod
    def _format(event: dict) -> bytes:
        ev = {"v": FORMAT_VERSION, **event}
        if ev["op"] in ("code", "memo") and not ev.get("id"):
            ev["id"] = new_id()
        ev.setdefault("at", now_iso())
        return (json.dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")

    def append(self, event: dict) -> dict:
        if self._fh is None:
            raise LogError("the log is closed", file=self.path)
        op = event.get("op")
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}")
        ev = {"v": FORMAT_VERSION, **event}
        if op in ("code", "memo") and not ev.get("id"):
            ev["id"] = new_id()
        ev.setdefault("at", now_iso())
        self._write_raw(self._format(ev))
        return ev

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
             start: int | None = None, end: int | None = None, code: str | None = None) -> dict:
        ev = {"op": "memo", "transcript": transcript, "target": target, "text": text}
        if code is not None:
            ev["code"] = code
        if start is not None:
            ev.update(start=int(start), end=int(end))
        return self.append(ev)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._lock.is_locked:
            self._lock.release()

    def __enter__(self) -> "CodingLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
