"""A consensus records which coders it settles (issue 12 item 6): reconciling a second pair on
the same units is refused with the way forward, reconciling everyone supersedes the first pair's
decisions, and a pair that coded other transcripts reconciles its own."""
from __future__ import annotations

import json

import pytest
from helpers import write_transcript

from workbench.agreement.reconcile import (
    consensus_units,
    mark_finished,
    reconcile_state,
    seed_agreed,
)
from workbench.agreement.report import disagreements
from workbench.cli import main
from workbench.errors import UsageError
from workbench.project import Project

CODES = {   # answer index -> code, per coder (T1: five answers)
    "anna": {1: "value.rnd", 3: "value.funding", 5: "finance.fees"},
    "boris": {1: "value.rnd", 3: "value.rnd", 7: "finance.fees"},
    "a2": {1: "value.funding", 5: "finance.fees", 9: "value.rnd"},
    "a3": {1: "value.funding", 3: "value.rnd", 9: "value.funding"},
}


@pytest.fixture
def four_coders(small_project):
    root = small_project
    turns = []
    for i in range(5):
        turns += [("Interviewer", f"Question {i + 1}?"), ("Anna", f"Answer number {i + 1}.")]
    write_transcript(root, "T1", turns)
    write_transcript(root, "T2", turns)
    p = Project.open(root)
    for coder, marks in CODES.items():
        with p.log(coder) as log:
            for tid in ("T1", "T2"):
                if tid == "T2" and coder in ("anna", "boris"):
                    continue                     # only a2 and a3 code T2
                segs = p.transcript(tid).segments
                for i, code in marks.items():
                    log.code(tid, segs[i].start, segs[i].end, code, quote=segs[i].text)
                log.done(tid)
    return Project.open(root)


def test_second_pair_on_the_same_units_is_refused_with_the_way_forward(four_coders, capsys):
    root = str(four_coders.root)
    assert main(["reconcile", root, "--coders", "anna,boris", "--take", "union", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["settled"] == 3                 # T1#3, T1#5, T1#7
    n_diff = len(disagreements(four_coders, ["a2", "a3"]))
    assert n_diff == 6                           # T1 and T2: answers 2, 3 and 5 differ
    assert main(["reconcile", root, "--coders", "a2,a3", "--take", "union"]) == 2
    err = capsys.readouterr().err
    assert "the consensus already settles" in err and "for anna, boris" in err
    assert "--coders anna,boris,a2,a3" in err and "Traceback" not in err
    # nothing was written by the refused run
    live = consensus_units(Project.open(root))
    assert {v["coders"] for v in live.values()} == {frozenset({"anna", "boris"})}


def test_everyone_together_supersedes_the_first_pairs_decisions(four_coders, capsys):
    root = str(four_coders.root)
    assert main(["reconcile", root, "--coders", "anna,boris", "--take", "union", "--json"]) == 0
    capsys.readouterr()
    p = Project.open(root)
    assert "T1" in p.state("consensus").done
    st = reconcile_state(p, ["anna", "boris", "a2", "a3"])
    d = next(x for x in st.disagreements if x.unit == "T1#3")
    assert d.settled is None and d.previous == frozenset({"value.rnd", "value.funding"})
    assert d.previous_coders == ("anna", "boris")
    # walking them one by one: T1 is reopened in the consensus until its units are settled again
    with p.log("consensus") as log:
        seed_agreed(p, log, st)
        assert mark_finished(p, log, st) == [] and st.reopened == ["T1"]
    assert "T1" not in Project.open(root).state("consensus").done
    assert main(["reconcile", root, "--coders", "anna,boris,a2,a3", "--take", "union",
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["open"] == 0 and res["settled"] == len(st.disagreements) > 0
    assert res["transcripts_done"] == ["T1"]
    p = Project.open(root)
    live = consensus_units(p)
    t1 = {u: v for u, v in live.items() if u.startswith("T1#")}
    assert {v["coders"] for v in t1.values()} == {frozenset({"anna", "boris", "a2", "a3"})}
    assert set(t1["T1#1"]["codes"]) == {"value.rnd", "value.funding"}
    assert "T1" in p.state("consensus").done
    # and the first pair alone is refused now: the consensus settles all four
    with pytest.raises(UsageError, match="for a2, a3, anna, boris"):
        reconcile_state(p, ["anna", "boris"])


def test_a_pair_on_other_transcripts_reconciles_its_own(four_coders, capsys):
    """a2 and a3 also coded T2, which anna and boris never did: after anna and boris reconciled
    T1, the second pair's T2 is theirs to settle -- but T1 is refused, so the whole run is."""
    root = str(four_coders.root)
    p = four_coders
    # a2 and a3 reopen T1 (not finished by them): only T2 is theirs
    for c in ("a2", "a3"):
        with p.log(c) as log:
            log.reopen("T1")
    assert main(["reconcile", root, "--coders", "anna,boris", "--take", "union", "--json"]) == 0
    capsys.readouterr()
    assert main(["reconcile", root, "--coders", "a2,a3", "--take", "union", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["settled"] == len(disagreements(Project.open(root), ["a2", "a3"])) > 0
    assert res["transcripts_done"] == ["T2"] and res["open"] == 0
    live = consensus_units(Project.open(root))
    assert {u.split("#")[0] for u, v in live.items()
            if v["coders"] == frozenset({"a2", "a3"})} == {"T2"}
