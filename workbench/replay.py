"""Reading a coding log: split it into lines, validate each event (a damaged line names its
file and line), and replay the events into a :class:`LogState` — the codings as logged, done
marks and memos — keeping a snapshot in ``.workbench/cache/`` (see :mod:`workbench.cache`).
The format is described in :mod:`workbench.codinglog`, which writes the logs."""
from __future__ import annotations

import copy
import json
import os
import sys
import zlib
from operator import itemgetter
from pathlib import Path

from .cache import fingerprint, gc_paused, path_free, with_path
from .coding import Coding, Memo
from .errors import LogError
from .snapshot import SNAPSHOT_VERSION, restore_state, save_snapshot, snapshot_file

__all__ = ["LogState", "replay", "read_events", "scan_lines", "snapshot_file", "FORMAT_VERSION",
           "SNAPSHOT_VERSION", "MAX_OFFSET"]

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


def _crc(ev: dict, path: Path, no: int) -> int | None:
    crc = ev.get("transcript_crc")
    if crc is not None and crc.__class__ is not int:
        raise _bad(path, no, "'transcript_crc' must be a whole number")
    return crc


def _code_event(ev: dict, coder: str, path: Path, no: int) -> Coding:
    start = _offset(ev, "start", path, no)
    end = _offset(ev, "end", path, no)
    settles = ev.get("settles")
    if settles is not None and settles.__class__ is not dict:
        raise _bad(path, no, "'settles' must be an object")
    crc = _crc(ev, path, no)
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
                        at=_text(ev, "at", path, no), code=_text(ev, "code", path, no),
                        quote=_text(ev, "quote", path, no), prefix=_text(ev, "prefix", path, no),
                        suffix=_text(ev, "suffix", path, no),
                        transcript_crc=_crc(ev, path, no))
            st.memos.append(memo)
            if memo.target and memo.target in codings:
                codings[memo.target].memo = memo.text or None
        elif op == "torn":
            continue
        else:
            st.warnings.append(f"{path}:{no}: unknown event '{op!s:.40}' skipped")


# ---- snapshots -------------------------------------------------------------------------------
def _restore(coder: str, d: dict, path: Path) -> LogState:
    """The LogState of a snapshot's ``state``, its warnings naming the log at ``path``, where
    it is now (KeyError/TypeError/ValueError/IndexError when it is not one)."""
    st = LogState(coder, with_path(d["warnings"], path))
    restore_state(st, d)
    return st


def replay(path: Path, coder: str | None = None, cache_dir: Path | None = None) -> LogState:
    """Replay a log file into its current state.

    With ``cache_dir`` (the project's ``.workbench/cache``) the state is kept as a snapshot
    (:mod:`workbench.cache`): used as is while the log's fingerprint is unchanged; when the log
    grew and still begins with the bytes the snapshot was taken of (same length and CRC-32),
    only the appended lines are replayed; anything else replays the whole log.

    The log is read in blocks and each event applied as it is read (:class:`_Stream`): memory
    holds the state, not the log's lines or events."""
    with gc_paused(settle=True):
        return _replay(path, coder, cache_dir)


def _replay(path: Path, coder: str | None = None, cache_dir: Path | None = None) -> LogState:
    """The body of :func:`replay`."""
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
            return _restore(coder, snap["state"], path)
        except (KeyError, TypeError, ValueError, IndexError):
            snap = None  # damaged in a way the checksum could not see: replay it
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the with below; its errors are the log's
    except FileNotFoundError:
        return LogState(coder)
    except IsADirectoryError:
        raise LogError("a coding log must be a file, this is a folder", file=path) from None
    with f:
        stat = os.fstat(f.fileno())
        st, start, line_base, crc = LogState(coder), 0, 0, 0
        if snap is not None:
            try:
                size = int(snap["size"])
                prefix = _prefix_crc(f, size)
                if size > 0 and prefix is not None and prefix == snap["crc"]:
                    crc = prefix
                    st = _restore(coder, snap["state"], path)
                    start, line_base = size, int(snap["lines"])
            except (KeyError, TypeError, ValueError, IndexError):
                pass
            if not start:
                f.seek(0)
                st, line_base, crc = LogState(coder), 0, 0
        run = _Stream(st, path, line_base, crc, want_crc=snap_file is not None)
        run.read(f)
    warnings = run.finish()
    if run.malformed is not None:
        raise run.malformed
    if start and any(a <= line_base for a in run.announced):
        return replay(path, coder)  # a torn event names an older line: start over
    if run.error is not None:
        raise run.error
    fp = fingerprint(stat)
    size = start + run.size
    if snap_file is not None and size and run.last_byte == b"\n" and not warnings \
            and (fp is not None or start == 0):
        kept = copy.copy(st)    # its warnings without the log's path: the folder may move
        kept.warnings = path_free(st.warnings, path)
        save_snapshot(snap_file, kept, {"fp": fp, "size": size,
                                         "lines": line_base + run.no, "crc": run.crc})
    return st


