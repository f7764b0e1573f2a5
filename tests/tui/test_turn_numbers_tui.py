"""The app numbers turns as the command line, the exports and the report do (from 1): the same
passage is "segment N" on the coding screen, in retrieval, on the reconcile screen and in the
memo browser, and `workbench segments` lists it as turn N."""
from __future__ import annotations

import re

from textual.widgets import DataTable
from tui_helpers import copy_demo_with_logs, make_app, open_retrieval, screen_text, settle_workers

from workbench.agreement.reconcile import reconcile_state
from workbench.cli import main
from workbench.project import Project


def flat(app) -> str:
    return " ".join(screen_text(app).split())


async def test_one_passage_one_number_on_every_screen(tmp_path, capsys):
    root = copy_demo_with_logs(tmp_path / "demo")
    p = Project.open(root)
    d = reconcile_state(p, ["anna", "boris"]).open[0]
    tid, turn = d.transcript, d.segment + 1
    seg = p.transcript(tid).segments[d.segment]
    code = next(c.code for c in p.codings("anna") if c.transcript == tid and c.segment == d.segment)
    with p.log("anna") as log:
        log.memo("a doubt about this turn", transcript=tid, start=seg.start, end=seg.end)
    assert main(["segments", str(root), tid]) == 0
    assert re.search(rf"^{tid}\s+{turn}\s+{re.escape(seg.speaker)}\s", capsys.readouterr().out,
                     re.M)

    app = make_app(root, coder="anna")
    async with app.run_test(size=(140, 40)) as pilot:
        # retrieval: the seg column and the quote pane
        screen = await open_retrieval(pilot, code)
        await pilot.pause()
        table = screen.query_one(DataTable)
        row = next(i for i, r in enumerate(screen.shown)
                   if r["transcript"] == tid and r["segment"] == d.segment)
        assert table.get_row_at(row)[1] == turn
        table.focus()
        table.move_cursor(row=row)
        await pilot.pause()
        assert f"{tid} · segment {turn} ·" in flat(app)
        # the coding screen, opened from there
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "coding"
        assert f"{tid} · segment {turn}/" in flat(app)
        # the memo browser
        await pilot.press("ctrl+l")
        await settle_workers(pilot)
        assert app.screen.id == "memos"
        assert re.search(rf"anna\s+segment\s+{tid}\s+{turn}\s", screen_text(app))
        await pilot.press("q")
        await pilot.pause()
        # the reconcile screen starts on this disagreement
        await pilot.press("ctrl+t")
        await settle_workers(pilot)
        await pilot.press("r")
        await settle_workers(pilot)
        assert app.screen.id == "reconcile"
        assert f"{tid} · segment {turn}" in flat(app)
