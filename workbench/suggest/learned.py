"""Evidence from coded examples: a linear model per code and the nearest coded examples, both on
the TF-IDF vectors of :mod:`workbench.suggest.vectors`.

* :class:`LinearCodes` — one logistic regression per code (scikit-learn, ``liblinear`` in its
  dual form, fast when there are more terms than segments; ``C = LINEAR_C``), one-vs-rest. Its
  reason is the terms that pushed the score up most (``words: query, submit; question: clear``).
* :class:`NearestExamples` — the ``NEAREST_K`` most similar coded segments (cosine), each
  weighing its similarity: the share of them that carry the code. Its reason is the most similar
  coded segment with that code (a short quote, its transcript and turn), which the coder can
  look up.

Both are plain arrays, saved without pickle by :mod:`workbench.suggest.model`.
Chosen by measurement on the SERDIF corpus (bench/bench_suggest_real.py): the spaCy
``textcat_multilabel`` used before reached micro F1 0.48 at its best threshold; this linear
model reaches about 0.60 on the same units and folds.
"""
from __future__ import annotations

import numpy
from scipy import sparse

LINEAR_C = 10.0
NEAREST_K = 20
QUOTE_CHARS = 90
DENSE_FACTOR = 8          # similarities: the dense way when its steps are at most 8x as many
DENSE_CELLS = 4_000_000   # segments x terms made dense at a time (16 MB)


def fitting():
    """scikit-learn's settings while the workbench fits its own, well-formed data: the checks of
    every value for NaN or infinity and of the fixed hyper-parameters are skipped on each of the
    many small fits (a fifth of their time); the fits themselves are the same."""
    import sklearn
    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


def _sigmoid(z):
    return 1.0 / (1.0 + numpy.exp(-numpy.clip(z, -30.0, 30.0)))


class LinearCodes:
    """``coef`` (codes x features) and ``intercept`` (codes); a code with no positive example
    has no model (``trained[j]`` False)."""

    def __init__(self, coef, intercept, trained):
        self.coef = numpy.asarray(coef, dtype=numpy.float32)
        self.intercept = numpy.asarray(intercept, dtype=numpy.float64)
        self.trained = numpy.asarray(trained, dtype=bool)

    @classmethod
    def fit(cls, X, Y, C: float = LINEAR_C) -> LinearCodes:
        from sklearn.linear_model import LogisticRegression
        n_codes = Y.shape[1]
        coef = numpy.zeros((n_codes, X.shape[1]), dtype=numpy.float32)
        intercept = numpy.full(n_codes, -30.0)
        trained = numpy.zeros(n_codes, dtype=bool)
        with fitting():
            for j in range(n_codes):
                y = Y[:, j]
                pos = int(y.sum())
                if pos == 0:
                    continue
                if pos == len(y):
                    intercept[j] = 30.0
                    trained[j] = True
                    continue
                m = LogisticRegression(C=C, solver="liblinear", dual=True).fit(X, y)
                coef[j] = m.coef_[0]
                intercept[j] = m.intercept_[0]
                trained[j] = True
        return cls(coef, intercept, trained)

    def logits(self, X) -> numpy.ndarray:
        """(segments x codes) log-odds."""
        z = X @ self.coef.T.astype(numpy.float64)
        z = numpy.asarray(z) + self.intercept
        return z

    def proba(self, X) -> numpy.ndarray:
        return _sigmoid(self.logits(X))

    def top_terms(self, x_row, j: int, vectorizer, k: int = 3) -> tuple[list[str], list[str]]:
        """(turn terms, question terms) that pushed code ``j`` up most in one segment's row."""
        row = x_row.tocsr() if sparse.issparse(x_row) else sparse.csr_matrix(x_row)
        return self.top_terms_of(row.indices, row.data, j, vectorizer, k)

    def top_terms_of(self, indices, data, j: int, vectorizer, k: int = 3
                     ) -> tuple[list[str], list[str]]:
        """:meth:`top_terms` of a row given as its column ``indices`` and values ``data``."""
        indices = numpy.asarray(indices)
        contrib = numpy.asarray(data, dtype=numpy.float64) * self.coef[j, indices].astype(
            numpy.float64)
        keep = contrib > 0
        cols, vals = indices[keep], contrib[keep]
        order = numpy.lexsort((-cols, -vals))     # value, then column, both descending
        words: list[str] = []
        question: list[str] = []
        for c in cols[order].tolist():
            name = vectorizer.feature_name(c)
            if name == "<length>":
                continue
            if name.startswith("q:"):
                if len(question) < k:
                    question.append(name[2:])
            elif len(words) < k:
                words.append(name)
            if len(words) >= k and len(question) >= k:
                break
        return words, question


