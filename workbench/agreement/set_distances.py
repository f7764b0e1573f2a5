"""Distances between two code sets — MASI (Passonneau 2006), Jaccard, nominal — and the
vectorised machinery :mod:`workbench.agreement.code_sets` uses to sum them over every pair of
distinct sets without building the V × V matrix at once (:class:`SetSpace`, with an exact subset
expansion of the expected term when sets are small)."""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from itertools import combinations
from math import comb as binomial

import numpy as np

from .per_code import membership, sorted_codes

DISTANCES = ("masi", "jaccard", "nominal")

# Cells of the V x V distance matrix evaluated per block (fallback path).
_BLOCK_CELLS = 2_000_000
# Use the exact subset expansion for the expected term when sets are small.
USE_EXPANSION = True


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


def check_distance(distance: str) -> str:
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {DISTANCES}, not {distance!r}")
    return distance


class SetSpace:
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


class SubsetExpansion:
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
    check_distance(distance)
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
        for rows, block in SetSpace(distinct).similarity_blocks(distance):
            full[rows] = 1.0 - block
    return full[np.ix_(pos, pos)]
