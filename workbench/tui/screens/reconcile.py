"""The reconcile screen: walk the coders' disagreements one by one and settle each into the
consensus log (``codings/consensus.jsonl``): a coder's codes (1..n), the union (u), the
intersection (i) or a set the team chooses (e); s/j skips, k goes back.

A thin face over :mod:`workbench.agreement.reconcile`. The consensus log is a log of its own
with its own lock, separate from the coder's log the app holds: the screen opens it when it
opens (and first copies the units all coders agree on into it), and closes it when it closes.
Every decision is appended (fsynced) before the screen shows it as settled; a transcript is
marked done in the consensus as soon as all its disagreements are settled.

Filtered to one code (Enter on the agreement table), the screen still reads the coders' full
code sets: it walks the units where the coders differ on that code (or a code below it) and a
decision settles the unit's whole set. (Seeding or settling with sets cut down to one code would
write partial sets into the consensus and hide the unit's other differences.)
"""
from __future__ import annotations

import threading

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...config import CONSENSUS
from ...errors import LockedError, LogError, WorkbenchError
from ..bindings import bindings_for
from ..widgets.labels import code_label
from .coder_choice import compared_coders, too_few_coders

# 1 is in the bindings table (one help row "1-9"); 2..9 take the next coders
EXTRA_TAKE = [Binding(str(n), f"take({n})", f"take coder {n}", show=False, id=f"reconcile.take{n}")
              for n in range(2, 10)]


