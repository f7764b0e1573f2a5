"""Transcript import: plain text / Markdown, Word (.docx), WebVTT and SRT.

``load_transcript(path, interviewer_speakers=...)`` returns a :class:`Transcript`. One module per
format: ``text.py`` (txt/md), ``docx.py``, ``subtitles.py`` (vtt/srt); ``lines.py`` holds what
they share and ``rendered.py`` how the text of docx/vtt/srt is rendered (and so how offsets are
counted in each format).
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ..errors import TranscriptError
from .lines import is_paragraph_mode, split_title
from .model import INTERVIEWEE, INTERVIEWER, Segment, Transcript, classify_role, segment_index_for

FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".docx": "docx", ".vtt": "vtt",
           ".srt": "srt"}
# English and Russian (the reference study was run in Russian) interviewer labels
DEFAULT_INTERVIEWER_SPEAKERS = ("Interviewer", "Moderator", "I", "Q", "Интервьюер", "Модератор",
                                "Вопрос", "В")
# a transcript file larger than this is refused (an interview of several hours is ~1 MiB)
MAX_TRANSCRIPT_BYTES = 32 * 2**20

__all__ = ["Segment", "Transcript", "load_transcript", "FORMATS", "INTERVIEWER", "INTERVIEWEE",
           "DEFAULT_INTERVIEWER_SPEAKERS", "MAX_TRANSCRIPT_BYTES", "is_transcript_file",
           "segment_index_for"]


def is_transcript_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in FORMATS and not path.name.startswith(".")


def _attr_value(v) -> str:
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return "" if v is None else str(v)


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
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(f"is {len(data) / 2**20:.0f} MiB; transcripts larger than "
                              f"{MAX_TRANSCRIPT_BYTES // 2**20} MiB are refused", file=path,
                              hint="split it into one file per interview")
    warnings: list[str] = []
    title = note = None
    if fmt in ("txt", "md"):
        from .text import read_text
        meta, text, spans, warnings = read_text(path, data, interviewer_speakers)
        spans, title, note = split_title(text, spans)
    elif fmt == "docx":
        from .docx import render_docx
        meta, text, spans, headings = render_docx(path, data)
        if not spans:
            raise TranscriptError("the Word file has no text", file=path)
        if all(s[0] is None for s in spans):
            warnings.append("no speaker line found ('Name: text'); the whole text is one segment")
        spans, title, note = split_title(text, spans, headings)
    else:
        from .subtitles import render_subtitles
        meta, text, spans = render_subtitles(path, fmt, data)
        if not spans:
            raise TranscriptError(f"the {fmt.upper()} file has no text", file=path)
    if len(spans) > 1 and spans[0][0] is None and any(s[0] is not None for s in spans[1:]):
        warnings.append("text before the first speaker line is kept as an unlabelled segment "
                        "(role interviewee: code it only if the interviewee said it)")
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
                      segments=segments, warnings=warnings, title=title, title_note=note)
