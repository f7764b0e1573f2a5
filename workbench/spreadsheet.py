"""Text that leaves the workbench as spreadsheet cells and as file or sheet names: untrusted
(quotes, memos, code names, attribute names all come from the project's files), so

* :func:`risky` / :func:`csv_safe`: a cell a spreadsheet could read as a formula (it begins with
  ``= + - @`` or a control character, also after leading spaces) gets a leading ``'`` in CSV
  (OWASP "CSV injection"); the XLSX writer marks such cells as text with the quote prefix;
* :func:`csv_line`: a cell holding a comma, a quote, a line break or any other control character
  is quoted (RFC 4180), so no reader splits it into a new row (a bare carriage return included);
* :func:`safe_table_name`: a table name becomes a file or sheet name only as letters, digits,
  ``_``, ``-`` and ``.`` -- never a path;
* :func:`xlsx_text`: an XLSX text with the characters XML cannot hold replaced by U+FFFD, cut
  to Excel's cell limit (32,767 UTF-16 units) with ``…[truncated]``, and returned as
  :class:`QuotePrefixed` when it must carry Excel's quote-prefix flag (a formula-like text, or
  one starting with ``'``).
"""
from __future__ import annotations

import re

RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NEEDS_QUOTES = re.compile(r'[,"\x00-\x1f\x7f-\x9f\u2028\u2029]')
_UNSAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)
_LEADING_SPACE = re.compile(r"^[\s\u00a0\u3000\x00-\x1f]+")
_FORMULA = frozenset("=+-@")
_ODD_SPACES = frozenset("\u2028\u2029\u3000")


def risky(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: it begins with ``= + - @`` or a
    control character, also after leading spaces."""
    if not text:
        return False
    c = text[0]
    if c in _FORMULA:
        return True
    if "!" <= c <= "~" or (c >= "\xa1" and c not in _ODD_SPACES):
        return False                     # the common case: a letter, digit or sign
    if CONTROL.match(text):
        return True
    return _LEADING_SPACE.sub("", text)[:1] in _FORMULA


def csv_safe(value):
    """OWASP: a string that a spreadsheet could read as a formula gets a leading ``'``."""
    if isinstance(value, str) and risky(value):
        return "'" + value
    return value


def csv_line(cells) -> str:
    """One CSV record (RFC 4180, ``\\n`` at the end): a cell is quoted when it holds a comma, a
    quote, a line break or any other control character, so that no reader splits it."""
    out = []
    for v in cells:
        s = "" if v is None else v if type(v) is str else str(v)
        if NEEDS_QUOTES.search(s):
            s = '"' + s.replace('"', '""') + '"'
        out.append(s)
    return ",".join(out) + "\n"


def safe_table_name(name: str) -> str:
    """A table name usable as a file name and a sheet name: runs of anything but letters,
    digits, ``_``, ``-`` and ``.`` become ``_``; no leading dots; at most 80 characters."""
    s = _UNSAFE_NAME.sub("_", str(name))
    s = re.sub(r"_+", "_", re.sub(r"\.{2,}", "_", s)).strip("._ ") or "table"
    return s[:80]


# ---- XLSX cells --------------------------------------------------------------------------------
#: Excel's limit on a cell's text, in UTF-16 code units.
EXCEL_MAX_CELL = 32767
TRUNCATED = " …[truncated]"
#: Characters an XML 1.0 document cannot hold (C0 controls but tab/LF/CR, lone surrogates,
#: the non-characters U+FFFE/U+FFFF).
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class QuotePrefixed(str):
    """A text to be written as a string cell with Excel's quote-prefix flag (shown unchanged, and
    it stays text when edited)."""

    __slots__ = ()


def xlsx_text(text: str) -> str | QuotePrefixed | None:
    """``text`` as an XLSX string cell: None when empty; characters XML cannot hold replaced by
    U+FFFD; longer than :data:`EXCEL_MAX_CELL` UTF-16 units: cut, ending with
    :data:`TRUNCATED`; a :class:`QuotePrefixed` when a spreadsheet could read it as a formula
    (:func:`risky`) or it starts with ``'``."""
    if not text:
        return None
    if len(text) <= EXCEL_MAX_CELL // 2 and text[0] != "'" and not risky(text) \
            and not NOT_XML.search(text):
        return text                                   # the common case: plain text
    text = NOT_XML.sub("\ufffd", text)
    if len(text) > EXCEL_MAX_CELL // 2:
        units = text.encode("utf-16-le")          # no lone surrogates left: always encodes
        if len(units) > 2 * EXCEL_MAX_CELL:       # cut at a character, never half a pair
            keep = 2 * (EXCEL_MAX_CELL - len(TRUNCATED))
            text = units[:keep].decode("utf-16-le", "ignore") + TRUNCATED
    if risky(text) or text[0] == "'":
        return QuotePrefixed(text)
    return text
