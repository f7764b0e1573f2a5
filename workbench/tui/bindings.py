"""Key bindings as data: every binding has a stable id, its keys, the action it runs and a
description. Screens take their ``BINDINGS`` from here, and the ``?`` help screen is built from the
same table, so the help can never disagree with the keys. The key tables of the user guide
(docs/TUI.md) are generated from it too, by :mod:`workbench.tui.keydocs`.

Another screen adds its own group with :func:`register` and uses ``bindings_for(group)``.
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One binding. ``keys`` is a comma-separated list of Textual key names."""

    id: str
    keys: str
    action: str
    description: str            # long: the help screen
    short: str = ""             # the footer (default: the description)
    show: bool = False          # shown in the footer
    display: str | None = None  # how the help/footer shows the keys
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.short or self.description, show=self.show,
                       key_display=self.display, priority=self.priority, id=self.id,
                       tooltip=self.description)

    @property
    def shown_keys(self) -> str:
        if self.display:
            return self.display
        return " ".join(pretty_key(k) for k in self.keys.split(","))


KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter", "space": "Space",
          "down": "↓", "up": "↑", "left": "←", "right": "→", "pagedown": "PgDn", "pageup": "PgUp",
          "home": "Home", "end": "End", "tab": "Tab"}


def pretty_key(key: str) -> str:
    key = key.strip()
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    parts = key.split("+")
    return "+".join(KEY_NAMES.get(p, p) for p in parts)


GROUPS: dict[str, tuple[str, list[Key]]] = {
    "app": ("Everywhere", [
        Key("app.help", "question_mark", "help", "Help: all keys", short="help", show=True, display="?"),
        Key("app.palette", "ctrl+p", "command_palette", "Command palette: codes, transcripts, views",
            short="palette", display="^p"),
        Key("app.retrieval", "ctrl+r", "view('retrieval')", "Retrieval: quotes by code"),
        Key("app.codebook", "ctrl+o", "view('codebook')", "Codebook: edit the code tree"),
        Key("app.quit", "ctrl+q", "quit", "Quit (everything is already saved)"),
    ]),
    "project": ("Project screen", [
        Key("project.open", "enter", "open_selected", "Open the transcript", short="open", show=True),
        Key("project.filter", "slash", "focus_filter", "Filter (or just start typing)",
            short="filter", show=True, display="/"),
        Key("project.down", "down", "cursor_down", "Next transcript"),
        Key("project.up", "up", "cursor_up", "Previous transcript"),
        Key("project.back", "escape,q", "back", "Clear the filter / quit", short="quit", show=True, display="q"),
    ]),
    "coding": ("Coding screen", [
        Key("coding.next", "j,down", "move(1)", "Next segment", short="segment", show=True, display="j/k"),
        Key("coding.prev", "k,up", "move(-1)", "Previous segment"),
        Key("coding.page_down", "pagedown", "move(10)", "10 segments down"),
        Key("coding.page_up", "pageup", "move(-10)", "10 segments up"),
        Key("coding.first", "home", "move_to(0)", "First segment"),
        Key("coding.last", "end", "move_to(-1)", "Last segment"),
        Key("coding.span", "v", "span", "Select a span in the segment (then a code key)",
            short="span", show=True),
        Key("coding.span_left", "shift+left", "span_extend(-1)", "Extend the span left"),
        Key("coding.span_right", "shift+right", "span_extend(1)", "Extend the span right"),
        Key("coding.span_word_left", "ctrl+shift+left,b", "span_word(-1)", "Span: a word left"),
        Key("coding.span_word_right", "ctrl+shift+right,w", "span_word(1)",
            "Span: a word right"),
        Key("coding.caret_left", "left", "caret(-1)", "Span mode: move the caret left"),
        Key("coding.caret_right", "right", "caret(1)", "Span mode: move the caret right"),
        Key("coding.undo", "u", "undo", "Undo the last coding action", short="undo", show=True),
        Key("coding.memo", "m", "memo", "Memo on the segment or a coding", short="memo", show=True),
        Key("coding.done", "d", "toggle_done", "Mark the transcript done / reopen", short="done", show=True),
        Key("coding.search", "slash", "search", "Search the text (Enter again: next match)",
            short="search", show=True, display="/"),
        Key("coding.next_transcript", "n", "transcript(1)", "Next transcript"),
        Key("coding.prev_transcript", "p", "transcript(-1)", "Previous transcript"),
        Key("coding.accept", "a", "accept",
            "Accept the top suggestion (codes the whole turn, or the selected span)"),
        Key("coding.accept_all", "A", "accept_all",
            "Accept the suggestions shown on the segment (at most three)"),
        Key("coding.reject", "x", "reject", "Reject the top suggestion"),
        Key("coding.codes", "tab", "focus_codes", "Code tree / text (Space or Enter toggles a code)"),
        Key("coding.back", "q,escape", "back", "Back (Esc leaves span mode first)", short="back", show=True,
            display="q"),
    ]),
    "retrieval": ("Retrieval screen", [
        Key("retrieval.jump", "enter", "jump", "Jump to the segment in its transcript", short="jump", show=True),
        Key("retrieval.filter", "slash", "focus_filter", "Filter: region=Perm or words",
            short="filter", show=True, display="/"),
        Key("retrieval.codes", "tab", "focus_next", "Codes / quotes"),
        Key("retrieval.whose", "w", "whose", "Whose codings: yours → consensus → every coder",
            short="whose", show=True),
        Key("retrieval.back", "escape,q", "back", "Back", short="back", show=True, display="q"),
    ]),
    "codebook": ("Codebook screen", [
        Key("codebook.add", "plus,insert", "add", "Add a code under the selected one",
            short="add", show=True, display="+"),
        Key("codebook.rename", "r", "rename", "Rename", short="rename", show=True),
        Key("codebook.edit", "e", "edit", "Redefine (definition, include, exclude, example, key)",
            short="redefine", show=True),
        Key("codebook.move", "M", "move", "Move under another code", short="move", show=True),
        Key("codebook.merge", "ctrl+g", "merge", "Merge into another code", short="merge", show=True,
            display="^g"),
        Key("codebook.memo", "m", "memo", "Memo on the code (an analytic memo about the theme)",
            short="memo", show=True),
        Key("codebook.back", "escape,q", "back", "Back", short="back", show=True, display="q"),
    ]),
}


