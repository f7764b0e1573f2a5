"""Keyword suggestions: codebook keywords and patterns matched on lemmas, with spelling, hyphen and
spacing variants (the codebook's other text is tested in test_suggest_codebook.py)."""
from __future__ import annotations

import json

import pytest
from helpers import write_transcript

from workbench.cli import main
from workbench.errors import CodebookError
from workbench.project import Project
from workbench.suggest import Suggester

CODEBOOK = """\
name: Rules
codes:
  - id: value
    name: Added value
    children:
      - id: value.funding
        name: Project funding
        keywords: ["fund", "project funding"]
      - id: value.rnd
        name: Joint R&D
        keywords: ["joint research"]
      - id: value.competitive
        name: Competitiveness
        keywords: ["competit*"]
      - id: value.loans
        name: Loans
        patterns:
          - [{LEMMA: cheap}, {LEMMA: loan}]
          - {name: "soft credit", pattern: [{LOWER: soft}, {LEMMA: credit}]}
  - id: other
    name: Something without keywords
"""


def make(root, turns_by_tid, codebook=CODEBOOK, toml_extra=""):
    (root / "codebooks" / "codebook.yaml").write_text(codebook, encoding="utf-8")
    if toml_extra:
        with open(root / "workbench.toml", "a", encoding="utf-8") as f:
            f.write(toml_extra)
    for tid, turns in turns_by_tid.items():
        write_transcript(root, tid, turns)
    return Project.open(root)


def by_code(suggestions):
    out = {}
    for s in suggestions:
        out.setdefault((s.segment, s.code), s)
    return out


def test_lemma_variants_fire_the_keyword(small_project):
    p = make(small_project, {"T1": [
        ("Interviewer", "How is the cluster financed?"),
        ("Anna", "We funded two firms last year."),
        ("Interviewer", "And then?"),
        ("Anna", "The funding came from the region."),
        ("Interviewer", "Who started it?"),
        ("Anna", "The founding fathers of the technopark."),
    ]})
    got = by_code(Suggester(p).suggest_transcript("T1"))
    assert got[(1, "value.funding")].reason.startswith('keyword "fund" (lemma match)')
    assert got[(3, "value.funding")].reason.startswith('keyword "fund" (lemma match)')
    # "founding" is a real word, not a misspelling of "funding"
    assert (5, "value.funding") not in got


def test_near_miss_spellings_fire_with_a_fuzzy_reason(small_project):
    p = make(small_project, {"T1": [
        ("Interviewer", "Tell me about money."),
        ("Anna", "Most of the fundng went to the lab."),
        ("Interviewer", "And research?"),
        ("Anna", "We do joint reseach with the university."),
    ]})
    got = by_code(Suggester(p).suggest_transcript("T1"))
    s = got[(1, "value.funding")]
    assert 'fuzzy "fundng"≈"funding" (92)' in s.reason
    assert ("keyword", s.reason) in s.evidence
    rnd = got[(3, "value.rnd")]
    assert 'fuzzy "reseach"' in rnd.reason and 'in keyword "joint research"' in rnd.reason


def test_fuzzy_threshold_is_configurable(small_project):
    p = make(small_project, {"T1": [("Anna", "Most of the fundng went to the lab.")]},
             toml_extra="fuzzy_threshold = 95\n")
    assert Suggester(p).suggest_transcript("T1") == []


def test_a_suggestion_covers_the_turn_and_points_at_the_words(small_project):
    p = make(small_project, {"T1": [
        ("Interviewer", "What do members get?"),
        ("Anna", "Many things. We run joint research with two plants. Nothing else."),
    ]})
    text = p.transcript("T1").text
    seg = p.transcript("T1").segments[1]
    [s] = [x for x in Suggester(p).suggest_transcript("T1") if x.code == "value.rnd"]
    assert (s.transcript, s.segment) == ("T1", 1)
    assert (s.start, s.end) == (seg.start, seg.end)      # accepting codes the whole turn
    assert text[s.match_start:s.match_end] == "joint research"
    assert s.reason == 'keyword "joint research"'


def test_prefix_keywords_and_matcher_patterns(small_project):
    make(small_project, {"T1": [
        ("Anna", "Our members became more competitive."),
        ("Anna", "What helps is cheap loans from the fund."),
        ("Anna", "Or soft credits."),
    ]})



