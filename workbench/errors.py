"""One family of errors a researcher can act on.

Every error raised for bad input is a :class:`WorkbenchError` carrying the file, the line (when
known) and a hint saying what to do. The CLI prints it as one line and exits non-zero; no
traceback is shown for user mistakes.
"""
from __future__ import annotations

from pathlib import Path

_ONE_LINE = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\x0b"): "\\v", ord("\x0c"): "\\f",
             0x85: "\\x85", 0x2028: "\\u2028", 0x2029: "\\u2029"}


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
        # always one line, whatever a name from the data holds (an id with a line break…)
        return text.translate(_ONE_LINE)


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


class InterchangeError(WorkbenchError):
    """A REFI-QDA file (.qdpx, .qdc, .qde) cannot be read, or is unsafe to open."""


class UsageError(WorkbenchError):
    """A command was called with arguments that do not fit together."""

    exit_code = 2


def yaml_error_location(exc: Exception, first_line: int = 1) -> tuple[int | None, str]:
    """Line number (1-based, shifted so that the YAML text starts on ``first_line``) and a short
    description of a PyYAML error.

    PyYAML reports two places: where the broken construct began (``context_mark``) and where the
    parser gave up (``problem_mark``). The parser often gives up on the *next* line or at the end
    of the file (an unclosed quote or bracket, a key without ':'); the line the user has to fix
    is then the one the construct began on.
    """
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    pmark = getattr(exc, "problem_mark", None)
    cmark = getattr(exc, "context_mark", None)
    context = getattr(exc, "context", None) or ""
    mark = pmark
    if cmark is not None and (pmark is None or context.startswith("while scanning")
                              or context.startswith("while parsing a flow")
                              or "end of stream" in problem or "<stream end>" in problem):
        mark = cmark
    line = mark.line + first_line if mark is not None else None
    return line, problem
