"""Turns as TF-IDF vectors: what the learned evidence (a linear model and the nearest coded
examples) sees of a segment.

A segment is two bags of terms, each weighted TF-IDF and scaled to unit length on its own:

* **its words**: lowercase lemmas (stop words kept: "not clear" is not "clear") and the pairs of
  neighbouring lemmas (``"not clear"``);
* **its context**: the same for the last turn of each interviewer speaker before it — the
  question it answers. In a semi-structured interview the question says much about what the
  answer is about. It weighs ``CONTEXT_WEIGHT`` of the words.

plus one number for its length (``log(1 + words) / 5``): long turns carry more codes.

The TF-IDF is the usual one (as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``):
``(1 + log tf) * idf``, ``idf = ln((1 + n) / (1 + df)) + 1``, then L2-normalised; written here
so that a saved model is plain arrays (no pickle) — tests check it against scikit-learn.
"""
from __future__ import annotations

import math
import threading

import numpy
from scipy import sparse

from .tokens import pair_codes, per_lemma, runs, unique_inverse

CONTEXT_WEIGHT = 0.5
LENGTH_SCALE = 5.0
CONTEXT_PREFIX = "q:"

_USABLE: dict[str, bool] = {}


def _usable(lemma: str) -> bool:
    hit = _USABLE.get(lemma)
    if hit is None:
        hit = _USABLE[lemma] = len(lemma) >= 2 and any(ch.isalnum() for ch in lemma)
    return hit


def terms(lemmas) -> list[str]:
    """Unigrams and neighbouring pairs of the usable lemmas (in order)."""
    usable = _USABLE
    words = [w for w in lemmas if (usable[w] if w in usable else _usable(w))]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def segment_terms(f) -> tuple[list[str], list[str]]:
    """(words, context) terms of a segment's features ``f`` (see module doc)."""
    return terms(f.lemmas), [CONTEXT_PREFIX + t for t in terms(f.context)]


