"""Plain text and Markdown transcripts: optional YAML front matter, then speaker turns.

A line ``Speaker: text`` starts a turn; the forms ``**Speaker:** text``, ``**Speaker**: text``
and ``[00:01:23] Speaker: text`` are recognised too (:mod:`.lines`). Following lines belong to the
same turn until the next speaker line. Offsets index the normalized text of the whole file (front
matter included), so that a coding's offsets point straight into the file as the user sees it.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from operator import add, sub
from pathlib import Path
from typing import NamedTuple

import yaml

from ..errors import TranscriptError, yaml_error_location
from .lines import (
    MAX_LABEL_WORDS,
    SPEAKER_BODY,
    SPEAKER_HEAD,
    SPEAKER_HEAD_ASCII,
    decode,
    is_paragraph_mode,
    load_front_matter,
    norm_timestamp,
    normalize,
)

__all__ = ["Turn", "TurnColumns", "read_text", "scan_text", "split_front_matter", "find_turns",
           "turn_columns", "paragraph_turns", "strip_span", "decode", "normalize"]


@dataclass(slots=True)
class Turn:
    speaker: str | None
    timestamp: str | None
    start: int
    end: int


def read_text(path: Path, data: bytes, interviewer_speakers) -> tuple[dict, str, list, list[str]]:
    """(front matter, normalized text, turns as (speaker, timestamp, start, end), warnings) of a
    .txt/.md file."""
    meta, text, cols, warnings = scan_text(path, data, interviewer_speakers)
    return meta, text, list(zip(*cols)), warnings


def scan_text(path: Path, data: bytes, interviewer_speakers
              ) -> tuple[dict, str, TurnColumns, list[str]]:
    """:func:`read_text` with the turns as :class:`TurnColumns`."""
    text = normalize(decode(data, path))
    meta, body = split_front_matter(text, path)
    declared = meta.get("speakers")
    if isinstance(declared, str):  # 'speakers: Anna, Boris' or a single name
        declared = declared.split(",")
    declared = ({str(x).strip().casefold() for x in declared if str(x).strip()}
                if isinstance(declared, list) else None) or None
    named = meta.get("interviewer")
    known = {s.casefold() for s in interviewer_speakers} | (
        {str(x).strip().casefold() for x in (named if isinstance(named, list) else [named])}
        if named else set())
    if is_paragraph_mode(meta):
        turns = paragraph_turns(text, body)
        cols = TurnColumns([t.speaker for t in turns], [t.timestamp for t in turns],
                           [t.start for t in turns], [t.end for t in turns])
        warnings: list[str] = []
    else:
        cols, warnings = turn_columns(text, body, speakers=declared, known=known)
    if not cols.starts:
        if body:
            raise TranscriptError("the transcript has front matter but no text", file=path,
                                  hint="add the interview below the closing '---'")
        raise TranscriptError("the file is empty", file=path,
                              hint="add the interview text, or remove the file")
    return meta, text, cols, warnings


def split_front_matter(text: str, path) -> tuple[dict, int]:
    """Parse YAML front matter at the start of ``text``; return (mapping, body offset)."""
    if not text.startswith("---\n"):
        return {}, 0
    m = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE).search(text, 4)
    if m is None:
        raise TranscriptError("front matter starts with '---' but has no closing '---' line",
                              file=path, line=1, hint="add a line '---' after the attributes")
    block = text[4:m.start()]
    try:
        data = load_front_matter(block) if block.strip() else {}
    except yaml.YAMLError as e:
        line, problem = yaml_error_location(e, first_line=2)
        raise TranscriptError(f"front matter is not valid YAML ({problem})",
                              file=path, line=line or 1,
                              hint="write attributes as 'key: value' lines") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TranscriptError("front matter is not a mapping of 'key: value' lines",
                              file=path, line=2, hint="write attributes as 'key: value' lines")
    body = m.end() + 1 if m.end() < len(text) else m.end()
    return data, body


class TurnColumns(NamedTuple):
    """Speaker turns as parallel lists (speaker, time stamp, start, end of each turn): what the
    catalog keeps, without one object per turn."""

    speakers: list[str | None]
    timestamps: list[str | None]
    starts: list[int]
    ends: list[int]


def find_turns(text: str, body_start: int = 0, *, speakers: set[str] | None = None,
               known: set[str] | frozenset[str] = frozenset()) -> tuple[list[Turn], list[str]]:
    """Split ``text[body_start:]`` into speaker turns. Returns turns and warnings.

    ``speakers`` (casefolded; from front matter ``speakers:``) is authoritative when given: only
    those labels start turns. Otherwise a label seen only once, in a transcript where other
    speakers take several turns, is read as ordinary text ("For example: ...") unless it is in
    ``known`` (the interviewer labels), and a warning names its line.
    """
    cols, warnings = turn_columns(text, body_start, speakers=speakers, known=known)
    return [Turn(*t) for t in zip(*cols)], warnings


# a speaker line found from the newline before it, the newline included in group 1
_HEAD = re.compile("(\n" + SPEAKER_BODY + ")", re.MULTILINE)
# the same lines as one group each (no group inside), for re.split: the parts of a line (label,
# time stamp) are read once per distinct line with _HEAD; on text that is all ASCII, the faster
# form (str.isascii() takes no time: CPython knows it of every string)
_HEADS = re.compile("(\n" + SPEAKER_HEAD + ")", re.MULTILINE)
_HEADS_ASCII = re.compile("(\n" + SPEAKER_HEAD_ASCII + ")", re.MULTILINE)


def turn_columns(text: str, body_start: int = 0, *, speakers: set[str] | None = None,
                 known: set[str] | frozenset[str] = frozenset()) -> tuple[TurnColumns, list[str]]:
    """:func:`find_turns` as columns. The speaker lines are found in one pass of the regex
    engine, which jumps from newline to newline (``re.split`` at the newline before a speaker
    line); a turn's text is what lies between one speaker line and the next, without the
    whitespace around it. The work per turn is done by C loops (``map`` over the pieces); the
    decisions about labels are taken once per distinct speaker line."""
    # the body, behind the newline that precedes its first line (or a character that is not a
    # newline when the body does not start a line: then its first line is no speaker line)
    base = body_start - 1               # where src[0] lies in text
    if body_start == 0:
        src = "\n" + text
    elif text[base] == "\n":
        src = text[base:]
    else:
        src = "\x00" + text[body_start:]
    pieces = (_HEADS_ASCII if text.isascii() else _HEADS).split(src)
    chunks = pieces[0::2]               # the text before the first speaker line, then each turn
    heads = pieces[1::2]                # the speaker lines, each with the newline before it
    n = len(heads)
    # bounds: [base, start of speaker line 0 (its newline), its end, start of line 1, ...]
    lengths = list(map(len, pieces))
    bounds = list(accumulate(lengths, initial=base))
    head_ends = bounds[2:2 * n + 1:2]
    # label and time stamp, read once per distinct speaker line
    head_counts = Counter(heads)
    one: dict[str, str] = {}            # one string object per distinct label
    label_of: dict[str, str] = {}
    stamp_of: dict[str, str | None] = {}
    for h in head_counts:
        m = _HEAD.match(h)
        assert m is not None            # the same line (see _HEADS)
        lab = m["label"].strip()
        label_of[h] = one.setdefault(lab, lab)
        stamp_of[h] = norm_timestamp(m["ts"])
    labels = list(map(label_of.__getitem__, heads))
    stamps: list[str | None] = list(map(stamp_of.__getitem__, heads)) \
        if any(stamp_of.values()) else [None] * n
    # the labels, decided once per distinct label: too many words, casefold
    fold = {lab: lab.casefold() for lab in one}
    bad = {lab for lab in one if len(lab.split()) > MAX_LABEL_WORDS}
    counts: Counter[str] = Counter()
    for h, c in head_counts.items():
        if label_of[h] not in bad:
            counts[fold[label_of[h]]] += c
    if speakers:
        bad |= {lab for lab, f in fold.items() if f not in speakers}
    once = {f for f, c in counts.items() if c == 1} - set(known) \
        if not speakers and sum(1 for c in counts.values() if c >= 2) >= 2 else set()
    warnings: list[str] = []
    if bad or once:
        # some speaker lines do not start a turn: they are text of the turn before
        line_starts = [b + 1 for b in bounds[1:2 * n:2]]
        keep = [lab not in bad for lab in labels]
        if once:
            line, counted_to = 1, 0     # line numbers counted as we go: linear in the text
            for i, lab in enumerate(labels):
                if keep[i] and fold[lab] in once:
                    keep[i] = False
                    line += text.count("\n", counted_to, line_starts[i])
                    counted_to = line_starts[i]
                    warnings.append(f"line {line}: '{lab}:' occurs once, read as text, "
                                    "not as a speaker (list the speakers in front matter "
                                    "'speakers:' to override)")
        line_starts = [v for v, k in zip(line_starts, keep) if k]
        head_ends = [v for v, k in zip(head_ends, keep) if k]
        labels = [v for v, k in zip(labels, keep) if k]
        stamps = [v for v, k in zip(stamps, keep) if k]
        stops = line_starts[1:] + [len(text)]
        spans = [strip_span(text, a, b) for a, b in zip(head_ends, stops)]
        starts = [a if a < b else e for (a, b), e in zip(spans, head_ends)]
        ends = [b if a < b else e for (a, b), e in zip(spans, head_ends)]
        first = line_starts[0] if line_starts else len(text)
    else:
        # every speaker line starts a turn: a turn's text is the chunk after its line
        turns = chunks[1:]
        kept = list(map(len, map(str.lstrip, turns)))      # without leading whitespace
        ends = list(map(add, head_ends, map(len, map(str.rstrip, turns))))
        if 0 in kept:   # a turn of only whitespace: an empty turn right after its label
            starts = [e + n_all - k if k else e
                      for e, n_all, k in zip(head_ends, lengths[2::2], kept)]
        else:
            starts = list(map(sub, map(add, head_ends, lengths[2::2]), kept))
        first = bounds[1] + 1 if n else len(text)
    out = TurnColumns(list[str | None](labels), stamps, starts, ends)
    pre_s, pre_e = strip_span(text, body_start, first)
    if pre_e > pre_s:
        out = TurnColumns([None, *labels], [None, *stamps], [pre_s, *starts], [pre_e, *ends])
        if not labels:
            warnings.append("no speaker line found ('Name: text'); the whole text is one segment")
    return out, warnings


_LINE = re.compile(r"[^\n]+")


def paragraph_turns(text: str, body_start: int = 0) -> list[Turn]:
    """Every non-empty line of ``text[body_start:]`` as one unlabelled turn (front matter
    ``segments: paragraphs``): a word processor's paragraph is one line of plain text."""
    turns = []
    for m in _LINE.finditer(text, body_start):
        s, e = strip_span(text, m.start(), m.end())
        if e > s:
            turns.append(Turn(None, None, s, e))
    return turns


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
