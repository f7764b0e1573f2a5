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

import datetime as _dt
import json
import os
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


@dataclass
class LogState:
    """The current state after replaying a coder's log."""

    coder: str
    codings: dict[str, Coding] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    memos: list[Memo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n_events: int = 0
    last_transcript: str | None = None


def _require(ev: dict, keys, path, line):
    for k in keys:
        if k not in ev:
            raise LogError(f"'{ev.get('op')}' event lacks '{k}'", file=path, line=line,
                           hint="fix or remove this line with a text editor (keep a backup)")


def _scan(data: bytes):
    """Split a log's bytes into lines and parse them.

    Returns ``(parsed, announced, tail_start)``: ``parsed`` is a list of
    ``(line_no, event_or_None, error_or_None, raw)`` for every line (an empty final piece after
    the last newline is not a line); ``announced`` the line numbers named by ``torn`` events;
    ``tail_start`` the number of the first line of the trailing run of malformed (or blank) lines
    that no ``torn`` event names yet — what a crash can leave behind: a line cut off in mid-write,
    or, when the crash hit while a writer was terminating such a line, that line plus the cut-off
    start of the ``torn`` event that was to name it.
    """
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):  # a BOM left by a text editor
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
                announced.add(int(ev["line"]))
            except (KeyError, TypeError, ValueError):
                pass  # a 'torn' event without a usable line number announces nothing
    tail_start = len(parsed) + 1
    for no, ev, err, raw in reversed(parsed):
        if ev is not None or (err is not None and no in announced):
            break
        tail_start = no
    return parsed, announced, tail_start


def read_events(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """Read all events with their line numbers. Returns (events, warnings)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except IsADirectoryError:
        raise LogError("a coding log must be a file, this is a folder", file=path) from None
    warnings: list[str] = []
    parsed, announced, tail_start = _scan(data)
    events: list[tuple[int, dict]] = []
    for no, ev, err, raw in parsed:
        if ev is not None:
            events.append((no, ev))
        elif err is not None:
            if no in announced:
                continue  # cut off by a crash, terminated and announced by a later writer
            if no >= tail_start:
                warnings.append(f"{path}:{no}: the last line is incomplete (a crash while "
                                "saving?) and was skipped; earlier lines are intact")
                continue
            raise LogError(f"malformed line ({err})", file=path, line=no,
                           hint="fix or remove this line with a text editor (keep a backup)")
    return events, warnings


def replay(path: Path, coder: str | None = None) -> LogState:
    """Replay a log file into its current state."""
    path = Path(path)
    coder = coder or path.stem
    events, warnings = read_events(path)
    st = LogState(coder=coder, warnings=warnings)
    for no, ev in events:
        v = ev.get("v", 1)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
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
            st.codings[str(ev["id"])] = Coding(
                id=str(ev["id"]), coder=coder, transcript=str(ev["transcript"]),
                code=str(ev["code"]), start=start, end=end, at=ev.get("at"),
                source=ev.get("source") or "manual", quote=ev.get("quote"), memo=ev.get("memo"),
                settles=ev.get("settles"), line=no)
            st.last_transcript = str(ev["transcript"])
        elif op == "uncode":
            _require(ev, ("id",), path, no)
            if st.codings.pop(str(ev["id"]), None) is None:
                st.warnings.append(f"{path}:{no}: 'uncode' of an unknown coding {ev['id']}")
        elif op in ("done", "reopen"):
            _require(ev, ("transcript",), path, no)
            (st.done.add if op == "done" else st.done.discard)(str(ev["transcript"]))
        elif op == "memo":
            _require(ev, ("text",), path, no)
            memo = Memo(id=str(ev.get("id") or f"line{no}"), transcript=ev.get("transcript"),
                        text=str(ev["text"]), target=ev.get("target"), start=ev.get("start"),
                        end=ev.get("end"), at=ev.get("at"))
            st.memos.append(memo)
            if memo.target and memo.target in st.codings:
                st.codings[memo.target].memo = memo.text or None
        elif op == "torn":
            continue
        else:
            st.warnings.append(f"{path}:{no}: unknown event '{op}' skipped")
    return st


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
             start: int | None = None, end: int | None = None) -> dict:
        ev = {"op": "memo", "transcript": transcript, "target": target, "text": text}
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
