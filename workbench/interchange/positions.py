"""Text positions: a producer's way of counting → code points of our normalized text.

REFI-QDA says positions are Unicode code points of the plain-text file, 0-based (end exclusive
in practice). Real producers differ (see docs/INTERCHANGE.md):

- ``codepoints``  the spec (MAXQDA, QualCoder, qc, Taguette, the workbench);
- ``utf16``       NVivo: UTF-16 code units (an emoji counts 2), CR LF counted as 2;
- ``crlf1``       ATLAS.ti: code points, but CR LF counted as 1;
- ``utf16-crlf1`` both (a fallback candidate when excerpts say so).

A position is first mapped to a code point of the stored text (BOM removed, line ends as
stored), then to our normalized text (CR LF and lone CR → LF, NFC). A position that falls inside
a surrogate pair or between CR and LF is invalid (``None``).
"""
from __future__ import annotations

import bisect
import re
import unicodedata

PROFILES = ("codepoints", "utf16", "crlf1", "utf16-crlf1")
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def producer_of(origin: str | None) -> str:
    """The producer family of an ``origin`` attribute: nvivo, atlasti, maxqda, qualcoder, …"""
    o = (origin or "").casefold()
    for key, name in (("nvivo", "nvivo"), ("atlas", "atlasti"), ("maxqda", "maxqda"),
                      ("qualcoder", "qualcoder"), ("taguette", "taguette"),
                      ("workbench", "workbench"), ("quirkos", "quirkos"), ("transana", "transana")):
        if key in o:
            return name
    if o.startswith("qc "):
        return "qc"
    return "spec"


def default_profile(producer: str) -> str:
    return {"nvivo": "utf16", "atlasti": "crlf1"}.get(producer, "codepoints")


class StoredText:
    """The text of a source as stored (decoded, BOM removed) and the maps from each profile's
    positions to code points of it."""

    def __init__(self, raw: str):
        self.raw = raw
        self._astral = [m.start() for m in _ASTRAL.finditer(raw)]
        self._crlf = [m.start() for m in re.finditer("\r\n", raw)]
        # unit index (UTF-16) of each astral character
        self._astral_units = [a + k for k, a in enumerate(self._astral)]
        self._astral_mid = {u + 1 for u in self._astral_units}
        # producer index (CR LF as one) of each CR LF pair
        self._crlf_p = [c - k for k, c in enumerate(self._crlf)]
        self._collapsed: StoredText | None = None

    def length(self, profile: str) -> int:
        if profile == "codepoints":
            return len(self.raw)
        if profile == "utf16":
            return len(self.raw) + len(self._astral)
        if profile == "crlf1":
            return len(self.raw) - len(self._crlf)
        return self._collapse().length("utf16")

    def _collapse(self) -> StoredText:
        if self._collapsed is None:
            self._collapsed = StoredText(self.raw.replace("\r\n", "\n"))
        return self._collapsed

    def to_raw(self, pos: int, profile: str) -> int | None:
        """Code point index in :attr:`raw` of a position counted the ``profile`` way."""
        if pos < 0 or pos > self.length(profile):
            return None
        if profile == "codepoints":
            return pos
        if profile == "utf16":
            if pos in self._astral_mid:
                return None
            return pos - bisect.bisect_left(self._astral_units, pos)
        if profile == "crlf1":
            return pos + bisect.bisect_left(self._crlf_p, pos)
        collapsed = self._collapse().to_raw(pos, "utf16")
        return None if collapsed is None else self.to_raw(collapsed, "crlf1")


class Normalizer:
    """Our normalized text of a stored text and the map from stored code points to it:
    CR LF → LF, lone CR → LF, then NFC (a composed character maps as a whole)."""

    def __init__(self, raw: str):
        self.raw = raw
        self._crlf = [m.start() for m in re.finditer("\r\n", raw)]
        lf = raw.replace("\r\n", "\n").replace("\r", "\n")
        self._lf_len = len(lf)
        if unicodedata.is_normalized("NFC", lf):
            self.text = lf
            self._map = None
        else:
            self.text, self._map = _nfc_map(lf)

    def _to_lf(self, i: int) -> int:
        """Index in the LF text of raw index ``i`` (between CR and LF: after the line end)."""
        k = bisect.bisect_left(self._crlf, i)     # pairs starting before i
        if k and self._crlf[k - 1] == i - 1:      # i splits a pair: that pair is not before i
            k -= 1
        return i - k

    def start(self, i: int) -> int:
        j = self._to_lf(i)
        return j if self._map is None else self._map[0][j]

    def end(self, i: int) -> int:
        j = self._to_lf(i)
        return j if self._map is None else self._map[1][j]


