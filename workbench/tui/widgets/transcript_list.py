"""A fast table of transcripts: a header and one line per row, rendered only where visible.

Textual's DataTable measures every cell when rows are added (seconds for 5,000 transcripts);
this widget sizes columns from the cells' lengths and renders only the lines on screen, so the
project screen opens as fast with 5,000 transcripts as with 50.

On a narrow terminal the columns are fitted to the width: the ``fixed`` ones (the id, the
counts, the done mark) keep their width; the others are narrowed (their cells end with "…"),
widest first, and left out from the right when even that is not enough.
"""
from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

MAX_WIDTH = 30
MIN_WIDTH = 5     # a narrowed column keeps at least this many characters


class TranscriptList(ScrollView, can_focus=True):
    """Rows of ``(id, [cells])``; the cursor row is highlighted; Enter posts :class:`Selected`."""

    BINDINGS = [
        Binding("down", "cursor(1)", "Down", show=False, id="list.down"),
        Binding("up", "cursor(-1)", "Up", show=False, id="list.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("home", "first", "First", show=False, id="list.first"),
        Binding("end", "last", "Last", show=False, id="list.last"),
        Binding("enter", "select", "Open", show=False, id="list.select"),
    ]

    COMPONENT_CLASSES = {"transcript-list--header", "transcript-list--cursor",
                         "transcript-list--zebra", "transcript-list--done"}

    DEFAULT_CSS = """
    TranscriptList { background: $surface; }
    TranscriptList > .transcript-list--header { text-style: bold; background: $panel; }
    TranscriptList > .transcript-list--cursor { background: $primary 40%; }
    TranscriptList:focus > .transcript-list--cursor { background: $primary 70%; }
    TranscriptList > .transcript-list--zebra { background: $boost; }
    TranscriptList > .transcript-list--done { color: $success; text-style: bold; }
    """

    class Selected(Message):
        def __init__(self, row_id: str) -> None:
            super().__init__()
            self.row_id = row_id

    class Highlighted(Message):
        def __init__(self, row_id: str | None) -> None:
            super().__init__()
            self.row_id = row_id

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.columns: list[str] = []
        self.rows: list[tuple[str, list[str]]] = []
        self.widths: list[int] = []      # as drawn (0: left out)
        self.natural: list[int] = []     # as wide as the cells (at most MAX_WIDTH)
        self.fixed: set[int] = set()     # columns never narrowed
        self.cursor_row = 0
        self.done_column: int | None = None

    # ---- data -----------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    def set_columns(self, columns: list[str]) -> None:
        self.columns = list(columns)

    def set_rows(self, rows: list[tuple[str, list]], keep: str | None = None) -> None:
        """Replace the rows (cells are turned into strings); the cursor stays on ``keep``."""
        self.rows = [(rid, [str(c) for c in cells]) for rid, cells in rows]
        widths = [cell_len(c) for c in self.columns]
        for _, cells in self.rows:
            for k, c in enumerate(cells):
                n = len(c)
                if n > widths[k]:
                    widths[k] = n
        self.natural = [min(w, MAX_WIDTH) for w in widths]
        self._fit()
        self.cursor_row = 0
        if keep is not None:
            for i, (rid, _) in enumerate(self.rows):
                if rid == keep:
                    self.cursor_row = i
                    break
        self.refresh()
        self.call_after_refresh(self._scroll_to_cursor)

    def _fit(self) -> None:
        """Column widths for the width there is (see the module docstring)."""
        widths = list(self.natural)
        avail = self.scrollable_content_region.width
        if avail > 0:
            excess = sum(w + 2 for w in widths) - avail
            flexible = [k for k in range(len(widths)) if k not in self.fixed]
            while excess > 0:
                wide = [k for k in flexible if widths[k] > MIN_WIDTH]
                if not wide:
                    break
                k = max(wide, key=lambda k: (widths[k], -k))
                widths[k] -= 1
                excess -= 1
            for k in reversed(flexible):
                if excess <= 0:
                    break
                excess -= widths[k] + 2
                widths[k] = 0
        self.widths = widths
        self.virtual_size = Size(sum(w + 2 for w in widths if w), len(self.rows) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._fit()
        self.refresh()

    def update_row(self, row_id: str, cells: list) -> None:
        for i, (rid, _) in enumerate(self.rows):
            if rid == row_id:
                self.rows[i] = (rid, [str(c) for c in cells])
                self.refresh()
                return

    @property
    def cursor_id(self) -> str | None:
        if 0 <= self.cursor_row < len(self.rows):
            return self.rows[self.cursor_row][0]
        return None

    def move_to(self, row_id: str) -> None:
        for i, (rid, _) in enumerate(self.rows):
            if rid == row_id:
                self._set_cursor(i)
                return

    # ---- cursor ---------------------------------------------------------------------------------
    def _set_cursor(self, i: int) -> None:
        if not self.rows:
            return
        i = max(0, min(i, len(self.rows) - 1))
        if i != self.cursor_row:
            self.cursor_row = i
            self.refresh()
            self.post_message(self.Highlighted(self.cursor_id))
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        y = self.scroll_offset.y
        if self.cursor_row < y:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= y + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        self._set_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._set_cursor(self.cursor_row + direction * max(1, self.scrollable_content_region.height - 2))

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self.rows) - 1)

    def action_select(self) -> None:
        if self.cursor_id is not None:
            self.post_message(self.Selected(self.cursor_id))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        i = self.scroll_offset.y + event.y - 1
        if 0 <= i < len(self.rows):
            if i == self.cursor_row and event.chain >= 2:
                self.action_select()
            self._set_cursor(i)

    # ---- rendering ------------------------------------------------------------------------------
    def _line(self, cells: list[str], style: Style, done_style: Style | None = None) -> list[Segment]:
        segs = []
        for k, (c, w) in enumerate(zip(cells, self.widths)):
            if w == 0:
                continue
            text = c if cell_len(c) <= w else set_cell_size(c, w - 1) + "…"
            st = done_style if done_style is not None and k == self.done_column and c else style
            segs.append(Segment(" " + set_cell_size(text, w) + " ", st))
        return segs

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        x = self.scroll_offset.x
        if y == 0:
            style = self.get_component_rich_style("transcript-list--header")
            strip = Strip(self._line(self.columns, style))
        else:
            i = self.scroll_offset.y + y - 1
            if not 0 <= i < len(self.rows):
                return Strip.blank(width)
            if i == self.cursor_row:
                style = self.get_component_rich_style("transcript-list--cursor")
            elif i % 2:
                style = self.get_component_rich_style("transcript-list--zebra")
            else:
                style = Style()
            done = self.get_component_rich_style("transcript-list--done") + style
            strip = Strip(self._line(self.rows[i][1], style, done))
        return strip.crop(x, x + width).adjust_cell_length(width, style)
