"""Span-level agreement (``--unit span``).

1. **Character level**, per code (like NVivo's coding comparison): every character of the
   in-scope segments is a unit; a coder's value is 1 when a span coded with the code covers it.
   Runs of characters in which no coder's status changes are weighted units, so the cost grows
   with the number of codings, not of characters. Reported: percent agreement, Cohen's kappa (two
   coders) or Fleiss' kappa (three or more), and Krippendorff's alpha (binary, nominal).
2. **Segment match**, per code (like MAXQDA): two codings of the same code by two coders agree
   when their overlap is at least ``overlap`` (default 0.9) of the longer one. Each coding of
   either coder is matched or not; the match rate is matched / all codings (mean over coder pairs).

Only transcripts that every compared coder marked done are in scope (all with
``include_unfinished``); interviewer turns are left out unless ``all_speakers``.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ..project import Project
from .units import BAD_STATUS, check_coders


def _intervals(segs: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Clip ``spans`` to the in-scope segments ``segs``."""
    out = []
    for s, e in spans:
        for a, b in segs:
            lo, hi = max(s, a), min(e, b)
            if lo < hi:
                out.append((lo, hi))
    return out


def _coverage(bounds: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """For runs [bounds[i], bounds[i+1]), whether any span covers the run."""
    cov = np.zeros(len(bounds) - 1, dtype=np.int32)
    for s, e in spans:
        i, j = np.searchsorted(bounds, [s, e])
        cov[i:j] = 1
    return cov


def span_agreement(project: Project, coders: list[str] | None = None, *,
                   codes: list[str] | str | None = None, overlap: float = 0.9,
                   all_speakers: bool = False, include_unfinished: bool = False):
    """Return ``(overall: dict, per_code: DataFrame)`` at span level."""
    coders = check_coders(project, coders, include_unfinished=include_unfinished)
    m = len(coders)
    cb = project.codebook
    scope_codes = cb.select(codes) if codes else list(cb.codes)
    catalog = project.catalog()
    done = [project.state(c).done for c in coders]
    tids = [t for t in catalog if include_unfinished or all(t in d for d in done)]
    tset = set(tids)
    by: dict[str, dict[tuple[str, str], list[tuple[int, int]]]] = {c: {} for c in coders}
    for c in coders:
        for cd in project.codings(c):
            if cd.status in BAD_STATUS or cd.transcript not in tset or cd.code not in scope_codes:
                continue
            by[c].setdefault((cd.transcript, cd.code), []).append((cd.start, cd.end))
    rows = []
    tot_w = 0
    pooled = np.zeros(2)  # for overall: agreeing characters, all characters
    for code in scope_codes:
        w_runs: list[float] = []   # run weights
        k_runs: list[float] = []   # number of coders covering each run
        n_chars = 0
        for tid in tids:
            info = catalog[tid]
            segs = [(s, e) for s, e, r in zip(info.starts, info.ends, info.roles)
                    if all_speakers or r == "E"]
            seg_len = sum(e - s for s, e in segs)
            n_chars += seg_len
            per_coder = [_intervals(segs, by[c].get((tid, code), [])) for c in coders]
            if not any(per_coder):
                w_runs.append(seg_len)
                k_runs.append(0)
                continue
            pts = {a for a, b in segs} | {b for a, b in segs}
            for sp in per_coder:
                for s, e in sp:
                    pts.update((s, e))
            bounds = np.array(sorted(pts))
            inside = np.zeros(len(bounds) - 1, dtype=bool)
            for s, e in segs:
                i, j = np.searchsorted(bounds, [s, e])
                inside[i:j] = True
            k = np.sum([_coverage(bounds, sp) for sp in per_coder], axis=0)
            w = np.diff(bounds)
            w_runs.extend(w[inside].tolist())
            k_runs.extend(k[inside].tolist())
        W = np.asarray(w_runs, dtype=float)
        K = np.asarray(k_runs, dtype=float)
        row: dict = {"code": code, "n_units": int(W.sum()), "prevalence": None,
               "percent_agreement": None, "krippendorff_alpha": None,
               ("cohen_kappa" if m == 2 else "fleiss_kappa"): None, "reason": None}
        total = W.sum()
        if total == 0:
            row["reason"] = "no characters in scope (no transcript finished by every coder)"
            rows.append(row)
            continue
        agree = W[(K == 0) | (m == K)].sum()
        row["percent_agreement"] = agree / total
        p1 = (W * K).sum() / (total * m)
        row["prevalence"] = p1
        pooled += (agree, total)
        reasons = []
        if p1 in (0.0, 1.0):
            reasons.append("no variation: the code was " + ("never" if p1 == 0 else "always") +
                           " applied, so kappa and alpha are 0/0")
        else:
            if m == 2:
                # Cohen needs each coder's own marginals: a weighted 2×2 table
                row["cohen_kappa"] = _cohen_weighted(project, code, tids, by, coders, catalog,
                                                     all_speakers)
            else:
                pj = p1
                P_i = (K * (K - 1) + (m - K) * (m - K - 1)) / (m * (m - 1))
                Pbar = (W * P_i).sum() / total
                Pe = pj ** 2 + (1 - pj) ** 2
                row["fleiss_kappa"] = (Pbar - Pe) / (1 - Pe)
            n = total * m
            n1 = (W * K).sum()
            n0 = n - n1
            O = (W * K * (m - K) / (m - 1)).sum()
            row["krippendorff_alpha"] = 1 - (n - 1) * O / (n0 * n1)
        row["reason"] = "; ".join(reasons) or None
        # segment match (MAXQDA style)
        rates = []
        n_codings = 0
        for a, b in combinations(coders, 2):
            matched, count = 0, 0
            for tid in tids:
                A = by[a].get((tid, code), [])
                B = by[b].get((tid, code), [])
                count += len(A) + len(B)
                matched += sum(_matches(x, B, overlap) for x in A)
                matched += sum(_matches(y, A, overlap) for y in B)
            n_codings += count
            if count:
                rates.append(matched / count)
        row["segment_match"] = float(np.mean(rates)) if rates else None
        row["n_codings"] = n_codings
        rows.append(row)
        tot_w = max(tot_w, int(total))
    cols = ["code", "n_units", "prevalence", "percent_agreement",
            "cohen_kappa" if m == 2 else "fleiss_kappa", "krippendorff_alpha", "segment_match",
            "n_codings", "reason"]
    per_code = pd.DataFrame(rows).reindex(columns=cols)
    overall = {
        "krippendorff_alpha": None,
        "percent_agreement": (pooled[0] / pooled[1]) if pooled[1] else None,
        ("cohen_kappa" if m == 2 else "fleiss_kappa"): None,
        "n_units": tot_w, "coders": coders, "unit": "span", "overlap": overlap,
        "reason": "alpha and kappa are given per code at span level; percent_agreement pools "
                  "characters over codes",
        "transcripts": tids,
    }
    return overall, per_code


def _matches(x, others, overlap) -> bool:
    s, e = x
    for s2, e2 in others:
        inter = min(e, e2) - max(s, s2)
        if inter > 0 and inter >= overlap * max(e - s, e2 - s2):
            return True
    return False


def _cohen_weighted(project, code, tids, by, coders, catalog, all_speakers) -> float | None:
    """Cohen's kappa on characters for two coders (weighted 2×2 table)."""
    a, b = coders
    t = np.zeros((2, 2))
    for tid in tids:
        info = catalog[tid]
        segs = [(s, e) for s, e, r in zip(info.starts, info.ends, info.roles)
                if all_speakers or r == "E"]
        A = _intervals(segs, by[a].get((tid, code), []))
        B = _intervals(segs, by[b].get((tid, code), []))
        pts = {x for s in segs for x in s} | {x for s in A + B for x in s}
        bounds = np.array(sorted(pts))
        inside = np.zeros(len(bounds) - 1, dtype=bool)
        for s, e in segs:
            i, j = np.searchsorted(bounds, [s, e])
            inside[i:j] = True
        ca, cbv = _coverage(bounds, A)[inside], _coverage(bounds, B)[inside]
        w = np.diff(bounds)[inside]
        for i in (0, 1):
            for j in (0, 1):
                t[i, j] += w[(ca == i) & (cbv == j)].sum()
    n = t.sum()
    if n == 0:
        return None
    po = (t[0, 0] + t[1, 1]) / n
    pe = (t[0].sum() * t[:, 0].sum() + t[1].sum() * t[:, 1].sum()) / n ** 2
    return None if pe == 1 else (po - pe) / (1 - pe)
