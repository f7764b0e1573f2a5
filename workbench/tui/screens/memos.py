"""The memo browser: every memo — on a code, a transcript, a segment or a coding — in one table,
filtered by coder, kind, code, transcript or words, sorted by transcript, code, coder or time;
Enter goes to the memo's place (the segment in the coding screen, or the code in the codebook).

Whose memos (``w``): yours (the live session, so a memo written a moment ago is listed), or
every coder's (read from their logs) — as the retrieval screen does for codings. The rows come
from :func:`workbench.memos.memo_rows`, the table ``workbench memos`` prints."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from ...errors import WorkbenchError
from ...memos import frame_from_rows, memo_rows, to_records
from ..bindings import bindings_for
from ..widgets.labels import swatch
from ..widgets.table_fill import fill_table

MEMO_CELL = 60
COLUMNS = [(key, key) for key in ("coder", "on", "transcript", "turn", "code", "memo")]
SORTS = ("transcript", "code", "coder", "time")
KIND_LABEL = {"code": "code", "coding": "coding", "segment": "segment",
              "transcript": "transcript"}
FILTER_KEYS = ("coder", "kind", "code", "transcript")


def parse_filter(text: str) -> tuple[dict[str, str], list[str]]:
    """``coder=anna kind=code value rushed`` -> ({"coder": "anna", "kind": "code"},
    ["value", "rushed"]); keys and values are compared case-insensitively."""
    keys, words = {}, []
    for tok in text.split():
        k, eq, v = tok.partition("=")
        if eq and k.casefold() in FILTER_KEYS:
            keys[k.casefold()] = v.casefold()
        elif tok:
            words.append(tok.casefold())
    return keys, words


class MemoBrowserScreen(Screen):
    """Every memo of this coder (``w``: of every coder), filterable; Enter jumps."""

    BINDINGS = bindings_for("memos")

    def __init__(self) -> None:
        super().__init__(id="memos")
        self.every_coder = False
        self.sort = SORTS[0]
        self.rows: list[dict] = []
        self.shown: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="memos-title", classes="title-bar")
        with Vertical(id="memos-main"):
            yield Input(placeholder="filter: coder=anna kind=code code=value. transcript=P01 "
                                    "… or words in the memo", id="memos-filter",
                        select_on_focus=False)
            yield DataTable(id="memos-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="memos-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        fill_table(table, COLUMNS, [])
        self.load()
        table.focus()

    def on_screen_resume(self) -> None:
        self.load()       # a memo may have been written on another screen

    # ---- data -------------------------------------------------------------------------------
    def coders(self) -> list[str]:
        me = self.app.coder
        if not self.every_coder:
            return [me]
        return sorted(set(self.app.project.coders()) | {me})

    def load(self) -> None:
        """Read the memos of the coders shown (yours from the live session)."""
        project, session = self.app.project, self.app.session
        rows = []
        for coder in self.coders():
            try:
                if coder == self.app.coder:
                    codings = {c.id: c for c in session.all_codings()}
                    rows += memo_rows(project, coder, session.memos, codings=codings)
                else:
                    rows += memo_rows(project, coder, project.memos(coder))
            except WorkbenchError as e:
                self.app.notify(f"{coder}'s memos cannot be read: {e}", severity="error")
        self.rows = to_records(frame_from_rows(rows, project.codebook))
        self.apply_filter()

    def _sorted(self, rows: list[dict]) -> list[dict]:
        order = {c: i for i, c in enumerate(self.app.project.codebook.codes)}
        place = lambda r: (r["transcript"] or "", r["start"] if r["start"] is not None else -1)
        if self.sort == "code":
            key = lambda r: (r["code"] is None, order.get(r["code"], len(order)), *place(r))
        elif self.sort == "coder":
            key = lambda r: (r["coder"], *place(r))
        elif self.sort == "time":
            key = lambda r: r["at"] or ""
        else:
            return rows       # the frame's order: code memos first, then transcript and place
        return sorted(rows, key=key)

    def _matches(self, r: dict, keys: dict[str, str], words: list[str]) -> bool:
        for k, v in keys.items():
            if k == "code":
                code = (r["code"] or "").casefold()
                name = (r["code_name"] or "").casefold()
                if not (code == v.rstrip(".") or code.startswith(v.rstrip(".") + ".")
                        or v in name):
                    return False
            elif v not in (r[k] or "").casefold():
                return False
        hay = " ".join(str(r[k] or "") for k in ("text", "quote", "code_name")).casefold()
        return all(w in hay for w in words)

    def apply_filter(self) -> None:
        keys, words = parse_filter(self.query_one("#memos-filter", Input).value)
        self.shown = self._sorted([r for r in self.rows if self._matches(r, keys, words)])
        fill_table(self.query_one(DataTable), COLUMNS, [(None, self._cells(r)) for r in self.shown])
        whose = "every coder: " + ", ".join(self.coders()) if self.every_coder else \
            f"coder {self.app.coder}"
        n = len(self.shown)
        self.query_one("#memos-title", Static).update(
            f"Memos · {n} memo{'s' if n != 1 else ''} · {whose} · sorted by {self.sort}"
            + (f" · of {len(self.rows)}" if n != len(self.rows) else ""))
        self._detail(0 if self.shown else None)

    def _cells(self, r: dict) -> list:
        cb = self.app.project.codebook
        code = Text()
        if r["code"]:
            code.append_text(swatch(cb.color_of(r["code"])))
            code.append(" " + (r["code_name"] or r["code"]))
        memo = " ".join((r["text"] or "").split())
        kind = KIND_LABEL.get(r["kind"], r["kind"])
        if r["status"] != "ok":
            kind += " !"
        return [r["coder"], kind, r["transcript"] or "", "" if r["turn"] is None else r["turn"],
                code, memo if len(memo) <= MEMO_CELL else memo[:MEMO_CELL - 1] + "…"]

    def _detail(self, row: int | None) -> None:
        out = Text()
        if row is not None and 0 <= row < len(self.shown):
            r = self.shown[row]
            where = {"code": "on the code", "coding": "on a coding", "segment": "on a segment",
                     "transcript": "on the transcript"}[r["kind"]]
            place = " · ".join(x for x in (
                r["transcript"], f"turn {r['turn']}" if r["turn"] is not None else None,
                r["code_name"] or r["code"]) if x)
            out.append(f"{r['coder']} · {where}" + (f" · {place}" if place else "")
                       + (f" · {r['at'][:16].replace('T', ' ')}" if r["at"] else ""), style="dim")
            if r["status"] != "ok":
                out.append(f" · {r['status'].replace('_', ' ')}", style="bold red")
            out.append("\n✎ " + (r["text"] or ""))
            if r["quote"]:
                q = " ".join(r["quote"].split())
                out.append("\n“" + (q if len(q) <= 400 else q[:399] + "…") + "”",
                           style="italic dim")
        self.query_one("#memos-detail", Static).update(out)

    # ---- events and actions ---------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        self.apply_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_jump()

    def action_jump(self) -> None:
        row = self.query_one(DataTable).cursor_row
        if not self.shown or row is None or not 0 <= row < len(self.shown):
            return
        r = self.shown[row]
        if r["kind"] == "code":
            if r["code"] not in self.app.project.codebook.codes:
                self.app.notify(f"the code {r['code']} is not in the codebook",
                                severity="warning")
                return
            from .codebook import CodebookScreen
            self.app.push_screen(CodebookScreen(code=r["code"]))
            return
        tid = r["transcript"]
        if tid not in self.app.project.catalog():
            self.app.notify(f"the transcript {tid} is gone", severity="warning")
            return
        self.app.open_transcript(tid, r["turn"] - 1 if r["turn"] is not None else None)

    def action_whose(self) -> None:
        self.every_coder = not self.every_coder
        self.load()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.apply_filter()

    def action_focus_filter(self) -> None:
        self.query_one("#memos-filter", Input).focus()

    def action_back(self) -> None:
        inp = self.query_one("#memos-filter", Input)
        if self.focused is inp:
            self.query_one(DataTable).focus()
            return
        self.app.pop_screen()
