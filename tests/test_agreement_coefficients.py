"""Tests of workbench.agreement's statistics layer against published worked examples
and independent implementations (krippendorff, statsmodels, scikit-learn, NLTK).

Each test names its source in its docstring.
"""

from __future__ import annotations

import math
from itertools import permutations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench.agreement.coefficients as nominal
import workbench.agreement.per_code as stats
import workbench.agreement.set_distances as set_distances
from workbench.agreement import (
    Estimate,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    jaccard_distance,
    krippendorff_alpha,
    masi_distance,
    overall_agreement,
    per_code_agreement,
    per_code_agreement_arrays,
    percent_agreement,
    set_alpha,
    set_distance_matrix,
    unanimous,
)

nan = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 coders (A-D) x 12 units, nominal values 1-5, "." = missing.
K2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],   # A
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],       # B
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],     # C
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],       # D
]).T  # -> units x coders


def singleton_frame(ratings: np.ndarray) -> pd.DataFrame:
    """Units x coders nominal ratings -> sets frame of singletons (None = missing)."""
    cells = [[None if (isinstance(v, float) and math.isnan(v)) else frozenset([v]) for v in row]
             for row in ratings.tolist()]
    return pd.DataFrame(cells, columns=[f"c{i}" for i in range(ratings.shape[1])])


def table_to_ratings(table) -> np.ndarray:
    """Two-rater contingency table -> units x 2 ratings."""
    rows = []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            rows += [(i, j)] * count
    return np.array(rows)


def distribution_to_ratings(dist) -> np.ndarray:
    """Subjects x categories counts (same raters per subject) -> units x raters ratings."""
    return np.array([sum(([k] * c for k, c in enumerate(row)), []) for row in dist])


# --------------------------------------------------------------------------- #
# Published worked examples
# --------------------------------------------------------------------------- #


def test_krippendorff_2011_worked_example_nominal():
    """Krippendorff (2011) 'Computing Krippendorff's Alpha-Reliability', sec. C:
    alpha_nominal = 0.743 (the paper also gives ordinal .815, interval .849, checked
    with the krippendorff package to confirm the data are the paper's)."""
    assert round(krippendorff_alpha(K2011).value, 3) == 0.743
    assert round(krippendorff.alpha(K2011.T, level_of_measurement="ordinal"), 3) == 0.815
    assert round(krippendorff.alpha(K2011.T, level_of_measurement="interval"), 3) == 0.849


def test_krippendorff_2011_own_path_equals_package():
    """Krippendorff (2011) example: the pairwise computation gives the package's value."""
    assert krippendorff_alpha(K2011).value == pytest.approx(0.743421052631579, abs=1e-12)
    assert krippendorff_alpha(K2011).value == pytest.approx(
        krippendorff.alpha(K2011.T, level_of_measurement="nominal"), abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.integers(2, 5), st.integers(2, 6),
       st.floats(0, 0.7), st.booleans())
def test_nominal_alpha_equals_the_krippendorff_package(seed, n_units, n_coders, n_cat, missing,
                                                      labels):
    """Nominal alpha on random tables -- missing ratings, units with fewer than two ratings
    (which drop out), numbers or text labels, a frame or an array -- is the package's value
    (or undefined, with the reason, where the package's is NaN or it refuses the table)."""
    rng = np.random.default_rng(seed)
    r = rng.integers(0, n_cat, (n_units, n_coders)).astype(float)
    r[rng.random(r.shape) < missing] = np.nan
    r[rng.integers(0, n_units), 1:] = np.nan                  # a unit with one rating at most
    try:
        with np.errstate(all="ignore"):
            want = krippendorff.alpha(r.T, level_of_measurement="nominal")
    except ValueError:      # the package refuses: no pairable unit, or one value in all
        want = float("nan")
    if labels:
        cells = np.where(np.isnan(r), None, np.char.add("c", np.nan_to_num(r).astype(int)
                                                        .astype(str))).astype(object)
        ratings = pd.DataFrame(cells) if seed % 2 else cells
    else:
        ratings = pd.DataFrame(r) if seed % 2 else r
    got = krippendorff_alpha(ratings)
    if got.value is None:
        assert got.reason and not np.isfinite(want)
    else:
        assert got.value == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int8, np.uint16, bool])
