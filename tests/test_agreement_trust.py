"""Agreement figures a reviewer can trust (issue 12, items 1-5; issue 10: suggestions in `agree`).

Every figure is checked against a hand computation (the worked example of docs/AGREEMENT.md) or
an independent implementation (NLTK, krippendorff, scikit-learn, statsmodels)."""
from __future__ import annotations

import json
from fractions import Fraction

import krippendorff
import numpy as np
import pandas as pd
import pytest
from helpers import write_transcript

from workbench.agreement import overall_agreement, per_code_agreement
from workbench.agreement.per_code import BOOT_BATCH
from workbench.agreement.report import agreement_report
from workbench.cli import main
from workbench.errors import UsageError
from workbench.project import Project

# The worked example of docs/AGREEMENT.md: three coders, five answers, one code (1 = applied).
EXAMPLE = {"a": [1, 1, 0, 1, 0], "b": [1, 1, 0, 0, 0], "c": [1, 0, 0, 0, 0]}
# by hand (docs/AGREEMENT.md): agreeing pairs per answer 3/3, 1/3, 3/3, 1/3, 3/3
PAIRWISE = Fraction(11, 15)      # (1 + 1/3 + 1 + 1/3 + 1) / 5
UNANIMOUS = Fraction(3, 5)       # answers 1, 3 and 5
FLEISS = Fraction(4, 9)          # (11/15 - 13/25) / (1 - 13/25)
ALPHA = Fraction(13, 27)         # 1 - (15 - 1) * 2 / (6 * 9)
AC1 = Fraction(19, 39)           # (11/15 - 12/25) / (1 - 12/25)
BP = Fraction(7, 15)             # 2 * 11/15 - 1


def answers(n: int) -> list[tuple[str, str]]:
    turns = []
    for i in range(n):
        turns += [("Interviewer", f"Question {i + 1}?"), ("Anna", f"Answer number {i + 1}.")]
    return turns


@pytest.fixture
def three_coders(small_project):
    """T1: five questions and five answers; a, b, c code value.rnd on the answers as EXAMPLE
    says, and are done. Nobody applies value.funding or finance.fees."""
    root = small_project
    write_transcript(root, "T1", answers(5))
    p = Project.open(root)
    segs = p.transcript("T1").segments
    for coder, marks in EXAMPLE.items():
        with p.log(coder) as log:
            for i, mark in enumerate(marks):
                s = segs[2 * i + 1]
                if mark:
                    log.code("T1", s.start, s.end, "value.rnd", quote=s.text)
            log.done("T1")
    return Project.open(root)


