"""Opinion counts on a hand-made project whose right answers are worked out below.

The fixture (built by :func:`build_fixture`, shared with test_export.py and test_chart.py):

codebook            value ─┬─ value.rnd          finance ── finance.fees
                           └─ value.funding

transcripts (segments alternate interviewer / interviewee; region from attributes.csv)
  T1 Perm    seg0 Interviewer  seg1 Manager  seg2 Interviewer  seg3 Manager
  T2 Perm    seg0 Interviewer  seg1 Manager
  T3 Samara  front matter 'interviewer: Dr Ro':  seg0 Dr Ro (interviewer)  seg1 Manager
  T4 Samara  seg0 Interviewer  seg1 Manager

anna's codings                                             counted?
  T1 value.rnd      in seg1                                 yes
  T1 value.rnd      in seg3   (same code twice in T1)       yes
  T1 value.funding  in seg3                                 yes
  T2 value.funding  in seg0 only (interviewer question)     no  (interviewer turn)
  T2 finance.fees   from seg0 into seg1                     yes (overlaps seg1; counts seg1 only)
  T3 value.rnd      in seg1                                 yes
  T3 finance.fees   in seg0 (Dr Ro, interviewer by front matter)   no
  T4 value.rnd      in seg1, but T4 is not marked done      no  (unfinished)
  T1 ghost.code     (not in the codebook)                   no  (unknown_code, warned)
anna marked T1, T2, T3 done.   boris coded T1 and T2 and marked them done.

So with the defaults, N = 3 (T1, T2, T3):
  value         interviews {T1, T3} = 2 → 66.7 %   segments {T1#1, T1#3, T3#1} = 3   codings 4
  value.rnd     interviews {T1, T3} = 2 → 66.7 %   segments 3                       codings 3
  value.funding interviews {T1}     = 1 → 33.3 %   segments {T1#3} = 1              codings 1
  finance       interviews {T2}     = 1 → 33.3 %   segments {T2#1} = 1              codings 1
  finance.fees  the same as finance
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from workbench import counts as C
from workbench import tables as T
from workbench import textchart as B
from workbench.errors import UsageError
from workbench.project import Project, init_project

CODEBOOK = """\
name: Fixture codebook
codes:
  - id: value
    name: Added value
    children:
      - id: value.rnd
        name: Joint R&D
        definition: Joint research projects.
        examples: ["We do joint R&D."]
      - id: value.funding
        name: Project funding
  - id: finance
    name: Financing
    children:
      - id: finance.fees
        name: Membership fees
        include: Fees paid by members.
        exclude: Subsidies.
"""

TRANSCRIPTS = {
    "T1": """\
Interviewer: What do members get?
Manager: =1+2 joint research is the main thing. We run five joint R&D projects.
Interviewer: Anything else?
Manager: -Also money. We help them get subsidies for projects and research too.
""",
    "T2": """\
Interviewer: Do you help members with project funding?
Manager: @home we live on membership fees, nothing else.
""",
    "T3": """\
---
interviewer: Dr Ro
---
Dr Ro: Tell me about fees and the joint research.
Manager: We do joint research with the university.
""",
    "T4": """\
