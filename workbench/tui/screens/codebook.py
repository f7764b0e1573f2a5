"""The codebook screen: browse the code tree; add, rename, redefine, move and merge codes.

Every change is saved to the codebook's YAML file at once. A merge rewrites no coding log: it is
recorded in the codebook (``merges:``) so that replay maps the old id to the new one.
"""
from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, Tree

from ...errors import WorkbenchError
from ...hotkeys import clash
from ..bindings import bindings_for
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.input import FormDialog, InputDialog
from ..widgets.code_panel import CodePanel, CodeTree


class CodebookScreen(Screen):
    """Edits ``project.codebook`` and saves it after each change."""

    BINDINGS = bindings_for("codebook")

    def __init__(self, code: str | None = None) -> None:
        super().__init__(id="codebook")
        self._start_code = code   # the code to select first (the memo browser's jump)

    def compose(self) -> ComposeResult:
        yield Static("", id="codebook-title", classes="title-bar")
        with Horizontal(id="codebook-main"):
            yield CodePanel(self.app.project.codebook, id="codebook-tree")
            with VerticalScroll(id="codebook-detail"):
                yield Static("", id="codebook-detail-text")
        yield Footer()

    def on_mount(self) -> None:
        panel = self.query_one(CodePanel)
        panel.styles.width = "1fr"
        panel.query_one("#code-detail").display = False
        self._refresh(self._start_code)
        panel.query_one(CodeTree).focus()

    @property
    def codebook(self):
        return self.app.project.codebook

    def selected(self) -> str | None:
        node = self.query_one(CodeTree).cursor_node
        return node.data if node is not None else None

    def _refresh(self, select: str | None = None) -> None:
        panel = self.query_one(CodePanel)
        session = self.app.session
        panel.totals = dict(session.code_totals) if session else {}
        panel.counts = panel.totals
        panel.rebuild(self.codebook)
        if select:
            panel.highlight(select)
        cb = self.codebook
        self.query_one("#codebook-title", Static).update(
            f"Codebook · {cb.name} · {len(cb.codes)} codes · {cb.path.name if cb.path else ''}"
            + (f" · {len(cb.merges)} merges recorded" if cb.merges else ""))
        self._detail(self.selected())

    def _detail(self, cid: str | None) -> None:
        cb = self.codebook
        code = cb.codes.get(cid) if cid else None
        if code is None:
            return
        lines = [f"[b]{code.name}[/b]  ({code.id})",
                 f"parent: {code.parent or '—'} · key: {code.key or '—'} · colour: {code.color or cb.color_of(cid)}",
                 "", code.definition or "[dim](no definition)[/dim]"]
        if code.include:
            lines += ["", f"[b green]Include:[/] {code.include}"]
        if code.exclude:
            lines += ["", f"[b red]Exclude:[/] {code.exclude}"]
        for ex in code.examples:
            lines += ["", f"[i]“{ex}”[/i]"]
        if code.keywords:
            lines += ["", "keywords: " + ", ".join(code.keywords)]
        merged = [m["from"] for m in cb.merges if cb.resolve(m["from"]) == cid]
        if merged:
            lines += ["", "merged into this code: " + ", ".join(merged)]
        memos = self._code_memos(cid)
        if memos:
            lines += ["", f"[b]Your memos on this code[/b] ({len(memos)}):"]
            lines += [f"✎ {escape(m.text)}" for m in memos[-5:]]
        self.query_one("#codebook-detail-text", Static).update("\n".join(lines))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        self._detail(event.node.data)

    def on_code_panel_toggle(self, event: CodePanel.Toggle) -> None:
        event.stop()
        self.action_edit()

    def _save(self, select: str | None = None, recount: bool = False) -> None:
        """Write the YAML file, then show the change."""
        try:
            self.codebook.save()
        except (OSError, WorkbenchError) as e:
            # nothing was written: show the codebook as the file still has it
            self.notify(f"Could not save the codebook: {e}", severity="error", timeout=10)
            try:
                self.app.project.reload_codebook()
            except WorkbenchError:
                pass
            self.app.codebook_version += 1
            self._refresh(select)
            return
        self.app.codebook_version += 1
        if recount and self.app.session is not None:
            self.app.session.recount()
        self._refresh(select)

    def _try(self, fn, *args, **kwargs) -> bool:
        try:
            fn(*args, **kwargs)
        except (WorkbenchError, KeyError, ValueError) as e:
            self.notify(str(e), severity="error", timeout=5)
            return False
        return True

    def _exists(self, value: str) -> str | None:
        if value and value not in self.codebook.codes:
            return f"no code with id '{value}'"
        return None

    # ---- actions --------------------------------------------------------------------------------
    def action_add(self) -> None:
        parent = self.selected()

        def done(values) -> None:
            if values and self._try(self.codebook.add, values["id"], values["name"],
                                    parent=values["parent"] or None,
                                    definition=values["definition"]):
                self._save(values["id"])
        self.app.push_screen(FormDialog("Add a code", [
            ("id", "id (stable, e.g. value.new_theme)", f"{parent}." if parent else "", False),
            ("name", "name", "", False),
            ("parent", "parent id (empty: top level)", parent or "", False),
            ("definition", "definition", "", True)],
            validate=lambda v: (None if v["id"] and v["name"] else "id and name are needed")
            or self._exists(v["parent"])), callback=done)

    def action_rename(self) -> None:
        cid = self.selected()
        if not cid:
            return

        def done(name) -> None:
            if name and self._try(self.codebook.update, cid, name=name):
                self._save(cid)
        self.app.push_screen(InputDialog(f"Rename {cid}", "New name:",
                                         self.codebook.codes[cid].name), callback=done)

    def action_edit(self) -> None:
        cid = self.selected()
        if not cid:
            return
        code = self.codebook.codes[cid]

        def done(v) -> None:
            if v is None:
                return
            fields = {"definition": v["definition"], "include": v["include"],
                      "exclude": v["exclude"],
                      "examples": [v["example"], *code.examples[1:]] if v["example"] else code.examples[1:],
                      "keywords": [k.strip() for k in v["keywords"].split(",") if k.strip()],
                      "key": v["key"] or None, "color": v["color"] or None}
            if self._try(self.codebook.update, cid, **fields):
                self._save(cid)

        def check(v) -> str | None:
            if clash(v["key"]):
                return clash(v["key"])
            holder = self.codebook.by_key(v["key"]) if v["key"] else None
            if holder is not None and holder.id != cid:
                return f"hotkey '{v['key']}' is already used by '{holder.id}'"
            c = v["color"]
            if c and not (len(c) == 7 and c.startswith("#")):
                return "a colour looks like #1f77b4"
            return None
        self.app.push_screen(FormDialog(f"Redefine {code.name} ({cid})", [
            ("definition", "definition", code.definition, True),
            ("include", "include when", code.include, True),
            ("exclude", "exclude when", code.exclude, True),
            ("example", "example quote", code.examples[0] if code.examples else "", True),
            ("keywords", "keywords (comma-separated)", ", ".join(code.keywords), False),
            ("key", "hotkey (one character)", code.key or "", False),
            ("color", "colour (#rrggbb)", code.color or "", False)], validate=check), callback=done)

    def action_move(self) -> None:
        cid = self.selected()
        if not cid:
            return

        def done(parent) -> None:
            if parent is not None and self._try(self.codebook.move, cid, parent or None):
                self._save(cid)
        self.app.push_screen(InputDialog(f"Move {cid}", "New parent id (empty: top level):",
                                         self.codebook.codes[cid].parent or "",
                                         validate=self._exists), callback=done)

    def action_merge(self) -> None:
        cid = self.selected()
        if not cid:
            return

        def confirmed(into: str, yes: bool) -> None:
            if yes and self._try(self.codebook.merge, cid, into):
                self._save(into, recount=True)
                self.notify(f"Merged {cid} into {into}; codings of {cid} now count as {into}")

        def done(into) -> None:
            if into:
                self.app.push_screen(ConfirmDialog(
                    "Merge codes", f"Merge '{cid}' into '{into}'? Its codings will count as "
                    f"'{into}' (the logs are not rewritten; the merge is recorded in the codebook)."),
                    callback=lambda yes: confirmed(into, yes))
        self.app.push_screen(InputDialog(f"Merge {cid}", "Merge into code id:",
                                         validate=lambda v: self._exists(v) or
                                         (None if v and v != cid else "choose another code")),
                             callback=done)

    def _code_memos(self, cid: str) -> list:
        session = self.app.session
        if session is None:
            return []
        cb = self.codebook
        return [m for m in session.memos
                if getattr(m, "code", None) and not m.transcript and cb.resolve(m.code) == cid]

    def action_memo(self) -> None:
        """Write a memo on the selected code (into this coder's log)."""
        cid = self.selected()
        if not cid or self.app.session is None:
            return
        from ...memos import add_code_memo
        from ..dialogs.memo import MemoDialog

        def done(result) -> None:
            if not result:
                return
            with self.app.writing():
                add_code_memo(self.app.session, result[0], cid)
            if self.app.write_failed:
                return
            self._detail(cid)
            self.notify("Memo saved", timeout=2)
        name = self.codebook.codes[cid].name
        self.app.push_screen(MemoDialog(f"code {name}", [],
                                        [m.text for m in self._code_memos(cid)]), callback=done)

    def action_back(self) -> None:
        self.app.pop_screen()
