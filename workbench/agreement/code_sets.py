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

from collections.abc import Hashable, Iterable, Sequence
from itertools import combinations
from math import comb as binomial
from typing import Any

import numpy as np
import pandas as pd

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
    membership,
    percentile_ci,
    reason_no_complete,
    sets_to_ids,
    sorted_codes,
)

__all__ = [
    "DISTANCES",
    "masi_distance",
    "jaccard_distance",
    "set_distance_matrix",
    "set_alpha",
    "overall_agreement",
]

DISTANCES = ("masi", "jaccard", "nominal")

R_SAME_SET = "no variation: every coder gave every unit the same code set, so the coefficient is 0/0"
R_NO_CODE = ("no coder applied any code in the units used: there is nothing to agree on "
             "(alpha and kappa are 0/0; percent agreement would count only agreeing empty sets)")

# Cells of the V x V distance matrix evaluated per block (fallback path).
_BLOCK_CELLS = 2_000_000
# Use the exact subset expansion for the expected term when sets are small.
_USE_EXPANSION = True


def masi_distance(a: Iterable[Hashable], b: Iterable[Hashable]) -> float:
    """MASI distance (Passonneau 2006) between two code sets; d(empty, empty) = 0."""
    a, b = frozenset(a), frozenset(b)
    if a == b:
        return 0.0
    inter = len(a & b)
    union = len(a | b)
    if inter == min(len(a), len(b)):
        m = 2 / 3
    elif inter > 0:
        m = 1 / 3
    else:
        m = 0.0
    return 1.0 - inter / union * m


def jaccard_distance(a: Iterable[Hashable], b: Iterable[Hashable]) -> float:
    """Jaccard distance 1 - |A & B| / |A | B|; d(empty, empty) = 0."""
    a, b = frozenset(a), frozenset(b)
    union = len(a | b)
    return 0.0 if union == 0 else 1.0 - len(a & b) / union


def _delta(inter: np.ndarray, size_a: np.ndarray, size_b: np.ndarray, same: np.ndarray,
           distance: str) -> np.ndarray:
    """Vectorised distance from intersection sizes and set sizes (broadcasting).

    ``same`` marks identical sets (distinct ids are distinct sets).
    """
    if distance == "nominal":
        return (~same).astype(np.float64)
    union = size_a + size_b - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, inter / np.where(union > 0, union, 1), 1.0)
    if distance == "jaccard":
        d = 1.0 - jac
    elif distance == "masi":
        m = np.where(inter == np.minimum(size_a, size_b), 2 / 3, np.where(inter > 0, 1 / 3, 0.0))
        d = 1.0 - jac * m
    else:  # pragma: no cover - checked by callers
        raise ValueError(distance)
    return np.where(same, 0.0, d)


def _check_distance(distance: str) -> str:
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {DISTANCES}, not {distance!r}")
    return distance


