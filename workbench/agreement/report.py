"""Agreement reports and disagreement lists: what ``workbench agree`` / ``disagreements``, the
exports and the TUI show. Built on :mod:`units` (unit tables) and the statistics in
:mod:`per_code` / :mod:`code_sets`."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import UsageError
from ..project import Project
from .code_sets import overall_agreement
from .per_code import per_code_agreement
from .units import UnitTable, unit_table

PER_CODE_COLUMNS = ["code", "name", "n_units", "prevalence", "percent_agreement", "cohen_kappa",
                    "fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "brennan_prediger",
                    "segment_match", "n_codings", "reason"]


@dataclass
class AgreementReport:
    """``overall``: dict (keys documented in docs/AGREEMENT.md); ``per_code``: DataFrame, one
    row per code in codebook order; ``table``: the unit table (None at span level)."""

    overall: dict
    per_code: pd.DataFrame
    table: UnitTable | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        kappa = "cohen_kappa" if len(self.overall["coders"]) == 2 else "fleiss_kappa"
        drop = {"cohen_kappa", "fleiss_kappa"} - {kappa}
        rows = []
        for r in self.per_code.to_dict(orient="records"):
            rows.append({k: v for k, v in r.items() if k not in drop})
        return {"overall": self.overall, "per_code": rows}


def _with_ancestors(values: pd.DataFrame, codebook) -> pd.DataFrame:
    """Sets with every applied code's ancestors added: a parent code is present on a unit when
    any code below it is (so per-code rows for parents measure agreement on the theme)."""
    cache: dict = {}

    def expand(v):
        if v is None or (isinstance(v, float)):
            return None
        if v not in cache:
            out = set(v)
            for c in v:
                if c in codebook.codes:
                    out.update(codebook.ancestors(c))
            cache[v] = frozenset(out)
        return cache[v]
    return values.apply(lambda col: col.map(expand))


def agreement_report(project: Project, coders: list[str] | None = None, *, unit: str = "segment",
                     codes: list[str] | str | None = None, all_speakers: bool = False,
                     include_unfinished: bool = False, coded_only: bool = False,
                     distance: str = "masi", bootstrap: int = 0, seed: int = 0,
                     overlap: float = 0.9) -> AgreementReport:
    """Overall and per-code agreement of ``coders`` at the given unit."""
    cb = project.codebook
    if unit == "span":
        from .spans import span_agreement
        overall, per_code = span_agreement(project, coders, codes=codes, overlap=overlap,
                                           all_speakers=all_speakers,
                                           include_unfinished=include_unfinished)
        per_code.insert(1, "name", [cb.codes[c].name for c in per_code["code"]])
        return AgreementReport(overall, per_code.reindex(
            columns=[c for c in PER_CODE_COLUMNS if c in per_code.columns]))
    table = unit_table(project, coders, unit=unit, codes=codes, all_speakers=all_speakers,
                       include_unfinished=include_unfinished, coded_only=coded_only)
    warnings = []
    for c, missing in table.unfinished.items():
        warnings.append(f"{c} has not marked {len(missing)} transcript(s) done "
                        f"({', '.join(missing[:8])}{'…' if len(missing) > 8 else ''}): their "
                        "units are missing for that coder (--include-unfinished to count them)")
    if table.skipped_codings:
        warnings.append(f"{table.skipped_codings} coding(s) left out (orphan, unknown code or out "
                        "of range; see 'workbench status')")
    overall = overall_agreement(table.values, distance=distance, bootstrap=bootstrap, seed=seed,
                                coders=table.coders)
    overall["unit"] = unit
    overall["coded_only"] = coded_only
    per_code = per_code_agreement(_with_ancestors(table.values, cb), coders=table.coders,
                                  codes=table.codes, bootstrap=bootstrap, seed=seed)
    per_code.insert(1, "name", [cb.codes[c].name for c in per_code["code"]])
    return AgreementReport(overall, per_code, table, warnings)


def disagreements(project: Project, coders: list[str], *, code: str | None = None,
                  unit: str = "segment", all_speakers: bool = False,
                  include_unfinished: bool = False) -> pd.DataFrame:
    """Every unit where the coders' code sets differ (restricted to ``code`` and its subtree when
    given), with the quote. Columns: unit, transcript, segment, speaker, start, end, one column
    per coder (sorted code ids joined by ', '), only_<coder> lists, quote."""
    if unit not in ("segment", "transcript"):
        raise UsageError("disagreements are listed per segment or per transcript")
    table = unit_table(project, coders, unit=unit, codes=[code] if code else None,
                       all_speakers=all_speakers, include_unfinished=include_unfinished)
    rows = []
    vals = table.values
    units = table.units.set_index("unit")
    for uid, row in vals.iterrows():
        sets = [row[c] for c in table.coders]
        present = [s for s in sets if s is not None]
        if len(present) < 2 or all(s == present[0] for s in present):
            continue
        u = units.loc[uid]
        tid = u["transcript"]
        text = project.text(tid)
        quote = text[int(u["start"]):int(u["end"])] if unit == "segment" else ""
        union = frozenset().union(*present)
        r = {"unit": uid, "transcript": tid,
             "segment": None if pd.isna(u["segment"]) else int(u["segment"]),
             "speaker": u["speaker"], "start": int(u["start"]), "end": int(u["end"])}
        for c, s in zip(table.coders, sets):
            r[c] = None if s is None else ", ".join(sorted(s))
        for c, s in zip(table.coders, sets):
            if s is not None:
                r[f"only_{c}"] = ", ".join(sorted(s - frozenset().union(
                    *[o for o2, o in zip(table.coders, sets) if o2 != c and o is not None])))
        r["differ"] = ", ".join(sorted(union - frozenset.intersection(*present)))
        r["quote"] = quote
        rows.append(r)
    cols = ["unit", "transcript", "segment", "speaker", "start", "end", *table.coders,
            *[f"only_{c}" for c in table.coders], "differ", "quote"]
    return pd.DataFrame(rows, columns=cols)
