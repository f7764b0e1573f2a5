"""Benchmark of workbench.agreement (statistics layer) on seeded synthetic data.

Run:  python bench/bench_agreement.py [--quick]

Times
  1. all per-code coefficients, 40,000 units (5,000 transcripts x 8 interviewee
     segments) x 3 coders x 40 codes, from a sets frame, from arrays, from a long frame;
  2. overall MASI alpha (+ kappa, percent agreement) on 100,000 units x 3 coders,
     and with a 1,000-replicate bootstrap CI;
  3. NLTK's AnnotationTask(distance=masi_distance).alpha() vs ours on 10,000 units
     x 3 coders (sets never empty, as NLTK's masi_distance divides by zero on two
     empty sets), and reports the speed ratio.
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    args = ap.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
