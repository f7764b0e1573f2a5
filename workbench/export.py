"""Exports: the tables behind the write-up, as one XLSX workbook, a folder of CSV files, or one
JSON file. See docs/COUNTS.md for the tables and their columns.

:func:`tables` builds the tidy DataFrames (pure pandas); :func:`export` writes them. Exports never
replace an existing file unless ``force=True``, and a failed export leaves nothing behind (a CSV
folder is filled under a temporary name and renamed at the end). Text from the transcripts is
untrusted (:mod:`workbench.spreadsheet`): a cell that a spreadsheet could read as a formula is
written as text (XLSX: a string cell with Excel's quote-prefix flag, the text unchanged; CSV: a
leading ``'``), a CSV cell with a line break or other control character is quoted, and table
names, which can come from attribute names, become file and sheet names only as safe names.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .coders import coders_for
from .counts import COUNT_COLUMNS, CodedData, counts, load
from .errors import UsageError
from .fileio import atomic_file, atomic_folder, atomic_write_with, inside
from .project import CONSENSUS, Project
from .spreadsheet import (
    CONTROL,
    NEEDS_QUOTES,
    csv_line,
    csv_safe,
    risky,
    safe_table_name,
)
from .tables import (
    attribute_columns,
    codebook_frame,
    cooccurrence,
    presence,
    quotes,
    with_attributes,
)
from .xlsx import Sheet, write_workbook
from .xlsx import cell_value as _plain

FORMATS = ("xlsx", "csv", "json")
#: Front-matter keys that describe the speakers or the file, not the interview: not grouped by.
NOT_GROUPING = ("interviewer", "speakers", "id")
_REASONS = {"orphan": "orphan (transcript gone)", "unknown_code": "unknown code",
            "out_of_range": "out of range", "not_interviewee": "only in interviewer turns",
            "not_interviewer": "only in interviewee turns"}


# ---- naming and safe writing -------------------------------------------------------------------
def slug(text: str) -> str:
    """``"Cluster managers 2019 (demo)"`` → ``"cluster-managers-2019-demo"``."""
    s = re.sub(r"[^\w]+", "-", text.casefold(), flags=re.UNICODE).strip("-_")
    return s or "project"


def default_stem(project: Project, coder: str, today: _dt.date | None = None) -> str:
    today = today or _dt.date.today()
    return f"{slug(project.name)}-{coder}-{today.isoformat()}"


def claim_target(path: Path, force: bool) -> None:
    """Refuse to replace an existing file (or folder) unless ``force``."""
    if path.exists() and not force:
        raise UsageError("already exists; exports never overwrite silently", file=path,
                         hint="add --force to replace it, or give another name with --out")
    if path.is_dir() and path.suffix:
        raise UsageError("is a folder, not a file", file=path, hint="choose another --out name")


def _csv_record(row) -> str:
    """A table row as a CSV record: missing values empty, risky texts neutralised, quoted where
    needed (:func:`csv_safe`, :func:`csv_line`)."""
    out = []
    for x in row:
        v = _plain(x)
        if v is None:
            out.append("")
        elif type(v) is str:
            if v and risky(v):
                v = "'" + v
            if NEEDS_QUOTES.search(v):
                v = '"' + v.replace('"', '""') + '"'
            out.append(v)
        else:
            out.append(str(v))       # numbers and booleans: nothing to quote
    return ",".join(out) + "\n"


# ---- the tables --------------------------------------------------------------------------------
@dataclass
class Table:
    name: str            # sheet / file name
    description: str     # one line for the README
    frame: pd.DataFrame
    freeze_cols: int = 0  # leading columns kept in view in XLSX


@dataclass
class Export:
    """What :func:`export` wrote."""

    paths: list[Path]
    tables: list[Table]
    meta: dict
    warnings: list[str] = field(default_factory=list)


def grouping_attributes(data: CodedData) -> tuple[list[str], list[str]]:
    """(attributes to count by, attributes skipped because every transcript of the project has
    its own value — identifiers and dates make no groups). Front-matter keys that name the
    speakers (``interviewer``) are not interview attributes and are neither."""
    catalog = data.project.catalog()
    names = sorted({k for info in catalog.values() for k in info.attributes} - set(NOT_GROUPING))
    use, skip = [], []
    for a in names:
        values = [info.attributes.get(a, "") for info in catalog.values()]
        distinct = {v for v in values if v != ""}
        if len(catalog) > 1 and len(distinct) == len(values):
            skip.append(a)
        else:
            use.append(a)
    return use, skip


def agreement_tables(project: Project, data: CodedData, coders: list[str] | None = None
                     ) -> tuple[list[Table], str, list[str]]:
    """Agreement tables of ``coders`` (default: as ``workbench agree`` chooses them — the
    project's team, else every coder who marked a transcript done; :func:`workbench.coders.
    coders_for`): the agreement on whole code sets per unit, then per code with the interview
    and the speaker turn as unit (``workbench.agreement.agreement_report``, same speaker and
    scope options as the counts). Returns (tables, a note for the README, warnings)."""
    named = bool(coders)
    others = [c for c in project.coders() if c != CONSENSUS]
    if not named and len(others) < 2:
        return [], (f"no agreement tables: only one coder ({', '.join(others)})" if others
                    else "no agreement tables: no coders besides consensus"), []
    try:
        choice = coders_for(project, "compare", coders=coders,
                            include_unfinished=data.include_unfinished)
    except UsageError as e:
        if coders:
            raise
        return [], f"no agreement tables: {e.message}", []
    coders = choice.coders
    from .agreement.report import agreement_report
    names = ", ".join(coders)
    out: list[Table] = []
    overall_rows: list[dict] = []
    warnings: list[str] = []
    warnings.extend(choice.warnings)
    for unit, label in (("transcript", "interviews"), ("segment", "segments")):
        rep = agreement_report(project, coders, unit=unit, all_speakers=data.speaker != "interviewee",
                               include_unfinished=data.include_unfinished)
        warnings.extend(w for w in rep.warnings if w not in warnings)
        overall_rows.append({"unit": label, **{k: (", ".join(map(str, v))
                                                   if isinstance(v, (list, tuple)) else v)
                                               for k, v in rep.overall.items()
                                               if not isinstance(v, dict) and k != "unit"}})
        out.append(Table(f"agreement_{label}",
                         f"agreement of {names} per code, unit = {unit} (a parent is present "
                         "where any of its codes is)", rep.per_code, 2))
    out.insert(0, Table("agreement_overall", f"agreement of {names} on each unit's whole code "
                                             "set (Krippendorff's alpha with MASI distance, …)",
                        pd.DataFrame(overall_rows), 1))
    how = ("the team in workbench.toml" if choice.team else "named with --coders" if named
           else "every coder who marked a transcript done")
    left = "; ".join(f"{c} left out: {why}" for c, why in choice.left_out.items())
    return out, (f"agreement tables of {names} ({how}; units: interviews and speaker turns; a "
                 "coder's unfinished transcripts are missing for that coder"
                 + (f"; {left}" if left else "") + ")"), warnings


def tables(project: Project, coder: str | None = None, *, consensus: bool = False,
           speaker: str = "interviewee", include_unfinished: bool = False,
           data: CodedData | None = None, today: _dt.date | None = None,
           agreement: bool = True, coders: list[str] | None = None) -> tuple[dict, list[Table]]:
    """The export as (meta, tables): every table a tidy DataFrame; ``meta`` the README items.
    ``coders``: whose agreement the agreement tables show (default: see
    :func:`agreement_tables`). Table names are safe file names (:func:`safe_table_name`)."""
    if data is None:
        data = load(project, coder, consensus=consensus, speaker=speaker,
                    include_unfinished=include_unfinished)
    today = today or _dt.date.today()
    cb = project.codebook
    # the agreement sheets and the memos first: they read the other coders' logs, where the
    # memory an export needs peaks; the quotes (the largest table) are built after them
    agreement_note = "agreement tables not requested"
    ag: list[Table] = []
    ag_warnings: list[str] = []
    if agreement:
        ag, agreement_note, ag_warnings = agreement_tables(project, data, coders)
    memos = memos_table(project)
    out: list[Table] = []
    overall = counts(data).drop(columns=["group"])
    out.append(Table("counts", "interviewees per code (a parent counts an interview once, "
                               "whatever its children); percent of n_transcripts", overall, 2))
    use, skipped = grouping_attributes(data)
    for a in use:
        col = attribute_columns([a], [c for c in COUNT_COLUMNS if c != "group"])[a]
        df = counts(data, by=a).rename(columns={"group": col})
        out.append(Table(f"counts_by_{a}", f"interviewees per code and {a}; percent of the "
                                          f"{a}'s transcripts in scope", df, 3))
    out.append(Table("matrix_presence", "one row per interview: its attributes, then 1 when the "
                                        "code (or a descendant) occurs in it, else 0",
                     with_attributes(data, presence(data, value="presence")), 1))
    out.append(Table("matrix_segments", "one row per interview: its attributes, then the number "
                                        "of counted segments with the code (or a descendant)",
                     with_attributes(data, presence(data, value="segments")), 1))
    for unit in ("interviews", "segments"):
        co = cooccurrence(data, unit=unit)
        co.insert(0, "name", [cb.codes[c].name for c in co.index])
        out.append(Table(f"cooccurrence_{unit}",
                         f"code × code: {unit} in which both codes occur (diagonal: the code's "
                         "own count)", co.reset_index(), 2))
    out.append(Table("quotes", "the counted coded passages with their text, for writing up",
                     quotes(data), 3))
    out.append(Table("codebook", f"the codebook '{cb.name}'", codebook_frame(cb), 2))
    out.append(memos)
    out.extend(ag)
    out = _unique_names(out)
    if skipped:
        by_note = (f"not counted by {', '.join(skipped)}: every transcript has its own value")
    else:
        by_note = ""
    n_all = len(project.catalog())
    meta = {
        "project": project.name,
        "project folder": str(project.root),
        "coders": [data.coder],
        "coder": f"{data.who or data.coder} (codings/{data.coder}.jsonl)",
        "date": today.isoformat(),
        "exported at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "workbench": __version__,
        "codebook": f"{cb.name} ({cb.path.name if cb.path else ''}, {len(cb)} codes)",
        "scope": (f"all {n_all} transcripts (--include-unfinished)" if data.include_unfinished
                  else f"{data.n_transcripts} of {n_all} transcripts: those "
                       f"{data.who or data.coder} marked done"),
        "n_transcripts": data.n_transcripts,
        "left out (not done)": ", ".join(data.unfinished) or "none",
        "speaker": {"interviewee": "codings overlapping an interviewee turn (interviewer "
                                   "questions are not opinions)",
                    "interviewer": "codings overlapping an interviewer turn",
                    "all": "every coding, whoever speaks"}[data.speaker],
        "codings counted": data.n_codings,
        "codings left out": ", ".join(f"{v} {_REASONS.get(k, k)}"
                                      for k, v in sorted(data.excluded.items())) or "none",
        "roll-up": "a code's counts include its descendants; an interview counts once per code",
        "agreement": agreement_note,
    }
    if agreement and ag_warnings:
        meta["agreement warnings"] = ag_warnings
    if by_note:
        meta["counts by attribute"] = by_note
    return meta, out


def memos_table(project: Project) -> Table:
    """Every current memo of every coder (workbench.memos; docs/FORMATS.md)."""
    from .memos import memos_frame
    df = memos_frame(project).drop(columns=["current", "target"])
    return Table("memos", "every memo of every coder: on a code, a transcript, a segment or a "
                          "coding, with the passage it is on (turn counted from 1)", df, 3)


def _unique_names(tabs: list[Table]) -> list[Table]:
    """The tables with safe, distinct names (case-insensitively: file systems and Excel)."""
    taken: set[str] = set()
    out = []
    for t in tabs:
        base = safe_table_name(t.name)
        name, i = base, 2
        while name.casefold() in taken or name.casefold() == "readme":
            name, i = f"{base}_{i}", i + 1
        taken.add(name.casefold())
        out.append(t if name == t.name else Table(name, t.description, t.frame, t.freeze_cols))
    return out


def meta_line(meta: dict, table: str | None = None) -> str:
    who = str(meta.get("coder") or ", ".join(meta["coders"])).split(" (codings/")[0]
    s = (f"# workbench export; project: {meta['project']}; coder: {who}; "
         f"date: {meta['date']}; scope: {meta['scope']}")
    return CONTROL.sub(" ", s + (f"; table: {table}" if table else ""))


def readme_frame(meta: dict, tabs: list[Table]) -> pd.DataFrame:
    rows = [{"item": k, "value": ("; " if k.endswith("warnings") else ", ").join(v)
             if isinstance(v, list) else v} for k, v in meta.items()]
    rows.append({"item": "", "value": ""})
    rows.append({"item": "table", "value": "contents"})
    rows.extend({"item": t.name, "value": f"{t.description} ({len(t.frame)} rows)"} for t in tabs)
    return pd.DataFrame(rows, columns=["item", "value"])


# ---- writers -----------------------------------------------------------------------------------
def write_xlsx(path: Path, meta: dict, tabs: list[Table]) -> None:
    """One sheet per table after a README sheet, streamed (:mod:`workbench.xlsx`): bold frozen
    header, autofilter, column widths (the quotes' text column wide). No cell is ever a formula:
    every text is a string cell, and a risky one carries the quote prefix."""
    write_workbook(path, [Sheet("README", readme_frame(meta, tabs), 1),
                          *(Sheet(t.name, t.frame, t.freeze_cols,
                                  {"text": 90.0} if t.name == "quotes" else {}) for t in tabs)])


def write_csv(folder: Path, meta: dict, tabs: list[Table], *, bom: bool = False,
              force: bool = False) -> list[Path]:
    """One CSV per table (and README.csv) in ``folder``; the first line of each is a ``#``
    comment naming the project, coder, date and scope. ``bom`` adds a UTF-8 BOM for Excel.
    The folder is filled under a temporary name and renamed when every file is written: a
    failure leaves nothing (and an existing folder is replaced only with ``force``)."""
    encoding = "utf-8-sig" if bom else "utf-8"
    names = []
    with atomic_folder(folder, replace=force) as work:
        for t in [Table("README", "", readme_frame(meta, tabs)), *_unique_names(tabs)]:
            path = inside(work, f"{safe_table_name(t.name)}.csv", what="table name")

            def write(tmp: Path, t=t):
                with open(tmp, "w", encoding=encoding, newline="") as f:
                    f.write(csv_line([meta_line(meta, t.name)]))
                    f.write(csv_line([csv_safe(str(c)) for c in t.frame.columns]))
                    f.writelines(_csv_record(row) for row in
                                 zip(*(t.frame[c].tolist() for c in t.frame.columns)))
            atomic_write_with(path, write)
            names.append(path.name)
    return [folder / n for n in names]


def write_json(path: Path, meta: dict, tabs: list[Table]) -> None:
    """``{"meta": …, "tables": {name: [records]}, "descriptions": …}``, streamed record by
    record through :func:`workbench.fileio.atomic_file` (never the whole document in memory):
    the same bytes as ``json.dumps(doc, ensure_ascii=False, indent=1, default=str)``."""
    with atomic_file(path, "w", encoding="utf-8", newline="") as f:
        f.write('{\n "meta": ' + _json(meta, 1) + ',\n "tables": {')
        for i, t in enumerate(tabs):
            df = t.frame
            keys = [str(k) for k in df.columns]
            f.write(("," if i else "") + "\n  " + _json(t.name, 2) + ": [")
            first = True
            for row in zip(*(df.iloc[:, j].tolist() for j in range(df.shape[1]))):
                f.write(("," if not first else "") + "\n   "
                        + _json_record({k: _plain(v) for k, v in zip(keys, row)}))
                first = False
            f.write("]" if first else "\n  ]")
        f.write(("\n }" if tabs else "}") + ',\n "descriptions": '
                + _json({t.name: t.description for t in tabs}, 1) + "\n}\n")


def _json(obj, level: int) -> str:
    """``obj`` as ``json.dumps(…, indent=1)`` writes it at nesting ``level``."""
    return json.dumps(obj, ensure_ascii=False, indent=1, default=str).replace(
        "\n", "\n" + " " * level)


_JSON_STR = json.encoder.encode_basestring


def _json_record(rec: dict) -> str:
    """One record at nesting level 3, as :func:`_json` writes it, quicker: plain values are
    encoded one by one (strings by the json module's C encoder)."""
    if not rec:
        return "{}"
    parts = []
    for k, v in rec.items():
        t = type(v)
        if t is str:
            enc = _JSON_STR(v)
        elif v is None:
            enc = "null"
        elif t is bool:
            enc = "true" if v else "false"
        elif t is int or (t is float and v - v == 0):      # finite floats: repr, as json does
            enc = repr(v)
        else:
            enc = _json(v, 4)
        parts.append(_JSON_STR(k) + ": " + enc)
    return "{\n    " + ",\n    ".join(parts) + "\n   }"


def target_path(project: Project, stem: str, fmt: str, out: str | os.PathLike | None) -> Path:
    """Where an export goes: ``out`` as a file when it ends in ``.xlsx``/``.json`` (matching the
    format), else ``out`` (default ``PROJECT/exports``) as the folder holding ``<stem>.xlsx``,
    ``<stem>.json`` or the CSV folder ``<stem>/``."""
    if out is not None:
        out = Path(out).expanduser()
        if out.suffix.lower() in (".xlsx", ".json", ".csv"):
            if out.suffix.lower() != f".{fmt}" or fmt == "csv":
                raise UsageError(f"--out {out.name} does not fit --format {fmt}",
                                 hint="give a folder, or a file name ending in .xlsx / .json "
                                      "matching --format (CSV exports are folders)")
            return out
        folder = out
    else:
        folder = project.exports_dir
    return folder / (stem if fmt == "csv" else f"{stem}.{fmt}")


def export(project: Project, coder: str | None = None, *, consensus: bool = False,
           fmt: str = "xlsx", out: str | os.PathLike | None = None, force: bool = False,
           bom: bool = False, speaker: str = "interviewee", include_unfinished: bool = False,
           today: _dt.date | None = None, pseudonymise: bool = False,
           coders: list[str] | None = None) -> Export:
    """Write every table to ``out`` (see :func:`target_path`) and return what was written.
    ``pseudonymise`` replaces the names of the project's ``pseudonyms.yaml`` in every table
    and README item (workbench.pseudonyms). ``coders``: whose agreement the agreement tables
    compare (default: the team, see :func:`agreement_tables`)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    data = load(project, coder, consensus=consensus, speaker=speaker,
                include_unfinished=include_unfinished)
    today = today or _dt.date.today()
    path = target_path(project, default_stem(project, data.coder, today), fmt, out)
    claim_target(path, force)
    meta, tabs = tables(project, data=data, today=today, coders=coders)
    if pseudonymise:
        from .pseudonyms import for_project
        ps = for_project(project, required=True)
        tabs = _unique_names([Table(ps.text(t.name), ps.text(t.description), ps.frame(t.frame),
                                    t.freeze_cols) for t in tabs])
        source = ps.source.name if ps.source is not None else "pseudonyms.yaml"
        meta = {**ps.value(meta), "pseudonyms": f"names replaced from {source} "
                                                f"({len(ps.names)} names)"}
    if fmt == "xlsx":
        atomic_write_with(path, lambda tmp: write_xlsx(tmp, meta, tabs))
        paths = [path]
    elif fmt == "json":
        atomic_write_with(path, lambda tmp: write_json(tmp, meta, tabs))
        paths = [path]
    else:
        paths = write_csv(path, meta, tabs, bom=bom, force=True)
    return Export(paths=paths, tables=tabs, meta=meta,
                  warnings=list(data.warnings) + list(meta.get("agreement warnings", [])))
