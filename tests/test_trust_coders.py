"""Which coders, which consensus (issue 12 items 7-9): a partial consensus never becomes every
number, the chart and the export say whose codings and what scope they show, the project's team
keeps trial coders out of the agreement, and `consensus` is not a name to code under."""
from __future__ import annotations

import json
from csv import reader
from pathlib import Path

import openpyxl
import pytest

from workbench.agreement.reconcile import mark_finished, reconcile_state, seed_agreed, settle
from workbench.agreement.report import agreement_report
from workbench.chart import subtitle
from workbench.cli import main
from workbench.coders import coders_for, consensus_coverage
from workbench.config import load_config, save_team, validate_coding_name
from workbench.counts import opinion_counts
from workbench.errors import ProjectError, UsageError
from workbench.export import export
from workbench.project import Project

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo(demo_copy) -> Path:
    return demo_copy


def partial_consensus(root: Path, n: int = 4) -> Project:
    """What the reconcile screen leaves after settling ``n`` disagreements: every agreed unit
    copied, the transcripts without open disagreements marked done."""
    p = Project.open(root)
    st = reconcile_state(p, ["anna", "boris"])
    with p.log("consensus") as log:
        seed_agreed(p, log, st)
        for d in st.open[:n]:
            settle(p, log, d, d.option("union"), "union", st.coders)
        mark_finished(p, log, st)
    return Project.open(root)


