"""Asks for the coder's name when neither --coder nor $WORKBENCH_CODER gave one."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from ...config import validate_coding_name
from ...errors import WorkbenchError


class CoderPromptScreen(Screen[str | None]):
    """Dismisses with a valid coder name, or None (Esc: quit)."""

    BINDINGS = [Binding("escape", "cancel", "Quit", id="coder.cancel")]

    def __init__(self) -> None:
        super().__init__(id="coder_prompt")

    def compose(self) -> ComposeResult:
        coders = self.app.project.coders()
        with Vertical(classes="dialog-box"):
            yield Label("Who is coding?", classes="dialog-title")
            yield Static("Your name chooses your coding log, codings/<name>.jsonl"
                         + (f". Existing: {', '.join(coders)}" if coders else "."))
            yield Input(placeholder="e.g. anna", id="coder-name")
            yield Static("", id="coder-error", classes="dialog-error")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        try:
            validate_coding_name(name)
        except WorkbenchError as e:
            self.query_one("#coder-error", Static).update(f"{e.message} — {e.hint}")
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
