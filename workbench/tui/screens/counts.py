"""The opinion counts screen: how many interviewees voiced each theme, as a horizontal bar chart
(the study's Figure 1 in the terminal). ``g``/``→`` switches the code group (``value.``,
``finance.``, …, the top-level themes, all codes), ``c`` whose codings are counted.

A thin face over :func:`workbench.counts.opinion_counts` and :func:`workbench.counts.bar_rows`
(the rules — coder, scope, speaker, roll-up — are in docs/COUNTS.md); the rows drawn are
:func:`workbench.chart.chart_rows`, the same as ``workbench chart`` and ``counts --bars``.
"""
from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...config import CONSENSUS
from ...errors import UsageError, WorkbenchError
from ..bindings import bindings_for
from ..widgets.labels import swatch

ALL, THEMES = "all", "themes"


def default_coder(project, app_coder: str | None) -> tuple[str | None, str | None]:
    """(whose codings are counted first, why not the default). The default is
    :func:`workbench.counts.choose_coder`'s: the consensus when it covers every transcript its
    coders finished, else the only coder. When that is ambiguous (several coders and no
    consensus, or a consensus that covers only part) the app's coder (if they have a log), else
    the first coder, with the reason, which the screen shows."""
    from ...counts import choose_coder
    try:
        return choose_coder(project), None
    except UsageError as e:
        coders = [c for c in project.coders() if c != CONSENSUS] or project.coders()
        coder = app_coder if app_coder in coders else (coders[0] if coders else None)
        return coder, f"Showing {coder}'s codings ({e.message}); c chooses another coder."


