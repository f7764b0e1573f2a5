"""The report as data: per theme its definition, count of interviewees, chart, quotes and memos,
and the facts of the methods paragraph. :func:`build_report` computes it from the project
(counts, quotes, memos, agreement); the renderers only lay it out.

Pseudonyms (workbench.pseudonyms) are applied here, once, to every text the report shows —
quotes, speakers, attributes, memos, definitions, names — so that no renderer can forget one.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace

import pandas as pd

from .. import __version__, tables
from .. import counts as C
from ..coders import coders_for
from ..config import CONSENSUS
from ..errors import UsageError
from ..memos import memos_frame
from ..project import Project
from ..pseudonyms import FILE_NAME, Pseudonymiser, for_project
from ..rollup import select_codes
from .methods import agreement_facts, methods_paragraphs

HIDDEN_ATTRIBUTES = ("interviewer", "speakers", "id")


@dataclass
class QuoteItem:
    transcript: str
    turn: int | None            # speaker turn from 1, as the app numbers them
    speaker: str | None
    timestamp: str | None
    attributes: dict[str, str]
    text: str
    memo: str | None            # the counted coding's memo
    status: str = "ok"


@dataclass
class MemoItem:
    coder: str
    kind: str                   # code | coding
    text: str
    at: str | None
    transcript: str | None = None
    turn: int | None = None
    quote: str | None = None


@dataclass
class Theme:
    code: str
    name: str
    definition: str
    depth: int                  # below the section's top code
    interviews: int
    percent: float | None
    n_transcripts: int
    segments: int
    codings: int
    quotes: list[QuoteItem] = field(default_factory=list)
    n_quotes: int = 0           # before --max-quotes
    memos: list[MemoItem] = field(default_factory=list)
    agreement: dict | None = None   # per-code agreement at the speaker-turn unit


@dataclass
class Section:
    """A top-level selected code with the codes below it; ``chart`` is the Counts drawn as its
    figure (None when the code has no selected children)."""

    code: str
    name: str
    themes: list[Theme]
    chart: C.Counts | None = None
    chart_title: str = ""
    figure: int | None = None   # figure number in the report


@dataclass
class Report:
    title: str
    project: str
    coder: str                  # whose codings are counted
    consensus: bool
    date: str
    scope_line: str             # as `workbench counts` prints it
    n_line: str                 # "N = 10 interviewees"
    n_transcripts: int
    methods: list[str]
    sections: list[Section]
    notes: list[str]            # scope warnings and what the report leaves out
    pseudonyms: str             # what was done about names (one sentence)
    pseudonymised: bool
    version: str = __version__
    warnings: list[str] = field(default_factory=list)   # for the CLI's stderr

    def themes(self) -> list[Theme]:
        return [t for s in self.sections for t in s.themes]


def unit_word(data: C.CodedData, n: int) -> str:
    if data.speaker == "interviewee":
        return "interviewee" if n == 1 else "interviewees"
    return "interview" if n == 1 else "interviews"


def _sections(cb, selected: list[str]) -> list[tuple[str, list[str]]]:
    sel = set(selected)
    tops = [c for c in selected if not any(a in sel for a in cb.ancestors(c))]
    out = []
    for t in tops:
        below = set(cb.descendants(t))
        out.append((t, [c for c in selected if c == t or c in below]))
    return out


def default_attributes(project: Project) -> list[str]:
    """The attributes a quote's source line shows by default: those that group the interviews
    (region, cluster) — not one the same for every transcript (nothing to tell apart), nor
    one with a different value for each (ids, dates, file names)."""
    catalog = project.catalog()
    names = list(dict.fromkeys(k for info in catalog.values() for k in info.attributes))
    out = []
    for a in names:
        if a in HIDDEN_ATTRIBUTES:
            continue
        values = [info.attributes.get(a, "") for info in catalog.values()]
        distinct = {v for v in values if v != ""}
        if 1 < len(distinct) < len(values):
            out.append(a)
    return out


def check_attributes(project: Project, attributes: list[str]) -> list[str]:
    known = sorted({k for info in project.catalog().values() for k in info.attributes})
    for a in attributes:
        if a not in known:
            from ..errors import UsageError
            raise UsageError(f"no transcript has the attribute '{a}'",
                             hint=f"attributes: {', '.join(known) or 'none'}")
    return attributes


def _none(v):
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def build_report(project: Project, coder: str | None = None, *, consensus: bool = False,
                 codes: str | list[str] | None = None, speaker: str = "interviewee",
                 include_unfinished: bool = False, max_quotes: int | None = None,
                 pseudonymise: bool = True, today: _dt.date | None = None,
                 agreement: bool = True, attributes: list[str] | str | None = None) -> Report:
    """Everything the report shows, computed from the project (see the module docstring).
    ``attributes``: the interview attributes each quote's source line names (default:
    :func:`default_attributes`)."""
    data = C.load(project, coder, consensus=consensus, speaker=speaker,
                  include_unfinished=include_unfinished)
    cb = project.codebook
    selected = select_codes(cb, codes)
    table = C.counts(data, codes=selected).set_index("code")
    quotes = tables.quotes(data, selected)
    colmap = quotes.attrs.get("attribute_columns", {})   # an attribute named like a column
    if isinstance(attributes, str):
        attributes = [a.strip() for a in attributes.split(",") if a.strip()]
    attr_cols = (check_attributes(project, attributes) if attributes is not None
                 else default_attributes(project))
    memos = memos_frame(project)
    memos = memos[memos["kind"].isin(["code", "coding"]) & memos["code"].isin(selected)]
    try:   # the team, else every coder with work: as `agree` chooses (workbench.coders)
        coders = coders_for(project, "compare", include_unfinished=include_unfinished).coders
    except UsageError:   # fewer than two with work: the methods paragraph says so
        coders = [c for c in project.coders() if c != CONSENSUS]
    facts = agreement_facts(project, coders, data) if agreement else None
    per_code = facts.per_code if facts is not None else {}
    notes = list(data.warnings)

    shown_quotes: set[tuple] = set()
    by_code: dict[str, list[QuoteItem]] = {}
    n_by_code: dict[str, int] = {}
    for code, grp in quotes.groupby("code", sort=False):
        items = []
        for r in grp.to_dict(orient="records"):
            turn = _none(r["turn"])
            speaker = _none(r["speaker"])
            attrs = {}
            for a in attr_cols:
                v = _none(r.get(colmap.get(a, a)))
                if v is not None and str(v) and str(v) not in (r["transcript"], speaker):
                    attrs[a] = str(v)
            items.append(QuoteItem(
                transcript=r["transcript"], turn=None if turn is None else int(turn),
                speaker=speaker, timestamp=_none(r["timestamp"]), attributes=attrs,
                text=r["text"], memo=_none(r["memo"]), status=r["status"]))
            if _none(r["memo"]):
                shown_quotes.add((data.coder, r["transcript"], int(r["start"]), int(r["end"]),
                                  r["memo"]))
        n_by_code[code] = len(items)
        by_code[code] = items[:max_quotes] if max_quotes is not None else items

    sections = []
    figure = 0
    for top, members in _sections(cb, selected):
        themes = []
        for cid in members:
            row = table.loc[cid]
            code_memos = []
            for m in memos[memos["code"] == cid].itertuples(index=False):
                key = (m.coder, m.transcript, _none(m.start), _none(m.end), m.text)
                if m.kind == "coding" and key in shown_quotes:
                    continue   # shown beside its quote
                code_memos.append(MemoItem(coder=m.coder, kind=m.kind, text=m.text,
                                           at=_none(m.at), transcript=_none(m.transcript),
                                           turn=None if _none(m.turn) is None else int(m.turn),
                                           quote=_none(m.quote)))
            code = cb.codes[cid]
            themes.append(Theme(
                code=cid, name=code.name, definition=code.definition or "",
                depth=cb.depth(cid) - cb.depth(top), interviews=int(row["interviews"]),
                percent=None if pd.isna(row["percent"]) else float(row["percent"]),
                n_transcripts=int(row["n_transcripts"]), segments=int(row["segments"]),
                codings=int(row["codings"]), quotes=by_code.get(cid, []),
                n_quotes=n_by_code.get(cid, 0), memos=code_memos, agreement=per_code.get(cid)))
        chart = None
        if len(members) > 1 and data.n_transcripts:
            figure += 1
            chart = C.opinion_counts(project, data=data, codes=members)
        sections.append(Section(code=top, name=cb.codes[top].name, themes=themes, chart=chart,
                                chart_title=cb.codes[top].name, figure=figure if chart else None))

    ps = for_project(project) if pseudonymise else Pseudonymiser({})
    if pseudonymise and ps:
        names = "name" if len(ps.names) == 1 else "names"
        pseudo_note = (f"Names of people and organisations were replaced with pseudonyms "
                       f"({len(ps.names)} {names} listed in {FILE_NAME}).")
    elif pseudonymise:
        pseudo_note = (f"Names are NOT pseudonymised: the project has no {FILE_NAME} (or it "
                       "lists no name).")
        notes.append(f"no names were replaced: the project has no {FILE_NAME}; see "
                     "docs/REPORT.md")
    else:
        pseudo_note = "Names are NOT pseudonymised (--no-pseudonymise)."
    if max_quotes is not None and any(n > max_quotes for n in n_by_code.values()):
        notes.append(f"at most {max_quotes} quote(s) per code are shown (--max-quotes); each "
                     "code says how many it has")
    n = data.n_transcripts
    today = today or _dt.date.today()
    if facts is not None:
        notes.extend(w for w in facts.warnings if w not in notes)
    report = Report(
        title=f"{project.name}: themes and quotes",
        project=project.name, coder=data.coder, consensus=data.coder == CONSENSUS,
        date=today.isoformat(), scope_line=C.scope_line(data),
        n_line=f"N = {n} {unit_word(data, n)}", n_transcripts=n,
        methods=methods_paragraphs(project, data, coders, facts, selected),
        sections=sections, notes=notes, pseudonyms=pseudo_note,
        pseudonymised=bool(pseudonymise and ps), warnings=list(notes))
    return pseudonymised(report, ps) if ps else report


def pseudonymised(report: Report, ps: Pseudonymiser) -> Report:
    """``report`` with every text passed through ``ps`` (the chart's labels too)."""
    sections = []
    for s in report.sections:
        chart = s.chart
        if chart is not None:
            chart = replace(chart, frame=ps.frame(chart.frame),
                            coders=[ps.text(c) for c in chart.coders])
        sections.append(replace(ps.value(replace(s, chart=None)), chart=chart))
    pseudo_note = report.pseudonyms
    out = ps.value(replace(report, sections=[]))
    return replace(out, sections=sections, pseudonyms=pseudo_note)