def test_numeric_ratings_factorize_as_their_values_do(dtype):
    """A numeric table is factorized as it is (no Python objects made): the same categories,
    in the same order, as its values as objects -- -0.0 and 0.0 one value, NaN missing."""
    rng = np.random.default_rng(3)
    r = rng.integers(0, 4, (50, 3)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        r = r.astype(float)
        r[rng.random(r.shape) < 0.2] = np.nan
        r[r == 0] = -0.0
        r[0, 0] = 0.0
        r = r.astype(dtype)
    as_objects = nominal._factorize_ratings(r.astype(object))
    for numeric in (r, pd.DataFrame(r)):
        ids, n_cat = nominal._factorize_ratings(numeric)
        assert n_cat == as_objects[1]
        assert np.array_equal(ids, as_objects[0])


@pytest.mark.parametrize("distance", ["masi", "jaccard", "nominal"])
def test_krippendorff_2011_as_code_sets(distance):
    """Krippendorff (2011) example with each value as a one-code set: set alpha with
    any set distance is nominal alpha = 0.743."""
    res = overall_agreement(singleton_frame(K2011), distance=distance)
    assert round(res["krippendorff_alpha"], 3) == 0.743
    assert res["n_units"] == 11  # unit 12 has a single value and drops out


def test_gwet_irrcac_raw4raters():
    """Gwet (2014) Handbook of Inter-Rater Reliability / irrCAC README, dataset
    cac.raw4raters (the Krippendorff 2011 data): percent agreement (pairwise)
    0.8181818, AC1 0.77544 (pe 0.1903212), Brennan-Prediger 0.77273 (q=5),
    Krippendorff's alpha 0.74342."""
    assert percent_agreement(K2011, method="pairwise").value == pytest.approx(0.8181818, abs=5e-7)
    assert gwet_ac1(K2011).value == pytest.approx(0.77544, abs=5e-6)
    assert brennan_prediger(K2011).value == pytest.approx(0.77273, abs=5e-6)
    assert krippendorff_alpha(K2011).value == pytest.approx(0.74342, abs=5e-6)
    # the default percent agreement is this pairwise figure (issue 12 item 1) ...
    assert percent_agreement(K2011).value == pytest.approx(0.8181818, abs=5e-7)
    # ... and "all coders agree" is `unanimous`: 8 of the 11 pairable units
    assert unanimous(K2011).value == pytest.approx(8 / 11)
    assert percent_agreement(K2011, method="all").value == pytest.approx(8 / 11)


def test_fleiss_1971_wikipedia_example():
    """Fleiss (1971) example as tabulated on Wikipedia's 'Fleiss' kappa' page:
    10 subjects, 14 raters, 5 categories -> kappa = 0.210; also equal to
    statsmodels.stats.inter_rater.fleiss_kappa."""
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    table = np.array([
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ])
    value = fleiss_kappa(distribution_to_ratings(table)).value
    assert round(value, 3) == 0.210
    assert value == pytest.approx(sm_fleiss(table), abs=1e-12)


def test_irrcac_distrib_6raters():
    """irrCAC README (Gwet 2014), dataset distrib.6raters (15 subjects, 6 raters,
    5 categories): AC1 0.4448007, Fleiss 0.4139265, alpha 0.4204384,
    Brennan-Prediger 0.4388889."""
    dist = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
            [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
            [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]
    r = distribution_to_ratings(dist)
    assert gwet_ac1(r).value == pytest.approx(0.4448007, abs=5e-7)
    assert fleiss_kappa(r).value == pytest.approx(0.4139265, abs=5e-7)
    assert krippendorff_alpha(r).value == pytest.approx(0.4204384, abs=5e-7)
    assert brennan_prediger(r).value == pytest.approx(0.4388889, abs=5e-7)


def test_cohen_wikipedia_2x2():
    """Wikipedia 'Cohen's kappa' worked example: 20 yes/yes, 5 yes/no, 10 no/yes,
    15 no/no -> p_o = 0.7, p_e = 0.5, kappa = 0.4."""
    r = table_to_ratings([[20, 5], [10, 15]])
    assert cohen_kappa(r).value == pytest.approx(0.4)
    assert percent_agreement(r).value == pytest.approx(0.7)


def test_irrcac_cont3x3abstractors():
    """irrCAC README (Gwet 2014), contingency table cont3x3abstractors (2 raters,
    3 categories): Cohen 0.7964094, AC1 0.8493305, BP 0.835, alpha 0.7972585,
    percent agreement 0.89."""
    r = table_to_ratings([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    assert cohen_kappa(r).value == pytest.approx(0.7964094, abs=5e-7)
    assert gwet_ac1(r).value == pytest.approx(0.8493305, abs=5e-7)
    assert brennan_prediger(r).value == pytest.approx(0.835, abs=5e-7)
    assert krippendorff_alpha(r).value == pytest.approx(0.7972585, abs=5e-7)
    assert percent_agreement(r).value == pytest.approx(0.89)


def test_binary_ac1_bp_by_hand():
    """Gwet (2008, BJMSP 61:29-48) AC1 for two raters, formula written out:
    p_a = (a+d)/n, pi = ((a+b)+(a+c))/(2n), p_e = 2 pi (1-pi),
    AC1 = (p_a-p_e)/(1-p_e); Brennan & Prediger (1981): (p_a - 1/2)/(1 - 1/2).
    Wikipedia 2x2 table: a=20, b=5, c=10, d=15."""
    a, b, c, d = 20, 5, 10, 15
    n = a + b + c + d
    pa = (a + d) / n
    pi = ((a + b) + (a + c)) / (2 * n)
    pe = 2 * pi * (1 - pi)
    r = table_to_ratings([[a, b], [c, d]])
    assert gwet_ac1(r).value == pytest.approx((pa - pe) / (1 - pe))
    assert brennan_prediger(r).value == pytest.approx(2 * pa - 1)
    # per-code path: code "yes" present when the rating is 0
    frame = pd.DataFrame([[frozenset({"yes"}) if x == 0 else frozenset() for x in row] for row in r],
                         columns=["A", "B"])
    row = per_code_agreement(frame).iloc[0]
    assert row["gwet_ac1"] == pytest.approx((pa - pe) / (1 - pe))
    assert row["brennan_prediger"] == pytest.approx(2 * pa - 1)
    assert row["cohen_kappa"] == pytest.approx(0.4)


# --------------------------------------------------------------------------- #
# Cross-checks against other implementations
# --------------------------------------------------------------------------- #


def test_cohen_matches_sklearn_random():
    """Cohen's kappa equals sklearn.metrics.cohen_kappa_score on random data."""
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(7)
    for _ in range(25):
        n = int(rng.integers(5, 200))
        a = rng.integers(0, 4, n)
        b = np.where(rng.random(n) < 0.6, a, rng.integers(0, 4, n))
        ours = cohen_kappa(np.c_[a, b])
        ref = cohen_kappa_score(a, b)
        if np.isnan(ref):
            assert ours.value is None
        else:
            assert ours.value == pytest.approx(ref, abs=1e-12)


def random_presence(rng, n_units, n_coders, n_codes, missing=0.15, per_code_missing=False):
    p = rng.uniform(0.02, 0.5, n_codes)
    truth = rng.random((n_units, n_codes)) < p
    flip = rng.random((n_units, n_coders, n_codes)) < 0.15
    present = truth[:, None, :] ^ flip
    if per_code_missing:
        observed = rng.random((n_units, n_coders, n_codes)) >= missing
    else:
        observed = np.broadcast_to((rng.random((n_units, n_coders)) >= missing)[:, :, None], present.shape)
    return present & observed, observed.copy()


@pytest.mark.parametrize("n_coders", [2, 3, 5])
@pytest.mark.parametrize("per_code_missing", [False, True])
def test_per_code_matches_generic_functions(n_coders, per_code_missing):
    """The vectorised per-code path equals the generic nominal functions applied
    code by code, and alpha equals the krippendorff package (Castro 2017)."""
    rng = np.random.default_rng(n_coders * 10 + per_code_missing)
    present, observed = random_presence(rng, 60, n_coders, 6, per_code_missing=per_code_missing)
    df = per_code_agreement_arrays(present, observed)
    kname = "cohen_kappa" if n_coders == 2 else "fleiss_kappa"
    for k in range(present.shape[2]):
        ratings = np.where(observed[:, :, k], present[:, :, k].astype(float), nan)
        row = df.iloc[k]
        pairs = (observed[:, :, k].sum(axis=1) >= 2)
        assert row["n_units"] == pairs.sum()
        assert row["percent_agreement"] == pytest.approx(percent_agreement(ratings).value)
        assert row["krippendorff_alpha"] == pytest.approx(krippendorff_alpha(ratings).value)
        assert row["krippendorff_alpha"] == pytest.approx(
            krippendorff.alpha(ratings.T, level_of_measurement="nominal"))
        kappa = cohen_kappa(ratings) if n_coders == 2 else fleiss_kappa(ratings)
        assert row[kname] == pytest.approx(kappa.value)
        assert row["gwet_ac1"] == pytest.approx(gwet_ac1(ratings, n_categories=2).value)
        assert row["brennan_prediger"] == pytest.approx(brennan_prediger(ratings, n_categories=2).value)
        rated = observed[:, :, k]
        assert row["prevalence"] == pytest.approx(present[:, :, k][rated].mean())


def test_fleiss_per_code_matches_statsmodels():
    """Per-code Fleiss' kappa (complete units) equals statsmodels' fleiss_kappa on the
    aggregated 2-category table of the complete units."""
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    rng = np.random.default_rng(3)
    present, observed = random_presence(rng, 80, 4, 5, missing=0.1)
    df = per_code_agreement_arrays(present, observed)
    complete = observed[:, :, 0].all(axis=1)
    for k in range(5):
        ones = present[complete, :, k].sum(axis=1)
        table = np.c_[4 - ones, ones]
        assert df.iloc[k]["fleiss_kappa"] == pytest.approx(sm_fleiss(table), abs=1e-12)
        assert df.iloc[k]["n_units_kappa"] == complete.sum()


def test_long_frame_equals_sets_frame():
    """Long input [unit, coder, code, present] with all triples listed gives the same
    table as the equivalent sets frame."""
    rng = np.random.default_rng(11)
    present, observed = random_presence(rng, 50, 3, 4)
    codes = ["a", "b", "c", "d"]
    coders = ["ann", "bob", "cid"]
    cells = [[frozenset(codes[k] for k in np.flatnonzero(present[u, c])) if observed[u, c, 0] else None
              for c in range(3)] for u in range(50)]
    frame = pd.DataFrame(cells, columns=coders, index=[f"u{u}" for u in range(50)])
    long = pd.DataFrame([(f"u{u}", coders[c], codes[k], bool(present[u, c, k]))
                         for u in range(50) for c in range(3) for k in range(4) if observed[u, c, k]],
                        columns=["unit", "coder", "code", "present"])
    a = per_code_agreement(frame, codes=codes)
    b = per_code_agreement(long, coders=coders, codes=codes)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["code", "n_units", "prevalence", "percent_agreement", "unanimous",
                               "fleiss_kappa",
                               "krippendorff_alpha", "gwet_ac1", "brennan_prediger", "n_units_kappa",
                               "reason"]


def test_sets_frame_accepts_sets_lists_and_nan():
    """Cells may be frozenset, set, list or tuple; None and NaN are missing."""
    frame = pd.DataFrame({"A": [{"x"}, ["x", "y"], None, ("y",)],
                          "B": [frozenset({"x"}), {"y", "x"}, nan, frozenset()]})
    res = overall_agreement(frame)
    assert res["n_units"] == 3
    assert res["percent_agreement"] == pytest.approx(2 / 3)


def test_bad_cell_type_raises():
    """A bare string is not a code set: refuse rather than iterate its characters."""
    frame = pd.DataFrame({"A": ["abc", None], "B": [frozenset("a"), None]})
    with pytest.raises(TypeError, match="not a set of codes"):
        overall_agreement(frame)


# --------------------------------------------------------------------------- #
# MASI / Jaccard and set-valued alpha
# --------------------------------------------------------------------------- #


def test_masi_distance_passonneau_2006():
    """Passonneau (2006) MASI = 1 - J*M, M = 1 identical, 2/3 subset, 1/3 overlap,
    0 disjoint; empty/empty = 0."""
    assert masi_distance({1, 2}, {1, 2}) == 0
    assert masi_distance({1, 2}, {1, 2, 3, 4}) == pytest.approx(1 - 0.5 * 2 / 3)
    assert masi_distance({1, 2}, {2, 3}) == pytest.approx(1 - (1 / 3) * (1 / 3))
    assert masi_distance({1}, {2}) == 1
    assert masi_distance(set(), set()) == 0
    assert masi_distance(set(), {1}) == 1
    assert jaccard_distance(set(), set()) == 0
    assert jaccard_distance({1, 2}, {2, 3}) == pytest.approx(2 / 3)
    m = set_distance_matrix([{1, 2}, {1, 2, 3, 4}, {2, 3}, set(), set(), {1, 2}], "masi")
    for i, a in enumerate([{1, 2}, {1, 2, 3, 4}, {2, 3}, set(), set(), {1, 2}]):
        for j, b in enumerate([{1, 2}, {1, 2, 3, 4}, {2, 3}, set(), set(), {1, 2}]):
            assert m[i, j] == pytest.approx(masi_distance(a, b))


def _nltk_masi_is_exact() -> bool:
    from nltk.metrics import masi_distance as nltk_masi
    # NLTK < 3.6-ish used M = 0.67 / 0.33; current NLTK uses 2/3 and 1/3.
    return nltk_masi({1, 2}, {1, 2, 3, 4}) == pytest.approx(1 - 0.5 * 2 / 3, abs=1e-15)


def test_masi_distance_matches_nltk():
    """Our MASI equals NLTK's nltk.metrics.masi_distance on non-empty sets (NLTK
    divides by zero on two empty sets).  If an old NLTK with the 0.67/0.33
    approximation is installed, the difference is bounded by 0.0034."""
    from nltk.metrics import masi_distance as nltk_masi

    tol = 1e-15 if _nltk_masi_is_exact() else 0.0034
    rng = np.random.default_rng(5)
    for _ in range(500):
        a = set(rng.choice(6, size=int(rng.integers(1, 4)), replace=False).tolist())
        b = set(rng.choice(6, size=int(rng.integers(1, 4)), replace=False).tolist())
        assert masi_distance(a, b) == pytest.approx(nltk_masi(a, b), abs=tol)


def random_sets_frame(rng, n_units, n_coders, n_codes=6, max_size=3, missing=0.1, allow_empty=True):
    rows = []
    for _ in range(n_units):
        base = set(rng.choice(n_codes, size=int(rng.integers(0 if allow_empty else 1, max_size + 1)),
                              replace=False).tolist())
        row = []
        for _ in range(n_coders):
            if rng.random() < missing:
                row.append(None)
                continue
            s = set(base)
            if s and rng.random() < 0.3:
                s.discard(sorted(s)[0])
            if rng.random() < 0.3:
                s.add(int(rng.integers(n_codes)))
            if not s and not allow_empty:
                s = {int(rng.integers(n_codes))}
            row.append(frozenset(s))
        rows.append(row)
    return pd.DataFrame(rows, columns=[f"c{i}" for i in range(n_coders)])


def nltk_alpha(frame, distance):
    from nltk.metrics.agreement import AnnotationTask

    triples = [(c, u, v) for c in frame.columns for u, v in frame[c].items() if v is not None]
    return AnnotationTask(data=triples, distance=distance).alpha()


@pytest.mark.parametrize("n_coders", [2, 3, 4])
def test_masi_alpha_matches_nltk(n_coders):
    """Set-valued alpha with MASI equals NLTK's AnnotationTask(distance=masi_distance)
    .alpha() (Artstein & Poesio 2008 formulation) on random data without empty sets;
    exactly with our distance plugged into NLTK, and with NLTK's own distance."""
    from nltk.metrics import jaccard_distance as nltk_jaccard
    from nltk.metrics import masi_distance as nltk_masi

    rng = np.random.default_rng(100 + n_coders)
    for _ in range(4):
        frame = random_sets_frame(rng, 40, n_coders, allow_empty=False)
        ours = overall_agreement(frame, "masi")["krippendorff_alpha"]
        assert ours == pytest.approx(nltk_alpha(frame, masi_distance), abs=1e-12)
        tol = 1e-12 if _nltk_masi_is_exact() else 0.01
        assert ours == pytest.approx(nltk_alpha(frame, nltk_masi), abs=tol)
        ours_j = overall_agreement(frame, "jaccard")["krippendorff_alpha"]
        assert ours_j == pytest.approx(nltk_alpha(frame, nltk_jaccard), abs=1e-12)


def reference_set_alpha(frame: pd.DataFrame, dist) -> float | None:
    """Brute-force alpha from the definition: sum over value pairs, O(n^2)."""
    units = [[v for v in row if v is not None] for row in frame.itertuples(index=False)]
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    d_o = sum(sum(dist(a, b) for a, b in permutations(u, 2)) / (len(u) - 1) for u in units)
    d_e = sum(dist(a, b) for a, b in permutations(values, 2))
    if n == 0 or d_e == 0:
        return None
    return 1 - (n - 1) * d_o / d_e


cells = st.one_of(st.none(), st.frozensets(st.integers(0, 4), max_size=4))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4).flatmap(lambda c: st.lists(st.lists(cells, min_size=c, max_size=c),
                                                     min_size=1, max_size=10)),
       st.sampled_from(["masi", "jaccard"]), st.booleans())
def test_set_alpha_matches_brute_force(rows, distance, use_expansion):
    """Vectorised set alpha (subset expansion and V x V block path) equals a brute-
    force implementation of Krippendorff's definition, empty sets included."""
    frame = pd.DataFrame(rows)
    dist = masi_distance if distance == "masi" else jaccard_distance
    ref = reference_set_alpha(frame, dist)
    old = set_distances.USE_EXPANSION
    set_distances.USE_EXPANSION = use_expansion
    try:
        est = set_alpha(frame, distance)
    finally:
        set_distances.USE_EXPANSION = old
    if ref is None:
        assert est.value is None and est.reason
    else:
        assert est.value == pytest.approx(ref, abs=1e-9)


single_cells = st.one_of(st.none(), st.just(frozenset()), st.integers(0, 3).map(lambda c: frozenset([c])))


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 4).flatmap(lambda c: st.lists(st.lists(single_cells, min_size=c, max_size=c),
                                                     min_size=1, max_size=15)))
