"""The key tables of the user guide (docs/TUI.md), generated from the bindings registry
(:mod:`workbench.tui.bindings`): ``python -m workbench.tui.keydocs [DOC] [--check]`` rewrites the
block between the marker lines (tests/tui/test_tui_doc.py fails when it is stale). A developer's
tool, not used by the running app."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..errors import UsageError
from . import screens  # noqa: F401  (every screen registers its key group on import)
from .bindings import GROUPS, KEY_NAMES, Key, pretty_key

# The user guide's key tables sit between these markers and are rewritten by
# ``python -m workbench.tui.keydocs`` (tests/tui/test_tui_doc.py fails when they are stale).
DOC_START = "<!-- keys:start -->"
DOC_END = "<!-- keys:end -->"
REGENERATE = ".venv/bin/python -m workbench.tui.keydocs"
_DOCKEY_NAMES = {**KEY_NAMES, "plus": "+", "insert": "Insert", "ctrl": "Ctrl", "shift": "Shift"}


def _doc_key(key: str) -> str:
    """A Textual key name as a reader writes it: ``ctrl+shift+left`` -> ``Ctrl+Shift+←``."""
    parts = [p for p in key.strip().split("+") if p] or ["+"]
    names = [_DOCKEY_NAMES.get(p, p) for p in parts]
    if len(names) > 1 and len(names[-1]) == 1 and names[-1].islower():
        names[-1] = names[-1].upper()   # Ctrl+P, as printed on keyboards and in manuals
    return "+".join(names)


def doc_keys(k: Key) -> list[str]:
    """Every key of ``k`` for the user guide. The ``display`` shown by the help screen replaces
    them only when it names keys the binding itself does not hold (``1-9``: the screen binds
    2-9 with the same pattern); otherwise the guide lists every alternative (``j``, ``↓``)."""
    raw = [x.strip() for x in k.keys.split(",") if x.strip()]
    if k.display:
        known = {*raw, *map(pretty_key, raw), *map(_doc_key, raw)}
        shown = {k.display, *(t for t in k.display.replace("/", " ").split() if t)}
        shown |= {"ctrl+" + t[1:] for t in shown if t.startswith("^") and len(t) > 1}
        if not shown & known:
            return [k.display]
    return [_doc_key(x) for x in raw]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_tables() -> str:
    """The Markdown of every key group (one heading and table each, in :data:`GROUPS` order):
    the block between :data:`DOC_START` and :data:`DOC_END` in docs/TUI.md."""
    out = [f"<!-- generated from workbench/tui/bindings.py by `{REGENERATE}`; "
           "do not edit by hand -->"]
    for title, keys in GROUPS.values():
        out += ["", f"### {title}", "", "| keys | what it does |", "| --- | --- |"]
        for k in keys:
            cell = ", ".join(f"`{_cell(n)}`" for n in doc_keys(k))
            out.append(f"| {cell} | {_cell(k.description)} |")
    return "\n".join(out) + "\n"


def _marker_lines(text: str) -> tuple[int, int]:
    """Offsets of the start of the line holding :data:`DOC_START` alone and of the line holding
    :data:`DOC_END` alone (markers quoted inside other lines do not count)."""
    starts = [m.start() for m in re.finditer(rf"^{re.escape(DOC_START)}[ \t]*$", text, re.M)]
    ends = [m.start() for m in re.finditer(rf"^{re.escape(DOC_END)}[ \t]*$", text, re.M)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError(f"needs exactly one line {DOC_START} followed by one line {DOC_END}")
    return starts[0], ends[0]


def replace_block(text: str, block: str) -> str:
    """``text`` with the lines between the marker lines replaced by ``block``."""
    start, end = _marker_lines(text)
    return text[:start] + DOC_START + "\n" + block + text[end:]


def doc_block(text: str) -> str | None:
    """The lines between the marker lines of ``text`` (None without markers)."""
    try:
        start, end = _marker_lines(text)
    except ValueError:
        return None
    return text[start + len(DOC_START):end].removeprefix("\n")


def default_doc() -> Path:
    return Path(__file__).resolve().parents[2] / "docs" / "TUI.md"


def main(argv: list[str] | None = None) -> int:
    """``python -m workbench.tui.keydocs [DOC] [--check]``: rewrite the key tables of the user
    guide (default docs/TUI.md) from this registry, or with ``--check`` only say whether they
    are up to date (exit 1 when not)."""
    parser = argparse.ArgumentParser(
        prog="python -m workbench.tui.keydocs",
        description=f"Rewrite the key tables of the terminal app's user guide from the bindings "
                    f"registry (the block between {DOC_START} and {DOC_END}).")
    parser.add_argument("doc", nargs="?", default=None,
                        help="the guide to rewrite (default: docs/TUI.md of this checkout)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when the tables are out of date")
    args = parser.parse_args(argv)
    path = Path(args.doc) if args.doc else default_doc()
    try:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot read the guide: {e.strerror or e}", file=path,
                             hint="give the path of docs/TUI.md") from None
        try:
            new = replace_block(text, markdown_tables())
        except ValueError as e:
            raise UsageError(str(e), file=path,
                             hint="put the two marker lines where the key tables go") from None
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if new == text:
        print(f"{path}: the key tables are up to date")
        return 0
    if args.check:
        print(f"{path}: the key tables are out of date — run: {REGENERATE}", file=sys.stderr)
        return 1
    path.write_text(new, encoding="utf-8")
    print(f"{path}: key tables rewritten from workbench/tui/bindings.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
