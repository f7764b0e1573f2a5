"""Retrieval keeps its place: choose a code, show every coder's quotes (``w``), filter by region,
open a quote's context, press ``q`` — back on retrieval exactly as it was (code, whose quotes,
filter, selected quote); Ctrl+R later brings the same view back."""
from __future__ import annotations

from textual.widgets import DataTable, Input
from tui_helpers import copy_demo_with_logs, make_app, open_retrieval, screen_text

CODE = "value.competitiveness"


def where(screen) -> tuple:
    """What the coder sees of the retrieval view: code, whose, filter, selected row's quote."""
    table = screen.query_one(DataTable)
    r = screen.shown[table.cursor_row]
    return (screen.code, screen.source, screen.query_one("#retrieval-filter", Input).value,
            table.cursor_row, r["transcript"], r["coder"], r["coding"].id)


async def set_up_view(pilot):
    """Ctrl+R, the code, every coder (w), region=Samara, the third quote selected."""
    screen = await open_retrieval(pilot, CODE)
    assert screen.code == CODE
    await pilot.press("w")                 # anna → every coder (no consensus log here)
    await pilot.pause()
    assert screen.source == "all"
    await pilot.press("slash", *"region=samara", "enter")
    await pilot.pause()
    await pilot.press("down", "down")
    await pilot.pause()
    state = where(screen)
    assert state[2] == "region=samara" and state[3] == 2
    assert {r["coder"] for r in screen.shown} == {"anna", "boris"}
    return state


async def test_q_from_a_quotes_context_returns_to_retrieval_as_it_was(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    app = make_app(root, coder="anna")
    async with app.run_test(size=(140, 40)) as pilot:
        before = await set_up_view(pilot)
        title, quote = (str(app.screen.query_one(f"#retrieval-{w}").render()) for w in ("title", "quote"))
        await pilot.press("enter")         # the quote's context
        await pilot.pause()
        assert app.screen.id == "coding" and app.screen.tid == before[4]
        await pilot.press("j", "j")        # reading around does not matter
        await pilot.press("q")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.id == "retrieval"
        assert where(app.screen) == before
        assert app.screen.focused is app.screen.query_one(DataTable)
        # the same title line (code, counts, whose, filter) and the same quote below the table
        assert str(app.screen.query_one("#retrieval-title").render()) == title
        assert str(app.screen.query_one("#retrieval-quote").render()) == quote
        assert "region=samara" in screen_text(app)
        # q on retrieval goes back to the transcript list, as before
        await pilot.press("q")
        await pilot.pause()
        assert app.screen.id == "project"


async def test_ctrl_r_brings_back_the_last_retrieval_view(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    app = make_app(root, coder="anna")
    async with app.run_test(size=(140, 40)) as pilot:
        before = await set_up_view(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "coding"
        await pilot.press("ctrl+r")        # from the quote's context: back, like q
        await pilot.pause()
        await pilot.pause()
        assert app.screen.id == "retrieval" and where(app.screen) == before
        await pilot.press("q")             # leaving retrieval keeps it too
        await pilot.pause()
        assert app.screen.id == "project"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.id == "retrieval" and where(app.screen) == before


async def test_the_view_comes_back_with_the_quotes_coded_meanwhile(tmp_path):
    """The state is the view, not a frozen copy: a passage coded in the context shows."""
    root = copy_demo_with_logs(tmp_path / "demo")
    app = make_app(root, coder="anna")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_retrieval(pilot, CODE)
        n = len(screen.shown)
        first = screen.shown[0]
        screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "coding"
        tid = app.screen.tid
        # code the previous segment with the same code (its key is 4 in the demo codebook)
        await pilot.press("k", "4", "q")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert screen.id == "retrieval" and screen.code == CODE
        assert len(screen.shown) == n + 1
        r = screen.shown[screen.query_one(DataTable).cursor_row]
        assert (r["transcript"], r["coding"].id) == (tid, first["coding"].id)
