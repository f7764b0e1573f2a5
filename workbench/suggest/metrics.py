"""Scores of suggestions against human coding, unit by unit: the cross-validation split, the
2x2 tables per code, precision / recall / F1 / Cohen's kappa (micro and macro), and the ranking
measures (recall@1, recall@3, mean reciprocal rank).

Ranking: over the *coded* units, the candidate codes are ordered by score (ties: the worse rank,
so a method that gives every code 0 gets no credit); recall@k is the share of coded units with
at least one of their codes among the first k, MRR the mean of 1 / rank of the first of them.
"""
from __future__ import annotations

from typing import overload

import numpy


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


def tables(truth: dict, pred: dict, codes: list[str]) -> dict[str, list[int]]:
    """code -> [tp, fp, fn, tn] over the units of ``truth``."""
    t = {c: [0, 0, 0, 0] for c in codes}
    for unit, gold in truth.items():
        got = pred.get(unit, set())
        for c in codes:
            g, p = c in gold, c in got
            t[c][0 if g and p else 1 if p else 2 if g else 3] += 1
    return t


def summary(tabs: dict[str, list[int]]) -> tuple[dict, dict, list[dict]]:
    per = []
    tot = [0, 0, 0, 0]
    for c, (tp, fp, fn, tn) in tabs.items():
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


@overload
def short(m: dict) -> dict: ...
@overload
def short(m: None) -> None: ...
def short(m: dict | None) -> dict | None:
    if m is None:
        return None
    return {k: m.get(k) for k in ("precision", "recall", "f1", "kappa", "support", "suggested")}


def ranking(truth: dict, scores: dict, codes: list[str]) -> dict:
    """recall@1, recall@3 and MRR over the coded units of ``truth``; ``scores``: unit ->
    {code: score} (codes missing score 0)."""
    n = r1 = r3 = 0
    rr = 0.0
    for unit, gold in truth.items():
        gold = {c for c in gold if c in codes}
        if not gold:
            continue
        n += 1
        sc = scores.get(unit, {})
        vals = numpy.array([sc.get(c, 0.0) for c in codes])
        # ties: the worse rank
        best = min(int((vals > s).sum() + (vals == s).sum())
                   for s in (sc.get(c, 0.0) for c in gold))
        r1 += best <= 1
        r3 += best <= 3
        rr += 1.0 / best
    if not n:
        return {"recall_at_1": None, "recall_at_3": None, "mrr": None, "units": 0}
    return {"recall_at_1": round(r1 / n, 4), "recall_at_3": round(r3 / n, 4),
            "mrr": round(rr / n, 4), "units": n}
