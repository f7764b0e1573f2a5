"""The one-character keys a code's hotkey may not take, and what each already does.

A code's hotkey works on the coding screen, where the screen's own keys (``j`` next segment,
``p`` previous transcript, ``?`` help …) come first: a code given ``p`` could never be applied
with its key. Codebook validation refuses such a hotkey and names the clashing action.

The core does not import the terminal app, so the keys are listed here; a test checks this table
against the app's bindings (``workbench/tui/bindings.py``, groups ``coding`` and ``app``), so a
new key on the coding screen cannot be forgotten here.
"""
from __future__ import annotations

# key -> what it does on the coding screen (the bindings' descriptions)
RESERVED_KEYS: dict[str, str] = {
    "?": "Help: all keys",
    "j": "Next segment",
    "k": "Previous segment",
    "v": "Select a span in the segment (then a code key)",
    "b": "Span: a word left",
    "w": "Span: a word right",
    "u": "Undo the last coding action",
    "m": "Memo on the segment or a coding",
    "d": "Mark the transcript done / reopen",
    "/": "Search the text (Enter again: next match)",
    "n": "Next transcript",
    "p": "Previous transcript",
    "a": "Accept the top suggestion (codes the whole turn, or the selected span)",
    "A": "Accept the suggestions shown on the segment (at most three)",
    "x": "Reject the top suggestion",
    "q": "Back (Esc leaves span mode first)",
}


def clash(key: str | None) -> str | None:
    """Why ``key`` cannot be a code's hotkey (one line), or None when it can."""
    if key is None or key == "":
        return None
    if len(key) != 1:
        return f"hotkey '{key}' must be one character"
    if key.isspace():
        return "a hotkey cannot be a space"
    if key in RESERVED_KEYS:
        return (f"hotkey '{key}' is the coding screen's key for “{RESERVED_KEYS[key]}”; "
                f"choose another key (free: digits, most capital letters)")
    return None
