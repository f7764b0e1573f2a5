"""Benchmark of workbench.agreement (statistics layer) on seeded synthetic data.

Run:  python bench/bench_agreement.py [--quick]

Times
  1. all per-code coefficients, 40,000 units (5,000 transcripts x 8 interviewee
     segments) x 3 coders x 40 codes, from a sets frame, from arrays, from a long frame;
  2. overall MASI alpha (+ kappa, percent agreement) on 100,000 units x 3 coders,
     and with a 1,000-replicate bootstrap CI;
  3. NLTK's AnnotationTask(distance=masi_distance).alpha() vs ours on 10,000 units
     x 3 coders (sets never empty, as NLTK's masi_distance divides by zero on two
     empty sets), and reports the speed ratio;
  4. nominal alpha (``krippendorff_alpha``) at several sizes (100 to 400,000 units x 3
     coders, 2 to 10 categories, 10% of ratings missing, so some units have fewer than two):
     ours vs the ``krippendorff`` package called directly on the same float array, and vs
     delegating to the package as workbench did before issue 16 for tables under 2M cells
     (today's factorization, then value counts and ``krippendorff.alpha(value_counts=...)``)
     -- also for text labels, which the package cannot take directly; each the best of 5,
     ratios within the run (``--only alpha`` runs this part alone).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.agreement import overall_agreement, per_code_agreement, per_code_agreement_arrays


def synthetic(n_units: int, n_coders: int = 3, n_codes: int = 40, seed: int = 0,
              missing: float = 0.05, nonempty: bool = False):
    """Zipf-like code prevalence, ~1.3 codes per unit, coders drop 15% of the true
    codes and add spurious ones; ``missing`` share of (unit, coder) cells uncoded.

    Returns (present units x coders x codes bool, observed units x coders bool, sets frame).
    """
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_codes + 1)
    p = p / p.sum() * 1.3
    truth = rng.random((n_units, n_codes)) < p
    keep = rng.random((n_units, n_coders, n_codes)) > 0.15
    spurious = rng.random((n_units, n_coders, n_codes)) < p * 0.08
    present = (truth[:, None, :] & keep) | spurious
    if nonempty:
        empty = ~present.any(axis=2)
        first = rng.integers(0, 3, size=empty.sum())
        present[np.nonzero(empty) + (first,)] = True
    observed = rng.random((n_units, n_coders)) >= missing
    present &= observed[:, :, None]
    frame = to_sets_frame(present, observed)
    return present, observed, frame


def to_sets_frame(present: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    n_units, n_coders, n_codes = present.shape
    packed = np.packbits(present, axis=2).reshape(n_units * n_coders, -1)
    uniq, inv = np.unique(packed, axis=0, return_inverse=True)
    bits = np.unpackbits(uniq, axis=1)[:, :n_codes].astype(bool)
    sets = np.empty(len(uniq), dtype=object)
    for j, row in enumerate(bits):
        sets[j] = frozenset(f"c{k:02d}" for k in np.flatnonzero(row))
    cells = sets[inv.ravel()].reshape(n_units, n_coders)
    cells[~observed] = None
    return pd.DataFrame(cells, index=[f"u{i}" for i in range(n_units)],
                        columns=[f"coder{c}" for c in range(n_coders)])


def to_long(present: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    n_units, n_coders, n_codes = present.shape
    u, c, k = np.nonzero(np.broadcast_to(observed[:, :, None], present.shape))
    return pd.DataFrame({
        "unit": pd.Categorical.from_codes(u, [f"u{i}" for i in range(n_units)]),
        "coder": pd.Categorical.from_codes(c, [f"coder{i}" for i in range(n_coders)]),
        "code": pd.Categorical.from_codes(k, [f"c{i:02d}" for i in range(n_codes)]),
        "present": present[u, c, k],
    })


def timed(fn, repeat: int = 3):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


ALPHA_SIZES = [(100, 3), (1_000, 4), (10_000, 4), (50_000, 4), (120_000, 4), (400_000, 2),
               (20_000, 10)]   # (units, categories): the package's units x V x V under 2M cells


def nominal_ratings(n_units: int, n_cat: int, n_coders: int = 3, seed: int = 0,
                    missing: float = 0.1) -> np.ndarray:
    """units x coders floats (NaN: not rated): coders agree with a true value 70% of the
    time, else rate at random."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_cat, n_units)
    guess = rng.integers(0, n_cat, (n_units, n_coders))
    r = np.where(rng.random((n_units, n_coders)) < 0.7, truth[:, None], guess).astype(float)
    r[rng.random(r.shape) < missing] = np.nan
    return r


