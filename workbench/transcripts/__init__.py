"""Transcript import: plain text / Markdown, Word (.docx), WebVTT and SRT.

``load_transcript(path, interviewer_speakers=...)`` returns a :class:`Transcript`; see
``text.py`` and ``rendered.py`` for exactly how offsets are counted in each format.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ..errors import TranscriptError
from .model import INTERVIEWEE, INTERVIEWER, Segment, Transcript, classify_role, segment_index_for

FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".docx": "docx", ".vtt": "vtt",
           ".srt": "srt"}
# English and Russian (the reference study was run in Russian) interviewer labels
DEFAULT_INTERVIEWER_SPEAKERS = ("Interviewer", "Moderator", "I", "Q", "Интервьюер", "Модератор",
                                "Вопрос", "В")

__all__ = ["Segment", "Transcript", "load_transcript", "FORMATS", "INTERVIEWER", "INTERVIEWEE",
           "DEFAULT_INTERVIEWER_SPEAKERS", "is_transcript_file", "segment_index_for"]


def is_transcript_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in FORMATS and not path.name.startswith(".")


def _attr_value(v) -> str:
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return "" if v is None else str(v)


def is_paragraph_mode(meta: dict) -> bool:
    """Front matter ``segments: paragraphs``: every non-empty line is one unlabelled segment
    (text without speaker labels, e.g. imported from another QDA program)."""
    return str(meta.get("segments") or "").strip().casefold() == "paragraphs"


def load_transcript(path: str | Path, *, interviewer_speakers=DEFAULT_INTERVIEWER_SPEAKERS,
                    extra_attributes: dict | None = None, data: bytes | None = None) -> Transcript:
    """Parse one transcript file.

    ``extra_attributes`` (e.g. from ``transcripts/attributes.csv``) are defaults that the file's
    own front matter overrides. ``data``: the file's bytes when the caller has read them already
    (the format still comes from ``path``'s extension).
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise TranscriptError(f"unsupported file type '{path.suffix}'", file=path,
                              hint="use .txt, .md, .docx, .vtt or .srt")
    if data is None:
        if not path.is_file():
            raise TranscriptError("file not found", file=path)
        data = path.read_bytes()
    warnings: list[str] = []
    if fmt in ("txt", "md"):
        from .text import decode, find_turns, normalize, paragraph_turns, split_front_matter
        text = normalize(decode(data, path))
        meta, body = split_front_matter(text, path)
        paragraphs = is_paragraph_mode(meta)
        declared = meta.get("speakers")
        if isinstance(declared, str):  # 'speakers: Anna, Boris' or a single name
            declared = declared.split(",")
        declared = ({str(x).strip().casefold() for x in declared if str(x).strip()}
                    if isinstance(declared, list) else None) or None
        named = meta.get("interviewer")
        known = {s.casefold() for s in interviewer_speakers} | (
            {str(x).strip().casefold() for x in (named if isinstance(named, list) else [named])}
            if named else set())
        if paragraphs:
            turns = paragraph_turns(text, body)
        else:
            turns, warnings = find_turns(text, body, speakers=declared, known=known)
        spans = [(t.speaker, t.timestamp, t.start, t.end) for t in turns]
        if not spans:
            if body:
                raise TranscriptError("the transcript has front matter but no text", file=path,
                                      hint="add the interview below the closing '---'")
            raise TranscriptError("the file is empty", file=path,
                                  hint="add the interview text, or remove the file")
    elif fmt == "docx":
        from .docx import render_docx
        meta, text, spans = render_docx(path, data)
        if not spans:
            raise TranscriptError("the Word file has no text", file=path)
        if all(s[0] is None for s in spans):
            warnings.append("no speaker line found ('Name: text'); the whole text is one segment")
    else:
        from .subtitles import render_subtitles
        meta, text, spans = render_subtitles(path, fmt, data)
        if not spans:
            raise TranscriptError(f"the {fmt.upper()} file has no text", file=path)
    tid = str(meta["id"]).strip() if meta.get("id") is not None else ""
    tid = tid or path.stem
    attributes = {k: _attr_value(v) for k, v in (extra_attributes or {}).items()}
    attributes.update({str(k): _attr_value(v) for k, v in meta.items()
                       if k != "id" and not (k == "segments" and is_paragraph_mode(meta))})
    labels = {s.casefold() for s in interviewer_speakers}
    named = meta.get("interviewer")
    if named:
        labels |= {str(x).strip().casefold() for x in (named if isinstance(named, list) else [named])}
    segments = [
        Segment(tid, i, spk, classify_role(spk, labels), s, e, text[s:e], ts)
        for i, (spk, ts, s, e) in enumerate(spans)
    ]
    return Transcript(id=tid, path=path, format=fmt, text=text, attributes=attributes,
                      segments=segments, warnings=warnings)
