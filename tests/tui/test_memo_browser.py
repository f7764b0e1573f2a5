"""Memos in the terminal app: the memo browser (every kind, whose, filter, sort, Enter goes to the
place), a memo on a code written on the codebook screen, and memos beside quotes in retrieval."""
from __future__ import annotations

from textual.widgets import DataTable, Input
from tui_helpers import CODER, events, make_app, open_transcript, ready, screen_text, segment_text

from workbench.project import Project


def seed(root):
    """This coder: a code memo, a memo on a coding (P04, turn 4), a segment memo (P02, turn 6)
    and a transcript memo (P10); boris: one code memo."""
    p = Project.open(root)
    seg4 = p.transcript("P04").segments[3]
    seg6 = p.transcript("P02").segments[5]
    with p.log(CODER) as log:
        c = log.code("P04", seg4.start, seg4.end, "value.project_funding", quote=seg4.text)
        log.memo("funding or loans? ask boris", transcript="P04", target=c["id"])
        log.memo("tenders matter only to big members", code="value.tenders")
        log.memo("international contacts mostly via the platform", transcript="P02",
                 start=seg6.start, end=seg6.end)
        log.memo("interview cut short", transcript="P10")
    with p.log("boris") as log:
        log.memo("joint R&D: check the definition", code="value.joint_rnd")


def rows(screen) -> list[list]:
    t = screen.query_one(DataTable)
    return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]


async def open_browser(pilot):
    await ready(pilot, "project")
    await pilot.press("ctrl+l")
    await pilot.pause()
    assert pilot.app.screen.id == "memos"
    return pilot.app.screen


async def test_lists_every_kind_and_whose(demo):
    seed(demo)
    app = make_app(demo)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await open_browser(pilot)
        got = rows(screen)
        assert [r[1] for r in got] == ["code", "segment", "coding", "transcript"]
        assert all(r[0] == CODER for r in got)
        assert got[1][2:4] == ["P02", "6"] and got[2][2:4] == ["P04", "4"]
        assert "Project funding" in got[2][4]
        text = screen_text(app)
        assert "Memos · 4 memos · coder tester" in text
        # every coder's: boris's memo joins, with the coder named
        await pilot.press("w")
        await pilot.pause()
        assert [r[:2] for r in rows(screen)[:2]] == [["boris", "code"], [CODER, "code"]]
        assert len(rows(screen)) == 5 and "every coder: boris, tester" in screen_text(app)
        # sort by coder: boris first
        await pilot.press("s", "s")
        await pilot.pause()
        assert rows(screen)[0][0] == "boris" and "sorted by coder" in screen_text(app)


async def test_filter_then_enter_jumps_to_the_segment(demo):
    seed(demo)
    app = make_app(demo)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await open_browser(pilot)
        await pilot.press("slash", *"kind=coding")
        await pilot.pause()
        assert [r[1] for r in rows(screen)] == ["coding"]
        assert "of 4" in screen_text(app)
        assert "funding or loans? ask boris" in screen_text(app)       # the detail pane
        await pilot.press("enter", "enter")        # leave the filter, then go to the place
        await pilot.pause()
        assert app.screen.id == "coding"
        assert app.screen.tid == "P04" and app.screen.view.cursor == 3


async def test_words_filter_and_jump_to_a_segment_memo(demo):
    seed(demo)
    app = make_app(demo)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await open_browser(pilot)
        await pilot.press("slash", *"platform")
        await pilot.pause()
        assert [r[1] for r in rows(screen)] == ["segment"]
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert (app.screen.id, app.screen.tid, app.screen.view.cursor) == ("coding", "P02", 5)


async def test_enter_on_a_code_memo_opens_the_code_in_the_codebook(demo):
    seed(demo)
    app = make_app(demo)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await open_browser(pilot)
        await pilot.press("slash", *"code=value.tenders", "enter")
        await pilot.pause()
        assert [r[1] for r in rows(screen)] == ["code"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "codebook"
        assert app.screen.selected() == "value.tenders"
        assert "tenders matter only to big members" in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
        assert app.screen.id == "memos"
        # Esc in the filter returns to the list, a second one leaves the browser
        await pilot.press("slash", "escape")
        assert not isinstance(app.screen.focused, Input)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "project"


async def test_a_memo_on_a_code_from_the_codebook_screen(demo):
    app = make_app(demo)
    async with app.run_test(size=(140, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+o")
        await pilot.pause()
        from workbench.tui.widgets.code_panel import CodePanel
        app.screen.query_one(CodePanel).highlight("value.joint_rnd")
        await pilot.pause()
        await pilot.press("m", *"R&D is the core value", "ctrl+s")
        await pilot.pause()
        memo = [e for e in events(demo) if e["op"] == "memo"]
        assert len(memo) == 1
        assert memo[0]["code"] == "value.joint_rnd" and memo[0]["transcript"] is None
        assert memo[0]["text"] == "R&D is the core value"
        assert "R&D is the core value" in screen_text(app)          # the code's detail pane
        # listed at once by the browser (the live session), and by the core for everyone
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert rows(app.screen)[0][1] == "code"
        assert "R&D is the core value" in rows(app.screen)[0][5]
    from workbench.memos import memos_frame
    df = memos_frame(Project.open(demo))
    assert list(df["code"]) == ["value.joint_rnd"] and list(df["kind"]) == ["code"]


async def test_a_memo_written_while_coding_is_listed(demo):
    app = make_app(demo)
    async with app.run_test(size=(140, 36)) as pilot:
        await ready(pilot, "project")
        await open_transcript(pilot, "P03", 2)
        await pilot.press("m", *"a doubt about this turn", "ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+l")
        await pilot.pause()
        got = rows(app.screen)
        assert got == [[CODER, "segment", "P03", "3", "", "a doubt about this turn"]]


async def test_retrieval_shows_memos_beside_quotes(demo):
    seed(demo)
    app = make_app(demo)
    async with app.run_test(size=(160, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        screen.show_code("value.project_funding")
        await pilot.pause()
        table = screen.query_one(DataTable)
        cells = [str(c) for c in table.get_row_at(0)]
        assert "✎ funding or loans? ask boris" in cells
        assert "✎ funding or loans? ask boris" in screen_text(app)   # the quote pane


async def test_a_memo_on_the_whole_transcript(demo):
    app = make_app(demo)
    async with app.run_test(size=(140, 36)) as pilot:
        await ready(pilot, "project")
        await open_transcript(pilot, "P05", 3)
        await pilot.press("m", *"the interviewee was in a hurry")
        await pilot.press("tab", "down", "enter")     # choose "the whole transcript P05"
        await pilot.press("ctrl+s")
        await pilot.pause()
        memo = [e for e in events(demo) if e["op"] == "memo"]
        assert len(memo) == 1 and memo[0]["transcript"] == "P05"
        assert memo[0].get("start") is None and memo[0]["target"] is None
        assert "✎" not in segment_text(app.screen.view, 3)     # not a memo on the segment
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert rows(app.screen) == [[CODER, "transcript", "P05", "", "",
                                     "the interviewee was in a hurry"]]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "coding" and app.screen.tid == "P05"