# ---- item 1: percent agreement (mean over pairs) and unanimous -----------------------------------
def test_worked_example_pairwise_and_unanimous_by_hand(three_coders, capsys):
    """The docs' three-coder example: percent agreement is the mean over coder pairs (11/15), not
    the share of answers all three agree on (3/5, reported as `unanimous`), overall and per
    code, in the JSON and in the table."""
    assert main(["agree", str(three_coders.root), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    o = out["overall"]
    assert o["percent_agreement"] == pytest.approx(float(PAIRWISE))
    assert o["unanimous"] == pytest.approx(float(UNANIMOUS))
    assert o["fleiss_kappa"] == pytest.approx(float(FLEISS))
    assert o["krippendorff_alpha"] == pytest.approx(float(ALPHA))
    rnd = next(r for r in out["per_code"] if r["code"] == "value.rnd")
    assert rnd["percent_agreement"] == pytest.approx(float(PAIRWISE))
    assert rnd["unanimous"] == pytest.approx(float(UNANIMOUS))
    assert rnd["fleiss_kappa"] == pytest.approx(float(FLEISS))
    assert rnd["krippendorff_alpha"] == pytest.approx(float(ALPHA))
    assert rnd["gwet_ac1"] == pytest.approx(float(AC1))
    assert rnd["brennan_prediger"] == pytest.approx(float(BP))
    assert main(["agree", str(three_coders.root)]) == 0
    text = capsys.readouterr().out
    assert "percent agreement (mean over coder pairs) = 0.733" in text
    assert "unanimous = 0.600" in text
    header = next(line for line in text.splitlines() if line.startswith("code "))
    assert "percent_agreement" in header and "unanimous" in header


def test_pairwise_percent_agreement_equals_nltk_avg_ao():
    """Independent check: NLTK's AnnotationTask.avg_Ao (mean observed agreement over coder
    pairs) equals percent_agreement, per code and on whole code sets, for 3-5 coders."""
    from nltk.metrics.agreement import AnnotationTask
    rng = np.random.default_rng(7)
    for n_coders in (3, 4, 5):
        coders = [f"c{i}" for i in range(n_coders)]
        cells = [[frozenset(c for c in "xyz" if rng.random() < 0.3) for _ in coders]
                 for _ in range(60)]
        frame = pd.DataFrame(cells, columns=coders)
        task = AnnotationTask([(c, u, frame.iloc[u][c]) for u in range(60) for c in coders])
        res = overall_agreement(frame)
        assert res["percent_agreement"] == pytest.approx(task.avg_Ao())
        unanimous = float(np.mean([len(set(row)) == 1 for row in cells]))
        assert res["unanimous"] == pytest.approx(unanimous)
        pc = per_code_agreement(frame, codes=list("xyz")).set_index("code")
        for code in "xyz":
            t = AnnotationTask([(c, u, code in frame.iloc[u][c]) for u in range(60)
                                for c in coders])
            assert pc.loc[code, "percent_agreement"] == pytest.approx(t.avg_Ao())


def test_two_coders_pairwise_equals_unanimous(three_coders):
    rep = agreement_report(three_coders, ["a", "b"])
    assert rep.overall["percent_agreement"] == rep.overall["unanimous"] == pytest.approx(0.8)
    rnd = rep.per_code.set_index("code").loc["value.rnd"]
    assert rnd["percent_agreement"] == rnd["unanimous"] == pytest.approx(0.8)


# ---- item 2: a code nobody applied -----------------------------------------------------------
def test_code_nobody_applied_has_every_figure_null(three_coders, capsys):
    assert main(["agree", str(three_coders.root), "--json"]) == 0
    rows = {r["code"]: r for r in json.loads(capsys.readouterr().out)["per_code"]}
    for code in ("value.funding", "finance", "finance.fees"):
        r = rows[code]
        for key in ("percent_agreement", "unanimous", "fleiss_kappa", "krippendorff_alpha",
                    "gwet_ac1", "brennan_prediger"):
            assert r[key] is None, (code, key)
        assert "no coder applied the code" in r["reason"]
        assert r["prevalence"] == 0
    assert main(["agree", str(three_coders.root)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("value.funding"))
    assert "1.000" not in line and line.count("—") >= 6


def test_overall_null_when_nobody_applied_any_code(three_coders):
    rep = agreement_report(three_coders, ["a", "b", "c"], codes="finance.")
    o = rep.overall
    for key in ("percent_agreement", "unanimous", "fleiss_kappa", "krippendorff_alpha"):
        assert o[key] is None and "no coder applied any code" in o["reasons"][key]


# ---- item 3: a branch where it is in play ------------------------------------------------------
@pytest.fixture
def two_branches(small_project):
    """Interviewer turns carry finance.* (the 'interviewer' branch), answers value.*: a and b
    code T1 and T2 (5 questions and 5 answers each)."""
    root = small_project
    write_transcript(root, "T1", answers(5))
    write_transcript(root, "T2", answers(5))
    p = Project.open(root)
    marks = {  # per transcript: (answer codes of a, of b) by answer index
        "a": {("T1", 1): "value.rnd", ("T1", 3): "value.rnd", ("T2", 1): "value.funding",
              ("T2", 7): "value.rnd"},
        "b": {("T1", 1): "value.rnd", ("T1", 5): "value.rnd", ("T2", 1): "value.funding",
              ("T2", 9): "value.funding"},
    }
    for coder, m in marks.items():
        with p.log(coder) as log:
            for tid in ("T1", "T2"):
                segs = p.transcript(tid).segments
                for i, s in enumerate(segs):
                    if s.role == "interviewer" and i % 4 == 0:
                        log.code(tid, s.start, s.end, "finance.fees", quote=s.text)
                    if (tid, i) in m:
                        log.code(tid, s.start, s.end, m[(tid, i)], quote=s.text)
                log.done(tid)
    return Project.open(root)


def test_within_keeps_the_units_where_the_branch_is_in_play(two_branches, capsys):
    """--codes value. --within: only the answers where a or b applied a value.* code (T1#1, T1#3,
    T1#5, T2#1, T2#7, T2#9); agreeing absences elsewhere no longer inflate the branch's
    agreement."""
    root = str(two_branches.root)
    assert main(["agree", root, "--codes", "value.", "--within", "--json"]) == 0
    o = json.loads(capsys.readouterr().out)["overall"]
    assert o["n_units"] == 6 and o["within"] is True
    # sets: T1#1 {rnd}/{rnd}, T1#3 {rnd}/{}, T1#5 {}/{rnd}, T2#1 {fund}/{fund}, T2#7 {rnd}/{},
    # T2#9 {}/{fund}: two of six identical
    assert o["percent_agreement"] == pytest.approx(2 / 6)
    assert main(["agree", root, "--codes", "value.", "--json"]) == 0
    everything = json.loads(capsys.readouterr().out)["overall"]
    assert everything["n_units"] == 10 and everything["percent_agreement"] == pytest.approx(6 / 10)
    with pytest.raises(UsageError, match="--within needs --codes"):
        agreement_report(two_branches, ["a", "b"], within=True)


def test_warns_when_a_code_lies_on_one_speaker_role_only(two_branches, capsys):
    """With --all-speakers the units include questions, where value.* is never applied (and
    answers, where finance.* never is): a warning names them and the way out."""
    root = str(two_branches.root)
    assert main(["agree", root, "--all-speakers", "--json"]) == 0
    err = capsys.readouterr().err
    assert "applied only on interviewee turns (value, value.rnd, value.funding)" in err
    assert "applied only on interviewer turns (finance, finance.fees)" in err
    assert "--within" in err
    assert main(["agree", root, "--json"]) == 0          # answers only: nothing to warn about
    assert "applied only on" not in capsys.readouterr().err


# ---- item 4: --unit span -------------------------------------------------------------------------
def test_span_rolls_parents_up_and_counts_codings(three_coders, capsys):
    """A parent whose children were applied is applied at span level too; n_codings counts the
    codings (3 + 2 + 1 = 6), not coder pairs."""
    assert main(["agree", str(three_coders.root), "--unit", "span", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {r["code"]: r for r in out["per_code"]}
    assert rows["value.rnd"]["n_codings"] == 6
    assert rows["value"]["n_codings"] == 6
    for key in ("prevalence", "percent_agreement", "unanimous", "fleiss_kappa",
                "krippendorff_alpha", "segment_match"):
        assert rows["value"][key] == pytest.approx(rows["value.rnd"][key]), key
    assert rows["value"]["reason"] is None
    assert "n_characters" in rows["value"] and "n_units" not in rows["value"]
    assert rows["finance"]["percent_agreement"] is None          # item 2 at span level too
    assert out["overall"]["n_characters"] == rows["value"]["n_characters"]


def test_span_figures_equal_independent_per_character_computation(three_coders):
    """Per character of the answers: presence of value.rnd per coder, computed by brute force,
    then statsmodels' Fleiss kappa, krippendorff's alpha, NLTK's pairwise agreement and, for two
    coders, scikit-learn's Cohen kappa -- equal to the weighted-run figures."""
    from nltk.metrics.agreement import AnnotationTask
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss
    p = three_coders
    # b also codes the first word of answer 3 with value.funding: `value` differs from value.rnd
    segs = p.transcript("T1").segments
    with p.log("b") as log:
        s = segs[5]
        log.code("T1", s.start, s.start + 4, "value.funding", quote=s.text[:4])
    p = Project.open(p.root)
    info = p.catalog()["T1"]
    chars = [i for s, e, r in zip(info.starts, info.ends, info.roles) if r == "E"
             for i in range(s, e)]
    for coders in (["a", "b", "c"], ["a", "b"]):
        rep = agreement_report(p, coders, unit="span")
        rows = rep.per_code.set_index("code")
        for code in ("value.rnd", "value"):
            mat = np.array([[any(cd.start <= i < cd.end for cd in p.codings(c)
                                 if cd.code == code or cd.code.startswith(code + "."))
                             for c in coders] for i in chars], dtype=int)
            r = rows.loc[code]
            assert r["n_characters"] == len(chars)
            assert r["krippendorff_alpha"] == pytest.approx(
                krippendorff.alpha(mat.T, level_of_measurement="nominal"))
            task = AnnotationTask([(c, i, int(mat[i, j])) for i in range(len(chars))
                                   for j, c in enumerate(coders)])
            assert r["percent_agreement"] == pytest.approx(task.avg_Ao())
            assert r["unanimous"] == pytest.approx(np.mean(mat.min(1) == mat.max(1)))
            if len(coders) == 2:
                assert r["cohen_kappa"] == pytest.approx(cohen_kappa_score(mat[:, 0], mat[:, 1]))
            else:
                assert r["fleiss_kappa"] == pytest.approx(sm_fleiss(aggregate_raters(mat)[0]))


def test_span_refuses_options_that_do_not_apply(three_coders, capsys):
    root = str(three_coders.root)
    for extra in (["--bootstrap", "500"], ["--distance", "jaccard"], ["--coded-only"]):
        assert main(["agree", root, "--unit", "span", *extra]) == 2
        err = capsys.readouterr().err
        assert f"{extra[0]} does not apply to --unit span" in err and "Traceback" not in err
    assert main(["agree", root, "--overlap", "0.5", "--json"]) == 0
    assert "--overlap applies only to --unit span" in capsys.readouterr().err


# ---- item 5: bootstrap ---------------------------------------------------------------------------
def test_bootstrap_needs_enough_replicates(three_coders, capsys):
    assert main(["agree", str(three_coders.root), "--bootstrap", "1"]) == 2
    err = capsys.readouterr().err
    assert "too few replicates" in err and "at least 200" in err
    with pytest.raises(ValueError, match="at least 200"):
        overall_agreement(pd.DataFrame({"a": [frozenset()], "b": [frozenset()]}), bootstrap=50)


def test_bootstrap_warns_on_few_units_and_counts_undefined_replicates(three_coders, capsys):
    """Five answers: the interval is flagged; value.rnd is applied on three answers, so some
    resamples hold no application at all (alpha undefined): they are counted."""
    assert main(["agree", str(three_coders.root), "--bootstrap", "400", "--json"]) == 0
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert "the bootstrap resamples only 5 unit(s)" in cap.err
    o = out["overall"]
    # the undefined replicates are those that drew none of answers 1, 2 and 4 (by the draws)
    rng = np.random.default_rng(0)
    draws = np.concatenate([rng.integers(0, 5, size=(min(BOOT_BATCH, 400 - s), 5))
                            for s in range(0, 400, BOOT_BATCH)])
    no_code = int(sum(not ({0, 1, 3} & set(d.tolist())) for d in draws))
    all_same = int(sum(set(d.tolist()) <= {0} for d in draws))   # only answer 1: all agree
    assert o["bootstrap_undefined"] == no_code + all_same > 0
    assert f"alpha was undefined in {no_code + all_same} of 400 bootstrap replicates" in cap.err
    rnd = next(r for r in out["per_code"] if r["code"] == "value.rnd")
    assert rnd["alpha_ci_undefined"] == no_code + all_same
    assert rnd["alpha_ci_low"] <= rnd["krippendorff_alpha"] <= rnd["alpha_ci_high"]


def test_bootstrap_by_transcript_equals_naive_cluster_resampling():
    """Resampling whole transcripts: each replicate is the alpha (krippendorff package) of the
    units of the drawn transcripts, with the same draws -- overall (nominal sets) and per code."""
    rng = np.random.default_rng(3)
    tids = [f"T{i}" for i in range(8) for _ in range(rng.integers(3, 9))]
    cells = [[frozenset(c for c in "xy" if rng.random() < 0.35) for _ in range(3)] for _ in tids]
    frame = pd.DataFrame(cells, columns=["a", "b", "c"])
    res = overall_agreement(frame, "nominal", bootstrap=300, seed=5, clusters=tids)
    pc = per_code_agreement(frame, codes=["x"], bootstrap=300, seed=5, clusters=tids)
    order = list(dict.fromkeys(tids))
    rows_of = {t: [i for i, u in enumerate(tids) if u == t] for t in order}
    draw_rng = np.random.default_rng(5)
    draws = np.concatenate([draw_rng.integers(0, len(order), size=(min(BOOT_BATCH, 300 - s),
                                                                   len(order)))
                            for s in range(0, 300, BOOT_BATCH)])
    sets, pres = [], []
    labels = {s: k for k, s in enumerate(dict.fromkeys(v for row in cells for v in row))}
    for d in draws:
        idx = [i for k in d for i in rows_of[order[k]]]
        sets.append(krippendorff.alpha(np.array([[labels[cells[i][j]] for i in idx]
                                                 for j in range(3)]),
                                       level_of_measurement="nominal"))
        pres.append(krippendorff.alpha(np.array([["x" in cells[i][j] for i in idx]
                                                 for j in range(3)], dtype=float),
                                       level_of_measurement="nominal"))
    assert res["alpha_ci"] == pytest.approx(tuple(np.quantile(sets, [0.025, 0.975])))
    assert res["bootstrap_by"] == "cluster" and res["bootstrap_undefined"] == 0
    assert (pc.loc[0, "alpha_ci_low"], pc.loc[0, "alpha_ci_high"]) == pytest.approx(
        tuple(np.quantile(pres, [0.025, 0.975])))


def test_bootstrap_by_transcript_on_a_project(two_branches, capsys):
    root = str(two_branches.root)
    assert main(["agree", root, "--bootstrap", "300", "--bootstrap-by", "transcript"]) == 0
    cap = capsys.readouterr()
    assert "resampling whole transcripts" in cap.out
    assert "the bootstrap resamples only 2 transcript(s)" in cap.err
    assert "alpha_ci_low" in cap.out.split("\n\n")[1]       # per-code intervals in the table


# ---- issue 10: accepted suggestions in the compared codings ---------------------------------------
def test_agree_counts_accepted_suggestions_and_manual_only(three_coders, capsys):
    p = three_coders
    segs = p.transcript("T1").segments
    with p.log("c") as log:          # c accepted two suggestions: value.rnd on answers 2 and 4
        for i in (3, 7):
            log.code("T1", segs[i].start, segs[i].end, "value.rnd", quote=segs[i].text,
                     source="suggestion")
    root = str(p.root)
    assert main(["agree", root, "--json"]) == 0
    cap = capsys.readouterr()
    o = json.loads(cap.out)["overall"]
    assert o["codings"]["compared"] == 8 and o["codings"]["suggestions"] == 2
    assert o["codings"]["by_coder"]["c"] == {"compared": 3, "suggestions": 2}
    assert "2 of the 8 compared codings are accepted suggestions" in cap.err
    assert o["manual_only"] is False
    with_suggestions = o["percent_agreement"]
    assert main(["agree", root, "--manual-only", "--json"]) == 0
    manual = json.loads(capsys.readouterr().out)["overall"]
    assert manual["manual_only"] is True
    assert manual["percent_agreement"] == pytest.approx(float(PAIRWISE))   # as before c's
    assert with_suggestions == pytest.approx(13 / 15)   # answers 2, 4 now 3/3 and 1/3
