"""The reconcile screen: decisions are appended to codings/consensus.jsonl before the screen
moves on; the consensus log is opened with the screen and released when it closes."""
from __future__ import annotations

from textual.widgets import SelectionList
from tui_helpers import copy_demo_with_logs, events, make_app, ready, screen_text, settle_workers

from workbench.agreement.reconcile import reconcile_state
from workbench.project import Project


def consensus(root) -> list[dict]:
    return events(root, "consensus")


async def open_reconcile(pilot):
    await pilot.press("ctrl+t")
    await settle_workers(pilot)
    await pilot.press("r")
    await settle_workers(pilot)
    assert pilot.app.screen.id == "reconcile"


async def test_take_a_coder_then_union_then_close(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    st = reconcile_state(Project.open(root), ["anna", "boris"])
    first, second = st.open[0], st.open[1]
    app = make_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        await open_reconcile(pilot)
        # opening copied the agreed units into the consensus
        seeded = consensus(root)
        assert {e["settles"]["unit"] for e in seeded if e.get("settles")} == \
            {d.unit for d in st.agreed}
        assert all(e["settles"]["decision"] == "agreed" for e in seeded if e.get("settles"))
        text = " ".join(screen_text(app).split())
        assert f"1 of {len(st.open)}" in text
        assert f"{first.transcript} · segment {first.segment + 1}" in text
        assert " ".join(first.quote.split())[:60] in text

        await pilot.press("1")
        await pilot.pause()
        written = consensus(root)[len(seeded):]
        new = [e for e in written if e["op"] == "code"]
        assert new
        assert {e["settles"]["decision"] for e in new} == {"anna"}
        assert {e["settles"]["unit"] for e in new} == {first.unit}
        assert {e["code"] for e in new} == set(first.sets["anna"])
        assert all(e["source"] == "consensus" for e in new)
        # that was the last disagreement of its transcript: the consensus marks it done
        assert first.transcript not in {d.transcript for d in st.open[1:]}
        assert written[-1] == {**written[-1], "op": "done", "transcript": first.transcript}
        text = " ".join(screen_text(app).split())
        assert f"2 of {len(st.open)} · 1 settled" in text
        assert f"{second.transcript} · segment {second.segment + 1}" in text

        # back to the first: shown as settled; the union replaces it (uncode, then code)
        await pilot.press("k")
        await pilot.pause()
        assert "✓ settled (anna)" in screen_text(app)
        n = len(consensus(root))
        await pilot.press("u")
        await pilot.pause()
        again = consensus(root)[n:]
        assert [e["op"] for e in again][:len(first.sets["anna"])] == \
            ["uncode"] * len(first.sets["anna"])
        union = [e for e in again if e["op"] == "code"]
        assert {e["code"] for e in union} == set(first.option("union"))
        assert {e["settles"]["decision"] for e in union} == {"union"}

        # the edit dialog starts from the union; Space ticks the first code, Enter saves
        await pilot.press("e")
        await pilot.pause()
        checks = app.screen.query_one(SelectionList)
        assert set(checks.selected) == set(second.option("union"))
        first_code = next(iter(app.project.codebook.codes))
        await pilot.press("space", "enter")
        await pilot.pause()
        edited = [e for e in consensus(root) if e.get("settles", {}).get("unit") == second.unit]
        assert {e["settles"]["decision"] for e in edited} == {"edit"}
        assert {e["code"] for e in edited} == set(second.option("union")) | {first_code}

        await pilot.press("q")
        await pilot.pause()
        assert app.screen.id == "agreement"
    # the screen released the consensus log
    with Project.open(root).log("consensus"):
        pass


async def test_settling_everything_finishes_the_consensus(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    st = reconcile_state(Project.open(root), ["anna", "boris"])
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "project")
        await open_reconcile(pilot)
        await pilot.press("s")  # skip the first: it comes back at the end
        await pilot.pause()
        await pilot.press(*["i"] * len(st.open))
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert f"All {len(st.open)} disagreements are settled" in text
        assert reconcile_state(Project.open(root), ["anna", "boris"]).open == []
    done = {e["transcript"] for e in consensus(root) if e["op"] == "done"}
    assert done == {f"P0{i}" for i in range(1, 10)}  # boris has not finished P10


async def test_a_locked_consensus_log_is_explained(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    app = make_app(root)
    with Project.open(root).log("consensus"):  # another workbench is reconciling
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot, "project")
            app.action_view("reconcile")
            await settle_workers(pilot)
            assert app.screen.id == "reconcile"
            assert "open in another workbench window or process" in \
                " ".join(screen_text(app).split())
            await pilot.press("1")
            await pilot.press("q")
            assert app.screen.id == "project"
    assert consensus(root) == []


async def test_one_code_walks_its_units_and_keeps_the_others_open(tmp_path):
    """Filtered to one code the screen still seeds and settles whole code sets: a unit where the
    coders agree on the code but differ on another stays open for the full walk."""
    root = copy_demo_with_logs(tmp_path / "demo")
    code = "stakeholders.authorities"
    st = reconcile_state(Project.open(root), ["anna", "boris"])
    on_code = [d for d in st.open
               if len({frozenset(s & {code}) for s in d.sets.values()}) > 1]
    app = make_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        from workbench.tui.screens.reconcile import ReconcileScreen
        app.push_screen(ReconcileScreen(code=code, coders=["anna", "boris"]))
        await settle_workers(pilot)
        screen = app.screen
        assert [d.unit for d in screen.items] == [d.unit for d in on_code]
        assert f"1 of {len(on_code)}" in screen_text(app)
    after = reconcile_state(Project.open(root), ["anna", "boris"])
    assert [d.unit for d in after.open] == [d.unit for d in st.open]
