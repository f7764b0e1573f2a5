"""Learned suggestions, from the team's coded segments. Two parts, trained together by
:func:`train_model` and saved together in ``PROJECT/models/textcat/``:

1. **A spaCy ``textcat_multilabel``** — a bag-of-words model (``spacy.TextCatBOW.v3`` on
   unigrams): fast to train (seconds for thousands of segments) and to apply, and it needs no
   word vectors, so nothing is downloaded. It sees a segment as its lowercase lemmas, one token
   ``rule=<code>`` per code whose rules fired in it, and the lemmas of the interviewer's
   question before it (``q:fund``, ``q:rule=<code>``): in a semi-structured interview the
   question says a lot about what the answer is about. The workbench trains the BOW weights
   itself with the logistic (cross-entropy) loss: spaCy's own textcat loss is the squared error
   after the sigmoid, which saturates on rare codes (the model learns to say "no" to all).

2. **A rule calibration** (:class:`RuleCalibration`) — how often the team actually applied a
   code where its rules fired: by the amount of evidence (rules firing in 1, 2, 3 or 4+ places
   of the segment; also in the question or not), shared by all codes, times a factor per code
   (a keyword that fires everywhere gets a low factor). Before anything is learned, a rule that
   fires in ``n`` places is worth ``1 - 0.4**n`` (0.6, 0.84, 0.94, …).

The saved folder is a normal spaCy pipeline plus ``workbench-meta.json`` naming the data it was
trained on (coders, logs with sizes and sha256, number of segments, date) and holding the
calibration.
"""
from __future__ import annotations

import json
import math
import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy

META_FILE = "workbench-meta.json"
MODEL_FORMAT = 2
RULE_PREFIX = "rule="
QUESTION_PREFIX = "q:"
MAX_PLACES = 4          # evidence of 4 or more places counts as 4
TABLE_PRIOR_WEIGHT = 2  # pseudo-observations of the uncalibrated prior per evidence level
CODE_PRIOR_WEIGHT = 2   # pseudo-observations of "as good as average" per code


@dataclass
class TrainSettings:
    epochs: int = 12              # at least; more on small data (see min_updates)
    batch_size: int = 64          # at most; smaller on small data (updates_per_epoch)
    updates_per_epoch: int = 25
    min_updates: int = 300
    ngram_size: int = 1
    hash_length: int = 0          # rows of the sparse weight table; 0: from the vocabulary size
    learn_rate: float = 0.01
    seed: int = 0
    rule_features: bool = True
    question: bool = True

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Example:
    """One training unit: a segment's model tokens, its rule evidence ((code, places,
    in_question) per code whose rules fired) and the codes the team gave it."""

    transcript: str
    segment: int
    words: tuple
    labels: frozenset = field(default_factory=frozenset)
    evidence: tuple = ()


def evidence_of(f) -> tuple:
    """(code, places, in_question) for each code whose rules fired in segment features ``f``."""
    q = set(f.question_rules)
    return tuple((c, min(ev.count, MAX_PLACES), c in q) for c, ev in sorted(f.rules.items()))


def make_example(f, labels, settings: TrainSettings | None = None) -> Example:
    return Example(f.transcript, f.index, tuple(model_words(f, settings)), frozenset(labels),
                   evidence_of(f))


def model_words(f, settings: TrainSettings | None = None) -> list[str]:
    """The token sequence the classifier sees for a segment (``f``: its SegmentFeatures)."""
    settings = settings or TrainSettings()
    words = list(f.lemmas)
    if settings.rule_features:
        words.extend(RULE_PREFIX + c for c in sorted(f.rules))
    if settings.question:
        words.extend(QUESTION_PREFIX + w for w in f.question)
        if settings.rule_features:
            words.extend(QUESTION_PREFIX + RULE_PREFIX + c for c in f.question_rules)
    return words or ["<empty>"]


