"""Per-code inter-coder agreement: presence/absence of each code per unit,
vectorised across codes, plus the code-set input helpers shared with
:mod:`workbench.agreement.code_sets`.

Pure numpy/pandas; no I/O, no UI imports.  The nominal coefficient functions
(:func:`cohen_kappa`, :func:`fleiss_kappa`, ...) live in
:mod:`workbench.agreement.coefficients` and are re-exported here.

Undefined values: functions return :class:`Estimate` (``value`` float or ``None``
plus ``reason``); in DataFrames an undefined coefficient is ``NaN`` and the
``reason`` column explains every NaN of its row.  Nothing returns a made-up 1.0
for a 0/0 coefficient.  Missing-data rules per coefficient: see
:mod:`workbench.agreement.coefficients` (the same rules apply per code here).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .coefficients import (
    R_ALWAYS,
    R_FEW_CODERS,
    R_NEVER,
    R_NO_BOTH,
    R_NO_PAIRS,
    R_NOT_APPLIED,
    R_ONE_VALUE,
    Estimate,
    brennan_prediger,
    check_bootstrap,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    kappa_column,
    krippendorff_alpha,
    percent_agreement,
    reason_no_complete,
    unanimous,
)

__all__ = [
    "Estimate",
    "percent_agreement",
    "unanimous",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
    "per_code_agreement",
    "per_code_agreement_arrays",
    "kappa_column",
    "sets_to_ids",
    "LONG_COLUMNS",
]

#: Columns of the long input format of :func:`per_code_agreement`.
LONG_COLUMNS = ("unit", "coder", "code", "present")

# Bootstrap replicates drawn per batch (fixed, so results do not depend on it).
BOOT_BATCH = 64

# --------------------------------------------------------------------------- #
# Code sets input (shared with code_sets)
# --------------------------------------------------------------------------- #


def _coerce_set(v: Any) -> frozenset | None:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, frozenset):
        return v
    if isinstance(v, (set, list, tuple)):
        return frozenset(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    raise TypeError(
        f"cell {v!r} is not a set of codes: each cell must be a (frozen)set of code ids "
        "(an empty set = coded, no code applied) or None/NaN (not coded)"
    )


def sets_to_ids(frame: pd.DataFrame, coders: Sequence[Hashable] | None = None
                ) -> tuple[np.ndarray, list[frozenset], list[Hashable]]:
    """Factorize a units x coders frame of code sets.

    Returns ``(ids, values, coders)``: ``ids`` is units x coders int64 with -1 for
    missing cells, ``values[j]`` the frozenset for id ``j`` (distinct).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("expected a pandas DataFrame indexed by unit with one column per coder")
    if coders is None:
        coders = list(frame.columns)
    else:
        coders = list(coders)
        missing = [c for c in coders if c not in frame.columns]
        if missing:
            raise ValueError(f"coder column(s) not in the frame: {missing!r}")
        frame = frame[coders]
    arr = frame.to_numpy(dtype=object)
    flat = arr.ravel()
    try:
        codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    except TypeError:  # unhashable cells (set, list): coerce every cell first
        flat = np.array([_coerce_set(v) for v in flat] + [None], dtype=object)[:-1]
        codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    canon: dict[frozenset, int] = {}
    values: list[frozenset] = []
    remap = np.empty(len(uniques) + 1, dtype=np.int64)
    remap[-1] = -1
    for j, u in enumerate(uniques):
        s = _coerce_set(u)
        if s is None:
            remap[j] = -1
            continue
        idx = canon.get(s)
        if idx is None:
            idx = canon[s] = len(values)
            values.append(s)
        remap[j] = idx
    ids = remap[codes].reshape(arr.shape)  # codes == -1 picks remap[-1] == -1
    return ids, values, coders


def sorted_codes(codes: set) -> list:
    try:
        return sorted(codes)
    except TypeError:
        return sorted(codes, key=lambda c: (type(c).__name__, str(c)))


def membership(values: Sequence[frozenset], codes: Sequence[Hashable]) -> np.ndarray:
    """values x codes boolean matrix (codes outside ``codes`` are ignored)."""
    index = {c: i for i, c in enumerate(codes)}
    member = np.zeros((len(values), len(codes)), dtype=bool)
    for j, s in enumerate(values):
        for c in s:
            i = index.get(c)
            if i is not None:
                member[j, i] = True
    return member


# --------------------------------------------------------------------------- #
# Per-code agreement (binary presence), vectorised across codes
# --------------------------------------------------------------------------- #


