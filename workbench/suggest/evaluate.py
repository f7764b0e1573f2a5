"""How far can the suggestions be trusted? Cross-validation by transcript, against baselines.

The coded transcripts are split into ``folds`` groups (:func:`~.metrics.split_by_transcript`,
like scikit-learn's ``GroupKFold``). For each group in turn the suggester learns from the
*other* transcripts only — including the calibration of its weights and threshold, which is a
cross-validation of its own inside those transcripts — and its suggestions for the held-out
transcripts (exactly as the coding screen would show them, same threshold) are compared with
the human coding. No segment of a test transcript is ever in training.

Reported: per code and pooled (micro) and averaged (macro) precision, recall, F1 and Cohen's
kappa; the kinds of evidence each code used; the ranking of the codes (recall@1, recall@3, MRR
over coded turns); each kind of evidence alone; the **baselines** of :mod:`.baselines` on the
same units and folds, and a plain ``verdict`` saying whether the suggestions beat every one;
the coders' agreement with each other; a learning curve (0, 1, 2, 4, … coded transcripts per
training group; 0 = the codebook alone).

Whose coding: by default the team's (every coder, the consensus where there is one);
``coders=[...]``: exactly those; ``coder="anna"``: anna's learning source (her own codings and
the consensus, unless ``learn_from = "all"``), as her suggestions would learn.
"""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from itertools import combinations

from ..config import CONSENSUS
from .combine import KINDS, threshold_for
from .data import coded_passages, coder_units, default_coders, training_units
from .metrics import ranking, short, split_by_transcript, summary, tables

FREQUENT_SUPPORT = 10


@dataclass
class EvaluationReport:
    folds: int
    per_code: list[dict] = field(default_factory=list)
    micro: dict = field(default_factory=dict)
    macro: dict = field(default_factory=dict)
    learning_curve: list[dict] = field(default_factory=list)
    components: dict = field(default_factory=dict)   # each kind of evidence alone (micro)
    human: dict = field(default_factory=dict)        # coders vs each other (micro + pairs)
    n_transcripts: int = 0
    n_segments: int = 0
    coders: list = field(default_factory=list)   # the human coders (never ``consensus``)
    consensus_transcripts: list = field(default_factory=list)  # labels taken from the consensus
    fold_transcripts: list = field(default_factory=list)   # the test transcripts of each fold
    threshold: float = 0.5
    seconds: float = 0.0
    note: str | None = None
    ranking: dict = field(default_factory=dict)      # recall_at_1, recall_at_3, mrr
    baselines: list = field(default_factory=list)    # [{name, micro, macro, ranking}]
    verdict: str | None = None                       # beats the baselines, in words
    beats_baselines: bool | None = None
    learned_thresholds: list = field(default_factory=list)   # per fold (probability)
    variant: str | None = None                       # "max N examples per code", "codebook only"

    def to_dict(self) -> dict:
        return asdict(self)


def cut_examples(units: dict, max_per_code: int) -> dict:
    """At most ``max_per_code`` coded units per code (the first ones, transcript by transcript);
    uncoded units stay (they are negatives); a unit whose codes were all cut is left out."""
    counts: dict[str, int] = {}
    out = {}
    for u in sorted(units):
        labels = units[u]
        if not labels:
            out[u] = labels
            continue
        keep = set()
        for c in sorted(labels):
            if counts.get(c, 0) < max_per_code:
                keep.add(c)
                counts[c] = counts.get(c, 0) + 1
        if keep:
            out[u] = frozenset(keep)
    return out


