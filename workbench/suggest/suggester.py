"""The :class:`Suggester`: code suggestions for the segments of a transcript, for one coder.

    s = Suggester(project, coder="anna")  # cheap; nlp, matchers and model load on first use
    s.suggest_transcript("P01")            # list[Suggestion], by segment then score
    s.train()                              # (re)train anna's model, save it
    s.model_is_stale()                     # has anna's (or the consensus') coding changed?

The model learns from the learning source of :mod:`.sources` (by default the coder's own
codings and the consensus, never another coder's log) and is kept in
``models/suggest/<source>/``; a Suggester never reads another source's model.

Thread use: the terminal UI calls :meth:`train` in a background thread while it calls
:meth:`suggest_transcript` in the UI's worker. Training prepares its data under the pipeline
lock one transcript at a time, trains without any lock, and swaps the new model in with one
assignment.
"""
from __future__ import annotations

import datetime as _dt
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import EllipsisType

import numpy

from ..cache import gc_paused
from ..errors import ProjectError
from .combine import threshold_for
from .data import coded_passages, digest, file_hash, logs_signature, training_units, transcript_features
from .explain import Suggestion
from .model import MODEL_FORMAT, SuggestModel, train_model
from .scoring import Scorer
from .sources import source_coders, source_for

MODEL_ROOT = Path("models") / "suggest"
MODEL_DIR = MODEL_ROOT   # kept for callers that named the folder


