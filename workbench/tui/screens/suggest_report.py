"""The suggestion quality screen: how far the code suggestions can be trusted — precision,
recall, F1 and kappa of the coder's own suggestions against the coder's own coding (and the
consensus), cross-validated by transcript, next to simple baselines (and a sentence saying
whether the suggestions beat them), the ranking of the right code, the kinds of evidence each
code uses, and the coders' agreement with each other (docs/SUGGESTIONS.md).

A thin face over :func:`workbench.suggest.evaluate.evaluate`, which takes seconds (about 10 s on
the demo): it runs in an app-level worker thread, so the screen never blocks and the user may
leave it meanwhile. The last report is kept on the app (``app.suggest_report``): reopening the
screen shows it at once; ``r`` evaluates again.
"""
from __future__ import annotations

import importlib
import weakref
from functools import partial

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import WorkerState

from ..bindings import bindings_for
from ..widgets.labels import swatch
from ..widgets.table_fill import fill_table
from .agreement import fmt

GROUP = "suggest-evaluate"
FOLDS = 5
_PROGRESS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # app -> last progress line


# ---- the evaluation (app-level: it outlives the screen) ----------------------------------------
def running(app) -> bool:
    return any(w.group == GROUP and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
               for w in app.workers)


def start_evaluation(app) -> None:
    """Evaluate the suggestions in a worker thread; every open report screen is told the
    progress and the result."""
    if running(app):
        return
    _PROGRESS[app] = "starting…"
    app.run_worker(partial(_evaluate, app), thread=True, group=GROUP, exit_on_error=False,
                   name="evaluate suggestions")


def _evaluate(app) -> None:
    report, error = None, None
    try:
        # looked up at call time (the tests replace it with a fast fake)
        module = importlib.import_module("workbench.suggest.evaluate")
        # the suggestions of the coder who opened the app, against that coder's own coding and
        # the consensus: nothing here comes from another coder's log (workbench.suggest.sources)
        report = module.evaluate(app.project, folds=FOLDS, curve=False,
                                 coder=getattr(app, "coder", None),
                                 progress=lambda msg: _call(app, _progressed, app, msg))
    except ImportError as e:
        error = f"Suggestions are not available in this installation: {e}"
    except Exception as e:  # an optional report: say what went wrong, keep the app running
        error = f"The evaluation failed: {type(e).__name__}: {e}"
    _call(app, _finished, app, report, error)


def _call(app, fn, *args) -> None:
    try:
        app.call_from_thread(fn, *args)
    except RuntimeError:
        pass  # the app has quit meanwhile: nobody is left to show the result to


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.0f}%"


def _screens(app):
    return [s for s in app.screen_stack if isinstance(s, SuggestReportScreen)]


def _progressed(app, message: str) -> None:
    _PROGRESS[app] = message
    for s in _screens(app):
        s.show_progress()


def _finished(app, report, error: str | None) -> None:
    _PROGRESS.pop(app, None)
    if report is not None:
        app.suggest_report = report
    for s in _screens(app):
        if report is not None:
            s.show_report(report)
        else:
            s.show_error(error or "The evaluation gave no report.")
    if report is not None and not _screens(app):
        app.notify("The suggestion quality report is ready (palette: view: suggestions).",
                   timeout=4)


