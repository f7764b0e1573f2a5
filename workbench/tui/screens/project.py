"""The project screen: every transcript with its attributes, segment count, this coder's
coded-segment count and done mark. Type to filter; Enter opens one."""
from __future__ import annotations

import gc

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from ..bindings import bindings_for, keys_of
from ..widgets.transcript_list import TranscriptList

HIDDEN_ATTRIBUTES = {"interviewer"}
MAX_CELL = 28


def _cell(v) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= MAX_CELL else s[:MAX_CELL - 1] + "…"


class ProjectScreen(Screen):
    """The transcript list (a TranscriptList: 5,000 rows open as fast as 50)."""

    BINDINGS = bindings_for("project")

    def __init__(self) -> None:
        super().__init__(id="project")
        self._rows: list[tuple[str, list, str]] = []
        self._attrs: list[str] = []
        self._filter = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="project-title", classes="title-bar")
        yield Input(placeholder="type to filter (id, region, cluster…) — Enter opens, ↑↓ move",
                    id="filter", select_on_focus=False)
        yield TranscriptList(id="transcripts")
        yield Footer()

    def on_mount(self) -> None:
        catalog = self.app.project.catalog()
        attrs: dict[str, None] = {}
        for info in catalog.values():
            for k in info.attributes:
                if k not in HIDDEN_ATTRIBUTES:
                    attrs.setdefault(k, None)
        self._attrs = list(attrs)
        table = self.table
        table.set_columns(["id", *self._attrs, "segments", "coded", "done"])
        n = len(self._attrs)
        table.done_column = n + 3
        table.fixed = {0, n + 1, n + 2, n + 3}    # id, segments, coded, done: always shown
        self._build_rows()
        self._apply_filter()
        table.focus()
        # the catalog just read lives as long as the app: keep it out of the garbage collector's
        # full passes, which would otherwise delay the first screen of a large project
        gc.freeze()

    @property
    def table(self) -> TranscriptList:
        return self.query_one(TranscriptList)

    # ---- rows -----------------------------------------------------------------------------------
    def _build_rows(self) -> None:
        session = self.app.session
        ready = self.app.ready
        rows = []
        for tid, info in self.app.project.catalog().items():
            attrs = [_cell(info.attributes.get(a)) for a in self._attrs]
            cells = [tid, *attrs, info.n_segments,
                     session.coded_segments(tid) if ready else "…",
                     "✓ done" if ready and tid in session.done else ""]
            hay = " ".join([tid, *(str(info.attributes.get(a, "")) for a in self._attrs)]).casefold()
            rows.append((tid, cells, hay))
        self._rows = rows
        self._update_title()

    def _update_title(self) -> None:
        n = len(self._rows)
        session = self.app.session
        done = sum(1 for tid, _, _ in self._rows if tid in session.done) if self.app.ready else None
        shown = sum(1 for _, _, hay in self._rows if self._filter in hay) if self._filter else n
        text = f"{self.app.project.name} · coder {self.app.coder} · {n} transcripts"
        if done is not None:
            text += f" · {done} done"
        if self._filter:
            text += f" · {shown} match “{self._filter}”"
        self.query_one("#project-title", Static).update(text)

    def _apply_filter(self) -> None:
        f = self._filter
        rows = [(tid, cells) for tid, cells, hay in self._rows if not f or f in hay]
        self._shown = [tid for tid, _ in rows]
        self.table.set_rows(rows, keep=self.current_tid())
        self._update_title()

    def refresh_counts(self) -> None:
        """Called when the coder's log has been read: fill in coded counts and done marks."""
        self._build_rows()
        self._apply_filter()

    def current_tid(self) -> str | None:
        return self.table.cursor_id

    def select_tid(self, tid: str) -> None:
        self.table.move_to(tid)

    def on_screen_resume(self) -> None:
        session = self.app.session
        if self.app.ready and session is not None and session.dirty:
            session.dirty.clear()
            self.refresh_counts()

    # ---- input ----------------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        self._filter = event.value.strip().casefold()
        self._apply_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_open_selected()

    def on_transcript_list_selected(self, event: TranscriptList.Selected) -> None:
        self.app.open_transcript(event.row_id)

    def on_key(self, event: events.Key) -> None:
        """Typing in the table goes to the filter."""
        if (self.focused is self.table and event.is_printable and event.character
                and event.key not in keys_of("project")):
            inp = self.query_one("#filter", Input)
            inp.focus()
            inp.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()

    def action_open_selected(self) -> None:
        tid = self.current_tid()
        if tid:
            self.app.open_transcript(tid)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_cursor_down(self) -> None:
        self.table.action_cursor(1)

    def action_cursor_up(self) -> None:
        self.table.action_cursor(-1)

    def action_back(self) -> None:
        inp = self.query_one("#filter", Input)
        if inp.value:
            inp.value = ""
            self.table.focus()
        elif self.focused is inp:
            self.table.focus()
        else:
            self.app.exit()
