"""The retrieval screen: pick a code, see every segment coded with it (or a code below it) across
transcripts — quote, transcript, speaker, its memos, attributes — filter by attribute (``region=Perm``) or
words, and Enter jumps to the segment in its transcript.

Whose codings are shown (``w`` cycles): this coder's (the live session), the consensus (only when
``codings/consensus.jsonl`` exists), or every coder's but the consensus (a coder column then, and
one row per coder when several coded the same passage)."""
from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, Tree

from ...config import CONSENSUS
from ...errors import WorkbenchError
from ...memos import MemoIndex
from ..bindings import bindings_for
from ..widgets.code_panel import CodeTree
from ..widgets.labels import swatch
from ..widgets.table_fill import fill_table

QUOTE_CELL = 70
MEMO_CELL = 30

# whose codings the screen shows, in the order ``w`` cycles through them
SOURCE_CODER, SOURCE_CONSENSUS, SOURCE_ALL = "coder", "consensus", "all"


def memo_cell(memos: list[str]) -> str:
    """The memo column: ``✎ first memo…`` and how many more."""
    if not memos:
        return ""
    first = " ".join(memos[0].split())
    first = first if len(first) <= MEMO_CELL else first[:MEMO_CELL - 1] + "…"
    return f"✎ {first}" + (f" (+{len(memos) - 1})" if len(memos) > 1 else "")


def parse_filter(text: str) -> tuple[dict[str, str], list[str]]:
    """``region=Perm cluster=aero joint`` -> ({"region": "perm", "cluster": "aero"}, ["joint"])."""
    attrs, words = {}, []
    for tok in text.split():
        if "=" in tok:
            k, _, v = tok.partition("=")
            attrs[k.strip().casefold()] = v.strip().casefold()
        elif tok:
            words.append(tok.casefold())
    return attrs, words


