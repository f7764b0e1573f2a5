"""First run and small screens: at 80×24 the transcript list keeps id, coded and done and every
footer shows its screen's keys and ?; the code panel widens with the terminal and a name that
does not fit ends with "…"; the add-a-code dialog takes typing in the field that has focus; the
help lists each key once and scrolls without Tab; a codebook that does not load is named."""
from __future__ import annotations

from textual.widgets import Footer
from tui_helpers import make_app, open_transcript, ready, screen_text

from workbench.codebook import Codebook
from workbench.tui.bindings import GROUPS

CODEBOOK = "codebooks/cluster-managers-2019.yaml"


def footer_text(app) -> str:
    lines = screen_text(app).splitlines()
    return lines[-1]


async def test_80x24_transcript_list_and_footers(demo):
    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "project")
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if line.split()[:1] == ["id"])
        assert header.split()[-3:] == ["segments", "coded", "done"]
        assert all(len(line.rstrip()) <= 80 for line in lines)
        rows = [line for line in lines if line.split()[:1] and line.split()[0].startswith("P")]
        assert len(rows) == 10 and all(r.split()[-1] == "0" for r in rows)   # coded 0, not done
        assert "…" in "\n".join(rows)             # long attributes are narrowed, with an ellipsis
        assert "? help" in footer_text(app) and "/ filter" in footer_text(app)
        for screen_keys, opener in ((["j/k segment", "u undo", "d done", "q back", "? help"],
                                     lambda: open_transcript(pilot, "P01", 1)),):
            await opener()
            foot = footer_text(app)
            assert all(k in foot for k in screen_keys), foot
        await pilot.press("q", "ctrl+r")
        await pilot.pause()
        assert all(k in footer_text(app) for k in ("/ filter", "w whose", "q back", "? help"))
        await pilot.press("q", "ctrl+o")
        await pilot.pause()
        assert all(k in footer_text(app) for k in ("+ add", "^g merge", "q back", "? help"))
        # wide again: the palette key is back
        await pilot.resize_terminal(140, 30)
        await pilot.pause()
        await pilot.pause()
        assert "^p palette" in footer_text(app)
        assert not app.screen.query_one(Footer).compact


async def test_the_code_panel_widens_and_never_cuts_a_name_silently(demo):
    names = [c.name for c in Codebook.load(demo / CODEBOOK).codes.values()]
    app = make_app(demo)
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)
        panel = app.screen.panel
        assert panel.size.width > 48
        text = screen_text(app)
        shown = [n for n in names if n in text]
        assert len(shown) >= 30, [n for n in names if n not in text]  # the rest is scrolled off
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert panel.size.width <= 32
        tree_lines = [line.split("▊")[-1] for line in screen_text(app).splitlines()[1:12]]
        long = [line for line in tree_lines if "■" in line and line.rstrip().endswith("…")]
        assert long, tree_lines           # a name too long for 80 columns ends with "…"


async def test_add_a_code_by_typing_keeps_the_codebook_comments(demo):
    path = demo / CODEBOOK
    comments = [line for line in path.read_text(encoding="utf-8").splitlines()
                if line.lstrip().startswith("#")]
    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("plus")
        await pilot.pause()
        # the id field has focus, its text (the selected code's id and a dot) kept
        await pilot.press(*"new_theme", "tab", *"A new theme? (typed)", "ctrl+s")
        await pilot.pause()
        assert app.screen.id == "codebook"
    cb = Codebook.load(path)
    assert cb.codes["local.new_theme"].name == "A new theme? (typed)"
    assert cb.codes["local.new_theme"].parent == "local"
    text = path.read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line.lstrip().startswith("#")] == comments


async def test_a_reserved_hotkey_is_refused_in_the_redefine_dialog(demo):
    app = make_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#field-key").value = "p"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Previous transcript" in " ".join(screen_text(app).split())
        assert app.screen.id != "codebook"      # the dialog stays open


async def test_help_lists_each_key_once_and_scrolls_without_tab(demo):
    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.id == "help"
        rows = [line.split() for line in screen_text(app).splitlines()[2:]]
        keys = [r[0] for r in rows if r and r[1:2] and r[0] != "Coding"]
        coding = keys[:len(GROUPS["coding"][1])]
        assert len(coding) == len(set(coding)), coding     # j and k once each
        body = app.screen.query_one("#help-body")
        assert body.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert "Suggestion quality screen" in screen_text(app)
        await pilot.press("q")
        assert app.screen.id == "coding"


async def test_a_broken_codebook_is_named_as_the_codebook(demo):
    path = demo / CODEBOOK
    path.write_text(path.read_text(encoding="utf-8").replace("name: Cluster managers 2019",
                                                             "name: [Cluster managers"),
                    encoding="utf-8")
    app = make_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(250):
            await pilot.pause(0.02)
            if "Cannot" in screen_text(app):
                break
        text = " ".join(screen_text(app).split())
        assert "Cannot read the codebook" in text and "coding log" not in text
