"""Agreement coefficients for nominal ratings (units x coders, any labels).

Pure numpy/pandas; no I/O, no UI imports.  Per-code agreement (binary presence,
vectorised over codes) is in :mod:`workbench.agreement.per_code`, agreement over
*code sets* in :mod:`workbench.agreement.code_sets`; both re-use :class:`Estimate`
and the reason strings defined here.

Undefined values
----------------
Every coefficient function here returns an :class:`Estimate` -- ``value`` is a
float, or ``None`` when the coefficient is undefined, and then ``reason`` says
why (e.g. ``"no variation: the code was never applied ..."``).  Nothing ever
returns a made-up 1.0 for a 0/0 coefficient.  In DataFrames an undefined
coefficient is ``NaN`` (float columns stay numeric) and the ``reason`` column
explains every NaN of the row.

Conventions
-----------
*Ratings matrices* are **units x coders** (rows are units, columns coders; the
transpose of the ``krippendorff`` package's convention).  A cell holds any
hashable category label; ``None``/``NaN`` means the coder did not rate the unit.

Missing data, per coefficient
-----------------------------
* ``krippendorff_alpha``: a unit with fewer than two ratings drops out
  (Krippendorff 2011); every unit with two or more ratings is used.
* ``percent_agreement``: units with two or more ratings; the mean over units of
  the share of agreeing coder pairs (``method="pairwise"``, the default: Gwet's
  p_a, the observed agreement behind Fleiss' kappa and Brennan-Prediger), or the
  share of units on which every coder who rated it gave the same value
  (``method="all"``, also :func:`unanimous`).  With two coders both are "units
  rated by both coders, share identical"; with more coders "all agree" is lower.
* ``cohen_kappa`` (exactly two coders): units rated by both coders.
* ``fleiss_kappa``: Fleiss (1971) assumes the same number of ratings per unit, so
  only units rated by **all** coders are used (units with a missing rating are
  dropped).  This differs from Gwet's missing-data generalisation used by irrCAC.
* ``gwet_ac1`` and ``brennan_prediger``: Gwet's (2014) formulas for raw ratings
  with missing values: observed agreement p_a averages the pairwise agreement over
  units with two or more ratings; AC1's category shares pi_k average r_ik / r_i
  over units with at least one rating.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Estimate",
    "percent_agreement",
    "unanimous",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
    "kappa_column",
]

# Reason strings (also used by code_sets).
R_FEW_CODERS = "needs at least two coders"
R_NO_PAIRS = "no unit was coded by at least two coders"
R_NO_BOTH = "no unit was coded by both coders"
R_NEVER = "no variation: the code was never applied (in the units used), so the coefficient is 0/0"
R_ALWAYS = "no variation: every coder applied the code to every unit used, so the coefficient is 0/0"
R_ONE_VALUE = "no variation: every rating has the same value, so the coefficient is 0/0"
R_ONE_CATEGORY = "only one category observed; pass n_categories to fix the number of categories"
R_NOT_APPLIED = ("no coder applied the code in the units used: there is nothing to agree on "
                 "(kappa and alpha are 0/0; percent agreement, AC1 and Brennan-Prediger would "
                 "count only agreeing absences)")

#: Fewest bootstrap replicates accepted: a percentile interval from fewer is noise.
MIN_BOOTSTRAP = 200


def check_bootstrap(n: int) -> int:
    """``n`` when it is 0 (no bootstrap) or at least :data:`MIN_BOOTSTRAP`, else ValueError."""
    n = int(n or 0)
    if n < 0 or 0 < n < MIN_BOOTSTRAP:
        raise ValueError(f"bootstrap needs at least {MIN_BOOTSTRAP} replicates for a percentile "
                         f"interval (got {n}); use 0 for none, or 1000 or more")
    return n


def reason_no_complete(n_coders: int) -> str:
    return (
        f"no unit was coded by all {n_coders} coders "
        "(Fleiss' kappa uses only units rated by every coder)"
    )


@dataclass(frozen=True)
class Estimate:
    """A coefficient value, or ``None`` with the ``reason`` it is undefined.

    ``value`` is a plain ``float`` when defined (then ``reason`` is ``None``).
    """

    value: float | None
    reason: str | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None

    def __float__(self) -> float:
        return math.nan if self.value is None else float(self.value)


def kappa_column(n_coders: int) -> str:
    """Name of the kappa column: ``"cohen_kappa"`` for two coders, else ``"fleiss_kappa"``."""
    return "fleiss_kappa" if n_coders >= 3 else "cohen_kappa"


# --------------------------------------------------------------------------- #
# Nominal ratings (units x coders, any hashable labels)
# --------------------------------------------------------------------------- #


def _factorize_ratings(ratings: Any) -> tuple[np.ndarray, int]:
    """-> (ids: units x coders int64 with -1 for missing, number of categories).

    A numeric array (or a frame whose columns share one numeric dtype) is factorized as it
    is -- the same categories as its values as Python objects, without making them."""
    if isinstance(ratings, pd.DataFrame):
        dtypes = set(ratings.dtypes)
        one = dtypes.pop() if len(dtypes) == 1 else None
        numeric = isinstance(one, np.dtype) and one.kind in "biuf"
        arr = ratings.to_numpy() if numeric else ratings.to_numpy(dtype=object)
    elif isinstance(ratings, np.ndarray) and ratings.dtype.kind in "biuf":
        arr = ratings
    else:
        arr = np.asarray(ratings, dtype=object)
    if arr.ndim != 2:
        raise ValueError(f"ratings must be a 2-D units x coders table, got {arr.ndim} dimension(s)")
    codes, uniques = pd.factorize(arr.ravel(), use_na_sentinel=True)
    return codes.reshape(arr.shape).astype(np.int64), len(uniques)


def _pairs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """-> (observed mask, ratings per unit m, unordered equal pairs per unit)."""
    obs = ids >= 0
    m = obs.sum(axis=1)
    eq = np.zeros(ids.shape[0], dtype=np.int64)
    n_coders = ids.shape[1]
    for a in range(n_coders):
        for b in range(a + 1, n_coders):
            eq += obs[:, a] & obs[:, b] & (ids[:, a] == ids[:, b])
    return obs, m, eq


def percent_agreement(ratings: Any, method: str = "pairwise") -> Estimate:
    """Agreement of the coders over the units rated by two or more coders.

    ``method="pairwise"`` (default): mean over units of the share of agreeing
    coder pairs (Gwet's p_a, the literature's percent agreement for several
    coders).  ``method="all"``: share of units on which every coder who rated it
    gave the same value (:func:`unanimous`).  Both are equal for two coders.
    """
    ids, _ = _factorize_ratings(ratings)
    if ids.shape[1] < 2:
        return Estimate(None, R_FEW_CODERS)
    _, m, eq = _pairs(ids)
    pair = m >= 2
    if not pair.any():
        return Estimate(None, R_NO_PAIRS)
    mp, eqp = m[pair], eq[pair]
    if method == "all":
        return Estimate(float(np.mean(2 * eqp == mp * (mp - 1))))
    if method == "pairwise":
        return Estimate(float(np.mean(2 * eqp / (mp * (mp - 1)))))
    raise ValueError(f"method must be 'all' or 'pairwise', not {method!r}")


def unanimous(ratings: Any) -> Estimate:
    """Share of units (rated by two or more coders) on which every coder gave the same value."""
    return percent_agreement(ratings, method="all")


def cohen_kappa(ratings: Any) -> Estimate:
    """Cohen's (1960) kappa for exactly two coders, over units rated by both."""
    ids, n_cat = _factorize_ratings(ratings)
    if ids.shape[1] != 2:
        raise ValueError(f"Cohen's kappa needs exactly two coders, got {ids.shape[1]}")
    both = (ids[:, 0] >= 0) & (ids[:, 1] >= 0)
    n = int(both.sum())
    if n == 0:
        return Estimate(None, R_NO_BOTH)
    a, b = ids[both, 0], ids[both, 1]
    ca = np.bincount(a, minlength=n_cat).astype(np.int64)
    cb = np.bincount(b, minlength=n_cat).astype(np.int64)
    agree = int((a == b).sum())
    pe_n2 = int(ca @ cb)  # pe * n^2, exact
    if pe_n2 == n * n:
        return Estimate(None, R_ONE_VALUE)
    return Estimate((agree * n - pe_n2) / (n * n - pe_n2))


