"""Agreement on a project: unit tables, missing data, reports, disagreements, reconciliation.

The fixture is small enough to work out every right answer by hand in the test."""
from __future__ import annotations

import json

import pytest
from helpers import write_transcript

from workbench.agreement.reconcile import consensus_units, reconcile_state
from workbench.agreement.report import agreement_report, disagreements
from workbench.agreement.units import unit_table
from workbench.cli import main
from workbench.errors import UsageError
from workbench.project import Project
from workbench.replay import read_events


@pytest.fixture
def two_coders(small_project):
    """T1: 2 interviewee turns (+2 interviewer); T2: 1 interviewee turn. a and b code T1 and are
    done with it; a is done with T2, b is not."""
    root = small_project
    write_transcript(root, "T1", [("Interviewer", "What does the cluster give?"),
                                  ("Anna", "Joint research with the university."),
                                  ("Interviewer", "And money?"),
                                  ("Anna", "We pay a membership fee and get project funds.")],
                     region="Perm")
    write_transcript(root, "T2", [("Interviewer", "Anything else?"),
                                  ("Boris", "Nothing comes to mind.")], region="Samara")
    p = Project.open(root)
    t1 = p.transcript("T1")
    s1, s3 = t1.segments[1], t1.segments[3]
    q0 = t1.segments[0]
    with p.log("a") as log:
        log.code("T1", s1.start, s1.end, "value.rnd", quote=s1.text)
        log.code("T1", s3.start, s3.end, "finance.fees", quote=s3.text)
        log.code("T1", s3.start, s3.end, "value.funding", quote=s3.text)
        log.code("T1", q0.start, q0.end, "value.rnd", quote=q0.text)  # on the interviewer turn
        log.done("T1")
        log.done("T2")
    with p.log("b") as log:
        log.code("T1", s1.start, s1.end, "value.rnd", quote=s1.text)
        log.code("T1", s3.start, s3.end, "finance.fees", quote=s3.text)
        log.done("T1")
    return Project.open(root)


def test_segment_units_leave_out_interviewer_turns_and_unfinished(two_coders):
    ut = unit_table(two_coders, ["a", "b"])
    assert list(ut.values.index) == ["T1#1", "T1#3", "T2#1"]
    assert ut.values.loc["T1#1", "a"] == frozenset({"value.rnd"})
    assert ut.values.loc["T1#3", "a"] == frozenset({"finance.fees", "value.funding"})
    assert ut.values.loc["T1#3", "b"] == frozenset({"finance.fees"})
    # a finished T2 and coded nothing: an empty set; b did not finish T2: missing
    assert ut.values.loc["T2#1", "a"] == frozenset()
    assert ut.values.loc["T2#1", "b"] is None
    assert ut.unfinished == {"b": ["T2"]}


def test_all_speakers_and_include_unfinished(two_coders):
    ut = unit_table(two_coders, ["a", "b"], all_speakers=True, include_unfinished=True)
    assert list(ut.values.index) == ["T1#0", "T1#1", "T1#2", "T1#3", "T2#0", "T2#1"]
    assert ut.values.loc["T1#0", "a"] == frozenset({"value.rnd"})
    assert ut.values.loc["T2#1", "b"] == frozenset()


def test_coded_only_and_transcript_units(two_coders):
    ut = unit_table(two_coders, ["a", "b"], coded_only=True)
    assert list(ut.values.index) == ["T1#1", "T1#3"]
    ut = unit_table(two_coders, ["a", "b"], unit="transcript")
    # the interviewer-turn coding does not count; value.rnd comes from the answer anyway
    assert ut.values.loc["T1", "a"] == frozenset({"value.rnd", "value.funding", "finance.fees"})
    assert ut.values.loc["T2", "b"] is None


def test_report_by_hand(two_coders):
    rep = agreement_report(two_coders, ["a", "b"])
    o = rep.overall
    # pairable units: T1#1 (agree), T1#3 (differ); T2#1 has only a's value
    assert o["n_units"] == 2
    assert o["percent_agreement"] == pytest.approx(0.5)
    rows = rep.per_code.set_index("code")
    # value.funding: a present on T1#3 only -> 1 of 2 units agree
    assert rows.loc["value.funding", "percent_agreement"] == pytest.approx(0.5)
    # finance.fees: both present on T1#3, both absent on T1#1 -> kappa 1
    assert rows.loc["finance.fees", "cohen_kappa"] == pytest.approx(1.0)
    # the parent rolls up its children: value present for both on T1#1, for a and b? b has no
    # value.* on T1#3 -> value present a, absent b on T1#3
    assert rows.loc["value", "percent_agreement"] == pytest.approx(0.5)
    assert any("b has not marked 1 transcript" in w for w in rep.warnings)