def test_invalid_pattern_names_the_code_and_line(small_project):
    bad = CODEBOOK.replace("[{LEMMA: cheap}, {LEMMA: loan}]", "[{NOT_AN_ATTR: cheap}]")
    p = make(small_project, {"T1": [("Anna", "text")]}, codebook=bad)
    with pytest.raises(CodebookError) as e:
        Suggester(p).suggest_transcript("T1")
    assert "value.loans" in str(e.value) and "pattern 1" in str(e.value)
    assert e.value.line is not None


def test_interviewer_turns_are_skipped_unless_configured(small_project):
    turns = [("Interviewer", "Did the fund help you?"), ("Anna", "Yes, the fund paid for it.")]
    p = make(small_project, {"T1": turns})
    segs = {s.segment for s in Suggester(p).suggest_transcript("T1")}
    assert segs == {1}
    p.config.suggest.include_interviewer = True
    segs = {s.segment for s in Suggester(p).suggest_transcript("T1")}
    assert segs == {0, 1}


def test_question_and_repeated_evidence_raise_the_score(small_project):
    p = make(small_project, {"T1": [
        ("Interviewer", "How do you fund projects?"),
        ("Anna", "The fund pays. Funding is scarce, and funded projects are few."),
        ("Interviewer", "Anything else?"),
        ("Anna", "There is a fund."),
    ]})
    got = by_code(Suggester(p).suggest_transcript("T1"))
    strong, weak = got[(1, "value.funding")], got[(3, "value.funding")]
    assert strong.score > weak.score >= 0.5
    kw = dict(strong.evidence)["keyword"]
    assert "+2 more" in kw and "also in the question" in kw


