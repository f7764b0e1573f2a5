"""Choosing codes and rolling them up: codes selected by id prefixes (``value.``) in codebook
tree order, the code → ancestor pairs that make a parent count wherever a descendant occurs, and
the integer arrays the counts and matrices roll up with."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import UsageError


def select_codes(codebook, codes: str | list[str] | None) -> list[str]:
    """Codes selected by ``codes`` (prefixes like ``value.``; comma-separated or a list), in
    codebook tree order; every code when None. Unknown prefixes are a UsageError."""
    if not codes:
        return list(codebook.codes)
    prefixes = [p.strip() for p in codes.split(",")] if isinstance(codes, str) else list(codes)
    prefixes = [p for p in prefixes if p]
    for p in prefixes:
        if not codebook.select([p]):
            raise UsageError(f"no code matches '{p}'",
                             hint="give a code id or prefix from 'workbench codebook', e.g. 'value.'")
    return codebook.select(prefixes)


def rollup_map(codebook, selected: list[str]) -> pd.DataFrame:
    """(code, target) pairs: a coding of ``code`` counts for ``target`` when target is the code
    itself or one of its ancestors, and target is selected."""
    sel = set(selected)
    pairs = []
    for cid in codebook.codes:
        for t in (cid, *codebook.ancestors(cid)):
            if t in sel:
                pairs.append((cid, t))
    return pd.DataFrame(pairs, columns=["code", "target"])


def distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based; faster than np.unique's hashing for int keys)."""
    if not len(a):
        return a
    a = np.sort(a, kind="stable")
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


@dataclass
class RolledUnits:
    """Units rolled up to the selected codes, as parallel integer arrays."""

    t: np.ndarray        # transcript position in data.transcripts
    seg: np.ndarray      # segment index, -1 when none
    coding: np.ndarray   # row in data.codings
    target: np.ndarray   # position in the selected codes
    n_t: int
    n_sel: int

    def unique_interviews(self) -> tuple[np.ndarray, np.ndarray]:
        """(target, transcript) pairs, each once."""
        key = distinct(self.target * self.n_t + self.t)
        return key // self.n_t, key % self.n_t

    def unique_segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(target, transcript, segment) triples with a segment, each once."""
        m = self.seg >= 0
        width = int(self.seg.max()) + 1 if m.any() else 1
        key = distinct((self.target[m] * self.n_t + self.t[m]) * width + self.seg[m])
        tt, sg = key // width, key % width
        return tt // self.n_t, tt % self.n_t, sg

    def unique_codings(self, n_codings: int) -> tuple[np.ndarray, np.ndarray]:
        """(target, coding row) pairs, each once."""
        n = max(n_codings, 1)
        key = distinct(self.target * n + self.coding)
        return key // n, key % n


def relative_depth(codebook, selected: list[str]) -> dict[str, int]:
    depths = {c: codebook.depth(c) for c in selected}
    low = min(depths.values(), default=0)
    return {c: d - low for c, d in depths.items()}
