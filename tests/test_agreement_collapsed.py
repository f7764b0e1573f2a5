"""Per-code agreement collapses units on which every coder gave the same sets as on another
unit into one weighted row (issue 16: a 5,000-interview export has 500,000 segment units but a
few thousand distinct rows). The figures are the unit-by-unit ones: exactly with two coders
(every unit's term is an integer or a half, so the sums are exact in any order), to the last
digits with three."""
from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from workbench.agreement import per_code_agreement, per_code_agreement_arrays

CODES = ["a", "a.x", "a.y", "b", "c", "never"]


def frame(n_units: int, coders: list[str], seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    sets = [frozenset(), frozenset({"a", "a.x"}), frozenset({"b"}), frozenset({"a", "a.y", "b"}),
            frozenset({"c"}), frozenset({"a", "a.x", "a.y"})]
    rows = {c: [None if rng.random() < 0.1 else rng.choice(sets) for _ in range(n_units)]
            for c in coders}
    return pd.DataFrame(rows, index=[f"u{i}" for i in range(n_units)], dtype=object)


def unit_by_unit(df: pd.DataFrame) -> pd.DataFrame:
    """The per-unit arrays, no collapsing: the computation as it was."""
    obs = df.notna().to_numpy()
    present = np.zeros(df.shape + (len(CODES),), dtype=bool)
    for (i, j), cell in np.ndenumerate(df.to_numpy()):
        for c in cell or ():
            present[i, j, CODES.index(c)] = True
    return per_code_agreement_arrays(present, obs, codes=CODES, coders=list(df.columns))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_coders_exactly_as_unit_by_unit(seed):
    df = frame(3000, ["anna", "boris"], seed)
    got = per_code_agreement(df, codes=CODES)
    pd.testing.assert_frame_equal(got, unit_by_unit(df), check_exact=True)
    assert got.set_index("code").loc["never", "reason"] is not None


def test_three_coders_as_unit_by_unit():
    df = frame(3000, ["anna", "boris", "cid"], 5)
    got = per_code_agreement(df, codes=CODES)
    pd.testing.assert_frame_equal(got, unit_by_unit(df), rtol=1e-12)


def test_weights_are_refused_with_a_bootstrap():
    present = np.ones((2, 2, 1), dtype=bool)
    with pytest.raises(ValueError, match="bootstrap"):
        per_code_agreement_arrays(present, present, weights=np.array([1, 2]), bootstrap=200)
