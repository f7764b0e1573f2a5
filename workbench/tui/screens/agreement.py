"""The agreement screen: how alike the coders applied the codebook — the overall figures and one
row per code — at the segment, transcript or span level (``u``), for the coders chosen with
``c``. Enter on a code opens the reconcile screen on that code's disagreements.

A thin face over :func:`workbench.agreement.report.agreement_report` (computed in a worker
thread); the statistics are documented in docs/AGREEMENT.md.
"""
from __future__ import annotations

import math

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...errors import WorkbenchError
from ..bindings import bindings_for
from ..widgets.labels import swatch
from ..widgets.table_fill import fill_table
from .coder_choice import compared_coders, left_out_text, too_few_coders

UNITS = ("segment", "transcript", "span")
WIDE = 150  # from this width on, the table also shows the code ids


def fmt(v, *, percent: bool = False) -> str:
    """A coefficient for the table: 3 decimals, or a percentage; undefined (None/NaN) is "—"."""
    if v is None:
        return "—"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return "—"
    return f"{100 * f:.1f}%" if percent else f"{f:.3f}"


class AgreementScreen(Screen):
    """Overall and per-code agreement of the chosen coders."""

    BINDINGS = bindings_for("agreement")

    def __init__(self, coders: list[str] | None = None, unit: str = "segment") -> None:
        super().__init__(id="agreement")
        self.coders = list(coders) if coders else None  # None: compared_coders()
        self.unit = unit
        self.report = None
        self.shown_coders: list[str] = []  # the coders of the figures on screen
        self.rows: list[dict] = []
        self._wide: bool | None = None

    def compose(self) -> ComposeResult:
        yield Static("Agreement", id="agreement-title", classes="title-bar")
        yield Static("computing…", id="agreement-overall")
        yield DataTable(id="agreement-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="agreement-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.compute()

    # ---- computing ------------------------------------------------------------------------------
    def compute(self) -> None:
        self.query_one("#agreement-overall", Static).update(
            Text(f"computing agreement at the {self.unit} level…", style="italic"))
        self._title()
        self._compute(self.coders, self.unit)

    @work(thread=True, exclusive=True, group="agreement")
    def _compute(self, coders: list[str] | None, unit: str) -> None:
        from ...agreement.report import agreement_report
        project = self.app.project
        idle: dict[str, str] = {}
        try:
            chosen = coders
            if coders is None:
                coders, idle = compared_coders(project)
            if len(coders) < 2:
                self.app.call_from_thread(self._show_message, too_few_coders(project, coders, idle),
                                          coders)
                return
            # the default choice is the core's (with its warnings: a trial coder, the team)
            report = agreement_report(project, chosen, unit=unit, codes=None)
        except WorkbenchError as e:
            self.app.call_from_thread(self._show_message, str(e), coders or [])
            return
        self.app.call_from_thread(self._show, report, unit, idle)

    def _show_message(self, message: str, coders: list[str]) -> None:
        if not self.is_attached:
            return
        self.report, self.rows = None, []
        self.shown_coders = list(coders)
        self.query_one(DataTable).clear(columns=True)
        self.query_one("#agreement-overall", Static).update(Text(message, style="bold"))
        self.query_one("#agreement-detail", Static).update("")
        self._title()

    def _show(self, report, unit: str, idle: dict[str, str]) -> None:
        if not self.is_attached or unit != self.unit:
            return
        self.report = report
        self.shown_coders = list(report.overall["coders"])
        self.rows = report.per_code.to_dict(orient="records")
        self.query_one("#agreement-overall", Static).update(self._overall(report, idle))
        self._fill_table()
        self._title()

    # ---- rendering ------------------------------------------------------------------------------
    def _title(self) -> None:
        coders = self.shown_coders or self.coders or []
        parts = ["Agreement", ", ".join(coders) or "…", f"unit: {self.unit}"]
        if self.report is not None:
            n = self.report.overall.get("n_characters" if self.unit == "span" else "n_units")
            what = "characters" if self.unit == "span" else f"{self.unit}s"
            parts.append(f"{n} {what}")
        self.query_one("#agreement-title", Static).update(" · ".join(parts))

    @property
    def kappa_key(self) -> str:
        coders = self.report.overall["coders"] if self.report is not None else []
        return "cohen_kappa" if len(coders) <= 2 else "fleiss_kappa"

    def _overall(self, report, idle: dict[str, str]) -> Text:
        o = report.overall
        kappa = "Cohen's κ" if self.kappa_key == "cohen_kappa" else "Fleiss' κ"
        out = Text()

        def figure(label: str, value: str) -> None:
            if out:
                out.append("   ")
            out.append(f"{label} ")
            out.append(value, style="bold")
        many = len(o.get("coders", [])) > 2
        if self.unit == "span":
            figure("agreement (characters)", fmt(o.get("percent_agreement"), percent=True))
        else:
            dist = "Jaccard" if o.get("distance") == "jaccard" else "MASI"
            figure(f"Krippendorff's α ({dist})", fmt(o.get("krippendorff_alpha")))
            figure(f"{kappa} (sets)", fmt(o.get(self.kappa_key)))
            figure("agreement", fmt(o.get("percent_agreement"), percent=True))
        if many:   # with two coders "all agree" is the pairwise figure
            figure("all agree", fmt(o.get("unanimous"), percent=True))
        what = "characters" if self.unit == "span" else "units"
        n = o.get("n_characters") if self.unit == "span" else o.get("n_units")
        team = self.app.project.config.agreement.coders
        shown = list(o.get("coders", []))
        is_team = bool(team) and self.coders is None and set(shown) <= set(team)
        out.append(f"\n{n} {what} · coders: {', '.join(shown)}"
                   + (" (the team, workbench.toml)" if is_team else ""), style="dim")
        if idle:
            out.append(f" · left out: {left_out_text(idle)}", style="dim")
        if many:
            out.append("\nagreement: mean over coder pairs · all agree: share of units on which "
                       "every coder agrees", style="dim")
        # "reason" joins the per-figure "reasons" (at span level it stands alone)
        reasons = ([o["reason"]] if o.get("reason") else
                   [f"{k}: {v}" for k, v in (o.get("reasons") or {}).items()])
        for r in reasons:
            out.append(f"\n{r}", style="dim italic")
        for w in report.warnings:
            out.append(f"\n⚠ {w}", style="yellow")
        return out

    def _columns(self) -> list[tuple[str, str, str]]:
        """(header, key, kind) of the per-code table for the unit and the screen width."""
        kappa = ("κ", self.kappa_key, "num") if self.kappa_key == "cohen_kappa" else \
            ("Fleiss κ", "fleiss_kappa", "num")
        cols = [("code", "label", "label")]
        if self._wide:
            cols.insert(0, ("id", "code", "text"))
        many = self.kappa_key == "fleiss_kappa"
        agree = [("agree", "percent_agreement", "pct")] + (
            [("all", "unanimous", "pct")] if many else [])
        if self.unit == "span":
            cols += [("chars", "n_characters", "int"), ("prev", "prevalence", "pct"), *agree,
                     kappa, ("α", "krippendorff_alpha", "num"), ("match", "segment_match", "num"),
                     ("codings", "n_codings", "int")]
        else:
            cols += [("n", "n_units", "int"), ("prev", "prevalence", "pct"), *agree, kappa,
                     ("α", "krippendorff_alpha", "num"), ("AC1", "gwet_ac1", "num"),
                     ("BP", "brennan_prediger", "num")]
        return cols

    def _cells(self, r: dict, cols, label_w: int) -> list:
        cb = self.app.project.codebook
        cells = []
        for _, key, kind in cols:
            v = r.get(key)
            if kind == "label":
                cid = r["code"]
                depth = cb.depth(cid) if cid in cb.codes else 0
                name = "  " * depth + str(r.get("name") or cid)
                room = label_w - 2
                name = name if len(name) <= room else name[:room - 1] + "…"
                cell = Text()
                cell.append_text(swatch(cb.color_of(cid)))
                cell.append(" " + name, style="bold" if depth == 0 else "")
                cells.append(cell)
            elif kind == "text":
                cells.append(Text(str(v)))
            elif kind == "int":
                cells.append(Text("—" if v is None or v != v else str(int(v)), justify="right"))
            else:
                shown = fmt(v, percent=kind == "pct")
                cells.append(Text(shown, justify="right", style="dim" if shown == "—" else ""))
        return cells

    def _fill_table(self) -> None:
        table = self.query_one(DataTable)
        keep = self.selected_code()
        self._wide = self.size.width >= WIDE
        cols = self._columns()
        # the label column gets what the other columns leave (cell padding: 1 + 1)
        probe = [self._cells(r, cols, 10) for r in self.rows]
        fixed = 0
        for j, (header, _, kind) in enumerate(cols):
            if kind != "label":
                fixed += max([len(header), *(p[j].cell_len for p in probe)]) + 2
        label_w = max(16, min(60, self.size.width - fixed - 4))
        fill_table(table, [(header, key) for header, key, _ in cols],
                   [(r["code"], self._cells(r, cols, label_w)) for r in self.rows])
        if keep is not None and keep in {r["code"] for r in self.rows}:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        self._detail(table.cursor_row if self.rows else None)

    def _detail(self, row: int | None) -> None:
        out = Text()
        if row is not None and 0 <= row < len(self.rows):
            r = self.rows[row]
            out.append(f"{r['code']}", style="bold")
            out.append(f" · {r.get('name')}")
            if r.get("reason"):
                out.append(f"\n— undefined: {r['reason']}", style="yellow")
            else:
                out.append("\nEnter: reconcile the disagreements on this code", style="dim")
        self.query_one("#agreement-detail", Static).update(out)

    def selected_code(self) -> str | None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        if not self.rows or row is None or not 0 <= row < len(self.rows):
            return None
        return self.rows[row]["code"]

    # ---- events ---------------------------------------------------------------------------------
    def on_resize(self) -> None:
        if self.rows and self._wide is not None:
            self._fill_table()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_reconcile_code()

    def action_next_unit(self) -> None:
        self.unit = UNITS[(UNITS.index(self.unit) + 1) % len(UNITS)]
        self.report = None
        self.compute()

    def action_choose_coders(self) -> None:
        from ..dialogs.checklist import ChecklistDialog
        project = self.app.project
        available = project.coders()
        if not available:
            self.notify("No coder has a coding log yet.", severity="warning")
            return
        items = []
        for c in available:
            done = len(project.state(c).done)
            items.append((c, f"{c}  ({done} transcript{'s' if done != 1 else ''} marked done)"))
        chosen = self.shown_coders or self.coders or []

        def validate(values: list) -> str | None:
            return None if len(values) >= 2 else "choose at least two coders"

        def done(values: list | None) -> None:
            if values:
                self.coders = list(values)
                self.report = None
                self.remember_team(self.coders)
                self.compute()
        self.app.push_screen(ChecklistDialog(
            "Coders to compare", items, chosen, validate=validate,
            prompt="Your choice is saved as the project's team ([agreement] coders in "
                   "workbench.toml): agree, export and the report compare them by default."),
            callback=done)

    def remember_team(self, coders: list[str]) -> None:
        """Save ``coders`` as the project's team (workbench.toml), and say so."""
        from ...config import save_team
        project = self.app.project
        if list(project.config.agreement.coders) == list(coders):
            return
        try:
            save_team(project.root, coders)
        except (OSError, WorkbenchError) as e:
            self.notify(f"The team could not be saved in workbench.toml: {e}", severity="warning")
            return
        project.config.agreement.coders = list(coders)
        self.notify(f"Saved as the team in workbench.toml: {', '.join(coders)}", timeout=4)

    def _reconcile(self, code: str | None) -> None:
        from .reconcile import ReconcileScreen
        coders = self.shown_coders
        if self.report is None or not coders or len(coders) < 2:
            self.notify("Reconciling needs two coders with transcripts marked done.",
                        severity="warning")
            return
        self.app.push_screen(ReconcileScreen(code=code, coders=coders))

    def action_reconcile_code(self) -> None:
        self._reconcile(self.selected_code())

    def action_reconcile_all(self) -> None:
        self._reconcile(None)

    def action_back(self) -> None:
        self.app.pop_screen()
