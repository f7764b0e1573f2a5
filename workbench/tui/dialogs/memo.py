"""The memo dialog: write a memo on the segment, the selected span, one of its codings, or the
whole transcript (or, from the codebook screen, on a code)."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, RadioButton, RadioSet, Static, TextArea

WHOLE_TRANSCRIPT = "\0transcript"   # the target chosen for a memo on the whole transcript


class MemoDialog(ModalScreen[tuple[str, str | None] | None]):
    """Dismisses with (text, target) — target is a coding id, :data:`WHOLE_TRANSCRIPT` or None
    (the segment/span) — or None when cancelled. ``targets`` is a list of (coding id, label);
    ``transcript`` (a transcript id) offers a memo on the whole transcript too."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="memo.cancel"),
                Binding("ctrl+s", "save", "Save", id="memo.save", priority=True)]

    def __init__(self, where: str, targets: list[tuple[str, str]], existing: list[str],
                 transcript: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.where, self.existing = where, existing
        self.targets = list(targets)
        if transcript:
            self.targets.append((WHOLE_TRANSCRIPT, f"the whole transcript {transcript}"))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Label(f"Memo — {self.where}", classes="dialog-title")
            if self.existing:
                yield Static("\n".join(f"✎ {m}" for m in self.existing[-3:]), classes="dialog-hint")
            yield TextArea("", id="memo-text", soft_wrap=True, classes="form-area")
            if self.targets:
                with RadioSet(id="memo-target"):
                    yield RadioButton(self.where, value=True)
                    for target, label in self.targets:
                        yield RadioButton(label if target == WHOLE_TRANSCRIPT
                                          else f"coding: {label}")
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