class RetrievalScreen(Screen):
    """Quotes by code: this coder's, the consensus or every coder's (``self.source``)."""

    BINDINGS = bindings_for("retrieval")

    def __init__(self, code: str | None = None, state: dict | None = None) -> None:
        super().__init__(id="retrieval")
        self.code = code
        self._state = state   # as :meth:`state` left it (None: the app's last, if any)
        self.rows: list[dict] = []
        self.shown: list[dict] = []
        self.source = SOURCE_CODER
        self._logs: dict[str, list] = {}  # other coders' codings, read once per screen
        self._memo_logs: dict[str, MemoIndex] = {}   # and their memos (placed once)

    def compose(self) -> ComposeResult:
        yield Static("", id="retrieval-title", classes="title-bar")
        with Horizontal(id="retrieval-main"):
            tree = CodeTree("Codes", id="retrieval-codes")
            tree.show_root = False
            tree.auto_expand = False
            yield tree
            with Vertical(id="retrieval-right"):
                yield Input(placeholder="filter: region=Perm cluster=aero … or words in the quote",
                            id="retrieval-filter", select_on_focus=False)
                yield DataTable(id="retrieval-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="retrieval-quote")
        yield Footer()

    def on_mount(self) -> None:
        self._attrs = []
        for info in self.app.project.catalog().values():
            for k in info.attributes:
                if k != "interviewer" and k not in self._attrs:
                    self._attrs.append(k)
        state = self._state
        if state is None and self.code is None:
            state = getattr(self.app, "retrieval_state", None)
        if state and state.get("source") in self.sources():
            self.source = state["source"]
        if state and self.code is None and state.get("code") in self.app.project.codebook.codes:
            self.code = state["code"]
        self._add_columns()
        self._build_tree()
        tree = self.query_one(CodeTree)
        tree.focus()
        if self.code is None:
            self.code = next(iter(self.app.project.codebook.codes), None)
        self._settling = True     # the tree's first highlight events must not change the code
        self.call_after_refresh(self._settle)
        if state and state.get("filter"):
            inp = self.query_one("#retrieval-filter", Input)
            with inp.prevent(Input.Changed):
                inp.value = state["filter"]
        self.show_code(self.code)
        if state and state.get("code") == self.code:
            self._restore_row(state)

    def _settle(self) -> None:
        """Once the tree is laid out: its cursor on the code shown."""
        if self.code in self._code_nodes:
            tree = self.query_one(CodeTree)
            tree.move_cursor(self._code_nodes[self.code], animate=False)
            tree.scroll_to_node(self._code_nodes[self.code], animate=False)
        self._settling = False

    # ---- where the coder was: kept when a quote's context is opened and on leaving -----------
    def state(self) -> dict:
        """Code, whose codings, filter, selected quote and focus: what brings this view back as
        it is (``RetrievalScreen(state=…)``; the app keeps the last one for Ctrl+R)."""
        table = self.query_one(DataTable)
        row = table.cursor_row if self.shown else None
        picked = self.shown[row] if row is not None and 0 <= row < len(self.shown) else None
        focus = ("table" if self.focused is table else
                 "filter" if self.focused is self.query_one("#retrieval-filter", Input) else "codes")
        return {"code": self.code, "source": self.source,
                "filter": self.query_one("#retrieval-filter", Input).value, "row": row,
                "quote": (picked["coder"], picked["coding"].id) if picked else None,
                "focus": focus}

    def _restore_row(self, state: dict) -> None:
        table = self.query_one(DataTable)
        row = state.get("row")
        if state.get("quote") is not None:
            coder, cid = state["quote"]
            row = next((i for i, r in enumerate(self.shown)
                        if r["coder"] == coder and r["coding"].id == cid), row)
        if row is not None and self.shown:
            row = max(0, min(row, len(self.shown) - 1))
            table.move_cursor(row=row, animate=False)
            self._show_quote(row)
        if state.get("focus") == "table":
            table.focus()
        elif state.get("focus") == "filter":
            self.query_one("#retrieval-filter", Input).focus()

    def _keep_state(self) -> None:
        self.app.retrieval_state = self.state()


    def _columns(self) -> list[tuple[str, str]]:
        """(header, key) of the table's columns for whose codings are shown."""
        return [("transcript", "transcript"), ("seg", "segment"),
                *([("coder", "coder")] if self.source == SOURCE_ALL else []),
                ("quote", "quote"), ("speaker", "speaker"), ("memo", "memo"),
                *((a, f"attr:{a}") for a in self._attrs)]

    def _add_columns(self) -> None:
        fill_table(self.query_one(DataTable), self._columns(), [])

    # ---- whose codings --------------------------------------------------------------------------
    def sources(self) -> list[str]:
        """The sources ``w`` cycles through: the consensus only when its log exists."""
        out = [SOURCE_CODER]
        if self.app.coder != CONSENSUS and CONSENSUS in self.app.project.coders():
            out.append(SOURCE_CONSENSUS)
        out.append(SOURCE_ALL)
        return out

    def coders(self) -> list[str]:
        """The coders whose codings are shown now."""
        me = self.app.coder
        if self.source == SOURCE_CONSENSUS:
            return [CONSENSUS]
        if self.source == SOURCE_ALL:
            others = {c for c in self.app.project.coders() if c != CONSENSUS}
            return sorted(others | ({me} - {CONSENSUS}))
        return [me]

    def source_label(self) -> str:
        """Whose codings the title line names."""
        if self.source == SOURCE_CONSENSUS:
            return "consensus (the agreed coding)"
        if self.source == SOURCE_ALL:
            return "every coder: " + ", ".join(self.coders())
        return f"coder {self.app.coder}"

    def _codings_of(self, coder: str):
        """``coder``'s codings: the live session for this coder, the log for anyone else."""
        if coder == self.app.coder:
            return self.app.session.all_codings()
        if coder not in self._logs:
            try:
                self._logs[coder] = self.app.project.codings(coder)
            except WorkbenchError as e:
                self.app.notify(f"{coder}'s codings cannot be read: {e}", severity="error")
                self._logs[coder] = []
        return self._logs[coder]

    def _memos_of(self, coder: str) -> MemoIndex:
        """``coder``'s memos: the live session's for this coder, the log's for anyone else."""
        if coder == self.app.coder:
            return MemoIndex(self.app.session.memos)
        if coder not in self._memo_logs:
            try:
                self._memo_logs[coder] = MemoIndex(self.app.project.memos(coder))
            except WorkbenchError:
                self._memo_logs[coder] = MemoIndex([])
        return self._memo_logs[coder]

    def _totals(self) -> Counter:
        """How often each code was applied by the coders shown (the tree's counts)."""
        if self.source == SOURCE_CODER:
            return self.app.session.code_totals
        resolve = self.app.project.codebook.resolve
        return Counter(resolve(c.code) for coder in self.coders()
                       for c in self._codings_of(coder))

    def action_whose(self) -> None:
        """Cycle whose codings are shown: this coder → consensus (if any) → every coder."""
        sources = self.sources()
        i = sources.index(self.source) if self.source in sources else -1
        self.source = sources[(i + 1) % len(sources)]
        self._add_columns()
        self._label_tree()
        self.show_code(self.code)

    # ---- the code tree --------------------------------------------------------------------------
    def _build_tree(self) -> None:
        cb = self.app.project.codebook
        tree = self.query_one(CodeTree)
        tree.clear()
        self._code_nodes = {}

        def add(parent, cid):
            code = cb.codes[cid]
            node = (parent.add("", data=cid, expand=True) if code.children
                    else parent.add_leaf("", data=cid))
            self._code_nodes[cid] = node
            for ch in code.children:
                add(node, ch)
        for root in cb.roots():
            add(tree.root, root.id)
        self._label_tree()

    def _label_tree(self) -> None:
        """Label each code with how often it was applied (with the codes below it) by the
        coders shown."""
        cb = self.app.project.codebook
        totals = self._totals()
        for cid, node in self._code_nodes.items():
            label = Text()
            label.append_text(swatch(cb.color_of(cid)))
            label.append(f" {cb.codes[cid].name}")
            n = totals.get(cid, 0) + sum(totals.get(d, 0) for d in cb.descendants(cid))
            if n:
                label.append(f" {n}", style="bold")
            node.set_label(label)

    def show_code(self, cid: str | None) -> None:
        """Collect every coding of ``cid`` and the codes below it (by the coders shown)."""
        self.code = cid
        if cid is None:
            return
        project = self.app.project
        cb = project.codebook
        wanted = {cid, *cb.descendants(cid)} if cid in cb.codes else {cid}
        catalog = project.catalog()
        rows = []
        memo_index = {who: self._memos_of(who) for who in self.coders()}
        for coder, c in ((who, c) for who in self.coders() for c in self._codings_of(who)):
            if cb.resolve(c.code) not in wanted:
                continue
            info = catalog.get(c.transcript)
            seg = info.segment_of(c.start) if info else None
            speaker = info.speakers[seg] if info and seg is not None else None
            quote = c.quote
            if quote is None and info is not None:
                quote = project.transcript(c.transcript).text[c.start:c.end]
            rows.append({"coding": c, "coder": coder, "transcript": c.transcript, "segment": seg,
                         "speaker": speaker or "", "quote": " ".join((quote or "").split()),
                         "code": cb.resolve(c.code),
                         "memos": [m.text for m in memo_index[coder].on(c.transcript, c.start,
                                                                         c.end, c.id)],
                         "attributes": info.attributes if info else {}})
        rows.sort(key=lambda r: (r["transcript"], r["coding"].start, r["coder"]))
        self.rows = rows
        self.apply_filter()

    def apply_filter(self) -> None:
        attrs, words = parse_filter(self.query_one("#retrieval-filter", Input).value)
        out = []
        for r in self.rows:
            a = {k.casefold(): str(v).casefold() for k, v in r["attributes"].items()}
            if any(v not in a.get(k, "") for k, v in attrs.items()):
                continue
            q = r["quote"].casefold()
            if any(w not in q for w in words):
                continue
            out.append(r)
        self.shown = out
        fill_table(self.query_one(DataTable), self._columns(),
                   [(None, self._cells(r)) for r in out])
        cb = self.app.project.codebook
        name = cb.codes[self.code].name if self.code in cb.codes else self.code
        n_t = len({r["transcript"] for r in out})
        self.query_one("#retrieval-title", Static).update(
            f"Retrieval · {name} · {len(out)} quotes from {n_t} transcripts"
            f" · {self.source_label()}"
            + (f" · of {len(self.rows)}" if len(out) != len(self.rows) else ""))
        self._show_quote(0 if out else None)

    def _cells(self, r: dict) -> list:
        q = r["quote"]
        cb = self.app.project.codebook
        quote = Text()
        quote.append_text(swatch(cb.color_of(r["code"])))
        if r["memos"]:     # the memos themselves: the memo column and the quote pane
            quote.append(" ✎", style="bold")
        quote.append(" " + (q if len(q) <= QUOTE_CELL else q[:QUOTE_CELL - 1] + "…"))
        seg = r["segment"]
        coder = [r["coder"]] if self.source == SOURCE_ALL else []
        return [r["transcript"], "" if seg is None else seg + 1, *coder, quote, r["speaker"],
                memo_cell(r["memos"]), *(str(r["attributes"].get(a, "")) for a in self._attrs)]

    def _show_quote(self, row: int | None) -> None:
        out = Text()
        if row is not None and 0 <= row < len(self.shown):
            r = self.shown[row]
            attrs = " · ".join(str(v) for k, v in r["attributes"].items() if k != "interviewer")
            seg = r["segment"]
            by = f"{r['coder']} · " if self.source != SOURCE_CODER else ""
            out.append(f"{by}{r['transcript']} · segment {'' if seg is None else seg + 1} · "
                       f"{r['speaker']} · {attrs}\n", style="dim")
            out.append(f"“{r['quote']}”", style="italic")
            for memo in r["memos"]:
                out.append(f"\n✎ {memo}")
        self.query_one("#retrieval-quote", Static).update(out)

    # ---- events ---------------------------------------------------------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if getattr(self, "_settling", False) or event.node is not event.control.cursor_node:
            return   # a stale event (the cursor was moved again since, e.g. when restoring)
        if event.node.data and event.node.data != self.code:
            self.show_code(event.node.data)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        self.query_one(DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.apply_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_quote(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_jump()

    def action_jump(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        if not self.shown or row is None or not 0 <= row < len(self.shown):
            return
        r = self.shown[row]
        self._keep_state()
        state = self.app.retrieval_state
        self.app.open_transcript(r["transcript"], r["segment"],
                                 back_to=("retrieval", lambda: RetrievalScreen(state=state)))

    def action_focus_filter(self) -> None:
        self.query_one("#retrieval-filter", Input).focus()

    def action_back(self) -> None:
        inp = self.query_one("#retrieval-filter", Input)
        if self.focused is inp:
            self.query_one(DataTable).focus()
            return
        self._keep_state()
        self.app.pop_screen()
