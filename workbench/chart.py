"""Figure 1 as a chart: a horizontal bar chart of opinion counts (interviewees per code).

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global
backend switch), so it works on a server and inside the terminal UI's process alike.

    >>> from workbench.counts import opinion_counts
    >>> from workbench.chart import save_chart
    >>> save_chart(opinion_counts(project, codes="value."), "exports/figure1.png")
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from .counts import Counts
from .errors import UsageError

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
BAR_COLOR = "#1f77b4"


def chart_rows(counts: Counts) -> pd.DataFrame:
    """The rows drawn: the counts of one group, without the selected top code(s) when they have
    selected descendants (``--codes value.`` draws value's children, as in Figure 1), sorted
    largest first (ties in codebook order)."""
    df = counts.frame
    if counts.by:
        raise UsageError("the chart draws overall counts; leave out --by")
    cb = counts.data.codebook
    sel = set(counts.codes)
    tops = [c for c in counts.codes
            if not any(a in sel for a in cb.ancestors(c)) and any(d in sel for d in cb.descendants(c))]
    d = df[~df["code"].isin(tops)]
    if d.empty:
        d = df
    d = d.assign(_o=range(len(d))).sort_values(["interviews", "_o"], ascending=[False, True],
                                               kind="stable").drop(columns="_o")
    return d.reset_index(drop=True)


def default_title(counts: Counts) -> str:
    cb = counts.data.codebook
    sel = set(counts.codes)
    tops = [c for c in counts.codes if not any(a in sel for a in cb.ancestors(c))]
    if len(tops) == 1:
        return cb.codes[tops[0]].name
    return "Opinion counts"


def subtitle(counts: Counts) -> str:
    n = counts.n_transcripts
    if counts.data.speaker == "interviewee":
        who = "interviewee" if n == 1 else "interviewees"
    else:
        who = "interview" if n == 1 else "interviews"
    d = counts.data
    return (f"by the number of opinions among the {n} {who} "
            f"(coder: {d.who or ', '.join(counts.coders)})\nscope: {d.scope_text()}")


def figure(counts: Counts, *, title: str | None = None, color: str = BAR_COLOR):
    """A matplotlib Figure: one horizontal bar per code, sorted, labelled with its count; the
    title and a note naming N and the coder; the x axis counts interviewees."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if counts.n_transcripts == 0:
        raise UsageError("nothing to chart: no transcript is in scope",
                         hint=f"{counts.coders[0]} has marked no transcript done; mark them done "
                              "or use --include-unfinished")
    rows = chart_rows(counts)
    labels = [textwrap.fill(str(x), 38) for x in rows["name"]]
    values = [int(v) for v in rows["interviews"]]
    n_lines = sum(lab.count("\n") + 1 for lab in labels)
    height = 1.3 + 0.32 * max(n_lines, len(labels)) + 0.12 * len(labels)
    fig = Figure(figsize=(8.5, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    y = list(range(len(values)))[::-1]           # largest on top
    bars = ax.barh(y, values, color=color, height=0.65)
    ax.set_yticks(y, labels=labels, fontsize=9)
    top = max(values + [1])
    ax.set_xlim(0, top * 1.12 + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.bar_label(bars, labels=[str(v) for v in values], padding=3, fontsize=9)
    ax.set_xlabel(f"Number of interviewees (N = {counts.n_transcripts})"
                  if counts.data.speaker == "interviewee" else
                  f"Number of interviews (N = {counts.n_transcripts})", fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(subtitle(counts), fontsize=9, color="#444444", loc="left")
    fig.suptitle(title or default_title(counts), fontsize=12, fontweight="bold", x=0.02,
                 ha="left")
    fig.tight_layout()
    return fig


def save_chart(counts: Counts, path: str | Path, *, force: bool = False,
               title: str | None = None, dpi: int = 150) -> Path:
    """Draw :func:`figure` into ``path`` (``.png``, ``.svg`` or ``.pdf``); an existing file is
    only replaced with ``force=True``. Returns the path written."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from .export import claim_target
    from .fileio import atomic_write_with

    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot draw a chart into '{path.name}'",
                         hint="end the file name with .png, .svg or .pdf")
    claim_target(path, force)
    # reproducible files: no creation date, fixed SVG ids
    with rc_context({"svg.hashsalt": "workbench", "svg.fonttype": "none"}):
        fig = figure(counts, title=title)
        FigureCanvasAgg(fig)
        meta = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})

        def write(tmp: Path) -> None:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
        atomic_write_with(path, write)
    return path
