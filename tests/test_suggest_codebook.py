"""Suggestions from the codebook's own text: names, definitions, include rules and examples,
weighted by how specific each word is to a code; exclude rules as negative evidence; hyphen and
spacing variants; and the bad inputs (no definitions, one-word names, Russian)."""
from __future__ import annotations

import pytest
from helpers import write_transcript

from workbench.cli import main
from workbench.project import Project
from workbench.suggest import Suggester

CODEBOOK = """\
name: Definitions
codes:
  - id: money
    name: Money matters
    children:
      - id: money.regional
        name: Regional funding
        definition: The regional government pays subsidies to the cluster and its members.
        exclude: Federal programmes and ministries in Moscow.
      - id: money.loans
        name: Cheap credit
        definition: Members borrow through low-interest loans arranged by the cluster.
  - id: people
    name: People
    children:
      - id: people.staff
        name: Staff shortage
        definition: The cluster cannot hire enough engineers and welders.
        examples: ["We have been looking for welders for a year."]
"""


def make(root, turns, codebook=CODEBOOK):
    (root / "codebooks" / "codebook.yaml").write_text(codebook, encoding="utf-8")
    write_transcript(root, "T1", turns)
    return Project.open(root)


def found(p, coder=None):
    out = {}
    for s in Suggester(p, coder=coder).suggest_transcript("T1"):
        out.setdefault(s.segment, {})[s.code] = s
    return out


def test_an_uncoded_project_gets_suggestions_from_the_definitions(small_project):
    p = make(small_project, [
        ("Interviewer", "How is the cluster financed?"),
        ("Anna", "The regional government pays us a subsidy every spring."),
        ("Interviewer", "And staff?"),
        ("Anna", "We cannot hire engineers or welders, nobody wants to come."),
        ("Interviewer", "What about the weather?"),
        ("Anna", "It rained a lot."),
    ])
    got = found(p)
    assert set(got[1]) == {"money.regional"} and set(got[3]) == {"people.staff"}
    assert 5 not in got
    s = got[1]["money.regional"]
    assert s.reason.startswith("definition words: ")
    assert "regional" in s.reason and "subsidy" in s.reason
    assert [k for k, _ in s.evidence] == ["codebook"]
    assert "money" not in {c for v in got.values() for c in v}   # themes are not suggested


def test_a_word_in_every_definition_is_no_evidence(small_project):
    common = CODEBOOK.replace("to the cluster and its members", "to the cluster members")
    p = make(small_project, [("Anna", "The cluster is big."),
                             ("Anna", "We cannot hire engineers or welders.")], codebook=common)
    got = found(p)
    assert 0 not in got                      # "cluster" is in all three definitions
    assert set(got[1]) == {"people.staff"}   # "engineer" in one only


def test_the_exclude_rule_is_negative_evidence(small_project):
    p = make(small_project, [
        ("Anna", "The regional government pays a subsidy."),
        ("Anna", "The regional subsidy is a federal programme from the ministries in Moscow."),
    ])
    s = Suggester(p)
    feats = [f for f in s.features("T1")]
    idx = s.codebook_index
    plain, excluded = idx.score(feats[0])["money.regional"], idx.score(feats[1])
    assert "money.regional" not in excluded or excluded["money.regional"].score < plain.score
    if "money.regional" in excluded:
        assert "federal" in excluded["money.regional"].excluded
        assert "but its exclude rule names" in excluded["money.regional"].detail()


def test_hyphen_and_spacing_variants_meet(small_project):
    p = make(small_project, [("Anna", "They arranged low interest loans for two firms."),
                             ("Anna", "A lowinterest loan helped."),
                             ("Anna", "Interest in loans is low here.")])
    got = found(p)
    assert "money.loans" in got[0]
    s = Suggester(p)
    scores = [s.codebook_index.score(f).get("money.loans") for f in s.features("T1")]
    assert "low interest" in scores[1].words          # "lowinterest" is "low-interest"
    assert scores[0].score > scores[2].score   # the phrase counts more than its words apart


def test_names_only_codebook_suggests_from_names_and_says_so(small_project, capsys):
    names = ("name: Names\ncodes:\n  - id: staff\n    name: Staff shortage\n"
             "  - id: money\n    name: Regional subsidy\n  - id: x\n    name: X\n")
    p = make(small_project, [("Anna", "There is a staff shortage here."),
                             ("Anna", "Nothing to say.")], codebook=names)
    s = Suggester(p)
    got = {(x.segment, x.code): x for x in s.suggest_transcript("T1")}
    assert (0, "staff") in got and got[(0, "staff")].reason.startswith("name words: ")
    assert not any(i == 1 for i, _ in got)
    assert any("codebook suggestions rest on" in n for n in s.notes())
    assert main(["suggest", str(small_project)]) == 0
    assert "rest on" in capsys.readouterr().err


def test_a_coder_with_no_log_gets_codebook_suggestions_and_a_reason(small_project, capsys):
    p = make(small_project, [("Anna", "The regional government pays a subsidy.")])
    s = Suggester(p, coder="newcomer")
    assert [x.code for x in s.suggest_transcript("T1")] == ["money.regional"]
    assert any("newcomer has no codings yet" in n for n in s.notes())
    assert not s.model_is_stale() and not s.train().trained
    assert main(["suggest", str(small_project), "--coder", "newcomer", "--json"]) == 0
    out = capsys.readouterr()
    assert "money.regional" in out.out and "has no codings yet" in out.err


def test_an_unusable_coder_name_is_a_one_line_error(small_project, capsys):
    make(small_project, [("Anna", "text")])
    assert main(["suggest", str(small_project), "--coder", "no/such"]) == 2
    err = capsys.readouterr().err
    assert "not a usable coder name" in err and "Traceback" not in err


def test_a_code_used_once_is_learned_without_error(small_project):
    p = make(small_project, [("Anna", "The regional government pays a subsidy."),
                             ("Anna", "We export to China."),
                             ("Anna", "Exports grow.")])
    seg = p.transcript("T1").segments[1]
    with p.log("anna") as log:
        log.code("T1", seg.start, seg.end, "money.loans")
        log.done("T1")
    s = Suggester(Project.open(small_project), coder="anna")
    rep = s.train()
    assert rep.trained and rep.labels == ["money.loans"]
    assert s.notes()   # too little coding to calibrate: it says so
    assert any("fixed weights" in n for n in s.notes())
    s.suggest_transcript("T1")


@pytest.mark.ru
def test_russian_definitions_match_with_pymorphy3_lemmas(small_project):
    pytest.importorskip("pymorphy3")
    cb = ("name: RU\ncodes:\n  - id: finance\n    name: Финансирование\n"
          "    definition: Региональные субсидии и гранты для участников кластера.\n"
          "  - id: staff\n    name: Кадры\n    definition: Нехватка инженеров и сварщиков.\n")
    p = make(small_project, [("Интервьюер", "Как финансируется кластер?"),
                             ("Анна", "Мы получили региональную субсидию и два гранта."),
                             ("Интервьюер", "А люди?"),
                             ("Анна", "Инженеров и сварщиков не хватает.")], codebook=cb)
    p.config.language = "ru"
    p.config.interviewer_speakers = ["Интервьюер"]
    got = found(p)
    assert "finance" in got[1] and "субсидия" in got[1]["finance"].reason
    assert "staff" in got[3]
