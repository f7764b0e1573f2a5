"""How far can the suggestions be trusted? Cross-validation by transcript.

The coded transcripts are split into ``folds`` groups (:func:`split_by_transcript`, like
scikit-learn's ``GroupKFold``: every segment of a transcript is in the same group). For each
group in turn a model is trained on the *other* transcripts only, and the suggestions it makes
together with the rules (exactly as the coding screen would show them, same threshold) are
compared with the human coding of the held-out transcripts. No segment of a test transcript is
ever in training.

Units are segments (see :mod:`workbench.suggest.data`); for each code, a unit is a positive when
the team gave it the code and a suggestion when the suggester proposes the code. Pooled over the
folds, per code: precision, recall, F1 and Cohen's kappa (chance-corrected agreement, the same
statistic as between two coders), support = units the team coded with it. ``micro`` pools the
decisions of every code; ``macro`` averages the codes with support. ``human_kappa`` is the
agreement of the coders with each other on the same code (mean over pairs of coders, on segments
both have seen) — the yardstick: suggestions are as good as a second coder when their kappa is
as high.

The learning curve repeats the cross-validation with models trained on only the first 0, 1, 2,
4, … coded transcripts of each training group (0 = rules only).
"""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from itertools import combinations

from ..config import CONSENSUS
from .data import coder_units, default_coders
from .model import TrainSettings, train_model

FREQUENT_SUPPORT = 10


@dataclass
class EvaluationReport:
    folds: int
    per_code: list[dict] = field(default_factory=list)
    micro: dict = field(default_factory=dict)
    macro: dict = field(default_factory=dict)
    learning_curve: list[dict] = field(default_factory=list)
    components: dict = field(default_factory=dict)   # rules alone / model alone (micro)
    human: dict = field(default_factory=dict)        # coders vs each other (micro + pairs)
    n_transcripts: int = 0
    n_segments: int = 0
    coders: list = field(default_factory=list)   # the human coders (never ``consensus``)
    consensus_transcripts: list = field(default_factory=list)  # labels taken from the consensus
    fold_transcripts: list = field(default_factory=list)   # the test transcripts of each fold
    threshold: float = 0.5
    seconds: float = 0.0
    note: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


# ---- the split ------------------------------------------------------------------------------
def split_by_transcript(sizes: dict[str, int], k: int) -> list[tuple[list[str], list[str]]]:
    """``k`` (train, test) splits of the transcripts; each transcript is a test transcript in
    exactly one split. Largest transcripts first, each into the smallest group so far (balanced
    number of segments, deterministic)."""
    tids = sorted(sizes, key=lambda t: (-sizes[t], t))
    k = max(1, min(k, len(tids)))
    groups: list[list[str]] = [[] for _ in range(k)]
    load = [0] * k
    for tid in tids:
        g = min(range(k), key=lambda i: (load[i], len(groups[i]), i))
        groups[g].append(tid)
        load[g] += sizes[tid]
    out = []
    for g in range(k):
        test = sorted(groups[g])
        train = sorted(t for t in tids if t not in set(test))
        out.append((train, test))
    return out


# ---- metrics --------------------------------------------------------------------------------
def binary_scores(tp: int, fp: int, fn: int, tn: int) -> dict:
    n = tp + fp + fn + tn
    prec = tp / (tp + fp) if tp + fp else None
    rec = tp / (tp + fn) if tp + fn else None
    if prec is None or rec is None:
        f1 = None if (tp + fp + fn) == 0 else 0.0
    else:
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    kappa = None
    if n:
        po = (tp + tn) / n
        pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        kappa = (po - pe) / (1 - pe) if pe < 1 else None
    r = lambda v: None if v is None else round(v, 4)
    return {"precision": r(prec), "recall": r(rec), "f1": r(f1), "kappa": r(kappa),
            "support": tp + fn, "suggested": tp + fp, "tp": tp, "fp": fp, "fn": fn}


def _tables(truth: dict, pred: dict, codes: list[str]) -> dict[str, list[int]]:
    """code -> [tp, fp, fn, tn] over the units of ``truth``."""
    t = {c: [0, 0, 0, 0] for c in codes}
    for unit, gold in truth.items():
        got = pred.get(unit, set())
        for c in codes:
            g, p = c in gold, c in got
            t[c][0 if g and p else 1 if p else 2 if g else 3] += 1
    return t