class _Terms:
    """Every term seen in this process gets a number, so that a segment's terms are counted,
    looked up in a vocabulary and turned into a sparse row with numpy, once per segment and not
    once per vectorizer (the cross-validations fit several on the same segments)."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self._lock = threading.Lock()
        self._rank: tuple[int, numpy.ndarray] = (0, numpy.zeros(0, dtype=numpy.int64))

    def rank(self) -> numpy.ndarray:
        """Each term's place among all terms in string order (``sorted``'s order)."""
        n, rank = self._rank
        if n != len(self.names):
            names = self.names[:]
            order = sorted(range(len(names)), key=names.__getitem__)
            rank = numpy.empty(len(names), dtype=numpy.int64)
            rank[order] = numpy.arange(len(names))
            self._rank = (len(names), rank)
        return rank

    def ids_of(self, terms_: list[str]) -> numpy.ndarray:
        ids = self.ids
        new = [t for t in terms_ if t not in ids]
        if new:
            with self._lock:
                for t in new:
                    if t not in ids:
                        self.names.append(t)
                        ids[t] = len(self.names) - 1
        return numpy.fromiter(map(ids.__getitem__, terms_), dtype=numpy.int64,
                              count=len(terms_))


TERMS = _Terms()
_LAST_CONTEXT: list = [(None, None)]   # (the last context seen, [its term ids, distinct])


def segment_ids(f) -> list:
    """[word term ids, context term ids, number of words, distinct word term ids, distinct
    context term ids] of segment features ``f``: the terms of :func:`segment_terms` as numbers
    of :data:`TERMS`, kept on ``f`` (the context's shared by the turns after the same
    question); the distinct ones are filled in by :func:`distinct_ids`."""
    hit = f.terms_cache
    if hit is not None:
        return hit
    if f.words_at is not None:
        tw, k = f.words_at
        ids, n_words, ctx = turn_ids(tw)
        hit = f.terms_cache = [ids[k], ctx[k][0], n_words[k], None, ctx[k]]
        return hit
    words = terms(f.lemmas)
    ctx = f.context
    last = _LAST_CONTEXT[0]
    if last[0] is ctx:
        ctx_ids = last[1]
    else:
        ctx_ids = [TERMS.ids_of([CONTEXT_PREFIX + t for t in terms(ctx)]), None]
        _LAST_CONTEXT[0] = (ctx, ctx_ids)
    hit = [TERMS.ids_of(words), ctx_ids[0], _n_words(words), None, ctx_ids]
    f.terms_cache = hit
    return hit


def turn_ids(tw) -> tuple[list, list[int], list[list]]:
    """:func:`segment_ids` of every segment of a :class:`~.tokens.TurnWords` at once, from its
    lemma numbers: (word term ids per segment, number of words per segment, [context term ids,
    None] per segment, one list shared by the segments with the same context). The same terms
    as :func:`terms` of the lemma strings: the usable lemmas in order, then their neighbouring
    pairs within the segment."""
    hit = tw.cache.get("vectors")
    if hit is not None:
        return hit
    n = len(tw)
    seg = tw.segment_of_words()
    (ids, id_seg), su = _sequence_ids(tw.words, tw.lemma, seg)
    n_words = numpy.bincount(su, minlength=n).tolist()
    order = numpy.argsort(id_seg, kind="stable")     # each segment's words, then its pairs
    at = runs(id_seg[order], n)
    per_seg = numpy.split(ids[order], at[1:-1])
    contexts: dict[tuple, list] = {}
    ctx = []
    prefixed = _prefixed
    as_context = prefixed(ids)[order]   # every term of the turns as a context term
    for parts in tw.contexts or [()] * n:
        c = contexts.get(parts)
        if c is None:
            if not parts:
                c_ids = numpy.zeros(0, dtype=numpy.int64)
            elif len(parts) == 1:
                c_ids = as_context[at[parts[0]]:at[parts[0] + 1]]
            else:
                lem = tw.lemmas_of(parts)
                (c_flat, _), _ = _sequence_ids(tw.words, lem,
                                               numpy.zeros(len(lem), dtype=numpy.int64))
                c_ids = prefixed(c_flat)
            c = contexts[parts] = [c_ids, None]
        ctx.append(c)
    out = (per_seg, n_words, ctx)
    tw.cache["vectors"] = out
    return out


def _sequence_ids(words, lemma, seg) -> tuple[tuple, numpy.ndarray]:
    """((term ids, their segments): the usable lemmas of ``lemma`` then the pairs of
    neighbouring usable lemmas of the same segment, segment of each usable lemma)."""
    usable = per_lemma(words, "vectors-usable", _usable, bool)
    keep = usable[lemma]
    lu, su = lemma[keep], seg[keep]
    uni = per_lemma(words, "vectors-term",
                    lambda w: TERMS.ids_of([w])[0] if _usable(w) else -1, numpy.int64)[lu]
    same = su[1:] == su[:-1]
    codes = pair_codes(lu[:-1][same], lu[1:][same])
    known = words.derived.setdefault("vectors-pairs", {})
    uc, _, inv = unique_inverse(codes)
    names = words.lemma_names
    shift = 1 << 32
    new = [c for c in uc.tolist() if c not in known]
    if new:
        got = TERMS.ids_of([f"{names[c // shift]} {names[c % shift]}" for c in new]).tolist()
        known.update(zip(new, got))
    pair = numpy.fromiter(map(known.__getitem__, uc.tolist()), dtype=numpy.int64,
                          count=len(uc))[inv.reshape(-1)]
    return ((numpy.concatenate([uni, pair]), numpy.concatenate([su, su[1:][same]])), su)


_CONTEXT_OF: list = [numpy.zeros(0, dtype=numpy.int64)]   # term id -> its "q:" term id (-1)


def _prefixed(ids: numpy.ndarray) -> numpy.ndarray:
    """The context terms (:data:`CONTEXT_PREFIX`) of term ids ``ids``."""
    have = _CONTEXT_OF[0]
    top = int(ids.max()) + 1 if len(ids) else 0
    if top > len(have):
        have = numpy.concatenate([have, numpy.full(max(top, 2 * len(have)) - len(have), -1,
                                                   dtype=numpy.int64)])
    todo = sorted(set(ids[have[ids] < 0].tolist()))
    if todo:
        names = TERMS.names
        have[todo] = TERMS.ids_of([CONTEXT_PREFIX + names[i] for i in todo])
    _CONTEXT_OF[0] = have
    return have[ids]


def distinct_ids(f) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(distinct word term ids, distinct context term ids) of segment features ``f``."""
    ids = segment_ids(f)
    if ids[3] is None:
        ids[3] = numpy.unique(ids[0])
    ctx = ids[4]
    if ctx[1] is None:
        ctx[1] = numpy.unique(ctx[0])
    return ids[3], ctx[1]