def test_set_alpha_equals_nominal_alpha_for_single_codes(rows):
    """With at most one code per unit and coder, MASI, Jaccard and nominal set alpha
    all equal nominal alpha of the krippendorff package (empty set = its own value)."""
    frame = pd.DataFrame(rows)
    numeric = np.array([[nan if v is None else (next(iter(v)) + 1 if v else 0) for v in row]
                        for row in rows], dtype=float)
    try:
        with np.errstate(all="ignore"):
            ref = krippendorff.alpha(numeric.T, level_of_measurement="nominal")
        if np.isnan(ref):
            ref = None
    except ValueError:  # one value in the domain / nothing pairable
        ref = None
    for distance in ("masi", "jaccard", "nominal"):
        value = overall_agreement(frame, distance)["krippendorff_alpha"]
        if ref is None:
            assert value is None
        else:
            assert value == pytest.approx(ref, abs=1e-9)
    generic = krippendorff_alpha(numeric)
    assert (generic.value is None) == (ref is None)


def test_overall_kappa_and_percent_on_sets():
    """Cohen's/Fleiss' kappa with each distinct set as a category equal the nominal
    functions on the set ids; percent agreement = all sets identical."""
    rng = np.random.default_rng(9)
    for n_coders in (2, 3):
        frame = random_sets_frame(rng, 60, n_coders)
        res = overall_agreement(frame)
        labels = frame.map(lambda v: None if v is None else tuple(sorted(v)))
        kname = "cohen_kappa" if n_coders == 2 else "fleiss_kappa"
        ref = cohen_kappa(labels) if n_coders == 2 else fleiss_kappa(labels)
        assert res[kname] == pytest.approx(ref.value)
        assert res["percent_agreement"] == pytest.approx(percent_agreement(labels).value)