def evaluate(project, folds: int = 5, coders: list[str] | None = None, *, coder=None,
             curve: bool = True, suggester=None, seed: int = 0, progress=None,
             max_examples: int | None = None, codebook_only: bool = False,
             baselines: bool = True, settings=None) -> EvaluationReport:
    """Cross-validate the suggestions against the human coding (see module doc). Nothing is
    saved; no saved model is touched."""
    from .suggester import Suggester
    t0 = time.perf_counter()
    s = suggester or Suggester(project, coder=coder, coders=coders, load_model=False)
    cfg = s.cfg
    inter = bool(cfg.include_interviewer)
    if coder is not None or (suggester is not None and suggester.coder is not None):
        units, info = s.units()
        passages = s.passages(units)
    else:
        units, info = training_units(project, coders, inter)
        passages = coded_passages(project, coders if coders is not None
                                  else default_coders(project), coders is None, units)
    rep = EvaluationReport(folds=0, coders=[c for c in info["coders"] if c != CONSENSUS],
                           consensus_transcripts=list(info["consensus_transcripts"]),
                           threshold=float(cfg.threshold))
    rep.variant = ("codebook only (no coded examples)" if codebook_only else
                   f"at most {max_examples} coded turns per code" if max_examples else None)
    if not units:
        rep.note = ("nothing to evaluate: no coder has coded a segment or marked a transcript "
                    "done yet (suggestions are compared with the team's coding)")
        return rep
    sizes: dict[str, int] = {}
    for tid, _ in units:
        sizes[tid] = sizes.get(tid, 0) + 1
    rep.n_transcripts, rep.n_segments = len(sizes), len(units)
    feats = {}
    for tid in sorted(sizes):
        for f in s.features(tid):
            if (tid, f.index) in units:
                feats[(tid, f.index)] = f
    applied = {c for v in units.values() for c in v}
    codes = s.candidate_codes(applied)
    texts = {tid: project.transcript(tid).text for tid in sizes}

    def text_of(u):
        f = feats[u]
        return texts[u[0]][f.start:f.end]

    def train_on(tids):
        if codebook_only:
            return None
        tr = {u: v for u, v in units.items() if u[0] in tids}
        if max_examples:
            tr = cut_examples(tr, max_examples)
        if not tr or not any(tr.values()):
            return None
        return s.fit(tr, passages)

    def predict(test_tids, model, parts=()):
        """(decisions, scores, codes, {part: decisions of that part of the evidence alone})
        for the units of ``test_tids``: the evidence is computed once for all of them."""
        us = [u for u in units if u[0] in test_tids]
        fs = [feats[u] for u in us]
        if not fs:
            return {}, {}, [], {name: {} for name in parts}
        cs, P, S, ev = s.score_matrix(fs, model)
        limits = [threshold_for(c, cfg) for c in cs]

        def decisions(S):
            return {u: {c for j, c in enumerate(cs) if S[i, j] >= limits[j]}
                    for i, u in enumerate(us)}
        scores = {u: {c: float(S[i, j]) for j, c in enumerate(cs)} for i, u in enumerate(us)}
        alone = {name: decisions(_alone(name, cs, ev, model)[1]) for name in parts}
        return decisions(S), scores, cs, alone

    k = min(folds, len(sizes))
    if k < 2:
        rep.note = ("only one coded transcript: nothing can be tested on a transcript it was not "
                    "learned from, so this shows the codebook evidence alone")
        splits: list[tuple[list[str], list[str]]] = [([], sorted(sizes))]
    else:
        splits = split_by_transcript(sizes, k)
    rep.folds = len(splits) if k >= 2 else 0
    rep.fold_transcripts = [test for _, test in splits]
    preds: dict[tuple, set[str]] = {}
    scores: dict[tuple, dict[str, float]] = {}
    comp: dict[str, dict[tuple, set[str]]] = {name: {} for name in ("rules", "model", "codebook")}
    used_counts: dict[str, dict[str, int]] = {}
    base: dict[str, tuple[dict, dict]] = {name: ({}, {}) for name, _, _ in BASELINE_LIST()}
    order_rng = random.Random(seed)
    orders = []
    stop = _stop_words(s)
    for i, (train, test) in enumerate(splits):
        if progress:
            progress(f"fold {i + 1}/{len(splits)}: training on {len(train)} transcripts")
        model = train_on(set(train)) if train else None
        test_set = set(test)
        p, sc, cs, alone = predict(test_set, model, tuple(comp))
        preds.update(p)
        scores.update(sc)
        for name in comp:
            comp[name].update(alone[name])
        comb = model.combiner if model is not None else s._default_combiner
        if model is not None:
            rep.learned_thresholds.append(comb.threshold)
        for c in cs:
            for kind in comb.used(c, model is not None and model.trained(c)):
                if kind == "codebook" and not s.codebook_index.weights.get(c):
                    continue      # no text to match (e.g. a name of stop words)
                if kind == "keyword" and c not in s.rules.codes:
                    continue      # no keywords or patterns
                used_counts.setdefault(c, {}).setdefault(kind, 0)
                used_counts[c][kind] += 1
        if baselines:
            tr_units = {u: v for u, v in units.items() if u[0] in set(train)}
            if max_examples:
                tr_units = cut_examples(tr_units, max_examples)
            te_units = {u: v for u, v in units.items() if u[0] in test_set}
            for name, fn, learns in BASELINE_LIST():
                if learns != "nothing" and not any(tr_units.values()):
                    continue
                if learns == "examples" and codebook_only:
                    continue   # it would learn from the examples the suggestions are denied
                bp, bs = fn(tr_units, te_units, text_of, codes, stop, project.codebook)
                base[name][0].update(bp)
                base[name][1].update(bs)
        order = list(train)
        order_rng.shuffle(order)
        orders.append(order)
    micro, macro, per = summary(tables(units, preds, codes))
    human = human_agreement(project, info["coders"], inter, codes)
    n_models = max(1, len(splits))
    for p in per:
        p["human_kappa"] = human["per_code"].get(p["code"])
        counts = used_counts.get(p["code"], {})
        p["evidence"] = [kd for kd in KINDS if counts.get(kd, 0) * 2 >= n_models]
    rep.per_code, rep.micro, rep.macro = per, micro, macro
    rep.ranking = ranking(units, scores, codes)
    rep.components = {name: short(summary(tables(units, comp[name], codes))[0])
                      for name in comp}
    rep.human = {"micro": human["micro"], "pairs": human["pairs"]}
    if baselines:
        for name, _, _ in BASELINE_LIST():
            bp, bs = base[name]
            if not bp:
                continue
            bm, bmac, _ = summary(tables(units, bp, codes))
            rep.baselines.append({"name": name, "micro": short(bm), "macro": bmac,
                                  "ranking": ranking(units, bs, codes)})
        rep.beats_baselines, rep.verdict = verdict(rep)
    if curve and k >= 2 and not codebook_only:
        rep.learning_curve = _curve(units, splits, orders, predict, train_on, codes, micro,
                                    progress)
    rep.seconds = round(time.perf_counter() - t0, 2)
    if not any(units.values()):
        rep.note = ("the coded segments carry no codes yet: only the codebook evidence was "
                    "evaluated, and every suggestion counts as a false positive")
    return rep