class ReconcileScreen(Screen):
    """``ReconcileScreen(code=None, coders=None)``: every disagreement of ``coders`` (default:
    every coder but consensus who has marked a transcript done), or only those on ``code``."""

    BINDINGS = bindings_for("reconcile") + EXTRA_TAKE

    def __init__(self, code: str | None = None, coders: list[str] | None = None) -> None:
        super().__init__(id="reconcile")
        self.code = code
        self.coders = list(coders) if coders else None
        self.consensus_log = None
        self.state = None           # the full ReconcileState (every code)
        self.items: list = []       # the disagreements walked (open when the screen opened)
        self.index = 0
        self.decisions: dict[str, str] = {}   # unit -> decision taken on this screen
        self.ready = False
        self.finished: list[str] = []         # transcripts the consensus marked done here
        self.seeded = 0
        self.settled_before = 0
        self._log_lock = threading.Lock()    # the loading worker writes too

    def compose(self) -> ComposeResult:
        yield Static("Reconcile", id="reconcile-title", classes="title-bar")
        with VerticalScroll(id="reconcile-body"):
            yield Static("", id="reconcile-where")
            yield Static("", id="reconcile-quote")
        yield Static("opening the consensus log…", id="reconcile-options")
        yield Footer()

    # ---- opening and closing the consensus log ------------------------------------------------
    def on_mount(self) -> None:
        self._title()
        app = self.app
        if app.coder == CONSENSUS:
            self._message("You opened the workbench as the coder 'consensus', so this window "
                          "already writes the consensus log by hand. Open the workbench under your "
                          "own name to reconcile.")
            return
        if any(isinstance(s, ReconcileScreen) and s is not self and s.consensus_log is not None
               for s in app.screen_stack):
            self._message("The reconcile screen is already open further back (q to go back to it).")
            return
        try:
            self.consensus_log = app.project.log(CONSENSUS)
        except LockedError as e:
            where = getattr(e, "file", None) or app.project.log_path(CONSENSUS)
            self._message("The consensus log is open in another workbench window or process "
                          "(someone is reconciling there): leave the reconcile screen there "
                          f"first, then open this one again.\n\n{where}")
            return
        except (OSError, LogError) as e:
            self._message(f"The consensus log cannot be opened: {e}")
            return
        self._load()

    def on_unmount(self) -> None:
        self.close_log()

    def close_log(self) -> None:
        """Release the consensus log (waits for the loading worker's writes to end)."""
        with self._log_lock:
            if self.consensus_log is not None:
                self.consensus_log.close()
                self.consensus_log = None

    @work(thread=True, exclusive=True, group="reconcile")
    def _load(self) -> None:
        from ...agreement.reconcile import mark_finished, reconcile_state, seed_agreed
        project = self.app.project
        problem = None
        try:
            # never call into the UI thread while holding the lock: close_log() waits for it
            with self._log_lock:
                if self.consensus_log is None:
                    return
                coders, idle = (self.coders, {}) if self.coders else compared_coders(project)
                if len(coders) < 2:
                    problem = too_few_coders(project, coders, idle)
                else:
                    st = reconcile_state(project, coders)  # every code: see the module doc
                    seeded = seed_agreed(project, self.consensus_log, st)
                    finished = mark_finished(project, self.consensus_log, st)
        except (OSError, LogError) as e:
            problem = f"NOT SAVED — the consensus log could not be written: {e}"
        except WorkbenchError as e:
            problem = str(e)
        if problem is not None:
            self.app.call_from_thread(self._message, problem)
        else:
            self.app.call_from_thread(self._loaded, st, seeded, finished)

    def _loaded(self, st, seeded: int, finished: list[str]) -> None:
        if not self.is_attached:
            return
        self.state, self.seeded, self.finished = st, seeded, list(finished)
        concerned = [d for d in st.disagreements if self.concerns(d)]
        self.items = [d for d in concerned if d.settled is None]
        self.settled_before = len(concerned) - len(self.items)
        self.index = 0
        self.ready = True
        self.show()

    def concerns(self, d) -> bool:
        """Whether disagreement ``d`` is about the screen's code (or a code below it)."""
        if self.code is None:
            return True
        scope = set(self.app.project.codebook.select([self.code])) or {self.code}
        return d.differs_on(scope)

    # ---- showing --------------------------------------------------------------------------------
    def _code_name(self, cid: str) -> str:
        cb = self.app.project.codebook
        return cb.codes[cid].name if cid in cb.codes else cid

    def _labels(self, codes, mark=frozenset(), width: int | None = None) -> Text:
        """The codes as coloured labels in codebook order, ``*`` after those in ``mark``; with
        ``width``, broken into lines between labels (never inside one)."""
        cb = self.app.project.codebook
        out = Text()
        if not codes:
            out.append("(no code)", style="dim italic")
            return out
        order = {c: i for i, c in enumerate(cb.codes)}
        used = 0
        for cid in sorted(codes, key=lambda c: (order.get(c, 1e9), c)):
            label = code_label(self._code_name(cid), cb.color_of(cid))
            if cid in mark:
                label.append("*", style="bold")
            if used and width is not None and used + 1 + label.cell_len > width:
                out.append("\n")
                used = 0
            elif used:
                out.append(" ")
                used += 1
            out.append_text(label)
            used += label.cell_len
        return out

    def _title(self) -> None:
        parts = ["Reconcile"]
        if self.ready and self.items:  # progress first: it must survive a narrow terminal
            n_set = sum(1 for d in self.items if d.settled is not None)
            at = min(self.index + 1, len(self.items))
            parts.append(f"{at} of {len(self.items)}")
            parts.append(f"{n_set} settled")
        coders = self.state.coders if self.state else self.coders
        if coders:
            parts.append(" vs ".join(coders))
        if self.code:
            parts.append(f"code: {self._code_name(self.code)}")
        self.query_one("#reconcile-title", Static).update(" · ".join(parts))

    def _message(self, message: str) -> None:
        if not self.is_attached:
            return
        self.ready = False
        self.query_one("#reconcile-where", Static).update("")
        self.query_one("#reconcile-quote", Static).update(Text(message, style="bold"))
        self.query_one("#reconcile-options", Static).update(
            Text("q: back", style="dim"))
        self._title()

    @property
    def current(self):
        if self.ready and 0 <= self.index < len(self.items):
            return self.items[self.index]
        return None

    def show(self) -> None:
        """Draw the current disagreement (or the summary when there is none)."""
        self._title()
        d = self.current
        where = self.query_one("#reconcile-where", Static)
        quote = self.query_one("#reconcile-quote", Static)
        options = self.query_one("#reconcile-options", Static)
        if d is None:
            where.update("")
            quote.update(self._summary())
            options.update(Text("q: back", style="dim"))
            return
        info = self.app.project.catalog().get(d.transcript)
        attrs = " · ".join(str(v) for k, v in (info.attributes if info else {}).items()
                           if k != "interviewer")
        head = Text()
        head.append(f"{d.transcript} · segment {d.segment + 1}", style="bold")
        head.append(f" · {d.speaker or ''}" + (f" · {attrs}" if attrs else ""))
        head.append(f"   ({d.unit})", style="dim")
        where.update(head)
        quote.update(Text(f"“{' '.join(d.quote.split())}”", style="italic"))
        self.query_one("#reconcile-body", VerticalScroll).scroll_home(animate=False)
        options.update(self._options(d))

    def _options(self, d) -> Group:
        """The choices, one per row: key, name, the codes (wrapped under themselves)."""
        coders = self.state.coders
        common = d.option("intersection")
        name_w = max(len(c) for c in [*coders, "intersection"])
        room = max(self.size.width - 2 - 2 - name_w - 2, 20)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(no_wrap=True, min_width=name_w)
        grid.add_column(no_wrap=True, overflow="ellipsis")
        for n, c in enumerate(coders, 1):
            grid.add_row(str(n), c, self._labels(d.sets[c], mark=d.sets[c] - common, width=room))
        grid.add_row("u", "union", self._labels(d.option("union"), width=room))
        grid.add_row("i", "intersection", self._labels(common, width=room))
        grid.add_row("e", "edit", Text(" choose the codes yourself", style="dim"))
        foot = Text("* only some coders gave this code", style="dim")
        if d.previous is not None and d.settled is None:
            foot.append(f"\nearlier consensus of {', '.join(d.previous_coders)} (superseded now "
                        "that more coders are compared): ", style="yellow")
            foot.append_text(self._labels(d.previous, width=max(self.size.width - 20, 20)))
        if d.settled is not None:
            how = self.decisions.get(d.unit, "earlier")
            foot.append("\n✓ settled", style="bold green")
            foot.append(f" ({how}): ", style="green")
            foot.append_text(self._labels(d.settled, width=max(self.size.width - 20, 20)))
        return Group(grid, foot)

    def _summary(self) -> Text:
        out = Text()
        what = f" on {self._code_name(self.code)}" if self.code else ""
        if not self.items:
            out.append(f"No open disagreements{what}.", style="bold")
        else:
            out.append(f"All {len(self.items)} disagreements{what} are settled.",
                       style="bold green")
        out.append(f"\n\n{self.settled_before} settled before this screen opened; "
                   f"{self.seeded} agreed unit(s) copied into the consensus now.")
        if self.finished:
            out.append(f"\nThe consensus marks these transcripts done: {', '.join(self.finished)}.")
        reopened = self.state.reopened if self.state else []
        if reopened:
            out.append(f"\nReopened in the consensus (units to settle again now that more coders "
                       f"are compared): {', '.join(reopened)}.")
        n_open = len(self.state.open) if self.state else 0
        if self.code and n_open:
            out.append(f"\n{n_open} disagreement(s) on other codes remain (r on the agreement "
                       "screen walks them all).", style="dim")
        out.append("\n\nThe consensus log: codings/consensus.jsonl (counts and exports use it "
                   "by default).", style="dim")
        return out

    # ---- deciding -------------------------------------------------------------------------------
    def settle(self, codes, decision: str) -> None:
        """Append the decision to the consensus log, then show it as settled and move on."""
        from ...agreement.reconcile import mark_finished, settle
        d = self.current
        if d is None or self.consensus_log is None:
            return
        project = self.app.project
        try:
            with self._log_lock:
                settle(project, self.consensus_log, d, codes, decision, self.state.coders)
        except (OSError, LogError) as e:
            self.notify(f"NOT SAVED — the consensus log could not be written: {e}",
                        severity="error", timeout=10)
            return
        except WorkbenchError as e:
            self.notify(str(e), severity="error")
            return
        if not any(o.transcript == d.transcript for o in self.state.open):
            try:
                with self._log_lock:
                    self.finished += mark_finished(project, self.consensus_log, self.state)
            except (OSError, WorkbenchError) as e:
                self.notify(f"The consensus could not mark {d.transcript} done: {e}",
                            severity="warning")
        self.decisions[d.unit] = decision
        self._advance()

    def _advance(self) -> None:
        """To the next unsettled disagreement after this one (then before it); the summary when
        none is left."""
        n = len(self.items)
        for step in range(1, n + 1):
            i = (self.index + step) % n
            if self.items[i].settled is None:
                if i < self.index:
                    self.notify("Back to a disagreement you skipped.", timeout=2)
                self.index = i
                self.show()
                return
        self.index = n  # all settled
        self.show()

    def action_take(self, n: int) -> None:
        d = self.current
        if d is None:
            return
        coders = self.state.coders
        if not 1 <= n <= len(coders):
            self.notify(f"There are {len(coders)} coders: keys 1-{len(coders)}.", timeout=2)
            return
        self.settle(d.sets[coders[n - 1]], coders[n - 1])

    def action_decide(self, rule: str) -> None:
        d = self.current
        if d is not None:
            self.settle(d.option(rule), rule)

    def action_edit(self) -> None:
        d = self.current
        if d is None:
            return
        from ..dialogs.checklist import ChecklistDialog
        cb = self.app.project.codebook
        items = []
        for cid, code in cb.codes.items():
            label = Text("  " * cb.depth(cid))
            label.append_text(code_label(code.name, cb.color_of(cid)))
            given = [c for c in self.state.coders if cid in d.sets[c]]
            if given:
                label.append(f"  {', '.join(given)}", style="dim")
            items.append((cid, label))
        chosen = d.settled if d.settled is not None else d.option("union")

        def done(values: list | None) -> None:
            if values is not None and self.current is d:
                self.settle(frozenset(values), "edit")
        self.app.push_screen(ChecklistDialog(
            f"Consensus codes for {d.transcript} · segment {d.segment + 1}", items, chosen,
            prompt="Tick the codes the team agrees on (none ticked: the segment gets no code)."),
            callback=done)

    def action_move(self, step: int) -> None:
        if not self.ready or not self.items:
            return
        self.index = max(0, min(len(self.items) - 1, self.index + step))
        self.show()

    def action_back(self) -> None:
        self.app.pop_screen()
