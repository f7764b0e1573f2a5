"""The context store, ``.workbench/cache/context-<coder>.json``: for codings logged without
context (older logs, other tools), the context they would have recorded, taken from the
transcript the first time the coding is read while its quote is still at its offsets (see
:mod:`workbench.reanchor`, which places codings with it). It is derived, kept under the rule of
:mod:`workbench.cache`; losing it loses nothing that cannot be taken again, except for a
transcript edited since."""
from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator
from itertools import accumulate, chain, repeat
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from .anchoring import CONTEXT
from .cache import CacheFile, json_bytes, json_list_pieces, pack_ints, unpack_ints
from .coding import Coding, Memo

if TYPE_CHECKING:
    from .project import Project

_ID, _START, _END, _QUOTE = (attrgetter(f) for f in ("id", "start", "end", "quote"))
CONTEXT_VERSION = 2     # 1: one JSON list per coding (still read, and saved as 2)
_JOIN = 20_000          # context strings joined into one every so many


class Anchor(NamedTuple):
    """What is known about a coding's text: recorded in its event, or taken at a first read."""

    quote: str | None
    prefix: str | None
    suffix: str | None
    crc: int | None


class ContextStore:
    """``context-<coder>.json``: for codings logged without context, what they would have
    recorded (see the module docstring). Kept as columns — coding ids; offsets and the CRC-32
    of the quote (base64 arrays); the quote only for a coding logged without one; the CRC-32 of
    the transcript file the context was taken from; the prefix and suffix of every entry as one
    string and their lengths — so that reading it makes no object per entry until an entry is
    asked for, and entries taken now are appended to columns (a few bytes each) until they are
    saved. Each entry keeps its own transcript CRC: taking a context on an edited transcript
    does not drop what was taken for the other codings on its earlier text."""

    def __init__(self, project: Project, coder: str):
        path = project.state_dir / "cache" / f"context-{coder}.json"
        self.file = CacheFile(path, "context", CONTEXT_VERSION)
        self._older = CacheFile(path, "context", 1)
        self._index: dict[str, int] | None = None   # id -> row of the columns read
        self._cols: tuple = ()
        self._offsets: list[int] | None = None
        self._entries: dict[str, list] = {}         # entries of a version-1 file
        self._new: tuple = ([], [], [], array("q"), [], [], array("I"), [])
        self._parts: list[str] = []
        self._replaced: set[str] = set()
        self.changed = False

    def _load(self) -> dict[str, int]:
        if self._index is not None:
            return self._index
        self._index = {}
        raw = self.file.load()
        if raw is None:
            self._entries = _older_entries(self._older.load())
            self.changed = bool(self._entries)  # saved in the columns the next time
            return self._index
        try:
            ids = raw["id"]
            n = len(ids)
            cols = (unpack_ints("q", raw["start"]).tolist(), unpack_ints("q", raw["end"]).tolist(),
                    unpack_ints("q", raw["qcrc"]).tolist(), raw["quote"], raw["crc"])
            lengths = unpack_ints("I", raw["lengths"])
            context = raw["context"]
            if not isinstance(ids, list) or any(not isinstance(c, list) or len(c) != n
                                                for c in cols) \
                    or len(lengths) != 2 * n or not isinstance(context, str) \
                    or sum(lengths) != len(context):
                raise ValueError("a damaged context file")
            self._cols = (*cols, lengths, context)
            self._index = dict(zip(ids, range(n)))
        except (KeyError, TypeError, ValueError, IndexError):
            self._index = {}
        return self._index

    def unchanged(self, c: Coding | Memo, crc: int | None) -> bool:
        """Whether ``c``'s context was taken on this very transcript file (same CRC) for the
        same offsets: then it still stands without looking at the text."""
        k = self._load().get(c.id)
        if k is None:
            e = self._entries.get(c.id)
            try:
                return e is not None and e[0] == c.start and e[1] == c.end and e[6] == crc
            except (TypeError, IndexError):
                return False
        starts, ends, _, _, crcs = self._cols[:5]
        return starts[k] == c.start and ends[k] == c.end and crcs[k] == crc

    def has(self, c: Coding | Memo) -> bool:
        """Whether :meth:`get` has an anchor for ``c`` (without making it)."""
        k = self._load().get(c.id)
        if k is None:
            return self._get_older(c) is not None
        starts, ends, qcrcs, _, crcs = self._cols[:5]
        return starts[k] == c.start and ends[k] == c.end and qcrcs[k] == _quote_crc(c.quote) \
            and crcs[k].__class__ is int

    def get(self, c: Coding | Memo) -> Anchor | None:
        """The context taken for coding ``c`` (same offsets and quote), else None."""
        k = self._load().get(c.id)
        if k is None:
            return self._get_older(c)
        starts, ends, qcrcs, quotes, crcs, lengths, context = self._cols
        if starts[k] != c.start or ends[k] != c.end or qcrcs[k] != _quote_crc(c.quote) \
                or crcs[k].__class__ is not int:
            return None     # another coding with this id, or a damaged entry: taken again
        if self._offsets is None:
            self._offsets = list(accumulate(lengths, initial=0))
        off = self._offsets
        quote = c.quote if c.quote is not None else quotes[k]
        return Anchor(quote, context[off[2 * k]:off[2 * k + 1]],
                      context[off[2 * k + 1]:off[2 * k + 2]], crcs[k])

    def _get_older(self, c: Coding | Memo) -> Anchor | None:
        e = self._entries.get(c.id)
        try:
            if e is not None and e[0] == c.start and e[1] == c.end \
                    and e[2] == _quote_crc(c.quote):
                quote = c.quote if c.quote is not None else e[3]
                return Anchor(quote, e[4], e[5], int(e[6]))
        except (TypeError, ValueError, IndexError):
            pass   # a damaged entry: taken again
        return None

    def empty(self) -> bool:
        """Whether the store held nothing when it was read (then :meth:`unchanged`, :meth:`has`
        and :meth:`get` are false/None for every coding until it is read again)."""
        return not self._load() and not self._entries

    def put_many(self, cs: list[Coding], text: str, crc: int | None) -> None:
        """:meth:`put` for codings ``cs`` of one transcript that no entry of the store read
        holds (see :meth:`empty`)."""
        if not cs:
            return
        ids, starts, ends, qcrcs, quotes, crcs, lengths, _ = self._new
        first = len(starts)
        ids.extend(map(_ID, cs))
        starts.extend(map(_START, cs))
        ends.extend(map(_END, cs))
        c_quotes = list(map(_QUOTE, cs))
        qcrcs.extend(map(_quote_crc, c_quotes))
        new_starts, new_ends = starts[first:], ends[first:]
        # the quote is kept only for a coding that has none (see put)
        quotes.extend(None if q is not None else text[a:b]
                      for a, b, q in zip(new_starts, new_ends, c_quotes))
        crcs.extend(repeat(crc, len(cs)))
        prefixes = [text[a - CONTEXT if a > CONTEXT else 0:a] for a in new_starts]
        suffixes = [text[b:b + CONTEXT] for b in new_ends]
        lengths.extend(chain.from_iterable(zip(map(len, prefixes), map(len, suffixes))))
        parts = self._parts
        parts.extend(chain.from_iterable(zip(prefixes, suffixes)))
        if len(parts) >= _JOIN:
            self._new[7].append("".join(parts))
            self._parts = []
        self.changed = True

    def put(self, c: Coding | Memo, text: str, crc: int | None) -> None:
        """Take coding ``c``'s context from ``text`` (where its quote is at its offsets), as
        :func:`workbench.anchoring.selector` records it."""
        start, end = c.start, c.end
        if start is None or end is None:
            return      # a memo with no span: nothing to take
        prefix, suffix = text[max(0, start - CONTEXT):start], text[end:end + CONTEXT]
        if c.id in self._load() or c.id in self._entries:
            self._replaced.add(c.id)
            self._entries.pop(c.id, None)
        ids, starts, ends, qcrcs, quotes, crcs, lengths, _ = self._new
        ids.append(c.id)
        starts.append(start)
        ends.append(end)
        qcrcs.append(_quote_crc(c.quote))
        # the quote is kept only for a coding that has none (the coding's own is the same text:
        # it was just found at its offsets)
        quotes.append(text[start:end] if c.quote is None else None)
        crcs.append(crc)
        lengths.append(len(prefix))
        lengths.append(len(suffix))
        parts = self._parts
        parts.append(prefix)
        parts.append(suffix)
        if len(parts) >= _JOIN:
            self._new[7].append("".join(parts))
            self._parts = []
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        index = self._load()
        ids: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        qcrcs = array("q")
        quotes: list[str | None] = []
        crcs: list[int | None] = []
        lengths = array("I")
        texts: list[str] = []
        if index:
            o_starts, o_ends, o_qcrcs, o_quotes, o_crcs, o_lengths, context = self._cols
            if not self._replaced & index.keys():
                ids += index
                starts, ends, quotes, crcs = (list(c) for c in (o_starts, o_ends, o_quotes,
                                                                 o_crcs))
                qcrcs.extend(o_qcrcs)
                lengths.extend(o_lengths)
                texts.append(context)
            else:
                off = list(accumulate(o_lengths, initial=0))
                names = list(index)
                for k in (k for cid, k in index.items() if cid not in self._replaced):
                    ids.append(names[k])
                    for out, col in ((starts, o_starts), (ends, o_ends), (qcrcs, o_qcrcs),
                                     (quotes, o_quotes), (crcs, o_crcs)):
                        out.append(col[k])
                    lengths.extend(o_lengths[2 * k:2 * k + 2])
                    texts.append(context[off[2 * k]:off[2 * k + 2]])
        for cid, e in self._entries.items():      # entries of a version-1 file
            try:
                start, end, qcrc, quote, prefix, suffix, crc = e
                if start.__class__ is int and end.__class__ is int and qcrc.__class__ is int \
                        and isinstance(prefix, str) and isinstance(suffix, str):
                    ids.append(cid)
                    starts.append(start)
                    ends.append(end)
                    qcrcs.append(qcrc)
                    quotes.append(quote)
                    crcs.append(crc)
                    lengths.extend((len(prefix), len(suffix)))
                    texts += (prefix, suffix)
            except (TypeError, ValueError):
                pass    # a damaged entry: taken again when needed
        n_ids, n_starts, n_ends, n_qcrcs, n_quotes, n_crcs, n_lengths, n_texts = self._new
        qcrcs.extend(n_qcrcs)
        lengths.extend(n_lengths)
        if ids:
            ids += n_ids
            starts += n_starts
            ends += n_ends
            quotes += n_quotes
            crcs += n_crcs
        else:       # only entries taken now: their columns as they are
            ids, starts, ends, quotes, crcs = n_ids, n_starts, n_ends, n_quotes, n_crcs
        texts += n_texts
        texts += self._parts
        self.file.save_stream(_context_pieces(ids, starts, ends, qcrcs, quotes, crcs, lengths,
                                              texts))
        self.changed = False


