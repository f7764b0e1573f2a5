"""Reading a coding log: split it into lines, validate each event (a damaged line names its
file and line), and replay the events into a :class:`LogState` — the codings as logged, done
marks and memos — keeping a snapshot in ``.workbench/cache/`` (see :mod:`workbench.cache`).
The format is described in :mod:`workbench.codinglog`, which writes the logs."""
from __future__ import annotations

import json
import os
import sys
import zlib
from pathlib import Path

from .cache import CacheFile, fingerprint
from .coding import Coding, Memo
from .errors import LogError

FORMAT_VERSION = 1
MAX_OFFSET = 2**40          # no transcript is near this long: larger offsets are damage
_FIX = "fix or remove this line with a text editor (keep a backup)"


class LogState:
    """A coder's log replayed: ``codings`` (id → :class:`Coding` as logged: code before merges,
    offsets as written), ``done`` transcripts, ``memos``, ``warnings`` (skipped lines)."""

    def __init__(self, coder: str, warnings: list[str] | None = None):
        self.coder = coder
        self.codings: dict[str, Coding] = {}
        self.done: set[str] = set()
        self.memos: list[Memo] = []
        self.warnings: list[str] = list(warnings or [])
        self.n_events = 0
        self.last_transcript: str | None = None


# ---- reading -------------------------------------------------------------------------------------
def scan_lines(data: bytes, strip_bom: bool = True, line_base: int = 0):
    """Split a log's bytes into lines and parse them.

    Returns ``(parsed, announced, tail_start)``: ``parsed`` is ``(line_no, event_or_None,
    error_or_None)`` for every line; ``announced`` the line numbers named by ``torn`` events;
    ``tail_start`` the first line of the trailing run of malformed (or blank) lines that no
    ``torn`` event names yet — what a crash can leave behind. For a chunk of a log, ``line_base``
    is the number of lines before it; line numbers are then relative to the chunk.
    """
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()
    if strip_bom and lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    parsed: list[tuple[int, dict | None, Exception | None]] = []
    announced: set[int] = set()
    loads = json.loads
    for no, raw in enumerate(lines, start=1):
        try:
            ev = loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            parsed.append((no, None, None if not raw.strip() else
                           ValueError("nested too deeply") if isinstance(e, RecursionError)
                           else e))
            continue
        if ev.__class__ is not dict:
            parsed.append((no, None, ValueError("not a JSON object")))
            continue
        parsed.append((no, ev, None))
        if ev.get("op") == "torn":
            line = ev.get("line")
            if line.__class__ is int:
                announced.add(line - line_base)
    tail_start = len(parsed) + 1
    for no, ev, err in reversed(parsed):
        if ev is not None or (err is not None and no in announced):
            break
        tail_start = no
    return parsed, announced, tail_start


def _events_in(data: bytes, path: Path, line_base: int = 0):
    """Events of a chunk of a log (``line_base`` lines precede it): (events, warnings,
    announced line numbers)."""
    parsed, announced, tail_start = scan_lines(data, strip_bom=line_base == 0, line_base=line_base)
    warnings: list[str] = []
    events: list[tuple[int, dict]] = []
    for no, ev, err in parsed:
        if ev is not None:
            events.append((no + line_base, ev))
        elif err is not None:
            if no in announced:
                continue  # cut off by a crash, terminated and announced by a later writer
            if no >= tail_start:
                warnings.append(f"{path}:{no + line_base}: the last line is incomplete (a crash "
                                "while saving?) and was skipped; earlier lines are intact")
                continue
            raise LogError(f"malformed line ({err})", file=path, line=no + line_base, hint=_FIX)
    return events, warnings, {a + line_base for a in announced}


