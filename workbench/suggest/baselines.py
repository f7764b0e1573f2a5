"""Simple methods the suggestions must beat, scored on the same units and folds.

* ``name words`` — a code is suggested when any word of its name (3+ letters, not a stop word;
  its first 5 letters, so "navigation" also finds "navigate") occurs in the turn; ranked by how
  many of its name words occur. Needs no coding at all.
* ``most frequent code`` — the code the training folds used most, on every turn.
* ``TF-IDF + logistic regression`` — scikit-learn's ``TfidfVectorizer`` (1–2-grams of the turn's
  text) and one logistic regression per code (``class_weight="balanced"``), suggested at
  probability 0.5: the ten-line method anyone would try first.

Each baseline is ``fn(train, test, text_of, codes, stop_words) -> (pred, scores)`` with
``train``/``test`` {unit: codes}, ``pred`` {unit: set of codes} and ``scores`` {unit: {code:
score}} (for the ranking measures).
"""
from __future__ import annotations

import re

PREFIX = 5
_WORD = re.compile(r"\w+", re.UNICODE)


def name_words(train, test, text_of, codes, stop_words, codebook=None):
    prefixes = {}
    for c in codes:
        name = codebook.codes[c].name if codebook is not None and c in codebook.codes else c
        words = {w.lower() for w in _WORD.findall(name)}
        prefixes[c] = {w[:PREFIX] for w in words
                       if len(w) >= 3 and w not in stop_words and not w.isdigit()}
    pred, scores = {}, {}
    for u in test:
        have = {w.lower()[:PREFIX] for w in _WORD.findall(text_of(u))}
        sc = {c: float(len(p & have)) for c, p in prefixes.items() if p & have}
        scores[u] = sc
        pred[u] = set(sc)
    return pred, scores


def most_frequent(train, test, text_of, codes, stop_words, codebook=None):
    counts = {c: 0 for c in codes}
    for labels in train.values():
        for c in labels:
            if c in counts:
                counts[c] += 1
    if not any(counts.values()):
        return {u: set() for u in test}, {u: {} for u in test}
    top = max(codes, key=lambda c: (counts[c], -codes.index(c)))
    sc = {c: float(n) for c, n in counts.items() if n}
    return {u: {top} for u in test}, {u: dict(sc) for u in test}


def tfidf_logreg(train, test, text_of, codes, stop_words, codebook=None):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    tr = list(train)
    te = list(test)
    pred: dict[tuple, set[str]] = {u: set() for u in te}
    scores: dict[tuple, dict[str, float]] = {u: {} for u in te}
    if not tr or not te:
        return pred, scores
    from .learned import fitting
    vec = TfidfVectorizer(ngram_range=(1, 2))
    try:
        Xa = vec.fit_transform([text_of(u) for u in tr])
    except ValueError:   # no words at all
        return pred, scores
    Xb = vec.transform([text_of(u) for u in te])
    for c in codes:
        y = [1 if c in train[u] else 0 for u in tr]
        if not any(y):
            continue
        if all(y):
            p = [1.0] * len(te)
        else:
            with fitting():
                m = LogisticRegression(class_weight="balanced", max_iter=1000).fit(Xa, y)
                p = m.predict_proba(Xb)[:, 1]
        for u, v in zip(te, p):
            scores[u][c] = float(v)
            if v >= 0.5:
                pred[u].add(c)
    return pred, scores


# (name, function, what it learns from the training folds: nothing, the codes' frequencies, or
# the coded examples themselves — left out when the suggestions are evaluated without examples)
BASELINES = (("name words", name_words, "nothing"),
             ("most frequent code", most_frequent, "frequencies"),
             ("TF-IDF + logistic regression", tfidf_logreg, "examples"))
