"""The :class:`Suggester`: code suggestions for the segments of a transcript.

    s = Suggester(project)             # cheap; the nlp, matchers and model load on first use
    s.suggest_transcript("P01")        # list[Suggestion], by segment then score
    s.train()                          # (re)train the model on the team's coding, save it
    s.model_is_stale()                 # has the coding changed since the model was trained?

Thread use: the terminal UI calls :meth:`train` in a background thread while it calls
:meth:`suggest_transcript` in the UI thread. Training prepares its data under the pipeline lock
one transcript at a time (so a suggestion request waits at most for one transcript), trains
without any lock, and then swaps the new model in with one assignment.
"""
from __future__ import annotations

import datetime as _dt
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ProjectError
from .combine import combine, reason_text, rule_score, threshold_for
from .data import digest, file_hash, logs_signature, training_units, transcript_features
from .model import (
    MODEL_FORMAT,
    Example,
    TextcatModel,
    TrainSettings,
    make_example,
    model_words,
    train_model,
)

MODEL_DIR = Path("models") / "textcat"
MIN_MODEL_SCORE = 0.05   # model-only candidates below this are not even scored


@dataclass
class Suggestion:
    """A suggested code for a segment. ``start``/``end``: the sentence a rule fired in, or the
    whole segment for a model-only suggestion; ``match_start``/``match_end``: the words that
    fired (None for the model)."""

    transcript: str
    segment: int
    start: int
    end: int
    code: str
    score: float
    reason: str
    rule_score: float = 0.0
    model_score: float | None = None
    match_start: int | None = None
    match_end: int | None = None

    def to_dict(self) -> dict:
        return {"transcript": self.transcript, "segment": self.segment, "turn": self.segment + 1,
                "start": self.start, "end": self.end, "code": self.code, "score": self.score,
                "reason": self.reason}


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


