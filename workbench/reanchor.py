"""A coder's codings as they lie in the transcripts *now*: the body of
:meth:`Project.codings`. Each logged coding gets its code resolved through codebook merges, its
place checked or found again (:mod:`workbench.anchoring`), a status, a confidence and its
segment.

Codings written by this version record their quote, context and the transcript's CRC-32. Codings
from older logs or other tools may lack them: their context (and the CRC) is taken from the
transcript the first time the coding is read while its quote is still at its offsets — exactly
what the coding would have recorded — and kept in ``.workbench/cache/context-<coder>.json``
(:mod:`workbench.contexts`). An entry is used only for the coding it was taken for (same id,
offsets and quote). Losing the file loses nothing that cannot be taken again, except for a
transcript edited since: its codings are then placed only on unambiguous evidence, and flagged
for review otherwise.
"""
from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Iterator
from dataclasses import replace
from operator import attrgetter
from typing import TYPE_CHECKING

from .anchoring import Placement, place
from .cache import gc_paused
from .catalog import TranscriptInfo
from .coding import UNPLACED, Coding, Memo
from .contexts import Anchor, ContextStore
from .transcripts.model import segment_index_for

if TYPE_CHECKING:
    from .codebook import Codebook
    from .project import Project

def current_codings(project: Project, coder: str, tid: str | None = None) -> list[Coding]:
    """See :meth:`Project.codings`."""
    out: list[Coding] = []
    for _, codings in current_by_transcript(project, coder, tid):
        out.extend(codings)
    return out


_POSITION = attrgetter("start", "end", "code")


def current_by_transcript(project: Project, coder: str, tid: str | None = None
                          ) -> Iterator[tuple[str, list[Coding]]]:
    """:func:`current_codings` one transcript at a time, in transcript order, each list in
    position order: for a reader that needs only a summary of each transcript (``status``), so
    that every coding of a large project is not held twice at once."""
    st = project.state(coder)
    by_t: dict[str, list[Coding]] = {}
    if tid is None:
        for c in st.codings.values():
            group = by_t.get(c.transcript)
            if group is None:
                by_t[c.transcript] = [c]
            else:
                group.append(c)
    else:
        group = [c for c in st.codings.values() if c.transcript == tid]
        if group:
            by_t[tid] = group
    cat = project.catalog()
    cb = project.codebook
    resolved: dict[str, str] = {}
    store = ContextStore(project, coder)
    try:
        for t in sorted(by_t):
            with gc_paused():       # a transcript's codings: many objects, no cycles
                out = _current(t, by_t[t], project, coder, cat.get(t), cb, resolved, store)
            yield t, out
    finally:
        with gc_paused():
            store.save()


def _current(t: str, logged: list[Coding], project: Project, coder: str,
             info: TranscriptInfo | None, cb: Codebook, resolved: dict[str, str],
             store: ContextStore) -> list[Coding]:
    """The current codings of transcript ``t`` (see :func:`current_by_transcript`), in
    position order."""
    known = cb.codes
    text_of = _Lazy(project.text, t)
    out: list[Coding] = []
    append = out.append
    fresh = store.empty()       # nothing taken before: each coding's context is taken now
    taken: list[Coding] = []    # (then) the codings whose context is taken, in order
    if info is not None:
        crc, n_chars, starts, ends = info.crc, info.n_chars, info.starts, info.ends
        if isinstance(starts, array) and isinstance(ends, array) and len(logged) > 8:
            starts, ends = starts.tolist(), ends.tolist()    # bisect a list: faster
    for c in logged:
        code = resolved.get(c.code)
        if code is None:
            code = resolved[c.code] = cb.resolve(c.code)
        start, end = c.start, c.end
        if info is None:
            status, conf = "orphan", 0.0
        elif code not in known:
            status, conf = "unknown_code", 0.0
        else:
            # the common cases of _placement, decided here without making its objects: the very
            # file the coding was made on; for an older log's coding, the file its context was
            # taken from, or a first read that finds its quote at its offsets (context taken)
            in_range = 0 <= start < end <= n_chars
            ok = False
            if c.transcript_crc is not None:
                ok = in_range and c.transcript_crc == crc
            elif fresh:
                if in_range and c.quote and text_of()[start:end] == c.quote:
                    taken.append(c)
                    ok = True
            elif in_range:
                if store.unchanged(c, crc):
                    ok = True
                elif c.quote and not store.has(c) and text_of()[start:end] == c.quote:
                    store.put(c, text_of(), crc)
                    ok = True
            if ok:
                status, conf = "ok", 1.0
            else:
                status, start, end, conf = _placement(c, info, text_of, store)
        segment = segment_index_for(starts, ends, start) if info is not None and \
            status not in UNPLACED else None
        append(Coding(c.id, coder, t, code, start, end, c.at, c.source, c.quote, c.memo, status,
                      segment, c.code, c.settles, c.line, c.prefix, c.suffix, c.transcript_crc,
                      conf))
    if taken:
        store.put_many(taken, text_of(), crc)
    out.sort(key=_POSITION)
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


def current_memos(project: Project, coder: str) -> list[Memo]:
    """See :meth:`Project.memos`."""
    cat = project.catalog()
    texts: dict[str, _Lazy] = {}
    store = ContextStore(project, coder)     # for memos from before they recorded context
    out = []
    try:
        for m in project.state(coder).memos:
            if not m.on_span:
                out.append(m)
                continue
            info = cat.get(m.transcript or "")
            if info is None:
                out.append(replace(m, status="orphan"))
                continue
            text_of = texts.get(info.id)
            if text_of is None:
                text_of = texts[info.id] = _Lazy(project.text, info.id)
            status, start, end, _ = _memo_placement(m, info, text_of, store)
            out.append(replace(m, start=start, end=end, status=status))
    finally:
        with gc_paused():
            store.save()
    return out


def _memo_placement(m: Memo, info: TranscriptInfo, text_of: _Lazy,
                    store: ContextStore) -> Placement:
    """Where memo ``m``'s span lies now, as a coding's (:func:`_placement`). A memo from before
    memos recorded their quote and context gets them, as an older log's coding does, at a first
    read while it is still on the text it was written on (its transcript file not modified
    since the memo was written), kept in the context store."""
    start = m.start if m.start is not None else 0
    end = m.end if m.end is not None else start
    m = replace(m, start=start, end=end)
    in_range = 0 <= start <= end <= info.n_chars
    if m.transcript_crc is not None and m.transcript_crc == info.crc and in_range:
        return Placement("ok", start, end)
    anchor = Anchor(m.quote, m.prefix, m.suffix, m.transcript_crc)
    if m.transcript_crc is None and m.prefix is None and m.suffix is None:
        if in_range and store.unchanged(m, info.crc):
            return Placement("ok", start, end)
        taken = store.get(m)
        if taken is not None:
            anchor = taken
        elif in_range and _still_there(m, info, text_of):
            store.put(m, text_of(), info.crc)
            return Placement("ok", start, end)
    if not anchor.quote:
        if not in_range:
            return Placement("out_of_range", start, end, 0.0)
        return Placement("needs_review", start, end, 0.0)
    return place(start, end, anchor.quote, anchor.prefix, anchor.suffix, text_of())


def _still_there(c: Coding | Memo, info: TranscriptInfo, text_of: _Lazy) -> bool:
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