# ---- item 7: a partial consensus --------------------------------------------------------------
def test_partial_consensus_is_not_the_default(demo, capsys):
    p = partial_consensus(demo)
    cov = consensus_coverage(p)
    assert cov.coders == ["anna", "boris"] and len(cov.finished) == 9
    assert 0 < len(cov.covered) < 9 and not cov.complete
    for cmd in (["counts", str(demo)], ["chart", str(demo)], ["export", str(demo)],
                ["report", str(demo)]):
        assert main(cmd) == 2, cmd
        err = capsys.readouterr().err
        assert f"consensus of anna, boris covers {len(cov.covered)} of the 9 transcripts" in err
        assert "--consensus" in err and "--coder" in err and "Traceback" not in err
    assert not (demo / "exports").exists() or not any((demo / "exports").iterdir())
    # asked for explicitly, the consensus is counted, with a warning naming what is missing
    assert main(["counts", str(demo), "--consensus", "--json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["n_transcripts"] == len(cov.covered)
    assert "not reconciled yet and are not counted" in cap.err
    # settled completely, the consensus is the default again
    partial_consensus(demo, n=10_000)
    assert consensus_coverage(Project.open(demo)).complete
    assert main(["counts", str(demo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["coders"] == ["consensus"]


def test_chart_and_export_say_whose_codings_and_what_scope(demo, capsys):
    partial_consensus(demo, n=10_000)
    p = Project.open(demo)
    res = opinion_counts(p, codes="value.")
    assert subtitle(res) == ("by the number of opinions among the 9 interviewees (coder: "
                             "consensus of anna, boris)\nscope: 9 of 10 transcripts marked done")
    assert main(["chart", str(demo), "--codes", "value.", "--out", str(demo / "f.svg")]) == 0
    svg = (demo / "f.svg").read_text(encoding="utf-8")
    assert "consensus of anna, boris" in svg and "9 of 10 transcripts marked done" in svg
    assert "coder: consensus of anna, boris" in capsys.readouterr().out
    out = export(p, fmt="xlsx", out=demo / "x.xlsx")
    readme = {r[0].value: r[1].value for r in openpyxl.load_workbook(out.paths[0])["README"].iter_rows()}
    assert readme["coder"] == "consensus of anna, boris (codings/consensus.jsonl)"
    assert readme["scope"] == "9 of 10 transcripts: those consensus of anna, boris marked done"
    csv = export(p, fmt="csv", out=demo / "csv")
    with open(csv.paths[0], encoding="utf-8", newline="") as f:
        head = next(reader(f))[0]
    assert head.startswith("# workbench export; project: Cluster managers 2019 (demo); "
                           "coder: consensus of anna, boris; ")
    anna = export(p, "anna", fmt="json", out=demo / "a.json")
    assert anna.meta["coder"] == "anna (codings/anna.jsonl)"


# ---- item 8: the team ---------------------------------------------------------------------------
def with_trial(demo: Path) -> Project:
    """A third coder who tried one transcript and disagreed with everyone."""
    p = Project.open(demo)
    t = p.transcript("P01")
    with p.log("trial") as log:
        for s in t.segments:
            if s.role == "interviewee":
                log.code("P01", s.start, s.end, "future.rnd_plans", quote=s.text)
        log.done("P01")
    return Project.open(demo)


def test_without_a_team_a_trial_coder_is_compared_and_named(demo):
    p = with_trial(demo)
    rep = agreement_report(p)
    assert rep.overall["coders"] == ["anna", "boris", "trial"]
    assert any("trial (1) finished far fewer transcripts" in w for w in rep.warnings)


def test_the_team_is_compared_by_default(demo, capsys):
    p = with_trial(demo)
    save_team(demo, ["anna", "boris"])
    p = Project.open(demo)
    assert p.config.agreement.coders == ["anna", "boris"]
    choice = coders_for(p, "compare")
    assert choice.coders == ["anna", "boris"] and choice.team
    assert "not in the team" in choice.left_out["trial"]
    assert main(["agree", str(demo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["overall"]["coders"] == ["anna", "boris"]
    res = export(p, "anna", fmt="json", out=demo / "team.json")
    doc = json.loads(res.paths[0].read_text(encoding="utf-8"))
    assert doc["tables"]["agreement_overall"][0]["coders"] == "anna, boris"
    assert "the team in workbench.toml" in doc["meta"]["agreement"]
    assert "trial left out: not in the team" in doc["meta"]["agreement"]
    # export --coders chooses others
    assert main(["export", str(demo), "--coder", "anna", "--coders", "anna,trial", "--format",
                 "json", "--out", str(demo / "pair.json")]) == 0
    capsys.readouterr()
    doc = json.loads((demo / "pair.json").read_text(encoding="utf-8"))
    assert doc["tables"]["agreement_overall"][0]["coders"] == "anna, trial"
    assert "named with --coders" in doc["meta"]["agreement"]


def test_team_setting_is_parsed_and_saved_keeping_the_file(demo):
    toml = demo / "workbench.toml"
    before = toml.read_text(encoding="utf-8")
    save_team(demo, ["anna", "boris"])
    text = toml.read_text(encoding="utf-8")
    assert text.startswith(before.rstrip("\n"))         # comments and settings kept
    assert '[agreement]\n# the coders agreement compares by default (the team)\ncoders = ["anna", ' \
           '"boris"]' in text
    save_team(demo, ["boris", "anna", "trial"])        # replaced in place, not appended again
    text = toml.read_text(encoding="utf-8")
    assert text.count("[agreement]") == 1 and 'coders = ["boris", "anna", "trial"]' in text
    assert load_config(demo).agreement.coders == ["boris", "anna", "trial"]
    toml.write_text(before + '\n[agreement]\ncoders = "anna"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="list of coder names"):
        load_config(demo)
    toml.write_text(before + '\n[agreement]\ncoders = ["anna", "consensus"]\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="reserved"):
        load_config(demo)


# ---- item 9: `consensus` is reserved ------------------------------------------------------------
def test_consensus_is_not_a_name_to_code_under(demo, capsys, monkeypatch):
    with pytest.raises(UsageError, match="reserved for the reconciled codings"):
        validate_coding_name("consensus")
    assert validate_coding_name("anna") == "anna"
    assert main(["open", str(demo), "--coder", "consensus"]) == 2
    err = capsys.readouterr().err
    assert "'consensus' is reserved" in err and "Traceback" not in err
    monkeypatch.setenv("WORKBENCH_CODER", "Consensus")
    assert main(["open", str(demo)]) == 2
    assert "reserved" in capsys.readouterr().err
    assert not (demo / "codings" / "consensus.jsonl").exists()
    assert not (demo / "codings" / "Consensus.jsonl").exists()