# ---- the screen ---------------------------------------------------------------------------------
class SuggestReportScreen(Screen):
    """The last evaluation report, or the progress of the running one."""

    BINDINGS = bindings_for("suggestions")

    def __init__(self) -> None:
        super().__init__(id="suggestions")
        self.report = None

    def compose(self) -> ComposeResult:
        yield Static("Suggestion quality", id="suggestions-title", classes="title-bar")
        yield Static("", id="suggestions-summary")
        yield DataTable(id="suggestions-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="suggestions-note")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        report = getattr(self.app, "suggest_report", None)
        if report is not None:
            self.show_report(report, cached=True)
        else:
            start_evaluation(self.app)
        if running(self.app):
            self.show_progress()

    def show_progress(self) -> None:
        if not self.is_attached:
            return
        msg = _PROGRESS.get(self.app, "…")
        out = Text()
        out.append("Evaluating the suggestions… ", style="bold")
        out.append(f"{msg}\n", style="italic")
        out.append(f"{FOLDS}-fold cross-validation by transcript: each group of transcripts is "
                   "held out in turn, the model is trained on the others and its suggestions are "
                   "compared with the coding. This takes a few seconds (about 10 s on the "
                   "demo); you can leave this screen meanwhile, the result is kept.", style="dim")
        target = "#suggestions-note" if self.report is not None else "#suggestions-summary"
        self.query_one(target, Static).update(out)

    def show_error(self, message: str) -> None:
        if not self.is_attached:
            return
        self.query_one("#suggestions-summary" if self.report is None else "#suggestions-note",
                       Static).update(Text(message, style="bold red"))

    def show_report(self, report, *, cached: bool = False) -> None:
        if not self.is_attached:
            return
        self.report = report
        how = (f"{report.folds}-fold cross-validation by transcript" if report.folds
               else "rules only, no cross-validation")
        self.query_one("#suggestions-title", Static).update(f"Suggestion quality · {how}")
        self.query_one("#suggestions-summary", Static).update(self._summary(report))
        self._fill_table(report)
        note = Text()
        if report.note:
            note.append(f"Note: {report.note}\n", style="yellow")
        when = "kept from earlier in this session" if cached else "just computed"
        note.append(f"{when} ({report.seconds:.1f} s) · r evaluates again · "
                    "coders' κ: the coders' own agreement on the code (the yardstick)",
                    style="dim")
        self.query_one("#suggestions-note", Static).update(note)

    def _summary(self, report) -> Group | Text:
        if not report.per_code:
            return Text(f"No evaluation: {report.note or 'nothing to evaluate'}", style="bold")
        head = Text(f"{report.n_transcripts} coded transcripts, {report.n_segments} segments · "
                    f"coders: {', '.join(report.coders) or '—'}"
                    + (f" (consensus labels on {len(report.consensus_transcripts)} transcripts)"
                       if report.consensus_transcripts else "")
                    + f" · threshold {report.threshold:g}", style="dim")
        t = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
        t.add_column("", no_wrap=True)
        for h in ("precision", "recall", "F1", "κ", "support", "suggested"):
            t.add_column(h, justify="right", no_wrap=True)

        def row(label, m, style=""):
            if not m:
                return
            t.add_row(Text(label, style=style or "bold"),
                      *(fmt(m.get(k)) for k in ("precision", "recall", "f1", "kappa")),
                      str(m.get("support", "") if m.get("support") is not None else ""),
                      str(m.get("suggested", "") if m.get("suggested") is not None else ""),
                      style=style)
        row("suggestions: micro", report.micro)
        row("suggestions: macro", {**report.macro, "support": None, "suggested": None})
        comp = report.components or {}
        row("coded examples alone", comp.get("model"), "dim")
        row("codebook alone", comp.get("codebook"), "dim")
        for b in getattr(report, "baselines", None) or []:
            row(f"baseline: {b['name']}", b.get("micro"), "dim")
        human = (report.human or {}).get("micro")
        row("coders, each other", human, "green")
        out = Text()
        rk = getattr(report, "ranking", None) or {}
        if rk.get("units"):
            out.append(f"A right code is the first suggestion on {_pct(rk.get('recall_at_1'))} "
                       f"of the coded turns and among the first three on "
                       f"{_pct(rk.get('recall_at_3'))}. ")
        verdict = getattr(report, "verdict", None)
        if verdict:
            beats = getattr(report, "beats_baselines", None)
            out.append(verdict + " ", style="bold green" if beats else "bold yellow")
        kappa = (report.micro or {}).get("kappa")
        if human and human.get("kappa") is not None and kappa is not None:
            out.append(f"Suggestions are as good as a second coder when their κ reaches the "
                       f"coders' own: {fmt(kappa)} vs {fmt(human['kappa'])}.")
        frequent = [p for p in report.per_code if p["support"] >= 10]
        if frequent:
            good = [p for p in frequent if (p["kappa"] or 0) >= 0.6]
            out.append(f" Frequent codes (support ≥ 10): {len(good)} of {len(frequent)} "
                       "with κ ≥ 0.6.")
        return Group(head, t, out) if out else Group(head, t)

    def _fill_table(self, report) -> None:
        table = self.query_one(DataTable)
        if not report.per_code:
            table.clear(columns=True)
            return
        cb = self.app.project.codebook
        rows = []
        room = max(16, min(48, self.size.width - 92))
        for p in report.per_code:
            cid = p["code"]
            name = cb.codes[cid].name if cid in cb.codes else cid
            name = name if len(name) <= room else name[:room - 1] + "…"
            label = Text()
            label.append_text(swatch(cb.color_of(cid)))
            label.append(f" {name}")
            nums = [Text(str(p.get("support", "")), justify="right"),
                    Text(str(p.get("suggested", "")), justify="right")]
            for k in ("precision", "recall", "f1", "kappa", "human_kappa"):
                shown = fmt(p.get(k))
                nums.append(Text(shown, justify="right", style="dim" if shown == "—" else ""))
            nums.append(Text(", ".join(p.get("evidence") or []) or "—", style="dim"))
            rows.append((cid, [label, *nums]))
        fill_table(table, [("code", "code"), ("support", "support"), ("sugg", "suggested"),
                           ("prec", "precision"), ("recall", "recall"), ("F1", "f1"),
                           ("κ", "kappa"), ("coders' κ", "human_kappa"),
                           ("evidence", "evidence")], rows)

    def action_rerun(self) -> None:
        if running(self.app):
            self.notify("An evaluation is already running.", timeout=2)
            return
        start_evaluation(self.app)
        self.show_progress()

    def action_back(self) -> None:
        self.app.pop_screen()
