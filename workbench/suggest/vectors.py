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

import numpy
from scipy import sparse

CONTEXT_WEIGHT = 0.5
LENGTH_SCALE = 5.0
CONTEXT_PREFIX = "q:"


def _usable(lemma: str) -> bool:
    return len(lemma) >= 2 and any(ch.isalnum() for ch in lemma)


def terms(lemmas) -> list[str]:
    """Unigrams and neighbouring pairs of the usable lemmas (in order)."""
    words = [w for w in lemmas if _usable(w)]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def segment_terms(f) -> tuple[list[str], list[str]]:
    """(words, context) terms of a segment's features ``f`` (see module doc; cached on it)."""
    hit = getattr(f, "terms_cache", None)
    if hit is None:
        hit = (terms(f.lemmas), [CONTEXT_PREFIX + t for t in terms(f.context)])
        try:
            f.terms_cache = hit
        except AttributeError:
            pass
    return hit


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

    def transform(self, docs: list[list[str]]) -> sparse.csr_matrix:
        index = self.index
        rows, cols = [], []
        for r, d in enumerate(docs):
            js = [j for j in map(index.get, d) if j is not None]
            cols.extend(js)
            rows.extend([r] * len(js))
        m = sparse.csr_matrix((numpy.ones(len(cols)), (numpy.array(rows, dtype=numpy.int64),
                                                       numpy.array(cols, dtype=numpy.int64))),
                              shape=(len(docs), len(self.vocab)))
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
        pairs = [segment_terms(f) for f in feats]
        return cls(Tfidf.fit([w for w, _ in pairs]), Tfidf.fit([c for _, c in pairs]))

    def transform(self, feats) -> sparse.csr_matrix:
        pairs = [segment_terms(f) for f in feats]
        w = self.words.transform([p[0] for p in pairs])
        c = self.context.transform([p[1] for p in pairs]) * CONTEXT_WEIGHT
        n = numpy.array([[math.log1p(_n_words(p[0])) / LENGTH_SCALE]
                         for p in pairs]).reshape(len(feats), 1)
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
