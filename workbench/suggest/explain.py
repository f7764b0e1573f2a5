"""Suggestions as the coder sees them: the code, its score, and the evidence behind it in words.

Every suggestion carries ``evidence``: a list of ``(kind, detail)``, strongest first, only kinds
that raised the score —

* ``keyword``:  ``keyword "fund" (lemma match) +2 more; also in the question``
* ``codebook``: ``definition words: query, clear; in the question: option``
* ``example``:  ``like P03 turn 14: “I found the query part easy once…”`` (the most similar
  segment the learning source coded with this code)
* ``learned``:  ``learned from coded turns: words query, submit; question clear``

and one ``reason``: the keyword when one fired (a rule the researcher wrote), else the first of
them — the learned model shown through its most similar coded example when there is one (a
quote can be checked at a glance, a weight cannot).
"""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_SHOWN = 3   # the terminal UI shows at most this many suggestions per segment


@dataclass
class Suggestion:
    """A suggested code for a segment. ``start``/``end``: the whole segment (accepting codes
    the turn); ``match_start``/``match_end``: the words a keyword rule matched (None otherwise).
    ``score``: 0.5 is the learned threshold (see combine.py); ``probability``: the calibrated
    chance that the learning source would code it."""

    transcript: str
    segment: int
    start: int
    end: int
    code: str
    score: float
    reason: str
    probability: float | None = None
    evidence: list = field(default_factory=list)     # [(kind, detail), ...]
    match_start: int | None = None
    match_end: int | None = None

    def to_dict(self) -> dict:
        return {"transcript": self.transcript, "segment": self.segment, "turn": self.segment + 1,
                "start": self.start,
                "end": self.end, "code": self.code, "score": self.score, "reason": self.reason,
                "probability": self.probability,
                "evidence": [{"kind": k, "detail": d} for k, d in self.evidence]}


def keyword_detail(ev, in_question: bool) -> str:
    text = ev.reason
    if ev.count > 1:
        text += f" +{ev.count - 1} more"
    if in_question:
        text += "; also in the question"
    return text


def learned_detail(words, question) -> str:
    parts = []
    if words:
        parts.append("words " + ", ".join(words))
    if question:
        parts.append("question " + ", ".join(question))
    return "learned from coded turns" + (": " + "; ".join(parts) if parts else "")


def evidence_list(contributions, details: dict) -> list[tuple[str, str]]:
    """``contributions``: [(kind, weight * value)] of the combiner; ``details``: kind -> text
    (or a callable making it). Kinds that raised the score, strongest first; the nearest
    example is listed as kind ``example``."""
    out = []
    for kind, c in sorted(contributions, key=lambda kc: -kc[1]):
        if c <= 1e-6:
            continue
        d = details.get(kind)
        if callable(d):
            d = d()
        if not d:
            continue
        out.append(("example" if kind == "nearest" else kind, d))
    return out


def reason_of(evidence: list[tuple[str, str]], example: str | None = None) -> str:
    """The one-line reason: a keyword of the codebook when one fired (a rule the researcher
    wrote), else the strongest evidence, with the learned model shown through its nearest coded
    example when there is one."""
    if not evidence:
        return example or "learned from coded turns"
    for kind, detail in evidence:
        if kind == "keyword":
            return detail
    kind, detail = evidence[0]
    if kind == "learned" and example:
        return example
    return detail
