"""One family of errors a researcher can act on.

Every error raised for bad input is a :class:`WorkbenchError` carrying the file, the line (when
known) and a hint saying what to do. The CLI prints it as one line and exits non-zero; no
traceback is shown for user mistakes.
"""
from __future__ import annotations

from pathlib import Path


class WorkbenchError(Exception):
    """An error caused by the user's input, with enough context to fix it."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | Path | None = None,
                 line: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.hint = hint

    def __str__(self) -> str:  # one line: "file:line: message (hint)"
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        text = where + self.message
        if self.hint:
            text += f" — {self.hint}"
        return text


class ProjectError(WorkbenchError):
    """The project folder or its workbench.toml is missing or invalid."""


class TranscriptError(WorkbenchError):
    """A transcript file cannot be read or parsed."""


class CodebookError(WorkbenchError):
    """The codebook YAML is invalid."""


class LogError(WorkbenchError):
    """A coding log is malformed or cannot be written."""


class LockedError(LogError):
    """Another process is writing the same coder's log."""

    exit_code = 3


class UsageError(WorkbenchError):
    """A command was called with arguments that do not fit together."""

    exit_code = 2