def _summary(tables: dict[str, list[int]]) -> tuple[dict, dict, list[dict]]:
    per = []
    tot = [0, 0, 0, 0]
    for c, (tp, fp, fn, tn) in tables.items():
        per.append({"code": c, **binary_scores(tp, fp, fn, tn)})
        tot = [a + b for a, b in zip(tot, (tp, fp, fn, tn))]
    micro = binary_scores(*tot)
    with_support = [p for p in per if p["support"]]
    macro = {}
    for k in ("precision", "recall", "f1", "kappa"):
        vals = [p[k] if p[k] is not None else 0.0 for p in with_support]
        macro[k] = round(sum(vals) / len(vals), 4) if vals else None
    macro["codes"] = len(with_support)
    return micro, macro, per


def _short(m: dict) -> dict:
    return {k: m.get(k) for k in ("precision", "recall", "f1", "kappa", "support", "suggested")}


# ---- the evaluation -------------------------------------------------------------------------
def evaluate(project, folds: int = 5, coders: list[str] | None = None, *, curve: bool = True,
             settings: TrainSettings | None = None, suggester=None, seed: int = 0,
             progress=None) -> EvaluationReport:
    """Cross-validate the suggestions against the team's coding (see module doc). Nothing is
    saved; the project's own model is not touched."""
    from .combine import rule_score, threshold_for
    from .data import training_units
    from .suggester import Suggester
    t0 = time.perf_counter()
    s = suggester or Suggester(project, settings=settings, load_model=False)
    cfg = s.cfg
    units, info = training_units(project, coders, bool(cfg.include_interviewer))
    rep = EvaluationReport(folds=0, coders=[c for c in info["coders"] if c != CONSENSUS],
                           consensus_transcripts=list(info["consensus_transcripts"]),
                           threshold=float(cfg.threshold))
    if not units:
        rep.note = ("nothing to evaluate: no coder has coded a segment or marked a transcript "
                    "done yet (suggestions are compared with the team's coding)")
        return rep
    if s.rules.empty and not any(units.values()):
        rep.note = ("nothing to evaluate: the codebook has no keywords and the coded segments "
                    "carry no codes to learn from")
        return rep
    sizes: dict[str, int] = {}
    for tid, _ in units:
        sizes[tid] = sizes.get(tid, 0) + 1
    rep.n_transcripts, rep.n_segments = len(sizes), len(units)
    feats: dict[tuple[str, int], object] = {}
    for tid in sorted(sizes):
        for f in s.features(tid):
            if (tid, f.index) in units:
                feats[(tid, f.index)] = f
    cb = project.codebook
    seen_codes = {c for v in units.values() for c in v}
    codes = [c for c in cb.codes if c in seen_codes or c in s.rules.codes]

    def predict(test_tids, model):
        fs = [feats[u] for u in units if u[0] in test_tids]
        out: dict = {}
        for sg in s.score_features(fs, model):
            out.setdefault((sg.transcript, sg.segment), set()).add(sg.code)
        return out

    def component_preds(test_tids, model):
        fs = [feats[u] for u in units if u[0] in test_tids]
        cal = model.calibration if model is not None else None
        rules = {}
        for f in fs:
            qr = set(f.question_rules)
            rules[(f.transcript, f.index)] = {
                c for c, ev in f.rules.items()
                if rule_score(c, ev, c in qr, cal) >= threshold_for(c, cfg)}
        mod: dict = {}
        if model is not None and fs:
            from .model import model_words
            scores = model.predict([model_words(f, model.settings) for f in fs])
            for f, sc in zip(fs, scores):
                mod[(f.transcript, f.index)] = {cb.resolve(c) for c, p in sc.items()
                                                if p >= threshold_for(cb.resolve(c), cfg)}
        return rules, mod

    def train_on(tids):
        exs = [_example(s, feats[u], units[u]) for u in units if u[0] in tids]
        labels = sorted({c for e in exs for c in e.labels})
        if not exs or not labels:
            return None
        return train_model(exs, labels, lang=s.pipeline.language, settings=s.settings)

    k = min(folds, len(sizes))
    if k < 2:
        rep.note = ("only one coded transcript: the model cannot be tested on a transcript it "
                    "was not trained on, so this shows the rules alone")
        splits = [([], sorted(sizes))]
    else:
        splits = split_by_transcript(sizes, k)
    rep.folds = len(splits) if k >= 2 else 0
    rep.fold_transcripts = [test for _, test in splits]
    preds, rule_preds, model_preds = {}, {}, {}
    order_rng = random.Random(seed)
    orders = []
    for i, (train, test) in enumerate(splits):
        if progress:
            progress(f"fold {i + 1}/{len(splits)}: training on {len(train)} transcripts")
        model = train_on(set(train)) if train else None
        test_set = set(test)
        preds.update(predict(test_set, model))
        r, m = component_preds(test_set, model)
        rule_preds.update(r)
        model_preds.update(m)
        order = list(train)
        order_rng.shuffle(order)
        orders.append(order)
    micro, macro, per = _summary(_tables(units, preds, codes))
    human = human_agreement(project, coders, bool(cfg.include_interviewer), codes)
    for p in per:
        p["human_kappa"] = human["per_code"].get(p["code"])
    rep.per_code, rep.micro, rep.macro = per, micro, macro
    rep.components = {"rules": _short(_summary(_tables(units, rule_preds, codes))[0])}
    if k >= 2:
        rep.components["model"] = _short(_summary(_tables(units, model_preds, codes))[0])
    rep.human = {"micro": human["micro"], "pairs": human["pairs"]}
    if curve and k >= 2:
        rep.learning_curve = _curve(units, splits, orders, predict, train_on, codes, micro,
                                    progress)
    rep.seconds = round(time.perf_counter() - t0, 2)
    if not any(units.values()):
        rep.note = ("the coded segments carry no codes yet: only the rules were evaluated, and "
                    "every suggestion counts as a false positive")
    return rep


