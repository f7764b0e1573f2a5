"""The evaluation: cross-validated by transcript, never training on a test transcript; baselines,
ranking and a verdict in words on the same units and folds."""
from __future__ import annotations

import importlib
import json
import random

import pytest
from helpers import write_transcript

from workbench.cli import main
from workbench.project import Project
from workbench.suggest import Suggester, evaluate
from workbench.suggest.evaluate import EvaluationReport, cut_examples, verdict
from workbench.suggest.metrics import binary_scores, ranking, split_by_transcript

CODEBOOK = """\
name: Eval
codes:
  - id: money
    name: Money
    keywords: ["subsidy", "grant"]
  - id: people
    name: Staff
    keywords: ["engineer"]
  - id: quirk
    name: Something only each transcript's own words reveal
"""
ev = importlib.import_module("workbench.suggest.evaluate")  # the module, not the function
FILLER = "we the members year work really think important region time".split()


def build(root, n=6, seed=0, codebook=CODEBOOK, coders=("anna", "boris")):
    """``n`` transcripts; answers about money (a keyword), people (a keyword) or nothing; in
    each transcript one answer holds a word of its own ('zq3x') that the team codes 'quirk'."""
    (root / "codebooks" / "codebook.yaml").write_text(codebook, encoding="utf-8")
    rng = random.Random(seed)
    labels = {}
    for t in range(n):
        tid = f"T{t + 1:02d}"
        turns = []
        for i in range(6):
            theme = rng.choice([None, "money", "people"]) if i else "quirk"
            words = [rng.choice(FILLER) for _ in range(10)]
            if theme == "money":
                words[3:3] = ["the", "subsidy", "and", "a", "grant"]
            elif theme == "people":
                words[3:3] = ["every", "engineer"]
            elif theme == "quirk":
                words[3:3] = [f"zq{t}x"]
            turns += [("Interviewer", "And then?"), ("Anna", " ".join(words) + ".")]
            labels[(tid, 2 * i + 1)] = theme
        write_transcript(root, tid, turns)
    p = Project.open(root)
    for coder in coders:
        with p.log(coder) as log:
            for t in range(n):
                tid = f"T{t + 1:02d}"
                for seg in p.transcript(tid).segments:
                    if labels.get((tid, seg.index)):
                        log.code(tid, seg.start, seg.end, labels[(tid, seg.index)])
                log.done(tid)
    return Project.open(root)


def test_split_puts_each_transcript_in_exactly_one_test_fold():
    sizes = {f"T{i}": 10 + i for i in range(11)}
    splits = split_by_transcript(sizes, 4)
    assert len(splits) == 4
    tests = [t for _, test in splits for t in test]
    assert sorted(tests) == sorted(sizes)
    for train, test in splits:
        assert not set(train) & set(test) and set(train) | set(test) == set(sizes)
    loads = [sum(sizes[t] for t in test) for _, test in splits]
    assert max(loads) - min(loads) <= 20      # balanced by segments
    assert split_by_transcript(sizes, 4) == splits   # deterministic


def test_evaluation_never_trains_on_a_test_transcript(small_project, monkeypatch):
    import workbench.suggest.suggester as sg
    p = build(small_project, n=6)
    calls = []
    real = sg.train_model

    def spy(feats, *a, **kw):
        calls.append({f.transcript for f in feats})
        return real(feats, *a, **kw)
    monkeypatch.setattr(sg, "train_model", spy)
    rep = evaluate(p, folds=3, curve=True)
    assert rep.folds == 3 and len(rep.fold_transcripts) == 3
    assert len(calls) > 3                     # the folds, then the learning curve
    everything = {f"T0{i}" for i in range(1, 7)}
    for j, trained_on in enumerate(calls):
        test = set(rep.fold_transcripts[j % 3])
        assert trained_on and not trained_on & test
        assert trained_on <= everything - test
    assert calls[0] == everything - set(rep.fold_transcripts[0])


def test_a_test_transcript_cannot_be_memorised(small_project):
    """'quirk' is only recognisable by a word unique to each transcript: a model trained on the
    transcript itself finds it, the cross-validated evaluation must not."""
    p = build(small_project, n=6)
    s = Suggester(p, coder="anna")
    s.train()
    assert any(x.code == "quirk" and x.segment == 1 for x in s.suggest_transcript("T01"))
    rep = evaluate(Project.open(small_project), folds=3, curve=False)
    quirk = next(c for c in rep.per_code if c["code"] == "quirk")
    assert quirk["support"] == 6 and quirk["recall"] == 0.0
    money = next(c for c in rep.per_code if c["code"] == "money")
    assert money["f1"] == 1.0 and money["kappa"] == 1.0


