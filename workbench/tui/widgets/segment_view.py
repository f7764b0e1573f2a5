"""The transcript as a scrolling list of segments, rendered line by line.

A 200-segment transcript is one widget, not 200: :class:`SegmentView` wraps each segment's text
itself (so it knows the character offset of every cell, for span selection with the keyboard or
the mouse) and renders only the lines on screen (Textual's line API). A change to one segment
re-wraps and re-renders that segment only.

Each segment shows: a header (index, timestamp, speaker, memo mark), the wrapped text, and a line
of coloured labels for the codes on it (dimmed labels with a score for suggestions); coloured
stripes in the left gutter mark coded segments. Under the cursor segment, one dim line per
suggestion says why it was made (the definition words that matched, or the most similar coded
example).
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment as RichSegment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .cells import fit_cells, offset_at, styled, wrap_ranges
from .labels import label_style, suggestion_style

GUTTER = 3  # two stripe cells and a space
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class Decor:
    """What to draw on a segment besides its text (built by the screen from the session)."""

    labels: list[tuple[str, str, bool]] = field(default_factory=list)  # (name, colour, partial)
    spans: list[tuple[int, int, str]] = field(default_factory=list)    # partial codings, relative
    suggestions: list[tuple[str, str, float]] = field(default_factory=list)  # (name, colour, score)
    reasons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, colour, why)
    memos: int = 0


class SegmentView(ScrollView, can_focus=True, inherit_bindings=False):
    """Scrolling segments with a cursor segment, optional span selection and search matches."""

    COMPONENT_CLASSES = {
        "segment-view--cursor", "segment-view--header", "segment-view--speaker",
        "segment-view--interviewer", "segment-view--selection", "segment-view--caret",
        "segment-view--match", "segment-view--memo", "segment-view--done",
    }

    DEFAULT_CSS = """
    SegmentView { background: $surface; }
    SegmentView > .segment-view--cursor { background: $boost; }
    SegmentView:focus > .segment-view--cursor { background: $primary 20%; }
    SegmentView > .segment-view--header { color: $text-muted; }
    SegmentView > .segment-view--speaker { color: $text; text-style: bold; }
    SegmentView > .segment-view--interviewer { color: $text-muted; }
    SegmentView > .segment-view--selection { background: $accent 60%; }
    SegmentView > .segment-view--caret { text-style: reverse; }
    SegmentView > .segment-view--match { background: $warning 50%; }
    SegmentView > .segment-view--memo { color: $warning; }
    """

    class Moved(Message):
        """The cursor moved to another segment (by keys or a click)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class SpanChanged(Message):
        """The span selection changed (mouse drag)."""

    def __init__(self, decor_for: Callable[[int], Decor], **kwargs) -> None:
        super().__init__(**kwargs)
        self._decor_for = decor_for
        self.segments: list = []
        self.cursor = 0
        self.span_mode = False
        self.anchor = 0  # relative to the cursor segment's text
        self.caret = 0
        self.query = ""
        self._width = 0
        self._wraps: list[list[tuple[int, int]]] = []
        self._decor: list[Decor] = []
        self._counts: list[int] = []
        self._tops: list[int] = []
        self._cache: dict[int, list[Strip]] = {}
        self._drag: int | None = None

    # ---- content --------------------------------------------------------------------------------
    def show(self, segments: list, cursor: int = 0) -> None:
        """Show a transcript's segments with the cursor on ``cursor``."""
        self.segments = list(segments)
        self.cursor = max(0, min(cursor, len(self.segments) - 1)) if self.segments else 0
        self.span_mode = False
        self._width = 0
        self._relayout()
        self.scroll_to_cursor(center=True)

    @property
    def text_width(self) -> int:
        return max(self.scrollable_content_region.width - GUTTER - 1, 10)

    def _lines_for(self, i: int) -> int:
        return (1 + len(self._wraps[i]) + self._label_lines(self._decor[i])
                + len(self._reason_rows(i)) + 1)

    def _label_lines(self, d: Decor) -> int:
        return len(self._label_rows(d))

    def _reason_rows(self, i: int) -> list[list[tuple[str, Style]]]:
        """Why each suggestion was made — under the cursor segment only, up to two lines each."""
        if i != self.cursor or not 0 <= i < len(self._decor):
            return []
        rows = []
        width = self.text_width
        for name, color, why in self._decor[i].reasons:
            head = f" ◌ {fit_cells(name, max(8, width * 2 // 3 - 5), last=True)}: "
            first = fit_cells(why, width - cell_len(head))
            rows.append([(head, suggestion_style(color)), (first, Style(dim=True))])
            rest = why[len(first):].lstrip()
            if rest:
                indent = "   "
                rows.append([(indent, Style()),
                             (fit_cells(rest, width - len(indent), last=True), Style(dim=True))])
        return rows

    def _label_rows(self, d: Decor) -> list[list[tuple[str, Style]]]:
        items: list[tuple[str, Style]] = [
            (f" {'◧ ' if partial else ''}{name} ", label_style(color)) for name, color, partial in d.labels]
        items += [(f" ◌ {name} {score:.2f} ", suggestion_style(color))
                  for name, color, score in d.suggestions]
        rows: list[list[tuple[str, Style]]] = []
        w, width = 0, self.text_width
        for text, style in items:
            n = cell_len(text)
            if n > width:     # a label wider than the text column ends with "…", never cut off
                text = set_cell_size(text, width - 2) + "… "
                n = cell_len(text)
            if not rows or (w and w + 1 + n > width):
                rows.append([])
                w = 0
            elif w:
                rows[-1].append((" ", Style()))
                w += 1
            rows[-1].append((text, style))
            w += n
        return rows

    def _relayout(self) -> None:
        width = self.text_width
        self._width = width
        self._wraps = [wrap_ranges(s.text, width) for s in self.segments]
        self._decor = [self._decor_for(i) for i in range(len(self.segments))]
        self._counts = [self._lines_for(i) for i in range(len(self.segments))]
        self._retop()
        self._cache.clear()
        self.refresh()

    def _retop(self) -> None:
        tops, y = [], 0
        for n in self._counts:
            tops.append(y)
            y += n
        self._tops = tops
        self.virtual_size = Size(self.scrollable_content_region.width or 1, y)

    def refresh_segment(self, i: int) -> None:
        """Re-read the decoration of segment ``i`` and redraw it (the only per-key work)."""
        if not 0 <= i < len(self.segments):
            return
        self._decor[i] = self._decor_for(i)
        self._wraps[i] = wrap_ranges(self.segments[i].text, self._width or self.text_width)
        n = self._lines_for(i)
        self._cache.pop(i, None)
        if n != self._counts[i]:
            self._counts[i] = n
            self._retop()
            self.refresh()
        else:
            self._refresh_lines(i)

    def _refresh_lines(self, i: int) -> None:
        """Repaint only the screen lines of segment ``i`` (when its height did not change)."""
        top = self._tops[i] - self.scroll_offset.y
        self.refresh(Region(0, top, self.size.width, self._counts[i]))

    def refresh_all(self) -> None:
        self._relayout()

    def on_resize(self, event: events.Resize) -> None:
        if self.segments and self.text_width != self._width:
            self._relayout()
            self.scroll_to_cursor()

    # ---- cursor ----------------------------------------------------------------------------------
    def set_cursor(self, i: int) -> None:
        if not self.segments:
            return
        i = max(0, min(i, len(self.segments) - 1))
        if i == self.cursor:
            return
        old, self.cursor = self.cursor, i
        self.span_mode = False
        self._cache.pop(old, None)
        self._cache.pop(i, None)
        resized = False
        for k in (old, i):   # the reason lines move with the cursor
            n = self._lines_for(k)
            if n != self._counts[k]:
                self._counts[k] = n
                resized = True
        if resized:
            self._retop()
        y = self.scroll_offset.y
        self.scroll_to_cursor()
        if self.scroll_offset.y == y and not resized:
            self._refresh_lines(old)
            self._refresh_lines(i)
        else:
            self.refresh()
        self.post_message(self.Moved(i))

    def scroll_to_cursor(self, center: bool = False) -> None:
        if not self.segments:
            return
        top = self._tops[self.cursor]
        bottom = top + self._counts[self.cursor]
        height = self.scrollable_content_region.height or 1
        y = self.scroll_offset.y
        if center:
            self.scroll_to(y=max(0, top - height // 3), animate=False)
        elif top < y:
            self.scroll_to(y=top, animate=False)
        elif bottom > y + height:
            self.scroll_to(y=min(top, bottom - height), animate=False)

    # ---- span selection -------------------------------------------------------------------------
    def start_span(self) -> None:
        self.span_mode = True
        self.anchor = self.caret = 0
        self._redraw_cursor()

    def stop_span(self) -> None:
        self.span_mode = False
        self._redraw_cursor()

    def move_caret(self, delta: int, extend: bool) -> None:
        text = self.segments[self.cursor].text
        if not self.span_mode:
            self.span_mode = True
            self.anchor = self.caret = 0
        self.caret = max(0, min(len(text), self.caret + delta))
        if not extend:
            self.anchor = self.caret
        self._redraw_cursor()

    def move_word(self, direction: int, extend: bool = True) -> None:
        text = self.segments[self.cursor].text
        if not self.span_mode:
            self.span_mode = True
            self.anchor = self.caret = 0
        if direction > 0:
            m = _WORD.search(text, self.caret)
            self.caret = m.end() if m else len(text)
            if m and m.start() >= self.caret:
                self.caret = m.end()
        else:
            starts = [m.start() for m in _WORD.finditer(text[:self.caret])]
            self.caret = starts[-1] if starts else 0
        if not extend:
            self.anchor = self.caret
        self._redraw_cursor()

    @property
    def selection(self) -> tuple[int, int] | None:
        """The selected span as absolute transcript offsets, or None."""
        if not self.span_mode or self.anchor == self.caret or not self.segments:
            return None
        seg = self.segments[self.cursor]
        a, b = sorted((self.anchor, self.caret))
        return seg.start + a, seg.start + b

    def _redraw_cursor(self) -> None:
        self._cache.pop(self.cursor, None)
        self._refresh_lines(self.cursor)

    def set_query(self, query: str) -> None:
        self.query = query
        self._cache.clear()
        self.refresh()

    # ---- mouse ----------------------------------------------------------------------------------
    def _locate(self, y: int) -> tuple[int, int] | None:
        if not self._tops:
            return None
        i = bisect.bisect_right(self._tops, y) - 1
        if i < 0 or i >= len(self._tops):
            return None
        return i, y - self._tops[i]

    def _offset_from_mouse(self, i: int, local: int, x: int) -> int | None:
        wraps = self._wraps[i]
        k = local - 1
        if 0 <= k < len(wraps):
            s, e = wraps[k]
            return offset_at(self.segments[i].text, s, e, max(0, x - GUTTER))
        return None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        hit = self._locate(event.y + self.scroll_offset.y)
        if hit is None:
            return
        i, local = hit
        self.set_cursor(i)
        off = self._offset_from_mouse(i, local, event.x)
        if off is not None:
            self._drag = off
            self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._drag is None or not event.button:
            return
        hit = self._locate(event.y + self.scroll_offset.y)
        if hit is None:
            return
        i, local = hit
        seg_text = self.segments[self.cursor].text
        if i > self.cursor:
            off = len(seg_text)
        elif i < self.cursor:
            off = 0
        else:
            off = self._offset_from_mouse(i, local, event.x)
            if off is None:
                off = 0 if local == 0 else len(seg_text)
        self.span_mode = True
        self.anchor, self.caret = self._drag, off
        self._redraw_cursor()
        self.post_message(self.SpanChanged())

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._drag is not None:
            self._drag = None
            self.release_mouse()

    # ---- rendering ------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        hit = self._locate(y + self.scroll_offset.y)
        width = self.scrollable_content_region.width
        if hit is None:
            return Strip.blank(width)
        i, local = hit
        strips = self._cache.get(i)
        if strips is None:
            strips = self._cache[i] = self._build(i, width)
        if local < len(strips):
            return strips[local]
        return Strip.blank(width)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"segment-view--{name}", partial=True)

    def _build(self, i: int, width: int) -> list[Strip]:
        seg = self.segments[i]
        d = self._decor[i]
        cur = i == self.cursor
        base = self._style("cursor") if cur else Style()
        colors = [c for _, c, _ in d.labels][:2]
        gutter = [RichSegment("▌", Style(color=c) + base) for c in colors]
        gutter += [RichSegment(" ", base)] * (GUTTER - len(gutter))
        lines: list[Strip] = []

        def line(parts: list[RichSegment], stripes: bool = True) -> Strip:
            segs = (gutter if stripes else [RichSegment(" " * GUTTER, base)]) + parts
            return Strip(segs).adjust_cell_length(width, base)

        # header
        hdr = self._style("header") + base
        parts = [RichSegment(f"▶{i + 1:>2} " if cur else f"{i + 1:>3} ", hdr)]
        if seg.timestamp:
            parts.append(RichSegment(f"[{seg.timestamp}] ", hdr))
        spk = seg.speaker or "—"
        interviewer = seg.role == "interviewer"
        parts.append(RichSegment(spk, (self._style("interviewer") if interviewer
                                       else self._style("speaker")) + base))
        if interviewer:
            parts.append(RichSegment(" (interviewer)", hdr))
        if d.memos:
            parts.append(RichSegment(f"  ✎ {d.memos} memo{'s' if d.memos > 1 else ''}",
                                     self._style("memo") + base))
        if cur and self.span_mode:
            parts.append(RichSegment("  SPAN: shift+←/→ select, a code key codes it, Esc ends",
                                     self._style("memo") + base))
        lines.append(line(parts))
        # text
        text = seg.text
        text_style = (self._style("interviewer") if interviewer else Style()) + base
        spans: list[tuple[int, int, Style]] = []
        for a, b, color in d.spans:
            spans.append((a, b, Style(color=color, underline=True)))
        if self.query:
            q = self.query.casefold()
            low = text.casefold()
            if len(low) == len(text):
                k = low.find(q)
                while k >= 0 and q:
                    spans.append((k, k + len(q), self._style("match")))
                    k = low.find(q, k + len(q))
        if cur and self.span_mode:
            a, b = sorted((self.anchor, self.caret))
            if a < b:
                spans.append((a, b, self._style("selection")))
            spans.append((self.caret, self.caret + 1, self._style("caret")))
        for s, e in self._wraps[i]:
            segs = styled(text, s, e, text_style, spans)
            if cur and self.span_mode and self.caret == len(text) and e == len(text):
                segs.append(RichSegment(" ", text_style + self._style("caret")))
            lines.append(line(segs))
        # labels and suggestions, then why each suggestion was made (cursor segment only)
        for row in self._label_rows(d):
            lines.append(line([RichSegment(t, st) for t, st in row]))
        for row in self._reason_rows(i):
            lines.append(line([RichSegment(t, st + base) for t, st in row]))
        lines.append(line([], stripes=False))
        return lines