# --------------------------------------------------------------------------- #
# Undefined cases
# --------------------------------------------------------------------------- #


def test_code_nobody_used_is_undefined_not_one():
    """A code in the codebook that no coder applied (issue 12 item 2): *every*
    coefficient is NaN with one reason -- alpha and kappa are 0/0, and AC1, BP and
    percent agreement (1.0 by their formulas) would only count agreeing absences."""
    frame = pd.DataFrame({"A": [frozenset({"x"}), frozenset(), frozenset({"x"})],
                          "B": [frozenset({"x"}), frozenset(), frozenset()]})
    df = per_code_agreement(frame, codes=["x", "unused"]).set_index("code")
    row = df.loc["unused"]
    for col in ("percent_agreement", "unanimous", "cohen_kappa", "krippendorff_alpha",
                "gwet_ac1", "brennan_prediger"):
        assert np.isnan(row[col]), col
        assert col in row["reason"]
    assert "no coder applied the code" in row["reason"]
    assert row["prevalence"] == 0 and row["n_units"] == 3
    assert df.loc["x", "reason"] is None
    # three coders, with a bootstrap: the interval is undefined too, every replicate counted
    three = frame.assign(C=[frozenset(), frozenset({"x"}), frozenset({"x"})])
    df3 = per_code_agreement(three, codes=["x", "unused"], bootstrap=200).set_index("code")
    assert np.isnan(df3.loc["unused", "fleiss_kappa"]) and np.isnan(df3.loc["unused", "alpha_ci_low"])
    assert df3.loc["unused", "alpha_ci_undefined"] == 200
    # generic functions
    zeros = np.zeros((5, 3))
    assert krippendorff_alpha(zeros) == Estimate(None, stats.R_ONE_VALUE)
    assert fleiss_kappa(zeros).value is None
    assert cohen_kappa(zeros[:, :2]).value is None
    assert gwet_ac1(zeros).value is None and "n_categories" in gwet_ac1(zeros).reason
    assert gwet_ac1(zeros, n_categories=2).value == 1.0


