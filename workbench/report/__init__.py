"""The write-up report: per theme its definition, the number of interviewees who voiced it (with
N and the scope, as ``workbench counts`` states them), the bar chart, the quotes grouped by code
with their transcript, turn and attributes, the memos on each code, and a methods paragraph
written from the project's facts. Names are replaced from ``pseudonyms.yaml`` by default.

    >>> from workbench.report import build_report, write_report
    >>> rep = build_report(project, codes="value.")
    >>> write_report(rep, "exports/report.html")          # or .docx / .md

:mod:`.model` computes the report (plain data), :mod:`.methods` the methods paragraph,
:mod:`.text` the shared sentences; :mod:`.render_html`, :mod:`.render_docx` and
:mod:`.render_md` lay it out. See docs/REPORT.md.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ..errors import UsageError
from .model import MemoItem, QuoteItem, Report, Section, Theme, build_report

FORMATS = ("html", "docx", "md")
__all__ = ["FORMATS", "MemoItem", "QuoteItem", "Report", "Section", "Theme", "build_report",
           "default_path", "write_report"]


def default_path(project, coder: str, fmt: str, codes: str | None = None,
                 today: _dt.date | None = None) -> Path:
    """``exports/<project>-<coder>-<date>[-<codes>]-report.<fmt>``."""
    from ..export import default_stem, slug
    stem = default_stem(project, coder, today) + (f"-{slug(codes)}" if codes else "")
    return project.exports_dir / f"{stem}-report.{fmt}"


def format_of(path: Path, fmt: str | None) -> str:
    """The format given, else the one the file name ends in (``.htm`` is HTML)."""
    suffix = path.suffix.lower().lstrip(".")
    suffix = "html" if suffix == "htm" else suffix
    if suffix and suffix not in FORMATS:
        raise UsageError(f"cannot write a report into '{path.name}'",
                         hint="end the file name with .html, .docx or .md")
    fmt = fmt or suffix or "html"
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    if suffix and suffix != fmt:
        raise UsageError(f"--out {path.name} does not fit --format {fmt}",
                         hint=f"end the file name with .{fmt}, or leave out --format")
    return fmt


def figure_paths(path: Path, report: Report) -> dict[int, Path]:
    """The PNG files a Markdown report links to: ``<name>-figure<n>.png`` beside it."""
    return {s.figure: path.with_name(f"{path.stem}-figure{s.figure}.png")
            for s in report.sections if s.chart is not None and s.figure is not None}


def write_report(report: Report, path: str | Path, fmt: str | None = None, *,
                 force: bool = False) -> list[Path]:
    """Write ``report`` to ``path`` (html, docx or md; from the suffix when ``fmt`` is None).
    Never replaces an existing file unless ``force``; each file is written under a temporary
    name and renamed. Returns the files written (a Markdown report's figures too)."""
    from ..export import claim_target
    from ..fileio import atomic_write, atomic_write_with
    path = Path(path)
    fmt = format_of(path, fmt)
    if path.is_dir() or not path.suffix:
        raise UsageError(f"--out {path} is a folder", hint=f"give a file name ending in .{fmt}")
    claim_target(path, force)
    written: list[Path] = []
    if fmt == "html":
        from .render_html import render as render_html
        atomic_write(path, render_html(report))
    elif fmt == "docx":
        from .render_docx import build
        doc = build(report)
        atomic_write_with(path, lambda tmp: doc.save(str(tmp)))
    else:
        from .charts import png
        from .render_md import render as render_md
        figures = figure_paths(path, report)
        for fig in figures.values():
            claim_target(fig, force)
        for s in report.sections:
            if s.chart is not None and s.figure is not None:
                atomic_write(figures[s.figure], png(s.chart, s.chart_title))
                written.append(figures[s.figure])
        atomic_write(path, render_md(report, {n: p.name for n, p in figures.items()}))
    return [path, *written]
