"""Retrieval: ``w`` cycles whose codings are shown — this coder's, the consensus (when
codings/consensus.jsonl exists), every coder's — and the title, rows, coder column and tree
counts follow."""
from __future__ import annotations

from textual.widgets import DataTable
from tui_helpers import copy_demo_with_logs, make_app, ready, screen_text

from workbench.cli import main
from workbench.project import Project

CODE = "value.competitiveness"


def rows(table: DataTable) -> list[dict]:
    keys = [c.key.value for c in table.ordered_columns]
    return [dict(zip(keys, table.get_row_at(i))) for i in range(table.row_count)]


def places(p: Project, coder: str) -> list[tuple[str, int]]:
    """(transcript, 1-based segment) of each of ``coder``'s codings of CODE, as the table shows."""
    return [(c.transcript, c.segment + 1) for c in p.codings(coder) if c.code == CODE]


async def open_retrieval(pilot, code: str = CODE):
    await ready(pilot, "project")
    await pilot.press("ctrl+r")
    await pilot.pause()
    screen = pilot.app.screen
    assert screen.id == "retrieval"
    screen.show_code(code)
    await pilot.pause()
    return screen


def tree_count(screen, cid: str) -> str:
    """The number the code tree shows after the code's name ('' when none)."""
    name = screen.app.project.codebook.codes[cid].name
    label = screen._code_nodes[cid].label.plain
    return label.split(name, 1)[1].strip()


async def test_whose_codings_cycle_coder_consensus_every_coder(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    assert main(["reconcile", str(root), "--coders", "anna,boris", "--take", "union"]) == 0
    p = Project.open(root)
    anna, boris, consensus = (places(p, c) for c in ("anna", "boris", "consensus"))
    only_boris = sorted(set(boris) - set(anna))
    both = sorted(set(boris) & set(anna))
    assert only_boris and both  # the demo data has both kinds of passage
    assert set(only_boris) <= set(consensus)  # the union took boris's codes

    app = make_app(root, coder="anna")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_retrieval(pilot)
        table = screen.query_one(DataTable)

        # this coder: anna's quotes only, no coder column
        shown = rows(table)
        assert [(r["transcript"], r["segment"]) for r in shown] == anna
        assert "coder" not in shown[0]
        assert "coder anna" in screen_text(app)
        assert tree_count(screen, CODE) == str(len(anna))

        # w: the consensus
        await pilot.press("w")
        await pilot.pause()
        shown = rows(table)
        assert [(r["transcript"], r["segment"]) for r in shown] == consensus
        text = screen_text(app)
        assert "consensus (the agreed coding)" in text and "coder anna" not in text
        assert f"{len(consensus)} quotes" in text
        assert tree_count(screen, CODE) == str(len(consensus))

        # w: every coder (not the consensus), with a coder column, one row per coder
        await pilot.press("w")
        await pilot.pause()
        shown = rows(table)
        got = [(r["transcript"], r["segment"], r["coder"]) for r in shown]
        assert sorted(got) == sorted([(*x, "anna") for x in anna] + [(*x, "boris") for x in boris])
        assert "consensus" not in {r["coder"] for r in shown}
        t, s = only_boris[0]
        assert [r["coder"] for r in shown if (r["transcript"], r["segment"]) == (t, s)] == ["boris"]
        t2, s2 = both[0]
        assert [r["coder"] for r in shown if (r["transcript"], r["segment"]) == (t2, s2)] \
            == ["anna", "boris"]
        assert "every coder: anna, boris" in screen_text(app)
        assert tree_count(screen, CODE) == str(len(anna) + len(boris))

        # w: back to this coder
        await pilot.press("w")
        await pilot.pause()
        assert [(r["transcript"], r["segment"]) for r in rows(table)] == anna
        assert "coder anna" in screen_text(app)
        assert tree_count(screen, CODE) == str(len(anna))

        # Enter on boris's quote opens the transcript at that segment (anna's coding screen)
        await pilot.press("w", "w")
        await pilot.pause()
        i = next(i for i, r in enumerate(rows(table)) if (r["transcript"], r["segment"]) == (t, s))
        table.focus()
        table.move_cursor(row=i)
        await pilot.pause()
        assert f"boris · {t} · segment {s}" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "coding"
        assert app.screen.tid == t and app.screen.view.cursor == s - 1
        assert app.session.coder == "anna"


async def test_no_consensus_is_not_offered(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    p = Project.open(root)
    anna, boris = places(p, "anna"), places(p, "boris")
    app = make_app(root, coder="anna")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_retrieval(pilot)
        table = screen.query_one(DataTable)
        await pilot.press("w")
        await pilot.pause()
        assert "every coder: anna, boris" in screen_text(app)
        assert table.row_count == len(anna) + len(boris)
        await pilot.press("w")
        await pilot.pause()
        assert "coder anna" in screen_text(app)
        assert table.row_count == len(anna)


async def test_w_types_in_the_filter(tmp_path):
    root = copy_demo_with_logs(tmp_path / "demo")
    app = make_app(root, coder="anna")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_retrieval(pilot)
        await pilot.press("slash", *"w")
        await pilot.pause()
        assert screen.query_one("#retrieval-filter").value == "w"
        assert screen.source == "coder"