def per_code_agreement(
    values: pd.DataFrame,
    coders: Sequence[Hashable] | None = None,
    codes: Sequence[Hashable] | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
    clusters: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Agreement on each code's presence/absence per unit, one row per code.

    Input, either of:

    * **sets frame** (preferred): a DataFrame indexed by unit id with one column per
      coder; each cell is a frozenset (or set/list/tuple) of the code ids the coder
      applied to that unit -- an *empty* set means "coded, no code applied" -- or
      ``None``/``NaN`` when the coder did not code the unit.  Every code is then
      absent/present for every coded cell.
    * **long frame** with columns ``unit, coder, code, present``: one row per judged
      (unit, coder, code) triple, ``present`` a bool.  A triple without a row (or
      with ``present`` NaN) is *missing* for that code, so absences must be listed
      explicitly.  Duplicate rows are OR-ed.

    ``coders`` selects/orders the coders (default: the frame's columns, or the
    sorted coder values of a long frame).  ``codes`` fixes the output rows and
    their order -- pass the codebook's code ids so that codes nobody applied are
    reported (as undefined); codes in the data but not in ``codes`` are ignored.
    Default: every code that occurs, sorted.

    Returns a DataFrame with columns ``code, n_units, prevalence,
    percent_agreement, unanimous, cohen_kappa`` (two coders) *or* ``fleiss_kappa``
    (three or more), ``krippendorff_alpha, gwet_ac1, brennan_prediger,
    n_units_kappa, reason`` and, when ``bootstrap > 0``, ``alpha_ci_low,
    alpha_ci_high, alpha_ci_undefined``.

    * ``n_units``: units with >= 2 ratings of the code (used by alpha, percent
      agreement, AC1 and BP); ``n_units_kappa``: units used by kappa (both coders /
      all coders).
    * ``prevalence``: share of all non-missing (unit, coder) judgments in which the
      code is present.
    * ``percent_agreement``: mean over units of the share of agreeing coder pairs;
      ``unanimous``: share of units on which all coders agree (equal for two coders).
    * Coefficients are NaN when undefined; ``reason`` (None when all are defined)
      lists them, e.g. ``"cohen_kappa, krippendorff_alpha: no variation: ..."``.
      A code nobody applied in the units used has *every* coefficient undefined
      (kappa and alpha are 0/0, and percent agreement, AC1 and Brennan-Prediger
      would only count agreeing absences); ``prevalence`` is 0.
    * ``bootstrap``: number of replicates (0, or at least
      :data:`~workbench.agreement.coefficients.MIN_BOOTSTRAP`) for a percentile CI
      of alpha (``level``, default 95%), resampling units -- or, with
      ``clusters`` (one label per unit, e.g. its transcript), whole clusters --
      with replacement (see :func:`per_code_agreement_arrays`).
    """
    if not isinstance(values, pd.DataFrame):
        raise TypeError("values must be a pandas DataFrame (sets frame or long frame)")
    weights = None
    if set(LONG_COLUMNS) <= set(values.columns):
        present, observed, coders, codes = _long_to_arrays(values, coders, codes)
    else:
        ids, vals, coders = sets_to_ids(values, coders)
        if codes is None:
            codes = sorted_codes(set().union(*vals) if vals else set())
        codes = list(codes)
        member = membership(vals, codes)
        if not bootstrap and len(ids):
            # every statistic is a sum over units: the units on which each coder gave the same
            # set are one row, counted as many times (memory and time follow the distinct rows)
            ids, weights = np.unique(ids, axis=0, return_counts=True)
        obs2 = ids >= 0
        present = member[np.where(obs2, ids, 0)] if len(vals) else np.zeros(ids.shape + (len(codes),), bool)
        present &= obs2[:, :, None]
        observed = obs2[:, :, None]
    return per_code_agreement_arrays(
        present, observed, codes=codes, coders=coders, bootstrap=bootstrap, seed=seed, level=level,
        clusters=clusters, weights=weights,
    )


def _long_to_arrays(df: pd.DataFrame, coders, codes):
    pres = df["present"]
    keep = pres.notna().to_numpy()
    unit_idx, _units = pd.factorize(df["unit"].to_numpy()[keep])
    if coders is None:
        coder_idx, coder_vals = pd.factorize(df["coder"].to_numpy()[keep], sort=True)
        coders = list(coder_vals)
    else:
        coders = list(coders)
        coder_idx = pd.Index(coders).get_indexer(df["coder"].to_numpy()[keep])
    if codes is None:
        code_idx, code_vals = pd.factorize(df["code"].to_numpy()[keep], sort=True)
        codes = list(code_vals)
    else:
        codes = list(codes)
        code_idx = pd.Index(codes).get_indexer(df["code"].to_numpy()[keep])
    val = pres.to_numpy()[keep].astype(bool)
    ok = (unit_idx >= 0) & (coder_idx >= 0) & (code_idx >= 0)
    n_units = int(unit_idx.max()) + 1 if len(unit_idx) else 0
    shape = (n_units, len(coders), len(codes))
    flat = np.ravel_multi_index((unit_idx[ok], coder_idx[ok], code_idx[ok]), shape) if ok.any() else np.zeros(0, int)
    size = int(np.prod(shape))
    observed = np.bincount(flat, minlength=size).reshape(shape) > 0
    present = np.bincount(flat, weights=val[ok], minlength=size).reshape(shape) > 0
    return present, observed, coders, codes


def per_code_agreement_arrays(
    present: np.ndarray,
    observed: np.ndarray,
    codes: Sequence[Hashable] | None = None,
    coders: Sequence[Hashable] | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
    clusters: Sequence[Hashable] | None = None,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """Array core of :func:`per_code_agreement` (same output).

    ``present``: bool array units x coders x codes; ``observed``: bool array of the
    same shape, or units x coders x 1, or units x coders -- False where the coder
    did not judge (unit, code).  ``present`` is ignored where not observed.
    ``weights`` (not with ``bootstrap``): how many units each row stands for (rows of
    identical units collapsed into one); default one each.

    Everything is computed in one vectorised pass over the codes axis (closed
    forms for binary data: with k_i = coders marking the code present in unit i
    and m_i = coders judging it, alpha = 1 - (n-1) * sum_i k_i (m_i-k_i)/(m_i-1)
    / (n_1 n_0) over units with m_i >= 2).

    Bootstrap (``bootstrap`` = number of replicates, 0 or at least
    :data:`~workbench.agreement.coefficients.MIN_BOOTSTRAP`; ``seed`` for numpy's
    ``default_rng``): the units that are pairable for at least one code are
    resampled with replacement -- or, with ``clusters`` (one label per unit), the
    clusters they belong to, each drawn cluster bringing all its units -- and alpha
    recomputed per code; the CI is the ``(1-level)/2`` and ``(1+level)/2``
    percentiles of the replicates where alpha is defined, and ``alpha_ci_undefined``
    counts the others.  This is a unit (or cluster) bootstrap, not Hayes &
    Krippendorff's (2007) resampling of pairable values; it keeps the within-unit
    (within-cluster) dependence intact.
    """
    bootstrap = check_bootstrap(bootstrap)
    present = np.asarray(present, dtype=bool)
    observed = np.asarray(observed, dtype=bool)
    if present.ndim != 3:
        raise ValueError("present must be units x coders x codes")
    if observed.ndim == 2:
        observed = observed[:, :, None]
    n_u, n_c, n_k = present.shape
    codes = list(codes) if codes is not None else list(range(n_k))
    coders = list(coders) if coders is not None else list(range(n_c))
    if len(codes) != n_k or len(coders) != n_c:
        raise ValueError("codes/coders do not match the array shape")
    if weights is None:
        def tot(x):  # sum over units
            return x.sum(axis=0)
    else:
        if bootstrap:
            raise ValueError("weights and bootstrap cannot be combined (resampling needs units)")
        w = np.asarray(weights, dtype=np.int64).reshape(-1, 1)
        if len(w) != n_u:
            raise ValueError("weights do not match the array shape")

        def tot(x):  # weighted sums: the units' terms are integers or halves with two coders,
            return (x * w).sum(axis=0)  # so the sums are exact, as the unweighted ones
    present = present & observed
    k = present.sum(axis=1, dtype=np.int64)  # units x codes
    m = np.broadcast_to(observed.sum(axis=1, dtype=np.int64), k.shape)
    kname = kappa_column(n_c)

    pair = m >= 2
    n_units = tot(pair)
    mf = m.astype(np.float64)
    kf = k.astype(np.float64)
    n = tot(np.where(pair, mf, 0))
    n1 = tot(np.where(pair, kf, 0))
    n0 = n - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        d_u = np.where(pair, kf * (mf - kf) / (mf - 1), 0.0)  # o_10 contributions
        o10 = tot(d_u)
        alpha_ok = (n_units > 0) & (n1 > 0) & (n0 > 0)
        alpha = np.where(alpha_ok, 1 - (n - 1) * o10 / (n1 * n0), np.nan)

        agree_all = tot(np.where(pair, (k == 0) | (k == m), False))
        unan = np.where(n_units > 0, agree_all / n_units, np.nan)

        same_pairs = kf * (kf - 1) + (mf - kf) * (mf - kf - 1)
        pa = tot(np.where(pair, same_pairs / (mf * (mf - 1)), 0)) / n_units
        pct = np.where(n_units > 0, pa, np.nan)
        rated = m >= 1
        pi1 = tot(np.where(rated, kf / mf, 0)) / tot(rated)
        pe = 2 * pi1 * (1 - pi1)
        ac1 = np.where(n_units > 0, (pa - pe) / (1 - pe), np.nan)
        bp = np.where(n_units > 0, 2 * pa - 1, np.nan)
        n_rated = tot(np.where(rated, mf, 0))
        prevalence = np.where(n_rated > 0, tot(np.where(rated, kf, 0)) / n_rated, np.nan)

        if n_c == 2:
            both = observed[:, 0, :] & observed[:, 1, :]
            x0, x1 = present[:, 0, :], present[:, 1, :]
            nk = tot(np.broadcast_to(both, k.shape)).astype(np.int64)
            a1 = tot(x0 & both).astype(np.int64)
            b1 = tot(x1 & both).astype(np.int64)
            n11 = tot(x0 & x1 & both).astype(np.int64)
            agree = nk - a1 - b1 + 2 * n11
            pe_n2 = a1 * b1 + (nk - a1) * (nk - b1)
            denom = nk * nk - pe_n2
            kappa_ok = (nk > 0) & (denom > 0)
            kappa = np.where(kappa_ok, (agree * nk - pe_n2) / np.where(denom > 0, denom, 1), np.nan)
            kappa_t1 = a1 + b1
            kappa_total = 2 * nk
        elif n_c >= 3:
            complete = m == n_c
            nk = tot(complete).astype(np.int64)
            t1 = tot(np.where(complete, k, 0))
            p_bar = tot(np.where(complete, same_pairs, 0)) / (nk * n_c * (n_c - 1))
            p1 = t1 / (nk * n_c)
            pe_f = p1 * p1 + (1 - p1) * (1 - p1)
            kappa_ok = (nk > 0) & (t1 > 0) & (t1 < nk * n_c)
            kappa = np.where(kappa_ok, (p_bar - pe_f) / (1 - pe_f), np.nan)
            kappa_t1 = t1
            kappa_total = nk * n_c
        else:
            nk = np.zeros(n_k, dtype=np.int64)
            kappa_ok = np.zeros(n_k, dtype=bool)
            kappa = np.full(n_k, np.nan)
            kappa_t1 = kappa_total = nk

    # a code nobody applied in the units used: nothing is measured (every coefficient null)
    not_applied = (n_units > 0) & (n1 == 0)
    if n_c >= 2:
        for arr in (pct, unan, ac1, bp, alpha, kappa):
            arr[not_applied] = np.nan
    out = {
        "code": codes,
        "n_units": n_units.astype(np.int64),
        "prevalence": prevalence,
        "percent_agreement": pct,
        "unanimous": unan,
        kname: kappa,
        "krippendorff_alpha": alpha,
        "gwet_ac1": ac1,
        "brennan_prediger": bp,
        "n_units_kappa": nk.astype(np.int64),
    }

    reasons: list[str | None] = []
    for j in range(n_k):
        why: dict[str, list[str]] = {}
        if n_c < 2:
            for col in ("percent_agreement", "unanimous", kname, "krippendorff_alpha", "gwet_ac1",
                        "brennan_prediger"):
                why.setdefault(R_FEW_CODERS, []).append(col)
        elif not_applied[j]:
            why[R_NOT_APPLIED] = ["percent_agreement", "unanimous", kname, "krippendorff_alpha",
                                  "gwet_ac1", "brennan_prediger"]
        else:
            if n_units[j] == 0:
                for col in ("percent_agreement", "unanimous", "krippendorff_alpha", "gwet_ac1",
                            "brennan_prediger"):
                    why.setdefault(R_NO_PAIRS, []).append(col)
            if not kappa_ok[j]:
                if nk[j] == 0:
                    r = R_NO_BOTH if n_c == 2 else reason_no_complete(n_c)
                elif kappa_t1[j] == 0:
                    r = R_NEVER
                elif kappa_t1[j] == kappa_total[j]:
                    r = R_ALWAYS
                else:  # two coders, each constant but on different values: defined; never here
                    r = R_ONE_VALUE
                why.setdefault(r, []).append(kname)
            if n_units[j] > 0 and not alpha_ok[j]:
                why.setdefault(R_NEVER if n1[j] == 0 else R_ALWAYS, []).append("krippendorff_alpha")
        reasons.append("; ".join(f"{', '.join(cols)}: {r}" for r, cols in why.items()) or None)

    if bootstrap:
        low, high, undefined = _bootstrap_binary_alpha(mf, kf, d_u, pair, bootstrap, seed, level,
                                                       _cluster_ids(clusters, n_u))
        ok = alpha_ok & ~not_applied
        low[~ok] = np.nan
        high[~ok] = np.nan
        out["alpha_ci_low"] = low
        out["alpha_ci_high"] = high
        out["alpha_ci_undefined"] = np.where(ok, undefined, bootstrap).astype(np.int64)
    out["reason"] = pd.Series(reasons, dtype=object)  # None (not NaN) when all defined
    frame = pd.DataFrame(out)
    frame.attrs["coders"] = coders
    frame.attrs["kappa"] = kname
    return frame


def bootstrap_draws(rng: np.random.Generator, n_units: int, batch: int,
                    clusters: np.ndarray | None = None) -> np.ndarray:
    """batch x n_units multiplicities of a with-replacement resample of the units; with
    ``clusters`` (a cluster number 0..k-1 per unit) the k clusters are drawn instead, and each
    unit gets the multiplicity of its cluster."""
    if clusters is not None:
        k = int(clusters.max()) + 1 if len(clusters) else 0
        return bootstrap_draws(rng, k, batch)[:, clusters] if k else np.zeros((batch, 0))
    draws = rng.integers(0, n_units, size=(batch, n_units))
    draws += (np.arange(batch) * n_units)[:, None]
    return np.bincount(draws.ravel(), minlength=batch * n_units).reshape(batch, n_units).astype(np.float64)


def _cluster_ids(clusters: Sequence[Hashable] | None, n_units: int) -> np.ndarray | None:
    """Cluster labels (one per unit) as numbers 0..k-1 in order of first appearance."""
    if clusters is None:
        return None
    labels = np.asarray(list(clusters), dtype=object)
    if len(labels) != n_units:
        raise ValueError(f"clusters has {len(labels)} labels for {n_units} units")
    ids, _ = pd.factorize(labels)
    return ids.astype(np.int64)


def compact_clusters(ids: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    """The cluster numbers of the units kept by ``rows`` (a mask), renumbered 0..k-1."""
    if ids is None:
        return None
    kept, _ = pd.factorize(ids[rows])
    return kept.astype(np.int64)


def percentile_ci(reps: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    tail = (1 - level) / 2
    ok = ~np.isnan(reps)
    low = np.full(reps.shape[1:], np.nan)
    high = np.full(reps.shape[1:], np.nan)
    has = ok.any(axis=0)
    if has.any():
        with np.errstate(all="ignore"):
            q = np.nanquantile(reps[:, has], [tail, 1 - tail], axis=0)
        low[has], high[has] = q[0], q[1]
    return low, high


def _bootstrap_binary_alpha(mf, kf, d_u, pair, n_boot: int, seed: int, level: float,
                            clusters: np.ndarray | None = None):
    """(low, high, number of replicates with alpha undefined) per code."""
    rows = pair.any(axis=1)
    mp = np.where(pair, mf, 0)[rows]
    kp = np.where(pair, kf, 0)[rows]
    dp = d_u[rows]
    n_rows = int(rows.sum())
    groups = compact_clusters(clusters, rows)
    reps = np.full((n_boot, mf.shape[1]), np.nan)
    if n_rows == 0:
        return (*percentile_ci(reps, level), np.full(mf.shape[1], n_boot))
    rng = np.random.default_rng(seed)
    for start in range(0, n_boot, BOOT_BATCH):
        b = min(BOOT_BATCH, n_boot - start)
        w = bootstrap_draws(rng, n_rows, b, groups)
        n = w @ mp
        n1 = w @ kp
        o10 = w @ dp
        den = n1 * (n - n1)
        with np.errstate(divide="ignore", invalid="ignore"):
            reps[start:start + b] = np.where(den > 0, 1 - (n - 1) * o10 / den, np.nan)
    return (*percentile_ci(reps, level), np.isnan(reps).sum(axis=0))
