"""Unit tables: what each coder said about each unit, built from the coding logs.

The contract (issue 5):
- ``unit="segment"`` (default): a unit is one interviewee segment (interviewer turns are left out
  unless ``all_speakers``). A coder's value is the set of codes applied to a span overlapping the
  segment (possibly empty).
- ``unit="transcript"``: a unit is one interview; the value is the set of codes applied anywhere
  in it (in interviewee turns unless ``all_speakers``) — the level behind the opinion counts.
- A coder has values only for transcripts they marked done; the units of a transcript the coder
  has not finished are missing (``None``) for that coder, so they drop out of alpha when fewer than
  two coders remain. ``include_unfinished`` treats every transcript as coded.
- ``coded_only``: keep only units that at least one coder gave a code, for teams who do not want
  agreement on uncoded text to count. With ``codes`` naming a branch this is the branch's
  agreement *within* the units where it is in play (``agree --codes client. --within``).
- ``manual_only``: leave out codings that were accepted suggestions (``source: suggestion``);
  either way :attr:`UnitTable.suggested` counts them per coder.

Codes are the applied codes after codebook merges; ``codes`` (prefixes such as ``value.``)
restricts the sets to that part of the codebook. Codings whose transcript is gone, whose code is
unknown, or whose offsets are out of range are left out (``workbench status`` lists them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd

from ..arrays import coding_arrays
from ..coders import compared_coders
from ..errors import UsageError
from ..project import UNPLACED, Project

UNITS = ("segment", "transcript")
BAD_STATUS = UNPLACED   # left out (counted in skipped_codings)
_EMPTY: frozenset[str] = frozenset()


@dataclass
class UnitTable:
    """``values``: units × coders DataFrame of frozensets (None = missing), indexed by unit id
    (``P01#3`` for segment 3 of P01, or ``P01``). ``units``: one row per unit with its transcript,
    segment index, start, end, speaker and role (``interviewer``/``interviewee``; None for
    transcript units). ``codes``: the code ids in scope (tree order). ``compared`` and
    ``suggested``: per coder, the codings that entered the table (in a finished transcript, a
    code in scope, on a unit) and how many of them were accepted suggestions (with
    ``manual_only`` those are left out of the values, and still counted here)."""

    values: pd.DataFrame
    units: pd.DataFrame
    coders: list[str]
    unit: str
    codes: list[str]
    unfinished: dict[str, list[str]] = field(default_factory=dict)
    skipped_codings: int = 0
    compared: dict[str, int] = field(default_factory=dict)
    suggested: dict[str, int] = field(default_factory=dict)
    manual_only: bool = False


def check_coders(project: Project, coders: list[str] | None, minimum: int = 2,
                 include_unfinished: bool = False) -> list[str]:
    """The coders compared (decided by :func:`workbench.coders.coders_for`)."""
    return compared_coders(project, coders, minimum, include_unfinished)


def unit_table(project: Project, coders: list[str] | None = None, *, unit: str = "segment",
               codes: list[str] | str | None = None, all_speakers: bool = False,
               include_unfinished: bool = False, coded_only: bool = False,
               manual_only: bool = False) -> UnitTable:
    """The unit table of ``coders`` (default: every coder but consensus), as the module
    docstring says. Built from the columnar codings (:class:`workbench.arrays.CodingArrays`) and the
    catalog's segment arrays (:meth:`Project.segment_arrays`), without a Coding object per
    coding; the cells with the same code set share one frozenset."""
    if unit not in UNITS:
        raise UsageError(f"unknown unit '{unit}'", hint=f"use one of: {', '.join(UNITS)}, span")
    coders = check_coders(project, coders, include_unfinished=include_unfinished)
    cb = project.codebook
    in_scope = set(cb.select(codes)) if codes else None
    if codes and not in_scope:
        raise UsageError(f"no code matches {codes!r}", hint="see the ids with 'workbench codebook'")
    catalog = project.catalog()
    sa = project.segment_arrays()
    units, unit_t, unit_of_seg = _units(catalog, sa, unit, all_speakers)
    done = {c: project.state(c).done for c in coders}
    unfinished = {c: sorted(set(catalog) - done[c]) for c in coders}
    code_list = list(cb.codes)
    code_index = pd.Index(code_list, dtype=object)
    allowed = None if in_scope is None else \
        np.fromiter((cid in in_scope for cid in code_list), dtype=bool, count=len(code_list))
    n_units = len(units)
    data = {}
    coded = np.zeros(n_units, dtype=bool)   # units some coder gave a code (coded_only)
    skipped = 0
    compared: dict[str, int] = {}
    suggested: dict[str, int] = {}
    for c in coders:
        cc = coding_arrays(project, c)
        bad = np.zeros(len(cc), dtype=bool)
        for s in BAD_STATUS:
            bad |= cc.status == s
        skipped += int(bad.sum())
        if include_unfinished:
            observed = np.ones(n_units, dtype=bool)
        else:
            t_done = np.fromiter((t in done[c] for t in sa.tids), dtype=bool,
                                 count=len(sa.tids))
            observed = t_done[unit_t]
        is_sugg = cc.source == "suggestion"
        pair_unit, pair_code, pair_coding = _coded_pairs(cc, ~bad, sa, code_index, allowed, unit,
                                                         all_speakers, unit_of_seg)
        entered = np.unique(pair_coding[observed[pair_unit]])
        compared[c] = len(entered)
        suggested[c] = int(is_sugg[entered].sum())
        if manual_only:
            human = ~is_sugg[pair_coding]
            pair_unit, pair_code = pair_unit[human], pair_code[human]
        col, has = _sets_column(pair_unit, pair_code, n_units, observed, code_list)
        coded |= has
        data[c] = col
    values = pd.DataFrame(data, index=pd.Index(units["unit"], name="unit"), dtype=object)
    if coded_only:
        values = values[coded]
        units = units[coded].reset_index(drop=True)
    code_list = [cid for cid in cb.codes if in_scope is None or cid in in_scope]
    return UnitTable(values=values, units=units, coders=coders, unit=unit, codes=code_list,
                     unfinished={c: u for c, u in unfinished.items() if u and not include_unfinished},
                     skipped_codings=skipped, compared=compared, suggested=suggested,
                     manual_only=manual_only)


def _units(catalog, sa, unit: str, all_speakers: bool):
    """The units frame (catalog order, then segment order), each unit's transcript position in
    ``sa`` and, for segment units, the unit of each segment of ``sa`` (-1: not a unit)."""
    infos = list(catalog.values())
    tids = sa.tids
    if unit == "transcript":
        n = len(tids)
        unit_t = np.arange(n, dtype=np.int64)
        cols = {"unit": list(tids), "transcript": list(tids), "segment": [None] * n,
                "start": np.zeros(n, dtype=np.int64),
                "end": np.fromiter((i.n_chars for i in infos), dtype=np.int64, count=n),
                "speaker": [None] * n, "role": [None] * n}
        unit_of_seg = None
    else:
        lengths = np.diff(sa.offsets)
        seg_t = np.repeat(np.arange(len(tids), dtype=np.int64), lengths)
        is_unit = np.ones(len(sa.starts), dtype=bool) if all_speakers else sa.roles == b"E"
        g = np.flatnonzero(is_unit)
        unit_t = seg_t[g]
        local = g - sa.offsets[unit_t]
        unit_of_seg = np.cumsum(is_unit, dtype=np.int64) - 1
        unit_of_seg[~is_unit] = -1
        n = len(g)
        # unit ids "T#i": one prefix per transcript, one string per segment index
        prefixes = [t + "#" for t in tids]
        nums = [str(i) for i in range(int(lengths.max(initial=0)))]
        ut, lo = unit_t.tolist(), local.tolist()
        speakers = _objects(list(chain.from_iterable(i.speakers for i in infos)))
        roles = np.where(sa.roles[g] == b"I", "interviewer", "interviewee")
        cols = {"unit": [prefixes[t] + nums[i] for t, i in zip(ut, lo)],
                "transcript": [tids[t] for t in ut], "segment": local,
                "start": sa.starts[g], "end": sa.ends[g], "speaker": speakers[g].tolist(),
                "role": roles.tolist()}
    if n:
        units = pd.DataFrame(cols)
    else:
        units = pd.DataFrame([], columns=list(cols))
    return units, unit_t, unit_of_seg


def _coded_pairs(cc, keep, sa, code_index, allowed, unit: str, all_speakers: bool,
                 unit_of_seg):
    """(unit position, code position, coding row) for every kept coding of one coder and every
    unit it counts for (with repeats)."""
    idx = np.flatnonzero(keep)
    code_pos = code_index.get_indexer(cc.code[idx]) if len(idx) else np.zeros(0, np.int64)
    if allowed is not None:
        inside = allowed[code_pos]
        idx, code_pos = idx[inside], code_pos[inside]
    cat_of = sa.positions(cc.tids)
    t_cat = cat_of[cc.transcript[idx]] if len(idx) else np.zeros(0, np.int64)
    if unit == "transcript" and all_speakers:   # every coding counts, in a turn or not
        known = t_cat >= 0
        return t_cat[known], code_pos[known], idx[known]
    q, seg = sa.overlapping(t_cat, cc.start[idx], cc.end[idx])
    gseg = sa.offsets[t_cat[q]] + seg
    if unit == "transcript":    # a coding counts when it overlaps an interviewee turn
        has = np.zeros(len(idx), dtype=bool)
        has[q[sa.roles[gseg] == b"E"]] = True
        return t_cat[has], code_pos[has], idx[has]
    u = unit_of_seg[gseg]
    counted = u >= 0
    return u[counted], code_pos[q[counted]], idx[q[counted]]


def _sets_column(pair_unit, pair_code, n_units: int, observed, code_list: list[str]):
    """One coder's column of frozensets (None where not ``observed``) from (unit, code) pairs,
    and which units got a code (observed ones only). Each distinct set is built once."""
    col = np.empty(n_units, dtype=object)
    col[observed] = [_EMPTY] * int(observed.sum())
    has = np.zeros(n_units, dtype=bool)
    n_codes = max(len(code_list), 1)
    seen = observed[pair_unit]
    keys = np.sort(pair_unit[seen] * n_codes + pair_code[seen])
    if not len(keys):
        return col, has
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]     # distinct (sorting beats hashing here)
    u, k = keys // n_codes, keys % n_codes
    first = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    ends = np.r_[first[1:], len(u)]
    # a bit mask of the codes per unit (64 codes to a word) names each unit's set
    words = (n_codes + 63) // 64
    bits = np.zeros((len(k), words), dtype=np.uint64)
    bits[np.arange(len(k)), k // 64] = np.left_shift(np.uint64(1), (k % 64).astype(np.uint64))
    masks = np.bitwise_or.reduceat(bits, first, axis=0)
    if words == 1:
        _, rep, inv = np.unique(masks[:, 0], return_index=True, return_inverse=True)
    else:
        _, rep, inv = np.unique(masks, axis=0, return_index=True, return_inverse=True)
    sets = _objects([frozenset(code_list[x] for x in k[first[r]:ends[r]].tolist())
                     for r in rep.tolist()])
    coded_units = u[first]
    col[coded_units] = sets[inv.ravel()]
    has[coded_units] = True
    return col, has


def _objects(values) -> np.ndarray:
    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a
