"""The opinion counts screen: Figure 1 as terminal bars, the same numbers as opinion_counts,
group and coder switches, the consensus by default, and bars that follow the terminal width."""
from __future__ import annotations

from tui_helpers import copy_demo_with_logs, make_app, ready, screen_text, settle_workers

from workbench.agreement.reconcile import mark_finished, reconcile_state, seed_agreed, settle
from workbench.counts import opinion_counts
from workbench.project import Project


def bar_line(app, name: str) -> str:
    return next(line for line in screen_text(app).splitlines() if f"■ {name}" in line)


def expected(root, coder: str, code: str) -> str:
    df = opinion_counts(Project.open(root), coder=coder, codes="value.").frame.set_index("code")
    r = df.loc[code]
    return f"{int(r['interviews'])} ({r['percent']:.1f}%)"


async def test_bars_show_the_opinion_counts(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    app = make_app(root, coder="anna")  # two coders, no consensus: the app's coder is counted
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+n")
        await settle_workers(pilot)
        screen = app.screen
        assert screen.id == "counts" and screen.coder == "anna"
        while screen.group != "value.":
            await pilot.press("g")
        await settle_workers(pilot)
        text = screen_text(app)
        assert "Opinion counts · Added value for members · coder: anna" in text
        assert "by the number of opinions among the 10 interviewees (coder: anna)" in text
        line = bar_line(app, "Joint R&D projects")
        assert line.rstrip().endswith(expected(root, "anna", "value.joint_rnd"))
        assert "█" in line
        # Figure 1: value's sub-codes, largest first; the parent itself is not drawn
        names = [ln.split("■ ")[1][:20] for ln in text.splitlines() if "■ " in ln]
        assert names[0].startswith("Joint R&D projects")
        assert not any(n.startswith("Added value") for n in names)
        # the other coder
        await pilot.press("c")
        await settle_workers(pilot)
        assert screen.coder == "boris"
        assert bar_line(app, "Joint R&D projects").rstrip().endswith(
            expected(root, "boris", "value.joint_rnd"))
        # wider terminal, longer bars; every line fits
        short = bar_line(app, "Joint R&D projects").count("█")
        await pilot.resize_terminal(200, 60)
        await settle_workers(pilot)
        line = bar_line(app, "Joint R&D projects")
        assert line.count("█") > short + 50
        assert line.rstrip().endswith(expected(root, "boris", "value.joint_rnd"))
        await pilot.resize_terminal(80, 24)
        await settle_workers(pilot)
        assert bar_line(app, "Joint R&D projects").rstrip().endswith(
            expected(root, "boris", "value.joint_rnd"))


async def test_the_consensus_is_counted_when_it_exists(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    p = Project.open(root)
    st = reconcile_state(p, ["anna", "boris"])
    with p.log("consensus") as log:
        seed_agreed(p, log, st)
        for d in st.open:
            settle(p, log, d, d.option("union"), "union", st.coders)
        mark_finished(p, log, st)
    app = make_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+n")
        await settle_workers(pilot)
        assert app.screen.coder == "consensus"
        text = screen_text(app)
        assert "among the 9 interviewees (coder: consensus of anna, boris)" in text
        assert "scope: 9 of 10 transcripts (marked done by consensus of anna, boris)" in text
        df = opinion_counts(Project.open(root), coder="consensus").frame.set_index("code")
        r = df.loc["finance.membership_fees"]
        assert bar_line(app, "Membership fees").rstrip().endswith(
            f"{int(r['interviews'])} ({r['percent']:.1f}%)")
