"""The ``?`` help screen, built from the bindings table (and the codebook's code keys).

Each key is listed once per screen, and the page scrolls with ↑ ↓ PgUp PgDn Home End (no Tab
needed); on a narrow terminal the two columns stack."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..bindings import GROUPS, Key, pretty_key
from ..widgets.code_panel import effective_keys
from ..widgets.labels import swatch


def help_keys(k: Key, group: list[Key]) -> str:
    """The keys the help shows for ``k``: its ``display``, unless that names a key another
    binding of the group holds (``j/k`` on "Next segment", when ``k`` is "Previous segment"):
    then its own keys, so that each key is listed once."""
    own = " ".join(pretty_key(x) for x in k.keys.split(","))
    if not k.display:
        return own
    others = {name for o in group if o is not k for x in o.keys.split(",")
              for name in (x.strip(), pretty_key(x))}
    if set(k.display.replace("/", " ").split()) & others:
        return own
    return k.display


class HelpScreen(Screen):
    """All keys: the calling screen's first, then the code keys, then everything else."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close help", id="help.close")]

    def __init__(self, origin=None) -> None:
        super().__init__(id="help")
        self.origin_id = getattr(origin, "id", None)

    def compose(self) -> ComposeResult:
        yield Static("Keys · q closes · ↑↓ PgUp PgDn scroll · all you do is saved as you do it",
                     classes="title-bar")
        order = [g for g in (self.origin_id, "app") if g in GROUPS]
        order += [g for g in GROUPS if g not in order]
        with VerticalScroll(id="help-body"), Horizontal(id="help-columns"):
            with Vertical(classes="help-column"):
                yield self._group(order[0])
            with Vertical(classes="help-column"):
                yield self._group(order[1])
                if self.origin_id == "coding":
                    yield Static(self._code_keys(), classes="help-group")
                for g in order[2:]:
                    yield self._group(g)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#help-columns").styles.layout = \
            "vertical" if event.size.width < 100 else "horizontal"

    def _group(self, g: str) -> Static:
        title, keys = GROUPS[g]
        return Static(self._table(title, [(help_keys(k, keys), k.description) for k in keys]),
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
