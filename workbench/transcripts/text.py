"""Plain text and Markdown transcripts: optional YAML front matter, then speaker turns.

A line ``Speaker: text`` starts a turn; the forms ``**Speaker:** text``, ``**Speaker**: text``
and ``[00:01:23] Speaker: text`` are recognised too (:mod:`.lines`). Following lines belong to the
same turn until the next speaker line. Offsets index the normalized text of the whole file (front
matter included), so that a coding's offsets point straight into the file as the user sees it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import TranscriptError, yaml_error_location
from .lines import SPEAKER_LINE, decode, is_paragraph_mode, load_front_matter, norm_timestamp, normalize, speaker_label

__all__ = ["Turn", "read_text", "split_front_matter", "find_turns", "paragraph_turns", "strip_span",
           "decode", "normalize"]


@dataclass(slots=True)
class Turn:
    speaker: str | None
    timestamp: str | None
    start: int
    end: int


def read_text(path: Path, data: bytes, interviewer_speakers) -> tuple[dict, str, list, list[str]]:
    """(front matter, normalized text, turns as (speaker, timestamp, start, end), warnings) of a
    .txt/.md file."""
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
        turns, warnings = paragraph_turns(text, body), list[str]()
    else:
        turns, warnings = find_turns(text, body, speakers=declared, known=known)
    spans = [(t.speaker, t.timestamp, t.start, t.end) for t in turns]
    if not spans:
        if body:
            raise TranscriptError("the transcript has front matter but no text", file=path,
                                  hint="add the interview below the closing '---'")
        raise TranscriptError("the file is empty", file=path,
                              hint="add the interview text, or remove the file")
    return meta, text, spans, warnings


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


def find_turns(text: str, body_start: int = 0, *, speakers: set[str] | None = None,
               known: set[str] | frozenset[str] = frozenset()) -> tuple[list[Turn], list[str]]:
    """Split ``text[body_start:]`` into speaker turns. Returns turns and warnings.

    ``speakers`` (casefolded; from front matter ``speakers:``) is authoritative when given: only
    those labels start turns. Otherwise a label seen only once, in a transcript where other
    speakers take several turns, is read as ordinary text ("For example: ...") unless it is in
    ``known`` (the interviewer labels), and a warning names its line.
    """
    warnings: list[str] = []
    heads = []
    for m in SPEAKER_LINE.finditer(text, body_start):
        label = speaker_label(m)
        if label is not None:
            heads.append((m, label))
    if speakers:
        heads = [(m, lab) for m, lab in heads if lab.casefold() in speakers]
    elif heads:
        counts: dict[str, int] = {}
        for _, lab in heads:
            counts[lab.casefold()] = counts.get(lab.casefold(), 0) + 1
        if sum(1 for c in counts.values() if c >= 2) >= 2:
            kept = []
            line, counted_to = 1, 0     # line numbers counted as we go: linear in the text
            for m, lab in heads:
                if counts[lab.casefold()] == 1 and lab.casefold() not in known:
                    line += text.count("\n", counted_to, m.start())
                    counted_to = m.start()
                    warnings.append(f"line {line}: '{lab}:' occurs once, read as text, not as a "
                                    "speaker (list the speakers in front matter 'speakers:' to "
                                    "override)")
                else:
                    kept.append((m, lab))
            heads = kept
    turns: list[Turn] = []
    first = heads[0][0].start() if heads else len(text)
    pre_s, pre_e = strip_span(text, body_start, first)
    if pre_e > pre_s:
        turns.append(Turn(None, None, pre_s, pre_e))
        if not heads:
            warnings.append("no speaker line found ('Name: text'); the whole text is one segment")
    for i, (m, label) in enumerate(heads):
        stop = heads[i + 1][0].start() if i + 1 < len(heads) else len(text)
        s, e = strip_span(text, m.end(), stop)
        if e <= s:  # a speaker line with nothing said: an empty segment right after the label
            s = e = m.end()
        turns.append(Turn(label, norm_timestamp(m.group("ts")), s, e))
    return turns, warnings


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
