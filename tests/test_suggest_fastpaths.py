"""The suggestions' fast paths give the very numbers of the plain ways they replace (issue 16):
each is checked against an independent or reference implementation — spaCy's own sentencizer and
token attributes, scikit-learn's ``normalize``, spaCy's lookup ``Table``, the string-based TF-IDF,
the sparse similarity product, and the codebook score written out from its formula."""
from __future__ import annotations

import math

import numpy
import pytest
from helpers import plain_corpus_frequencies
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from workbench.project import Project
from workbench.suggest import Suggester
from workbench.suggest.codebook_text import QUESTION_WEIGHT, ContentTerms, content_terms, corpus_frequencies
from workbench.suggest.learned import NearestExamples, normalize_rows
from workbench.suggest.pipeline import build_pipeline
from workbench.suggest.vectors import SegmentVectorizer, Tfidf, segment_terms

PIECES = ["Funding", "funded", "the", "we", "A", "x", "R&D", "e-mail", "low-interest", "loans",
          "don't", "U.S.", "...", ".", "!", "?", ",", "—", "Mr.", "2019", "(", ")", '"', "fundng",
          "«Москва»", "naïve", "co-operation", "\n", "  ", "'s", "ok?!", "3.5", "…", ":"]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join)


@pytest.fixture(scope="module")
def pipeline():
    return build_pipeline("en")


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_parse_gives_the_lemmas_and_kinds_of_each_token(pipeline, text):
    [p] = pipeline.parse([text])
    doc = pipeline.make_doc(text)        # the whole pipeline, lemmas set token by token
    assert p.lemmas == [t.lemma_ for t in doc]
    assert p.words() == tuple(t.lemma_ for t in doc if not (t.is_punct or t.is_space))
    assert p.content() == tuple(dict.fromkeys(
        t.lemma_ for t in doc if not (t.is_punct or t.is_space or t.is_stop)))
    assert [t.lemma_ for t in p.doc] == p.lemmas          # the doc's lemmas too (matchers)
    assert p.text == text


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_sentences_are_spacys_sentencizer_sentences(pipeline, text):
    [p] = pipeline.parse([text])
    doc = pipeline.make_doc(text)        # spaCy's Sentencizer ran on it
    for i, tok in enumerate(doc):
        assert pipeline.sentence_of(p, i) == (tok.sent.start_char, tok.sent.end_char)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["fund", "the", "we", "a", "x", "r&d", "e", "mail", ",", "-",
                                 "2019", "co", "-operation", "naïve", "'s", "", "b2b", "ü"]),
                max_size=30))
def test_content_terms_per_word_flags_are_content_terms(words):
    stop = frozenset({"the", "we", "a", "'s"})
    assert ContentTerms(stop)(words) == content_terms(words, stop)


def test_the_lemma_table_is_spacys_lookup_table():
    from spacy.lookups import load_lookups

    from workbench.suggest.pipeline import _lookup_table
    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    mine = _lookup_table("en")
    assert mine is not None and len(mine) == len(table)
    assert all(table.get(k, k) == v for k, v in mine.items())
    assert _lookup_table("xx") is None


@pytest.mark.parametrize("dtype", [numpy.float64, numpy.float32])
def test_rows_are_normalised_to_scikit_learns_very_numbers(dtype):
    from sklearn.preprocessing import normalize
    rng = numpy.random.default_rng(3)
    for trial in range(20):
        X = sparse.random(int(rng.integers(1, 200)), int(rng.integers(1, 2000)),
                          density=float(rng.uniform(0.001, 0.4)), format="csr", dtype=dtype,
                          random_state=trial)
        X.data = (X.data * rng.uniform(1e-3, 1e3)).astype(dtype)
        theirs, mine = normalize(X), normalize_rows(X)
        assert mine.dtype == theirs.dtype
        numpy.testing.assert_array_equal(mine.toarray(), theirs.toarray())


def test_both_ways_of_computing_similarities_give_the_same_numbers(monkeypatch):
    import workbench.suggest.learned as learned
    rng = numpy.random.default_rng(5)
    for trial in range(6):
        n_terms = int(rng.integers(5, 400))
        E = sparse.random(int(rng.integers(1, 300)), n_terms, density=0.2, format="csr",
                          random_state=trial)
        Y = rng.random((E.shape[0], 4)) < 0.3
        near = NearestExamples(E, Y, [("T", i) for i in range(E.shape[0])],
                               ["q"] * E.shape[0])
        Q = normalize_rows(sparse.random(int(rng.integers(1, 80)), n_terms, density=0.3,
                                         format="csr", random_state=100 + trial)
                           ).astype(numpy.float32)
        monkeypatch.setattr(learned, "DENSE_FACTOR", 0)          # always the sparse product
        sparse_way = near.similarities(Q)
        monkeypatch.setattr(learned, "DENSE_FACTOR", 10 ** 9)    # always dense columns
        monkeypatch.setattr(learned, "DENSE_CELLS", 37)          # in several pieces
        dense_way = near.similarities(Q)
        assert dense_way.dtype == sparse_way.dtype == numpy.float32
        numpy.testing.assert_array_equal(dense_way, sparse_way)
        numpy.testing.assert_array_equal(sparse_way, (Q @ near.X.T).toarray())


