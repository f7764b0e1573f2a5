"""Text that leaves the workbench as spreadsheet cells and as file or sheet names: untrusted
(quotes, memos, code names, attribute names all come from the project's files), so

* :func:`risky` / :func:`csv_safe`: a cell a spreadsheet could read as a formula (it begins with
  ``= + - @`` or a control character, also after leading spaces) gets a leading ``'`` in CSV
  (OWASP "CSV injection"); the XLSX writer marks such cells as text with the quote prefix;
* :func:`csv_line`: a cell holding a comma, a quote, a line break or any other control character
  is quoted (RFC 4180), so no reader splits it into a new row (a bare carriage return included);
* :func:`safe_table_name`: a table name becomes a file or sheet name only as letters, digits,
  ``_``, ``-`` and ``.`` -- never a path.
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
