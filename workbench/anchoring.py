"""Re-anchoring: where a coding lies in its transcript *today*.

A coding records its offsets, and usually its quote (the coded text) and the CRC-32 of the
transcript file it was made on. When the transcript is unchanged the offsets stand. When it was
edited, the quote is looked for again. Pure functions of a coding and a text; no I/O.

Statuses: ``ok`` (the text at the offsets is the quote, or the transcript is unchanged),
``moved`` (the quote was found elsewhere and the offsets follow it), ``needs_review`` (the quote
is not at its offsets and was not found again with certainty), ``out_of_range`` (the offsets
lie outside the text and the quote was not found).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from .coding import Coding

CONTEXT = 32   # characters of context kept on each side of a coding's quote


def selector(text: str, start: int, end: int) -> dict[str, str]:
    """What a coding records about its text when it is written (the W3C TextQuoteSelector
    idea): the ``quote`` and up to :data:`CONTEXT` characters before (``prefix``) and after
    (``suffix``) it."""
    return {"quote": text[start:end], "prefix": text[max(0, start - CONTEXT):start],
            "suffix": text[end:end + CONTEXT]}


class Placement(NamedTuple):
    status: str
    start: int
    end: int
    confidence: float = 1.0


def place(c: Coding, n_chars: int, crc: int | None, text: Callable[[], str]) -> Placement:
    """Where coding ``c`` lies in a transcript of ``n_chars`` characters whose file has CRC-32
    ``crc``; ``text()`` gives the transcript's text when it is needed (only when the transcript
    changed since the coding was made, or that is not recorded)."""
    in_range = 0 <= c.start < c.end <= n_chars
    if in_range and c.transcript_crc is not None and c.transcript_crc == crc:
        return Placement("ok", c.start, c.end)
    if not in_range:
        if c.quote:
            found = _find_again(c, text())
            if found is not None:
                return found
        return Placement("out_of_range", c.start, c.end, 0.0)
    if c.quote is None:
        return Placement("ok", c.start, c.end)
    t = text()
    if t[c.start:c.end] == c.quote:
        return Placement("ok", c.start, c.end)
    found = _find_again(c, t)
    return found if found is not None else Placement("needs_review", c.start, c.end, 0.0)


def _find_again(c: Coding, text: str) -> Placement | None:
    """The quote's new place: the exact occurrence nearest the old place, else a fuzzy match
    (rapidfuzz) of at least 90 for quotes of 12 characters or more; None when not found."""
    q = c.quote or ""
    hits = [m.start() for m in re.finditer(re.escape(q), text)] if q else []
    if hits:
        best = min(hits, key=lambda s: abs(s - c.start))
        return Placement("moved", best, best + len(q), 1.0 / len(hits))
    if len(q) >= 12:
        from rapidfuzz import fuzz
        lo, hi = max(0, c.start - 5000), min(len(text), c.end + 5000)
        al = fuzz.partial_ratio_alignment(q, text[lo:hi])
        if al is not None and al.score >= 90:
            return Placement("moved", lo + al.dest_start, lo + al.dest_end, al.score / 100)
    return None
