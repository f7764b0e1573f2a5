"""Agreement reports and disagreement lists: what ``workbench agree`` / ``disagreements``, the
exports and the TUI show. Built on :mod:`units` (unit tables) and the statistics in
:mod:`per_code` / :mod:`code_sets`."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..coders import coders_for
from ..errors import UsageError
from ..project import Project
from .code_sets import overall_agreement
from .coefficients import MIN_BOOTSTRAP
from .per_code import per_code_agreement
from .units import UnitTable, unit_table

PER_CODE_COLUMNS = ["code", "name", "n_units", "n_characters", "prevalence", "percent_agreement",
                    "unanimous", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha",
                    "alpha_ci_low", "alpha_ci_high", "alpha_ci_undefined", "gwet_ac1",
                    "brennan_prediger", "segment_match", "n_codings", "reason"]
BOOTSTRAP_BY = ("unit", "transcript")
#: Below this many resampled units (or transcripts) a bootstrap interval is flagged as unreliable.
FEW_UNITS = 30
FEW_TRANSCRIPTS = 10


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
        return {"overall": self.overall, "per_code": rows, "warnings": list(self.warnings)}


def _with_ancestors(values: pd.DataFrame, codebook) -> pd.DataFrame:
    """Sets with every applied code's ancestors added: a parent code is present on a unit when
    any code below it is (so per-code rows for parents measure agreement on the theme)."""
    def expand(v):
        if v is None or (isinstance(v, float)):
            return None
        out = set(v)
        for c in v:
            if c in codebook.codes:
                out.update(codebook.ancestors(c))
        return frozenset(out)

    cols = {}
    for name in values.columns:     # each distinct set expanded once
        ids, sets = pd.factorize(values[name].to_numpy(dtype=object), use_na_sentinel=True)
        expanded = np.empty(len(sets) + 1, dtype=object)    # the last one: missing (id -1)
        expanded[:-1] = [expand(v) for v in sets]
        cols[name] = expanded[ids]
    return pd.DataFrame(cols, index=values.index, columns=values.columns, dtype=object)


def _check_options(unit: str, *, codes, within: bool, coded_only: bool, distance: str | None,
                   bootstrap: int, bootstrap_by: str, overlap: float | None) -> list[str]:
    """Refuse options that cannot apply; return warnings for options that are ignored."""
    warnings: list[str] = []
    if bootstrap < 0 or 0 < bootstrap < MIN_BOOTSTRAP:
        raise UsageError(f"--bootstrap {bootstrap} is too few replicates for a 95% interval",
                         hint=f"use at least {MIN_BOOTSTRAP} (1000 or more is usual), or leave "
                              "--bootstrap out")
    if bootstrap_by not in BOOTSTRAP_BY:
        raise UsageError(f"unknown --bootstrap-by '{bootstrap_by}'",
                         hint=f"use one of: {', '.join(BOOTSTRAP_BY)}")
    if within and not codes:
        raise UsageError("--within needs --codes: it keeps the units where the named branch is "
                         "in play", hint="e.g. --codes client. --within")
    if unit == "span":
        given = [name for name, used in (("--bootstrap", bootstrap > 0),
                                         ("--distance", distance is not None),
                                         ("--coded-only", coded_only), ("--within", within))
                 if used]
        if given:
            raise UsageError(f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply "
                             "to --unit span (characters are the units there: no code sets, no "
                             "resampled units)",
                             hint="leave them out, or use --unit segment / transcript")
    elif overlap is not None:
        warnings.append("--overlap applies only to --unit span; ignored")
    if bootstrap_by != "unit" and not bootstrap:
        warnings.append("--bootstrap-by applies only with --bootstrap N; ignored")
    return warnings


def agreement_report(project: Project, coders: list[str] | None = None, *, unit: str = "segment",
                     codes: list[str] | str | None = None, all_speakers: bool = False,
                     include_unfinished: bool = False, coded_only: bool = False,
                     within: bool = False, manual_only: bool = False,
                     distance: str | None = None, bootstrap: int = 0, bootstrap_by: str = "unit",
                     seed: int = 0, overlap: float | None = None) -> AgreementReport:
    """Overall and per-code agreement of ``coders`` at the given unit.

    ``within`` (needs ``codes``): only the units where at least one coder applied a code of the
    selected branch (the branch's agreement where it is in play). ``manual_only``: accepted
    suggestions left out. ``bootstrap``: 0 or at least MIN_BOOTSTRAP replicates, resampling units
    (``bootstrap_by="unit"``) or whole transcripts (``"transcript"``). Options that do not apply
    to the unit are refused (span: bootstrap, distance, coded_only, within) or ignored with a
    warning (``overlap`` away from span)."""
    cb = project.codebook
    warnings = _check_options(unit, codes=codes, within=within, coded_only=coded_only,
                              distance=distance, bootstrap=bootstrap, bootstrap_by=bootstrap_by,
                              overlap=overlap)
    if not coders:   # the team, else every coder with work (workbench.coders decides)
        choice = coders_for(project, "compare", include_unfinished=include_unfinished)
        coders = choice.coders
        warnings.extend(choice.warnings)
    if unit == "span":
        from .spans import span_agreement
        overall, per_code, compared, suggested = span_agreement(
            project, coders, codes=codes, overlap=0.9 if overlap is None else overlap,
            all_speakers=all_speakers, include_unfinished=include_unfinished,
            manual_only=manual_only)
        overall.update(_suggestion_facts(compared, suggested, manual_only))
        warnings.extend(_suggestion_warnings(overall))
        per_code.insert(1, "name", [cb.codes[c].name for c in per_code["code"]])
        return AgreementReport(overall, per_code.reindex(
            columns=[c for c in PER_CODE_COLUMNS if c in per_code.columns]), None, warnings)
    table = unit_table(project, coders, unit=unit, codes=codes, all_speakers=all_speakers,
                       include_unfinished=include_unfinished, coded_only=coded_only or within,
                       manual_only=manual_only)
    for c, missing in table.unfinished.items():
        warnings.append(f"{c} has not marked {len(missing)} transcript(s) done "
                        f"({', '.join(missing[:8])}{'…' if len(missing) > 8 else ''}): their "
                        "units are missing for that coder (--include-unfinished to count them)")
    if table.skipped_codings:
        warnings.append(f"{table.skipped_codings} coding(s) left out (orphan, unknown code or out "
                        "of range; see 'workbench status')")
    clusters = list(table.units["transcript"]) if bootstrap and bootstrap_by == "transcript" \
        else None
    overall = overall_agreement(table.values, distance=distance or "masi", bootstrap=bootstrap,
                                seed=seed, coders=table.coders, clusters=clusters)
    overall["unit"] = unit
    overall["coded_only"] = coded_only
    overall["within"] = within
    if bootstrap:
        overall["bootstrap_by"] = bootstrap_by
    overall.update(_suggestion_facts(table.compared, table.suggested, manual_only))
    rolled = _with_ancestors(table.values, cb)
    per_code = per_code_agreement(rolled, coders=table.coders, codes=table.codes,
                                  bootstrap=bootstrap, seed=seed, clusters=clusters)
    per_code.insert(1, "name", [cb.codes[c].name for c in per_code["code"]])
    warnings.extend(_bootstrap_warnings(overall, table, bootstrap, bootstrap_by))
    warnings.extend(_suggestion_warnings(overall))
    if unit == "segment":
        warnings.extend(_role_warnings(rolled, table))
    return AgreementReport(overall, per_code, table, warnings)


def _suggestion_facts(compared: dict, suggested: dict, manual_only: bool) -> dict:
    """How many of the compared codings were accepted suggestions (``source: suggestion``)."""
    return {"codings": {"compared": int(sum(compared.values())),
                        "suggestions": int(sum(suggested.values())),
                        "by_coder": {c: {"compared": int(compared[c]),
                                         "suggestions": int(suggested.get(c, 0))}
                                     for c in compared}},
            "manual_only": manual_only}


def _suggestion_warnings(overall: dict) -> list[str]:
    co = overall["codings"]
    if not co["suggestions"]:
        return []
    each = ", ".join(f"{c} {v['suggestions']} of {v['compared']}"
                     for c, v in co["by_coder"].items())
    if overall["manual_only"]:
        return [f"{co['suggestions']} of the {co['compared']} compared codings were accepted "
                f"suggestions ({each}) and are left out (--manual-only)"]
    return [f"{co['suggestions']} of the {co['compared']} compared codings are accepted "
            f"suggestions ({each}); --manual-only shows the agreement without them"]


def _bootstrap_warnings(overall: dict, table: UnitTable, bootstrap: int,
                        bootstrap_by: str) -> list[str]:
    if not bootstrap:
        return []
    out = []
    n = overall["n_units"]
    if bootstrap_by == "transcript":
        pairable = table.values.notna().sum(axis=1) >= 2
        k = int(table.units.loc[pairable.to_numpy(), "transcript"].nunique())
        if k < FEW_TRANSCRIPTS:
            out.append(f"the bootstrap resamples only {k} transcript(s): an interval from so few "
                       "is unreliable (usually too narrow)")
    elif n < FEW_UNITS:
        out.append(f"the bootstrap resamples only {n} unit(s): an interval from so few is "
                   "unreliable (usually too narrow)")
    und = overall.get("bootstrap_undefined")
    if und:
        out.append(f"alpha was undefined in {und} of {bootstrap} bootstrap replicates (no "
                   "variation in the resample); the interval uses the other "
                   f"{bootstrap - und}")
    ci, alpha = overall.get("alpha_ci"), overall.get("krippendorff_alpha")
    if ci and alpha is not None and not ci[0] <= alpha <= ci[1]:
        out.append(f"the interval [{ci[0]:.3f}, {ci[1]:.3f}] does not contain alpha = "
                   f"{alpha:.3f}: the resampled alphas are skewed; read it with care")
    return out


def _role_warnings(rolled: pd.DataFrame, table: UnitTable) -> list[str]:
    """Codes applied only on one speaker role while the units include the other role: every
    unit of the other role adds an agreeing absence."""
    roles = table.units["role"].to_numpy()
    if len(set(roles)) < 2:
        return []
    seen: dict[str, set] = {}
    for col in rolled.columns:       # each distinct (role, code set) once
        pairs = pd.DataFrame({"role": roles, "cell": rolled[col].to_numpy()}).dropna()
        for role, cell in pairs.drop_duplicates().itertuples(index=False, name=None):
            for code in cell:
                seen.setdefault(code, set()).add(role)
    one_role: dict[str, list[str]] = {}
    for code in table.codes:
        r = seen.get(code)
        if r and len(r) == 1:
            one_role.setdefault(next(iter(r)), []).append(code)
    out = []
    for role, found in one_role.items():
        other = "interviewer" if role == "interviewee" else "interviewee"
        shown = ", ".join(found[:6]) + (f" and {len(found) - 6} more" if len(found) > 6 else "")
        out.append(f"{len(found)} code(s) were applied only on {role} turns ({shown}), but the "
                   f"units include {other} turns, where every unit adds an agreeing absence and "
                   "raises their agreement; leave out --all-speakers, or measure a branch where "
                   "it is in play with --codes BRANCH. --within (docs/AGREEMENT.md)")
    return out


def disagreements(project: Project, coders: list[str], *, code: str | None = None,
                  unit: str = "segment", all_speakers: bool = False,
                  include_unfinished: bool = False) -> pd.DataFrame:
    """Every unit where the coders' code sets differ (restricted to ``code`` and its subtree when
    given), with the quote. Columns: unit, transcript, segment (0-based), turn (counted from 1,
    as people read it), speaker, start, end, one column per coder (sorted code ids joined by
    ', '), only_<coder> lists, quote."""
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
        seg = None if pd.isna(u["segment"]) else int(u["segment"])
        r = {"unit": uid, "transcript": tid, "segment": seg,
             "turn": None if seg is None else seg + 1,
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
    cols = ["unit", "transcript", "segment", "turn", "speaker", "start", "end", *table.coders,
            *[f"only_{c}" for c in table.coders], "differ", "quote"]
    return pd.DataFrame(rows, columns=cols)
