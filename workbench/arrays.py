"""Bulk views for counting 100,000s of codings at once (counts, agreement units, the coding
screen's totals): every transcript's segments as flat numpy arrays (:class:`SegmentArrays`:
"which segment holds this offset", "which segments does this span overlap"), and a coder's
codings as columns (:class:`CodingArrays`), both built from the one source of each;
:func:`coding_arrays` remembers a coder's columns until the data they come from changes, so
that the counts and both agreement units of one export re-anchor each coder's codings once."""
from __future__ import annotations

import weakref
from itertools import chain

import numpy as np

from .catalog import TranscriptInfo


class SegmentArrays:
    """Every transcript's segments flattened into numpy arrays, in catalog order: transcript
    ``tids[i]`` owns ``starts[offsets[i]:offsets[i + 1]]`` (and the same slice of ``ends`` and
    ``roles``, the role letters as bytes ``b"I"``/``b"E"``). :meth:`segment_of` and
    :meth:`overlapping` are :meth:`TranscriptInfo.segment_of` and
    :meth:`TranscriptInfo.segments_overlapping` for many offsets at once (same results).
    Built by :meth:`Project.segment_arrays`."""

    def __init__(self, infos: list[TranscriptInfo]):
        self.infos = infos
        self.tids = [i.id for i in infos]
        self.pos = {t: k for k, t in enumerate(self.tids)}
        per_transcript = [i.n_segments for i in infos]
        total = sum(per_transcript)
        self.starts = np.fromiter(chain.from_iterable(i.starts for i in infos), dtype=np.int64,
                                  count=total)
        self.ends = np.fromiter(chain.from_iterable(i.ends for i in infos), dtype=np.int64,
                                count=total)
        lengths = np.asarray(per_transcript, dtype=np.int64)
        self.offsets = np.zeros(len(infos) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.offsets[1:])
        self.roles = np.frombuffer("".join(i.roles for i in infos).encode("ascii", "replace"),
                                   dtype="S1")
        n_chars = np.fromiter((i.n_chars for i in infos), dtype=np.int64, count=len(infos))
        # one sorted key for all segments: transcript position * width + start
        self._width = int(max(n_chars.max(initial=0), self.starts.max(initial=0),
                              self.ends.max(initial=0))) + 1
        seg_t = np.repeat(np.arange(len(infos), dtype=np.int64), lengths)
        self._key = seg_t * self._width + self.starts
        # a transcript whose starts are not sorted (never seen) is served by the scalar code
        self._sorted = bool(total < 2 or (np.diff(self._key) >= 0).all())

    def positions(self, tids):
        """The catalog position of each transcript id (-1: not in the catalog), as int64."""
        return np.asarray([self.pos.get(t, -1) for t in tids], dtype=np.int64)

    def _vectorisable(self, *offsets) -> bool:
        return self._sorted and len(self.starts) > 0 and all(
            not len(o) or (o.min() >= 0 and o.max() < self._width) for o in offsets)

    def segment_of(self, t, offset):
        """Per (transcript position, offset): the segment index as
        :meth:`TranscriptInfo.segment_of` gives it, -1 for None (int64 array)."""
        t = np.asarray(t, dtype=np.int64)
        off = np.asarray(offset, dtype=np.int64)
        if not self._vectorisable(off):
            return np.fromiter((-1 if (s := self.infos[a].segment_of(b)) is None else s
                                for a, b in zip(t.tolist(), off.tolist())),
                               dtype=np.int64, count=len(t))
        base = self.offsets[t]
        n = self.offsets[t + 1] - base
        g = np.searchsorted(self._key, t * self._width + off, side="right") - 1
        i = g - base
        inside = (i >= 0) & (off < self.ends[np.maximum(g, 0)])
        return np.where(inside, i, np.where(i + 1 < n, i + 1, -1))

    def overlapping(self, t, start, end):
        """Per (transcript position, start, end): the segments it overlaps, as
        :meth:`TranscriptInfo.segments_overlapping` lists them. Returns two int64 arrays,
        (query index, segment index), in query order and segment order within a query."""
        t = np.asarray(t, dtype=np.int64)
        start = np.asarray(start, dtype=np.int64)
        end = np.asarray(end, dtype=np.int64)
        if not self._vectorisable(start, end):
            pairs = [(q, j) for q, (a, b, c) in enumerate(zip(t.tolist(), start.tolist(),
                                                               end.tolist()))
                     for j in self.infos[a].segments_overlapping(b, c)]
            q = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
            j = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
            return q, j
        base = self.offsets[t]
        tw = t * self._width
        j0 = np.maximum(np.searchsorted(self._key, tw + start, side="right") - 1 - base, 0)
        j1 = np.searchsorted(self._key, tw + end, side="left") - base
        cnt = np.maximum(j1 - j0, 0)
        q = np.repeat(np.arange(len(t), dtype=np.int64), cnt)
        first = np.cumsum(cnt) - cnt
        j = j0[q] + (np.arange(len(q), dtype=np.int64) - first[q])
        keep = self.ends[base[q] + j] > start[q]
        return q[keep], j[keep]


class CodingArrays:
    """A coder's codings (:meth:`Project.codings`, sorted by transcript) as numpy columns:
    ``tids`` the transcripts with codings (sorted), ``transcript`` each coding's position in
    ``tids``; ``start``/``end``/``segment`` (-1: none) int64; the text fields as object arrays."""

    id: np.ndarray
    code: np.ndarray
    original_code: np.ndarray
    status: np.ndarray
    quote: np.ndarray
    source: np.ndarray
    memo: np.ndarray
    at: np.ndarray

    def __init__(self, codings: list) -> None:
        n = len(codings)
        self.n = n
        tids = [c.transcript for c in codings]
        self.tids = list(dict.fromkeys(tids))
        pos = {t: i for i, t in enumerate(self.tids)}
        self.transcript = np.fromiter(map(pos.__getitem__, tids), dtype=np.int64, count=n)
        self.start = np.fromiter((c.start for c in codings), dtype=np.int64, count=n)
        self.end = np.fromiter((c.end for c in codings), dtype=np.int64, count=n)
        self.segment = np.fromiter((-1 if c.segment is None else c.segment for c in codings),
                                   dtype=np.int64, count=n)
        for name in ("id", "code", "original_code", "status", "quote", "source", "memo", "at"):
            setattr(self, name, _objects([getattr(c, name) for c in codings]))

    def __len__(self) -> int:
        return self.n


def _objects(values: list) -> np.ndarray:
    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a


_ARRAYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def data_signature(project, coder: str) -> tuple:
    """Changes whenever a coder's current codings may: the coder's log file, the transcript
    catalog (a refreshed catalog is a new object), the codebook's codes, tree and merges."""
    try:
        st = (project.codings_dir / f"{coder}.jsonl").stat()
        log_sig: tuple | None = (st.st_size, st.st_mtime_ns)
    except OSError:
        log_sig = None
    cb = project.codebook
    cb_sig = (id(cb), tuple((c.id, c.parent) for c in cb.codes.values()),
              tuple((m["from"], m["into"]) for m in cb.merges))
    return log_sig, project.catalog(), cb_sig


def coding_arrays(project, coder: str) -> CodingArrays:
    """``project.codings(coder)`` as :class:`CodingArrays`, remembered per project and coder
    until :func:`data_signature` changes. Shared: treat it as read-only."""
    sig = data_signature(project, coder)
    memo = _ARRAYS.setdefault(project, {})
    hit = memo.get(coder)
    if hit is not None and hit[0] == sig:
        return hit[1]
    cc = CodingArrays(project.codings(coder))
    memo[coder] = (sig, cc)
    return cc
