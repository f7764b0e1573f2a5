"""The ``?`` help screen, built from the bindings table (and the codebook's code keys)."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..bindings import GROUPS
from ..widgets.code_panel import effective_keys
from ..widgets.labels import swatch


class HelpScreen(Screen):
    """All keys: the calling screen's first, then the code keys, then everything else."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close help", id="help.close")]

    def __init__(self, origin=None) -> None:
        super().__init__(id="help")
        self.origin_id = getattr(origin, "id", None)

    def compose(self) -> ComposeResult:
        yield Static("Keys · Esc/q/? closes · everything you do is saved as you do it",
                     classes="title-bar")
        order = [g for g in (self.origin_id, "app") if g in GROUPS]
        order += [g for g in GROUPS if g not in order]
        with Horizontal(id="help-body"):
            with VerticalScroll(classes="help-column"):
                yield self._group(order[0])
            with VerticalScroll(classes="help-column"):
                yield self._group(order[1])
                if self.origin_id == "coding":
                    yield Static(self._code_keys(), classes="help-group")
                for g in order[2:]:
                    yield self._group(g)
        yield Footer()

    def _group(self, g: str) -> Static:
        title, keys = GROUPS[g]
        return Static(self._table(title, [(k.shown_keys, k.description) for k in keys]),
                      classes="help-group")

    @staticmethod
    def _table(title: str, rows: list[tuple[str, object]]) -> Table:
        t = Table(title=title, title_justify="left", title_style="bold", show_header=False,
                  box=None, padding=(0, 2, 0, 1), expand=False)
        t.add_column("keys", style="bold", no_wrap=True, min_width=12)
        t.add_column("what")
        for keys, what in rows:
            t.add_row(keys, what)
        return t

    def _code_keys(self) -> Table:
        cb = self.app.project.codebook
        rows = []
        for key, cid in effective_keys(cb).items():
            label = Text()
            label.append_text(swatch(cb.color_of(cid)))
            label.append(f" {cb.codes[cid].name} ({cid})")
            rows.append((key, label))
        rows.append(("Space/Enter", "on a code in the tree: toggle it on the segment"))
        return self._table("Code keys (toggle the code on the segment, or code the selected span)",
                           rows)

    def action_close(self) -> None:
        self.app.pop_screen()
