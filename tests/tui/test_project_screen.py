"""The project screen: the transcript list, filtering, opening, and starting up."""
from __future__ import annotations

from textual.widgets import Input
from tui_helpers import CODER, make_app, ready, screen_text

from workbench.project import Project
from workbench.tui.widgets.transcript_list import TranscriptList


def seed_log(root):
    """The coder has coded two segments of P02 (one of them twice) and finished P02."""
    p = Project.open(root)
    t = p.transcript("P02")
    with p.log(CODER) as log:
        for seg, code in ((t.segments[1], "value.joint_rnd"), (t.segments[1], "local.business"),
                          (t.segments[3], "value.tenders")):
            log.code("P02", seg.start, seg.end, code, quote=seg.text)
        log.done("P02")


async def test_lists_transcripts_with_attributes_and_counts(demo):
    seed_log(demo)
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        table = app.screen.query_one(TranscriptList)
        assert table.row_count == 10
        row = dict(zip(table.columns, table.rows[1][1]))
        assert row["id"] == "P02" and row["region"] == "Samara"
        assert row["segments"] == "21" and row["coded"] == "2"
        assert "done" in row["done"]
        assert table.rows[0][1][-2] == "0"  # P01: nothing coded yet
        text = screen_text(app)
        assert "10 transcripts · 1 done" in text and "Samara aerospace" in text


async def test_typing_filters_and_enter_opens(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press(*"kaluga")  # typed into the table: goes to the filter
        await pilot.pause()
        table = app.screen.query_one(TranscriptList)
        assert app.screen.query_one(Input).value == "kaluga"
        assert table.row_count == 3
        assert [rid for rid, _ in table.rows] == ["P03", "P05", "P09"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.screen.id == "coding" and app.screen.tid == "P05"
        await pilot.press("1", "q")  # code, go back: the count is updated
        await pilot.pause()
        assert app.screen.id == "project"
        table = app.screen.query_one(TranscriptList)
        assert table.rows[1][0] == "P05" and table.rows[1][1][-2] == "1"
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert table.row_count == 10


async def test_second_workbench_for_the_same_coder_gets_a_message(demo):
    held = Project.open(demo).log(CODER)  # another workbench holds the log
    try:
        app = make_app(demo)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.2)
            assert "open in another workbench" in screen_text(app)
            await pilot.press("enter")
            await pilot.pause()
        assert app.return_code == 3
    finally:
        held.close()


async def test_coder_name_is_asked_and_validated(demo):
    app = make_app(demo, coder=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.id == "coder_prompt"
        await pilot.press(*"bad name", "enter")
        await pilot.pause()
        assert "not a usable coder name" in screen_text(app)
        await pilot.press(*["backspace"] * 8, *"maria", "enter")
        await ready(pilot, "project")
        assert app.coder == "maria"
        await pilot.press("enter", "1")
        await pilot.pause()
    assert (demo / "codings" / "maria.jsonl").read_text().count('"op":"code"') == 1