def test_undefined_coefficients_are_null_with_reason(two_coders, capsys):
    assert main(["agree", str(two_coders.root), "--coders", "a,b", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["overall"]) >= {"krippendorff_alpha", "percent_agreement", "cohen_kappa",
                                   "n_units", "coders"}
    rnd = next(r for r in out["per_code"] if r["code"] == "value.rnd")
    # value.rnd: present for both on T1#1, absent for both on T1#3 -> perfect, defined
    assert rnd["cohen_kappa"] == pytest.approx(1.0)
    # nobody applied a code of 'finance' other than fees... the root 'finance' is rolled up;
    # a code nobody used has no variation: null + reason, never a fake 1.0
    codes = {r["code"]: r for r in out["per_code"]}
    assert set(codes) == {"value", "value.rnd", "value.funding", "finance", "finance.fees"}
    for r in out["per_code"]:
        for k in ("krippendorff_alpha", "cohen_kappa"):
            if r[k] is None:
                assert r["reason"]


def test_disagreements_lists_the_quote(two_coders):
    df = disagreements(two_coders, ["a", "b"])
    assert list(df["unit"]) == ["T1#3"]
    row = df.iloc[0]
    assert row["quote"] == "We pay a membership fee and get project funds."
    assert row["only_a"] == "value.funding"
    assert row["differ"] == "value.funding"


def test_reconcile_take_writes_consensus_with_settles(two_coders, capsys):
    root = str(two_coders.root)
    assert main(["reconcile", root, "--coders", "a,b", "--take", "union", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["settled"] == 1 and res["agreed_copied"] == 1 and res["open"] == 0
    assert res["transcripts_done"] == ["T1"]  # T2 is not finished by b
    p = Project.open(two_coders.root)
    events = [e for _, e in read_events(p.log_path("consensus"))[0]]
    settled = [e for e in events if e["op"] == "code" and e["settles"]["unit"] == "T1#3"]
    assert {e["code"] for e in settled} == {"finance.fees", "value.funding"}
    assert all(e["settles"]["coders"] == ["a", "b"] and e["source"] == "consensus" for e in settled)
    assert settled[0]["settles"]["decision"] == "union"
    # running again settles nothing twice
    assert main(["reconcile", root, "--coders", "a,b", "--take", "a", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["settled"] == 0 and again["agreed_copied"] == 0
    assert len(read_events(p.log_path("consensus"))[0]) == len(events)


def test_resettling_uncodes_and_empty_decision_is_recorded(two_coders):
    from workbench.agreement.reconcile import settle
    p = two_coders
    st = reconcile_state(p, ["a", "b"])
    d = st.open[0]
    with p.log("consensus") as log:
        settle(p, log, d, {"finance.fees"}, "b", st.coders)
        settle(p, log, d, set(), "edit", st.coders)
    live = consensus_units(p)
    assert live["T1#3"] == {"codes": {}, "empty": True, "coders": frozenset({"a", "b"})}
    events = [e for _, e in read_events(p.log_path("consensus"))[0]]
    assert [e["op"] for e in events] == ["code", "uncode", "memo"]
    assert p.codings("consensus") == []


def test_reconcile_rejects_unknown_rule(two_coders, capsys):
    code = main(["reconcile", str(two_coders.root), "--coders", "a,b", "--take", "zed"])
    err = capsys.readouterr().err
    assert code == 2
    assert "neither a compared coder nor union/intersection" in err and "Traceback" not in err
    assert not two_coders.log_path("consensus").exists()


def test_span_level_by_hand(two_coders):
    rep = agreement_report(two_coders, ["a", "b"], unit="span")
    rows = rep.per_code.set_index("code")
    # only T1 is finished by both; T1's interviewee characters:
    p = two_coders
    t1 = p.transcript("T1")
    n = len(t1.segments[1].text) + len(t1.segments[3].text)
    assert rows.loc["value.funding", "n_characters"] == n
    # a coded value.funding on segment 3, b did not: agreement on the other characters only
    assert rows.loc["value.funding", "percent_agreement"] == pytest.approx(len(t1.segments[1].text) / n)
    assert rows.loc["finance.fees", "percent_agreement"] == pytest.approx(1.0)
    assert rows.loc["finance.fees", "segment_match"] == pytest.approx(1.0)
    assert rows.loc["value.funding", "segment_match"] == pytest.approx(0.0)


def test_too_few_coders_is_a_clear_error(two_coders):
    with pytest.raises(UsageError, match="at least 2 coders"):
        unit_table(two_coders, ["a"])


def test_interactive_reconcile_walks_disagreements(two_coders, monkeypatch, capsys):
    """On a terminal, reconcile asks for each open disagreement; '2' takes b's codes."""
    import io
    import sys

    class TTY(io.StringIO):
        def isatty(self):
            return True
    monkeypatch.setattr(sys, "stdin", TTY())
    answers = iter(["?", "2"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert main(["reconcile", str(two_coders.root), "--coders", "a,b"]) == 0
    out = capsys.readouterr().out
    assert "We pay a membership fee and get project funds." in out
    assert "[1] a: finance.fees, value.funding" in out and "[2] b: finance.fees" in out
    live = consensus_units(Project.open(two_coders.root))
    assert set(live["T1#3"]["codes"]) == {"finance.fees"}


def test_reconcile_by_code_keeps_the_units_other_codes(two_coders, capsys):
    """`reconcile --code value.` walks only the units that differ on value.*, but the consensus
    it writes holds the unit's whole code set: finance.fees, which both coders applied to the same
    turn, must not vanish from the consensus because the filter named another branch."""
    root = str(two_coders.root)
    assert main(["reconcile", root, "--coders", "a,b", "--code", "value.", "--take", "a",
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["settled"] == 1
    live = consensus_units(Project.open(two_coders.root))
    assert set(live["T1#3"]["codes"]) == {"finance.fees", "value.funding"}
    assert set(live["T1#1"]["codes"]) == {"value.rnd"}  # the agreed unit, copied whole


def test_reconcile_by_code_skips_units_that_agree_on_that_code(two_coders):
    """T1#3 differs only on value.funding: a filter on finance. has nothing to walk."""
    st = reconcile_state(two_coders, ["a", "b"], code="finance.")
    assert st.disagreements == []
    assert [d.unit for d in reconcile_state(two_coders, ["a", "b"], code="value.").open] == ["T1#3"]
    with pytest.raises(UsageError, match="no code matches"):
        reconcile_state(two_coders, ["a", "b"], code="nosuch.")


def test_settle_does_not_reread_the_consensus_log(two_coders, monkeypatch):
    """Settling a unit again replaces its earlier consensus from what the state already knows;
    the consensus log is read once, when the state is built (many decisions stay fast)."""
    from workbench.agreement import reconcile as rc
    p = two_coders
    st = reconcile_state(p, ["a", "b"])
    d = st.open[0]
    calls = []
    real = rc.read_events
    monkeypatch.setattr(rc, "read_events", lambda *a, **k: calls.append(1) or real(*a, **k))
    with p.log("consensus") as log:
        rc.settle(p, log, d, {"finance.fees", "value.funding"}, "a", st.coders)
        rc.settle(p, log, d, {"finance.fees"}, "b", st.coders)
    assert calls == []
    assert set(consensus_units(p)["T1#3"]["codes"]) == {"finance.fees"}


def test_settling_a_unit_of_a_transcript_changed_on_disk_writes_nothing(two_coders):
    """A unit's offsets are in the text the catalog read: when the file was edited since,
    settling it is one clear error and the consensus log gets nothing (not codings quoting
    other words)."""
    from workbench.agreement.reconcile import settle
    from workbench.errors import TranscriptError
    p = two_coders
    st = reconcile_state(p, ["a", "b"])
    d = st.open[0]
    path = p.root / p.info(d.transcript).path
    path.write_text("Interviewer: A new first line.\n" + path.read_text(encoding="utf-8"),
                    encoding="utf-8")
    p._catalog._parsed.clear()
    with p.log("consensus") as log, pytest.raises(TranscriptError):
        settle(p, log, d, {"finance.fees"}, "b", st.coders)
    log_file = p.log_path("consensus")
    assert not log_file.exists() or read_events(log_file)[0] == []
