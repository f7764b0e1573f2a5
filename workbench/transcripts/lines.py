"""Helpers every transcript parser shares: decoding and normalizing text, recognising a
speaker line (``Speaker: text``, ``**Speaker:** text``, ``[00:01:23] Speaker: text``), reading
its label and time stamp, and the YAML loader for front matter."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from .. import yamlsafe
from ..errors import TranscriptError

# A speaker label: up to ~40 characters of letters (any script), digits, spaces, dots, hyphens,
# apostrophes; it starts with a letter and has at most five words, so that a sentence with a
# colon in it ("For example: ...") is not taken for a speaker.
# (possessive: a label ends at the first character that cannot be in one, so there is nothing
# to backtrack into, and the regex engine does not try)
_LABEL = r"[^\W\d_][\w .'’\-]{0,39}+"
# the same label on text that is all ASCII, where ``[^\W\d_]`` is ``[A-Za-z]`` and ``\w`` is
# ``[A-Za-z0-9_]``: the regex engine tests a set of ranges about twice as fast as a category
_LABEL_ASCII = r"[A-Za-z][A-Za-z0-9_ .'\-]{0,39}+"
_TS = r"(?:[\[(](?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]\s*)"


def _speaker_body(label: str) -> str:
    # ``Label:``, ``**Label:**`` or ``**Label**:``: the closing form is required only after an
    # opening ``**`` (a conditional group, so that the label is always the one group ``label``)
    return (rf"[ \t]*{_TS}?(?P<bold>\*\*)?(?P<label>{label})(?(bold)(?::\*\*|\*\*:)|:)"
            r"(?=[ \t]|$)[ \t]*")


def _speaker_head(label: str) -> str:
    """:func:`_speaker_body` without groups (the same lines, the same extent: a conditional
    group written as the alternation it stands for, tried in the same order)."""
    ts = _TS.replace("?P<ts>", "?:")
    return (rf"[ \t]*{ts}?(?:\*\*{label}(?::\*\*|\*\*:)|{label}:)"
            r"(?=[ \t]|$)[ \t]*")


SPEAKER_BODY = _speaker_body(_LABEL)
SPEAKER_HEAD = _speaker_head(_LABEL)               # SPEAKER_BODY without groups
SPEAKER_HEAD_ASCII = _speaker_head(_LABEL_ASCII)   # the same on text that str.isascii()
SPEAKER_LINE = re.compile("^" + SPEAKER_BODY, re.MULTILINE)
MAX_LABEL_WORDS = 5

# libyaml's safe loader when available: ten times faster on front matter
_YAML_LOADER: Any = yamlsafe.FAST_LOADER


class FrontMatterLoader(_YAML_LOADER):
    """Front matter values are text as written: YAML 1.1 would turn ``time: 10:30`` into 630,
    ``consent: no`` into False and ``id: 007`` into 7. Only null (``~``, empty) is resolved;
    lists and mappings load as usual."""

    yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag == "tag:yaml.org,2002:null"]
        for ch, resolvers in _YAML_LOADER.yaml_implicit_resolvers.items()
    }


# the same rules for front matter that may hold aliases or deep nesting (see workbench.yamlsafe)
CheckingFrontMatterLoader = yamlsafe.guarded(type("FrontMatterPyLoader", (yaml.SafeLoader,), {
    "yaml_implicit_resolvers": FrontMatterLoader.yaml_implicit_resolvers}))


def is_paragraph_mode(meta: dict) -> bool:
    """Front matter ``segments: paragraphs``: every non-empty line is one unlabelled segment
    (text without speaker labels, e.g. imported from another QDA program)."""
    return str(meta.get("segments") or "").strip().casefold() == "paragraphs"


def load_front_matter(block: str):
    """The YAML of a front-matter block, values as written (see :class:`FrontMatterLoader`).
    A block of plain ``key: value`` lines (the usual front matter) is read without the YAML
    parser (:func:`simple_front_matter`), to the same result."""
    simple = simple_front_matter(block)
    if simple is not None:
        return simple
    return yamlsafe.load(block, FrontMatterLoader, CheckingFrontMatterLoader)


# A line ``key: value`` whose YAML reading cannot be anything but that string (or null): the key
# a word, the value starting with a letter, digit or '(' and holding only letters, digits,
# spaces and ``.,()/+'’"-``, and colons followed by something else than a space ('10:30'). No
# '#', tabs, brackets, quotes first, or anything else YAML gives a meaning to ('~' is null).
_SIMPLE_LINE = re.compile(
    r"([^\W\d][\w-]*):(?:[ ]+(~|[\w(](?:[\w .,()/+'’\"-]|:(?=[^\s]))*?))?[ ]*")
_NULLS = {"~", "null", "Null", "NULL"}


def simple_front_matter(block: str) -> dict | None:
    """``block`` as :func:`load_front_matter` reads it when every line is a plain
    ``key: value`` line (or empty); None when it is not that simple (or holds no key)."""
    out: dict = {}
    match = _SIMPLE_LINE.fullmatch
    for line in block.split("\n"):
        if not line:
            continue
        m = match(line)
        if m is None:
            return None
        key, value = m.groups()
        if key in _NULLS:
            return None
        out[key] = None if value is None or value in _NULLS else value
    return out or None


def normalize(raw: str) -> str:
    """The normalized text offsets refer to: BOM stripped, CRLF/CR → LF, NFC."""
    if raw.startswith("\ufeff"):
        raw = raw[1:]
    if "\r" in raw:
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


def speaker_label(m: re.Match) -> str | None:
    label = (m.group("label") or "").strip()
    if not label or len(label.split()) > MAX_LABEL_WORDS:
        return None
    return label


# a title line: a Markdown heading, a Word heading, or one short line without a full stop
TITLE_MAX_WORDS = 15
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+\S")


def split_title(text: str, spans: list, headings: frozenset[str] | set[str] = frozenset()):
    """Take a title line off the front of a transcript: returns ``(spans, title, note)``.

    When the first span has no speaker and speaker turns follow, its first line is a title —
    not a turn, so it is neither coded nor counted — if it is a Markdown heading (``# …``), a
    Word heading (its text in ``headings``), or the span's only line and short (at most
    :data:`TITLE_MAX_WORDS` words, not ending like a sentence). The title stays in the text
    (offsets do not move); what follows it before the first speaker stays an unlabelled span.
    ``title`` is the line without Markdown's ``#``; ``note`` says what import did with it."""
    if len(spans) < 2 or spans[0][0] is not None or all(s[0] is None for s in spans[1:]):
        return spans, None, None     # no speaker turns follow (or paragraph mode): no title
    _, _, start, end = spans[0]
    block = text[start:end]
    line = block.split("\n", 1)[0].strip()
    heading = bool(_MD_HEADING.match(line)) or line in headings
    single = "\n" not in block.strip()
    short = (len(line.split()) <= TITLE_MAX_WORDS and not line.endswith((".", "?", "!", "…", ",", ";", ":"))
             and any(ch.isalpha() for ch in line))
    if not line or not (heading or (single and short)):
        return spans, None, None
    title = line.lstrip("#").strip() if _MD_HEADING.match(line) else line
    rest = start + block.index(line) + len(line)
    while rest < end and text[rest].isspace():
        rest += 1
    line_no = text.count("\n", 0, start) + 1
    kept = ([(None, spans[0][1], rest, end)] if rest < end else []) + list(spans[1:])
    return kept, title, (f"line {line_no}: “{title}” is the title, not a turn (kept in the "
                         "text; not coded or counted)")


def norm_timestamp(ts: str | None) -> str | None:
    if not ts:
        return None
    ts = re.split(r"[.,]", ts)[0]
    parts = ts.split(":")
    if len(parts) == 2:
        parts = ["00", *parts]
    return ":".join(p.zfill(2) for p in parts)
