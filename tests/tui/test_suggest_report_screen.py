"""The suggestion quality screen: the evaluation runs in a worker (the screen says so and stays
responsive), it evaluates the suggestions of the coder who opened the app, the report shows
micro/macro scores, the baselines and a sentence saying whether the suggestions beat them, the
ranking and the coders' own agreement, and it is kept on the app so that reopening is instant."""
from __future__ import annotations

import sys
import threading

import pytest
from textual.widgets import DataTable
from tui_helpers import CODER, copy_demo_with_logs, make_app, ready, screen_text, settle_workers

from workbench.project import Project
from workbench.suggest.evaluate import EvaluationReport


def fake_report() -> EvaluationReport:
    def scores(p, r, f, k, s, g):
        return {"precision": p, "recall": r, "f1": f, "kappa": k, "support": s, "suggested": g}
    return EvaluationReport(
        folds=5, n_transcripts=10, n_segments=109, coders=["anna", "boris"], seconds=0.1,
        per_code=[{"code": "value.joint_rnd", **scores(0.625, 0.7143, 0.6667, 0.6422, 7, 8),
                   "tp": 5, "fp": 3, "fn": 2, "human_kappa": 1.0,
                   "evidence": ["learned", "keyword"]},
                  {"code": "local.independent", **scores(None, 0.0, 0.0, 0.0, 1, 0),
                   "tp": 0, "fp": 0, "fn": 1, "human_kappa": None, "evidence": []}],
        micro=scores(0.7692, 0.5882, 0.6667, 0.6554, 119, 91),
        macro={"precision": 0.69, "recall": 0.59, "f1": 0.6161, "kappa": 0.6, "codes": 2},
        components={"rules": scores(0.77, 0.479, 0.5907, 0.5785, 119, 74)},
        human={"micro": scores(0.9167, 0.9, 0.9083, 0.9049, 110, 108), "pairs": []},
        ranking={"recall_at_1": 0.81, "recall_at_3": 0.95, "mrr": 0.88, "units": 77},
        baselines=[{"name": "TF-IDF + logistic regression",
                    "micro": scores(0.8, 0.7, 0.7467, 0.74, 119, 104), "macro": {},
                    "ranking": {}}],
        beats_baselines=False,
        verdict="The suggestions (F1 0.67, κ 0.66) do NOT beat 'TF-IDF + logistic regression' "
                "(F1 0.75, κ 0.74): on this coding a simpler method does as well or better, so "
                "weigh each suggestion with care.")


async def test_report_in_a_worker_then_kept(tmp_path, monkeypatch):
    root = copy_demo_with_logs(tmp_path / "demo")
    release = threading.Event()
    calls = []

    def fake_evaluate(project, folds=5, coders=None, *, curve=True, progress=None, **kw):
        calls.append((folds, curve, kw.get("coder")))
        progress("fold 1/5: training on 8 transcripts")
        release.wait(10)
        return fake_report()
    # the module (``workbench.suggest.evaluate`` the attribute is the function itself)
    monkeypatch.setattr(sys.modules["workbench.suggest.evaluate"], "evaluate", fake_evaluate)
    app = make_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        app.action_view("suggestions")
        for _ in range(250):
            await pilot.pause(0.02)
            if "fold 1/5" in screen_text(app):
                break
        assert app.screen.id == "suggestions"
        text = screen_text(app)
        assert "Evaluating the suggestions… fold 1/5: training on 8 transcripts" in text
        await pilot.press("q")  # the UI answers while the evaluation runs
        assert app.screen.id == "project"
        app.action_view("suggestions")
        await pilot.pause()
        release.set()
        await settle_workers(pilot)
        text = screen_text(app)
        micro = next(ln for ln in text.splitlines() if "suggestions: micro" in ln).split()
        assert micro[2:] == ["0.769", "0.588", "0.667", "0.655", "119", "91"]
        coders = next(ln for ln in text.splitlines() if "coders, each other" in ln)
        assert "0.908" in coders and "0.905" in coders
        assert "their κ reaches the coders' own: 0.655 vs 0.905" in " ".join(text.split())
        table = app.screen.query_one(DataTable)
        assert [str(c) for c in table.get_row("value.joint_rnd")][1:] == \
            ["7", "8", "0.625", "0.714", "0.667", "0.642", "1.000", "learned, keyword"]
        assert str(table.get_row("local.independent")[3]) == "—"  # precision undefined
        flat = " ".join(text.split())
        assert "baseline: TF-IDF + logistic regression" in text
        assert "do NOT beat 'TF-IDF + logistic regression'" in flat
        assert "first suggestion on 81% of the coded turns" in flat and "95%" in flat
        assert calls == [(5, False, CODER)]        # the coder's own suggestions
        await pilot.press("q")
        app.action_view("suggestions")
        await pilot.pause()
        assert "kept from earlier in this session" in screen_text(app)
        assert "0.667" in screen_text(app)
        assert calls == [(5, False, CODER)]  # not evaluated again


@pytest.mark.slow
async def test_real_evaluation_on_the_demo(tmp_path):
    from workbench.suggest.evaluate import evaluate
    root = copy_demo_with_logs(tmp_path / "demo")
    expected = evaluate(Project.open(root), folds=5, curve=False, coder="anna")
    app = make_app(root, coder="anna")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, "project")
        app.action_view("suggestions")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await settle_workers(pilot)
        micro = next(ln for ln in screen_text(app).splitlines() if "suggestions: micro" in ln)
        assert f"{expected.micro['f1']:.3f}" in micro
        assert app.suggest_report is not None
