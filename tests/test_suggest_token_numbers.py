"""The suggestions' paths from lemma numbers (workbench/suggest/tokens.py: one pass over the
tokens, each distinct word looked up once) give what the plain paths from each segment's lemma
strings give (issue 16): the features of a transcript, the TF-IDF term numbers, the codebook
terms and scores, the corpus statistics, the keyword hits — and, end to end, the same
suggestions with the same explanations."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy
import pytest
from helpers import plain_corpus_frequencies
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench.suggest.scoring as scoring
from workbench.project import Project
from workbench.suggest import Suggester
from workbench.suggest.codebook_text import ContentTerms, content_terms, corpus_frequencies
from workbench.suggest.data import _features, _link_questions, transcript_features
from workbench.suggest.pipeline import build_pipeline
from workbench.suggest.vectors import segment_ids

REPO = Path(__file__).resolve().parent.parent
PIECES = ["Funding", "funded", "the", "we", "A", "x", "R&D", "e-mail", "low-interest", "loans",
          "lowinterest", "don't", "U.S.", "...", ".", "!", "?", ",", "—", "Mr.", "2019", "(", '"',
          "fundng", "subsidie", "«Москва»", "naïve", "co-operation", "\n", "  ", "'s", "ok?!",
          "3.5", "…", ":", "project", "funds", "interest", "low"]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join)
PLAIN = ("words_at", "terms_cache", "codebook_terms")


def _copy_demo(root: Path) -> Path:
    root.mkdir()
    for name in ("workbench.toml", "codebooks", "transcripts", "codings"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    return root


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    p = Project.open(_copy_demo(tmp_path_factory.mktemp("tn") / "demo"))
    return p, Suggester(p, coder="anna", load_model=False)


def _plain(f):
    return replace(f, words_at=None, terms_cache=None, codebook_terms=None)


def _same_fields(a, b) -> None:
    for name in a.__dataclass_fields__:
        if name not in PLAIN:
            assert getattr(a, name) == getattr(b, name), name


def _interview(texts_roles) -> SimpleNamespace:
    """A transcript of turns (text, role, speaker), as the segments of a real one."""
    segs, at = [], 0
    for i, (text, role, speaker) in enumerate(texts_roles):
        segs.append(SimpleNamespace(transcript="T", index=i, start=at, end=at + len(text),
                                    role=role, speaker=speaker, text=text))
        at += len(text) + 1
    return SimpleNamespace(segments=segs)


TURNS = st.lists(st.tuples(TEXTS, st.sampled_from([("interviewer", "I1"), ("interviewer", "I2"),
                                                   ("interviewee", "R"), ("interviewee", "S")])),
                 max_size=12).map(lambda xs: [(t, r, s) for t, (r, s) in xs])


@settings(max_examples=60, deadline=None)
@given(TURNS)
def test_features_terms_and_codebook_scores_from_numbers_are_the_plain_ones(demo, turns):
    """Several interviewers (a context of more than one turn), empty turns, punctuation only."""
    _, s = demo
    transcript = _interview(turns)
    fast = transcript_features(s.pipeline, s.rules, transcript)
    parsed = s.pipeline.parse([seg.text for seg in transcript.segments])
    plain = [_features(seg, p, s.rules, s.pipeline) for seg, p in zip(transcript.segments, parsed)]
    _link_questions(plain)
    assert len(fast) == len(plain)
    for a, b in zip(fast, plain):
        _same_fields(a, b)
        ia, ib = segment_ids(a), segment_ids(b)
        numpy.testing.assert_array_equal(ia[0], ib[0])
        numpy.testing.assert_array_equal(ia[1], ib[1])
        assert ia[2] == ib[2]
    index = s.codebook_index
    codes = list(index.codes)
    numpy.testing.assert_array_equal(index.score_matrix(fast, codes),
                                     index.score_matrix(plain, codes))
    for a, b in zip(fast, plain):
        assert index.scores(a) == index.scores(b)
        for c in codes:
            assert index.match(a, c) == index.match(b, c)


def test_demo_features_from_numbers_are_the_plain_ones(demo):
    p, s = demo
    index = s.codebook_index
    codes = list(index.codes)
    every = [f for t in p.transcript_ids() for f in s.features(t)]
    assert all(f.words_at is not None for f in every)
    plain = [_plain(f) for f in every]
    M = index.score_matrix(every, codes)
    numpy.testing.assert_array_equal(M, index.score_matrix(plain, codes))
    assert numpy.count_nonzero(M) > 100          # the codebook does say something here
    # some rows by numbers, some plain, in any order: the same rows
    mixed = [f if i % 3 else g for i, (f, g) in enumerate(zip(every, plain))][::-1]
    numpy.testing.assert_array_equal(index.score_matrix(mixed, codes), M[::-1])
    for a, b in zip(every, plain):
        ia, ib = segment_ids(a), segment_ids(b)
        numpy.testing.assert_array_equal(ia[0], ib[0])
        numpy.testing.assert_array_equal(ia[1], ib[1])


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXTS, max_size=8))
def test_corpus_frequencies_from_numbers_are_the_plain_count(texts):
    pipeline = _PIPELINE
    stop = frozenset(w.lower() for w in pipeline.nlp.Defaults.stop_words)
    assert corpus_frequencies(pipeline, texts, stop) == \
        plain_corpus_frequencies(pipeline, texts, stop)
    assert ContentTerms(stop)(["low", "interest"]) == content_terms(["low", "interest"], stop)


_PIPELINE = build_pipeline("en")


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=6))
def test_parsed_rows_and_the_fuzzy_filter(demo, texts):
    _, s = demo
    rules = s.rules
    batch, parsed = s.pipeline.parse_batch(texts)
    may = rules.fuzzy_texts(batch)
    for p, flag in zip(parsed, may):
        doc = s.pipeline.make_doc(p.text)
        assert p.orths == [t.orth for t in doc]
        assert p.chars() == ([t.idx for t in doc], [t.idx + len(t) for t in doc])
        assert p.rows == [(t.lemma, t.lemma_, p.kinds[i]) for i, t in enumerate(doc)]
        assert p.kinds == [0 if (t.is_punct or t.is_space) else 1 if t.is_stop else 2
                           for t in doc]
        hits = rules.match(p.doc, p)
        assert rules.match(p.doc, p, fuzzy=bool(flag)) == hits
        if not flag:
            assert not any(h.reason.startswith("fuzzy") for h in hits)


def test_suggestions_from_numbers_are_the_plain_suggestions(tmp_path, monkeypatch):
    """End to end on the demo, with a trained model: every suggestion, score, reason and piece
    of evidence the same when the features carry no lemma numbers (the plain paths)."""
    root = _copy_demo(tmp_path / "demo")
    numpy.random.seed(0)
    Suggester(Project.open(root), coder="anna").train(force=True)

    def run():
        p = Project.open(root)
        s = Suggester(p, coder="anna")
        assert s.model is not None
        return [x.to_dict() | {"match": [x.match_start, x.match_end]}
                for t in p.transcript_ids() for x in s.suggest_transcript(t)]
    fast = run()
    real = scoring.transcript_features
    monkeypatch.setattr(scoring, "transcript_features",
                        lambda *a: [_plain(f) for f in real(*a)])
    plain = run()
    assert len(fast) > 20
    assert fast == plain


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 40), max_size=60))
def test_unique_inverse_is_numpys_unique(values):
    from workbench.suggest.tokens import unique_inverse
    a = numpy.array(values, dtype=numpy.int64)
    u, first, inv = unique_inverse(a)
    eu, efirst, einv = numpy.unique(a, return_index=True, return_inverse=True)
    numpy.testing.assert_array_equal(u, eu)
    numpy.testing.assert_array_equal(first, efirst)
    numpy.testing.assert_array_equal(inv, einv.reshape(-1))


TIES = [k / 128 for k in range(1, 400)] + [k / 1e6 + 5e-7 for k in range(0, 3000, 7)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e4, allow_nan=False) | st.sampled_from(TIES), max_size=50))
def test_rounded6_is_pythons_round(values):
    from workbench.suggest.codebook_ids import rounded6
    got = rounded6(numpy.array(values, dtype=numpy.float64)).tolist()
    assert got == [round(v, 6) for v in values]


def test_rounded6_on_every_tie_and_near_tie():
    from workbench.suggest.codebook_ids import rounded6
    x = numpy.array(TIES + [numpy.nextafter(t, 1.0) for t in TIES]
                    + [numpy.nextafter(t, 0.0) for t in TIES])
    assert rounded6(x).tolist() == [round(v, 6) for v in x.tolist()]


def test_tfidf_rows_are_scipys_rows_value_for_value():
    """The rows made by one sort are the matrix scipy's conversions and product made: the same
    values, in the same order in each row (later sums run in that order), the same index
    types."""
    from workbench.suggest.vectors import Tfidf
    rng = numpy.random.default_rng(1)
    for _ in range(300):
        n, size = int(rng.integers(0, 30)), int(rng.integers(1, 60))
        tf = Tfidf([f"t{i}" for i in range(size)], rng.uniform(1, 5, size))
        k = int(rng.integers(0, 300)) if n else 0
        rows, cols = rng.integers(0, max(n, 1), k), rng.integers(0, size, k)
        a, b = tf._rows(rows, cols, n), tf._rows_plain(rows, cols, n)
        assert a.shape == b.shape and a.indices.dtype == b.indices.dtype
        numpy.testing.assert_array_equal(a.indptr, b.indptr)
        numpy.testing.assert_array_equal(a.indices, b.indices)
        assert a.data.tobytes() == b.data.tobytes()


def test_codebook_match_reads_only_the_terms_present(demo):
    """match() visits only the code's terms found in the turn or its question: the same
    matched words and score as a walk over all of the code's terms."""
    import math

    from workbench.suggest.codebook_text import QUESTION_WEIGHT
    p, s = demo
    index = s.codebook_index
    n = 0
    for f in (f for t in p.transcript_ids() for f in s.features(t)):
        tf, q = index.turn_terms(_plain(f))
        for c in index.codes:
            w, ex = index.weights[c], index.exclude[c]
            total, pos = 0.0, set()
            for t in index._code_terms[c]:       # every term, in order
                if t in tf and t in w:
                    total += w[t] * (1.0 + math.log(tf[t]))
                    pos.add(t)
                elif t in q and t in w:
                    total += QUESTION_WEIGHT * w[t]
                    pos.add(t)
                if t in tf and t in ex:
                    total -= ex[t]
            m = index.match(f, c)
            assert (m is None) == (not pos)
            if m is not None:
                n += 1
                assert m.score == round(max(total / index.norm[c], 0.0), 6)
    assert n > 50
