"""The codebook panel: the code tree (hotkey, colour, name, count) and the highlighted code's
definition, include/exclude rules and an example."""
from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static, Tree

from .labels import swatch

DIGITS = "123456789"


def effective_keys(codebook) -> dict[str, str]:
    """key -> code id: the codebook's own keys, plus the digits 1-9 the codebook leaves free,
    given in tree order to leaf codes without a key."""
    keys = {c.key: c.id for c in codebook.codes.values() if c.key}
    free = [d for d in DIGITS if d not in keys]
    for c in codebook.codes.values():
        if not free:
            break
        if not c.key and not c.children:
            keys[free.pop(0)] = c.id
    return keys


class CodeTree(Tree[str]):
    """The code tree; Space, like Enter, selects the code under the cursor. A label longer than
    the width there is ends with "…" (never cut off silently)."""

    def action_toggle_node(self) -> None:  # Space: toggle the code, not the branch
        self.action_select_cursor()

    def render_label(self, node, base_style, style):
        label = super().render_label(node, base_style, style)
        depth, up = 0, node.parent
        while up is not None and up is not self.root:
            depth += 1
            up = up.parent
        room = self.scrollable_content_region.width - depth * max(2, self.guide_depth)
        if 3 < room < label.cell_len:
            # the name gives way, not the count after it ("Project funding for me… 3")
            m = re.search(r" \d+$", label.plain)
            tail = label[m.start():] if m and room > len(m.group(0)) + 4 else Text()
            head = label[:m.start()] if tail else label.copy()
            head.truncate(room - tail.cell_len, overflow="ellipsis")
            label = head + tail
        return label


class CodePanel(Vertical):
    """Tree + detail. The screen supplies counts through :meth:`set_counts`."""

    DEFAULT_CSS = """
    CodePanel { width: 38; border-left: tall $panel; }
    CodePanel CodeTree { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }
    CodePanel #code-detail { height: 40%; max-height: 14; border-top: solid $panel; padding: 0 1; }
    """

    class Toggle(Message):
        """The coder asked to toggle ``code`` (Space/Enter in the tree)."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    def __init__(self, codebook, **kwargs) -> None:
        super().__init__(**kwargs)
        self.codebook = codebook
        self.keys: dict[str, str] = {}
        self.key_of: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.totals: dict[str, int] = {}
        self._code_nodes: dict = {}
        self._detail_of: str | None = "-"

    def compose(self) -> ComposeResult:
        tree = CodeTree("Codes", id="code-tree")
        tree.show_root = False
        tree.auto_expand = False
        tree.guide_depth = 2
        yield tree
        with VerticalScroll(id="code-detail"):
            yield Static("", id="code-detail-text")

    def on_mount(self) -> None:
        self.rebuild()

    def wanted_width(self) -> int:
        """Columns that show every code's name in full (key, colour, name, a count, the tree's
        guides, the border and the scroll bar)."""
        cb = self.codebook
        guide = max(2, self.query_one(CodeTree).guide_depth)
        longest = max((cb.depth(c.id) * guide + len(c.name) + (2 if c.children else 0)
                       for c in cb.codes.values()), default=20)
        return longest + 4 + 5 + 3

    def rebuild(self, codebook=None) -> None:
        """(Re)build the tree from the codebook (after edits on the codebook screen)."""
        if codebook is not None:
            self.codebook = codebook
        cb = self.codebook
        self.keys = effective_keys(cb)
        self.key_of = {cid: k for k, cid in self.keys.items()}
        tree = self.query_one(CodeTree)
        tree.clear()
        self._code_nodes = {}

        def add(parent, cid):
            code = cb.codes[cid]
            if code.children:
                node = parent.add(self._label(cid), data=cid, expand=True)
                for ch in code.children:
                    add(node, ch)
            else:
                node = parent.add_leaf(self._label(cid), data=cid)
            self._code_nodes[cid] = node
        for root in cb.roots():
            add(tree.root, root.id)
        self._detail_of = "-"
        if self._code_nodes:
            tree.move_cursor(next(iter(self._code_nodes.values())), animate=False)
        self.show_detail(next(iter(cb.codes), None))

    def _label(self, cid: str) -> Text:
        code = self.codebook.codes[cid]
        key = self.key_of.get(cid)
        t = Text()
        t.append(f"{key or ' '} ", style="bold" if key else "")
        t.append_text(swatch(self.codebook.color_of(cid)))
        t.append(f" {code.name}")
        n = self.counts.get(cid, 0)
        if n:
            t.append(f" {n}", style="bold")
        return t

    def set_counts(self, counts: dict[str, int], totals: dict[str, int]) -> None:
        changed = {c for c in set(counts) | set(self.counts) if counts.get(c) != self.counts.get(c)}
        self.counts, self.totals = dict(counts), totals
        for cid in changed:
            node = self._code_nodes.get(cid)
            if node is not None:
                node.set_label(self._label(cid))
        tree = self.query_one(CodeTree)
        if tree.cursor_node is not None and tree.cursor_node.data:
            self.show_detail(tree.cursor_node.data)

    def update_count(self, cid: str, n: int) -> None:
        self.set_counts({**self.counts, cid: n}, self.totals)

    def highlight(self, cid: str) -> None:
        node = self._code_nodes.get(cid)
        tree = self.query_one(CodeTree)
        if node is not None and tree.cursor_node is not node:
            tree.move_cursor(node, animate=False)
            self.show_detail(cid)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data:
            self.show_detail(event.node.data)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.Toggle(event.node.data))

    def show_detail(self, cid: str | None) -> None:
        if cid == self._detail_of:
            return
        self._detail_of = cid
        out = Text()
        code = self.codebook.codes.get(cid) if cid else None
        if code is not None:
            out.append_text(swatch(self.codebook.color_of(cid)))
            out.append(f" {code.name}", style="bold")
            key = self.key_of.get(cid)
            out.append(f"  [{key}]" if key else "", style="bold")
            out.append(f"\n{cid}\n", style="dim")
            if code.definition:
                out.append(code.definition + "\n")
            if code.include:
                out.append("Include: ", style="bold green")
                out.append(code.include + "\n")
            if code.exclude:
                out.append("Exclude: ", style="bold red")
                out.append(code.exclude + "\n")
            if code.examples:
                out.append("Example: ", style="bold")
                out.append(f"“{code.examples[0]}”", style="italic")
        self.query_one("#code-detail-text", Static).update(out)
