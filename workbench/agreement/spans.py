"""Span-level agreement (``--unit span``).

1. **Character level**, per code (like NVivo's coding comparison): every character of the
   in-scope segments is a unit; a coder's value is 1 when a span coded with the code -- or with a
   code below it: parents roll up as at the other units -- covers it. Runs of characters in which
   no coder's status changes are weighted units, so the cost grows with the number of codings,
   not of characters. Reported: ``n_characters``, ``prevalence`` (share of character judgments
   with the code), ``percent_agreement`` (mean over coder pairs), ``unanimous`` (all coders
   agree), Cohen's kappa (two coders) or Fleiss' kappa (three or more), and Krippendorff's alpha
   (binary, nominal).
2. **Segment match**, per code (like MAXQDA): two codings of the code (or of codes below it) by
   two coders agree when their overlap is at least ``overlap`` (default 0.9) of the longer one.
   Each coding of either coder is matched or not; ``segment_match`` is matched / all codings of
   the pair, averaged over coder pairs. ``n_codings`` is the number of codings of the code (or
   below it) by the compared coders in the transcripts in scope, each coding counted once.

A code no coder applied has every figure null, with the reason (as at the other units).

Only transcripts that every compared coder marked done are in scope (all with
``include_unfinished``); interviewer turns are left out unless ``all_speakers``.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ..project import Project
from .coefficients import R_ALWAYS, R_NOT_APPLIED
from .units import BAD_STATUS, check_coders

SPAN_COLUMNS = ["code", "n_characters", "prevalence", "percent_agreement", "unanimous",
                "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "segment_match", "n_codings",
                "reason"]


class _Scope:
    """The in-scope segments of one transcript as sorted arrays."""

    def __init__(self, segs: list[tuple[int, int]]):
        self.starts = np.array([a for a, _ in segs], dtype=np.int64)
        self.ends = np.array([b for _, b in segs], dtype=np.int64)
        self.n_chars = int((self.ends - self.starts).sum())

    def touches(self, s: int, e: int) -> bool:
        """Whether [s, e) overlaps an in-scope segment."""
        i = int(np.searchsorted(self.ends, s, side="right"))
        return i < len(self.starts) and self.starts[i] < e and s < e


def _runs(scope: _Scope, per_coder) -> tuple[np.ndarray, np.ndarray]:
    """(run lengths, runs x coders coverage) over the in-scope characters of one transcript:
    the runs between every segment and span boundary, those inside a segment kept."""
    if not any(per_coder):
        return (np.array([scope.n_chars], dtype=np.float64) if scope.n_chars else np.zeros(0),
                np.zeros((1 if scope.n_chars else 0, len(per_coder)), dtype=bool))
    pts = [scope.starts, scope.ends]
    for sp in per_coder:
        if sp:
            pts.append(np.asarray(sp, dtype=np.int64).ravel())
    bounds = np.unique(np.concatenate(pts))
    left = bounds[:-1]
    k = np.searchsorted(scope.starts, left, side="right") - 1
    inside = (k >= 0) & (left < scope.ends[np.maximum(k, 0)])
    cov = np.zeros((len(left), len(per_coder)), dtype=bool)
    for j, sp in enumerate(per_coder):
        if not sp:
            continue
        arr = np.asarray(sp, dtype=np.int64)
        diff = np.zeros(len(bounds) + 1, dtype=np.int64)
        np.add.at(diff, np.searchsorted(bounds, arr[:, 0]), 1)
        np.add.at(diff, np.searchsorted(bounds, arr[:, 1]), -1)
        cov[:, j] = np.cumsum(diff)[:len(left)] > 0
    return np.diff(bounds)[inside].astype(np.float64), cov[inside]


def character_figures(W: np.ndarray, C: np.ndarray) -> dict:
    """Agreement over weighted character runs: ``W`` run lengths, ``C`` runs x coders (bool).
    Returns prevalence, percent_agreement (pairwise), unanimous, kappa (Cohen's for two coders,
    Fleiss' for more), alpha, and the reason when something is undefined."""
    m = C.shape[1]
    total = float(W.sum())
    K = C.sum(axis=1).astype(np.float64)
    n1 = float((W * K).sum())
    p1 = n1 / (total * m)
    pairs = (K * (K - 1) + (m - K) * (m - K - 1)) / (m * (m - 1))
    out: dict = {"prevalence": p1, "percent_agreement": float((W * pairs).sum() / total),
                 "unanimous": float(W[(K == 0) | (m == K)].sum() / total),
                 "kappa": None, "krippendorff_alpha": None, "reason": None}
    if n1 == 0:
        return {**out, "percent_agreement": None, "unanimous": None, "reason": R_NOT_APPLIED}
    if n1 == total * m:
        out["reason"] = "kappa, krippendorff_alpha: " + R_ALWAYS
        return out
    if m == 2:
        a, b = C[:, 0], C[:, 1]
        po = float(W[a == b].sum() / total)
        pa1, pb1 = float(W[a].sum() / total), float(W[b].sum() / total)
        pe = pa1 * pb1 + (1 - pa1) * (1 - pb1)
        out["kappa"] = None if pe == 1 else (po - pe) / (1 - pe)
    else:
        pe = p1 ** 2 + (1 - p1) ** 2
        out["kappa"] = (out["percent_agreement"] - pe) / (1 - pe)
    n = total * m
    o10 = float((W * K * (m - K) / (m - 1)).sum())
    out["krippendorff_alpha"] = 1 - (n - 1) * o10 / (n1 * (n - n1))
    return out


def span_agreement(project: Project, coders: list[str] | None = None, *,
                   codes: list[str] | str | None = None, overlap: float = 0.9,
                   all_speakers: bool = False, include_unfinished: bool = False,
                   manual_only: bool = False):
    """Return ``(overall: dict, per_code: DataFrame)`` at span level (see the module docstring).

    ``overall``: ``percent_agreement`` and ``unanimous`` pooled over every (character, code)
    pair, each code counted with its own codings only (no roll-up, so no character is counted
    twice for a parent and its child), ``n_characters`` (characters in scope), ``transcripts``,
    ``overlap``, ``compared``/``suggested`` codings per coder; alpha and kappa are per code."""
    coders = check_coders(project, coders, include_unfinished=include_unfinished)
    m = len(coders)
    kname = "cohen_kappa" if m == 2 else "fleiss_kappa"
    cb = project.codebook
    scope_codes = cb.select(codes) if codes else list(cb.codes)
    in_scope = set(scope_codes)
    catalog = project.catalog()
    done = [project.state(c).done for c in coders]
    tids = [t for t in catalog if include_unfinished or all(t in d for d in done)]
    tset = set(tids)
    segs_of = {t: _Scope([(s, e) for s, e, r in zip(catalog[t].starts, catalog[t].ends,
                                                     catalog[t].roles) if all_speakers or r == "E"])
               for t in tids}
    # each coder's codings per (transcript, code): their own, and rolled up to every ancestor
    own: dict[str, dict[tuple[str, str], list[tuple[int, int]]]] = {c: {} for c in coders}
    rolled: dict[str, dict[tuple[str, str], list[tuple[int, int]]]] = {c: {} for c in coders}
    compared = dict.fromkeys(coders, 0)
    suggested = dict.fromkeys(coders, 0)
    for c in coders:
        for cd in project.codings(c):
            if cd.status in BAD_STATUS or cd.transcript not in tset or cd.code not in cb.codes:
                continue
            targets = [a for a in (cd.code, *cb.ancestors(cd.code)) if a in in_scope]
            if not targets or not segs_of[cd.transcript].touches(cd.start, cd.end):
                continue
            compared[c] += 1
            if cd.source == "suggestion":
                suggested[c] += 1
                if manual_only:
                    continue
            if cd.code in in_scope:
                own[c].setdefault((cd.transcript, cd.code), []).append((cd.start, cd.end))
            for a in targets:
                rolled[c].setdefault((cd.transcript, a), []).append((cd.start, cd.end))
    n_chars = sum(segs_of[t].n_chars for t in tids)
    leaves = {c for c in scope_codes if not any(d in in_scope for d in cb.descendants(c))}
    rows = []
    pooled = np.zeros(3)  # pairwise-agreeing characters, unanimous characters, all (char, code)
    for code in scope_codes:
        row: dict = {"code": code, "n_characters": n_chars, "prevalence": None,
                     "percent_agreement": None, "unanimous": None, kname: None,
                     "krippendorff_alpha": None, "segment_match": None, "n_codings": 0,
                     "reason": None}
        spans = {c: {t: rolled[c].get((t, code), []) for t in tids} for c in coders}
        row["n_codings"] = sum(len(v) for c in coders for v in spans[c].values())
        if n_chars == 0:
            row["reason"] = "no characters in scope (no transcript finished by every coder)"
            rows.append(row)
            continue
        W, C = _weighted_runs(tids, segs_of, spans, coders)
        fig = character_figures(W, C)
        row.update({"prevalence": fig["prevalence"], "percent_agreement": fig["percent_agreement"],
                    "unanimous": fig["unanimous"], kname: fig["kappa"],
                    "krippendorff_alpha": fig["krippendorff_alpha"]})
        # the overall pool counts each code's own codings: a leaf's are its rolled-up ones
        _pool(pooled, (W, C) if code in leaves else None, tids, segs_of, own, coders, code,
              n_chars)
        if fig["reason"] == R_NOT_APPLIED:
            row["reason"] = ("percent_agreement, unanimous, " + kname + ", krippendorff_alpha, "
                             "segment_match: " + R_NOT_APPLIED)
            rows.append(row)
            continue
        if fig["reason"]:
            row["reason"] = fig["reason"].replace("kappa,", f"{kname},", 1)
        row["segment_match"] = _segment_match(spans, coders, tids, overlap)
        rows.append(row)
    per_code = pd.DataFrame(rows).reindex(
        columns=[c for c in SPAN_COLUMNS if c != ("fleiss_kappa" if m == 2 else "cohen_kappa")])
    per_code["n_codings"] = per_code["n_codings"].astype("int64")
    overall = {
        "krippendorff_alpha": None,
        "percent_agreement": (pooled[0] / pooled[2]) if pooled[2] else None,
        "unanimous": (pooled[1] / pooled[2]) if pooled[2] else None,
        kname: None,
        "n_characters": n_chars, "coders": coders, "unit": "span", "overlap": overlap,
        "reason": "alpha and kappa are given per code at span level; percent_agreement and "
                  "unanimous pool every (character, code) pair, each code with its own codings",
        "transcripts": tids,
    }
    return overall, per_code, compared, suggested


def _weighted_runs(tids, segs_of, spans, coders):
    ws, cs = [], []
    for t in tids:
        w, cov = _runs(segs_of[t], [spans[c][t] for c in coders])
        ws.append(w)
        cs.append(cov)
    if not ws:
        return np.zeros(0), np.zeros((0, len(coders)), dtype=bool)
    return np.concatenate(ws), np.concatenate(cs, axis=0)


def _pool(pooled, runs, tids, segs_of, own, coders, code, n_chars: int) -> None:
    """Add one code's own (not rolled-up) character agreement to the overall pool (``runs``:
    its runs when already computed)."""
    if runs is None:
        if not any(k[1] == code for c in coders for k in own[c]):
            pooled += (n_chars, n_chars, n_chars)     # nobody applied it itself: all agree
            return
        spans = {c: {t: own[c].get((t, code), []) for t in tids} for c in coders}
        runs = _weighted_runs(tids, segs_of, spans, coders)
    W, C = runs
    m = len(coders)
    K = C.sum(axis=1).astype(np.float64)
    pooled[0] += float((W * (K * (K - 1) + (m - K) * (m - K - 1)) / (m * (m - 1))).sum())
    pooled[1] += float(W[(K == 0) | (m == K)].sum())
    pooled[2] += float(W.sum())


def _segment_match(spans, coders, tids, overlap) -> float | None:
    rates = []
    for a, b in combinations(coders, 2):
        matched, count = 0, 0
        for t in tids:
            A, B = spans[a][t], spans[b][t]
            count += len(A) + len(B)
            matched += sum(_matches(x, B, overlap) for x in A)
            matched += sum(_matches(y, A, overlap) for y in B)
        if count:
            rates.append(matched / count)
    return float(np.mean(rates)) if rates else None


def _matches(x, others, overlap) -> bool:
    s, e = x
    for s2, e2 in others:
        inter = min(e, e2) - max(s, s2)
        if inter > 0 and inter >= overlap * max(e - s, e2 - s2):
            return True
    return False