def test_code_always_applied_is_undefined():
    """Every coder applied the code to every unit: alpha/kappa undefined, reason says so."""
    frame = pd.DataFrame({"A": [frozenset({"x", "y"}), frozenset({"x"})],
                          "B": [frozenset({"x"}), frozenset({"x"})],
                          "C": [frozenset({"x"}), frozenset({"x", "y"})]})
    row = per_code_agreement(frame).set_index("code").loc["x"]
    assert np.isnan(row["krippendorff_alpha"]) and np.isnan(row["fleiss_kappa"])
    assert "every coder applied the code" in row["reason"]


def test_all_units_identical_sets_overall_undefined():
    """All coders gave every unit the same code set: alpha and kappa None + reason;
    percent agreement is 1."""
    frame = pd.DataFrame({"A": [frozenset({1, 2})] * 4, "B": [frozenset({1, 2})] * 4})
    res = overall_agreement(frame, bootstrap=200)
    assert res["krippendorff_alpha"] is None and res["cohen_kappa"] is None
    assert res["percent_agreement"] == 1.0 and res["unanimous"] == 1.0
    assert "no variation" in res["reasons"]["krippendorff_alpha"]
    assert res["alpha_ci"] is None and "alpha_ci" in res["reasons"]
    assert "krippendorff_alpha" in res["reason"]


