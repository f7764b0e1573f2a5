"""Re-anchoring: where a coding lies in its transcript *today* — or an honest "not sure".

When a coding is written it records its quote (the coded text), up to :data:`CONTEXT` characters
before and after it (``prefix``, ``suffix``: the W3C TextQuoteSelector idea) and the CRC-32 of
the transcript file (:func:`selector`; :meth:`Project.coding_fields`). When the file still has
that CRC the offsets stand. When it was edited, :func:`place` looks for the quote again and
places the coding only when the evidence is unambiguous:

* every exact occurrence of the quote is a candidate; each is scored by how well the text around
  it agrees with the recorded context (Indel similarity of each side, 0–1);
* with a recorded context, the best candidate is taken when its context agrees
  (score ≥ :data:`ACCEPT`) and no other candidate comes close (margin ≥ :data:`MARGIN`), or when
  the quote is long (≥ :data:`LONG_QUOTE` characters), occurs once, and one side of its context
  is intact (≥ :data:`ONE_SIDE`) while the other still half agrees (≥ :data:`HALF_SIDE`: an
  edit touched only that side, not another passage's context), or both sides still partly agree
  (each ≥ :data:`PARTLY`, together ≥ :data:`UNIQUE_ACCEPT`: edits near both ends; another
  passage's context never agreed that well on both sides in ``bench/bench_reanchor.py``'s
  sweeps); the context score is the placement's ``confidence``. A side whose edge changed — a
  word that now runs on into the quote, or a quote that ended a word and now does not — never
  agrees; a quote that occurs within its own recorded context ("office office") needs both sides
  to agree (≥ :data:`BOTH_SIDES`);
* a candidate is never taken while the :data:`_SITE` characters recorded on each side of the
  quote still stand together elsewhere with nothing, or an edited version of the quote, between
  them: the coded passage was deleted or changed *there*, and a copy of it elsewhere (a repeated
  line, a stage direction) is another passage;
* without a recorded context (logs from before context was recorded, other tools — their context
  is normally taken at a first read, see :mod:`workbench.reanchor`), a coding stays only when its
  quote is still at its offsets and occurs nowhere else: a repeated passage (a boilerplate line,
  a question asked twice) cannot be told apart without its context;
* anything else is ``needs_review``: the quote is no longer in the text (the coded passage
  itself was edited), or it occurs in several places that the context cannot tell apart. The
  offsets are then the best guess for a person to check — the best candidate, or a close fuzzy
  match of the quote near its old place (similarity ≥ 85%), else the recorded offsets — and never
  ``ok`` or ``moved`` on text that differs from the quote.

A coding without a quote cannot be checked against the text: it stands while the transcript is
unchanged (same CRC, or no CRC recorded and the file not modified since the coding was made) and
needs review otherwise.

Statuses: ``ok`` (unchanged, or the quote and its context are where they were), ``moved`` (found
again elsewhere), ``needs_review``, ``out_of_range`` (offsets outside the text, quote not found).
Pure functions; no I/O.
"""
from __future__ import annotations

from typing import NamedTuple

from rapidfuzz.distance import Indel

CONTEXT = 32       # characters of context kept on each side of a coding's quote
ACCEPT = 0.65      # a candidate's context must agree at least this well (0–1) …
MARGIN = 0.2       # … and this much better than any other candidate's
LONG_QUOTE = 16    # a quote this long that occurs once is placed with one side of its
ONE_SIDE = 0.9     # context intact to at least this, and the other side agreeing
HALF_SIDE = 0.3    # at least this much
BOTH_SIDES = 0.8   # a quote repeated within its own context needs both sides to agree this well
PARTLY = 0.35      # a long quote found once is also placed when each side agrees at least this
UNIQUE_ACCEPT = 0.5  # … and both together (the mean) at least this
_SITE = 12        # characters each side that mark where a coded passage stood (see _edited_in_place)
_SITE_SLACK = 0.25  # … a site whose context agrees this much less than the candidate's is not it
_WINDOW = 5000     # how far from its old place a changed quote is looked for (needs_review)


