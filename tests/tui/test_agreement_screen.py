"""The agreement screen: the overall figures and the per-code table of agreement_report, the unit
switch, undefined values with their reason, too few coders, and Enter into reconcile."""
from __future__ import annotations

from textual.widgets import DataTable
from tui_helpers import copy_demo_with_logs, make_app, ready, screen_text, settle_workers

from workbench.agreement.report import agreement_report
from workbench.project import Project


def row_cells(table: DataTable, code: str) -> list[str]:
    return [str(c) for c in table.get_row(code)]


async def test_overall_and_per_code_figures_match_the_report(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    app = make_app(root)  # coder "tester" opens the app and codes nothing: no log, not compared
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+t")
        await settle_workers(pilot)
        screen = app.screen
        assert screen.id == "agreement"
        rep = agreement_report(Project.open(root), ["anna", "boris"], unit="segment")
        text = screen_text(app)
        assert f"Krippendorff's α (MASI) {rep.overall['krippendorff_alpha']:.3f}" in text
        assert f"Cohen's κ (sets) {rep.overall['cohen_kappa']:.3f}" in text
        assert f"agreement {100 * rep.overall['percent_agreement']:.1f}%" in text
        assert f"{rep.overall['n_units']} units · coders: anna, boris" in text
        assert "tester" not in text
        assert not (root / "codings" / "tester.jsonl").exists()   # opening wrote nothing
        assert "boris has not marked 1 transcript(s) done (P10)" in text
        table = screen.query_one(DataTable)
        assert table.row_count == len(rep.per_code)
        r = rep.per_code.set_index("code").loc["value.competitiveness"]
        cells = row_cells(table, "value.competitiveness")
        assert "Increased competitiveness" in cells[0]
        assert cells[1:] == [str(r["n_units"]), f"{100 * r['prevalence']:.1f}%",
                             f"{100 * r['percent_agreement']:.1f}%",
                             *(f"{r[k]:.3f}" for k in ("cohen_kappa", "krippendorff_alpha",
                                                       "gwet_ac1", "brennan_prediger"))]

        # transcript level: a code every coder used everywhere has no kappa — "—" and the reason
        await pilot.press("u")
        await settle_workers(pilot)
        assert screen.unit == "transcript"
        rep_t = agreement_report(Project.open(root), ["anna", "boris"], unit="transcript")
        text = screen_text(app)
        assert "unit: transcript" in text
        assert f"Krippendorff's α (MASI) {rep_t.overall['krippendorff_alpha']:.3f}" in text
        cells = row_cells(table, "local")
        assert cells[4] == "—" and cells[5] == "—"  # κ and α
        table.move_cursor(row=table.get_row_index("local"))
        await pilot.pause()
        assert "undefined: cohen_kappa, krippendorff_alpha: no variation" in \
            " ".join(screen_text(app).split())

        # span level: alpha per code only; the overall line says so
        await pilot.press("u")
        await settle_workers(pilot)
        text = screen_text(app)
        assert "unit: span" in text and "agreement (characters)" in text

        # Enter on a code: the reconcile screen on that code's disagreements
        await pilot.press("u")
        await settle_workers(pilot)
        table.move_cursor(row=table.get_row_index("value.competitiveness"))
        await pilot.press("enter")
        await settle_workers(pilot)
        assert app.screen.id == "reconcile"
        assert app.screen.code == "value.competitiveness"
        assert "code: Increased competitiveness" in screen_text(app)
        await pilot.press("q")
        assert app.screen.id == "agreement"


async def test_one_coder_explains_instead_of_failing(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo", coders=("anna",))
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+t")
        await settle_workers(pilot)
        assert app.screen.id == "agreement"
        text = " ".join(screen_text(app).split())
        assert "Agreement compares two or more coders" in text
        assert "(anna)" in text and "tester" not in text
        assert app.screen.query_one(DataTable).row_count == 0
        # the coders dialog refuses fewer than two
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "choose at least two coders" in screen_text(app)
        await pilot.press("escape", "q")
        assert app.screen.id == "project"


async def test_the_table_is_drawn_with_its_widths_the_moment_it_is_filled(tmp_path):
    """CI caught a snapshot with every column only as wide as its header ("9" for 99 units,
    "■ Re" for a code's name): the table had been drawn before the DataTable measured its new
    cells on an idle. The screen gives each column its width when it fills the table."""
    app = make_app(copy_demo_with_logs(tmp_path / "demo"), coder="anna")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+t")
        await settle_workers(pilot)
        screen = app.screen
        screen._fill_table()          # as the worker's result does, with no idle after it
        table = screen.query_one(DataTable)
        widths = {str(k.value): c.get_render_width(table) - 2 for k, c in table.columns.items()}
        assert widths["n_units"] >= len("99")
        assert widths["label"] >= len("■ Reliance on the local environment")
        assert widths["percent_agreement"] >= len("100.0%")
        line = table.render_line(1).text   # the first row (under the header), drawn now
        assert "Reliance on the local environment" in line and " 99 " in line