def test_no_pairable_units_and_single_coder():
    """No unit coded twice, or only one coder: every coefficient None with a reason."""
    frame = pd.DataFrame({"A": [frozenset({1}), None], "B": [None, frozenset({2})]})
    res = overall_agreement(frame)
    assert res["krippendorff_alpha"] is None and res["percent_agreement"] is None
    assert res["n_units"] == 0 and res["reasons"]["cohen_kappa"] == stats.R_NO_BOTH
    one = overall_agreement(frame[["A"]])
    assert one["krippendorff_alpha"] is None and one["reasons"]["krippendorff_alpha"] == stats.R_FEW_CODERS
    df = per_code_agreement(frame)
    assert df["krippendorff_alpha"].isna().all() and df["reason"].str.contains("no unit").all()
    assert per_code_agreement(frame[["A"]])["reason"].str.contains("two coders").all()


def test_fleiss_uses_only_complete_units():
    """Fleiss' kappa is computed over units rated by all coders (documented rule):
    adding units with a missing rating does not change it."""
    base = [[1, 1, 2], [2, 2, 2], [1, 2, 1], [3, 3, 3], [1, 1, 1]]
    extra = base + [[1, nan, 2], [nan, 3, 3]]
    assert fleiss_kappa(np.array(base, float)).value == pytest.approx(
        fleiss_kappa(np.array(extra, float)).value)
    assert fleiss_kappa(np.array([[1, nan, 2], [nan, 3, 3]])).value is None


