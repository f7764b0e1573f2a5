"""Plain text and Markdown transcripts: optional YAML front matter, then speaker turns.

A line ``Speaker: text`` starts a turn; the forms ``**Speaker:** text``, ``**Speaker**: text``
and ``[00:01:23] Speaker: text`` are recognised too. Following lines belong to the same turn
until the next speaker line. Offsets index the normalized text of the whole file (front matter
included), so that a coding's offsets point straight into the file as the user sees it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import yaml

from ..errors import TranscriptError, yaml_error_location

# A speaker label: up to ~40 characters of letters (any script), digits, spaces, dots, hyphens,
# apostrophes; it starts with a letter and has at most five words, so that a sentence with a
# colon in it ("For example: ...") is not taken for a speaker.
_LABEL = r"[^\W\d_](?:[\w .'’\-]{0,39}?)"
_TS = r"(?:[\[(](?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]\s*)"
SPEAKER_LINE = re.compile(
    rf"^[ \t]*{_TS}?(?:\*\*(?P<l1>{_LABEL})(?::\*\*|\*\*:)|(?P<l2>{_LABEL}):)(?=[ \t]|$)[ \t]*",
    re.MULTILINE,
)
_MAX_LABEL_WORDS = 5
# libyaml's safe loader when available: ten times faster on front matter
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterLoader(_YAML_LOADER):
    """Front matter values are text as written: YAML 1.1 would turn ``time: 10:30`` into 630,
    ``consent: no`` into False and ``id: 007`` into 7. Only null (``~``, empty) is resolved;
    lists and mappings load as usual."""

    yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag == "tag:yaml.org,2002:null"]
        for ch, resolvers in _YAML_LOADER.yaml_implicit_resolvers.items()
    }


@dataclass(slots=True)
class Turn:
    speaker: str | None
    timestamp: str | None
    start: int
    end: int


def normalize(raw: str) -> str:
    """The normalized text offsets refer to: BOM stripped, CRLF/CR → LF, NFC."""
    if raw.startswith("\ufeff"):
        raw = raw[1:]
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", raw)


_UTF16_32_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                  (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def _line_of_byte(data: bytes, offset: int) -> int:
    """1-based line of byte ``offset``; ``\r\n``, ``\n`` and a lone ``\r`` each end a line."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def decode(data: bytes, path) -> str:
    """Decode UTF-8 strictly; binary or undecodable files raise a TranscriptError."""
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise TranscriptError("the file is empty", file=path,
                              hint="add the interview text, or remove the file")
    for bom, name in _UTF16_32_BOMS:
        if data.startswith(bom):
            raise TranscriptError(f"the file is encoded as {name}, not UTF-8", file=path, line=1,
                                  hint="re-save the file with UTF-8 encoding (in Notepad: "
                                       "Save As → Encoding: UTF-8)")
    if b"\x00" in data[:8192]:
        raise TranscriptError("this looks like a binary file, not a text transcript", file=path,
                              hint="save the transcript as .txt, .md, .docx, .vtt or .srt")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = _line_of_byte(data, e.start)
        raise TranscriptError(
            f"invalid UTF-8 at byte offset {e.start} (line {line})", file=path, line=line,
            hint="re-save the file with UTF-8 encoding (in Word: Save As → Plain Text → UTF-8)",
        ) from None


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
        data = yaml.load(block, Loader=FrontMatterLoader) if block.strip() else {}  # noqa: S506
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


def _label(m: re.Match) -> str | None:
    label = (m.group("l1") or m.group("l2") or "").strip()
    if not label or len(label.split()) > _MAX_LABEL_WORDS:
        return None
    return label


def find_turns(text: str, body_start: int = 0, *, speakers: set[str] | None = None,
               known: set[str] = frozenset()) -> tuple[list[Turn], list[str]]:
    """Split ``text[body_start:]`` into speaker turns. Returns turns and warnings.

    ``speakers`` (casefolded; from front matter ``speakers:``) is authoritative when given: only
    those labels start turns. Otherwise a label seen only once, in a transcript where other
    speakers take several turns, is read as ordinary text ("For example: ...") unless it is in
    ``known`` (the interviewer labels), and a warning names its line.
    """
    warnings: list[str] = []
    heads = []
    for m in SPEAKER_LINE.finditer(text, body_start):
        label = _label(m)
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
            for m, lab in heads:
                if counts[lab.casefold()] == 1 and lab.casefold() not in known:
                    line = text.count("\n", 0, m.start()) + 1
                    warnings.append(f"line {line}: '{lab}:' occurs once, read as text, not as a "
                                    "speaker (list the speakers in front matter 'speakers:' to "
                                    "override)")
                else:
                    kept.append((m, lab))
            heads = kept
    turns: list[Turn] = []
    first = heads[0][0].start() if heads else len(text)
    pre_s, pre_e = _strip_span(text, body_start, first)
    if pre_e > pre_s:
        turns.append(Turn(None, None, pre_s, pre_e))
        if heads:
            warnings.append("text before the first speaker line is kept as an unlabelled segment")
        else:
            warnings.append("no speaker line found ('Name: text'); the whole text is one segment")
    for i, (m, label) in enumerate(heads):
        stop = heads[i + 1][0].start() if i + 1 < len(heads) else len(text)
        s, e = _strip_span(text, m.end(), stop)
        if e <= s:  # a speaker line with nothing said: an empty segment right after the label
            s = e = m.end()
        turns.append(Turn(label, _norm_ts(m.group("ts")), s, e))
    return turns, warnings


_LINE = re.compile(r"[^\n]+")


def paragraph_turns(text: str, body_start: int = 0) -> list[Turn]:
    """Every non-empty line of ``text[body_start:]`` as one unlabelled turn (front matter
    ``segments: paragraphs``): a word processor's paragraph is one line of plain text."""
    turns = []
    for m in _LINE.finditer(text, body_start):
        s, e = _strip_span(text, m.start(), m.end())
        if e > s:
            turns.append(Turn(None, None, s, e))
    return turns


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _norm_ts(ts: str | None) -> str | None:
    if not ts:
        return None
    ts = re.split(r"[.,]", ts)[0]
    parts = ts.split(":")
    if len(parts) == 2:
        parts = ["00", *parts]
    return ":".join(p.zfill(2) for p in parts)