# ---- rule calibration -------------------------------------------------------------------------
def prior(places: int, in_question: bool) -> float:
    """What rule evidence is worth before the team has coded anything."""
    return 1.0 - 0.4 ** (min(places, MAX_PLACES) + (1 if in_question else 0))


@dataclass
class RuleCalibration:
    """P(the team applies the code | its rules fired), learned from coded segments."""

    table: dict = field(default_factory=dict)    # "places,q" -> probability
    factors: dict = field(default_factory=dict)  # code -> multiplier
    counts: dict = field(default_factory=dict)   # code -> [fired, applied] (for the report)

    @staticmethod
    def _key(places: int, q: bool) -> str:
        return f"{min(places, MAX_PLACES)},{int(bool(q))}"

    @classmethod
    def fit(cls, examples: list[Example]) -> RuleCalibration:
        seen: dict[str, list[int]] = {}
        counts: dict[str, list[int]] = {}
        for ex in examples:
            for code, places, q in ex.evidence:
                hit = 1 if code in ex.labels else 0
                s = seen.setdefault(cls._key(places, q), [0, 0])
                s[0] += 1
                s[1] += hit
                c = counts.setdefault(code, [0, 0])
                c[0] += 1
                c[1] += hit
        table = {}
        for places in range(1, MAX_PLACES + 1):
            for q in (False, True):
                k = cls._key(places, q)
                n, h = seen.get(k, (0, 0))
                table[k] = (h + TABLE_PRIOR_WEIGHT * prior(places, q)) / (n + TABLE_PRIOR_WEIGHT)
        expected: dict[str, float] = {}
        for ex in examples:
            for code, places, q in ex.evidence:
                expected[code] = expected.get(code, 0.0) + table[cls._key(places, q)]
        w = CODE_PRIOR_WEIGHT
        factors = {code: (counts[code][1] + w) / (expected[code] + w) for code in counts}
        return cls(table, factors, counts)

    def probability(self, code: str, places: int, in_question: bool) -> float:
        base = self.table.get(self._key(places, in_question))
        if base is None:
            base = prior(places, in_question)
        return min(1.0, base * self.factors.get(code, 1.0))

    def to_dict(self) -> dict:
        return {"table": self.table, "factors": self.factors, "counts": self.counts}

    @classmethod
    def from_dict(cls, d: dict | None) -> RuleCalibration | None:
        if not d:
            return None
        return cls(dict(d.get("table") or {}), dict(d.get("factors") or {}),
                   dict(d.get("counts") or {}))