class _SetSpace:
    """Distinct code sets as a float bit matrix (for exact intersection counts)."""

    def __init__(self, values: Sequence[frozenset]):
        codes = sorted_codes(set().union(*values)) if values else []
        member = membership(values, codes)
        self.bits = member.astype(np.float32)  # counts < 2**24 stay exact
        self.packed = np.packbits(member, axis=1) if codes else np.zeros((len(values), 1), np.uint8)
        self.sizes = member.sum(axis=1).astype(np.float64)
        self.n = len(values)

    def pair_distance(self, ia: np.ndarray, ib: np.ndarray, distance: str) -> np.ndarray:
        inter = _POPCOUNT[self.packed[ia] & self.packed[ib]].sum(axis=1).astype(np.float64)
        return _delta(inter, self.sizes[ia], self.sizes[ib], ia == ib, distance)

    def similarity_blocks(self, distance: str):
        """Yield (row slice, similarity 1 - d, block rows x V), for "masi" or "jaccard".

        Computed in place: distinct sets always have a non-empty union (only
        empty/empty, on the diagonal, has union 0), and MASI's M only matters where
        the intersection is non-empty (J = 0 otherwise).
        """
        v = self.n
        step = max(1, _BLOCK_CELLS // max(v, 1))
        for start in range(0, v, step):
            stop = min(v, start + step)
            sim = (self.bits[start:stop] @ self.bits.T).astype(np.float64)  # intersections
            size_a, size_b = self.sizes[start:stop, None], self.sizes[None, :]
            union = size_a + size_b
            union -= sim
            np.maximum(union, 1.0, out=union)
            if distance == "masi":
                m = np.where(sim == np.minimum(size_a, size_b), 2 / 3, 1 / 3)
                np.divide(sim, union, out=sim)
                sim *= m
            else:
                np.divide(sim, union, out=sim)
            sim[np.arange(stop - start), np.arange(start, stop)] = 1.0
            yield slice(start, stop), sim


class _SubsetExpansion:
    """Exact expected-similarity sums without the V x V matrix.

    For sets of sizes (a, b) the similarity s = 1 - d is a function g_ab(i) of the
    intersection size i.  Expanding it in the binomial basis (Newton forward
    differences), g_ab(i) = sum_d C(i, d) D[d, a, b], and using
    sum_{c in G_a, k in G_b} n_c n_k C(|c & k|, d) = sum_{|S| = d} N^a_S N^b_S with
    N^a_S = sum of n_c over the sets c of size a that contain S, gives

        sum_ck n_c n_k s_ck = sum_S  N_S^T D[|S|] N_S

    in O(sum_c 2^|c|) time -- tiny for code sets of a few codes.
    """

    #: Above this many (set, subset) incidences, or sets larger than MAX_SIZE,
    #: the block-wise V x V computation is used instead.
    MAX_INCIDENCES = 400_000
    MAX_SIZE = 16

    def __init__(self, member: np.ndarray, distance: str):
        sizes = member.sum(axis=1).astype(np.int64)
        self.top = int(sizes.max()) if len(sizes) else 0
        if self.top > self.MAX_SIZE or int((2 ** sizes).sum()) > self.MAX_INCIDENCES:
            raise OverflowError("code sets too large for the subset expansion")
        rows: dict[tuple, int] = {}
        inc_row: list[int] = []
        inc_val: list[int] = []
        row_d: list[int] = []
        for c in range(member.shape[0]):
            idx = np.flatnonzero(member[c]).tolist()
            for d in range(len(idx) + 1):
                for subset in combinations(idx, d):
                    r = rows.get(subset)
                    if r is None:
                        r = rows[subset] = len(row_d)
                        row_d.append(d)
                    inc_row.append(r)
                    inc_val.append(c)
        width = self.top + 1
        key = np.asarray(inc_row, dtype=np.int64) * width + sizes[np.asarray(inc_val, dtype=np.int64)]
        order = np.argsort(key, kind="stable")
        self.inc_val = np.asarray(inc_val, dtype=np.int64)[order]
        key = key[order]
        self.starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
        ukey = key[self.starts]
        self.key_row, self.key_size = ukey // width, ukey % width
        self.n_rows = len(row_d)
        self.row_d = np.asarray(row_d, dtype=np.int64)
        self.width = width
        self.coef = self._coefficients(self.top, distance)

    @staticmethod
    def _coefficients(top: int, distance: str) -> np.ndarray:
        """D[d, a, b] = d-th forward difference at 0 of g_ab over i = 0..min(a, b)."""
        w = top + 1
        coef = np.zeros((w, w, w))
        for a in range(w):
            for b in range(w):
                lo = min(a, b)
                g = []
                for i in range(lo + 1):
                    if a == b == i:
                        g.append(1.0)
                        continue
                    jac = i / (a + b - i)
                    if distance == "jaccard":
                        g.append(jac)
                    else:  # masi
                        g.append(jac * (2 / 3 if i == lo else (1 / 3 if i > 0 else 0.0)))
                for d in range(lo + 1):
                    coef[d, a, b] = sum((-1) ** (d - j) * binomial(d, j) * g[j] for j in range(d + 1))
        return coef

    def similarity(self, n_c: np.ndarray) -> np.ndarray:
        """sum_ck n_c n_k s_ck for each row of n_c (reps x V)."""
        n_c = np.atleast_2d(n_c)
        out = np.zeros(n_c.shape[0])
        per_rep = max(1, self.n_rows * self.width)
        step = max(1, 4_000_000 // per_rep)
        for start in range(0, n_c.shape[0], step):
            sub = n_c[start:start + step]
            summed = np.add.reduceat(sub[:, self.inc_val], self.starts, axis=1) if len(self.inc_val) else \
                np.zeros((len(sub), 0))
            dense = np.zeros((len(sub), self.n_rows, self.width))
            dense[:, self.key_row, self.key_size] = summed
            for d in range(self.width):
                sel = self.row_d == d
                if not sel.any():
                    continue
                nd = dense[:, sel, :]
                gram = np.matmul(nd.transpose(0, 2, 1), nd)  # reps x w x w
                out[start:start + step] += (gram * self.coef[d]).sum(axis=(1, 2))
        return out


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def set_distance_matrix(values: Sequence[Iterable[Hashable]], distance: str = "masi") -> np.ndarray:
    """Full distance matrix between the given code sets (vectorised, for inspection/tests)."""
    _check_distance(distance)
    index: dict[frozenset, int] = {}
    distinct: list[frozenset] = []
    pos = []
    for v in values:
        s = frozenset(v)
        j = index.setdefault(s, len(distinct))
        if j == len(distinct):
            distinct.append(s)
        pos.append(j)
    if distance == "nominal":
        full = 1.0 - np.eye(len(distinct))
    else:
        full = np.zeros((len(distinct), len(distinct)))
        for rows, block in _SetSpace(distinct).similarity_blocks(distance):
            full[rows] = 1.0 - block
    return full[np.ix_(pos, pos)]


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
        self.space = _SetSpace(self.values)
        self.distance = distance
        self.expansion = None
        if distance in ("masi", "jaccard") and _USE_EXPANSION and len(self.values) >= 2:
            try:
                self.expansion = _SubsetExpansion(self.space.bits > 0, distance)
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
    _check_distance(distance)
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
    _check_distance(distance)
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