@pytest.fixture(scope="module")
def demo_features(tmp_path_factory):
    import shutil
    from pathlib import Path
    repo = Path(__file__).resolve().parent.parent
    root = tmp_path_factory.mktemp("demo") / "demo"
    root.mkdir()
    for name in ("workbench.toml", "codebooks", "transcripts", "codings"):
        src = repo / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    p = Project.open(root)
    s = Suggester(p, coder="anna", load_model=False)
    feats = [f for t in p.transcript_ids() for f in s.features(t)]
    return p, s, feats


def test_tfidf_from_term_numbers_is_the_tfidf_from_strings(demo_features):
    _, _, feats = demo_features
    words = [segment_terms(f)[0] for f in feats]
    contexts = [segment_terms(f)[1] for f in feats]
    vec = SegmentVectorizer.fit(feats)
    for mine, docs in ((vec.words, words), (vec.context, contexts)):
        plain = Tfidf.fit(docs[::2] + docs[1::2])
        assert mine.vocab == plain.vocab
        numpy.testing.assert_array_equal(mine.idf, plain.idf)
    X = vec.transform(feats)
    w = vec.words.transform(words)
    c = vec.context.transform(contexts) * 0.5
    numpy.testing.assert_array_equal(X[:, :w.shape[1]].toarray(), w.toarray())
    numpy.testing.assert_array_equal(X[:, w.shape[1]:-1].toarray(), c.toarray())


def test_codebook_scores_are_their_formula(demo_features):
    _, s, feats = demo_features
    index = s.codebook_index
    codes = list(index.codes)
    M = index.score_matrix(feats, codes)
    stop = index.stop_words
    for i, f in enumerate(feats):
        tf: dict[str, int] = {}
        for t in content_terms(f.lemmas, stop):
            tf[t] = tf.get(t, 0) + 1
        q = set(content_terms(f.context, stop)) if f.context else set(f.question)
        expect = {}
        for c in codes:
            w, ex = index.weights[c], index.exclude[c]
            v = sum(w[t] * (1 + math.log(n)) for t, n in tf.items() if t in w)
            v += sum(QUESTION_WEIGHT * w[t] for t in q - set(tf) if t in w)
            v -= sum(ex[t] for t in tf if t in ex)
            if any(t in w for t in set(tf) | q):
                expect[c] = round(max(v, 0.0) / index.norm[c], 6)
        got = index.scores(f)
        assert got.keys() == expect.keys()
        for c, v in expect.items():
            assert got[c] == pytest.approx(v, abs=2e-6)
            assert M[i, codes.index(c)] == got[c]
        assert numpy.count_nonzero(M[i]) <= len(expect)
        for c, m in index.score(f).items():
            assert c in expect and m.score == pytest.approx(expect[c], abs=2e-6)


def test_corpus_frequencies_count_each_turn_once(demo_features, pipeline):
    p, _, _ = demo_features
    texts = [seg.text for t in p.transcript_ids() for seg in p.transcript(t).segments]
    stop = frozenset(w.lower() for w in pipeline.nlp.Defaults.stop_words)
    assert corpus_frequencies(pipeline, texts) == plain_corpus_frequencies(pipeline, texts, stop)


def test_keyword_hits_from_the_parsed_tokens_are_the_hits_from_the_doc(demo_features):
    p, s, _ = demo_features
    rules = s.rules
    texts = [seg.text for t in p.transcript_ids() for seg in p.transcript(t).segments]
    texts += ["We got fundng and a subsidie for the low interest loans, lowinterest too.",
              "Internationl co-operation with Germny; competitivness!"]
    reasons = []
    for parsed in s.pipeline.parse(texts):
        hits = rules.match(parsed.doc, parsed)
        assert hits == rules.match(s.pipeline.make_doc(parsed.text))
        reasons += [h.reason for h in hits]
    assert any(r.startswith("fuzzy") for r in reasons)
    assert any("lemma match" in r for r in reasons) and any("variant" in r for r in reasons)


@pytest.fixture(scope="module")
def own_lemmas():
    """A pipeline with lemmas of its own, as an installed one (``spacy_model``) has."""
    import spacy

    from workbench.suggest.pipeline import Pipeline, _lookup_table, _table_functions
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    lazy = nlp.add_pipe("sentencizer")
    lemma, known = _table_functions(_lookup_table("en"))
    return Pipeline(nlp=nlp, language="en", description="own lemmas", lemma_word=lemma,
                    known_word=known, model_lemmas=True, sentencizer=lazy)


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_parse_with_a_pipelines_own_lemmas(own_lemmas, text):
    pl = own_lemmas
    [p] = pl.parse([text])
    doc = pl.make_doc(text)
    assert p.lemmas == [t.lemma_ for t in doc]
    assert p.words() == tuple(t.lemma_ for t in doc if not (t.is_punct or t.is_space))
    for i, tok in enumerate(doc):
        assert pl.sentence_of(p, i) == (tok.sent.start_char, tok.sent.end_char)