def test_cohen_two_constant_coders_on_different_values_is_zero():
    """Coder A always 'yes', coder B always 'no': p_o = 0, p_e = 0, kappa = 0 (defined)."""
    assert cohen_kappa(np.array([[1, 0]] * 5)).value == 0.0


# --------------------------------------------------------------------------- #
# Bootstrap
# --------------------------------------------------------------------------- #


def batched_draws(seed: int, n: int, reps: int) -> np.ndarray:
    """The unit indices the bootstrap draws (numpy's default_rng, batches of BOOT_BATCH)."""
    rng = np.random.default_rng(seed)
    out = [rng.integers(0, n, size=(min(stats.BOOT_BATCH, reps - s), n))
           for s in range(0, reps, stats.BOOT_BATCH)]
    return np.concatenate(out)


def test_bootstrap_overall_reproducible_and_sane():
    """Unit bootstrap of set alpha: same seed -> same interval; the interval
    contains the point estimate on reasonably sized data."""
    frame = random_sets_frame(np.random.default_rng(1), 150, 3)
    a = overall_agreement(frame, bootstrap=300, seed=4)
    b = overall_agreement(frame, bootstrap=300, seed=4)
    c = overall_agreement(frame, bootstrap=300, seed=5)
    assert a["alpha_ci"] == b["alpha_ci"]
    assert a["alpha_ci"] != c["alpha_ci"]
    low, high = a["alpha_ci"]
    assert low < a["krippendorff_alpha"] < high


