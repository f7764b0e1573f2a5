"""SVG snapshots of the main screens (Textual is pinned exactly: snapshots change with it).
Update with: pytest tests/tui/test_snapshots.py --snapshot-update"""
from __future__ import annotations

from tui_helpers import (
    CODER,
    copy_demo,
    copy_demo_with_logs,
    make_app,
    open_transcript,
    ready,
    settle_workers,
)

from workbench.project import Project

RUSSIAN = """Интервьюер: Расскажите, пожалуйста, о кластере и о вашей роли в нём.

Менеджер: Я руковожу центром развития кластера с 2016 года. Кластер объединяет сорок три участника: крупные заводы, малые инженерные фирмы, два научно-исследовательских института и политехнический университет, с которым у нас совместные проекты НИОКР.

Интервьюер: Какую ценность кластер даёт участникам?

Менеджер: Прежде всего совместные проекты и доступ к финансированию. Малые компании сами не выигрывают конкурсы, а вместе с университетом выигрывают.
"""


def project_with_codings(tmp_path):
    root = copy_demo(tmp_path / "demo")
    (root / "transcripts" / "R01.txt").write_text(
        "---\nregion: Пермь\ncluster: Технополис\n---\n" + RUSSIAN, encoding="utf-8")
    p = Project.open(root)
    with p.log(CODER) as log:
        t = p.transcript("P01")
        for i, code in ((1, "value.joint_rnd"), (1, "local.business"), (3, "local.universities"),
                        (5, "value.project_funding")):
            s = t.segments[i]
            log.code("P01", s.start, s.end, code, quote=s.text)
        s = t.segments[7]
        log.code("P01", s.start, s.start + 60, "value.tenders", quote=s.text[:60])
        log.done("P02")
        r = p.transcript("R01")
        s = r.segments[1]
        log.code("R01", s.start, s.end, "value.joint_rnd", quote=s.text)
    return root


def test_project_screen(snap_compare, tmp_path):
    app = make_app(project_with_codings(tmp_path))

    async def run_before(pilot):
        await ready(pilot, "project")
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_project_screen_80x24(snap_compare, tmp_path):
    """A small terminal: id, segments, coded and done stay; long attributes end with "…"."""
    app = make_app(project_with_codings(tmp_path))

    async def run_before(pilot):
        await ready(pilot, "project")
        await pilot.pause()
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_coding_screen(snap_compare, tmp_path):
    app = make_app(project_with_codings(tmp_path))

    async def run_before(pilot):
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_coding_screen_80x24_span(snap_compare, tmp_path):
    app = make_app(project_with_codings(tmp_path))

    async def run_before(pilot):
        await ready(pilot)
        await open_transcript(pilot, "P01", 7)
        await pilot.press("v", "w", "w", "w")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_coding_screen_cyrillic(snap_compare, tmp_path):
    app = make_app(project_with_codings(tmp_path))

    async def run_before(pilot):
        await ready(pilot)
        await open_transcript(pilot, "R01", 1)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_coding_screen_200x60(snap_compare, tmp_path):
    app = make_app(project_with_codings(tmp_path))

    async def run_before(pilot):
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)
    assert snap_compare(app, terminal_size=(200, 60), run_before=run_before)


def test_retrieval_screen(snap_compare, tmp_path):
    app = make_app(project_with_codings(tmp_path))

    async def run_before(pilot):
        await ready(pilot, "project")
        await pilot.press("ctrl+r")
        await pilot.pause()
        pilot.app.screen.show_code("value")
        await pilot.pause()
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_help_screen(snap_compare, tmp_path):
    app = make_app(project_with_codings(tmp_path))

    async def run_before(pilot):
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)
        await pilot.press("question_mark")
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_agreement_screen(snap_compare, tmp_path):
    app = make_app(copy_demo_with_logs(tmp_path / "demo"), coder="anna")

    async def run_before(pilot):
        await ready(pilot, "project")
        await pilot.press("ctrl+t")
        await settle_workers(pilot)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_counts_screen(snap_compare, tmp_path):
    app = make_app(copy_demo_with_logs(tmp_path / "demo"), coder="anna")

    async def run_before(pilot):
        await ready(pilot, "project")
        await pilot.press("ctrl+n", "g", "g")
        await settle_workers(pilot)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_coding_screen_suggestions_with_reasons(snap_compare, tmp_path):
    """Three suggestions on the cursor segment, each with its reason line (a stand-in suggester,
    so that the picture does not move with the model)."""
    app = make_app(project_with_codings(tmp_path))
    seg = app.project.transcript("P01").segments[17]

    class S:
        def __init__(self, code, score, reason):
            self.transcript, self.segment, self.start, self.end = "P01", 17, seg.start, seg.end
            self.code, self.score, self.reason = code, score, reason

    class FakeSuggester:
        coder = app.coder

        def suggest_transcript(self, tid):
            if tid != "P01":
                return []
            return [S("future.rnd_plans", 0.93, "keyword \"new project\" (lemma match) +2 more"),
                    S("value.joint_rnd", 0.71,
                      "like P04 turn 6: “We started two joint projects with the institute…”"),
                    S("future.internationalisation", 0.58, "definition words: abroad, export, partner"),
                    S("value.tenders", 0.52, "definition words: tender")]

        def model_is_stale(self):
            return False
    app.suggestions_enabled = True
    app.get_suggester = lambda: FakeSuggester()

    async def run_before(pilot):
        await ready(pilot)
        await open_transcript(pilot, "P01", 17)
        await settle_workers(pilot)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