def _n_words(ts: list[str]) -> int:
    """Number of unigrams among terms (they come first; pairs contain a space)."""
    n = 0
    for t in ts:
        if " " in t:
            break
        n += 1
    return n


class Tfidf:
    """A fitted vocabulary with idf weights; ``transform`` gives L2-normalised rows."""

    def __init__(self, vocab: list[str], idf: numpy.ndarray):
        self.vocab = list(vocab)
        self.index = {t: i for i, t in enumerate(self.vocab)}
        self.idf = numpy.asarray(idf, dtype=numpy.float64)
        self._columns: numpy.ndarray | None = None   # term id -> column (-1: not in vocab)

    @classmethod
    def fit(cls, docs: list[list[str]]) -> Tfidf:
        df: dict[str, int] = {}
        for d in docs:
            for t in set(d):
                df[t] = df.get(t, 0) + 1
        vocab = sorted(df)
        n = len(docs)
        idf = numpy.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocab])
        return cls(vocab, idf)

    @classmethod
    def fit_ids(cls, distinct: list[numpy.ndarray]) -> Tfidf:
        """:meth:`fit` on documents given as their distinct term ids of :data:`TERMS` (the
        same vocabulary and weights)."""
        n = len(distinct)
        flat = numpy.concatenate(distinct) if n else numpy.zeros(0, dtype=numpy.int64)
        if not len(flat):
            return cls([], numpy.zeros(0))
        df = numpy.bincount(flat)
        present = numpy.flatnonzero(df)
        present = present[numpy.argsort(TERMS.rank()[present], kind="stable")]  # string order
        names = TERMS.names
        vocab = [names[i] for i in present.tolist()]
        idf = numpy.array([math.log((1 + n) / (1 + d)) + 1.0 for d in df[present].tolist()])
        return cls(vocab, idf)

    def transform(self, docs: list[list[str]]) -> sparse.csr_matrix:
        index = self.index
        rows, cols = [], []
        for r, d in enumerate(docs):
            js = [j for j in map(index.get, d) if j is not None]
            cols.extend(js)
            rows.extend([r] * len(js))
        return self._rows(numpy.array(rows, dtype=numpy.int64),
                          numpy.array(cols, dtype=numpy.int64), len(docs))

    def transform_ids(self, docs: list[numpy.ndarray]) -> sparse.csr_matrix:
        """:meth:`transform` of documents given as term ids of :data:`TERMS`."""
        columns = self._columns
        if columns is None:
            vocab_ids = TERMS.ids_of(self.vocab)
            size = int(vocab_ids.max()) + 1 if len(vocab_ids) else 0
            columns = numpy.full(size, -1, dtype=numpy.int64)
            columns[vocab_ids] = numpy.arange(len(self.vocab))
            self._columns = columns
        n = len(docs)
        lens = numpy.fromiter((len(d) for d in docs), dtype=numpy.int64, count=n)
        flat = numpy.concatenate(docs) if n else numpy.zeros(0, dtype=numpy.int64)
        rows = numpy.repeat(numpy.arange(n, dtype=numpy.int64), lens)
        known = flat < len(columns)     # a term numbered after the vocabulary is not in it
        cols = numpy.full(len(flat), -1, dtype=numpy.int64)
        cols[known] = columns[flat[known]]
        keep = cols >= 0
        return self._rows(rows[keep], cols[keep], n)

    def _rows(self, rows: numpy.ndarray, cols: numpy.ndarray, n: int) -> sparse.csr_matrix:
        """The TF-IDF rows of the (row, column) term occurrences, L2-normalised: the very
        matrix of :meth:`_rows_plain` (values and their order in each row), with the counts
        made by one sort instead of scipy's conversions."""
        v = max(1, len(self.vocab))
        key = numpy.sort(rows * v + cols)
        new = numpy.ones(len(key), dtype=bool)
        numpy.not_equal(key[1:], key[:-1], out=new[1:])
        first = numpy.flatnonzero(new)
        counts = numpy.diff(numpy.append(first, len(key))).astype(numpy.float64)
        r, c = key[first] // v, key[first] % v
        indptr = runs(r, n)
        idx = numpy.int32 if max(len(first), len(self.vocab)) < 2 ** 31 - 1 else numpy.int64
        data = (1.0 + numpy.log(counts)) * self.idf[c]
        m = sparse.csr_matrix((data, c.astype(idx), indptr.astype(idx)),
                              shape=(n, len(self.vocab)))
        m.has_canonical_format = True
        norms = numpy.sqrt(numpy.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        # as sparse.diags(1 / norms) @ m: each value times its row's factor, the entries of a
        # row in descending column order (as scipy's sparse product leaves them)
        vals = (1.0 / norms)[r] * data
        at = indptr[r] + indptr[r + 1] - 1 - numpy.arange(len(r))
        out_data = numpy.empty_like(vals)
        out_idx = numpy.empty(len(c), dtype=idx)
        out_data[at] = vals
        out_idx[at] = c
        if not out_data.all():      # a zero product is dropped by the product
            return self._rows_plain(rows, cols, n)
        return sparse.csr_matrix((out_data, out_idx, indptr.astype(idx)),
                                 shape=(n, len(self.vocab)))

    def _rows_plain(self, rows: numpy.ndarray, cols: numpy.ndarray, n: int
                    ) -> sparse.csr_matrix:
        m = sparse.csr_matrix((numpy.ones(len(cols)), (rows, cols)), shape=(n, len(self.vocab)))
        m.sum_duplicates()
        m.data = (1.0 + numpy.log(m.data)) * self.idf[m.indices]
        norms = numpy.sqrt(numpy.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        m = sparse.diags(1.0 / norms) @ m
        return sparse.csr_matrix(m)


class SegmentVectorizer:
    """Words block + context block + length, as one sparse row per segment."""

    def __init__(self, words: Tfidf, context: Tfidf):
        self.words = words
        self.context = context

    @property
    def n_features(self) -> int:
        return len(self.words.vocab) + len(self.context.vocab) + 1

    @classmethod
    def fit(cls, feats) -> SegmentVectorizer:
        ids = [distinct_ids(f) for f in feats]
        return cls(Tfidf.fit_ids([w for w, _ in ids]), Tfidf.fit_ids([c for _, c in ids]))

    def transform(self, feats) -> sparse.csr_matrix:
        ids = [segment_ids(f) for f in feats]
        w = self.words.transform_ids([p[0] for p in ids])
        c = self.context.transform_ids([p[1] for p in ids]) * CONTEXT_WEIGHT
        n = numpy.array([[math.log1p(p[2]) / LENGTH_SCALE]
                         for p in ids]).reshape(len(feats), 1)
        return sparse.hstack([w, c, sparse.csr_matrix(n)], format="csr")

    def feature_name(self, j: int) -> str:
        nw = len(self.words.vocab)
        if j < nw:
            return self.words.vocab[j]
        if j < nw + len(self.context.vocab):
            return self.context.vocab[j - nw]
        return "<length>"

    # -- persistence (plain arrays) --------------------------------------------------------------
    def arrays(self, prefix: str = "vec") -> dict:
        return {f"{prefix}_words_vocab": numpy.array(self.words.vocab, dtype=str),
                f"{prefix}_words_idf": self.words.idf,
                f"{prefix}_context_vocab": numpy.array(self.context.vocab, dtype=str),
                f"{prefix}_context_idf": self.context.idf}

    @classmethod
    def from_arrays(cls, a, prefix: str = "vec") -> SegmentVectorizer:
        return cls(Tfidf([str(x) for x in a[f"{prefix}_words_vocab"]], a[f"{prefix}_words_idf"]),
                   Tfidf([str(x) for x in a[f"{prefix}_context_vocab"]],
                         a[f"{prefix}_context_idf"]))