class CountsScreen(Screen):
    """``CountsScreen(coder=None, group=None)``: one coder's opinion counts as bars."""

    BINDINGS = bindings_for("counts")

    def __init__(self, coder: str | None = None, group: str | None = None) -> None:
        super().__init__(id="counts")
        self.coder = coder
        self.group = group
        self.groups: list[str] = []
        self.result = None      # the Counts of the last computation
        self.rows = None        # the rows drawn (chart_rows / the themes), sorted
        self.error: str | None = None
        self.note: str | None = None   # why the default coder was not taken

    def compose(self) -> ComposeResult:
        yield Static("Opinion counts", id="counts-title", classes="title-bar")
        yield Static("", id="counts-subtitle")
        yield Static("", id="counts-scope")
        yield Static("", id="counts-groups")
        with VerticalScroll(id="counts-body"):
            yield Static("counting…", id="counts-bars")
        yield Static("", id="counts-warnings")
        yield Footer()

    def on_mount(self) -> None:
        project = self.app.project
        cb = project.codebook
        self.groups = [ALL, *[f"{r.id}." for r in cb.roots() if r.children], THEMES]
        if self.group not in self.groups:
            self.group = ALL
        if self.coder is None:
            self.coder, self.note = default_coder(project, self.app.coder)
        self.query_one("#counts-body").focus()
        self.compute()

    # ---- computing ------------------------------------------------------------------------------
    def compute(self) -> None:
        self._groups_line()
        self._title()
        if self.coder is None:
            self._show_error("Nothing to count yet: no coder has a coding log in codings/.")
            return
        self._compute(self.coder, self.group)

    @work(thread=True, exclusive=True, group="counts")
    def _compute(self, coder: str, group: str) -> None:
        from ...chart import chart_rows
        from ...counts import opinion_counts
        project = self.app.project
        try:
            codes = None if group in (ALL, THEMES) else group
            res = opinion_counts(project, coder=coder, codes=codes)
            if group == THEMES:
                roots = [r.id for r in project.codebook.roots()]
                rows = res.frame[res.frame["code"].isin(roots)]
                rows = rows.assign(_o=range(len(rows))).sort_values(
                    ["interviews", "_o"], ascending=[False, True], kind="stable").drop(columns="_o")
            else:
                rows = chart_rows(res)
        except WorkbenchError as e:
            self.app.call_from_thread(self._show_error, str(e))
            return
        self.app.call_from_thread(self._show, res, rows.reset_index(drop=True), coder, group)

    def _show_error(self, message: str) -> None:
        if not self.is_attached:
            return
        self.result, self.rows, self.error = None, None, message
        self.query_one("#counts-bars", Static).update(Text(message, style="bold"))
        self.query_one("#counts-subtitle", Static).update("")
        self.query_one("#counts-scope", Static).update("")
        self.query_one("#counts-warnings", Static).update("")
        self._title()

    def _show(self, res, rows, coder: str, group: str) -> None:
        if not self.is_attached or (coder, group) != (self.coder, self.group):
            return
        self.result, self.rows, self.error = res, rows, None
        d = res.data
        n_all = len(self.app.project.catalog())
        scope = (f"all {n_all} transcripts" if d.include_unfinished else
                 f"{d.n_transcripts} of {n_all} transcripts (marked done by {d.who or d.coder})")
        speaker = {"interviewee": "interviewee turns", "interviewer": "interviewer turns",
                   "all": "all turns"}[d.speaker]
        from ...chart import subtitle
        # the note's first line (its scope line is the screen's own, below)
        self.query_one("#counts-subtitle", Static).update(
            Text(subtitle(res).split("\n")[0], style="bold"))
        self.query_one("#counts-scope", Static).update(
            Text(f"scope: {scope} · speaker: {speaker}", style="dim"))
        warn = Text()
        for w in ([self.note] if self.note else []) + list(res.warnings):
            warn.append(("\n" if warn else "") + f"⚠ {w}", style="yellow")
        self.query_one("#counts-warnings", Static).update(warn)
        self._title()
        self.draw()

    # ---- drawing --------------------------------------------------------------------------------
    def _title(self) -> None:
        parts = ["Opinion counts"]
        if self.group == THEMES:
            parts.append("the themes (top-level codes)")
        elif self.group == ALL:
            parts.append("every code")
        else:
            cb = self.app.project.codebook
            root = self.group.rstrip(".")
            parts.append(cb.codes[root].name if root in cb.codes else self.group)
        if self.coder:
            who = self.result.data.who if self.result is not None and \
                self.result.data.coder == self.coder else self.coder
            parts.append(f"coder: {who}")
        self.query_one("#counts-title", Static).update(" · ".join(parts))

    def _groups_line(self) -> None:
        """The choices, the current one highlighted: ``g group: all local. value. …`` and, with
        several coders, ``c coder: anna boris consensus``."""
        def choices(key: str, what: str, values: list[str], current) -> Text:
            out = Text()
            out.append(key, style="bold")
            out.append(f" {what}:", style="dim")
            for v in values:
                out.append(" ")
                out.append(f"{v}", style="reverse bold" if v == current else "")
            return out
        line = choices("g", "group", self.groups, self.group)
        coders = self.app.project.coders()
        if len(coders) > 1:
            line.append("\n")
            line.append_text(choices("c", "coder", coders, self.coder))
        self.query_one("#counts-groups", Static).update(line)

    def bar_width(self) -> int:
        body = self.query_one("#counts-body", VerticalScroll)
        return max(body.scrollable_content_region.width, 20)

    def draw(self) -> None:
        """The bars, fitted to the current width (called again on resize)."""
        from ...textchart import bar_rows
        if self.rows is None:
            return
        if not len(self.rows):
            self.query_one("#counts-bars", Static).update(Text("(no codes)", style="dim"))
            return
        cb = self.app.project.codebook
        width = self.bar_width()
        label_w = min(max(len(str(n)) for n in self.rows["name"]), max(width * 2 // 5, 12))
        probe = bar_rows(self.rows, 1, sort=False)
        text_w = max(len(t) for t in probe["text"])
        bar_w = max(width - (label_w + 2) - text_w - 3, 1)
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, r in enumerate(bar_rows(self.rows, bar_w, sort=False).itertuples(index=False)):
            if i:
                out.append("\n")
            color = cb.color_of(r.code)
            label = str(r.label)
            label = label if len(label) <= label_w else label[:label_w - 1] + "…"
            out.append_text(swatch(color))
            out.append(f" {label.ljust(label_w)} ")
            out.append(r.bar, style=Style(color=color))
            out.append(f" {r.text}", style="bold")
        self.query_one("#counts-bars", Static).update(out)

    def on_resize(self) -> None:
        self.call_after_refresh(self.draw)

    # ---- keys -----------------------------------------------------------------------------------
    def action_group(self, step: int) -> None:
        if not self.groups:
            return
        self.group = self.groups[(self.groups.index(self.group) + step) % len(self.groups)]
        self.compute()

    def action_coder(self, step: int) -> None:
        coders = self.app.project.coders()
        if not coders:
            return
        i = coders.index(self.coder) if self.coder in coders else -1
        self.coder = coders[(i + step) % len(coders)]
        self.note = None         # chosen now
        self.compute()

    def action_back(self) -> None:
        self.app.pop_screen()