def _prefix_crc(f, size: int) -> int | None:
    """CRC-32 of the first ``size`` bytes of ``f`` when they end with a newline (else None),
    read in blocks; ``f`` is left just after them."""
    crc, left, last = 0, size, b""
    while left > 0:
        block = f.read(min(left, _BLOCK))
        if not block:
            return None
        crc = zlib.crc32(block, crc)
        left -= len(block)
        last = block[-1:]
    return crc if last == b"\n" else None


_BLOCK = 1 << 18        # the log is read 256 KiB at a time
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined] # json.loads's C scanner
_BOM = b"\xef\xbb\xbf"
_REQUIRED = itemgetter("op", "id", "transcript", "code", "start", "end")   # of a code event


class _Stream:
    """Replays lines of a log onto a state as they are read, with the rules of
    :func:`scan_lines` and :func:`_apply`: a malformed line is judged when the whole log has
    been read (a later ``torn`` event may announce it; malformed lines at the end are a torn
    tail); the first invalid event is raised after that, as a full read would. Each line is
    parsed by the JSON scanner directly (``json.loads`` again for anything unusual: the same
    result), and an event of the usual shape is applied without the detailed checks."""

    def __init__(self, st: LogState, path: Path, line_base: int, crc: int, want_crc: bool = True):
        self.st, self.path, self.line_base, self.crc = st, path, line_base, crc
        self.want_crc = want_crc    # the CRC-32 of what is read (for a snapshot)
        self.size = self.no = self.last_good = 0   # bytes read; lines read (a last one unended)
        self.last_byte = b""
        self.bad: list[tuple[int, Exception]] = []
        self.announced: set[int] = set()       # absolute line numbers named by torn events
        self.error: LogError | None = None     # the first invalid event
        self.malformed: LogError | None = None  # the first malformed line (see finish)
        self.prior, st.warnings = st.warnings, []   # warnings of applying go after tail ones
        self.strip_bom = line_base == 0
        self.offsets: dict[int, int] = {}         # one int object per distinct offset

    def read(self, f) -> None:
        """Read ``f`` to its end in blocks (into one reused buffer) and replay its lines."""
        buf = bytearray(_BLOCK)
        view = memoryview(buf)
        carry: list[bytes] = []     # the start of a line that goes on in the next block
        want_crc = self.want_crc
        while True:
            n = f.readinto(buf)
            if not n:
                break
            block = view[:n]
            if want_crc:
                self.crc = zlib.crc32(block, self.crc)
            self.size += n
            self.last_byte = bytes(view[n - 1:n])
            start, cut = 0, buf.rfind(b"\n", 0, n) + 1
            if not cut:
                carry.append(bytes(block))
                continue
            if carry:
                start = buf.find(b"\n", 0, n) + 1
                self._lines(b"".join([*carry, block[:start]]))
                carry = []
            if start < cut:
                self._lines(block[start:cut])
            if cut < n:
                carry.append(bytes(block[cut:]))
        if carry:
            self._lines(b"".join(carry))

    def _lines(self, chunk: bytes | memoryview) -> None:
        """Replay whole lines (the last one may lack its newline at the end of the log)."""
        if self.strip_bom:
            self.strip_bom = False
            if chunk[:3] == _BOM:
                chunk = chunk[3:]
        try:
            text = str(chunk, "utf-8")
        except UnicodeDecodeError:
            chunk = bytes(chunk)
            for raw in chunk.split(b"\n")[:chunk.count(b"\n") + (not chunk.endswith(b"\n"))]:
                self.no += 1
                self._slow(raw)
            return
        scan, find, end_all, intern, required = _SCAN, text.find, len(text), sys.intern, _REQUIRED
        st, coder, base = self.st, self.st.coder, self.line_base
        codings = st.codings
        offsets = self.offsets.setdefault
        lo, hi, ok = -MAX_OFFSET, MAX_OFFSET, self.error is None
        no, pos, n_fast, last_fast, last_tid, last_at = self.no, 0, 0, 0, None, None
        while pos < end_all:
            nl = find("\n", pos)
            if nl < 0:
                nl = end_all
            no += 1
            try:
                ev, end = scan(text, pos)
                if end != nl and (end > nl or text[end:nl].strip(" \t\r")):
                    raise ValueError    # more on the line, or a value across lines
            except (StopIteration, ValueError, RecursionError):
                self.no = no
                self._slow(text[pos:nl].encode("utf-8"))
                ok = self.error is None
                pos = nl + 1
                continue
            pos = nl + 1
            if ev.__class__ is dict:
                # a code event of the usual shape: applied right here (see _apply for the rest)
                g = ev.get
                try:
                    op, cid, tid, code, start, end = required(ev)
                except KeyError:
                    op = None
                v, at, source, quote = g("v", 1), g("at"), g("source"), g("quote")
                if op == "code" and v.__class__ is int and v == 1 and cid.__class__ is str \
                        and tid.__class__ is str and code.__class__ is str \
                        and start.__class__ is int and end.__class__ is int \
                        and lo <= start <= hi and lo <= end <= hi \
                        and (at is None or at.__class__ is str) \
                        and (source is None or source.__class__ is str) \
                        and (quote is None or quote.__class__ is str) and ok:
                    memo, prefix, suffix, crc = g("memo"), g("prefix"), g("suffix"), \
                        g("transcript_crc")
                    if (memo is None or memo.__class__ is str) \
                            and (prefix is None or prefix.__class__ is str) \
                            and (suffix is None or suffix.__class__ is str) \
                            and (crc is None or crc.__class__ is int) and g("settles") is None:
                        if tid != last_tid:
                            last_tid = intern(tid)
                        if at == last_at:
                            at = last_at        # one object for a run of events at one time
                        else:
                            last_at = at
                        start, end = offsets(start, start), offsets(end, end)   # one object each
                        codings[cid] = Coding(cid, coder, last_tid, intern(code), start, end, at,
                                              intern(source) if source else "manual", quote,
                                              memo, "ok", None, None, None, no + base, prefix,
                                              suffix, crc)
                        st.last_transcript = last_tid
                        n_fast += 1
                        last_fast = no
                        continue
                self.no = no
                self._apply(ev)
                ok = self.error is None
            else:
                self.bad.append((no, ValueError("not a JSON object")))
        if n_fast:
            st.n_events += n_fast
            self.last_good = max(self.last_good, last_fast)
        self.no = no

    def _slow(self, raw: bytes) -> None:
        """One line as :func:`scan_lines` reads it."""
        try:
            ev = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            if raw.strip():
                self.bad.append((self.no, ValueError("nested too deeply")
                                 if isinstance(e, RecursionError) else e))
            return
        if ev.__class__ is not dict:
            self.bad.append((self.no, ValueError("not a JSON object")))
            return
        self._apply(ev)

    def _apply(self, ev: dict) -> None:
        no = self.no
        self.last_good = no
        op = ev.get("op")
        if op == "torn":
            line = ev.get("line")
            if line.__class__ is int:
                self.announced.add(line)
        if self.error is not None:
            return      # an earlier event was invalid: it is raised once the log is read
        st = self.st
        v = ev.get("v", 1)
        if op == "done" and v.__class__ is int and v == 1:
            tid = ev.get("transcript")
            if tid.__class__ is str:
                st.done.add(tid)
                st.n_events += 1
                return
        try:
            _apply(st, [(no + self.line_base, ev)], self.path)
        except LogError as e:
            self.error = e

    def finish(self) -> list[str]:
        """Judge the malformed lines now that every line is read: those a ``torn`` event
        names are skipped, those at the end are a torn tail (a warning each); the first other
        one is kept to raise. Returns the tail warnings; the state's warnings are in order."""
        base = self.line_base
        announced = {a - base for a in self.announced}
        anchor = max([self.last_good, *(no for no, _ in self.bad if no in announced)])
        warnings: list[str] = []
        for no, err in self.bad:
            if no in announced:
                continue
            if no > anchor:
                warnings.append(f"{self.path}:{no + base}: the last line is incomplete (a crash "
                                "while saving?) and was skipped; earlier lines are intact")
            elif self.malformed is None:
                self.malformed = LogError(f"malformed line ({err})", file=self.path,
                                          line=no + base, hint=_FIX)
        self.st.warnings = self.prior + warnings + self.st.warnings
        return warnings
