"""The memo dialog: write a memo on the segment, the selected span, or one of its codings."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, RadioButton, RadioSet, Static, TextArea


class MemoDialog(ModalScreen[tuple[str, str | None] | None]):
    """Dismisses with (text, target) — target is a coding id or None (the segment/span) — or
    None when cancelled. ``targets`` is a list of (coding id, label)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="memo.cancel"),
                Binding("ctrl+s", "save", "Save", id="memo.save", priority=True)]

    def __init__(self, where: str, targets: list[tuple[str, str]], existing: list[str]) -> None:
        super().__init__(classes="dialog")
        self.where, self.targets, self.existing = where, targets, existing

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Label(f"Memo — {self.where}", classes="dialog-title")
            if self.existing:
                yield Static("\n".join(f"✎ {m}" for m in self.existing[-3:]), classes="dialog-hint")
            yield TextArea("", id="memo-text", soft_wrap=True, classes="form-area")
            if self.targets:
                with RadioSet(id="memo-target"):
                    yield RadioButton(self.where, value=True)
                    for _, label in self.targets:
                        yield RadioButton(f"coding: {label}")
            yield Static("ctrl+s: save · Tab: choose what the memo is on · Esc: cancel",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#memo-text", TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one("#memo-text", TextArea).text.strip()
        if not text:
            self.dismiss(None)
            return
        target = None
        if self.targets:
            idx = self.query_one(RadioSet).pressed_index
            if idx > 0:
                target = self.targets[idx - 1][0]
        self.dismiss((text, target))

    def action_cancel(self) -> None:
        self.dismiss(None)
