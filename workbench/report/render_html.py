"""The report as one self-contained HTML file: styles inline, charts as inline SVG, no script,
no font, image or link to fetch — it opens the same offline, attached to an e-mail or archived."""
from __future__ import annotations

from html import escape

from .charts import svg
from .model import MemoItem, QuoteItem, Report, Section, Theme
from .text import (
    agreement_line,
    count_sentence,
    figure_caption,
    memo_place,
    pseudonyms_short,
    quote_source,
    quotes_heading,
)

CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --rule: #d9dde3; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink);
       font: 16px/1.55 Georgia, "DejaVu Serif", "Liberation Serif", serif; }
main { max-width: 52rem; margin: 0 auto; padding: 2.5rem 1.5rem 4rem; }
h1, h2, h3, h4, .meta, .count, figcaption, table, .memo, .source, .notes, nav {
  font-family: "Helvetica Neue", Arial, "DejaVu Sans", "Liberation Sans", sans-serif; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .4rem; }
h2 { font-size: 1.45rem; margin: 2.6rem 0 .6rem; padding-top: .8rem; border-top: 2px solid var(--ink); }
h3 { font-size: 1.15rem; margin: 2rem 0 .3rem; }
h4 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
     margin: 1.2rem 0 .4rem; }
.meta { color: var(--muted); font-size: .9rem; margin: 0; }
.code-id { color: var(--muted); font-weight: normal; font-size: .8em; }
.definition { margin: .2rem 0 .5rem; }
.count { font-size: .95rem; margin: .3rem 0; }
.count strong { color: var(--accent); }
.agreement { color: var(--muted); font-size: .85rem; margin: .1rem 0 .6rem; }
figure.chart { margin: 1.2rem 0 1.6rem; }
figure.chart svg { display: block; width: 100%; max-width: 50rem; height: auto; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .3rem; }
table.counts { border-collapse: collapse; font-size: .88rem; margin: .6rem 0 1rem; width: 100%; }
table.counts th, table.counts td { border-bottom: 1px solid var(--rule); padding: .25rem .5rem;
  text-align: left; vertical-align: top; }
table.counts td.num, table.counts th.num { text-align: right; white-space: nowrap; }
blockquote { margin: .7rem 0 1rem; padding: .2rem 0 .2rem 1rem; border-left: 3px solid var(--rule); }
blockquote p { margin: 0 0 .3rem; white-space: pre-line; }
.source { color: var(--muted); font-size: .82rem; }
.memo { font-size: .88rem; background: #fff8e1; border-left: 3px solid #f2c94c;
        padding: .35rem .6rem; margin: .35rem 0; white-space: pre-line; }
.memo .who { color: var(--muted); font-size: .8rem; display: block; }
ul.memos { list-style: none; padding: 0; margin: 0; }
.notes { color: var(--muted); font-size: .85rem; }
.depth-1 { margin-left: 1rem; } .depth-2 { margin-left: 2rem; } .depth-3 { margin-left: 3rem; }
nav ol { font-size: .9rem; padding-left: 1.2rem; }
@media print { h2 { break-before: page; } blockquote, figure { break-inside: avoid; } }
"""


def _e(text) -> str:
    return escape("" if text is None else str(text), quote=True)


def _quote(q: QuoteItem) -> str:
    memo = (f'<p class="memo"><span class="who">memo on this coding</span>{_e(q.memo)}</p>'
            if q.memo else "")
    return (f"<blockquote><p>“{_e(q.text.strip())}”</p>"
            f'<footer class="source">{_e(quote_source(q))}</footer>{memo}</blockquote>')


def _memo(m: MemoItem) -> str:
    return (f'<li class="memo"><span class="who">{_e(memo_place(m))}</span>'
            f"{_e(m.text)}</li>")


def _theme(t: Theme, report: Report, top: bool) -> str:
    level = "h3"
    out = [f'<article class="theme depth-{min(t.depth, 3)}" id="code-{_e(t.code)}">',
           f'<{level}>{_e(t.name)} <span class="code-id">{_e(t.code)}</span></{level}>']
    out.append(f'<p class="definition">{_e(t.definition)}</p>' if t.definition else
               '<p class="definition"><em>(no definition in the codebook)</em></p>')
    out.append(f'<p class="count">{count_sentence(t, report, html=True)}</p>')
    ag = agreement_line(t)
    if ag:
        out.append(f'<p class="agreement">{_e(ag)}</p>')
    if t.memos:
        out.append("<h4>Memos</h4>")
        out.append('<ul class="memos">' + "".join(_memo(m) for m in t.memos) + "</ul>")
    if t.quotes:
        out.append(f"<h4>{_e(quotes_heading(t))}</h4>")
        out.extend(_quote(q) for q in t.quotes)
    out.append("</article>")
    return "\n".join(out)


def _counts_table(s: Section, report: Report) -> str:
    rows = []
    for t in s.themes:
        pct = "—" if t.percent is None else f"{t.percent:.1f}%"
        pad = "&nbsp;" * 3 * t.depth
        rows.append(f"<tr><td>{pad}{_e(t.name)}</td><td class=\"num\">{t.interviews}</td>"
                    f"<td class=\"num\">{pct}</td><td class=\"num\">{t.codings}</td></tr>")
    who = "interviewees" if "interviewee" in report.n_line else "interviews"
    return ('<table class="counts"><thead><tr><th>theme</th>'
            f'<th class="num">{who} (of {report.n_transcripts})</th><th class="num">percent</th>'
            '<th class="num">coded passages</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _section(s: Section, report: Report) -> str:
    out = [f'<section class="theme-group" id="section-{_e(s.code)}">',
           f"<h2>{_e(s.name)}</h2>"]
    if s.chart is not None:
        label = figure_caption(s, report)
        out.append(f'<figure class="chart" id="figure-{s.figure}">'
                   f"{svg(s.chart, s.chart_title, salt=f'{s.code}-{s.figure}', label=label)}"
                   f"<figcaption>{_e(label)}</figcaption></figure>")
        out.append(_counts_table(s, report))
    out.extend(_theme(t, report, i == 0) for i, t in enumerate(s.themes))
    out.append("</section>")
    return "\n".join(out)


def render(report: Report) -> str:
    """The whole HTML document."""
    toc = "".join(f'<li><a href="#section-{_e(s.code)}">{_e(s.name)}</a></li>'
                  for s in report.sections)
    notes = ("<h4>Notes</h4><ul class=\"notes\">" +
             "".join(f"<li>{_e(n)}</li>" for n in report.notes) + "</ul>") if report.notes else ""
    body = [f"<header><h1>{_e(report.title)}</h1>",
            f'<p class="meta">{_e(report.scope_line)} · {_e(report.n_line)}</p>',
            f'<p class="meta">{_e(report.date)} · workbench {_e(report.version)} · '
            f"{_e(pseudonyms_short(report))}</p></header>",
            f"<nav><ol>{toc}</ol></nav>" if len(report.sections) > 1 else "",
            '<section id="methods"><h2>Methods</h2>',
            *(f"<p>{_e(p)}</p>" for p in report.methods),
            f"<p>{_e(report.pseudonyms)}</p>", notes, "</section>",
            *(_section(s, report) for s in report.sections)]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="workbench {_e(report.version)}">\n'
            f"<title>{_e(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(b for b in body if b) + "\n</main>\n</body>\n</html>\n")
