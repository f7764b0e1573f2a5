"""From segment features to scores and explained suggestions (the part of the Suggester that
does not depend on whose coding it learns from).

:class:`Scorer` holds the lazily built spaCy pipeline, the keyword matchers, the codebook index
and the per-transcript features, and turns features plus an optional trained model into one
probability and one score per code and segment (:meth:`Scorer.score_matrix`), and a score into an
explained :class:`~.explain.Suggestion` (:meth:`Scorer.explain`).
"""
from __future__ import annotations

import threading

import numpy

from ..cache import gc_paused
from .combine import Combiner, keyword_value
from .data import transcript_features
from .explain import Suggestion, evidence_list, keyword_detail, learned_detail, reason_of

CORPUS_SAMPLE = 100


class Scorer:
    def __init__(self, project):
        self.project = project
        self.cfg = project.config.suggest
        self._lock = threading.RLock()
        self._pipeline = None
        self._rules = None
        self._rules_sig = None
        self._index = None
        self._index_sig = None
        self._corpus = None
        self._features: dict[str, tuple] = {}
        self._default_combiner = Combiner()

    # ---- lazy parts ------------------------------------------------------------------------------
    @property
    def pipeline(self):
        with self._lock:
            if self._pipeline is None:
                from .pipeline import build_pipeline
                self._pipeline = build_pipeline(self.project.config.language,
                                                self.project.config.spacy_model)
            return self._pipeline

    def _codebook_key(self) -> tuple:
        cb = self.project.codebook
        return (id(cb), tuple((c.id, c.name, c.definition, c.include, c.exclude,
                               tuple(c.examples), tuple(c.keywords), tuple(c.children),
                               repr(c.extra.get("patterns")) if c.extra else "")
                              for c in cb.codes.values()))

    @property
    def rules(self):
        """The keyword matchers; rebuilt (and the feature cache dropped) when the codebook's
        keywords or patterns or the fuzzy threshold change."""
        with self._lock:
            key = (self._codebook_key(), self.cfg.fuzzy_threshold)
            if self._rules is None or key != self._rules_sig:
                from .rules import RuleSet
                self._rules = RuleSet(self.pipeline, self.project.codebook,
                                      self.cfg.fuzzy_threshold)
                self._rules_sig = key
                self._features.clear()
                if hasattr(self, "_results"):
                    self._results.clear()
            return self._rules

    @property
    def codebook_index(self):
        """The weighted terms of each code's text (rebuilt when the codebook changes)."""
        with self._lock:
            key = self._codebook_key()
            if self._index is None or key != self._index_sig:
                from .codebook_text import CodebookIndex
                with gc_paused():     # bulk derived state, no cycles (see features)
                    df, n = self.corpus_stats()
                    self._index = CodebookIndex(self.pipeline, self.project.codebook,
                                                list(self.project.codebook.codes), df, n)
                self._index_sig = key
            return self._index

    def corpus_stats(self) -> tuple[dict, int]:
        """In how many turns (units) of the project each content term occurs — counted on at most
        ``CORPUS_SAMPLE`` transcripts spread over the project (a statistic: a sample estimates
        it well, and the first suggestions in a project of thousands of interviews do not wait
        for all of them to be read)."""
        with self._lock:
            if self._corpus is None:
                from .codebook_text import corpus_frequencies
                ids = self.project.transcript_ids()
                if len(ids) > CORPUS_SAMPLE:
                    step = len(ids) / CORPUS_SAMPLE
                    ids = [ids[int(k * step)] for k in range(CORPUS_SAMPLE)]
                texts: list[str] = []
                for tid in ids:
                    try:
                        t = self.project.transcript(tid)
                    except Exception:
                        continue
                    texts.extend(s.text for s in t.segments
                                 if self.cfg.include_interviewer or s.role != "interviewer")
                self._corpus = corpus_frequencies(self.pipeline, texts)
            return self._corpus

    def candidate_codes(self, applied: set) -> list[str]:
        """Codes that may be suggested: every code without children, and any code the learning
        source has applied (a theme that only groups its children is not suggested unless
        someone codes with it)."""
        cb = self.project.codebook
        return [c.id for c in cb.codes.values() if not c.children or c.id in applied]

    # ---- features --------------------------------------------------------------------------------
    def features(self, tid: str):
        """Per-segment features of a transcript (cached until its text changes)."""
        t = self.project.transcript(tid)
        key = (len(t.text), hash(t.text))
        hit = self._features.get(tid)
        if hit is not None and hit[0] == key:
            return hit[1]
        rules = self.rules
        # many objects (docs, rows of features), no cycles among them: built without the
        # cycle collector's passes (workbench.cache.gc_paused)
        with self.pipeline.lock, gc_paused():
            feats = transcript_features(self.pipeline, rules, t)
        self._features[tid] = (key, feats)
        return feats

    def _is_unit(self, f) -> bool:
        return self.cfg.include_interviewer or f.role != "interviewer"

    def text_evidence(self, feats, codes):
        """(codebook, keyword) evidence arrays (segments x codes)."""
        index = self.codebook_index
        col = {c: j for j, c in enumerate(codes)}
        cb = index.score_matrix(feats, codes)
        kw = numpy.zeros((len(feats), len(codes)))
        for i, f in enumerate(feats):
            if not f.rules:
                continue
            qr = set(f.question_rules)
            for c, ev in f.rules.items():
                j = col.get(c)
                if j is not None:
                    kw[i, j] = keyword_value(ev, c in qr)
        return relative_gate(cb), kw

    # ---- scores ----------------------------------------------------------------------------------
    def codes_for(self, model) -> list[str]:
        applied = set(model.meta.get("applied") or []) if model is not None else set()
        return self.candidate_codes(applied)

    def score_matrix(self, feats, model):
        """(codes, P, S, evidence): probability and score (0.5 = learned threshold) of every
        candidate code for each segment."""
        codes = self.codes_for(model)
        cb, kw = self.text_evidence(feats, codes)
        if model is not None:
            ev = model.evidence(feats, cb, kw, codes)
            comb = model.combiner
        else:
            from .model import Evidence
            E = numpy.zeros((len(feats), len(codes), 4))
            E[:, :, 2], E[:, :, 3] = cb, kw
            ev = Evidence(codes, E)
            comb = self._default_combiner
        scale = [_w(self.cfg.model_weight), _w(self.cfg.model_weight), 1.0,
                 _w(self.cfg.rule_weight)]
        P = numpy.zeros((len(feats), len(codes)))
        for j, c in enumerate(codes):
            if len(feats):
                P[:, j] = comb.probability(c, ev.E[:, j, :], scale)
        S = comb.score(P) if P.size else P
        ev.scale = scale
        ev.combiner = comb
        return codes, P, S, ev

    def explain(self, f, i: int, j: int, codes, P, S, ev, model, index=None) -> Suggestion:
        """The explained suggestion of code ``codes[j]`` for segment ``f`` (row ``i``);
        ``index``: the codebook index (default: the current one)."""
        code = codes[j]
        comb = ev.combiner
        x = ev.E[i, j, :] * numpy.asarray(ev.scale)
        contrib = comb.contributions(code, x)
        details: dict = {}
        kev = f.rules.get(code)
        if kev is not None:
            details["keyword"] = keyword_detail(kev, code in set(f.question_rules))
        if index is None:
            index = self.codebook_index
        match = index.match(f, code) if ev.E[i, j, 2] > 0 else None
        if match is not None:
            details["codebook"] = match.detail()
        example = None
        if model is not None and model.trained(code) and ev.sims is not None:
            m = model.index[code]
            row = model.nearest.best(ev.sims[i], m)
            if row >= 0:
                example = model.nearest.describe(row)
                details["nearest"] = example

            def learned(m=m):
                X = ev.X
                a, b = X.indptr[i], X.indptr[i + 1]
                words, question = model.linear.top_terms_of(X.indices[a:b], X.data[a:b], m,
                                                            model.vectorizer)
                return learned_detail(words, question)
            details["learned"] = learned
        evidence = evidence_list(contrib, details)
        reason = reason_of(evidence, example)
        s = Suggestion(f.transcript, f.index, f.start, f.end, code, round(float(S[i, j]), 4),
                       reason, round(float(P[i, j]), 4), evidence)
        if kev is not None:
            s.match_start, s.match_end = kev.match_start, kev.match_end
        return s


def relative_gate(cb):
    """Damp the codebook evidence of codes well below the best code of the same turn:
    ``score * min(1, score / (REL * best)) ** REL_POWER`` — a turn that matches one definition
    clearly is about that code, not about every code sharing a few of its words."""
    if not cb.size:
        return cb
    best = cb.max(axis=1, keepdims=True)
    rel = numpy.where(best > 0, cb / numpy.maximum(best, 1e-12), 0.0)
    return cb * numpy.minimum(1.0, rel / REL) ** REL_POWER


REL = 0.8
REL_POWER = 3


def _w(v) -> float:
    try:
        return min(1.0, max(0.0, float(v)))
    except (TypeError, ValueError):
        return 0.0
