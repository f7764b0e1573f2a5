"""A coder's codings as they lie in the transcripts *now*: the body of
:meth:`Project.codings`. Each logged coding gets its code resolved through codebook merges, its
place checked or found again (:mod:`workbench.anchoring`), a status, a confidence and its
segment.

Codings written by this version record their quote, context and the transcript's CRC-32. Codings
from older logs or other tools may lack them: their context (and the CRC) is taken from the
transcript the first time the coding is read while its quote is still at its offsets — exactly
what the coding would have recorded — and kept in ``.workbench/cache/context-<coder>.json``. An
entry is used only for the coding it was taken for (same id, offsets and quote). Losing the file
loses nothing that cannot be taken again, except for a transcript edited since: its codings are
then placed only on unambiguous evidence, and flagged for review otherwise.
"""
from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from .anchoring import Placement, place, selector
from .cache import CacheFile
from .catalog import TranscriptInfo
from .coding import UNPLACED, Coding

if TYPE_CHECKING:
    from .project import Project

CONTEXT_VERSION = 1


class Anchor(NamedTuple):
    """What is known about a coding's text: recorded in its event, or taken at a first read."""

    quote: str | None
    prefix: str | None
    suffix: str | None
    crc: int | None


class ContextStore:
    """``context-<coder>.json``: for codings logged without context, what they would have
    recorded (see the module docstring), by transcript: ``{tid: [crc, {coding id: [start, end,
    quote CRC, prefix, suffix, quote or None]}]}`` where ``crc`` is the transcript file's CRC-32
    when the contexts were taken (the quote itself is kept only for codings logged without one).
    """

    def __init__(self, project: Project, coder: str):
        self.file = CacheFile(project.state_dir / "cache" / f"context-{coder}.json", "context",
                              CONTEXT_VERSION)
        self._entries: dict | None = None
        self.changed = False

    @property
    def entries(self) -> dict:
        if self._entries is None:
            raw = self.file.load()
            self._entries = raw if isinstance(raw, dict) else {}
        return self._entries

    def unchanged(self, c: Coding, crc: int | None) -> bool:
        """Whether ``c``'s context was taken on this very transcript file (same CRC) for the
        same offsets: then it still stands without looking at the text."""
        t = self.entries.get(c.transcript)
        try:
            e = t[1].get(c.id) if t is not None and t[0] == crc else None
            return e is not None and e[0] == c.start and e[1] == c.end
        except (TypeError, IndexError, AttributeError):
            return False

    def get(self, c: Coding) -> Anchor | None:
        t = self.entries.get(c.transcript)
        try:
            if t is None:
                return None
            e = t[1].get(c.id)
            if e is not None and e[:3] == [c.start, c.end, _quote_crc(c.quote)]:
                return Anchor(c.quote if c.quote is not None else e[5], e[3], e[4], int(t[0]))
        except (TypeError, ValueError, IndexError, AttributeError):
            pass   # a damaged entry: taken again
        return None

    def put(self, c: Coding, text: str, crc: int | None) -> None:
        sel = selector(text, c.start, c.end)
        t = self.entries.get(c.transcript)
        if not (isinstance(t, list) and len(t) == 2 and t[0] == crc and isinstance(t[1], dict)):
            t = self.entries[c.transcript] = [crc, {}]
        t[1][c.id] = [c.start, c.end, _quote_crc(c.quote), sel["prefix"], sel["suffix"],
                      None if c.quote is not None else sel["quote"]]
        self.changed = True

    def save(self) -> None:
        if self.changed:
            self.file.save(self.entries)
            self.changed = False


def _quote_crc(quote: str | None) -> int:
    return zlib.crc32(quote.encode("utf-8")) if quote is not None else -1


def current_codings(project: Project, coder: str, tid: str | None = None) -> list[Coding]:
    """See :meth:`Project.codings`."""
    st = project.state(coder)
    by_t: dict[str, list[Coding]] = {}
    for c in st.codings.values():
        if tid is None or c.transcript == tid:
            by_t.setdefault(c.transcript, []).append(c)
    cat = project.catalog()
    cb = project.codebook
    known = cb.codes
    resolved: dict[str, str] = {}
    store = ContextStore(project, coder)
    out: list[Coding] = []
    for t in sorted(by_t):
        info = cat.get(t)
        text_of = _Lazy(project.text, t)
        for c in by_t[t]:
            code = resolved.get(c.code)
            if code is None:
                code = resolved[c.code] = cb.resolve(c.code)
            if info is None:
                status, start, end, conf = "orphan", c.start, c.end, 0.0
            elif code not in known:
                status, start, end, conf = "unknown_code", c.start, c.end, 0.0
            else:
                status, start, end, conf = _placement(c, info, text_of, store)
            segment = info.segment_of(start) if info is not None and \
                status not in UNPLACED else None
            out.append(Coding(c.id, coder, t, code, start, end, c.at, c.source, c.quote, c.memo,
                              status, segment, c.code, c.settles, c.line, c.prefix, c.suffix,
                              c.transcript_crc, conf))
    store.save()
    out.sort(key=lambda c: (c.transcript, c.start, c.end, c.code))
    return out


def _placement(c: Coding, info: TranscriptInfo, text_of: _Lazy, store: ContextStore) -> Placement:
    """Where coding ``c`` lies in its transcript now."""
    in_range = 0 <= c.start < c.end <= info.n_chars
    if c.transcript_crc is not None and c.transcript_crc == info.crc and in_range:
        return Placement("ok", c.start, c.end)         # the very file it was coded on
    anchor = Anchor(c.quote, c.prefix, c.suffix, c.transcript_crc)
    if c.transcript_crc is None or (c.quote and c.prefix is None and c.suffix is None):
        # an older log or another tool: what it would have recorded, taken at a first read
        if in_range and store.unchanged(c, info.crc):
            return Placement("ok", c.start, c.end)
        taken = store.get(c)
        if taken is not None:
            anchor = taken
        elif in_range and _still_there(c, info, text_of):
            store.put(c, text_of(), info.crc)
            return Placement("ok", c.start, c.end)
    if not anchor.quote:
        # nothing to compare with: it stands only while the transcript is unchanged
        if not in_range:
            return Placement("out_of_range", c.start, c.end, 0.0)
        return Placement("needs_review", c.start, c.end, 0.0)
    return place(c.start, c.end, anchor.quote, anchor.prefix, anchor.suffix, text_of())


def _still_there(c: Coding, info: TranscriptInfo, text_of: _Lazy) -> bool:
    """Whether a coding without a recorded context is still on the text it was made on: its
    quote is at its offsets; a coding without a quote, when the transcript file was not modified
    after the coding was made (its ``at``; one second of slack for clocks that round)."""
    if c.quote:
        return text_of()[c.start:c.end] == c.quote
    if c.at is None or info.mtime_ns is None:
        return False
    try:
        when = dt.datetime.fromisoformat(c.at.replace("Z", "+00:00"))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return info.mtime_ns <= int(when.timestamp() * 1e9) + 1_000_000_000


class _Lazy:
    """``fn(arg)`` computed on the first call, then remembered."""

    __slots__ = ("fn", "arg", "value")

    def __init__(self, fn: Callable[[str], str], arg: str):
        self.fn, self.arg = fn, arg
        self.value: str | None = None

    def __call__(self) -> str:
        if self.value is None:
            self.value = self.fn(self.arg)
        return self.value
