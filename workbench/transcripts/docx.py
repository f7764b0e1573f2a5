"""Word (.docx) transcripts: each non-empty paragraph is a line; the plain-text turn rules apply
(a paragraph ``Speaker: text`` starts a turn, other paragraphs continue it). Optional front
matter: the first paragraphs ``---`` … ``---``. The text is rendered as in ``rendered.py``."""
from __future__ import annotations

import zipfile
from pathlib import Path

import yaml

from ..errors import TranscriptError
from .rendered import render_turns
from .text import SPEAKER_LINE, _label, _norm_ts


def read_docx(path: Path):
    """Return (attributes, turns) where turns are (speaker, timestamp, text)."""
    try:
        import docx  # python-docx
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise TranscriptError(f"cannot read this Word file ({e.__class__.__name__})", file=path,
                              hint="open it in Word and save it again as .docx") from None
    except Exception as e:  # python-docx raises its own PackageNotFoundError
        if e.__class__.__name__ == "PackageNotFoundError":
            raise TranscriptError("not a Word .docx file", file=path,
                                  hint="save it from Word as .docx (not .doc)") from None
        raise
    paras = [p.text.replace("\r", "\n").strip() for p in document.paragraphs]
    paras = [p for p in paras if p]
    attributes: dict = {}
    if paras and paras[0] == "---":
        try:
            end = paras.index("---", 1)
        except ValueError:
            raise TranscriptError("front matter starts with '---' but has no closing '---'",
                                  file=path, line=1) from None
        data = yaml.safe_load("\n".join(paras[1:end])) or {}
        if not isinstance(data, dict):
            raise TranscriptError("front matter is not a mapping of 'key: value' lines",
                                  file=path, line=2)
        attributes = data
        paras = paras[end + 1:]
    turns: list[list] = []
    for para in paras:
        m = SPEAKER_LINE.match(para)
        label = _label(m) if m else None
        if label is not None:
            turns.append([label, _norm_ts(m.group("ts")), para[m.end():].strip()])
        elif turns:
            turns[-1][2] += "\n" + para
        else:
            turns.append([None, None, para])
    return attributes, [tuple(t) for t in turns]


def render_docx(path: Path):
    attributes, turns = read_docx(path)
    text, spans = render_turns(turns)
    return attributes, text, spans
