"""Exports read back: every table of the XLSX and of the CSV folder, against the hand-worked
answers of the fixture in test_counts.py; no cell may be a formula (OWASP CSV injection)."""
from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest
from test_counts import build_fixture

from workbench.errors import UsageError
from workbench.export import Table, csv_safe, export, slug, write_xlsx

DAY = dt.date(2024, 3, 5)
RISKY = ["=1+2 joint research is the main thing.", "-Also money.", "+strong statement",
         "@home we live on membership fees", "=cmd|' /C calc'!A0"]


@pytest.fixture
def project(tmp_path):
    return build_fixture(tmp_path / "study")


def sheet_rows(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def records(ws) -> list[dict]:
    rows = sheet_rows(ws)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def assert_no_formulas(wb) -> int:
    n = 0
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula: {c.value!r}"
                n += c.value is not None
    return n


def test_xlsx_every_table_read_back(project):
    res = export(project, "anna", today=DAY)
    path = project.root / "exports" / "fixture-study-anna-2024-03-05.xlsx"
    assert res.paths == [path] and path.is_file()
    wb = openpyxl.load_workbook(path)
    # the front-matter key `interviewer` names a speaker, not a group of interviews (issue 12)
    assert wb.sheetnames == ["README", "counts", "counts_by_region",
                             "matrix_presence", "matrix_segments", "cooccurrence_interviews",
                             "cooccurrence_segments", "quotes", "codebook", "memos",
                             "agreement_overall", "agreement_interviews", "agreement_segments"]
    assert assert_no_formulas(wb) > 100

    readme = {r[0]: r[1] for r in sheet_rows(wb["README"])}
    assert readme["project"] == "Fixture study"
    assert readme["coders"] == "anna"
    assert readme["date"] == "2024-03-05"
    assert readme["n_transcripts"] == 3
    assert readme["left out (not done)"] == "T4"
    assert "1 unknown code" in readme["codings left out"]
    assert "not counted by cluster" in readme["counts by attribute"]   # one value per interview

    for ws in wb:   # bold frozen header, autofilter over the whole table
        assert ws["A1"].font.b, ws.title
        assert ws.freeze_panes.endswith("2"), ws.title
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        assert ws.column_dimensions["A"].width >= 6

    counts = {r["code"]: (r["interviews"], r["percent"], r["segments"], r["codings"],
                          r["n_transcripts"]) for r in records(wb["counts"])}
    assert counts == {"value": (2, 66.7, 3, 4, 3), "value.rnd": (2, 66.7, 3, 3, 3),
                      "value.funding": (1, 33.3, 1, 1, 3), "finance": (1, 33.3, 1, 1, 3),
                      "finance.fees": (1, 33.3, 1, 1, 3)}

    by = {(r["region"], r["code"]): (r["interviews"], r["percent"], r["n_transcripts"])
          for r in records(wb["counts_by_region"])}
    assert by[("Perm", "value")] == (1, 50.0, 2)
    assert by[("Samara", "value")] == (1, 100.0, 1)
    assert by[("Samara", "finance.fees")] == (0, 0.0, 1)
    assert len(by) == 10

    pres = {r["transcript"]: r for r in records(wb["matrix_presence"])}
    assert list(pres) == ["T1", "T2", "T3"]
    assert pres["T1"]["region"] == "Perm"
    assert pres["T2"]["cluster"] == "=cmd|' /C calc'!A0"       # text, not a formula
    assert [pres["T1"][c] for c in ("value", "value.rnd", "value.funding", "finance",
                                    "finance.fees")] == [1, 1, 1, 0, 0]
    assert [pres["T2"][c] for c in ("value", "finance", "finance.fees")] == [0, 1, 1]
    assert [pres["T3"][c] for c in ("value", "value.rnd", "value.funding")] == [1, 1, 0]
    segs = {r["transcript"]: r for r in records(wb["matrix_segments"])}
    assert (segs["T1"]["value"], segs["T1"]["value.rnd"], segs["T1"]["value.funding"]) == (2, 2, 1)

    co = {r["code"]: r for r in records(wb["cooccurrence_interviews"])}
    assert co["value.rnd"]["value.funding"] == 1 and co["value.rnd"]["value.rnd"] == 2
    assert co["value"]["finance"] == 0 and co["finance"]["name"] == "Financing"
    cs = {r["code"]: r for r in records(wb["cooccurrence_segments"])}
    assert cs["value.rnd"]["value.rnd"] == 3 and cs["value.rnd"]["value.funding"] == 1

    q = records(wb["quotes"])
    assert [(r["code"], r["transcript"]) for r in q] == [
        ("value.rnd", "T1"), ("value.rnd", "T1"), ("value.rnd", "T3"), ("value.funding", "T1"),
        ("finance.fees", "T2")]
    assert q[0]["text"] == RISKY[0] and q[0]["memo"] == RISKY[2] and q[0]["coder"] == "anna"
    assert q[0]["speaker"] == "Manager" and q[0]["region"] == "Perm"
    assert q[1]["text"] == RISKY[1]
    assert q[4]["text"] == "project funding?\nManager: @home we live on membership fees"
    quotes_ws = wb["quotes"]
    text_col = [c.value for c in quotes_ws[1]].index("text")
    risky_cell = quotes_ws.cell(2, text_col + 1)
    assert risky_cell.data_type == "s" and risky_cell.quotePrefix   # stays text when edited

    cb = {r["id"]: r for r in records(wb["codebook"])}
    assert list(cb) == ["value", "value.rnd", "value.funding", "finance", "finance.fees"]
    assert cb["value.rnd"]["definition"] == "Joint research projects."
    assert cb["value.rnd"]["examples"] == "We do joint R&D."
    assert cb["finance.fees"]["include"] == "Fees paid by members."
    assert cb["finance.fees"]["exclude"] == "Subsidies." and cb["finance.fees"]["parent"] == "finance"

    # agreement of anna and boris on T1 and T2 (the transcripts both marked done):
    # interviews: T1 {value.rnd, value.funding} vs {value.rnd}; T2 {finance.fees} both
    ag = {r["code"]: r for r in records(wb["agreement_interviews"])}
    assert ag["value.rnd"]["percent_agreement"] == 1
    assert ag["value.funding"]["percent_agreement"] == 0.5
    assert ag["finance.fees"]["n_units"] == 2
    assert ag["value"]["percent_agreement"] == 1          # parents: present where any child is
    overall = {r["unit"]: r for r in records(wb["agreement_overall"])}
    assert overall["interviews"]["percent_agreement"] == 0.5     # T2 identical, T1 differs
    assert set(overall) == {"interviews", "segments"}


def test_exports_never_overwrite_silently(project, tmp_path):
    export(project, "anna", today=DAY)
    with pytest.raises(UsageError, match="already exists") as e:
        export(project, "anna", today=DAY)
    assert "--force" in e.value.hint
    res = export(project, "anna", today=DAY, force=True)
    assert res.paths[0].is_file()
    out = tmp_path / "new" / "folder"                       # created when missing
    res = export(project, "anna", today=DAY, out=out)
    assert res.paths == [out / "fixture-study-anna-2024-03-05.xlsx"]
    res = export(project, "anna", today=DAY, out=tmp_path / "mine.xlsx")
    assert res.paths == [tmp_path / "mine.xlsx"]
    with pytest.raises(UsageError, match="does not fit"):
        export(project, "anna", today=DAY, out=tmp_path / "mine.json")


def read_csv_table(path, bom=False):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    with open(path, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    return lines[0][0], [dict(zip(lines[1], r)) for r in lines[2:]]


@pytest.mark.parametrize("bom", [False, True])
def test_csv_every_table_read_back(project, bom):
    res = export(project, "anna", fmt="csv", today=DAY, bom=bom)
    folder = project.root / "exports" / "fixture-study-anna-2024-03-05"
    assert {p.name for p in res.paths} == {
        "README.csv", "counts.csv", "counts_by_region.csv",
        "matrix_presence.csv", "matrix_segments.csv", "cooccurrence_interviews.csv",
        "cooccurrence_segments.csv", "quotes.csv", "codebook.csv", "memos.csv",
            "agreement_overall.csv",
        "agreement_interviews.csv", "agreement_segments.csv"}
    for p in res.paths:
        head, _ = read_csv_table(p, bom)
        assert head.startswith("# workbench export; project: Fixture study; coder: anna; "
                               "date: 2024-03-05")
    _, counts = read_csv_table(folder / "counts.csv", bom)
    assert {r["code"]: (r["interviews"], r["percent"], r["segments"]) for r in counts} == {
        "value": ("2", "66.7", "3"), "value.rnd": ("2", "66.7", "3"),
        "value.funding": ("1", "33.3", "1"), "finance": ("1", "33.3", "1"),
        "finance.fees": ("1", "33.3", "1")}
    _, by = read_csv_table(folder / "counts_by_region.csv", bom)
    assert {(r["region"], r["code"]): r["percent"] for r in by}[("Perm", "value")] == "50.0"
    _, pres = read_csv_table(folder / "matrix_presence.csv", bom)
    assert [(r["transcript"], r["value"], r["finance"]) for r in pres] == [
        ("T1", "1", "0"), ("T2", "0", "1"), ("T3", "1", "0")]
    assert pres[1]["cluster"] == "'=cmd|' /C calc'!A0"          # OWASP prefix
    _, segs = read_csv_table(folder / "matrix_segments.csv", bom)
    assert segs[0]["value"] == "2"
    _, co = read_csv_table(folder / "cooccurrence_interviews.csv", bom)
    assert {r["code"]: r["value.funding"] for r in co}["value.rnd"] == "1"
    _, quotes = read_csv_table(folder / "quotes.csv", bom)
    assert quotes[0]["text"] == "'" + RISKY[0] and quotes[0]["memo"] == "'" + RISKY[2]
    assert quotes[1]["text"] == "'" + RISKY[1]
    assert quotes[4]["text"].startswith("project funding?\nManager: @home")   # not risky: kept
    _, cb = read_csv_table(folder / "codebook.csv", bom)
    assert [r["id"] for r in cb] == ["value", "value.rnd", "value.funding", "finance",
                                     "finance.fees"]
    _, ag = read_csv_table(folder / "agreement_segments.csv", bom)
    assert "value.rnd" in {r["code"] for r in ag}
    # no cell of any CSV starts with a formula character
    for p in res.paths:
        _, rows = read_csv_table(p, bom)
        for r in rows:
            for k, v in r.items():
                assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), (p.name, k, v)
    with pytest.raises(UsageError, match="already exists"):
        export(project, "anna", fmt="csv", today=DAY)


def test_json_export(project):
    res = export(project, "anna", fmt="json", today=DAY)
    doc = json.loads(res.paths[0].read_text(encoding="utf-8"))
    assert doc["meta"]["coders"] == ["anna"] and doc["meta"]["date"] == "2024-03-05"
    assert doc["tables"]["counts"][0]["interviews"] == 2
    assert doc["tables"]["quotes"][0]["text"] == RISKY[0]     # JSON keeps the exact text
    assert doc["tables"]["matrix_presence"][1]["finance"] == 1


def test_single_coder_has_no_agreement_sheet(tmp_path):
    project = build_fixture(tmp_path / "solo", boris=False)
    res = export(project, today=DAY)          # the only coder is chosen
    wb = openpyxl.load_workbook(res.paths[0])
    assert not [s for s in wb.sheetnames if s.startswith("agreement")]
    readme = {r[0]: r[1] for r in sheet_rows(wb["README"])}
    assert readme["agreement"] == "no agreement tables: only one coder (anna)"


def test_xlsx_cells_are_safe_strings(tmp_path):
    df = pd.DataFrame({"text": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(1)", "\tx", "\ry",
                                "bad\x0bchar\x01", "x" * 40000, "'quoted", "", None, "fine"],
                       "n": list(range(12))})
    path = tmp_path / "t.xlsx"
    write_xlsx(path, {"project": "p", "coders": ["a"], "date": "d"},
               [Table("=sheet?", "risky", df)])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["README", "=sheet_"]
    assert_no_formulas(wb)
    vals = [r[0] for r in sheet_rows(wb["=sheet_"])][1:]
    assert vals[:4] == ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(1)"]
    assert vals[6] == "bad\ufffdchar\ufffd"                     # XML-illegal characters replaced
    assert len(vals[7]) == 32767 and vals[7].endswith("[truncated]")
    assert vals[9] is None and vals[10] is None and vals[11] == "fine"


def test_csv_safe():
    assert csv_safe("=1") == "'=1" and csv_safe("-x") == "'-x" and csv_safe("\tx") == "'\tx"
    assert csv_safe("ok =1") == "ok =1" and csv_safe(-3) == -3
    assert slug("Cluster managers 2019 (demo)") == "cluster-managers-2019-demo"
    assert slug("Кластеры 2019") == "кластеры-2019"


def test_cli_export(project, tmp_path):
    cmd = [sys.executable, "-m", "workbench", "export", str(project.root), "--coder", "anna",
           "--out", str(tmp_path / "x"), "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["coders"] == ["anna"] and doc["paths"][0].endswith(".xlsx")
    assert {t["name"]: t["rows"] for t in doc["tables"]}["quotes"] == 5
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "already exists" in r.stderr and "--force" in r.stderr
    assert "Traceback" not in r.stderr
