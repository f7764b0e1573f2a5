"""Word (.docx) transcripts: each non-empty paragraph (or line of a paragraph, when it holds soft
line breaks) is a line; the plain-text turn rules apply (a line ``Speaker: text`` starts a turn,
other lines continue it). Optional front matter: the first paragraphs ``---`` … ``---``. Error
messages give the paragraph number as the line. The text is rendered as in ``rendered.py``."""
from __future__ import annotations

import io
import unicodedata
import zipfile
from pathlib import Path

import yaml

from ..errors import TranscriptError, yaml_error_location
from .lines import SPEAKER_LINE, load_front_matter, norm_timestamp, speaker_label
from .rendered import render_turns

# a Word file is a zip: its parts are checked before anything is unpacked
MAX_DOCUMENT_XML = 64 * 2**20      # the text of a very long interview is a few MiB of XML
MAX_UNPACKED = 256 * 2**20
MAX_MEMBERS = 10_000


def _check_package(path: Path, data: bytes) -> None:
    """Refuse a .docx whose parts would unpack to more than the limits above (a zip bomb, or
    not an interview), before reading any of it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise TranscriptError("not a Word .docx file", file=path,
                              hint="save it from Word as .docx (not .doc or .rtf)") from None
    names = {i.filename: i for i in infos}
    doc = names.get("word/document.xml")
    if doc is None:
        raise TranscriptError("this .docx has no document text (word/document.xml)", file=path,
                              hint="open it in Word and save it again as .docx")
    if (len(infos) > MAX_MEMBERS or doc.file_size > MAX_DOCUMENT_XML
            or sum(i.file_size for i in infos) > MAX_UNPACKED):
        raise TranscriptError(f"this .docx unpacks to more than {MAX_DOCUMENT_XML // 2**20} MiB "
                              "of text, far more than an interview", file=path,
                              hint="split it into one file per interview, or save it as .txt")


def read_docx(path: Path, data: bytes | None = None):
    """Return (attributes, turns, headings): turns are (speaker, timestamp, text); headings the
    lines in a Heading or Title style before the first turn (a title line, see
    ``lines.split_title``)."""
    if data is None:
        data = path.read_bytes()
    _check_package(path, data)
    try:
        import docx  # python-docx
        document = docx.Document(io.BytesIO(data))
        body_paragraphs = [(p.text, (p.style.name if p.style is not None else "") or "")
                           for p in document.paragraphs]
    except zipfile.BadZipFile:
        raise TranscriptError("not a Word .docx file", file=path,
                              hint="save it from Word as .docx (not .doc or .rtf)") from None
    except (KeyError, ValueError, AttributeError, TypeError, IndexError) as e:
        # a document.xml that is not a Word body (<foo/>, no <w:body>): python-docx fails deep
        raise TranscriptError(f"cannot read this Word file ({e.__class__.__name__})", file=path,
                              hint="open it in Word and save it again as .docx") from None
    except Exception as e:  # python-docx raises its own PackageNotFoundError, lxml its own
        if e.__class__.__name__ == "PackageNotFoundError":
            raise TranscriptError("not a Word .docx file", file=path,
                                  hint="save it from Word as .docx (not .doc)") from None
        raise TranscriptError(f"cannot read this Word file ({e.__class__.__name__}: {e})",
                              file=path, hint="open it in Word and save it again as .docx"
                              ) from None
    # every line of every paragraph (a soft line break inside a paragraph separates lines too),
    # NFC-normalized like the plain-text formats, with its paragraph number for error messages
    paras: list[str] = []
    numbers: list[int] = []
    heading: list[bool] = []
    for no, (raw, style) in enumerate(body_paragraphs, start=1):
        text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
        for line in text.split("\n"):
            if line.strip():
                paras.append(line.strip())
                numbers.append(no)
                heading.append(style == "Title" or style.startswith("Heading"))
    attributes: dict = {}
    if paras and paras[0] == "---":
        try:
            end = paras.index("---", 1)
        except ValueError:
            raise TranscriptError("front matter starts with '---' but has no closing '---'",
                                  file=path, line=numbers[0],
                                  hint="add a paragraph '---' after the attributes") from None
        try:
            front = load_front_matter("\n".join(paras[1:end])) if end > 1 else {}
        except yaml.YAMLError as e:
            yline, problem = yaml_error_location(e)
            err_line = numbers[min(yline, end - 1)] if yline is not None else numbers[0]
            raise TranscriptError(f"front matter is not valid YAML ({problem})", file=path,
                                  line=err_line, hint="write attributes as 'key: value' paragraphs"
                                  ) from None
        if front is None:
            front = {}
        if not isinstance(front, dict):
            raise TranscriptError("front matter is not a mapping of 'key: value' lines",
                                  file=path, line=numbers[1] if end > 1 else numbers[0],
                                  hint="write attributes as 'key: value' paragraphs")
        attributes = front
        paras, heading = paras[end + 1:], heading[end + 1:]
    turns: list[list] = []
    headings: set[str] = set()
    for para, is_heading in zip(paras, heading):
        # a heading ("Interview P05: Kaluga") is never a speaker line
        m = None if is_heading else SPEAKER_LINE.match(para)
        label = speaker_label(m) if m else None
        if is_heading and not turns:
            headings.add(para)
        if m is not None and label is not None:
            turns.append([label, norm_timestamp(m.group("ts")), para[m.end():].strip()])
        elif turns:
            turns[-1][2] += "\n" + para
        else:
            turns.append([None, None, para])
    return attributes, [tuple(t) for t in turns], headings


def render_docx(path: Path, data: bytes | None = None):
    attributes, turns, headings = read_docx(path, data)
    text, spans = render_turns(turns)
    return attributes, text, spans, headings
