"""Text measured in terminal cells: word wrap with character offsets, the offset under a mouse
column, styled runs of a line, and fitting a text into a width (for segment_view.py)."""
from __future__ import annotations

import re

from rich.cells import cell_len
from rich.segment import Segment as RichSegment
from rich.style import Style

_TOKEN = re.compile(r"\S+\s*|\s+")


def wrap_ranges(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of ``text`` to ``width`` cells: a list of (start, end) character ranges,
    one per line (hard line breaks kept, over-long words broken)."""
    width = max(width, 1)
    out: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        base = pos
        line_start, line_w = base, 0
        for m in _TOKEN.finditer(para):
            tok = m.group()
            word = tok.rstrip()
            ww = cell_len(word)
            s = base + m.start()
            if line_w and line_w + ww > width:
                out.append((line_start, s))
                line_start, line_w = s, 0
            while ww > width:  # a word longer than the line: break it
                w, k = 0, 0
                while k < len(word) and w + cell_len(word[k]) <= width:
                    w += cell_len(word[k])
                    k += 1
                k = max(k, 1)
                out.append((s, s + k))
                s += k
                word = word[k:]
                ww = cell_len(word)
                line_start, line_w = s, 0
            line_w += ww + (len(tok) - len(tok.rstrip()))
        out.append((line_start, base + len(para)))
        pos = base + len(para) + 1
    return out


def offset_at(text: str, start: int, end: int, x: int) -> int:
    """The character offset under cell ``x`` of the line ``text[start:end]``."""
    w = 0
    for k in range(start, end):
        w += cell_len(text[k])
        if w > x:
            return k
    return end


def fit_cells(text: str, room: int, last: bool = False) -> str:
    """The part of ``text`` that fits ``room`` cells: cut at a space when it does not fit all,
    and (``last``) with an ellipsis when something is left over."""
    if room <= 1:
        return ""
    if cell_len(text) <= room:
        return text
    cut = text
    while cut and cell_len(cut) > room - (1 if last else 0):
        cut = cut[:-1]
    if not last and " " in cut[room // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut + ("…" if last else "")


def styled(text: str, s: int, e: int, base: Style, spans) -> list[RichSegment]:
    points = {s, e}
    active = []
    for a, b, st in spans:
        if b > s and a < e:
            points.add(max(a, s))
            points.add(min(b, e))
            active.append((a, b, st))
    if not active:
        return [RichSegment(text[s:e].rstrip("\n"), base)]
    pts = sorted(points)
    out = []
    for p, q in zip(pts, pts[1:]):
        style = base
        for a, b, st in active:
            if a <= p < b:
                style = style + st
        out.append(RichSegment(text[p:q].rstrip("\n"), style))
    return out
