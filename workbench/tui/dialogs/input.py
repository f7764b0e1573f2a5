"""One-line input and a small form, both validated before they close."""
from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea


class ValidatedDialog(ModalScreen):
    """A dialog that closes with its values only when ``validate(values)`` (an error message or
    None) accepts them; otherwise the error shows in ``#dialog-error``. Esc closes with None."""

    validate: Callable | None = None

    def submit(self, values) -> None:
        error = self.validate(values) if self.validate else None
        if error:
            self.query_one("#dialog-error", Static).update(error)
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class InputDialog(ValidatedDialog):
    """Ask for one line. ``validate(value)`` returns an error message or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="input.cancel")]

    def __init__(self, title: str, prompt: str = "", value: str = "", *,
                 validate: Callable[[str], str | None] | None = None,
                 placeholder: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text, self.prompt, self.value = title, prompt, value
        self.validate, self.placeholder = validate, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            if self.prompt:
                yield Static(self.prompt)
            yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            yield Static("", id="dialog-error", classes="dialog-error")
            yield Static("Enter: OK · Esc: cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value.strip())


class FormDialog(ValidatedDialog):
    """Several fields: ``fields`` is a list of (name, label, value, multiline)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel"),
                Binding("ctrl+s", "save", "Save", id="form.save", priority=True)]

    def __init__(self, title: str, fields: list[tuple[str, str, str, bool]], *,
                 validate: Callable[[dict], str | None] | None = None) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.fields, self.validate = title, fields, validate

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Label(self.title_text, classes="dialog-title")
            fields = VerticalScroll(classes="form-fields")
            fields.can_focus = False      # typing goes to the fields, Tab moves between them
            with fields:
                for name, label, value, multiline in self.fields:
                    yield Label(label)
                    if multiline:
                        yield TextArea(value, id=f"field-{name}", soft_wrap=True, classes="form-area")
                    else:
                        yield Input(value, id=f"field-{name}")
            yield Static("", id="dialog-error", classes="dialog-error")
            yield Static("ctrl+s: save · Tab: next field · Esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        """The first field has focus, its cursor after what is already there."""
        first = self.query(f"#field-{self.fields[0][0]}").first() if self.fields else None
        if first is not None:
            first.focus()
            if isinstance(first, Input):
                first.cursor_position = len(first.value)

    def values(self) -> dict:
        out = {}
        for name, _, _, multiline in self.fields:
            w = self.query_one(f"#field-{name}")
            out[name] = (w.text if multiline else w.value).strip()
        return out

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        self.submit(self.values())
