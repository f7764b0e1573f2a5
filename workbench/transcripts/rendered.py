"""Formats whose text the workbench renders itself (docx, WebVTT, SRT).

The normalized text of such a transcript is one block per turn, ``Speaker: text`` — or
``[HH:MM:SS] Speaker: text`` when the turn has a timestamp — blocks separated by one blank line.
Offsets of segments and codings index that rendering, so they mean the same for every format.
"""
from __future__ import annotations

import unicodedata


def render_turns(turns: list[tuple[str | None, str | None, str]]):
    """Render ``(speaker, timestamp, text)`` turns; returns (text, [(speaker, ts, start, end)])."""
    parts: list[str] = []
    spans = []
    pos = 0
    for speaker, ts, body in turns:
        body = unicodedata.normalize("NFC", body.strip())
        if not body:
            continue
        if speaker:
            speaker = unicodedata.normalize("NFC", speaker.strip())
        prefix = (f"[{ts}] " if ts else "") + (f"{speaker}: " if speaker else "")
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(prefix + body)
        start = pos + len(prefix)
        pos += len(prefix) + len(body)
        spans.append((speaker, ts, start, pos))
    return "".join(parts), spans
