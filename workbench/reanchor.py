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
import gc
from array import array
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import TYPE_CHECKING, TypeVar

from .anchoring import Placement, place
from .cache import gc_paused
from .catalog import TranscriptInfo
from .coding import UNPLACED, Coding
from .contexts import Anchor, ContextStore
from .parallel import map_in_processes
from .transcripts.model import segment_index_for

if TYPE_CHECKING:
    from .codebook import Codebook
    from .project import Project

R = TypeVar("R")


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
    groups = _logged_groups(project, coder, tid)
    store = ContextStore(project, coder)
    try:
        yield from _placed(project, coder, groups, sorted(groups), store, {})
    finally:
        with gc_paused():
            store.save()


def summarise_by_transcript(project: Project, coder: str,
                            fn: Callable[[Project, str, list[Coding]], R]) -> list[tuple[str, R]]:
    """``(t, fn(project, t, codings))`` for every transcript ``t`` with codings of ``coder``,
    its current codings as :func:`current_by_transcript` gives them, in transcript order. On a
    large project (:data:`_PARALLEL_CODINGS` codings or more) the second half of the transcripts
    is placed in a worker process forked for it (:func:`workbench.parallel.map_in_processes`),
    which sends back ``fn``'s results and the contexts it took, a part at a time, while this
    process places the first half; the results and the context store are the same as in one
    process (tested). ``fn`` must be a module-level function and its results small. A part the
    worker could not do is done here (which then raises any error there is to raise)."""
    global _FORKED
    groups = _logged_groups(project, coder, None)
    tids = sorted(groups)
    store = ContextStore(project, coder)
    store.empty()                   # read before a worker is forked: it needs it too
    resolved: dict[str, str] = {}
    split, parts, results = len(tids), [], None
    if sum(map(len, groups.values())) >= _PARALLEL_CODINGS and len(tids) >= 2:
        split = len(tids) // 2
        step = -(-(len(tids) - split) // _PARTS)
        parts = [tids[i:i + step] for i in range(split, len(tids), step)]
        _FORKED = (project, coder, groups, store, resolved, fn)
        try:
            results = map_in_processes(_summarise_part, parts, workers=1)
        finally:
            _FORKED = None
        if results is None:
            split, parts = len(tids), []

    def here(some: list[str]) -> list[tuple[str, R]]:
        return [(t, fn(project, t, cs))
                for t, cs in _placed(project, coder, groups, some, store, resolved)]
    try:
        out = here(tids[:split])
        got_parts = iter(results) if results is not None else None
        for part in parts:
            got = None
            if got_parts is not None:
                try:
                    got = next(got_parts)
                except Exception:   # BrokenProcessPool and the like: the rest is done here
                    got_parts = None
            if got is None:
                out += here(part)
            else:
                out += got[0]
                store.merge(got[1])
    finally:
        if results is not None:
            results.close()
        with gc_paused():
            store.save()
    return out


# what a worker forked by summarise_by_transcript works on (set only while it is forked)
_FORKED: tuple | None = None
_PARALLEL_CODINGS = 20_000      # fewer codings are placed in less time than a fork takes
_PARTS = 2                      # the worker's half is sent back in so many parts


def _summarise_part(tids: list[str]) -> tuple[list, tuple] | None:
    """In a worker process: :func:`summarise_by_transcript` for ``tids``, and the contexts
    taken meanwhile (:meth:`ContextStore.take_new`); None when anything failed (the caller then
    does it itself, and raises the error there)."""
    if _FORKED is None:
        return None
    project, coder, groups, store, resolved, fn = _FORKED
    gc.disable()    # its passes over the inherited heap would copy every page of it
    try:
        out = [(t, fn(project, t, cs))
               for t, cs in _placed(project, coder, groups, tids, store, resolved)]
        return out, store.take_new()
    except Exception:
        store.take_new()    # what this part took is not sent with the next
        return None


def _logged_groups(project: Project, coder: str, tid: str | None) -> dict[str, list[Coding]]:
    """The coder's logged codings by transcript (of ``tid`` only, when given), in log order."""
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
    return by_t


def _placed(project: Project, coder: str, groups: dict[str, list[Coding]], tids: list[str],
            store: ContextStore, resolved: dict[str, str]) -> Iterator[tuple[str, list[Coding]]]:
    """The current codings of each transcript of ``tids`` (contexts taken go to ``store``)."""
    cat = project.catalog()
    cb = project.codebook
    for t in tids:
        with gc_paused():       # a transcript's codings: many objects, no cycles
            out = _current(t, groups[t], project, coder, cat.get(t), cb, resolved, store)
        yield t, out


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
