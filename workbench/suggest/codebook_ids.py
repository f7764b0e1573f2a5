"""The codebook evidence's terms of many segments at once, from their lemma numbers
(:class:`~.tokens.TurnWords`) instead of each segment's lemma strings.

:meth:`.codebook_text.CodebookIndex.score_matrix` needs, per segment, the count of each of the
codebook's terms in the turn and the codebook's terms of its question. The terms are those of
:class:`~.codebook_text.ContentTerms` — content lemmas and the joined form of neighbouring word
lemmas — and only the ones the codebook uses matter, so here each lemma's flags and codebook
column are looked up once per distinct lemma, each distinct pair of lemmas once, and the counts
of a whole transcript made with numpy. The plain path (:meth:`~.codebook_text.CodebookIndex.
turn_terms`) gives the same counts of the same terms (tests/test_suggest_fastpaths.py).
"""
from __future__ import annotations

import math

import numpy

from .tokens import pair_codes, per_lemma, runs, unique_inverse

_LOG1: list[float] = [0.0]      # 1 + ln n for n = 1, 2, … (index n), as math.log gives it


def one_plus_log(counts: numpy.ndarray) -> numpy.ndarray:
    """``1 + math.log(n)`` of every count (the very numbers of the plain path)."""
    top = int(counts.max()) if len(counts) else 0
    while len(_LOG1) <= top:
        _LOG1.append(1.0 + math.log(len(_LOG1)))
    return numpy.asarray(_LOG1, dtype=numpy.float64)[counts]


def _lemma_columns(index, words) -> tuple[numpy.ndarray, numpy.ndarray, dict]:
    """(flags per lemma number, codebook column per lemma number or -1, {pair code: column or
    -1}) of ``index`` for the lemma numbers of ``words`` (kept on the index)."""
    col = index._score_matrices()[0]
    cache = index.__dict__.setdefault("_ids", {})
    if cache.get("words") is not words:
        cache.clear()
        cache.update(words=words, pairs={}, cols=(numpy.zeros(0, dtype=numpy.int64), 0))
    flags = per_lemma(words, ("codebook-flags", index.stop_words), index.terms._flag,
                      numpy.int8)
    arr, done = cache["cols"]
    n = len(words.lemma_names)
    if done < n:
        new = numpy.fromiter((col.get(w, -1) for w in words.lemma_names[done:n]),
                             dtype=numpy.int64, count=n - done)
        arr = numpy.concatenate([arr, new])
        cache["cols"] = (arr, n)
    return flags, arr, cache["pairs"]