def register(group: str, title: str, keys: list[Key]) -> None:
    """Add a group of bindings (for a new screen); the help screen lists it."""
    GROUPS[group] = (title, keys)


def bindings_for(group: str) -> list[Binding]:
    return [k.binding() for k in GROUPS[group][1]]


def keys_of(group: str) -> set[str]:
    """Every Textual key name bound in ``group`` (and the app group)."""
    out: set[str] = set()
    for g in (group, "app"):
        for k in GROUPS[g][1]:
            out.update(x.strip() for x in k.keys.split(","))
    return out


# ---- the agreement, reconcile, counts and suggestion-report screens ----------------------------
# "views" are app-level shortcuts (WorkbenchApp.BINDINGS = app + views); ctrl+b is left to tmux
register("views", "Views (everywhere)", [
    Key("views.agreement", "ctrl+t", "view('agreement')", "Agreement: the coders' agreement table"),
    Key("views.counts", "ctrl+n", "view('counts')", "Opinion counts: interviewees per code (bars)"),
    Key("views.memos", "ctrl+l", "view('memos')",
        "Memos: every memo, by transcript, code and coder"),
])
register("memos", "Memo browser", [
    Key("memos.jump", "enter", "jump",
        "Go to the memo's place: its segment in the transcript, or its code in the codebook",
        short="go to", show=True),
    Key("memos.filter", "slash", "focus_filter",
        "Filter: coder=anna kind=code code=value. transcript=P01 or words",
        short="filter", show=True, display="/"),
    Key("memos.whose", "w", "whose", "Whose memos: yours → every coder's", short="whose",
        show=True),
    Key("memos.sort", "s", "sort", "Sort by transcript → code → coder → time", short="sort",
        show=True),
    Key("memos.back", "escape,q", "back", "Back (Esc in the filter: back to the list)",
        short="back", show=True, display="q"),
])
register("agreement", "Agreement screen", [
    Key("agreement.reconcile", "enter", "reconcile_code",
        "Reconcile the disagreements on the selected code", short="reconcile code", show=True,
        priority=True),
    Key("agreement.reconcile_all", "r", "reconcile_all", "Reconcile every disagreement",
        short="reconcile all", show=True),
    Key("agreement.unit", "u", "next_unit", "Unit: segment → transcript → span",
        short="unit", show=True),
    Key("agreement.coders", "c", "choose_coders", "Choose the coders to compare",
        short="coders", show=True),
    Key("agreement.back", "escape,q", "back", "Back", short="back", show=True, display="q"),
])
register("reconcile", "Reconcile screen", [
    # 2-9 are bound by the screen with the same pattern (ids reconcile.take2 …); one help row
    Key("reconcile.take", "1", "take(1)",
        "Take coder n's codes (1: the first coder, 2: the second …)",
        short="take", show=True, display="1-9"),
    Key("reconcile.union", "u", "decide('union')", "Take the union of the coders' codes",
        short="union", show=True),
    Key("reconcile.intersection", "i", "decide('intersection')",
        "Take the intersection (the codes all coders gave)", short="intersect", show=True),
    Key("reconcile.edit", "e", "edit", "Edit: choose the consensus codes yourself",
        short="edit", show=True),
    Key("reconcile.next", "s,j", "move(1)",
        "Skip to the next disagreement (↑↓ scroll a long quote)",
        short="skip", show=True, display="s/j"),
    Key("reconcile.prev", "k", "move(-1)", "Previous disagreement", short="prev"),
    Key("reconcile.back", "escape,q", "back", "Back (every decision is already saved)",
        short="back", show=True, display="q"),
])
register("counts", "Opinion counts screen", [
    Key("counts.next_group", "g,right", "group(1)", "Next code group (value., finance., …, all)",
        short="group", show=True, display="g/→", priority=True),
    Key("counts.prev_group", "G,left", "group(-1)", "Previous code group", display="G/←",
        priority=True),
    Key("counts.coder", "c", "coder(1)", "Next coder (whose codings are counted)",
        short="coder", show=True),
    Key("counts.back", "escape,q", "back", "Back", short="back", show=True, display="q"),
])
register("suggestions", "Suggestion quality screen", [
    Key("suggestions.rerun", "r", "rerun", "Evaluate again (cross-validation, about 10 s)",
        short="re-run", show=True),
    Key("suggestions.back", "escape,q", "back", "Back (an evaluation keeps running)",
        short="back", show=True, display="q"),
])
