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
  agreement on uncoded text to count.

Codes are the applied codes after codebook merges; ``codes`` (prefixes such as ``value.``)
restricts the sets to that part of the codebook. Codings whose transcript is gone, whose code is
unknown, or whose offsets are out of range are left out (``workbench status`` lists them).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import UsageError
from ..project import Project

UNITS = ("segment", "transcript")
BAD_STATUS = ("orphan", "unknown_code", "out_of_range")


@dataclass
class UnitTable:
    """``values``: units × coders DataFrame of frozensets (None = missing), indexed by unit id
    (``P01#3`` for segment 3 of P01, or ``P01``). ``units``: one row per unit with its transcript,
    segment index, start, end, speaker. ``codes``: the code ids in scope (tree order)."""

    values: pd.DataFrame
    units: pd.DataFrame
    coders: list[str]
    unit: str
    codes: list[str]
    unfinished: dict[str, list[str]] = field(default_factory=dict)
    skipped_codings: int = 0


def check_coders(project: Project, coders: list[str] | None, minimum: int = 2) -> list[str]:
    available = project.coders()
    if not coders:
        coders = [c for c in available if c != "consensus"]
    missing = [c for c in coders if c not in available]
    if missing:
        raise UsageError(f"no coding log for {', '.join(missing)}",
                         hint=f"coders with a log: {', '.join(available) or 'none'}")
    if len(set(coders)) < minimum:
        raise UsageError(f"agreement needs at least {minimum} coders (got {', '.join(coders) or 'none'})",
                         hint="name them with --coders a,b")
    return list(dict.fromkeys(coders))


def unit_table(project: Project, coders: list[str] | None = None, *, unit: str = "segment",
               codes: list[str] | str | None = None, all_speakers: bool = False,
               include_unfinished: bool = False, coded_only: bool = False) -> UnitTable:
    if unit not in UNITS:
        raise UsageError(f"unknown unit '{unit}'", hint=f"use one of: {', '.join(UNITS)}, span")
    coders = check_coders(project, coders)
    cb = project.codebook
    in_scope = set(cb.select(codes)) if codes else None
    if codes and not in_scope:
        raise UsageError(f"no code matches {codes!r}", hint="see the ids with 'workbench codebook'")
    catalog = project.catalog()
    # unit rows
    unit_rows = []
    for tid, info in catalog.items():
        if unit == "transcript":
            unit_rows.append({"unit": tid, "transcript": tid, "segment": None, "start": 0,
                              "end": info.n_chars, "speaker": None})
        else:
            for i, (s, e, r) in enumerate(zip(info.starts, info.ends, info.roles)):
                if all_speakers or r == "E":
                    unit_rows.append({"unit": f"{tid}#{i}", "transcript": tid, "segment": i,
                                      "start": s, "end": e, "speaker": info.speakers[i]})
    units = pd.DataFrame(unit_rows, columns=["unit", "transcript", "segment", "start", "end",
                                             "speaker"])
    done = {c: project.state(c).done for c in coders}
    unfinished = {c: sorted(set(catalog) - done[c]) for c in coders}
    cells: dict[str, dict[str, set]] = {c: {} for c in coders}
    skipped = 0
    for c in coders:
        for cd in project.codings(c):
            if cd.status in BAD_STATUS:
                skipped += 1
                continue
            if in_scope is not None and cd.code not in in_scope:
                continue
            info = catalog[cd.transcript]
            if unit == "transcript":
                segs = info.segments_overlapping(cd.start, cd.end)
                if all_speakers or any(info.roles[i] == "E" for i in segs):
                    cells[c].setdefault(cd.transcript, set()).add(cd.code)
            else:
                for i in info.segments_overlapping(cd.start, cd.end):
                    if all_speakers or info.roles[i] == "E":
                        cells[c].setdefault(f"{cd.transcript}#{i}", set()).add(cd.code)
    data = {}
    tids = units["transcript"].tolist()
    for c in coders:
        col = []
        for uid, tid in zip(units["unit"], tids):
            if include_unfinished or tid in done[c]:
                col.append(frozenset(cells[c].get(uid, ())))
            else:
                col.append(None)
        data[c] = col
    values = pd.DataFrame(data, index=pd.Index(units["unit"], name="unit"), dtype=object)
    if coded_only:
        keep = values.apply(lambda row: any(v for v in row if v is not None), axis=1)
        values = values[keep.to_numpy()]
        units = units[keep.to_numpy()].reset_index(drop=True)
    code_list = [cid for cid in cb.codes if in_scope is None or cid in in_scope]
    return UnitTable(values=values, units=units, coders=coders, unit=unit, codes=code_list,
                     unfinished={c: u for c, u in unfinished.items() if u and not include_unfinished},
                     skipped_codings=skipped)
