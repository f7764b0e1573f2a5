"""The codebook screen: rename, redefine, add, move and merge — each saved to the YAML file."""
from __future__ import annotations

import yaml
from tui_helpers import CODER, make_app, open_transcript, ready, segment_text

from workbench.project import Project
from workbench.replay import replay


def codebook_yaml(root):
    return yaml.safe_load((root / "codebooks" / "cluster-managers-2019.yaml").read_text())


def find(codes, cid):
    for c in codes:
        if c["id"] == cid:
            return c
        hit = find(c.get("children", []), cid)
        if hit:
            return hit
    return None


async def goto_code(pilot, cid):
    screen = pilot.app.screen
    from workbench.tui.widgets.code_panel import CodePanel
    screen.query_one(CodePanel).highlight(cid)
    await pilot.pause()


async def test_rename_redefine_add_move(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.screen.id == "codebook"
        await goto_code(pilot, "value.tenders")
        await pilot.press("r", *["backspace"] * 40, *"Public tenders", "enter")
        await pilot.pause()
        assert find(codebook_yaml(demo)["codes"], "value.tenders")["name"] == "Public tenders"
        await pilot.press("e")
        await pilot.pause()
        area = app.screen.query_one("#field-definition")
        area.text = "Tenders and public procurement."
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert find(codebook_yaml(demo)["codes"], "value.tenders")["definition"] == \
            "Tenders and public procurement."
        await pilot.press("plus")
        await pilot.pause()
        app.screen.query_one("#field-id").value = "value.new_theme"
        app.screen.query_one("#field-name").value = "A new theme"
        app.screen.query_one("#field-parent").value = "value"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert find(codebook_yaml(demo)["codes"], "value")["children"][-1]["id"] == "value.new_theme"
        await goto_code(pilot, "value.new_theme")
        await pilot.press("M", *["backspace"] * 10, *"future", "enter")
        await pilot.pause()
        assert find(codebook_yaml(demo)["codes"], "future")["children"][-1]["id"] == "value.new_theme"
        # the coding screen shows the new name
        await pilot.press("q")
        await pilot.pause()
        await open_transcript(pilot, "P01", 1)
        await pilot.press("7")
        await pilot.pause()
        assert "Public tenders" in segment_text(app.screen.view, 1)


async def test_merge_is_recorded_not_rewritten(demo):
    p = Project.open(demo)
    seg = p.transcript("P01").segments[1]
    with p.log(CODER) as log:
        log.code("P01", seg.start, seg.end, "value.tenders", quote=seg.text)
    before = (demo / "codings" / f"{CODER}.jsonl").read_bytes()
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await goto_code(pilot, "value.tenders")
        await pilot.press("ctrl+g", *"value.competitiveness", "enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        data = codebook_yaml(demo)
        assert find(data["codes"], "value.tenders") is None
        assert data["merges"][0]["from"] == "value.tenders"
        assert data["merges"][0]["into"] == "value.competitiveness"
        assert app.session.code_totals["value.competitiveness"] == 1
        await pilot.press("q")
        await open_transcript(pilot, "P01", 1)
        assert "Increased competitiveness" in segment_text(app.screen.view, 1)
    assert (demo / "codings" / f"{CODER}.jsonl").read_bytes() == before
    p = Project.open(demo)
    assert [c.code for c in p.codings(CODER)] == ["value.competitiveness"]
    assert len(replay(demo / "codings" / f"{CODER}.jsonl").codings) == 1