def test_codebook_with_nothing_to_match_gives_an_empty_explained_result(small_project, capsys):
    bare = "name: Bare\ncodes:\n  - id: a\n    name: A\n  - id: b\n    name: B\n"
    p = make(small_project, {"T1": [("Anna", "We funded joint research.")]}, codebook=bare)
    s = Suggester(p)
    assert s.suggest_transcript("T1") == []
    notes = " ".join(s.notes())
    assert "no definitions" in notes and "nobody has coded" in notes
    assert main(["suggest", str(small_project)]) == 0
    out = capsys.readouterr().out
    assert "No suggestions." in out and "no definitions" in out
    assert main(["suggest", str(small_project), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert "no definitions" in captured.err


def test_cli_json_lists_suggestions_with_the_documented_fields(small_project, capsys):
    make(small_project, {"T1": [("Interviewer", "Money?"), ("Anna", "The fund paid.")],
                         "T2": [("Anna", "Joint research with the university.")]})
    assert main(["suggest", str(small_project), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    got = {(r["transcript"], r["segment"], r["code"]) for r in rows}
    assert {("T1", 1, "value.funding"), ("T2", 0, "value.rnd")} <= got
    assert set(rows[0]) == {"transcript", "segment", "turn", "start", "end", "code", "score",
                            "reason", "probability", "evidence"}
    assert all(r["turn"] == r["segment"] + 1 for r in rows)
    ev = next(r for r in rows if r["code"] == "value.rnd")["evidence"]
    assert {"kind": "keyword", "detail": 'keyword "joint research"'} in ev
    assert all(set(e) == {"kind", "detail"} for r in rows for e in r["evidence"])
    assert main(["suggest", str(small_project), "--transcript", "T2"]) == 0
    out = capsys.readouterr().out
    assert "T2: " in out and "value.rnd" in out and "T1" not in out


def test_unknown_transcript_is_a_one_line_error(small_project, capsys):
    make(small_project, {"T1": [("Anna", "text")]})
    assert main(["suggest", str(small_project), "--transcript", "NOPE"]) == 2
    assert "no transcript with id 'NOPE'" in capsys.readouterr().err


def test_pipeline_lemmas_from_the_lookup_table():
    from workbench.suggest.pipeline import build_pipeline
    pl = build_pipeline("en")
    assert [t.lemma_ for t in pl.make_doc("Funded funding Subsidies")] == ["fund", "fund",
                                                                          "subsidy"]


def test_named_model_that_is_not_installed_falls_back_with_a_note():
    from workbench.suggest.pipeline import build_pipeline
    pl = build_pipeline("en", "en_core_web_nonexistent")
    assert "not installed" in " ".join(pl.notes)
    assert pl.keyword_lemmas("funded") == ["fund"]


@pytest.mark.ru
def test_russian_lemmas_with_pymorphy3(small_project):
    pytest.importorskip("pymorphy3")
    cb = ("name: RU\ncodes:\n  - id: finance\n    name: Финансирование\n"
          "    keywords: [\"финансирование проекта\", \"субсидия\"]\n")
    p = make(small_project, {"R1": [
        ("Интервьюер", "Как финансируется кластер?"),
        ("Анна", "Мы получили субсидии на финансирование проектов."),
        ("Интервьюер", "А ещё?"),
        ("Анна", "Финансированя проектов почти нет."),
    ]}, codebook=cb, toml_extra="")
    p.config.language = "ru"
    p.config.interviewer_speakers = ["Интервьюер"]
    s = Suggester(p)
    assert "pymorphy3" in s.pipeline.description
    got = by_code(s.suggest_transcript("R1"))
    assert got[(1, "finance")].reason.startswith('keyword "финансирование проекта" (lemma match)')
    assert 'fuzzy "Финансированя"' in got[(3, "finance")].reason


def test_codebook_edits_take_effect_without_a_new_suggester(small_project):
    p = make(small_project, {"T1": [("Anna", "We bought a new lathe.")]})
    s = Suggester(p)
    assert s.suggest_transcript("T1") == []
    p.codebook.codes["other"].keywords.append("lathe")      # as the codebook screen would
    [got] = s.suggest_transcript("T1")
    assert (got.code, got.reason) == ("other", 'keyword "lathe"')


def test_hyphen_and_spacing_variants_of_a_keyword_match(small_project):
    cb = CODEBOOK.replace('keywords: ["joint research"]',
                          'keywords: ["low-interest loan", "e mail"]')
    p = make(small_project, {"T1": [
        ("Anna", "They gave us low interest loans."),
        ("Anna", "A lowinterest loan, really."),
        ("Anna", "We wrote an email."),
        ("Anna", "We wrote an e-mail."),
        ("Anna", "Interest rates were low, no loan."),
    ]}, codebook=cb)
    got = by_code(Suggester(p).suggest_transcript("T1"))
    for i in (0, 1, 2, 3):
        s = got[(i, "value.rnd")]
        assert s.evidence[0][0] == "keyword" and "variant" in s.evidence[0][1]
    assert (4, "value.rnd") not in got


def test_thresholds_per_code_and_weights_from_workbench_toml(small_project, capsys):
    turns = [("Anna", "We do joint research. The fund paid.")]
    p = make(small_project, {"T1": turns},
             toml_extra='rule_weight = 1.0\n[suggest.code_thresholds]\n"value.rnd" = 0.9999\n')
    assert p.config.suggest.code_thresholds == {"value.rnd": 0.9999}
    codes = [x.code for x in Suggester(p).suggest_transcript("T1")]
    assert "value.funding" in codes and "value.rnd" not in codes
    p.config.suggest.rule_weight = 0.0          # keywords switched off
    assert not any(k == "keyword" for x in Suggester(p).suggest_transcript("T1")
                   for k, _ in x.evidence)
    assert main(["suggest", str(small_project), "--threshold", "1.0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_an_installed_pipeline_named_in_the_toml_is_used(monkeypatch):
    import spacy

    from workbench.suggest.pipeline import build_pipeline

    def fake_load(name, **kw):          # stands in for an installed en_core_web_sm
        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        return nlp
    monkeypatch.setattr(spacy.util, "is_package", lambda name: name == "en_fake_sm")
    monkeypatch.setattr(spacy, "load", fake_load)
    pl = build_pipeline("en", "en_fake_sm")
    assert pl.description == "spaCy pipeline 'en_fake_sm' (its own lemmas)" and not pl.notes
    assert [t.lemma_ for t in pl.make_doc("Grants funded")] == ["grant", "fund"]
    assert "sentencizer" in pl.nlp.pipe_names
    assert pl.known_word("funding") and not pl.known_word("fundng")