def selector(text: str, start: int, end: int) -> dict[str, str]:
    """What a coding records about its text when it is written: the ``quote`` and up to
    :data:`CONTEXT` characters before (``prefix``) and after (``suffix``) it."""
    return {"quote": text[start:end], "prefix": text[max(0, start - CONTEXT):start],
            "suffix": text[end:end + CONTEXT]}


class Placement(NamedTuple):
    status: str
    start: int
    end: int
    confidence: float = 1.0


def context_score(text: str, start: int, end: int, prefix: str | None,
                  suffix: str | None) -> float | None:
    """How well the text around ``[start, end)`` agrees with a recorded context (the mean of
    each recorded side's agreement, 0–1); None when no context was recorded."""
    sides = side_scores(text, start, end, prefix, suffix)
    return sum(sides) / len(sides) if sides else None


def side_scores(text: str, start: int, end: int, prefix: str | None,
                suffix: str | None) -> list[float]:
    """The agreement (0–1) of each recorded side of the context with the text around
    ``[start, end)``; a side recorded shorter than :data:`CONTEXT` (the quote was at the start
    or end of the text) must be met by the same edge."""
    scores = []
    if prefix is not None:
        before = text[max(0, start - CONTEXT):start]
        scores.append(_side(prefix, before, end_aligned=True))
    if suffix is not None:
        after = text[end:end + CONTEXT]
        scores.append(_side(suffix, after, end_aligned=False))
    return scores


def _side(recorded: str, actual: str, *, end_aligned: bool) -> float:
    """One side's agreement: half the Indel similarity of the whole side, half the share of it
    that is unchanged right next to the quote (an edit touching the quote weighs most). A word
    that now runs on into the quote (or a quote that ended a word and now does not) scores 0."""
    if not recorded and not actual:
        return 1.0
    if not recorded or not actual:
        return 0.0
    if end_aligned:
        touching = _common_prefix(recorded[::-1], actual[::-1])
        edge_was, edge_is = recorded[-1].isalnum(), actual[-1].isalnum()
    else:
        touching = _common_prefix(recorded, actual)
        edge_was, edge_is = recorded[0].isalnum(), actual[0].isalnum()
    if edge_was != edge_is:
        return 0.0
    return 0.5 * Indel.normalized_similarity(recorded, actual) + \
        0.5 * touching / max(len(recorded), len(actual))


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def occurrences(text: str, quote: str, limit: int = 10_000) -> list[int]:
    """Start offsets of every occurrence of ``quote`` (overlapping ones too), at most ``limit``."""
    out: list[int] = []
    i = text.find(quote)
    while i >= 0 and len(out) < limit:
        out.append(i)
        i = text.find(quote, i + 1)
    return out


