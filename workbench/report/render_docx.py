"""The report as a Word document (python-docx): headings per theme, the charts as PNG pictures,
a counts table per figure, quotes in the Quote style with their source, memos."""
from __future__ import annotations

import io
from pathlib import Path

from .charts import png
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

_MUTED = (0x5B, 0x64, 0x72)


def _muted(paragraph, text: str, size: float = 9, italic: bool = False) -> None:
    from docx.shared import Pt, RGBColor
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.color.rgb = RGBColor(*_MUTED)
    run.italic = italic


def _theme(doc, t: Theme, report: Report) -> None:
    from docx.shared import Pt
    doc.add_heading(t.name, level=min(2 + t.depth, 4))
    if t.definition:
        doc.add_paragraph(t.definition)
    else:
        _muted(doc.add_paragraph(), "(no definition in the codebook)", italic=True)
    p = doc.add_paragraph()
    p.add_run(count_sentence(t, report)).bold = True
    ag = agreement_line(t)
    if ag:
        _muted(doc.add_paragraph(), ag)
    if t.memos:
        doc.add_paragraph("Memos", style="Heading 5" if _has(doc, "Heading 5") else None)
        for m in t.memos:
            para = doc.add_paragraph(style="List Bullet")
            _muted(para, memo_place(m) + ": ")
            para.add_run(m.text).font.size = Pt(10)
    if t.quotes:
        doc.add_paragraph(quotes_heading(t), style="Heading 5" if _has(doc, "Heading 5") else None)
        quote_style = "Quote" if _has(doc, "Quote") else None
        for q in t.quotes:
            doc.add_paragraph(f"“{q.text.strip()}”", style=quote_style)
            src = doc.add_paragraph()
            _muted(src, quote_source(q))
            if q.memo:
                memo = doc.add_paragraph()
                _muted(memo, "Memo on this coding: ")
                memo.add_run(q.memo).font.size = Pt(10)


def _has(doc, style: str) -> bool:
    try:
        doc.styles[style]
    except KeyError:
        return False
    return True


def _counts_table(doc, s: Section, report: Report) -> None:
    who = "interviewees" if "interviewee" in report.n_line else "interviews"
    table = doc.add_table(rows=1, cols=4)
    if _has(doc, "Light List Accent 1"):
        table.style = "Light List Accent 1"
    head = table.rows[0].cells
    for cell, text in zip(head, ["theme", f"{who} (of {report.n_transcripts})", "percent",
                                 "coded passages"]):
        cell.text = text
    for t in s.themes:
        cells = table.add_row().cells
        cells[0].text = "   " * t.depth + t.name
        cells[1].text = str(t.interviews)
        cells[2].text = "—" if t.percent is None else f"{t.percent:.1f}%"
        cells[3].text = str(t.codings)
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches
    table.autofit = False
    for col, width in zip(table.columns, (2.9, 1.5, 0.9, 1.2)):
        col.width = Inches(width)
    for row in table.rows:
        for i, (cell, width) in enumerate(zip(row.cells, (2.9, 1.5, 0.9, 1.2))):
            cell.width = Inches(width)
            if i:
                for para in cell.paragraphs:
                    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def build(report: Report):
    """The python-docx Document."""
    from docx import Document
    from docx.shared import Inches

    doc = Document()
    props = doc.core_properties
    props.title = report.title
    props.author = "workbench"
    props.last_modified_by = "workbench"
    props.comments = f"workbench {report.version}; {report.scope_line}"
    doc.add_heading(report.title, level=0)
    _muted(doc.add_paragraph(), f"{report.scope_line} · {report.n_line}")
    _muted(doc.add_paragraph(), f"{report.date} · workbench {report.version} · "
                                f"{pseudonyms_short(report)}")
    doc.add_heading("Methods", level=1)
    for para in report.methods:
        doc.add_paragraph(para)
    doc.add_paragraph(report.pseudonyms)
    if report.notes:
        _muted(doc.add_paragraph(), "Notes")
        for n in report.notes:
            _muted(doc.add_paragraph(style="List Bullet"), n)
    for s in report.sections:
        doc.add_heading(s.name, level=1)
        if s.chart is not None:
            doc.add_picture(io.BytesIO(png(s.chart, s.chart_title)), width=Inches(6.3))
            _muted(doc.add_paragraph(), figure_caption(s, report), italic=True)
            _counts_table(doc, s, report)
        for t in s.themes:
            _theme(doc, t, report)
    return doc


def write(report: Report, path: Path) -> None:
    build(report).save(str(path))
