"""The report's sentences shared by every format: a theme's count, a quote's source line, a
memo's place, a figure's caption. One wording, so the HTML, docx and Markdown reports agree."""
from __future__ import annotations

from html import escape

from .model import MemoItem, QuoteItem, Report, Section, Theme


def count_sentence(t: Theme, report: Report, *, html: bool = False) -> str:
    """``Voiced by 7 of 10 interviewees (70.0%) · 9 coded passages in 8 speaker turns``."""
    who = "interviewees" if "interviewee" in report.n_line else "interviews"
    pct = "" if t.percent is None else f" ({t.percent:.1f}%)"
    lead = f"{t.interviews} of {t.n_transcripts} {who}{pct}"
    if html:
        lead = f"<strong>{escape(lead)}</strong>"
    verb = "Voiced by" if who == "interviewees" else "Coded in"
    passages = "coded passage" if t.codings == 1 else "coded passages"
    turns = "speaker turn" if t.segments == 1 else "speaker turns"
    return f"{verb} {lead} · {t.codings} {passages} in {t.segments} {turns}"


def agreement_line(t: Theme) -> str:
    a = t.agreement
    if not a:
        return ""
    alpha = a.get("krippendorff_alpha")
    pa = a.get("percent_agreement")
    s = (f"Agreement on this code ({a.get('n_units')} {a.get('unit', 'unit')}s): "
         f"Krippendorff's alpha {'undefined' if alpha is None else f'{alpha:.2f}'}")
    if alpha is None and a.get("reason"):
        s += f" ({a['reason']})"
    if pa is not None:
        s += f", {pa * 100:.1f}% agreement"
    return s


def quote_source(q: QuoteItem) -> str:
    """``P01, turn 6 · Manager P01 · Perm · Cluster A``."""
    parts = [q.transcript + (f", turn {q.turn}" if q.turn is not None else "")
             + (f" [{q.timestamp}]" if q.timestamp else "")]
    if q.speaker:
        parts.append(q.speaker)
    parts.extend(v for v in q.attributes.values() if v)
    if q.status != "ok":
        parts.append(f"status: {q.status}")
    return " · ".join(parts)


def memo_place(m: MemoItem) -> str:
    """Who wrote the memo and what it is on: ``anna · on this code`` or
    ``boris · on a coding in P04, turn 7``."""
    if m.kind == "code":
        where = "on this code"
    else:
        where = "on a coding" + (f" in {m.transcript}" if m.transcript else "") + \
                (f", turn {m.turn}" if m.turn is not None else "")
    return f"{m.coder} · {where}" + (f" · {m.at[:10]}" if m.at else "")


def quotes_heading(t: Theme) -> str:
    if len(t.quotes) < t.n_quotes:
        return f"Quotes ({len(t.quotes)} of {t.n_quotes} shown)"
    return f"Quotes ({t.n_quotes})"


def figure_caption(s: Section, report: Report) -> str:
    who = "interviewees" if "interviewee" in report.n_line else "interviews"
    return (f"Figure {s.figure}. {s.name}: the number of {who} who voiced each theme "
            f"(N = {report.n_transcripts}; coder: {s.chart.coders[0] if s.chart else report.coder}).")


def pseudonyms_short(report: Report) -> str:
    return ("names pseudonymised (pseudonyms.yaml)" if report.pseudonymised
            else "names NOT pseudonymised")
