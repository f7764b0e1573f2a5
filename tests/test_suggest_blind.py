"""Blind by default: the suggestions for a coder never come from another coder's codings unless
the project opts in with ``[suggest] learn_from = "all"``."""
from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.errors import ProjectError
from workbench.project import Project
from workbench.suggest import Suggester

TIDS = ("P01", "P04", "P07")


def shown(root, coder, train=True):
    s = Suggester(Project.open(root), coder=coder)
    if train:
        s.train()
    return [(x.transcript, x.segment, x.code, x.score, x.reason, tuple(x.evidence))
            for tid in TIDS for x in s.suggest_transcript(tid)]


def test_a_new_coder_gets_nothing_from_the_other_coders(demo_copy):
    """On the demo, 'me' has coded nothing: the suggestions come from the codebook alone, and
    they are exactly what they would be if anna's and boris's logs did not exist."""
    s = Suggester(Project.open(demo_copy), coder="me")
    rep = s.train()
    assert not rep.trained and s.model is None
    with_logs = shown(demo_copy, "me")
    assert with_logs                                   # the codebook still suggests
    assert all(k in ("codebook", "keyword") for *_, ev in with_logs for k, _ in ev)
    for coder in ("anna", "boris"):
        (demo_copy / "codings" / f"{coder}.jsonl").unlink()
    assert shown(demo_copy, "me") == with_logs


def test_a_coder_model_ignores_another_coders_log(demo_copy):
    anna = shown(demo_copy, "anna")
    assert any(k in ("learned", "example") for *_, ev in anna for k, _ in ev)
    assert all("boris" not in str(row) for row in anna)
    # boris recodes everything differently: anna's suggestions do not move
    log = demo_copy / "codings" / "boris.jsonl"
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x.strip()]
    for ev in lines:
        if ev.get("op") == "code":
            ev["code"] = "stakeholders.authorities"
    log.write_text("".join(json.dumps(ev) + "\n" for ev in lines), encoding="utf-8")
    assert not Suggester(Project.open(demo_copy), coder="anna").model_is_stale()
    assert shown(demo_copy, "anna") == anna
    # and the model on disk records only anna's log
    meta = json.loads((demo_copy / "models" / "suggest" / "coder-anna" / "model.json")
                      .read_text(encoding="utf-8"))["meta"]
    assert [x["coder"] for x in meta["logs"]] == ["anna"] and meta["coders"] == ["anna"]


def test_another_coders_saved_model_is_never_loaded(demo_copy):
    Suggester(Project.open(demo_copy), coder="anna").train()
    me = Suggester(Project.open(demo_copy), coder="me")
    assert me.model is None and me.model_dir.name == "coder-me"


def test_the_consensus_is_shared(demo_copy):
    p = Project.open(demo_copy)
    tr = p.transcript("P01")
    seg = next(s for s in tr.segments if s.role != "interviewer")
    with p.log("consensus") as log:
        log.code("P01", seg.start, seg.end, "value.tenders")
        log.done("P01")
    s = Suggester(Project.open(demo_copy), coder="me")
    rep = s.train()
    assert rep.trained and rep.coders == ["consensus"]


def test_learn_from_all_is_an_opt_in(demo_copy, capsys):
    with open(demo_copy / "workbench.toml", "a", encoding="utf-8") as f:
        f.write('learn_from = "all"\n')      # appended to the [suggest] table
    s = Suggester(Project.open(demo_copy), coder="me")
    assert s.source.mode == "all"
    rep = s.train()
    assert rep.trained and rep.coders == ["anna", "boris"]
    assert any(k in ("learned", "example") for *_, ev in shown(demo_copy, "me", train=False)
               for k, _ in ev)
    assert main(["suggest", str(demo_copy), "--coder", "me", "--transcript", "P01",
                 "--no-train"]) == 0
    assert "every coder's codings" in capsys.readouterr().err


def test_an_unknown_learn_from_value_is_a_one_line_error(demo_copy, capsys):
    with open(demo_copy / "workbench.toml", "a", encoding="utf-8") as f:
        f.write('learn_from = "everyone"\n')
    with pytest.raises(ProjectError) as e:
        Suggester(Project.open(demo_copy), coder="me")
    assert e.value.line is not None and "own+consensus" in e.value.hint
    assert main(["suggest", str(demo_copy), "--coder", "me"]) == 1
    err = capsys.readouterr().err
    assert "learn_from" in err and "Traceback" not in err


def test_without_a_coder_the_cli_learns_from_the_consensus_only(demo_copy, capsys):
    assert main(["suggest", str(demo_copy), "--transcript", "P01", "--json"]) == 0
    out = capsys.readouterr()
    rows = json.loads(out.out)
    assert rows and all(e["kind"] in ("codebook", "keyword") for r in rows for e in r["evidence"])
    assert "consensus only" in out.err and "--coder NAME" in out.err
    assert main(["suggest", str(demo_copy), "--coders", "anna"]) == 2
    assert "--coders is for --evaluate" in capsys.readouterr().err