def _clusters(text: str):
    """Split points where NFC cannot join the text across: before a character of combining
    class 0 that is not a Hangul vowel/trailing jamo (those compose with what precedes)."""
    cuts = [0]
    for i in range(1, len(text)):
        c = text[i]
        if unicodedata.combining(c) == 0 and not ("\u1161" <= c <= "\u11c2") \
                and unicodedata.normalize("NFC", text[i - 1] + c) == text[i - 1] + c:
            cuts.append(i)
    cuts.append(len(text))
    return cuts


def _nfc_map(text: str):
    """(NFC text, (start map, end map)): for every index of ``text`` (and its end), the index in
    the NFC text where a selection starting / ending there begins / ends."""
    # only the lines that change need the slow path
    out: list[str] = []
    smap = [0] * (len(text) + 1)
    emap = [0] * (len(text) + 1)
    pos = 0
    base = 0
    for line in text.splitlines(keepends=True):
        if unicodedata.is_normalized("NFC", line):
            for k in range(len(line)):
                smap[base + k] = emap[base + k] = pos + k
            out.append(line)
            pos += len(line)
        else:
            cuts = _clusters(line)
            for a, b in zip(cuts, cuts[1:]):
                piece = unicodedata.normalize("NFC", line[a:b])
                same = piece == line[a:b]
                for k in range(a, b):
                    if same:
                        smap[base + k] = emap[base + k] = pos + k - a
                    else:   # a composed character maps as a whole
                        smap[base + k] = pos
                        emap[base + k] = pos + len(piece) if k > a else pos
                out.append(piece)
                pos += len(piece)
        base += len(line)
    smap[len(text)] = emap[len(text)] = pos
    nfc = "".join(out)
    if nfc != unicodedata.normalize("NFC", text):   # a composition across our cuts: be coarse
        return _nfc_map_lines(text)
    return nfc, (smap, emap)


def _nfc_map_lines(text: str):
    """The coarse map: a line that NFC changes maps as a whole."""
    out: list[str] = []
    smap = [0] * (len(text) + 1)
    emap = [0] * (len(text) + 1)
    pos = base = 0
    for line in text.splitlines(keepends=True):
        piece = unicodedata.normalize("NFC", line)
        same = piece == line
        for k in range(len(line)):
            smap[base + k] = pos + k if same else pos
            emap[base + k] = pos + k if same else (pos + len(piece) if k else pos)
        out.append(piece)
        pos += len(piece)
        base += len(line)
    smap[len(text)] = emap[len(text)] = pos
    return "".join(out), (smap, emap)


def squash(text: str) -> str:
    """Text as compared with an excerpt: NFC, whitespace runs as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def excerpt_of(name: str) -> tuple[str, bool]:
    """(the excerpt a selection's name may hold, whether it was cut short with '…')."""
    s = squash(name)
    for tail in ("…", "..."):
        if s.endswith(tail):
            return s[: -len(tail)].rstrip(), True
    return s, False


def matches_excerpt(text: str, name: str) -> bool:
    """Whether a selection's ``text`` is what its ``name`` shows (whole or cut short)."""
    ex, cut = excerpt_of(name)
    if not ex:
        return False
    got = squash(text)
    return got.startswith(ex) if cut else got == ex


def find_excerpt(text: str, name: str, near: int, limit: int = 2000):
    """Where in ``text`` the excerpt ``name`` occurs nearest to ``near`` (whitespace-flexible):
    ``(start, end, cut)`` — with ``cut`` True the excerpt was cut short with '…', so ``end`` is
    only where the shown part ends; None when it does not occur."""
    ex, cut = excerpt_of(name)
    if not ex or len(ex) > 5000:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in ex.split(" ")))
    best = None
    for n, m in enumerate(pattern.finditer(text)):
        if n >= limit:
            break
        if best is None or abs(m.start() - near) < abs(best[0] - near):
            best = (m.start(), m.end(), cut)
    return best