def _example(s, f, labels):
    from .model import make_example
    return make_example(f, labels, s.settings)


def _curve(units, splits, orders, predict, train_on, codes, full_micro, progress) -> list[dict]:
    max_train = min(len(tr) for tr, _ in splits)
    points = [0]
    n = 1
    while n < max_train:
        points.append(n)
        n *= 2
    out = []
    for n in points:
        if progress:
            progress(f"learning curve: {n} coded transcript(s)")
        preds: dict = {}
        n_segs = []
        for (_train, test), order in zip(splits, orders):
            use = set(order[:n])
            n_segs.append(sum(1 for u in units if u[0] in use))
            model = train_on(use) if use else None
            preds.update(predict(set(test), model))
        m, _, _ = _summary(_tables(units, preds, codes))
        out.append({"transcripts": n, "segments": round(sum(n_segs) / len(n_segs)),
                    **_short(m)})
    full_segs = [sum(1 for u in units if u[0] in set(tr)) for tr, _ in splits]
    mean_n = sum(len(tr) for tr, _ in splits) / len(splits)
    out.append({"transcripts": int(mean_n) if mean_n == int(mean_n) else round(mean_n, 1),
                "segments": round(sum(full_segs) / len(full_segs)), **_short(full_micro)})
    return out


def human_agreement(project, coders, include_interviewer: bool, codes: list[str]) -> dict:
    """Coders against each other: per code kappa (mean over pairs) and micro scores."""
    names = list(coders) if coders is not None else default_coders(project)
    maps = {c: coder_units(project, c, include_interviewer) for c in names}
    pairs = []
    per_code: dict[str, list[float]] = {}
    tot = [0, 0, 0, 0]
    for a, b in combinations(names, 2):
        common = set(maps[a]) & set(maps[b])
        if not common:
            continue
        ta = {u: maps[a][u] for u in common}
        tb = {u: maps[b][u] for u in common}
        tables = _tables(ta, tb, codes)
        micro, _, per = _summary(tables)
        pairs.append({"coders": [a, b], "segments": len(common), **_short(micro)})
        for p in per:
            if p["kappa"] is not None and (p["support"] or p["suggested"]):
                per_code.setdefault(p["code"], []).append(p["kappa"])
        for tp, fp, fn, tn in tables.values():
            tot = [x + y for x, y in zip(tot, (tp, fp, fn, tn))]
    micro = _short(binary_scores(*tot)) if pairs else None
    return {"pairs": pairs, "micro": micro,
            "per_code": {c: round(sum(v) / len(v), 4) for c, v in per_code.items()}}