def test_cli_evaluate_json_has_the_documented_shape(small_project, capsys):
    build(small_project, n=6)
    assert main(["suggest", str(small_project), "--evaluate", "--folds", "3", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["folds"] == 3
    assert [c["code"] for c in rep["per_code"]] == ["money", "people", "quirk"]
    for c in rep["per_code"]:
        assert {"code", "precision", "recall", "f1", "kappa", "support", "evidence"} <= set(c)
        assert set(c["evidence"]) <= {"learned", "nearest", "codebook", "keyword"}
    assert "keyword" in rep["per_code"][0]["evidence"]
    assert {"precision", "recall", "f1", "kappa"} <= set(rep["micro"])
    assert rep["macro"]["codes"] == 3
    # quirk is never suggested: 2 of 3 codes right on every unit they were given
    assert rep["micro"]["support"] == 6 + sum(c["support"] for c in rep["per_code"][:2])
    curve = rep["learning_curve"]
    assert curve[0]["transcripts"] == 0 and curve[-1]["transcripts"] == 4
    assert all(0 <= pt["f1"] <= 1 for pt in curve)
    assert rep["per_code"][0]["human_kappa"] == 1.0   # the two coders agree fully
    # the ranking over coded turns and the baselines on the same units and folds
    assert set(rep["ranking"]) == {"recall_at_1", "recall_at_3", "mrr", "units"}
    # one code per coded turn here, so the coded turns are the micro support
    assert rep["ranking"]["units"] == rep["micro"]["support"]
    assert rep["ranking"]["recall_at_3"] >= rep["ranking"]["recall_at_1"] > 0
    names = [b["name"] for b in rep["baselines"]]
    assert names == ["name words", "most frequent code", "TF-IDF + logistic regression"]
    for b in rep["baselines"]:
        assert {"precision", "recall", "f1", "kappa"} <= set(b["micro"])
        assert {"f1", "kappa", "codes"} <= set(b["macro"])
        assert set(b["ranking"]) == {"recall_at_1", "recall_at_3", "mrr", "units"}
        assert b["micro"]["support"] == rep["micro"]["support"]     # the same units
    assert rep["beats_baselines"] is True and rep["verdict"].startswith("The suggestions beat")


def test_cli_evaluate_prints_a_table(small_project, capsys):
    build(small_project, n=4)
    assert main(["suggest", str(small_project), "--evaluate", "--folds", "2"]) == 0
    out = capsys.readouterr().out
    assert "2-fold cross-validation by transcript" in out
    for word in ("money", "(micro)", "(macro)", "kappa", "Learning curve", "keywords alone",
                 "Baselines (same units, same folds)", "TF-IDF + logistic regression",
                 "among the first three", "evidence"):
        assert word in out


def test_no_codings_gives_an_empty_explained_report(small_project, capsys):
    (small_project / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    write_transcript(small_project, "T01", [("Anna", "The subsidy paid.")])
    rep = evaluate(Project.open(small_project))
    assert rep.per_code == [] and rep.folds == 0 and "nothing to evaluate" in rep.note
    assert main(["suggest", str(small_project), "--evaluate"]) == 0
    assert "No evaluation: nothing to evaluate" in capsys.readouterr().out
    assert main(["suggest", str(small_project), "--evaluate", "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["per_code"] == [] and "nothing to evaluate" in out.err


def test_codebook_without_keywords_is_evaluated_on_the_model_alone(small_project):
    bare = "name: Bare\ncodes:\n  - id: money\n    name: M\n  - id: people\n    name: P\n" \
           "  - id: quirk\n    name: Q\n"
    p = build(small_project, n=6, codebook=bare)
    rep = evaluate(p, folds=3, curve=False)
    assert rep.components["rules"]["suggested"] == 0
    money = next(c for c in rep.per_code if c["code"] == "money")
    assert money["recall"] >= 0.8       # learned from the coding alone


def test_one_coded_transcript_reports_the_codebook_alone(small_project):
    p = build(small_project, n=1)
    rep = evaluate(p)
    assert rep.folds == 0 and "codebook evidence alone" in rep.note
    assert next(c for c in rep.per_code if c["code"] == "money")["support"] >= 0


def test_binary_scores_match_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics")
    y_true = [1] * 30 + [0] * 20
    y_pred = [1] * 20 + [0] * 10 + [1] * 5 + [0] * 15
    got = binary_scores(tp=20, fp=5, fn=10, tn=15)
    assert got["kappa"] == pytest.approx(sk.cohen_kappa_score(y_true, y_pred), abs=1e-4)
    assert got["f1"] == pytest.approx(sk.f1_score(y_true, y_pred), abs=1e-4)
    assert got["precision"] == 0.8 and got["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert binary_scores(0, 0, 0, 10)["kappa"] is None      # no positives anywhere: undefined


def test_demo_project_evaluates(demo_copy, capsys):
    if not Project.open(demo_copy).coders():
        pytest.skip("the demo coding logs are not there yet")
    assert main(["suggest", str(demo_copy), "--evaluate", "--no-curve"]) == 0
    out = capsys.readouterr().out
    assert "5-fold cross-validation by transcript" in out
    assert "value.joint_rnd" in out and "(micro)" in out and "coders" in out


def test_consensus_labels_are_not_counted_as_another_coder(small_project, capsys):
    """After reconciling, the evaluation learns from the consensus but the coders compared are
    still the people: the report names anna and boris, not 'consensus', and says which
    transcripts' labels came from the consensus."""
    p = build(small_project, n=4)
    assert main(["reconcile", str(p.root), "--coders", "anna,boris", "--take", "union"]) == 0
    capsys.readouterr()
    rep = evaluate(Project.open(p.root), folds=2, curve=False)
    assert rep.coders == ["anna", "boris"]
    assert rep.consensus_transcripts == ["T01", "T02", "T03", "T04"]
    assert [pair["coders"] for pair in rep.human["pairs"]] == [["anna", "boris"]]



def test_the_verdict_says_in_words_when_a_baseline_does_better():
    rep = EvaluationReport(folds=5, micro={"f1": 0.30, "kappa": 0.25, "support": 40})
    rep.baselines = [{"name": "name words", "micro": {"f1": 0.20, "kappa": 0.15}},
                     {"name": "TF-IDF + logistic regression", "micro": {"f1": 0.50,
                                                                       "kappa": 0.45}}]
    beats, text = verdict(rep)
    assert beats is False
    assert "do NOT beat 'TF-IDF + logistic regression' (F1 0.50, κ 0.45)" in text
    assert "name words" not in text
    rep.micro = {"f1": 0.6, "kappa": 0.55, "support": 40}
    assert verdict(rep)[0] is True
    rep.micro = {"f1": 0.0, "kappa": 0.0, "support": 0}         # nothing coded: no verdict
    assert verdict(rep) == (None, None)
    rep.micro = {"f1": 0.6, "kappa": 0.55, "support": 40}
    beats, text = verdict(rep)
    assert beats is True and "beat every baseline" in text


def test_the_cli_and_the_json_carry_the_verdict_when_a_baseline_wins(small_project, capsys,
                                                                      monkeypatch):
    build(small_project, n=4)

    def losing(rep):
        return False, "The suggestions (F1 0.10, κ 0.05) do NOT beat 'name words' (F1 0.20)."
    monkeypatch.setattr(ev, "verdict", losing)
    assert main(["suggest", str(small_project), "--evaluate", "--folds", "2", "--no-curve"]) == 0
    assert "do NOT beat 'name words'" in capsys.readouterr().out


def test_ranking_counts_ties_against_the_method():
    truth = {("T", 0): {"a"}, ("T", 1): {"b", "c"}, ("T", 2): set(), ("T", 3): {"a"}}
    scores = {("T", 0): {"a": 0.9, "b": 0.5}, ("T", 1): {"a": 0.8, "b": 0.1, "c": 0.7},
              ("T", 3): {}}       # nothing scored: every code ties at 0
    got = ranking(truth, scores, ["a", "b", "c"])
    assert got["units"] == 3                         # the uncoded turn is not counted
    assert got["recall_at_1"] == pytest.approx(1 / 3, abs=1e-4)
    assert got["recall_at_3"] == 1.0
    assert got["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3, abs=1e-4)


def test_cut_examples_keeps_at_most_n_coded_turns_per_code():
    units = {("T1", i): frozenset({"a"}) for i in range(6)}
    units[("T1", 6)] = frozenset({"a", "b"})
    units[("T1", 7)] = frozenset()
    cut = cut_examples(units, 4)
    assert sum("a" in v for v in cut.values()) == 4
    assert cut[("T1", 7)] == frozenset()             # an uncoded turn stays a negative
    assert cut[("T1", 6)] == frozenset({"b"})        # 'a' is cut there, 'b' kept
    assert ("T1", 5) not in cut                      # all its codes cut: left out


def test_few_examples_and_codebook_only_variants_are_reported(small_project):
    p = build(small_project, n=6)
    few = evaluate(p, folds=3, curve=False, max_examples=2)
    assert few.variant == "at most 2 coded turns per code" and few.micro["f1"] is not None
    bare = evaluate(Project.open(small_project), folds=3, curve=False, codebook_only=True)
    assert bare.variant.startswith("codebook only") and bare.learned_thresholds == []
    assert [b["name"] for b in bare.baselines] == ["name words", "most frequent code"]
    money = next(c for c in bare.per_code if c["code"] == "money")
    assert money["recall"] == 1.0 and "learned" not in money["evidence"]


def test_evaluating_one_coder_uses_only_their_coding(small_project):
    """--coder anna: anna's suggestions against anna's coding; boris's log plays no part."""
    p = build(small_project, n=4, coders=("anna",))
    alone = evaluate(p, folds=2, curve=False, coder="anna")
    tr = p.transcript("T01")
    with p.log("boris") as log:                      # boris codes everything as 'people'
        for seg in tr.segments:
            log.code("T01", seg.start, seg.end, "people")
        log.done("T01")
    again = evaluate(Project.open(small_project), folds=2, curve=False, coder="anna")
    assert again.coders == ["anna"] and again.human["pairs"] == []
    assert again.micro == alone.micro and again.per_code == alone.per_code
    team = evaluate(Project.open(small_project), folds=2, curve=False)
    assert team.coders == ["anna", "boris"] and team.micro != alone.micro