def test_bootstrap_overall_matches_naive_resampling():
    """The vectorised bootstrap equals recomputing alpha on explicitly resampled
    units with the same random draws."""
    frame = random_sets_frame(np.random.default_rng(2), 40, 3, missing=0.0)
    res = overall_agreement(frame, "jaccard", bootstrap=200, seed=3)
    draws = batched_draws(3, 40, 200)
    reps = [set_alpha(frame.iloc[d].reset_index(drop=True), "jaccard").value for d in draws]
    low, high = np.quantile(reps, [0.025, 0.975])
    assert res["alpha_ci"] == pytest.approx((low, high), abs=1e-9)


def test_bootstrap_per_code():
    """Per-code bootstrap: CI columns present, reproducible, NaN for undefined codes,
    and equal to explicit unit resampling for one code."""
    rng = np.random.default_rng(8)
    present, observed = random_presence(rng, 70, 3, 3, missing=0.0)
    present[:, :, 2] = False
    a = per_code_agreement_arrays(present, observed, bootstrap=200, seed=1)
    b = per_code_agreement_arrays(present, observed, bootstrap=200, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert np.isnan(a.loc[2, "alpha_ci_low"]) and np.isnan(a.loc[2, "alpha_ci_high"])
    draws = batched_draws(1, 70, 200)
    reps = [krippendorff.alpha(present[d, :, 0].T.astype(float), level_of_measurement="nominal")
            for d in draws]
    low, high = np.quantile(reps, [0.025, 0.975])
    assert a.loc[0, "alpha_ci_low"] == pytest.approx(low)
    assert a.loc[0, "alpha_ci_high"] == pytest.approx(high)