def place(start: int, end: int, quote: str | None, prefix: str | None, suffix: str | None,
          text: str) -> Placement:
    """Where a coding recorded as ``[start, end)`` with ``quote`` and context lies in ``text``
    (the transcript changed since, or that is not known). See the module docstring."""
    in_range = 0 <= start < end <= len(text)
    if not quote:
        return Placement("ok" if in_range else "out_of_range", start, end,
                         0.0 if not in_range else 1.0)
    n = len(quote)
    hits = occurrences(text, quote)
    has_context = prefix is not None or suffix is not None
    if hits and has_context:
        scored = []
        for h in hits:
            sides = side_scores(text, h, h + n, prefix, suffix)
            # one side intact, the other still half there (not another passage's context)
            one_side = max(sides) if min(sides) >= HALF_SIDE else 0.0
            scored.append((sum(sides) / len(sides), one_side, -abs(h - start), h, min(sides)))
        scored.sort(reverse=True)
        best, strong, _, at, weakest = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        pre, suf = prefix or "", suffix or ""
        if (quote in pre or quote in suf) and weakest < BOTH_SIDES:
            # the quote repeats right beside itself ("office office"): one side agreeing cannot
            # tell the copies apart when one of them was deleted; both sides must agree
            return _review(at, at + n, best)
        if _edited_in_place(text, quote, prefix, suffix, at, best):
            return _review(at, at + n, best)
        if best >= ACCEPT and best - runner_up >= MARGIN:
            return Placement("ok" if at == start else "moved", at, at + n, round(best, 3))
        if len(hits) == 1 and n >= LONG_QUOTE and (
                strong >= ONE_SIDE or (weakest >= PARTLY and best >= UNIQUE_ACCEPT)):
            # a long quote found once, one side of its context intact (an edit touched the
            # other), or both sides still partly there (edits near both ends)
            return Placement("ok" if at == start else "moved", at, at + n, round(best, 3))
        return _review(at, at + n, best)
    if hits:   # no context recorded: only a quote still at its offsets, and found nowhere else,
        # and not now running on into a longer word at either end
        if hits == [start] and end == start + n and not _runs_on(text, start, end):
            return Placement("ok", start, end, 0.9)
        near = min(hits, key=lambda h: abs(h - start))
        return _review(near, near + n, 0.5 / len(hits))
    guess = _fuzzy(quote, text, start, end)
    if guess is not None:
        return _review(*guess)
    return Placement("needs_review" if in_range else "out_of_range", start, end, 0.0)


def _edited_in_place(text: str, quote: str, prefix: str | None, suffix: str | None, at: int,
                     best: float = 0.0) -> bool:
    """Whether the text right around the quote's recorded place still stands somewhere other
    than at ``at`` with *other* text between (the coded passage itself was edited there): then
    a copy of the quote elsewhere — a repeated line, a stage direction — is not the coding."""
    before, after = (prefix or "")[-_SITE:], (suffix or "")[:_SITE]
    if len(before) < _SITE or len(after) < _SITE:
        return False
    reach = 2 * len(quote) + _SITE
    i = text.find(before)
    while i >= 0:
        gap_start = i + len(before)
        j = text.find(after, gap_start, gap_start + reach + len(after))
        if j >= 0 and gap_start != at:
            gap = text[gap_start:j]
            limit = max(_SITE, len(quote) // 5)
            if gap != quote and (not gap.strip() or
                                 Indel.distance(gap, quote, score_cutoff=limit) <= limit) \
                    and (context_score(text, gap_start, j, prefix, suffix) or 0.0) \
                    >= best - _SITE_SLACK:
                # the quote deleted there, or changed by a few characters — unless the site's
                # context agrees clearly less than the candidate's: another passage of the same
                # shape (a short answer between the same two speaker labels)
                return True
        i = text.find(before, i + 1)
    return False


def _runs_on(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` now starts or ends inside a word (a coded word that was
    lengthened by an edit: "the" → "thes")."""
    return (start > 0 and text[start - 1].isalnum() and text[start].isalnum()) or \
        (end < len(text) and text[end - 1].isalnum() and text[end].isalnum())


def _review(s: int, e: int, confidence: float) -> Placement:
    return Placement("needs_review", s, e, round(min(confidence, 0.99), 3))


def _fuzzy(quote: str, text: str, start: int, end: int) -> tuple[int, int, float] | None:
    """The best approximate match of a changed quote near its old place (rapidfuzz), as a guess
    for review: (start, end, similarity); None when nothing is similar enough to propose."""
    if len(quote) < 12:
        return None
    from rapidfuzz import fuzz
    lo = max(0, start - _WINDOW)
    hi = min(len(text), max(end, start) + _WINDOW + len(quote))
    al = fuzz.partial_ratio_alignment(quote, text[lo:hi])
    if al is None or al.score < 85:
        return None
    return lo + al.dest_start, lo + al.dest_end, al.score / 100
