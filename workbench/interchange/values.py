"""Reading REFI-QDA values: XML (through defusedxml: no DTD, no entities), xsd:dateTime, colours
in the notations producers use, whole numbers, and the bytes of a text file."""
from __future__ import annotations

import datetime as _dt
import io
import re
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from ..errors import InterchangeError


def parse_xml(data: bytes, file) -> Element:
    """The root element of ``data``; an :class:`InterchangeError` for anything not well-formed
    or using DTDs/entities (never needed by REFI-QDA, refused for safety)."""
    try:
        return DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as e:
        raise InterchangeError(f"the XML uses a DTD or entities, which REFI-QDA files never "
                               f"need: refused for safety ({e.__class__.__name__})", file=file,
                               hint="export the file again from its QDA program") from None
    except ParseError as e:
        line = getattr(e, "position", (None,))[0]
        raise InterchangeError(f"not well-formed XML ({e})", file=file, line=line,
                               hint="the file is damaged; export it again") from None
    except (ValueError, LookupError, UnicodeError, OverflowError) as e:
        raise InterchangeError(f"not readable XML ({e.__class__.__name__}: {e})", file=file,
                               hint="the file is damaged; export it again") from None


def iso_time(value: str | None) -> str | None:
    """An xsd:dateTime as ISO 8601 with time zone (UTC assumed when it has none)."""
    if not value or not value.strip():
        return None
    v = value.strip()
    if v.endswith(("Z", "z")):
        v = v[:-1] + "+00:00"
    try:
        t = _dt.datetime.fromisoformat(v)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.isoformat(timespec="milliseconds")


def norm_color(value: str | None) -> str | None:
    """``#rgb``, ``#rrggbb``, ``#aarrggbb``/``#rrggbbaa`` (alpha dropped), ``rgb(r,g,b)`` →
    ``#rrggbb``; None for anything else."""
    if not value:
        return None
    s = value.strip().lower()
    m = re.fullmatch(r"rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,[^)]*)?\)", s)
    if m:
        rgb = [min(int(x), 255) for x in m.groups()]
        return "#" + "".join(f"{x:02x}" for x in rgb)
    m = re.fullmatch(r"#?([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})", s)
    if not m:
        return None
    h = m.group(1)
    if len(h) == 3:
        return "#" + "".join(c * 2 for c in h)
    if len(h) == 8:   # ARGB (.NET, NVivo) unless the alpha is plainly at the end
        h = h[:6] if h.endswith("ff") and not h.startswith("ff") else h[2:]
    return "#" + h


def to_int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def decode_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, warning): UTF-8 with or without BOM, UTF-16 with BOM; undecodable bytes are
    replaced (with a warning); None for binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and not data.startswith(b"\xff\xfe\x00\x00"):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, "not valid UTF-16"
    data = data.removeprefix(b"\xef\xbb\xbf")
    warning = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        text = data.decode("utf-8", errors="replace")
        warning = (f"not valid UTF-8 (first bad byte at {e.start}): undecodable bytes replaced, "
                   "positions after them may be off")
    if "\x00" in text:
        return None, "binary data, not text"
    return text.removeprefix("\ufeff"), warning


DOCX_MAX = 64 * 1024 ** 2   # unpacked size of a .docx read for its text


def docx_text(data: bytes) -> str | None:
    """The text of a .docx in reading order: a paragraph per line, a table row per line (cells
    separated by tabs). None when it cannot be read."""
    try:
        import zipfile
        with zipfile.ZipFile(io.BytesIO(data)) as z:   # a .docx is a zip too: bound it first
            infos = z.infolist()
            if len(infos) > 1000 or sum(i.file_size for i in infos) > DOCX_MAX:
                return None
        import docx  # python-docx (lxml without entity resolution)
        from docx.table import Table
        lines: list[str] = []
        for block in docx.Document(io.BytesIO(data)).iter_inner_content():
            if isinstance(block, Table):
                lines.extend("\t".join(c.text for c in row.cells) for row in block.rows)
            else:
                lines.append(block.text)
        return "\n".join(lines)
    except Exception:  # any damage inside a .docx: no text from it
        return None