# ---- the classifier ---------------------------------------------------------------------------
class TextcatModel:
    """A trained classifier and rule calibration. ``predict(list of token lists)`` returns one
    ``{code: probability}`` per segment."""

    def __init__(self, nlp, labels: list[str], settings: TrainSettings,
                 calibration: RuleCalibration | None = None, meta: dict | None = None):
        self.nlp = nlp
        self.labels = list(labels)
        self.settings = settings
        self.calibration = calibration
        self.meta = dict(meta or {})

    @property
    def textcat(self):
        return self.nlp.get_pipe("textcat_multilabel")

    def predict(self, word_lists) -> list[dict[str, float]]:
        from spacy.tokens import Doc
        if not word_lists:
            return []
        vocab = self.nlp.vocab
        docs = [Doc(vocab, words=list(w) or ["<empty>"]) for w in word_lists]
        model = self.textcat.model
        scores = _sigmoid(model.ops.to_numpy(model.predict(docs))).tolist()
        labels = self.textcat.labels
        return [dict(zip(labels, row)) for row in scores]

    # -- persistence -----------------------------------------------------------------------------
    def save(self, folder: Path, meta: dict) -> Path:
        """Write the model to ``folder`` atomically (a temporary folder renamed into place)."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
        try:
            self.nlp.to_disk(tmp)
            self.meta = {**meta, "format": MODEL_FORMAT, "labels": self.labels,
                         "settings": self.settings.to_dict(),
                         "rule_calibration": (self.calibration.to_dict()
                                              if self.calibration else None)}
            (tmp / META_FILE).write_text(json.dumps(self.meta, indent=2, ensure_ascii=False),
                                         encoding="utf-8")
            old = None
            if folder.exists():
                old = folder.with_name(f".{folder.name}-old-{os.getpid()}")
                if old.exists():
                    shutil.rmtree(old)
                os.replace(folder, old)
            os.replace(tmp, folder)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return folder

    @classmethod
    def load(cls, folder: Path) -> TextcatModel | None:
        """The saved model, or None when there is none or it cannot be used (other format)."""
        folder = Path(folder)
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("format") != MODEL_FORMAT:
            return None
        import spacy
        try:
            nlp = spacy.load(folder)
        except (OSError, ValueError, KeyError):
            return None
        settings = TrainSettings(**{k: v for k, v in (meta.get("settings") or {}).items()
                                    if k in TrainSettings.__dataclass_fields__})
        return cls(nlp, meta.get("labels") or [], settings,
                   RuleCalibration.from_dict(meta.get("rule_calibration")), meta)


def _sigmoid(x):
    return 1.0 / (1.0 + numpy.exp(-numpy.clip(x, -30.0, 30.0)))


def train_model(examples: list[Example], labels: list[str] | None = None, *, lang: str = "en",
                settings: TrainSettings | None = None) -> TextcatModel | None:
    """Train the classifier and the rule calibration on ``examples``; None when there is
    nothing to learn (no example carries a code)."""
    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example as SpacyExample
    from spacy.util import minibatch
    from thinc.api import Adam
    settings = settings or TrainSettings()
    if labels is None:
        labels = sorted({c for ex in examples for c in ex.labels})
    labels = list(labels)
    if not examples or not labels:
        return None
    spacy.util.fix_random_seed(settings.seed)
    try:
        nlp = spacy.blank(lang)
    except (ImportError, KeyError, ValueError):
        nlp = spacy.blank("xx")
    length = settings.hash_length
    if not length:
        n_words = len({w for ex in examples for w in ex.words})
        length = 2 ** min(18, max(12, math.ceil(math.log2(4 * max(n_words, 1)))))
    config = {"model": {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False,
                        "ngram_size": settings.ngram_size, "no_output_layer": True,
                        "length": length},
              "threshold": 0.5}
    textcat = nlp.add_pipe("textcat_multilabel", config=config)
    for label in labels:
        textcat.add_label(label)
    vocab = nlp.vocab
    docs = [Doc(vocab, words=list(ex.words) or ["<empty>"]) for ex in examples]
    index = {label: j for j, label in enumerate(labels)}
    truth = numpy.zeros((len(examples), len(labels)), dtype="float32")
    for i, ex in enumerate(examples):
        for c in ex.labels:
            if c in index:
                truth[i, index[c]] = 1.0
    init = [SpacyExample.from_dict(docs[0], {"cats": {label: 0.0 for label in labels}})]
    # no parameter averages: they are never used for prediction here and cost as much as Adam
    optimizer = nlp.initialize(lambda: init, sgd=Adam(settings.learn_rate, use_averages=False))
    model = textcat.model
    rng = random.Random(settings.seed)
    order = list(range(len(docs)))
    size = max(4, min(settings.batch_size, -(-len(docs) // max(1, settings.updates_per_epoch))))
    per_epoch = -(-len(docs) // size)
    epochs = max(settings.epochs, -(-settings.min_updates // per_epoch))
    for _ in range(epochs):
        rng.shuffle(order)
        for batch in minibatch(order, size=size):
            logits, backprop = model.begin_update([docs[i] for i in batch])
            probs = _sigmoid(model.ops.to_numpy(logits))
            backprop(model.ops.asarray((probs - truth[batch]) / len(batch)))
            model.finish_update(optimizer)
    return TextcatModel(nlp, labels, settings, RuleCalibration.fit(examples))
