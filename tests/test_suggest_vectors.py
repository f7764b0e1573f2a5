"""The numerical parts written here, checked against independent implementations: TF-IDF against
scikit-learn's TfidfVectorizer, the combiner's penalised logistic regression against scikit-learn's
LogisticRegression, the nearest-example score against a brute-force loop, and the learned
threshold's rules."""
from __future__ import annotations

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.suggest.combine import best_threshold, fit_logistic, learned_threshold
from workbench.suggest.learned import NearestExamples
from workbench.suggest.vectors import Tfidf, terms

WORDS = st.sampled_from("fund grant staff engineer export china loan cheap the we".split())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(WORDS, min_size=1, max_size=12), min_size=2, max_size=12))
def test_tfidf_matches_scikit_learn(docs):
    from sklearn.feature_extraction.text import TfidfVectorizer
    mine = Tfidf.fit(docs)
    theirs = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit(docs)
    assert mine.vocab == list(theirs.get_feature_names_out())
    numpy.testing.assert_allclose(mine.idf, theirs.idf_, rtol=1e-12)
    new = docs[::-1] + [["unseen", "fund"]]
    numpy.testing.assert_allclose(mine.transform(new).toarray(),
                                  theirs.transform(new).toarray(), rtol=1e-9, atol=1e-12)


def test_terms_are_words_and_neighbouring_pairs():
    assert terms(["we", "are", "not", "clear", ",", "a"]) == [
        "we", "are", "not", "clear", "we are", "are not", "not clear"]


def test_penalised_logistic_regression_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression
    rng = numpy.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X @ [1.5, -2.0, 0.5] + 0.3 + rng.normal(size=300) > 0).astype(float)
    ridge = 2.0
    mine = fit_logistic(X, y, numpy.zeros(4), ridge, iters=100)
    A = numpy.column_stack([numpy.ones(len(X)), X])   # the bias is penalised too
    ref = LogisticRegression(C=1 / ridge, fit_intercept=False, tol=1e-10, max_iter=10_000)
    ref.fit(A, y)
    numpy.testing.assert_allclose(mine, ref.coef_[0], atol=1e-4)


def test_the_prior_pulls_the_weights_and_frozen_ones_stay_zero():
    rng = numpy.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(float)
    prior = numpy.array([0.0, 0.0, 5.0])
    loose = fit_logistic(X, y, prior, 0.01)
    tight = fit_logistic(X, y, prior, 1e6)
    numpy.testing.assert_allclose(tight, prior, atol=1e-3)
    assert abs(loose[2]) < 2.0                 # the data say the second weight is small
    frozen = fit_logistic(X, y, prior, 1.0, free=numpy.array([True, False]))
    assert frozen[2] == 0.0 and frozen[1] > 0


def test_nearest_examples_score_matches_a_brute_force_loop():
    rng = numpy.random.default_rng(2)
    Xtr = rng.random((30, 8)) * (rng.random((30, 8)) > 0.5)
    Y = rng.random((30, 3)) > 0.6
    Xte = rng.random((5, 8))
    near = NearestExamples(Xtr, Y, [("T", i) for i in range(30)], ["q"] * 30, k=7)
    got, sims = near.score(Xte)
    norm = lambda M: M / numpy.maximum(numpy.linalg.norm(M, axis=1, keepdims=True), 1e-12)
    S = norm(Xte) @ norm(Xtr).T
    for i in range(5):
        top = numpy.argsort(-S[i])[:7]
        expect = (S[i, top][:, None] * Y[top]).sum(0) / S[i, top].sum()
        numpy.testing.assert_allclose(got[i], expect, rtol=1e-5)
        for j in range(3):
            rows = numpy.flatnonzero(Y[:, j])
            assert near.best(sims[i], j) == rows[numpy.argmax(S[i, rows])]


def test_best_threshold_maximises_pooled_f1():
    probs = numpy.array([0.9, 0.8, 0.35, 0.3, 0.2, 0.1])
    truth = numpy.array([1, 1, 1, 0, 1, 0], dtype=bool)

    def f1(t):
        p = probs >= t
        tp = (p & truth).sum()
        return 2 * tp / (p.sum() + truth.sum())
    t = best_threshold(probs, truth)
    assert f1(t) == pytest.approx(max(f1(x) for x in numpy.arange(0.05, 0.91, 0.01)))


def test_the_learned_threshold_is_pulled_to_the_prior_on_little_data_and_capped():
    probs = numpy.array([0.9, 0.85, 0.8, 0.1])
    truth = numpy.array([1, 1, 1, 0], dtype=bool)
    assert best_threshold(probs, truth) > 0.5
    assert learned_threshold(probs, truth) < 0.5          # 3 positives: mostly the prior
    many = numpy.repeat(probs, 500)
    many_truth = numpy.repeat(truth, 500)
    assert learned_threshold(many, many_truth) == 0.5     # never above half the best F1