class NearestExamples:
    """The coded training segments as normalised rows, their labels and where they are."""

    def __init__(self, X, Y, refs: list, quotes: list[str], k: int = NEAREST_K):
        self.X = normalize_rows(X).astype(numpy.float32)
        self.Y = numpy.asarray(Y, dtype=bool)
        self.refs = list(refs)         # (transcript, segment index) per row
        self.quotes = list(quotes)
        self.k = k
        self._XT: sparse.csr_matrix | None = None     # X transposed, made once
        self._Yf: numpy.ndarray | None = None
        self._term_counts: numpy.ndarray | None = None   # examples with each term

    def score(self, X) -> tuple[numpy.ndarray, numpy.ndarray]:
        """(segments x codes) similarity-weighted share of the k nearest examples that carry
        each code, and the (segments x examples) cosine similarities (for :meth:`best`)."""
        n, n_codes = X.shape[0], self.Y.shape[1]
        scores = numpy.zeros((n, n_codes))
        if n == 0 or self.X.shape[0] == 0:
            return scores, numpy.zeros((n, self.X.shape[0]), dtype=numpy.float32)
        if self._Yf is None:
            self._Yf = self.Y.astype(numpy.float64)
        S = self.similarities(normalize_rows(X).astype(numpy.float32))
        k = min(self.k, S.shape[1])
        top = numpy.argpartition(-S, k - 1, axis=1)[:, :k]
        w = numpy.take_along_axis(S, top, axis=1).astype(numpy.float64)
        total = w.sum(1)
        sums = numpy.einsum("nk,nkc->nc", w, self._Yf[top])
        ok = total > 0
        scores[ok] = sums[ok] / total[ok, None]
        return scores, S

    def similarities(self, Q) -> numpy.ndarray:
        """(segments x examples) cosine similarities of the unit rows ``Q`` (float32) to the
        examples: the sum over their shared terms, in the order of the terms, in single
        precision. Two ways give these very numbers — the sparse product (work: the pairs of
        a segment and an example sharing a term) and each example's row against the segments
        as dense columns (work: every example term times every segment, but a tenth of the
        time per step, with no second pass to size the result); the cheaper one is taken."""
        E = self.X
        n, m = Q.shape[0], E.shape[0]
        if self._term_counts is None:
            self._term_counts = numpy.bincount(E.indices, minlength=E.shape[1]).astype(
                numpy.int64)
        shared = int(numpy.bincount(Q.indices, minlength=Q.shape[1]).astype(numpy.int64)
                     @ self._term_counts)
        if (E.nnz * n <= DENSE_FACTOR * shared and Q.has_sorted_indices
                and E.has_sorted_indices):
            S = numpy.empty((n, m), dtype=numpy.float32)
            step = max(1, DENSE_CELLS // max(1, Q.shape[1]))
            for a in range(0, n, step):
                cols = numpy.ascontiguousarray(Q[a:a + step].toarray().T)
                S[a:a + step] = (E @ cols).T
            return S
        if self._XT is None:
            self._XT = sparse.csr_matrix(E.T)   # the conversion the product would make
        return (Q @ self._XT).toarray()

    def best(self, sims_row, j: int) -> int:
        """The most similar example carrying code ``j`` (its row), or -1."""
        rows = self._rows(j)
        if not len(rows):
            return -1
        k = int(rows[int(numpy.argmax(sims_row[rows]))])
        return k if sims_row[k] > 0 else -1

    def _rows(self, j: int):
        cache = self.__dict__.setdefault("_rows_cache", {})
        if j not in cache:
            cache[j] = numpy.flatnonzero(self.Y[:, j])
        return cache[j]

    def describe(self, row: int) -> str:
        tid, seg = self.refs[row]
        return f"like {tid} turn {seg + 1}: “{self.quotes[row]}”"


def normalize_rows(X) -> sparse.csr_matrix:
    """A copy of sparse ``X`` with each row scaled to unit length: the very numbers of
    scikit-learn's ``normalize(X)`` (the squares summed in order in double precision, each
    value divided by the root), without importing scikit-learn to make a suggestion."""
    X = sparse.csr_matrix(X, copy=True)
    if X.dtype not in (numpy.float32, numpy.float64):
        X = X.astype(numpy.float64)
    n = X.shape[0]
    lens = numpy.diff(X.indptr)
    if not n or not X.nnz:
        return X
    # each row's squares laid out left-aligned, zeros after: a cumulative sum along the row
    # adds them one after the other (adding zeros changes nothing), as the Cython loop does
    width = int(lens.max())
    squares = X.data * X.data          # in the data's own precision, as there
    sums = numpy.zeros(n)
    step = max(1, 1_000_000 // width)   # rows at a time (bounded memory)
    for a in range(0, n, step):
        b = min(n, a + step)
        lo, hi = X.indptr[a], X.indptr[b]
        block = numpy.zeros((b - a, width))
        rows = numpy.repeat(numpy.arange(b - a), lens[a:b])
        block[rows, numpy.arange(hi - lo) - numpy.repeat(X.indptr[a:b] - lo, lens[a:b])] = \
            squares[lo:hi]
        sums[a:b] = numpy.cumsum(block, axis=1)[:, -1]
    scale = numpy.repeat(numpy.where(sums == 0.0, 1.0, numpy.sqrt(sums)), lens)
    X.data = (X.data.astype(numpy.float64) / scale).astype(X.dtype)
    return X


def short_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return (cut or text[:limit]) + "…"