def read_events(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """Every event of a log with its line number, and warnings about skipped lines."""
    data = _read(Path(path))[0]
    events, warnings, _ = _events_in(data, Path(path))
    return events, warnings


def _read(path: Path) -> tuple[bytes, os.stat_result | None]:
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            return f.read(), st
    except FileNotFoundError:
        return b"", None
    except IsADirectoryError:
        raise LogError("a coding log must be a file, this is a folder", file=path) from None


# ---- validating and applying events ----------------------------------------------------------
def _bad(path: Path, line: int, what: str) -> LogError:
    return LogError(what, file=path, line=line, hint=_FIX)


def _text(ev: dict, key: str, path: Path, line: int, required: bool = False) -> str | None:
    v = ev.get(key)
    if v is None:
        if required:
            raise _bad(path, line, f"'{ev.get('op')}' event lacks '{key}'")
        return None
    if v.__class__ is str:
        return v
    if key in ("id", "transcript", "target") and v.__class__ is int:
        return str(v)   # a number used as an id: read as text
    raise _bad(path, line, f"'{key}' must be text, not {type(v).__name__}")


def _offset(ev: dict, key: str, path: Path, line: int, required: bool = True) -> int | None:
    v = ev.get(key)
    if v is None:
        if required:
            raise _bad(path, line, f"'{ev.get('op')}' event lacks '{key}'")
        return None
    if v.__class__ is float and v.is_integer():
        v = int(v)
    if v.__class__ is not int:
        raise _bad(path, line, f"'{key}' must be a whole number, not {v!r:.40}")
    if not -MAX_OFFSET <= v <= MAX_OFFSET:   # negative: reported as out_of_range
        raise _bad(path, line, f"'{key}' = {v} is not a character offset in a transcript")
    return v


def _intern(value: str) -> str:
    return sys.intern(value)


def _code_event(ev: dict, coder: str, path: Path, no: int) -> Coding:
    start = _offset(ev, "start", path, no)
    end = _offset(ev, "end", path, no)
    settles = ev.get("settles")
    if settles is not None and settles.__class__ is not dict:
        raise _bad(path, no, "'settles' must be an object")
    crc = ev.get("transcript_crc")
    if crc is not None and crc.__class__ is not int:
        raise _bad(path, no, "'transcript_crc' must be a whole number")
    return Coding(
        id=_text(ev, "id", path, no, True) or "", coder=coder,
        transcript=_intern(_text(ev, "transcript", path, no, True) or ""),
        code=_intern(_text(ev, "code", path, no, True) or ""), start=start or 0, end=end or 0,
        at=_text(ev, "at", path, no), source=_intern(_text(ev, "source", path, no) or "manual"),
        quote=_text(ev, "quote", path, no), memo=_text(ev, "memo", path, no), settles=settles,
        line=no, prefix=_text(ev, "prefix", path, no), suffix=_text(ev, "suffix", path, no),
        transcript_crc=crc)


def _apply(st: LogState, events: list[tuple[int, dict]], path: Path) -> None:
    codings = st.codings
    for no, ev in events:
        v = ev.get("v", 1)
        if v.__class__ is not int or v < 1:
            raise _bad(path, no, f"event format version {v!r:.40} is not a version number (1, 2, …)")
        if v > FORMAT_VERSION:
            raise LogError(f"event format version {v} is newer than this workbench understands "
                           f"(it reads version {FORMAT_VERSION})", file=path, line=no,
                           hint="upgrade workbench")
        op = ev.get("op")
        st.n_events += 1
        if op == "code":
            c = _code_event(ev, st.coder, path, no)
            codings[c.id] = c
            st.last_transcript = c.transcript
        elif op == "uncode":
            cid = _text(ev, "id", path, no, True)
            if codings.pop(cid or "", None) is None:
                st.warnings.append(f"{path}:{no}: 'uncode' of an unknown coding {cid}")
        elif op in ("done", "reopen"):
            tid = _text(ev, "transcript", path, no, True) or ""
            (st.done.add if op == "done" else st.done.discard)(tid)
        elif op == "memo":
            memo = Memo(id=_text(ev, "id", path, no) or f"line{no}",
                        transcript=_text(ev, "transcript", path, no),
                        text=_text(ev, "text", path, no, True) or "",
                        target=_text(ev, "target", path, no),
                        start=_offset(ev, "start", path, no, False),
                        end=_offset(ev, "end", path, no, False),
                        at=_text(ev, "at", path, no), code=_text(ev, "code", path, no))
            st.memos.append(memo)
            if memo.target and memo.target in codings:
                codings[memo.target].memo = memo.text or None
        elif op == "torn":
            continue
        else:
            st.warnings.append(f"{path}:{no}: unknown event '{op!s:.40}' skipped")


# ---- snapshots -------------------------------------------------------------------------------
SNAPSHOT_VERSION = 1
_SNAP_FIELDS = ("id", "transcript", "code", "start", "end", "at", "source", "quote", "memo",
                "settles", "line", "prefix", "suffix", "transcript_crc")


def _dump(st: LogState) -> dict:
    return {"codings": [[getattr(c, f) for f in _SNAP_FIELDS] for c in st.codings.values()],
            "done": sorted(st.done), "warnings": st.warnings,
            "memos": [[m.id, m.transcript, m.text, m.target, m.start, m.end, m.at, m.code]
                      for m in st.memos],
            "n_events": st.n_events, "last_transcript": st.last_transcript}


def _restore(coder: str, d: dict) -> LogState:
    st = LogState(coder, d["warnings"])
    st.codings = {}
    for row in d["codings"]:
        (cid, tid, code, start, end, at, source, quote, memo, settles, line, prefix, suffix,
         crc) = row
        st.codings[cid] = Coding(cid, coder, tid, code, start, end, at, source, quote, memo,
                                 settles=settles, line=line, prefix=prefix, suffix=suffix,
                                 transcript_crc=crc)
    st.done = set(d["done"])
    st.memos = [Memo(*m) for m in d["memos"]]
    st.n_events = int(d["n_events"])
    st.last_transcript = d["last_transcript"]
    return st


def snapshot_file(cache_dir: Path, coder: str) -> CacheFile:
    return CacheFile(Path(cache_dir) / f"replay-{coder}.json", "replay", SNAPSHOT_VERSION)


def replay(path: Path, coder: str | None = None, cache_dir: Path | None = None) -> LogState:
    """Replay a log file into its current state.

    With ``cache_dir`` (the project's ``.workbench/cache``) the state is kept as a snapshot
    (:mod:`workbench.cache`): used as is while the log's fingerprint is unchanged; when the log
    grew and still begins with the bytes the snapshot was taken of (same length and CRC-32),
    only the appended lines are replayed; anything else replays the whole log."""
    path = Path(path)
    coder = coder or path.stem
    snap_file = snapshot_file(cache_dir, coder) if cache_dir is not None else None
    try:
        st_file = os.stat(path)
    except FileNotFoundError:
        return LogState(coder)
    except OSError:
        st_file = None
    fp = fingerprint(st_file)
    snap = snap_file.load() if snap_file is not None else None
    if snap is not None and fp is not None and snap.get("fp") == fp:
        try:
            return _restore(coder, snap["state"])
        except (KeyError, TypeError, ValueError, IndexError):
            snap = None  # damaged in a way the checksum could not see: replay it
    data, stat = _read(path)
    st, start, line_base = LogState(coder), 0, 0
    if snap is not None:
        try:
            size = int(snap["size"])
            if size <= len(data) and data[size - 1:size] == b"\n" \
                    and zlib.crc32(data[:size]) == snap["crc"]:
                st = _restore(coder, snap["state"])
                start, line_base = size, int(snap["lines"])
        except (KeyError, TypeError, ValueError, IndexError):
            st, start, line_base = LogState(coder), 0, 0
    events, warnings, announced = _events_in(data[start:], path, line_base)
    if start and any(a <= line_base for a in announced):
        return replay(path, coder)  # a torn event names an older line: start over
    st.warnings.extend(warnings)
    _apply(st, events, path)
    fp = fingerprint(stat)
    if snap_file is not None and data and data.endswith(b"\n") and not warnings \
            and (fp is not None or start == 0):
        snap_file.save({"fp": fp, "size": len(data), "lines": line_base + data[start:].count(b"\n"),
                        "crc": zlib.crc32(data), "state": _dump(st)})
    return st