Interviewer: And joint research?
Manager: Yes, joint research with two partners.
""",
}
ATTRIBUTES = "id,region,cluster\nT1,Perm,Alpha\nT2,Perm,=cmd|' /C calc'!A0\nT3,Samara,Gamma\nT4,Samara,Delta\n"


def span(text: str, phrase: str, start_at: str | None = None) -> tuple[int, int]:
    base = text.index(start_at) if start_at else 0
    i = text.index(phrase, base)
    return i, i + len(phrase)


def build_fixture(root: Path, *, boris: bool = True) -> Project:
    init_project(root, name="Fixture study")
    (root / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    for tid, text in TRANSCRIPTS.items():
        (root / "transcripts" / f"{tid}.txt").write_text(text, encoding="utf-8")
    (root / "transcripts" / "attributes.csv").write_text(ATTRIBUTES, encoding="utf-8")
    p = Project.open(root)
    t = TRANSCRIPTS
    t3 = p.transcript("T3").text  # offsets count the front matter too
    with p.log("anna") as log:
        a, b = span(t["T1"], "=1+2 joint research is the main thing.")
        log.code("T1", a, b, "value.rnd", quote=t["T1"][a:b], memo="+strong statement")
        a, b = span(t["T1"], "-Also money.")
        log.code("T1", a, b, "value.rnd", quote=t["T1"][a:b])
        a, b = span(t["T1"], "We help them get subsidies for projects")
        log.code("T1", a, b, "value.funding", quote=t["T1"][a:b])
        a, b = span(t["T2"], "help members with project funding")
        log.code("T2", a, b, "value.funding", quote=t["T2"][a:b])
        a, b = span(t["T2"], "project funding?\nManager: @home we live on membership fees")
        log.code("T2", a, b, "finance.fees", quote=t["T2"][a:b])
        a, b = span(t3, "We do joint research with the university.")
        log.code("T3", a, b, "value.rnd", quote=t3[a:b])
        a, b = span(t3, "Tell me about fees")
        log.code("T3", a, b, "finance.fees", quote=t3[a:b])
        a, b = span(t["T4"], "Yes, joint research with two partners.")
        log.code("T4", a, b, "value.rnd", quote=t["T4"][a:b])
        a, b = span(t["T1"], "Anything else?")
        log.code("T1", a, b, "ghost.code", quote=t["T1"][a:b])
        for tid in ("T1", "T2", "T3"):
            log.done(tid)
    if boris:
        with p.log("boris") as log:
            a, b = span(t["T1"], "We run five joint R&D projects.")
            log.code("T1", a, b, "value.rnd", quote=t["T1"][a:b])
            a, b = span(t["T2"], "@home we live on membership fees")
            log.code("T2", a, b, "finance.fees", quote=t["T2"][a:b])
            log.done("T1")
            log.done("T2")
    return Project.open(root)


@pytest.fixture
def project(tmp_path) -> Project:
    return build_fixture(tmp_path / "study")


def rows(df: pd.DataFrame) -> dict:
    return {r.code: (r.interviews, None if pd.isna(r.percent) else r.percent, r.segments,
                     r.codings, r.n_transcripts) for r in df.itertuples()}


# ---- the counts ----------------------------------------------------------------------------------
def test_counts_default_scope_worked_by_hand(project):
    res = C.opinion_counts(project, coder="anna")
    assert res.coders == ["anna"]
    assert res.n_transcripts == 3
    assert list(res.frame["code"]) == ["value", "value.rnd", "value.funding", "finance",
                                       "finance.fees"]   # codebook tree order
    assert rows(res.frame) == {
        "value": (2, 66.7, 3, 4, 3),
        "value.rnd": (2, 66.7, 3, 3, 3),
        "value.funding": (1, 33.3, 1, 1, 3),
        "finance": (1, 33.3, 1, 1, 3),
        "finance.fees": (1, 33.3, 1, 1, 3),
    }
    assert res.data.transcripts == ["T1", "T2", "T3"]
    assert res.data.unfinished == ["T4"]
    text = " ".join(res.warnings)
    assert "T4" in text and "--include-unfinished" in text
    assert "1 coding(s) of anna are left out (1 unknown_code)" in text
    assert "2 coding(s) lie only in interviewer turns" in text


def test_include_unfinished_adds_t4_to_counts_and_denominator(project):
    res = C.opinion_counts(project, coder="anna", include_unfinished=True)
    assert res.n_transcripts == 4
    got = rows(res.frame)
    assert got["value"] == (3, 75.0, 4, 5, 4)
    assert got["value.rnd"] == (3, 75.0, 4, 4, 4)
    assert got["finance"] == (1, 25.0, 1, 1, 4)
    assert not any("not marked done" in w for w in res.warnings)


def test_speaker_all_and_interviewer(project):
    got = rows(C.opinion_counts(project, coder="anna", speaker="all").frame)
    # T2's question about funding and Dr Ro's question now count
    assert got["value.funding"] == (2, 66.7, 2, 2, 3)
    assert got["finance.fees"] == (2, 66.7, 3, 2, 3)     # segments T2#0, T2#1, T3#0
    got = rows(C.opinion_counts(project, coder="anna", speaker="interviewer").frame)
    assert got["value.funding"] == (1, 33.3, 1, 1, 3)    # T2#0
    assert got["finance.fees"] == (2, 66.7, 2, 2, 3)     # T2#0 and T3#0 (Dr Ro)
    assert got["value.rnd"] == (0, 0.0, 0, 0, 3)


def test_codes_prefix_selects_subtree(project):
    res = C.opinion_counts(project, coder="anna", codes="value.")
    assert list(res.frame["code"]) == ["value", "value.rnd", "value.funding"]
    assert list(res.frame["depth"]) == [0, 1, 1]
    with pytest.raises(UsageError, match="no code matches 'nothing'"):
        C.opinion_counts(project, coder="anna", codes="nothing")


def test_by_region_uses_group_denominators(project):
    res = C.opinion_counts(project, coder="anna", by="region", codes="value")
    df = res.frame
    got = {(r.group, r.code): (r.interviews, r.percent, r.n_transcripts)
           for r in df.itertuples()}
    assert got == {
        ("Perm", "value"): (1, 50.0, 2), ("Samara", "value"): (1, 100.0, 1),
        ("Perm", "value.rnd"): (1, 50.0, 2), ("Samara", "value.rnd"): (1, 100.0, 1),
        ("Perm", "value.funding"): (1, 50.0, 2), ("Samara", "value.funding"): (0, 0.0, 1),
    }
    assert list(df["code"]) == ["value", "value", "value.rnd", "value.rnd", "value.funding",
                                "value.funding"]
    assert res.groups() == {"Perm": 2, "Samara": 1}
    with pytest.raises(UsageError, match="no transcript has the attribute 'country'"):
        C.opinion_counts(project, coder="anna", by="country")


def test_coder_choice(project, tmp_path):
    with pytest.raises(UsageError, match="2 coders and no consensus") as e:
        C.choose_coder(project)
    assert "anna" in e.value.hint and "boris" in e.value.hint
    with pytest.raises(UsageError, match="no coding log for coder 'consensus'"):
        C.choose_coder(project, consensus=True)
    with pytest.raises(UsageError, match="carla"):
        C.choose_coder(project, "carla")
    with project.log("consensus") as log:
        log.done("T1")
    project = Project.open(project.root)
    assert C.choose_coder(project) == "consensus"
    single = build_fixture(tmp_path / "single", boris=False)
    assert C.choose_coder(single) == "anna"


def test_empty_scope_gives_null_percent_not_a_crash(project):
    with project.log("consensus") as log:
        a, b = span(TRANSCRIPTS["T4"], "Yes, joint research")
        log.code("T4", a, b, "value.rnd")
    res = C.opinion_counts(Project.open(project.root), consensus=True)
    assert res.n_transcripts == 0
    assert res.frame["interviews"].sum() == 0
    assert res.frame["percent"].isna().all()
    assert any("no transcript is in scope" in w for w in res.warnings)
    assert all(r["percent"] is None for r in res.to_json()["rows"])


def test_percent_rounds_half_up():
    assert C.percent(1, 16) == 6.3      # 6.25
    assert C.percent(1, 8) == 12.5
    assert C.percent(2, 3) == 66.7
    assert C.percent(1, 3) == 33.3
    assert C.percent(0, 0) is None


def test_matrices_and_cooccurrence(project):
    data = C.load(project, "anna")
    pres = T.presence(data)
    assert pres.loc["T1"].to_dict() == {"value": 1, "value.rnd": 1, "value.funding": 1,
                                        "finance": 0, "finance.fees": 0}
    assert pres.loc["T2"].to_dict() == {"value": 0, "value.rnd": 0, "value.funding": 0,
                                        "finance": 1, "finance.fees": 1}
    segs = T.presence(data, value="segments")
    assert segs.loc["T1", "value"] == 2 and segs.loc["T1", "value.rnd"] == 2
    co = T.cooccurrence(data)
    assert co.loc["value.rnd", "value.funding"] == 1          # T1
    assert co.loc["value.rnd", "value.rnd"] == 2               # T1, T3
    assert co.loc["value", "finance"] == 0
    cs = T.cooccurrence(data, unit="segments")
    assert cs.loc["value.rnd", "value.funding"] == 1          # T1#3
    assert cs.loc["value.rnd", "value.rnd"] == 3
    long = T.cooccurrence_long(data, "value.")
    pair = long[(long.code_a == "value.rnd") & (long.code_b == "value.funding")].iloc[0]
    assert (pair.interviews, pair.segments) == (1, 1)


def test_quotes_table(project):
    q = T.quotes(C.load(project, "anna"))
    assert len(q) == 5
    first = q.iloc[0]
    assert (first.code, first.transcript, first.speaker, first.region) == \
        ("value.rnd", "T1", "Manager", "Perm")
    assert first.text == "=1+2 joint research is the main thing."
    assert first.memo == "+strong statement"
    fees = q[q.code == "finance.fees"].iloc[0]
    assert fees.speaker == "Manager" and fees.turn == 2   # the counted (interviewee) turn, from 1


def test_bar_rows_and_lines(project):
    res = C.opinion_counts(project, coder="anna", codes="value.")
    bars = B.bar_rows(res.frame, width=10, skip=["value"])
    assert list(bars["code"]) == ["value.rnd", "value.funding"]    # sorted by count
    assert bars.iloc[0]["bar"] == "█" * 10
    assert bars.iloc[1]["bar"] == "█" * 5
    assert bars.iloc[0]["text"] == "2 (66.7%)"
    lines = B.bar_lines(res.frame, 60)
    assert len(lines) == 3 and all(len(x) <= 60 for x in lines)
    assert lines[0].startswith("Added value") and lines[0].endswith("2 (66.7%)")


# ---- the command line --------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True)


def test_cli_counts_json_is_pure_and_documented(project):
    r = run_cli("counts", str(project.root), "--coder", "anna", "--codes", "value.", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)            # stdout holds only JSON
    assert doc["coders"] == ["anna"] and doc["n_transcripts"] == 3 and doc["by"] is None
    assert doc["rows"][0] == {"code": "value", "name": "Added value", "interviews": 2,
                              "percent": 66.7, "segments": 3, "group": None, "codings": 4,
                              "n_transcripts": 3}
    assert "warning:" in r.stderr and "T4" in r.stderr


def test_cli_counts_table_by_region(project):
    r = run_cli("counts", str(project.root), "--coder", "anna", "--by", "region")
    assert r.returncode == 0, r.stderr
    assert "coder: anna" in r.stdout and "N = 3 interviewees, by region" in r.stdout
    assert "Perm (N=2)" in r.stdout and "Samara (N=1)" in r.stdout
    line = next(x for x in r.stdout.splitlines() if x.startswith("value "))
    assert "1  50.0%" in line and "1 100.0%" in line


def test_cli_counts_asks_for_a_coder(project):
    r = run_cli("counts", str(project.root))
    assert r.returncode == 2
    assert "--coder" in r.stderr and "anna" in r.stderr and "Traceback" not in r.stderr


def test_load_is_remembered_until_the_log_changes(project):
    first = C.load(project, "anna")
    assert C.load(project, "anna") is first
    with project.log("anna") as log:
        log.done("T4")                                   # T4 enters the scope
    again = C.opinion_counts(project, coder="anna")
    assert again.data is not first and again.n_transcripts == 4
    assert rows(again.frame)["value.rnd"] == (3, 75.0, 4, 4, 4)
    project.codebook.merge("value.funding", "value.rnd")   # edited in the UI: no stale counts
    merged = rows(C.opinion_counts(project, coder="anna").frame)
    assert "value.funding" not in merged
    assert merged["value.rnd"] == (3, 75.0, 4, 5, 4)     # T1#3 counted once for both codings


def test_speaker_all_counts_a_coding_outside_every_turn(project):
    t3 = project.transcript("T3").text
    with project.log("anna") as log:
        a, b = span(t3, "interviewer: Dr Ro")            # in the front matter: no segment
        log.code("T3", a, b, "value.funding", quote=t3[a:b])
    got = rows(C.opinion_counts(project, coder="anna", speaker="all").frame)
    assert got["value.funding"] == (3, 100.0, 2, 3, 3)   # T3 counts; it adds no segment
    got = rows(C.opinion_counts(project, coder="anna").frame)
    assert got["value.funding"] == (1, 33.3, 1, 1, 3)    # not an interviewee turn