def _alone(name, codes, ev, model):
    """Probabilities and scores from one part of the evidence: ``rules`` (keywords, fixed
    weights), ``codebook`` (codebook text and keywords, weighted as for a code without examples)
    or ``model`` (the coded examples: learned model and nearest examples)."""
    import numpy

    from .combine import Combiner
    comb = ev.combiner
    P = numpy.zeros(ev.E.shape[:2])
    for j, c in enumerate(codes):
        x = ev.E[:, j, :] * numpy.asarray(ev.scale)
        if name == "rules":
            P[:, j] = Combiner().probability(c, x * [0, 0, 0, 1])
        elif name == "codebook":
            t = numpy.asarray(comb.zero_shot)
            P[:, j] = 1 / (1 + numpy.exp(-(t[0] + x[:, 2:] @ t[3:])))
        else:
            P[:, j] = comb.probability(c, x * [1, 1, 0, 0]) if model is not None else 0.0
    return P, comb.score(P)


def BASELINE_LIST():
    from .baselines import BASELINES
    return BASELINES


def _stop_words(s) -> frozenset:
    from .codebook_text import _stop_words as sw
    return sw(s.pipeline)


def verdict(rep) -> tuple[bool | None, str | None]:
    """Whether the suggestions reach every baseline's micro F1 and kappa, in words."""
    mine = rep.micro or {}
    f1, kappa = mine.get("f1"), mine.get("kappa")
    if f1 is None or not rep.baselines or not mine.get("support"):
        return None, None       # nothing coded to compare with
    worse = []
    for b in rep.baselines:
        bm = b["micro"] or {}
        bf, bk = bm.get("f1") or 0.0, bm.get("kappa") or 0.0
        if f1 < bf or (kappa or 0.0) < bk:
            worse.append((b["name"], bf, bk))
    best = max(rep.baselines, key=lambda b: (b["micro"] or {}).get("f1") or 0.0)
    bm = best["micro"] or {}
    if not worse:
        return True, (f"The suggestions beat every baseline: F1 {f1:.2f}, κ {kappa:.2f} against "
                      f"{bm.get('f1') or 0:.2f} and {bm.get('kappa') or 0:.2f} for the best, "
                      f"'{best['name']}'.")
    names = "; ".join(f"'{n}' (F1 {bf:.2f}, κ {bk:.2f})" for n, bf, bk in worse)
    return False, (f"The suggestions (F1 {f1:.2f}, κ {kappa or 0:.2f}) do NOT beat {names}: "
                   "on this coding a simpler method does as well or better, so weigh each "
                   "suggestion with care.")


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
            preds.update(predict(set(test), model)[0])
        m, _, _ = summary(tables(units, preds, codes))
        out.append({"transcripts": n, "segments": round(sum(n_segs) / len(n_segs)), **short(m)})
    full_segs = [sum(1 for u in units if u[0] in set(tr)) for tr, _ in splits]
    mean_n = sum(len(tr) for tr, _ in splits) / len(splits)
    out.append({"transcripts": int(mean_n) if mean_n == int(mean_n) else round(mean_n, 1),
                "segments": round(sum(full_segs) / len(full_segs)), **short(full_micro)})
    return out


def human_agreement(project, coders, include_interviewer: bool, codes: list[str]) -> dict:
    """Coders against each other: per code kappa (mean over pairs) and micro scores."""
    names = [c for c in (coders if coders is not None else default_coders(project))
             if c != CONSENSUS]
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
        tabs = tables(ta, tb, codes)
        micro, _, per = summary(tabs)
        pairs.append({"coders": [a, b], "segments": len(common), **short(micro)})
        for p in per:
            if p["kappa"] is not None and (p["support"] or p["suggested"]):
                per_code.setdefault(p["code"], []).append(p["kappa"])
        for tp, fp, fn, tn in tabs.values():
            tot = [x + y for x, y in zip(tot, (tp, fp, fn, tn))]
    from .metrics import binary_scores
    pooled = short(binary_scores(*tot)) if pairs else None
    return {"pairs": pairs, "micro": pooled,
            "per_code": {c: round(sum(v) / len(v), 4) for c, v in per_code.items()}}
