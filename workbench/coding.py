"""The records a coder's work consists of: :class:`Coding` (one coded span) and :class:`Memo`.

``Coding`` is the one shape of "a coding" in the workbench. Replaying a log
(:func:`workbench.codinglog.replay`) gives them as logged; :meth:`workbench.project.Project.codings`
gives a coder's *current* codings: code resolved through codebook merges, offsets re-anchored
when the transcript changed, ``status`` and ``segment`` filled in. Every reader (counts,
agreement, exports, the coding screen) starts from the latter; tables are built from it
(:func:`workbench.frames.codings_frame`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

# statuses of codings that have no place in their transcript (no segment)
UNPLACED = ("orphan", "unknown_code", "out_of_range")
STATUSES = ("ok", "moved", "needs_review", *UNPLACED)


@dataclass(slots=True)
class Coding:
    """One coded span ``[start, end)`` (code points of the transcript's normalized text).

    ``quote`` is the coded text when it was coded; ``prefix``/``suffix`` a little of the text
    around it (to find it again after the transcript is edited). ``status``: ``ok``, ``moved``
    (found again elsewhere with its quote and context), ``needs_review`` (not found with
    certainty: shown at its best guess), or one of :data:`UNPLACED`. ``segment`` is the index of
    the first segment it overlaps (None when unplaced). ``original_code`` is the code as logged
    (before merges); ``line`` the line of the log it came from; ``confidence`` how sure the
    placement is (1.0 unchanged text). ``transcript_crc`` is the CRC-32 of the transcript file
    the coding was made on (when recorded): the same file needs no check of the quote."""

    id: str
    coder: str
    transcript: str
    code: str
    start: int
    end: int
    at: str | None = None
    source: str = "manual"
    quote: str | None = None
    memo: str | None = None
    status: str = "ok"
    segment: int | None = None
    original_code: str | None = None
    settles: dict | None = None
    line: int | None = None
    prefix: str | None = None
    suffix: str | None = None
    transcript_crc: int | None = None
    confidence: float = 1.0

    def to_dict(self) -> dict:
        """The documented ``codings --json`` record (docs/FORMATS.md)."""
        return {"id": self.id, "coder": self.coder, "transcript": self.transcript,
                "code": self.code, "start": self.start, "end": self.end, "quote": self.quote,
                "segment": self.segment,
                "turn": None if self.segment is None else self.segment + 1,
                "status": self.status, "source": self.source,
                "memo": self.memo, "at": self.at}


CODING_FIELDS = tuple(f.name for f in fields(Coding))


@dataclass(slots=True)
class Memo:
    """A memo: on a coding (``target``), a span of a transcript (``start``/``end``), a whole
    transcript, or a code (``code``, an analytic memo about a theme).

    A memo on a span records, like a coding, its ``quote``, ``prefix``/``suffix`` and the
    ``transcript_crc`` (memos written before this version have none); :meth:`Project.memos`
    gives them placed in the transcript as it is now, with a ``status`` as codings have
    (``ok``, ``moved``, ``needs_review``, ``out_of_range``, ``orphan``; ``ok`` for memos not on
    a span)."""

    id: str
    transcript: str | None
    text: str
    target: str | None = None
    start: int | None = None
    end: int | None = None
    at: str | None = None
    code: str | None = None
    quote: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    transcript_crc: int | None = None
    status: str = "ok"

    @property
    def on_span(self) -> bool:
        """Whether the memo is on a span of a transcript (not a coding, transcript or code)."""
        return not self.target and self.transcript is not None and self.start is not None

    @property
    def extent(self) -> tuple[int, int]:
        """``(start, end)`` of a memo on a span, at least one character wide: a memo at a point
        (no ``end``, or ``end == start``) is on the character there."""
        start = self.start or 0
        return start, max(self.end if self.end is not None else start, start + 1)

    @property
    def placed(self) -> bool:
        """Whether the memo stands where its offsets say (a span memo found again, or a memo
        not on a span): one that needs review or lost its place is shown beside no passage."""
        return self.status in ("ok", "moved")