def fleiss_kappa(ratings: Any) -> Estimate:
    """Fleiss' (1971) kappa over the units rated by **all** coders.

    Units with any missing rating are dropped, since Fleiss' kappa requires the
    same number of raters per unit.
    """
    ids, n_cat = _factorize_ratings(ratings)
    n_coders = ids.shape[1]
    if n_coders < 2:
        return Estimate(None, R_FEW_CODERS)
    _, m, eq = _pairs(ids)
    complete = m == n_coders
    n = int(complete.sum())
    if n == 0:
        return Estimate(None, reason_no_complete(n_coders))
    counts = np.bincount(ids[complete].ravel(), minlength=n_cat)
    if np.count_nonzero(counts) <= 1:
        return Estimate(None, R_ONE_VALUE)
    p_bar = 2 * eq[complete].sum() / (n * n_coders * (n_coders - 1))
    p = counts / (n * n_coders)
    pe = float(p @ p)
    return Estimate(float((p_bar - pe) / (1 - pe)))


def _alpha_nominal_from_ids(ids: np.ndarray, n_cat: int) -> Estimate:
    """Krippendorff's nominal alpha, pairwise path (memory linear in units)."""
    _, m, eq = _pairs(ids)
    pair = m >= 2
    if not pair.any():
        return Estimate(None, R_NO_PAIRS)
    mp = m[pair].astype(np.float64)
    n = mp.sum()
    rated = ids[pair]
    n_v = np.bincount(rated[rated >= 0], minlength=n_cat).astype(np.float64)
    if np.count_nonzero(n_v) <= 1:
        return Estimate(None, R_ONE_VALUE)
    d_o = ((mp * (mp - 1) - 2 * eq[pair]) / (mp - 1)).sum()  # sum_ck o_ck delta_ck
    d_e = n * n - n_v @ n_v  # sum_ck n_c n_k delta_ck
    return Estimate(float(1 - (n - 1) * d_o / d_e))


