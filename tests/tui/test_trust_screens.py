"""Issue 12 in the terminal UI: the agreement screen shows "all agree" beside the pairwise
agreement for three coders and saves the chosen coders as the project's team; the counts view
does not take a partial consensus; the name prompt refuses `consensus`."""
from __future__ import annotations

from textual.widgets import DataTable
from tui_helpers import copy_demo_with_logs, make_app, ready, screen_text, settle_workers

from workbench.agreement.reconcile import mark_finished, reconcile_state, seed_agreed, settle
from workbench.agreement.report import agreement_report
from workbench.config import load_config
from workbench.project import Project


def add_third_coder(root, name: str = "cleo") -> None:
    """cleo codes P01 and P02 like anna, but drops every 3rd coding, and marks them done."""
    p = Project.open(root)
    with p.log(name) as log:
        for i, c in enumerate(c for c in p.codings("anna") if c.transcript in ("P01", "P02")):
            if i % 3:
                log.code(c.transcript, c.start, c.end, c.code, quote=c.quote)
        log.done("P01")
        log.done("P02")


async def test_three_coders_show_pairwise_and_all_agree(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    add_third_coder(root)
    app = make_app(root)
    async with app.run_test(size=(140, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+t")
        await settle_workers(pilot)
        rep = agreement_report(Project.open(root), ["anna", "boris", "cleo"])
        o = rep.overall
        assert o["percent_agreement"] != o["unanimous"]
        text = " ".join(screen_text(app).split())
        assert f"agreement {100 * o['percent_agreement']:.1f}%" in text
        assert f"all agree {100 * o['unanimous']:.1f}%" in text
        assert "agreement: mean over coder pairs" in text
        table = app.screen.query_one(DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert "agree" in headers and "all" in headers and "Fleiss κ" in headers


async def test_choosing_coders_saves_the_team(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    add_third_coder(root, "trial")
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+t")
        await settle_workers(pilot)
        assert app.screen.shown_coders == ["anna", "boris", "trial"]   # no team yet
        assert "trial (2) finished far fewer transcripts" in " ".join(screen_text(app).split())
        await pilot.press("c")
        await pilot.pause()
        # the list: anna, boris, trial (all ticked); untick trial
        await pilot.press("down", "down", "space", "enter")
        await settle_workers(pilot)
        assert app.screen.shown_coders == ["anna", "boris"]
    assert load_config(root).agreement.coders == ["anna", "boris"]
    # opened again, the agreement screen compares the team, and says who was left out and why
    app = make_app(root)
    async with app.run_test(size=(160, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+t")
        await settle_workers(pilot)
        assert app.screen.shown_coders == ["anna", "boris"]
        text = " ".join(screen_text(app).split())
        assert "coders: anna, boris (the team, workbench.toml)" in text
        assert "left out: trial (not in the team" in text


async def test_counts_view_does_not_take_a_partial_consensus(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    p = Project.open(root)
    st = reconcile_state(p, ["anna", "boris"])
    with p.log("consensus") as log:       # as the reconcile screen leaves it after 4 decisions
        seed_agreed(p, log, st)
        for d in st.open[:4]:
            settle(p, log, d, d.option("union"), "union", st.coders)
        mark_finished(p, log, st)
    app = make_app(root, coder="anna")
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+n")
        await settle_workers(pilot)
        assert app.screen.coder == "anna"
        text = " ".join(screen_text(app).split())
        assert "among the 10 interviewees (coder: anna)" in text
        assert "Showing anna's codings (the consensus of anna, boris covers" in text
        assert "c chooses another coder" in text


async def test_prompt_refuses_consensus(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    app = make_app(root, coder=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.id == "coder_prompt"
        await pilot.press(*"consensus", "enter")
        await pilot.pause()
        assert app.screen.id == "coder_prompt"
        assert "reserved for the reconciled codings" in " ".join(screen_text(app).split())
    assert not (root / "codings" / "consensus.jsonl").exists()


async def test_reconcile_screen_refuses_a_second_pair_with_the_way_forward(tmp_path):
    from workbench.cli import main
    from workbench.tui.screens.reconcile import ReconcileScreen
    root = copy_demo_with_logs(tmp_path / "demo")
    assert main(["reconcile", str(root), "--coders", "anna,boris", "--take", "union"]) == 0
    add_third_coder(root, "a2")
    add_third_coder(root, "a3")
    p = Project.open(root)
    with p.log("a3") as log:           # a3 differs from a2 somewhere in P01
        s = p.transcript("P01").segments[1]
        log.code("P01", s.start, s.end, "future.rnd_plans", quote=s.text)
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        app.push_screen(ReconcileScreen(coders=["a2", "a3"]))
        await settle_workers(pilot)
        text = " ".join(screen_text(app).split())
        assert "the consensus already settles" in text and "for anna, boris" in text
        assert "--coders anna,boris,a2,a3" in text