def _quote_crc(quote: str | None) -> int:
    return zlib.crc32(quote.encode("utf-8")) if quote is not None else -1


def _older_entries(raw) -> dict[str, list]:
    """The entries of a version-1 context file, by coding id, as ``[start, end, quote CRC,
    quote, prefix, suffix, transcript CRC]``. Two shapes were written: one list per coding id
    (the quote CRC of a coding without a quote was that of no text, 0), and — briefly — codings
    grouped by transcript, ``{tid: [crc, {id: [start, end, quote CRC, prefix, suffix, quote]}]}``."""
    out: dict[str, list] = {}
    if not isinstance(raw, dict):
        return out
    for key, v in raw.items():
        try:
            if isinstance(v, list) and len(v) == 2 and isinstance(v[1], dict):
                for cid, e in v[1].items():
                    start, end, qcrc, prefix, suffix, quote = e
                    out[cid] = [start, end, qcrc, quote, prefix, suffix, v[0]]
            elif isinstance(v, list) and len(v) == 7:
                start, end, qcrc, quote, prefix, suffix, crc = v
                out[key] = [start, end, -1 if qcrc == 0 else qcrc, quote, prefix, suffix, crc]
        except (TypeError, ValueError):
            continue    # a damaged entry: taken again when needed
    return out


def _context_pieces(ids, starts, ends, qcrcs, quotes, crcs, lengths, texts) -> Iterator[bytes]:
    yield b'{"id":'
    yield from json_list_pieces(ids)
    yield b',"start":' + json_bytes(pack_ints(array("q", starts)))
    yield b',"end":' + json_bytes(pack_ints(array("q", ends)))
    yield b',"qcrc":' + json_bytes(pack_ints(qcrcs))
    yield b',"quote":'
    yield from json_list_pieces(quotes)
    yield b',"crc":'
    yield from json_list_pieces(crcs)
    yield b',"lengths":' + json_bytes(pack_ints(lengths)) + b',"context":"'
    for text in texts:
        for i in range(0, len(text), 1 << 20):
            yield json_bytes(text[i:i + (1 << 20)])[1:-1]
    yield b'"}'
