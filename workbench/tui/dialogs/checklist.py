"""A checkbox list: choose several items (coders to compare, the codes of a consensus)."""
from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from .input import ValidatedDialog


class ChecklistDialog(ValidatedDialog):
    """``items`` is a list of (value, label) — the label may be a Rich Text; ``chosen`` the values
    ticked at first. Dismisses with the ticked values in the items' order (Enter or ctrl+s), or
    None (Esc). Space ticks (SelectionList's own key); Enter is the dialog's, a priority binding.
    ``validate(values)`` returns an error message or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="checklist.cancel"),
                Binding("enter,ctrl+s", "save", "Save", id="checklist.save", priority=True)]

    def __init__(self, title: str, items: list[tuple[object, object]], chosen=(), *,
                 prompt: str = "",
                 validate: Callable[[list], str | None] | None = None) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.items, self.chosen = title, items, set(chosen)
        self.prompt, self.validate = prompt, validate

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Label(self.title_text, classes="dialog-title")
            if self.prompt:
                yield Static(self.prompt, classes="dialog-hint")
            yield SelectionList(*(Selection(label, value, value in self.chosen)
                            for value, label in self.items), id="checklist")
            yield Static("", id="dialog-error", classes="dialog-error")
            yield Static("Space: tick/untick · ↑↓: move · Enter: OK · Esc: cancel",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def values(self) -> list:
        ticked = set(self.query_one(SelectionList).selected)
        return [v for v, _ in self.items if v in ticked]

    def action_save(self) -> None:
        self.submit(self.values())