def krippendorff_alpha(ratings: Any) -> Estimate:
    """Krippendorff's alpha for nominal data (units with < 2 ratings drop out).

    Computed pairwise (Krippendorff 2011, nominal data: alpha = 1 - (n-1) * sum_c!=k o_ck /
    sum_c!=k n_c n_k), memory linear in the number of units; tested against the
    ``krippendorff`` package, which it outruns at every size measured
    (``bench/bench_agreement.py``).
    """
    ids, n_cat = _factorize_ratings(ratings)
    if ids.shape[1] < 2:
        return Estimate(None, R_FEW_CODERS)
    return _alpha_nominal_from_ids(ids, n_cat)


def _gwet_pa_pi(ids: np.ndarray, n_cat: int) -> tuple[float | None, np.ndarray, int]:
    _, m, eq = _pairs(ids)
    pair = m >= 2
    if not pair.any():
        return None, np.zeros(0), 0
    mp = m[pair]
    pa = float(np.mean(2 * eq[pair] / (mp * (mp - 1))))
    obs = ids >= 0
    rated = m >= 1
    w = np.broadcast_to((1.0 / np.maximum(m, 1))[:, None], ids.shape)[obs]
    pi = np.bincount(ids[obs], weights=w, minlength=n_cat) / rated.sum()
    return pa, pi, int(np.count_nonzero(np.bincount(ids[obs], minlength=n_cat)))


def _n_categories(observed: int, n_categories: int | None) -> int:
    if n_categories is None:
        return observed
    if n_categories < observed:
        raise ValueError(f"n_categories={n_categories} but {observed} categories occur in the data")
    return int(n_categories)


def _pa_pi_q(ratings: Any, n_categories: int | None):
    """What AC1 and Brennan-Prediger share: (p_a, pi, q), or the Estimate saying why they are
    undefined."""
    ids, n_cat = _factorize_ratings(ratings)
    if ids.shape[1] < 2:
        return Estimate(None, R_FEW_CODERS)
    pa, pi, observed = _gwet_pa_pi(ids, n_cat)
    if pa is None:
        return Estimate(None, R_NO_PAIRS)
    q = _n_categories(observed, n_categories)
    if q < 2:
        return Estimate(None, R_ONE_CATEGORY)
    return pa, pi, q


def gwet_ac1(ratings: Any, n_categories: int | None = None) -> Estimate:
    """Gwet's (2008) AC1 for two or more coders with missing ratings.

    p_a = mean over units with r_i >= 2 of sum_k r_ik (r_ik - 1) / (r_i (r_i - 1));
    pi_k = mean over units with r_i >= 1 of r_ik / r_i;
    p_e = sum_k pi_k (1 - pi_k) / (q - 1);  AC1 = (p_a - p_e) / (1 - p_e).
    ``q`` is ``n_categories`` or, by default, the number of categories observed.
    """
    got = _pa_pi_q(ratings, n_categories)
    if isinstance(got, Estimate):
        return got
    pa, pi, q = got
    pe = float(pi @ (1 - pi)) / (q - 1)
    return Estimate((pa - pe) / (1 - pe))


def brennan_prediger(ratings: Any, n_categories: int | None = None) -> Estimate:
    """Brennan & Prediger (1981) coefficient: (p_a - 1/q) / (1 - 1/q).

    p_a as in :func:`gwet_ac1`; ``q`` is ``n_categories`` or the number observed.
    """
    got = _pa_pi_q(ratings, n_categories)
    if isinstance(got, Estimate):
        return got
    pa, _, q = got
    return Estimate((pa - 1 / q) / (1 - 1 / q))