class Suggester:
    def __init__(self, project, *, settings: TrainSettings | None = None,
                 load_model: bool = True):
        self.project = project
        self.cfg = project.config.suggest
        self.settings = settings or TrainSettings()
        self.model_dir = project.root / MODEL_DIR
        self._lock = threading.RLock()
        self._train_lock = threading.Lock()
        self._pipeline = None
        self._rules = None
        self._features: dict[str, tuple] = {}
        self._results: dict[str, tuple] = {}
        self._rules_sig: tuple | None = None
        self._model: TextcatModel | None = None
        self._model_loaded = not load_model
        self._notes: list[str] = []
        for code, thr in (self.cfg.code_thresholds or {}).items():
            try:
                float(thr)
            except (TypeError, ValueError):
                raise ProjectError(f"[suggest.code_thresholds] {code} = {thr!r} is not a number",
                                   file=project.root / "workbench.toml",
                                   hint="use a score between 0 and 1, e.g. 0.7") from None

    # ---- lazy parts ------------------------------------------------------------------------------
    @property
    def pipeline(self):
        with self._lock:
            if self._pipeline is None:
                from .pipeline import build_pipeline
                self._pipeline = build_pipeline(self.project.config.language,
                                                self.project.config.spacy_model)
            return self._pipeline

    @property
    def rules(self):
        """The matchers; rebuilt (and the feature cache dropped) when the codebook's keywords
        or patterns or the fuzzy threshold change, e.g. after an edit in the codebook screen."""
        with self._lock:
            key = self._rules_key()
            if self._rules is None or key != self._rules_sig:
                from .rules import RuleSet
                self._rules = RuleSet(self.pipeline, self.project.codebook,
                                      self.cfg.fuzzy_threshold)
                self._rules_sig = key
                self._features.clear()
                self._results.clear()
            return self._rules

    def _rules_key(self) -> tuple:
        cb = self.project.codebook
        return (id(cb), self.cfg.fuzzy_threshold,
                tuple((c.id, tuple(c.keywords), repr(c.extra.get("patterns")) if c.extra else "")
                      for c in cb.codes.values()))

    @property
    def model(self) -> TextcatModel | None:
        with self._lock:
            if not self._model_loaded:
                self._model_loaded = True
                self._model = TextcatModel.load(self.model_dir)
            return self._model

    def prepare(self) -> None:
        """Build the pipeline, matchers and load the model now (e.g. in a background thread)."""
        _ = self.rules, self.model

    def notes(self) -> list[str]:
        """Plain-language remarks for the user: why there may be few or no suggestions."""
        out = list(self.pipeline.notes)
        if self.rules.empty:
            out.append("the codebook has no keywords or patterns, so there are no rule "
                       "suggestions (add 'keywords' to codes in the codebook)")
        if self.model is None:
            if not self.project.coders():
                out.append("nobody has coded yet, so there is no learned model (suggestions "
                           "learn from the team's coding)")
            else:
                out.append("no trained model yet (run 'workbench suggest' or train from the "
                           "coding screen)")
        return out + self._notes

    # ---- features --------------------------------------------------------------------------------
    def features(self, tid: str):
        """Per-segment features of a transcript (cached until its text changes)."""
        t = self.project.transcript(tid)
        key = (len(t.text), hash(t.text))
        hit = self._features.get(tid)
        if hit is not None and hit[0] == key:
            return hit[1]
        rules = self.rules
        with self.pipeline.lock:
            feats = transcript_features(self.pipeline, rules, t)
        self._features[tid] = (key, feats)
        return feats

    def _is_unit(self, f) -> bool:
        return self.cfg.include_interviewer or f.role != "interviewer"

    # ---- suggestions -----------------------------------------------------------------------------
    def suggest_transcript(self, tid: str, model: TextcatModel | None = ...) -> list[Suggestion]:
        """Every suggestion at or above its threshold for the units of one transcript, sorted by
        segment, then score (highest first)."""
        rules = self.rules  # (re)built first: a codebook edit drops the caches
        all_feats = self.features(tid)
        if model is ...:
            model = self.model
        cfg = self.cfg
        used = (all_feats, rules, model)   # held, so compared by identity safely
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

    def score_features(self, feats, model: TextcatModel | None) -> list[Suggestion]:
        """Suggestions for the given segment features with ``model`` (None: rules only)."""
        cb = self.project.codebook
        cfg = self.cfg
        use_model = model is not None and _weight(cfg.model_weight) > 0
        if use_model and feats:
            mscores = model.predict([model_words(f, model.settings) for f in feats])
        else:
            mscores = [None] * len(feats)
        calibration = model.calibration if model is not None else None
        out: list[Suggestion] = []
        for f, ms in zip(feats, mscores):
            model_p: dict[str, float] = {}
            if ms is not None:
                for label, p in ms.items():
                    code = cb.resolve(label)
                    if code in cb.codes:
                        model_p[code] = max(p, model_p.get(code, 0.0))
            cands = set(f.rules) | {c for c, p in model_p.items() if p >= MIN_MODEL_SCORE}
            qr = set(f.question_rules)
            seg_out = []
            for code in cands:
                if code not in cb.codes:
                    continue
                ev = f.rules.get(code)
                r = rule_score(code, ev, code in qr, calibration)
                p = model_p.get(code) if ms is not None else None
                score = combine(r, p, cfg)
                if score < threshold_for(code, cfg):
                    continue
                reason = reason_text(ev, code in qr, p)
                if ev is not None:
                    seg_out.append(Suggestion(f.transcript, f.index, ev.start, ev.end, code,
                                              score, reason, round(r, 4), p, ev.match_start,
                                              ev.match_end))
                else:
                    seg_out.append(Suggestion(f.transcript, f.index, f.start, f.end, code,
                                              score, "model", 0.0, p))
            seg_out.sort(key=lambda s: (-s.score, s.code))
            out.extend(seg_out)
        return out

    # ---- training --------------------------------------------------------------------------------
    def _data_fingerprint(self, coders: list[str] | None) -> dict:
        p = self.project
        used = list(coders) if coders is not None else p.coders()
        tfiles = []
        for tid, info in p.catalog().items():
            tfiles.append([tid, info.path, file_hash(p.root / info.path)])
        cb_path = p.codebook.path
        return {"format": MODEL_FORMAT, "language": p.config.language,
                "spacy_model": p.config.spacy_model,
                "include_interviewer": bool(self.cfg.include_interviewer),
                "fuzzy_threshold": self.cfg.fuzzy_threshold,
                "settings": self.settings.to_dict(), "coders": coders,
                "logs": logs_signature(p, used),
                "codebook": file_hash(cb_path) if cb_path else None,
                "transcripts": digest(tfiles)}

    def model_is_stale(self, coders: list[str] | None = None) -> bool:
        """True when training now would use other data than the current model was trained on
        (or there is coding but no model yet)."""
        model = self.model
        if model is None:
            return bool(self.project.coders())
        fp = digest(self._data_fingerprint(coders))
        return model.meta.get("fingerprint") != fp

    def examples(self, coders: list[str] | None = None, tids: set[str] | None = None
                 ) -> tuple[list[Example], dict]:
        """Training examples (one per coded unit) and where their labels came from."""
        units, info = training_units(self.project, coders, bool(self.cfg.include_interviewer))
        by_t: dict[str, list[int]] = {}
        for (tid, i) in units:
            if tids is None or tid in tids:
                by_t.setdefault(tid, []).append(i)
        out = []
        for tid in sorted(by_t):
            feats = self.features(tid)
            for i in by_t[tid]:
                out.append(make_example(feats[i], units[(tid, i)], self.settings))
        return out, info

    def train(self, coders: list[str] | None = None, force: bool = False) -> TrainReport:
        """Train the model on the team's coded segments and save it in ``models/textcat/``.

        Returns quickly (``trained=False``) when the coding, transcripts and codebook are the
        same as for the saved model."""
        t0 = time.perf_counter()
        with self._train_lock:
            fp_obj = self._data_fingerprint(coders)
            fp = digest(fp_obj)
            current = self.model
            if current is not None and not force and current.meta.get("fingerprint") == fp:
                return self._report(False, "the model is up to date", current.meta, t0)
            examples, info = self.examples(coders)
            data_hash = digest([[e.transcript, e.segment, list(e.words), sorted(e.labels),
                                 [list(x) for x in e.evidence]] for e in examples])
            if current is not None and not force and current.meta.get("data_sha256") == data_hash:
                meta = {**current.meta, "fingerprint": fp, "logs": fp_obj["logs"]}
                try:
                    current.save(self.model_dir, meta)  # same data: only the meta changes
                except OSError as e:
                    self._notes.append(f"could not update {self.model_dir}: {e}")
                return self._report(False, "the training data has not changed", current.meta, t0)
            labels = sorted({c for e in examples for c in e.labels})
            if not examples or not labels:
                why = ("nobody has coded a segment yet" if not examples else
                       "the coded segments carry no codes yet")
                return TrainReport(False, f"nothing to learn from: {why}",
                                   n_segments=len(examples), coders=info["coders"],
                                   seconds=round(time.perf_counter() - t0, 3))
            model = train_model(examples, labels, lang=self.pipeline.language,
                                settings=self.settings)
            meta = {"trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    "fingerprint": fp, "data_sha256": data_hash,
                    "coders": info["coders"],
                    "consensus_transcripts": info["consensus_transcripts"],
                    "logs": fp_obj["logs"], "transcripts": info["transcripts"],
                    "n_segments": len(examples), "n_coded_segments": info["n_coded_segments"],
                    "language": self.project.config.language,
                    "pipeline": self.pipeline.description,
                    "spacy_version": _spacy_version(), "seconds": None}
            meta["seconds"] = round(time.perf_counter() - t0, 3)
            try:
                model.save(self.model_dir, meta)
            except OSError as e:
                model.meta = meta
                self._notes.append(f"the model could not be saved in {self.model_dir} ({e}); "
                                   "it is used until the workbench closes")
            with self._lock:
                self._model = model
                self._model_loaded = True
            return self._report(True, f"trained on {len(examples)} segments of "
                                      f"{len(info['transcripts'])} transcripts", model.meta, t0)

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


def _weight(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


def _spacy_version() -> str:
    import spacy
    return spacy.__version__
