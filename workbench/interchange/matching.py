"""Which of our transcripts a REFI-QDA source is, and how positions in its text map onto ours:
the same text with ``k`` characters of our front matter before it (:class:`Shift`), the same
characters but for whitespace (:class:`Spaces`), or another text under the same id, where a
selection goes where its quote is (:class:`Search`). Every placement is checked: the text at the
new place must be the selection's text. Also :func:`has_turns`: whether a new text is read as
speaker turns or one segment per paragraph."""
from __future__ import annotations

import bisect
import re

from .positions import find_excerpt, squash


def has_turns(t) -> bool:
    """Whether a text reads as speaker turns: labels that recur (at most half as many speakers
    as turns) starting most paragraphs (≤ 2.5 paragraphs per turn; a paragraph is a block between
    blank lines when there are at least as many of those as turns, else a line). Other texts
    (comments, articles, notes with a few 'Heading:' lines) get one segment per paragraph."""
    turns = [s for s in t.segments if s.speaker]
    if len(turns) < 2 or len({s.speaker for s in turns}) > len(turns) / 2:
        return False
    blocks = sum(1 for b in re.split(r"\n[ \t]*\n", t.text) if b.strip())
    paras = blocks if blocks >= len(turns) else sum(1 for ln in t.text.splitlines() if ln.strip())
    return paras / len(turns) <= 2.5


class Shift:
    """Our text is the source's text with ``k`` characters before it."""

    def __init__(self, text: str, k: int):
        self.text, self.k = text, k

    def place(self, start, end, quote):
        a, b = start + self.k, end + self.k
        return (a, b) if self.text[a:b] == quote else None

    def whole(self):
        body = self.text[self.k:]
        lead = len(body) - len(body.lstrip())
        return self.k + lead, self.k + len(body.rstrip())


class Spaces(Shift):
    """Our text (from ``k`` on: below our front matter) has the same characters as the source's
    but for whitespace."""

    def __init__(self, theirs: str, ours: str, k: int = 0):
        super().__init__(ours, k)
        self.theirs = [i for i, ch in enumerate(theirs) if not ch.isspace()]
        self.ours = [i for i, ch in enumerate(ours) if not ch.isspace() and i >= k]

    def place(self, start, end, quote):
        i = bisect.bisect_left(self.theirs, start)
        j = bisect.bisect_left(self.theirs, end) - 1
        if i > j or j >= len(self.ours):
            return None
        a, b = self.ours[i], self.ours[j] + 1
        return (a, b) if squash(self.text[a:b]) == squash(quote) else None


class Search(Shift):
    """Another text under the same id: a selection goes where its quote is (the occurrence
    nearest its relative position), or nowhere."""

    def __init__(self, theirs: str, ours: str):
        super().__init__(ours, 0)
        self.ratio = len(ours) / max(len(theirs), 1)

    def place(self, start, end, quote):
        if not quote.strip():
            return None
        hit = find_excerpt(self.text, quote, int(start * self.ratio))
        if hit is None or hit[2]:
            return None
        return hit[0], hit[1]
