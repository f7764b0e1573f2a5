"""One numbering of turns everywhere a person reads one: the same passage is "P01 turn 20" in
`segments`, `codings`, `disagreements`, `suggest`, `memos`, the quotes sheet of every export and
the report, counted from 1 as the app shows it; JSON keeps its 0-based index and adds `turn`."""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import openpyxl
import pytest

from workbench.agreement.reconcile import reconcile_state
from workbench.cli import main
from workbench.export import export
from workbench.project import Project

sys.path.insert(0, str(Path(__file__).parent / "tui"))
from tui_helpers import copy_demo_with_logs


@pytest.fixture
def demo(tmp_path):
    return copy_demo_with_logs(tmp_path / "demo")


def run(capsys, *args) -> tuple[str, str]:
    assert main([str(a) for a in args]) == 0
    got = capsys.readouterr()
    return got.out, got.err


def test_the_same_passage_has_the_same_turn_number_everywhere(demo, capsys, tmp_path):
    p = Project.open(demo)
    d = reconcile_state(p, ["anna", "boris"]).open[0]     # a passage the coders disagree on
    tid, index = d.transcript, d.segment
    turn = index + 1
    seg = p.transcript(tid).segments[index]
    codings = [c for c in p.codings("anna") if c.transcript == tid and c.segment == index]
    assert codings, "anna coded the passage"

    # segments: a "turn" column, from 1
    out, _ = run(capsys, "segments", demo, tid)
    header = out.splitlines()[0].split()
    assert header[:2] == ["transcript", "turn"]
    assert re.search(rf"^{tid}\s+{turn}\s+{re.escape(seg.speaker)}\s", out, re.M)
    assert re.search(rf"^{tid}\s+1\s", out, re.M) and not re.search(rf"^{tid}\s+0\s", out, re.M)
    rows = json.loads(run(capsys, "segments", demo, tid, "--json")[0])
    assert (rows[index]["index"], rows[index]["turn"]) == (index, turn)

    # codings
    out, _ = run(capsys, "codings", demo, "--coder", "anna")
    assert out.splitlines()[0].split()[:3] == ["coder", "transcript", "turn"]
    assert re.search(rf"^anna\s+{tid}\s+{turn}\s+{re.escape(codings[0].code)}\s", out, re.M)
    rows = json.loads(run(capsys, "codings", demo, "--coder", "anna", "--json")[0])
    mine = [r for r in rows if r["id"] == codings[0].id][0]
    assert (mine["segment"], mine["turn"]) == (index, turn)

    # disagreements
    out, _ = run(capsys, "disagreements", demo, "--coders", "anna,boris")
    assert f"{tid} turn {turn} ({seg.speaker})" in out
    rows = json.loads(run(capsys, "disagreements", demo, "--coders", "anna,boris", "--json")[0])
    mine = [r for r in rows if r["unit"] == d.unit][0]
    assert (mine["segment"], mine["turn"]) == (index, turn)

    # memos: a memo on the passage
    with p.log("anna") as log:
        log.memo("a doubt about this turn", transcript=tid, start=seg.start, end=seg.end)
    out, _ = run(capsys, "memos", demo, "--coder", "anna")
    assert f"{tid} turn {turn}" in out

    # the quotes sheet (xlsx and csv) and the report
    res = export(Project.open(demo), "anna", out=tmp_path / "x")
    ws = openpyxl.load_workbook(res.paths[0])["quotes"]
    head = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert "turn" in head and "segment" not in head
    quoted = [dict(zip(head, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    assert {q["turn"] for q in quoted if q["transcript"] == tid and q["start"] == codings[0].start} \
        == {turn}
    res = export(Project.open(demo), "anna", fmt="csv", out=tmp_path / "c")
    quotes_csv = next(x for x in res.paths if x.name == "quotes.csv")
    lines = quotes_csv.read_text(encoding="utf-8").splitlines()[1:]
    rows = list(csv.DictReader(lines))
    assert {r["turn"] for r in rows if r["transcript"] == tid
            and r["start"] == str(codings[0].start)} == {str(turn)}
    from workbench.report import build_report
    rep = build_report(Project.open(demo), coder="anna", agreement=False, pseudonymise=False)
    items = [q for s in rep.sections for t in s.themes for q in t.quotes
             if q.transcript == tid and q.text == p.text(tid)[codings[0].start:codings[0].end]]
    assert items and {q.turn for q in items} == {turn}