def _entries(index, words, lemma, seg, n_seg: int, n_col: int):
    """(segment, column, count) of every codebook term in the word lemmas ``lemma`` of
    segments ``seg``, one row per distinct (segment, column), sorted; offsets per segment."""
    flags, lemcol, pairs = _lemma_columns(index, words)
    fl = flags[lemma]
    word = fl != 0
    lw, sw, fw = lemma[word], seg[word], fl[word]
    content = (fw & 2) != 0
    join = ((fw[:-1] & fw[1:] & 4) != 0) & (sw[:-1] == sw[1:])
    codes = pair_codes(lw[:-1][join], lw[1:][join])
    uc, _, inv = unique_inverse(codes)
    new = [c for c in uc.tolist() if c not in pairs]
    if new:
        col = index._score_matrices()[0]
        names = words.lemma_names
        shift = 1 << 32
        pairs.update((c, col.get(names[c // shift] + names[c % shift], -1)) for c in new)
    pair_col = numpy.fromiter(map(pairs.__getitem__, uc.tolist()), dtype=numpy.int64,
                              count=len(uc))[inv.reshape(-1)]
    cols = numpy.concatenate([lemcol[lw[content]], pair_col])
    segs = numpy.concatenate([sw[content], sw[1:][join]])
    keep = cols >= 0
    key, _, inv = unique_inverse(segs[keep] * n_col + cols[keep])
    counts = numpy.bincount(inv, minlength=len(key))
    seg_e = key // n_col
    return seg_e, key % n_col, counts, runs(seg_e, n_seg)


def _turn_table(index, tw, n_col: int):
    """The codebook terms of every segment of ``tw`` and of each of its contexts (kept on it
    for this index)."""
    hit = tw.cache.get("codebook")
    if hit is not None and hit[0] is index:
        return hit[1]
    n = len(tw)
    seg_e, col_e, cnt, at = _entries(index, tw.words, tw.lemma, tw.segment_of_words(), n, n_col)
    contexts: dict[tuple, numpy.ndarray] = {}
    for parts in set(tw.contexts):
        if len(parts) == 1:
            k = parts[0]
            contexts[parts] = col_e[at[k]:at[k + 1]]
        elif parts:
            lem = tw.lemmas_of(parts)
            _, c, _, _ = _entries(index, tw.words, lem, numpy.zeros(len(lem), dtype=numpy.int64),
                                  1, n_col)
            contexts[parts] = c
    out = (col_e, cnt, at, contexts)
    tw.cache["codebook"] = (index, out)
    return out


def turn_columns(index, feats, rows: list[int]):
    """(rows, columns, 1 + ln count, question rows, question columns) of the codebook terms of
    segment features ``feats`` (each with ``words_at``), at rows ``rows`` of the matrix (see
    :meth:`~.codebook_text.CodebookIndex.score_matrix`)."""
    col = index._score_matrices()[0]
    n_col = max(1, len(col))
    by_table: dict[int, tuple] = {}
    for f, r in zip(feats, rows):
        tw, k = f.words_at
        entry = by_table.get(id(tw))
        if entry is None:
            entry = by_table[id(tw)] = (tw, [], [], [])
        entry[1].append(k)
        entry[2].append(r)
        entry[3].append(f)
    out_r, out_c, out_n, q_r, q_c = [], [], [], [], []
    for tw, ks, rs, fs in by_table.values():
        col_e, cnt, at, contexts = _turn_table(index, tw, n_col)
        ks_a = numpy.asarray(ks, dtype=numpy.int64)
        a, lens = at[ks_a], at[ks_a + 1] - at[ks_a]
        take = numpy.repeat(a - numpy.cumsum(lens) + lens, lens) + numpy.arange(int(lens.sum()))
        r_t = numpy.repeat(numpy.asarray(rs, dtype=numpy.int64), lens)
        out_r.append(r_t)
        out_c.append(col_e[take])
        out_n.append(cnt[take])
        qs: list = []
        qrow: list[int] = []
        qlen: list[int] = []
        for k, r, f in zip(ks, rs, fs):
            parts = tw.contexts[k] if tw.contexts else ()
            if parts:
                q = contexts[parts]
            elif f.question:
                q = numpy.array(sorted({col[t] for t in f.question if t in col}),
                                dtype=numpy.int64)
            else:
                continue
            qs.append(q)
            qrow.append(r)
            qlen.append(len(q))
        if qs:
            qr, qc = numpy.repeat(numpy.asarray(qrow, dtype=numpy.int64), qlen), numpy.concatenate(qs)
            fresh = ~numpy.isin(qr * n_col + qc, r_t * n_col + col_e[take])
            q_r.append(qr[fresh])
            q_c.append(qc[fresh])
    empty = numpy.zeros(0, dtype=numpy.int64)

    def cat(xs):
        return numpy.concatenate(xs) if xs else empty
    return (cat(out_r), cat(out_c), one_plus_log(cat(out_n)), cat(q_r), cat(q_c))


def corpus_frequencies(lemma, terms, texts) -> tuple[dict[str, int], int]:
    """In how many of ``texts`` each term of ``terms`` (a :class:`~.codebook_text.ContentTerms`)
    occurs, the words found by the regex ``\\w+`` and lemmatised by ``lemma`` (lowercase word ->
    lemma): :func:`.codebook_text.corpus_frequencies` with each distinct written word looked up
    once and the terms of all texts counted with numpy."""
    import re
    from itertools import chain
    find = re.compile(r"\w+", re.UNICODE).findall
    found = [find(t) for t in texts]
    n_texts = len(found)
    flat = list(chain.from_iterable(found))
    term_of: dict[str, int] = {}     # term -> number
    names: list[str] = []

    def number(t: str) -> int:
        k = term_of.get(t)
        if k is None:
            k = term_of[t] = len(names)
            names.append(t)
        return k
    code: dict[str, int] = {}       # word as written -> its lemma's term number * 8 + flags
    flags = terms._flags
    for w in set(flat):
        lem = lemma(w.lower())
        code[w] = number(lem) * 8 + (flags[lem] if lem in flags else terms._flag(lem))
    text_of = numpy.repeat(numpy.arange(n_texts, dtype=numpy.int64),
                           numpy.fromiter(map(len, found), dtype=numpy.int64, count=n_texts))
    both = numpy.fromiter(map(code.__getitem__, flat), dtype=numpy.int64, count=len(flat))
    term, fl = both >> 3, both & 7
    word = fl != 0
    tw, sw, fw = term[word], text_of[word], fl[word]
    content = (fw & 2) != 0
    join = ((fw[:-1] & fw[1:] & 4) != 0) & (sw[:-1] == sw[1:])
    codes = pair_codes(tw[:-1][join], tw[1:][join])
    uc, _, inv = unique_inverse(codes)
    shift = 1 << 32
    pair = numpy.fromiter((number(names[c // shift] + names[c % shift]) for c in uc.tolist()),
                          dtype=numpy.int64, count=len(uc))[inv.reshape(-1)]
    n_terms = max(1, len(names))
    key = numpy.sort(numpy.concatenate([sw[content] * n_terms + tw[content],
                                        sw[1:][join] * n_terms + pair]))
    key = key[numpy.concatenate([key[:1] == key[:1], key[1:] != key[:-1]])]   # each once
    df = numpy.bincount(key % n_terms, minlength=n_terms)
    have = numpy.flatnonzero(df)
    return dict(zip([names[i] for i in have.tolist()], df[have].tolist())), n_texts


def turn_terms(index, f) -> tuple[dict[str, int], set[str]]:
    """:meth:`.codebook_text.CodebookIndex.turn_terms` of segment features ``f`` (with
    ``words_at``) restricted to the codebook's terms — all that its scores and matches read —
    from the table of its transcript (kept there, not on ``f``: it belongs to this index)."""
    tw, k = f.words_at
    col = index._score_matrices()[0]
    col_e, cnt, at, contexts = _turn_table(index, tw, max(1, len(col)))
    memo = tw.cache.setdefault("codebook-terms", {})
    hit = memo.get(k)
    if hit is not None and hit[0] is index:
        return hit[1]
    cache = index.__dict__.setdefault("_ids", {})
    names = cache.get("names")
    if names is None:
        names = cache["names"] = numpy.empty(len(col), dtype=object)
        for t, j in col.items():
            names[j] = t
    a, b = int(at[k]), int(at[k + 1])
    tf = dict(zip(names[col_e[a:b]].tolist(), cnt[a:b].tolist()))
    parts = tw.contexts[k] if tw.contexts else ()
    q = set(names[contexts[parts]].tolist()) if parts else set(f.question)
    memo[k] = (index, (tf, q))
    return tf, q


def rounded6(x: numpy.ndarray) -> numpy.ndarray:
    """``round(v, 6)`` of every value (Python's correctly rounded decimal rounding): numpy's
    ``rint(v * 1e6) / 1e6`` gives the same double wherever ``v * 1e6`` is not within a
    thousandth of a half (the product's rounding error is far smaller); those few are rounded
    by Python."""
    x = numpy.asarray(x, dtype=numpy.float64)
    y = x * 1e6
    out = numpy.rint(y) / 1e6
    near = numpy.abs(y - numpy.floor(y) - 0.5) < 1e-3
    near |= ~numpy.isfinite(y)
    if near.any():
        out[near] = [round(v, 6) for v in x[near].tolist()]
    return out
