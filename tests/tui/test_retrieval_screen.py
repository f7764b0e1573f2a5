"""Retrieval: every quote coded with a code across transcripts, filtered, and the jump back."""
from __future__ import annotations

from textual.widgets import DataTable
from tui_helpers import CODER, make_app, ready, screen_text

from workbench.project import Project


def seed(root):
    p = Project.open(root)
    with p.log(CODER) as log:
        for tid, i, code in (("P01", 3, "local.universities"), ("P02", 1, "local.universities"),
                             ("P04", 5, "local.universities"), ("P03", 1, "value.tenders")):
            seg = p.transcript(tid).segments[i]
            log.code(tid, seg.start, seg.end, code, quote=seg.text)


async def test_quotes_by_code_filter_and_jump(demo):
    seed(demo)
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        assert screen.id == "retrieval"
        screen.show_code("local.universities")
        await pilot.pause()
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        assert [table.get_row_at(i)[0] for i in range(3)] == ["P01", "P02", "P04"]
        text = screen_text(app)
        assert "3 quotes from 3 transcripts" in text
        p = Project.open(demo)
        assert p.transcript("P01").segments[3].text[:40] in " ".join(text.split())
        # a parent code shows its children's quotes too
        screen.show_code("local")
        await pilot.pause()
        assert table.row_count == 3
        # filter by attribute
        await pilot.press("slash", *"region=perm")
        await pilot.pause()
        assert [table.get_row_at(i)[0] for i in range(table.row_count)] == ["P01", "P04"]
        assert "2 quotes from 2 transcripts" in screen_text(app)
        # Enter jumps to the segment in its transcript
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert app.screen.id == "coding"
        assert app.screen.tid == "P04" and app.screen.view.cursor == 5


async def test_palette_lists_views(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+p", *"view retrieval")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.screen.id == "retrieval"
        await pilot.press("q")
        assert app.screen.id == "project"