def delegated_alpha(ratings) -> float:
    """Nominal alpha as workbench computed it before issue 16 for tables under 2M cells:
    factorize the labels, build the units x values count table, hand it to the
    ``krippendorff`` package."""
    import krippendorff

    from workbench.agreement.coefficients import _factorize_ratings
    ids, n_cat = _factorize_ratings(ratings)
    pair = (ids >= 0).sum(axis=1) >= 2
    n_v = np.bincount(ids[pair][ids[pair] >= 0], minlength=n_cat)
    used = np.flatnonzero(n_v)
    remap = np.full(n_cat + 1, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    sub = ids[pair]
    sub = np.where(sub >= 0, remap[np.where(sub >= 0, sub, n_cat)], -1)
    vc = np.zeros((len(sub), len(used)), dtype=np.int64)
    rows = np.broadcast_to(np.arange(len(sub))[:, None], sub.shape)
    np.add.at(vc, (rows[sub >= 0], sub[sub >= 0]), 1)
    return float(krippendorff.alpha(value_counts=vc, level_of_measurement="nominal"))


def alpha_sizes(quick: bool) -> None:
    """Section 4: nominal alpha, ours vs the krippendorff package, at several sizes."""
    import krippendorff

    from workbench.agreement import krippendorff_alpha
    sizes = ALPHA_SIZES[:4] if quick else ALPHA_SIZES
    print("nominal alpha, 3 coders, 10% missing (best of 5; ratio = ours / the other)")
    print(f"{'units':>8} {'V':>3} {'cells':>10} | {'ours':>9} {'package':>9} {'ratio':>6} | "
          f"{'delegated':>9} {'ratio':>6} | labels: {'ours':>9} {'delegated':>9} {'ratio':>6}")
    worst = 0.0
    for n, v in sizes:
        r = nominal_ratings(n, v)
        labels = np.where(np.isnan(r), None,
                          np.char.add("code", np.nan_to_num(r).astype(int).astype(str)))
        t_ours, a = timed(lambda r=r: krippendorff_alpha(r).value, repeat=5)
        t_pkg, b = timed(lambda r=r: krippendorff.alpha(reliability_data=r.T,
                                                        level_of_measurement="nominal"), repeat=5)
        t_del, c = timed(lambda r=r: delegated_alpha(r), repeat=5)
        t_lab, d = timed(lambda x=labels: krippendorff_alpha(x).value, repeat=5)
        t_ldel, e = timed(lambda x=labels: delegated_alpha(x), repeat=5)
        assert max(abs(a - b), abs(a - c), abs(a - d), abs(a - e)) < 1e-12, (a, b, c, d, e)
        worst = max(worst, t_ours / t_pkg, t_ours / t_del, t_lab / t_ldel)
        print(f"{n:>8,} {v:>3} {n * v * v:>10,} | {t_ours * 1e3:7.2f}ms {t_pkg * 1e3:7.2f}ms "
              f"{t_ours / t_pkg:6.2f} | {t_del * 1e3:7.2f}ms {t_ours / t_del:6.2f} | "
              f"{t_lab * 1e3:15.2f}ms {t_ldel * 1e3:7.2f}ms {t_lab / t_ldel:6.2f}")
    print(f"slowest ratio of ours to the package (direct or delegated): {worst:.2f} "
          f"(target < 1: ours the fastest at every size)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    ap.add_argument("--only", choices=["alpha"], help="run one part alone")
    args = ap.parse_args(argv)
    if args.only == "alpha":
        alpha_sizes(args.quick)
        return 0
    scale = 10 if args.quick else 1
    rows = []

    # 1. per-code
    n_pc = 40_000 // scale
    present, observed, frame = synthetic(n_pc, seed=1)
    t, df = timed(lambda: per_code_agreement(frame))
    rows.append((f"per-code, sets frame, {n_pc:,} units x 3 coders x 40 codes", t, "< 3 s"))
    t, _ = timed(lambda: per_code_agreement_arrays(present, observed))
    rows.append((f"per-code, arrays, {n_pc:,} x 3 x 40", t, "< 3 s"))
    long = to_long(present, observed)
    t, df_long = timed(lambda: per_code_agreement(long), repeat=1)
    rows.append((f"per-code, long frame ({len(long):,} rows, categorical)", t, ""))
    assert np.allclose(df["krippendorff_alpha"], df_long["krippendorff_alpha"], equal_nan=True)
    t, _ = timed(lambda: per_code_agreement(frame, bootstrap=1000), repeat=1)
    rows.append((f"per-code + bootstrap 1,000, {n_pc:,} x 3 x 40", t, ""))

    # 2. overall MASI alpha
    n_ov = 100_000 // scale
    _, _, big = synthetic(n_ov, seed=2)
    t, res = timed(lambda: overall_agreement(big, "masi"))
    rows.append((f"overall MASI alpha, {n_ov:,} units x 3 coders "
                 f"({res['n_distinct_sets']:,} distinct sets)", t, "< 2 s"))
    t, res_b = timed(lambda: overall_agreement(big, "masi", bootstrap=1000, seed=0), repeat=1)
    rows.append((f"overall MASI alpha + bootstrap 1,000, {n_ov:,} units", t, ""))

    # 3. NLTK comparison
    from nltk.metrics import masi_distance as nltk_masi
    from nltk.metrics.agreement import AnnotationTask

    n_nl = 10_000 // scale
    _, _, small = synthetic(n_nl, seed=3, nonempty=True)
    triples = [(coder, unit, cell) for coder in small.columns
               for unit, cell in small[coder].items() if cell is not None]
    t_ours, ours = timed(lambda: overall_agreement(small, "masi")["krippendorff_alpha"])
    t0 = time.perf_counter()
    theirs = AnnotationTask(data=triples, distance=nltk_masi).alpha()
    t_nltk = time.perf_counter() - t0
    rows.append((f"NLTK AnnotationTask MASI alpha, {n_nl:,} units x 3 coders", t_nltk, ""))
    rows.append(("workbench MASI alpha, same data", t_ours, ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'seconds':>8}  target")
    print("-" * (width + 20))
    for name, sec, target in rows:
        print(f"{name:<{width}}  {sec:8.3f}  {target}")
    print("-" * (width + 20))
    print(f"speed-up over NLTK: {t_nltk / t_ours:,.0f}x (target >= 50x); "
          f"alpha ours {ours:.6f} vs NLTK {theirs:.6f}")
    print(f"overall (100k): alpha={res['krippendorff_alpha']:.4f} "
          f"95% CI={tuple(round(x, 4) for x in res_b['alpha_ci'])} "
          f"fleiss={res['fleiss_kappa']:.4f} percent={res['percent_agreement']:.4f}")
    print("per-code alpha (first 5 codes):",
          ", ".join(f"{c}={a:.3f}" for c, a in zip(df["code"][:5], df["krippendorff_alpha"][:5])))
    print()
    alpha_sizes(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
