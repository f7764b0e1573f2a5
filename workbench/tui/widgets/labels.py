"""Coloured code labels (the codebook's colours), shared by every screen."""
from __future__ import annotations

from functools import lru_cache

from rich.style import Style
from rich.text import Text


@lru_cache(maxsize=512)
def text_on(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (``#rrggbb``)."""
    try:
        r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#ffffff"

    def lin(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#000000" if lum > 0.35 else "#ffffff"


@lru_cache(maxsize=512)
def label_style(color: str) -> Style:
    return Style(bgcolor=color, color=text_on(color))


@lru_cache(maxsize=512)
def suggestion_style(color: str) -> Style:
    return Style(color=color, dim=True, italic=True)


def code_label(name: str, color: str, *, partial: bool = False) -> Text:
    """`` name `` on the code's colour; a partial (span) coding gets a leading ``◧``."""
    return Text(f" {'◧ ' if partial else ''}{name} ", style=label_style(color))


def swatch(color: str) -> Text:
    return Text("■", style=Style(color=color))