@dataclass
class TrainReport:
    """What :meth:`Suggester.train` did."""

    trained: bool                 # a new model was trained (False: unchanged or nothing to learn)
    message: str
    n_segments: int = 0
    n_coded_segments: int = 0
    n_transcripts: int = 0
    labels: list = field(default_factory=list)
    coders: list = field(default_factory=list)
    seconds: float = 0.0
    path: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class Suggester(Scorer):
    """Suggestions for ``coder`` (None: learned from the consensus only, or from everyone when
    ``[suggest] learn_from = "all"``); ``coders``: learn from exactly these coders instead."""

    def __init__(self, project, coder: str | None = None, *, coders=None, load_model: bool = True,
                 settings=None):
        super().__init__(project)
        self.source = source_for(project, coder, coders)
        self.coder = coder
        self.model_dir = project.root / MODEL_ROOT / self.source.key
        self._train_lock = threading.Lock()
        self._model: SuggestModel | None = None
        self._model_loaded = not load_model
        self._results: dict[str, tuple] = {}
        # (transcript, segment, passage text) -> (the segment's features, the passage's)
        self._passages: dict[tuple[str, int, str], tuple] = {}
        self._notes: list[str] = []
        for code, thr in (self.cfg.code_thresholds or {}).items():
            try:
                float(thr)
            except (TypeError, ValueError):
                raise ProjectError(f"[suggest.code_thresholds] {code} = {thr!r} is not a number",
                                   file=project.root / "workbench.toml",
                                   hint="use a score between 0 and 1, e.g. 0.7") from None

    # ---- the model -------------------------------------------------------------------------------
    @property
    def model(self) -> SuggestModel | None:
        with self._lock:
            if not self._model_loaded:
                self._model_loaded = True
                self._model = SuggestModel.load(self.model_dir)
                if self._model is not None and \
                        self._model.meta.get("source", {}).get("key") != self.source.key:
                    self._model = None   # never another source's model
            return self._model

    def prepare(self) -> None:
        """Build the pipeline, matchers, codebook index and load the model now."""
        _ = self.rules, self.codebook_index, self.model

    def notes(self) -> list[str]:
        """Plain-language remarks for the user: why there may be few or no suggestions."""
        out = list(self.pipeline.notes)
        idx = self.codebook_index
        no_text = [c for c in idx.codes if not idx.has_text.get(c)]
        if self.rules.empty and idx.empty:
            out.append("the codebook gives nothing to match: its codes have no definitions, "
                       "include rules, examples or keywords (add a definition to each code)")
        elif no_text and len(no_text) == len(idx.codes):
            out.append("no code has a definition, include rule or example, so codebook "
                       "suggestions rest on the code names alone (add definitions in the "
                       "codebook)")
        elif no_text:
            out.append(f"{len(no_text)} of {len(idx.codes)} codes have no definition, so their "
                       "codebook suggestions rest on their names alone")
        model = self.model
        if model is None:
            own, _ = source_coders(self.project, self.source)
            if self.source.mode == "own+consensus" and self.coder and not own:
                out.append(f"{self.coder} has no codings yet, so suggestions come from the "
                           "codebook alone (they learn from your own coding as you go, never "
                           "from another coder's)")
            elif not self.project.coders():
                out.append("nobody has coded yet, so suggestions come from the codebook alone")
            elif self.source.mode == "own+consensus" and not self.coder:
                out.append("no consensus to learn from: without --coder the suggestions learn "
                           "from the consensus only (blind to each coder's own log); pass "
                           "--coder NAME for a coder's own suggestions")
            else:
                out.append("no trained model yet (run 'workbench suggest' or train from the "
                           "coding screen)")
        elif not model.combiner.calibrated:
            out.append("too little coding to calibrate the weights by cross-validation yet, so "
                       "fixed weights are used")
        return out + self._notes

    # ---- suggestions -----------------------------------------------------------------------------
    def suggest_transcript(self, tid: str, model: SuggestModel | None | EllipsisType = ...
                           ) -> list[Suggestion]:
        """Every suggestion at or above its threshold for the units of one transcript, sorted by
        segment, then score (highest first); ``model``: this model instead of the current one
        (None: the codebook alone)."""
        rules = self.rules
        index = self.codebook_index
        all_feats = self.features(tid)
        if isinstance(model, EllipsisType):
            model = self.model
        cfg = self.cfg
        used = (all_feats, rules, index, model)
        settings = (cfg.threshold, cfg.rule_weight, cfg.model_weight, cfg.include_interviewer,
                    tuple(sorted((cfg.code_thresholds or {}).items())))
        hit = self._results.get(tid)
        if (hit is not None and all(a is b for a, b in zip(hit[0], used))
                and hit[1] == settings):
            return list(hit[2])
        feats = [f for f in all_feats if self._is_unit(f)]
        out = self.score_features(feats, model)
        self._results[tid] = (used, settings, out)
        return list(out)

    def suggest_segment(self, tid: str, index: int) -> list[Suggestion]:
        return [s for s in self.suggest_transcript(tid) if s.segment == index]

    def by_segment(self, tid: str) -> dict[int, list[Suggestion]]:
        """``suggest_transcript`` as a dict: segment index -> suggestions (best first)."""
        out: dict[int, list[Suggestion]] = {}
        for s in self.suggest_transcript(tid):
            out.setdefault(s.segment, []).append(s)
        return out

    def score_features(self, feats, model: SuggestModel | None) -> list[Suggestion]:
        """Suggestions at or above their thresholds for segment features ``feats``."""
        cfg = self.cfg
        codes, P, S, ev = self.score_matrix(feats, model)
        index = self.codebook_index
        thresholds = numpy.array([threshold_for(code, cfg) for code in codes], dtype=float)
        above = numpy.greater_equal(S, thresholds)
        out: list[Suggestion] = []
        with gc_paused():       # many small objects, no cycles among them
            for i in numpy.flatnonzero(above.any(axis=1)).tolist():
                f = feats[i]
                seg_out = [self.explain(f, i, j, codes, P, S, ev, model, index)
                           for j in numpy.flatnonzero(above[i]).tolist()]
                seg_out.sort(key=lambda s: (-s.score, s.code))
                out.extend(seg_out)
        return out

    # ---- training --------------------------------------------------------------------------------
    def _data_fingerprint(self) -> dict:
        p = self.project
        read, consensus = source_coders(p, self.source)
        logs = read + (["consensus"] if consensus else [])
        tfiles = [[tid, info.path, file_hash(p.root / info.path)]
                  for tid, info in p.catalog().items()]
        cb_path = p.codebook.path
        return {"format": MODEL_FORMAT, "language": p.config.language,
                "spacy_model": p.config.spacy_model, "source": self.source.to_dict(),
                "include_interviewer": bool(self.cfg.include_interviewer),
                "fuzzy_threshold": self.cfg.fuzzy_threshold,
                "logs": logs_signature(p, logs),
                "codebook": file_hash(cb_path) if cb_path else None,
                "transcripts": digest(tfiles)}

    def model_is_stale(self) -> bool:
        """True when training now would use other data than the current model was trained on
        (or there is coding to learn from but no model yet)."""
        model = self.model
        if model is None:
            read, consensus = source_coders(self.project, self.source)
            return bool(read or consensus)
        return model.meta.get("fingerprint") != digest(self._data_fingerprint())

    def units(self, tids: set[str] | None = None):
        """The learning source's labelled units, {(transcript, segment): codes}, and their
        description."""
        read, consensus = source_coders(self.project, self.source)
        if not read and not consensus:
            return {}, {"coders": [], "consensus_transcripts": [], "transcripts": [],
                        "n_segments": 0, "n_coded_segments": 0}
        units, info = training_units(self.project, read, bool(self.cfg.include_interviewer),
                                     consensus=consensus)
        if tids is not None:
            units = {k: v for k, v in units.items() if k[0] in tids}
        return units, info

    def passages(self, units: dict) -> dict:
        """The learning source's coded passages inside ``units`` (see data.coded_passages)."""
        read, consensus = source_coders(self.project, self.source)
        return coded_passages(self.project, read, consensus, units)

    def fit(self, units: dict, passages: dict | None = None, meta: dict | None = None
            ) -> SuggestModel | None:
        """Train a model on labelled ``units`` and the coded ``passages`` inside them (nothing
        saved)."""
        by_t: dict[str, list[int]] = {}
        for (tid, i) in units:
            by_t.setdefault(tid, []).append(i)
        feats, labels = [], []
        for tid in sorted(by_t):
            fs = self.features(tid)
            for i in sorted(by_t[tid]):
                feats.append(fs[i])
                labels.append(units[(tid, i)])
        if not feats:
            return None
        n_units = len(feats)
        texts = {tid: self.project.transcript(tid).text for tid in by_t}
        quotes = [_quote(texts[f.transcript][f.start:f.end]) for f in feats]
        passages = passages or {}
        extra = []
        for u in sorted(passages):
            if u not in units:
                continue
            f = self.features(u[0])[u[1]]
            for a, b, codes_ in passages[u]:
                if codes_ <= units[u]:
                    extra.append((f, texts[u[0]][a:b], codes_))
        if extra:
            # a passage is its segment's features with the passage's own lemmas; kept while the
            # segment's features are (the cross-validations fit on the same passages many times)
            known = self._passages
            todo = [(f, t) for f, t, _ in extra
                    if (hit := known.get((f.transcript, f.index, t))) is None or hit[0] is not f]
            if todo:
                parsed = self.pipeline.parse([t for _, t in todo], doc_lemmas=False)
                for (f, t), p in zip(todo, parsed):
                    known[(f.transcript, f.index, t)] = (
                        f, replace(f, lemmas=p.words(), terms_cache=None, codebook_terms=None,
                                   words_at=None))
            for f, t, codes_ in extra:
                feats.append(known[(f.transcript, f.index, t)][1])
                labels.append(codes_)
                quotes.append(_quote(t))
        applied = {c for ls in labels for c in ls}
        codes = self.candidate_codes(applied)
        index = {c: j for j, c in enumerate(codes)}
        Y = numpy.zeros((len(feats), len(codes)), dtype=numpy.int8)
        for r, ls in enumerate(labels):
            for c in ls:
                if c in index:
                    Y[r, index[c]] = 1
        cb = numpy.zeros((len(feats), len(codes)))
        kw = numpy.zeros((len(feats), len(codes)))
        cb[:n_units], kw[:n_units] = self.text_evidence(feats[:n_units], codes)
        is_unit = numpy.arange(len(feats)) < n_units
        return train_model(feats, Y, codes, cb, kw, [f.transcript for f in feats],
                           [(f.transcript, f.index) for f in feats], quotes,
                           {**(meta or {}), "applied": sorted(applied)}, units=is_unit)

    def train(self, force: bool = False) -> TrainReport:
        """Train the model on the learning source's coded segments and save it.

        Returns quickly (``trained=False``) when the coding, transcripts and codebook are the
        same as for the saved model."""
        t0 = time.perf_counter()
        with self._train_lock:
            fp_obj = self._data_fingerprint()
            fp = digest(fp_obj)
            current = self.model
            if current is not None and not force and current.meta.get("fingerprint") == fp:
                return self._report(False, "the model is up to date", current.meta, t0)
            units, info = self.units()
            if not units or not any(units.values()):
                why = ("no coded segment to learn from" if not units else
                       "the coded segments carry no codes yet")
                return TrainReport(False, f"nothing to learn from: {why} "
                                          f"({self.source.describe()})",
                                   n_segments=len(units), coders=info["coders"],
                                   seconds=round(time.perf_counter() - t0, 3))
            meta = {"trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    "fingerprint": fp, "source": self.source.to_dict(),
                    "learns_from": self.source.describe(), "coders": info["coders"],
                    "consensus_transcripts": info["consensus_transcripts"],
                    "logs": fp_obj["logs"], "transcripts": info["transcripts"],
                    "n_segments": len(units), "n_coded_segments": info["n_coded_segments"],
                    "language": self.project.config.language,
                    "pipeline": self.pipeline.description}
            model = self.fit(units, self.passages(units), meta)
            if model is None:
                return TrainReport(False, "nothing to learn from", coders=info["coders"])
            model.meta["labels"] = [c for c in model.codes if model.trained(c)]
            model.meta["threshold"] = model.combiner.threshold
            model.meta["evidence_used"] = {c: model.combiner.used(c) for c in model.codes}
            model.meta["seconds"] = round(time.perf_counter() - t0, 3)
            try:
                model.save(self.model_dir)
            except OSError as e:
                self._notes.append(f"the model could not be saved in {self.model_dir} ({e}); "
                                   "it is used until the workbench closes")
            with self._lock:
                self._model = model
                self._model_loaded = True
            return self._report(True, f"trained on {len(units)} segments of "
                                      f"{len(info['transcripts'])} transcripts "
                                      f"({self.source.describe()})", model.meta, t0)

    def _report(self, trained: bool, message: str, meta: dict, t0: float) -> TrainReport:
        return TrainReport(trained, message, n_segments=meta.get("n_segments", 0),
                           n_coded_segments=meta.get("n_coded_segments", 0),
                           n_transcripts=len(meta.get("transcripts") or []),
                           labels=list(meta.get("labels") or []),
                           coders=list(meta.get("coders") or []),
                           seconds=round(time.perf_counter() - t0, 3),
                           path=str(self.model_dir))

    def model_info(self) -> dict | None:
        """The saved model's meta (trained_at, coders, logs, n_segments, labels, …) or None."""
        m = self.model
        return dict(m.meta) if m is not None else None


def _quote(text: str) -> str:
    from .learned import short_quote
    return short_quote(text)


__all__ = ["Suggester", "Suggestion", "TrainReport", "MODEL_DIR", "MODEL_ROOT",
           "transcript_features"]
