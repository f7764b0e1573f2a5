"""The report as Markdown: the same sections as the HTML; each chart is a PNG file written next
to the Markdown file (``<name>-figure1.png``) and linked by its relative name."""
from __future__ import annotations

from .model import Report, Section, Theme
from .text import (
    agreement_line,
    count_sentence,
    figure_caption,
    memo_place,
    pseudonyms_short,
    quote_source,
    quotes_heading,
)


def _esc(text: str) -> str:
    """Keep text from being read as Markdown markup at the start of a line."""
    return (text or "").replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_") \
        .replace("<", "&lt;").replace("`", "\\`")


def _quoted(text: str) -> str:
    return "\n".join("> " + _esc(line) if line.strip() else ">" for line in text.split("\n"))


def _theme(t: Theme, report: Report) -> list[str]:
    out = ["", "#" * min(3 + t.depth, 6) + f" {_esc(t.name)} (`{t.code}`)", ""]
    out.append(_esc(t.definition) if t.definition else "*(no definition in the codebook)*")
    out += ["", f"**{count_sentence(t, report)}**"]
    ag = agreement_line(t)
    if ag:
        out += ["", f"*{_esc(ag)}*"]
    if t.memos:
        out += ["", "**Memos**", ""]
        out += [f"- *{_esc(memo_place(m))}*: {_esc(' '.join(m.text.split()))}" for m in t.memos]
    if t.quotes:
        out += ["", f"**{quotes_heading(t)}**"]
        for q in t.quotes:
            out += ["", _quoted(f"“{q.text.strip()}”"), ">", f"> — *{_esc(quote_source(q))}*"]
            if q.memo:
                out += [">", f"> ✎ memo on this coding: {_esc(' '.join(q.memo.split()))}"]
    return out


def render(report: Report, figure_files: dict[int, str]) -> str:
    """The Markdown text; ``figure_files`` maps figure numbers to the PNG file names."""
    out = [f"# {_esc(report.title)}", "", f"*{_esc(report.scope_line)} · {report.n_line}*", "",
           f"*{report.date} · workbench {report.version} · {_esc(pseudonyms_short(report))}*", "",
           "## Methods", ""]
    for p in report.methods:
        out += [_esc(p), ""]
    out += [_esc(report.pseudonyms)]
    if report.notes:
        out += ["", "**Notes**", ""] + [f"- {_esc(n)}" for n in report.notes]
    for s in report.sections:
        out += ["", f"## {_esc(s.name)}"]
        if s.chart is not None:
            cap = figure_caption(s, report)
            out += ["", f"![{_esc(cap)}]({figure_files.get(s.figure or 0, '')})", "",
                    f"*{_esc(cap)}*", ""]
            out += _table(s, report)
        for t in s.themes:
            out += _theme(t, report)
    return "\n".join(out) + "\n"


def _table(s: Section, report: Report) -> list[str]:
    who = "interviewees" if "interviewee" in report.n_line else "interviews"
    out = [f"| theme | {who} (of {report.n_transcripts}) | percent | coded passages |",
           "| --- | ---: | ---: | ---: |"]
    for t in s.themes:
        pct = "—" if t.percent is None else f"{t.percent:.1f}%"
        name = "&nbsp;&nbsp;" * t.depth + _esc(t.name).replace("|", "\\|")
        out.append(f"| {name} | {t.interviews} | {pct} | {t.codings} |")
    return out
