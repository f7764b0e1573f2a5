"""Agreement over *code sets*: Krippendorff's alpha with a set distance, and kappa /
percent agreement treating each distinct code set as one category.

Input contract (:func:`overall_agreement`, :func:`set_alpha`): a DataFrame indexed
by unit id with one column per coder; each cell is a frozenset (or set/list/tuple)
of the code ids the coder applied to the unit -- an **empty set means "coded, no
code applied"** -- or ``None``/``NaN`` when the coder did not code the unit.

Distances (Passonneau 2006):

* ``"masi"``: 1 - J * M, J = |A & B| / |A | B| (Jaccard), M = 1 if A == B, 2/3 if
  one is a proper subset of the other, 1/3 if they intersect otherwise, 0 if
  disjoint.  d(empty, empty) = 0 (NLTK's ``masi_distance`` divides by zero there).
* ``"jaccard"``: 1 - J, with d(empty, empty) = 0.
* ``"nominal"``: 0 if the sets are identical, else 1.

All three coincide when every cell holds at most one code, so alpha then equals
nominal alpha.

Computation: the distinct sets are mapped to integers; the observed term
sum_ck o_ck d_ck is accumulated over the coder pairs of each unit (only the distinct
pairs of sets that occur are measured), the expected term sum_ck n_c n_k d_ck over
the distinct sets that occur in pairable units, with the V x V distance matrix
computed block-wise from a bit matrix (intersection sizes by one matrix product),
so memory stays O(V * block) and never O(units * V^2).
alpha = 1 - (n - 1) * sum_ck o_ck d_ck / sum_ck n_c n_k d_ck.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import set_distances
from .coefficients import check_bootstrap
from .per_code import (
    BOOT_BATCH,
    R_FEW_CODERS,
    R_NO_BOTH,
    R_NO_PAIRS,
    Estimate,
    _cluster_ids,
    bootstrap_draws,
    compact_clusters,
    kappa_column,
    percentile_ci,
    reason_no_complete,
    sets_to_ids,
)
from .set_distances import (
    DISTANCES,
    SetSpace,
    check_distance,
    jaccard_distance,
    masi_distance,
    set_distance_matrix,
)

__all__ = [
    "DISTANCES",
    "masi_distance",
    "jaccard_distance",
    "set_distance_matrix",
    "set_alpha",
    "overall_agreement",
]

R_SAME_SET = "no variation: every coder gave every unit the same code set, so the coefficient is 0/0"
R_NO_CODE = ("no coder applied any code in the units used: there is nothing to agree on "
             "(alpha and kappa are 0/0; percent agreement would count only agreeing empty sets)")


class _AlphaParts:
    """Per-unit pieces of set-valued alpha, reusable for the bootstrap."""

    def __init__(self, ids: np.ndarray, values: Sequence[frozenset], distance: str):
        obs = ids >= 0
        m = obs.sum(axis=1)
        pair = m >= 2
        self.pair = pair
        self.n_units = int(pair.sum())
        ids_p = ids[pair]
        m_p = m[pair]
        self.m = m_p.astype(np.float64)
        cell_unit, cell_coder = np.nonzero(ids_p >= 0)
        cell_val = ids_p[cell_unit, cell_coder]
        counts = np.bincount(cell_val, minlength=len(values))
        used = np.flatnonzero(counts)
        remap = np.full(len(values), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        self.cell_unit = cell_unit
        self.cell_val = remap[cell_val]
        self.n_c = counts[used].astype(np.float64)
        self.values = [values[i] for i in used.tolist()]
        self.space = SetSpace(self.values)
        self.distance = distance
        self.expansion = None
        if distance in ("masi", "jaccard") and set_distances.USE_EXPANSION \
                and len(self.values) >= 2:
            try:
                self.expansion = set_distances.SubsetExpansion(self.space.bits > 0, distance)
            except OverflowError:
                self.expansion = None
        # observed disagreement per unit: sum over ordered coder pairs d / (m - 1)
        n_cod = ids.shape[1]
        loc = np.where(ids_p >= 0, remap[np.where(ids_p >= 0, ids_p, 0)], -1)
        v = max(len(used), 1)
        units, keys, weights = [], [], []
        for a in range(n_cod):
            for b in range(a + 1, n_cod):
                sel = (loc[:, a] >= 0) & (loc[:, b] >= 0) & (loc[:, a] != loc[:, b])
                if sel.any():
                    lo = np.minimum(loc[sel, a], loc[sel, b])
                    hi = np.maximum(loc[sel, a], loc[sel, b])
                    units.append(np.flatnonzero(sel))
                    keys.append(lo * v + hi)
                    weights.append(2.0 / (m_p[sel] - 1))
        self.d_u: np.ndarray = np.zeros(self.n_units)
        if keys:
            key = np.concatenate(keys)
            uniq, inv = np.unique(key, return_inverse=True)
            dist = self.space.pair_distance(uniq // v, uniq % v, distance)
            self.d_u = np.bincount(np.concatenate(units), weights=dist[inv] * np.concatenate(weights),
                                   minlength=self.n_units)

    def expected(self, n_c: np.ndarray) -> np.ndarray:
        """sum_ck n_c n_k d_ck for each row of n_c (reps x V)."""
        n_c = np.atleast_2d(n_c)
        if self.distance == "nominal":  # sum_c!=k n_c n_k
            return n_c.sum(axis=1) ** 2 - (n_c * n_c).sum(axis=1)
        if self.expansion is not None:
            return n_c.sum(axis=1) ** 2 - self.expansion.similarity(n_c)
        sim = np.zeros(n_c.shape[0])
        for rows, block in self.space.similarity_blocks(self.distance):
            sim += ((n_c @ block.T) * n_c[:, rows]).sum(axis=1)
        return n_c.sum(axis=1) ** 2 - sim


def _alpha_from_parts(parts: _AlphaParts) -> Estimate:
    if parts.n_units == 0:
        return Estimate(None, R_NO_PAIRS)
    if len(parts.values) <= 1:
        return Estimate(None, R_SAME_SET)
    n = parts.m.sum()
    d_e = float(parts.expected(parts.n_c)[0])
    return Estimate(float(1 - (n - 1) * parts.d_u.sum() / d_e))


def _bootstrap_set_alpha(parts: _AlphaParts, n_boot: int, seed: int, level: float,
                         clusters: np.ndarray | None = None):
    """(low, high, number of replicates in which alpha is undefined)."""
    rng = np.random.default_rng(seed)
    reps = np.full(n_boot, np.nan)
    v = len(parts.values)
    groups = compact_clusters(clusters, parts.pair)
    for start in range(0, n_boot, BOOT_BATCH):
        b = min(BOOT_BATCH, n_boot - start)
        w = bootstrap_draws(rng, parts.n_units, b, groups)
        n = w @ parts.m
        d_o = w @ parts.d_u
        n_c = np.stack([np.bincount(parts.cell_val, weights=row[parts.cell_unit], minlength=v) for row in w])
        d_e = parts.expected(n_c)
        with np.errstate(divide="ignore", invalid="ignore"):
            reps[start:start + b] = np.where(d_e > 1e-12, 1 - (n - 1) * d_o / d_e, np.nan)
    low, high = percentile_ci(reps[:, None], level)
    return (None if np.isnan(low[0]) else float(low[0]),
            None if np.isnan(high[0]) else float(high[0]), int(np.isnan(reps).sum()))


def set_alpha(sets_frame: pd.DataFrame, distance: str = "masi",
              coders: Sequence[Hashable] | None = None) -> Estimate:
    """Krippendorff's alpha over code sets with the given set distance.

    See the module docstring for the input contract; units with fewer than two
    coded cells drop out.
    """
    check_distance(distance)
    ids, values, coders = sets_to_ids(sets_frame, coders)
    if ids.shape[1] < 2:
        return Estimate(None, R_FEW_CODERS)
    return _alpha_from_parts(_AlphaParts(ids, values, distance))


def _set_kappa(ids: np.ndarray, n_values: int) -> tuple[Estimate, int]:
    """Cohen's (2 coders) or Fleiss' (3+) kappa, each distinct set one category."""
    n_cod = ids.shape[1]
    obs = ids >= 0
    if n_cod == 2:
        both = obs[:, 0] & obs[:, 1]
        n = int(both.sum())
        if n == 0:
            return Estimate(None, R_NO_BOTH), 0
        a, b = ids[both, 0], ids[both, 1]
        ca = np.bincount(a, minlength=n_values).astype(np.int64)
        cb = np.bincount(b, minlength=n_values).astype(np.int64)
        pe_n2 = int(ca @ cb)
        if pe_n2 == n * n:
            return Estimate(None, R_SAME_SET), n
        agree = int((a == b).sum())
        return Estimate((agree * n - pe_n2) / (n * n - pe_n2)), n
    complete = obs.all(axis=1)
    n = int(complete.sum())
    if n == 0:
        return Estimate(None, reason_no_complete(n_cod)), 0
    sub = ids[complete]
    counts = np.bincount(sub.ravel(), minlength=n_values)
    if np.count_nonzero(counts) <= 1:
        return Estimate(None, R_SAME_SET), n
    eq = 0
    for a in range(n_cod):
        for b in range(a + 1, n_cod):
            eq += int((sub[:, a] == sub[:, b]).sum())
    p_bar = 2 * eq / (n * n_cod * (n_cod - 1))
    p = counts / (n * n_cod)
    pe = float(p @ p)
    return Estimate((p_bar - pe) / (1 - pe)), n


def overall_agreement(
    sets_frame: pd.DataFrame,
    distance: str = "masi",
    bootstrap: int = 0,
    seed: int = 0,
    *,
    coders: Sequence[Hashable] | None = None,
    level: float = 0.95,
    clusters: Sequence[Hashable] | None = None,
) -> dict[str, Any]:
    """Overall agreement on the code sets of each unit.

    ``sets_frame``: DataFrame indexed by unit id, one column per coder, each cell a
    frozenset of code ids (empty set = coded, no code) or None/NaN (not coded).
    ``coders`` selects/orders the coder columns (default: all columns).

    Returns a dict:

    * ``krippendorff_alpha``: alpha with ``distance`` ("masi" | "jaccard" |
      "nominal"); units with < 2 coded cells drop out.
    * ``percent_agreement``: mean over the units coded by >= 2 coders of the share
      of coder pairs whose sets are identical (the literature's percent agreement);
      ``unanimous``: share of those units on which all the coders' sets are
      identical.  Both are equal for two coders.
    * ``cohen_kappa`` (two coders; units coded by both) *or* ``fleiss_kappa``
      (three or more; units coded by all coders), each distinct set a category.
    * ``n_units`` (units coded by >= 2 coders), ``n_units_kappa``,
      ``n_distinct_sets`` (distinct sets in those units), ``coders`` (list),
      ``distance``, ``bootstrap`` (replicates), ``alpha_ci`` ((low, high) or None).
    * ``reasons``: {coefficient: reason} for every coefficient that is None, and
      ``reason``: the same joined into one string (None when all are defined).
      When no coder applied any code in the pairable units, every coefficient is
      None (nothing was agreed on but absences).

    ``bootstrap`` (0, or at least
    :data:`~workbench.agreement.coefficients.MIN_BOOTSTRAP`) gives a percentile CI
    (``level``, default 95%) for alpha from that many replicates that resample the
    pairable units with replacement -- or, with ``clusters`` (one label per row of
    ``sets_frame``, e.g. the unit's transcript), whole clusters -- seeded with
    ``seed`` via numpy's ``default_rng``, so reproducible.  This unit (cluster)
    bootstrap keeps each unit's values together; it is not Hayes & Krippendorff's
    (2007) resampling of pairable values.  Replicates in which alpha is undefined
    are left out of the percentiles and counted in ``bootstrap_undefined``.
    """
    check_distance(distance)
    bootstrap = check_bootstrap(bootstrap)
    ids, values, coders = sets_to_ids(sets_frame, coders)
    n_cod = ids.shape[1]
    kname = kappa_column(n_cod)
    result: dict[str, Any] = {
        "krippendorff_alpha": None,
        "percent_agreement": None,
        "unanimous": None,
        kname: None,
        "n_units": 0,
        "n_units_kappa": 0,
        "n_distinct_sets": 0,
        "coders": list(coders),
        "distance": distance,
        "bootstrap": int(bootstrap),
        "bootstrap_by": "unit" if clusters is None else "cluster",
        "alpha_ci": None,
        "bootstrap_undefined": None,
    }
    reasons: dict[str, str] = {}
    if n_cod < 2:
        for key in ("krippendorff_alpha", "percent_agreement", "unanimous", kname):
            reasons[key] = R_FEW_CODERS
    else:
        parts = _AlphaParts(ids, values, distance)
        result["n_units"] = parts.n_units
        result["n_distinct_sets"] = len(parts.values)
        alpha = _alpha_from_parts(parts)
        result["krippendorff_alpha"] = alpha.value
        if alpha.reason:
            reasons["krippendorff_alpha"] = alpha.reason
        # percent agreement: the share of agreeing coder pairs per pairable unit, averaged;
        # unanimous: all coded cells of a pairable unit identical
        obs = ids >= 0
        m = obs.sum(axis=1)
        pair = m >= 2
        if pair.any():
            eq = np.zeros(len(ids), dtype=np.int64)
            for a in range(n_cod):
                for b in range(a + 1, n_cod):
                    eq += obs[:, a] & obs[:, b] & (ids[:, a] == ids[:, b])
            mp = m[pair].astype(np.float64)
            result["percent_agreement"] = float(np.mean(2 * eq[pair] / (mp * (mp - 1))))
            big = np.iinfo(np.int64).max
            lo = np.where(obs, ids, big).min(axis=1)
            hi = np.where(obs, ids, -1).max(axis=1)
            result["unanimous"] = float(np.mean((lo == hi)[pair]))
        else:
            reasons["percent_agreement"] = reasons["unanimous"] = R_NO_PAIRS
        kappa, n_k = _set_kappa(ids, len(values))
        result[kname] = kappa.value
        result["n_units_kappa"] = n_k
        if kappa.reason:
            reasons[kname] = kappa.reason
        if parts.n_units and all(not v for v in parts.values):
            # nobody applied any code: every figure would be about agreeing empty sets
            for key in ("krippendorff_alpha", "percent_agreement", "unanimous", kname):
                result[key] = None
                reasons[key] = R_NO_CODE
            alpha = Estimate(None, R_NO_CODE)
        if bootstrap:
            if alpha.value is None:
                reasons["alpha_ci"] = alpha.reason or R_NO_PAIRS
            else:
                low, high, undefined = _bootstrap_set_alpha(parts, bootstrap, seed, level,
                                                            _cluster_ids(clusters, len(ids)))
                result["bootstrap_undefined"] = undefined
                if low is None:
                    reasons["alpha_ci"] = "alpha was undefined in every bootstrap replicate"
                else:
                    result["alpha_ci"] = (low, high)
    result["reasons"] = reasons
    grouped: dict[str, list[str]] = {}
    for key, r in reasons.items():
        grouped.setdefault(r, []).append(key)
    result["reason"] = "; ".join(f"{', '.join(k)}: {r}" for r, k in grouped.items()) or None
    return result
