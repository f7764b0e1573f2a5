"""The report's figures: workbench.chart's bar chart as inline SVG text (HTML) or PNG bytes
(docx, Markdown), drawn in memory on the Agg canvas."""
from __future__ import annotations

import io
import re

from ..chart import figure
from ..counts import Counts

_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)


def svg(counts: Counts, title: str, *, salt: str, label: str = "") -> str:
    """The chart as an ``<svg>`` element to put inside HTML (no XML prologue, no fixed size:
    it scales to its container), its ids made unique by ``salt``."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with rc_context({"svg.hashsalt": f"workbench-{salt}", "svg.fonttype": "none",
                     "font.family": ["DejaVu Sans", "sans-serif"]}):
        fig = figure(counts, title=title)
        FigureCanvasAgg(fig)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = _PROLOGUE.sub("", buf.getvalue(), count=1)
    # keep the viewBox, let CSS size it; name it for screen readers
    text = re.sub(r'(<svg\b[^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"\1", text, count=1)
    aria = f' role="img" aria-label="{_attr(label or title)}"'
    return text.replace("<svg", "<svg" + aria, 1)


def png(counts: Counts, title: str, *, dpi: int = 150) -> bytes:
    """The chart as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure(counts, title=title)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _attr(text: str) -> str:
    import html
    return html.escape(text, quote=True)
