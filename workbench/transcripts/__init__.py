"""Transcript import: plain text / Markdown, Word (.docx), WebVTT and SRT.

``load_transcript(path, interviewer_speakers=...)`` returns a :class:`Transcript`. One module per
format: ``text.py`` (txt/md), ``docx.py``, ``subtitles.py`` (vtt/srt); ``lines.py`` holds what
they share and ``rendered.py`` how the text of docx/vtt/srt is rendered (and so how offsets are
counted in each format).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
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

__all__ = ["Segment", "Transcript", "TranscriptScan", "load_transcript", "scan_transcript",
           "FORMATS", "INTERVIEWER", "INTERVIEWEE", "DEFAULT_INTERVIEWER_SPEAKERS",
           "MAX_TRANSCRIPT_BYTES", "is_transcript_file", "segment_index_for"]


def is_transcript_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in FORMATS and not path.name.startswith(".")


def _attr_value(v) -> str:
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return "" if v is None else str(v)


@dataclass(slots=True)
class TranscriptScan:
    """A parsed file before it is cut into :class:`Segment` objects: its turns as columns
    (speaker, time stamp, start, end, and the role letter ``I``/``E`` of each). The catalog keeps
    these; :meth:`transcript` makes the :class:`Transcript`."""

    id: str
    path: Path
    format: str
    text: str
    attributes: dict[str, str]      # the file's own (front matter)
    speakers: list[str | None]
    timestamps: list[str | None]
    starts: list[int]
    ends: list[int]
    roles: str
    warnings: list[str]
    title: str | None = None        # a title line: in the text, not a turn (lines.split_title)
    title_note: str | None = None   # what import did with it, for people

    def transcript(self, attributes: dict[str, str] | None = None) -> Transcript:
        """The Transcript, with ``attributes`` (default: the file's own)."""
        tid, text = self.id, self.text
        segments = [Segment(tid, i, spk, INTERVIEWER if r == "I" else INTERVIEWEE, s, e,
                            text[s:e], ts)
                    for i, (spk, ts, s, e, r) in enumerate(zip(self.speakers, self.timestamps,
                                                               self.starts, self.ends,
                                                               self.roles))]
        return Transcript(id=tid, path=self.path, format=self.format, text=text,
                          attributes=dict(self.attributes if attributes is None else attributes),
                          segments=segments, warnings=self.warnings, title=self.title,
                          title_note=self.title_note)


def load_transcript(path: str | Path, *, interviewer_speakers=DEFAULT_INTERVIEWER_SPEAKERS,
                    extra_attributes: dict | None = None, data: bytes | None = None) -> Transcript:
    """Parse one transcript file.

    ``extra_attributes`` (e.g. from ``transcripts/attributes.csv``) are defaults that the file's
    own front matter overrides. ``data``: the file's bytes when the caller has read them already
    (the format still comes from ``path``'s extension).
    """
    scan = scan_transcript(path, interviewer_speakers=interviewer_speakers, data=data)
    attributes = {k: _attr_value(v) for k, v in (extra_attributes or {}).items()}
    attributes.update(scan.attributes)
    return scan.transcript(attributes)


def scan_transcript(path: str | Path, *, interviewer_speakers=DEFAULT_INTERVIEWER_SPEAKERS,
                    data: bytes | None = None) -> TranscriptScan:
    """Parse one transcript file into a :class:`TranscriptScan` (see :func:`load_transcript`)."""
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
        from .text import scan_text
        meta, text, cols, warnings = scan_text(path, data, interviewer_speakers)
        speakers, stamps, starts, ends = cols
        if len(speakers) > 1 and speakers[0] is None:     # perhaps a title line first
            spans, title, note = split_title(text, list(zip(*cols)))
            if title is not None:
                speakers, stamps, starts, ends = (list(c) for c in zip(*spans))
    else:
        if fmt == "docx":
            from .docx import render_docx
            meta, text, spans, headings = render_docx(path, data)
            if not spans:
                raise TranscriptError("the Word file has no text", file=path)
            if all(s[0] is None for s in spans):
                warnings.append("no speaker line found ('Name: text'); the whole text is one "
                                "segment")
            spans, title, note = split_title(text, spans, headings)
        else:
            from .subtitles import render_subtitles
            meta, text, spans = render_subtitles(path, fmt, data)
            if not spans:
                raise TranscriptError(f"the {fmt.upper()} file has no text", file=path)
        one: dict[str | None, str | None] = {}   # one object per distinct speaker (kept by the catalog)
        speakers = [one.setdefault(sp[0], sp[0]) for sp in spans]
        stamps = [sp[1] for sp in spans]
        starts = [sp[2] for sp in spans]
        ends = [sp[3] for sp in spans]
    if len(speakers) > 1 and speakers[0] is None and any(s is not None for s in speakers[1:]):
        warnings.append("text before the first speaker line is kept as an unlabelled segment "
                        "(role interviewee: code it only if the interviewee said it)")
    tid = str(meta["id"]).strip() if meta.get("id") is not None else ""
    tid = tid or path.stem
    attributes = {str(k): _attr_value(v) for k, v in meta.items()
                  if k != "id" and not (k == "segments" and is_paragraph_mode(meta))}
    labels = {s.casefold() for s in interviewer_speakers}
    named = meta.get("interviewer")
    if named:
        labels |= {str(x).strip().casefold() for x in (named if isinstance(named, list) else [named])}
    letter = {spk: "I" if classify_role(spk, labels) == INTERVIEWER else "E"
              for spk in set(speakers)}
    roles = "".join(map(letter.__getitem__, speakers))
    return TranscriptScan(id=tid, path=path, format=fmt, text=text, attributes=attributes,
                          speakers=speakers, timestamps=stamps, starts=starts, ends=ends,
                          roles=roles, warnings=warnings, title=title, title_note=note)
