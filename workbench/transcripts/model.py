"""The Transcript and Segment dataclasses shared by every parser."""
from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

INTERVIEWER = "interviewer"
INTERVIEWEE = "interviewee"


@dataclass(frozen=True, slots=True)
class Segment:
    """One speaker turn. ``text == transcript.text[start:end]`` (code points, end exclusive)."""

    transcript: str
    index: int
    speaker: str | None
    role: str  # "interviewer" | "interviewee"
    start: int
    end: int
    text: str
    timestamp: str | None = None

    def to_dict(self) -> dict:
        return {
            "transcript": self.transcript, "index": self.index, "turn": self.index + 1,
            "speaker": self.speaker,
            "role": self.role, "start": self.start, "end": self.end, "text": self.text,
            "timestamp": self.timestamp,
        }


@dataclass(slots=True)
class Transcript:
    """A parsed transcript: normalized text, attributes and segments (speaker turns)."""

    id: str
    path: Path
    format: str  # "txt" | "md" | "docx" | "vtt" | "srt"
    text: str
    attributes: dict[str, str] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title: str | None = None        # a title line: in the text, not a turn (lines.split_title)
    title_note: str | None = None   # what import did with it, for people
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._starts = [s.start for s in self.segments]

    def segment_index_at(self, offset: int) -> int | None:
        """Index of the segment containing ``offset``; an offset in a gap (a speaker label)
        belongs to the next segment. None when past the last segment."""
        return segment_index_for(self._starts, [s.end for s in self.segments], offset)

    def segments_overlapping(self, start: int, end: int) -> list[Segment]:
        """Segments sharing at least one character with ``[start, end)``."""
        i = bisect.bisect_right(self._starts, start) - 1
        i = max(i, 0)
        out = []
        for seg in self.segments[i:]:
            if seg.start >= end:
                break
            if seg.end > start and seg.start < end:
                out.append(seg)
        return out


def segment_index_for(starts: Sequence[int], ends: Sequence[int], offset: int) -> int | None:
    """Index of the segment containing ``offset`` given sorted segment starts and ends."""
    if not starts:
        return None
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and offset < ends[i]:
        return i
    if i + 1 < len(starts):
        return i + 1
    return None


def classify_role(speaker: str | None, interviewer_labels: set[str]) -> str:
    """``interviewer`` when the label (case-insensitive) is one of ``interviewer_labels``."""
    if speaker is not None and speaker.strip().casefold() in interviewer_labels:
        return INTERVIEWER
    return INTERVIEWEE
