"""Exports on real-world input (issue 12 items 10-11, issue 15 items 1-2): any attribute name
works, nothing is written outside the export folder, a failed export leaves nothing behind, and
no CSV cell can become a formula or a new row, whatever the control characters in it."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from workbench import export as E
from workbench.cli import main
from workbench.frames import status_frame
from workbench.project import Project, init_project

CODEBOOK = """\
name: Small
codes:
  - id: value
    name: Added value
    children:
      - id: value.rnd
        name: Joint R&D
"""


def project_with(tmp_path: Path, front: dict[str, str], n: int = 2, code: str = "value.rnd",
                 codebook: str = CODEBOOK, attributes_csv: str | None = None) -> Project:
    """``n`` transcripts with the front matter ``front``, one coding each by anna, all done."""
    root = init_project(tmp_path / "p", name="Safety")
    (root / "codebooks" / "codebook.yaml").write_text(codebook, encoding="utf-8")
    for i in range(n):
        head = "".join(f"{k}: {v}\n" for k, v in front.items())
        body = "Interviewer: What do you get?\nManager: Joint research, mostly.\n"
        text = (f"---\n{head}---\n" if head else "") + body
        (root / "transcripts" / f"T{i}.txt").write_text(text, encoding="utf-8")
    if attributes_csv:
        (root / "transcripts" / "attributes.csv").write_text(attributes_csv, encoding="utf-8")
    p = Project.open(root)
    with p.log("anna") as log:
        for i in range(n):
            seg = p.transcript(f"T{i}").segments[1]
            log.code(f"T{i}", seg.start, seg.end, code, quote=seg.text)
            log.done(f"T{i}")
    return Project.open(root)


def tree(root: Path) -> set[str]:
    """Every path under ``root`` but the derived state in ``.workbench/``."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if ".workbench" not in p.parts}


# ---- item 10: any attribute name --------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_attribute_named_like_a_column(tmp_path, fmt, capsys):
    """Front matter `source: x.pdf` (a quotes column), `code`, `transcript` and `value` (a code
    id: a matrix column): the export works, each attribute in its own column."""
    p = project_with(tmp_path, {"source": "x.pdf", "code": "c", "transcript": "t", "value": "v"})
    assert main(["export", str(p.root), "--format", fmt, "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    meta, tabs = E.tables(p, "anna")
    q = next(t.frame for t in tabs if t.name == "quotes")
    assert list(q["source"]) == ["manual", "manual"]            # the coding's source
    assert list(q["source (attribute)"]) == ["x.pdf", "x.pdf"]  # the interview's attribute
    assert list(q["code"]) == ["value.rnd", "value.rnd"]
    assert list(q["code (attribute)"]) == ["c", "c"]
    assert list(q["transcript"]) == ["T0", "T1"]
    assert list(q["transcript (attribute)"]) == ["t", "t"]
    m = next(t.frame for t in tabs if t.name == "matrix_presence")
    assert list(m["transcript"]) == ["T0", "T1"] and list(m["value"]) == [1, 1]
    assert list(m["value (attribute)"]) == ["v", "v"]
    by = next(t.frame for t in tabs if t.name == "counts_by_code")
    assert "code (attribute)" in by.columns and set(by["code"]) == {"value", "value.rnd"}


def test_failed_csv_export_leaves_nothing(tmp_path, monkeypatch):
    p = project_with(tmp_path, {"region": "Perm"})
    before = tree(p.root)
    calls = []

    def boom(v):
        calls.append(v)
        if len(calls) > 40:
            raise RuntimeError("disk full")
        return v
    monkeypatch.setattr(E, "_plain", boom)
    with pytest.raises(RuntimeError):
        E.export(p, "anna", fmt="csv")
    assert tree(p.root) == before          # no partial folder, no temporary folder, no exports/
    out = tmp_path / "elsewhere" / "deeper"
    with pytest.raises(RuntimeError):
        E.export(p, "anna", fmt="csv", out=out)
    assert not (tmp_path / "elsewhere").exists()
    # a --force export that fails keeps the previous one whole
    monkeypatch.undo()
    first = E.export(p, "anna", fmt="csv")
    folder = first.paths[0].parent
    kept = {f.name: f.read_bytes() for f in folder.iterdir()}
    calls.clear()
    monkeypatch.setattr(E, "_plain", boom)
    with pytest.raises(RuntimeError):
        E.export(p, "anna", fmt="csv", force=True)
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == kept
    assert [x.name for x in folder.parent.iterdir()] == [folder.name]


def test_csv_folder_gets_the_umask_mode(tmp_path):
    p = project_with(tmp_path, {})
    old = os.umask(0o022)
    try:
        res = E.export(p, "anna", fmt="csv")
    finally:
        os.umask(old)
    assert res.paths[0].parent.stat().st_mode & 0o777 == 0o755
    assert res.paths[0].stat().st_mode & 0o777 == 0o644


# ---- issue 15 item 1: nothing outside the export folder ------------------------------------------
@pytest.mark.parametrize("how", ["front matter", "attributes.csv"])
def test_attribute_names_never_become_paths(tmp_path, how, capsys):
    evil = "../../../../OUT"
    if how == "front matter":
        p = project_with(tmp_path, {evil: "a"})
    else:
        p = project_with(tmp_path, {}, attributes_csv=f"id,{evil},/etc/x\nT0,a,b\nT1,a,c\n")
    outside = tree(tmp_path)
    assert main(["export", str(p.root), "--coder", "anna", "--format", "csv"]) == 0
    capsys.readouterr()
    folder = next((p.root / "exports").iterdir())
    new = tree(tmp_path) - outside
    assert all(n.startswith(str(folder.relative_to(tmp_path))) or n == "p/exports"
               for n in new), new
    names = sorted(f.name for f in folder.iterdir())
    assert "counts_by_OUT.csv" in names
    assert all("/" not in n and not n.startswith(".") for n in names)
    assert main(["export", str(p.root), "--coder", "anna", "--format", "xlsx"]) == 0
    capsys.readouterr()
    xlsx = next(f for f in (p.root / "exports").iterdir() if f.suffix == ".xlsx")
    assert "counts_by_OUT" in openpyxl.load_workbook(xlsx).sheetnames


def test_table_names_are_safe_and_distinct():
    assert E.safe_table_name("counts_by_../../x") == "counts_by_x"
    assert E.safe_table_name("counts_by_v1.2") == "counts_by_v1.2"
    assert E.safe_table_name("../../../OUT") == "OUT"
    assert E.safe_table_name("counts_by_регион") == "counts_by_регион"
    tabs = E._unique_names([E.Table(n, "", pd.DataFrame()) for n in
                            ("counts_by_a/b", "counts_by_a:b", "Counts_by_A_B", "README")])
    assert [t.name for t in tabs] == ["counts_by_a_b", "counts_by_a_b_2", "Counts_by_A_B_3",
                                      "README_2"]


# ---- issue 15 item 2: every CSV cell neutralised ------------------------------------------------
NASTY = ["Added value\r=cmd|' /C calc'!A0", "x\n=1+2", "y\x0b@SUM(1)", "\n=2+3", " =3+4",
         "\x00-5", "z\u2028+6", 'q"\r\n=7']


def test_no_csv_cell_becomes_a_formula_or_a_row(tmp_path):
    codebook = "name: Nasty\ncodes:\n" + "".join(
        f"  - id: c{i}\n    name: {json.dumps(n)}\n" for i, n in enumerate(NASTY))
    p = project_with(tmp_path, {"region": "=HYPERLINK(1)"}, code="c0", codebook=codebook)
    res = E.export(p, "anna", fmt="csv")
    assert len(res.paths) >= 10
    for path in res.paths:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        width = len(rows[1])
        for row in rows[1:]:
            assert len(row) == width, (path.name, row)       # no cell split into a new row
            for cell in row:
                assert cell.lstrip(" ")[:1] not in ("=", "+", "-", "@"), (path.name, cell)
                assert not (cell[:1] and cell[0] in "\r\n\t\x00\x0b"), (path.name, cell)
        df = pd.read_csv(path, skiprows=1, dtype=str, keep_default_na=False)
        assert len(df) == len(rows) - 2
    with open(res.paths[0].parent / "codebook.csv", encoding="utf-8", newline="") as f:
        cb = list(csv.reader(f))[2:]
    names = [r[1] for r in cb]
    assert names[0] == NASTY[0]                  # starts with a letter: kept, but quoted
    # (the codebook loader strips a name's surrounding white space)
    assert names[3] == "'=2+3" and names[4] == "'=3+4" and names[5] == "'" + NASTY[5]
    raw = (res.paths[0].parent / "codebook.csv").read_bytes().decode("utf-8")
    assert '"Added value\r=cmd' in raw             # the bare carriage return is inside quotes


def test_csv_line_quotes_every_control_character():
    assert E.csv_line(["a", "b c", "1"]) == "a,b c,1\n"
    for ch in ["\r", "\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\x00", ",", '"']:
        line = E.csv_line([f"x{ch}y"])
        assert line.startswith('"') and line.endswith('"\n'), repr(ch)


# ---- item 11 ---------------------------------------------------------------------------------------
def test_status_counts_interviewee_turns_only(tmp_path):
    p = project_with(tmp_path, {}, n=1)
    t = p.transcript("T0")
    q, a = t.segments[0], t.segments[1]
    with p.log("boris") as log:
        log.code("T0", q.start, q.end, "value.rnd", quote=q.text)           # the question only
        log.done("T0")
    with p.log("cid") as log:
        log.code("T0", q.start, a.end, "value.rnd", quote=t.text[q.start:a.end])   # both turns
    rows = status_frame(Project.open(p.root)).set_index("coder")
    assert rows.loc["anna", "segments_coded"] == 1
    assert rows.loc["boris", "segments_coded"] == 0
    assert rows.loc["cid", "segments_coded"] == 1


def test_interviewer_front_matter_is_not_a_grouping_attribute(tmp_path):
    p = project_with(tmp_path, {"interviewer": "Dr Ro", "region": "Perm"})
    _, tabs = E.tables(p, "anna")
    names = [t.name for t in tabs]
    assert "counts_by_region" in names and "counts_by_interviewer" not in names


def test_text_tables_never_cut_code_ids(tmp_path, capsys):
    long = "a_very_long_parent_code_identifier_for_the_distribution_of_project_funds"
    kids = [f"{long}.{k}_child" for k in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")]
    codebook = ("name: Long\ncodes:\n  - id: " + long + "\n    name: Parent\n    children:\n"
                + "".join(f"      - id: {k}\n        name: {k.rsplit('.', 1)[1]}\n" for k in kids))
    p = project_with(tmp_path, {}, code=kids[0], codebook=codebook)
    t = p.transcript("T0")
    with p.log("boris") as log:
        for i in range(2):
            seg = p.transcript(f"T{i}").segments[1]
            log.code(f"T{i}", seg.start, seg.end, kids[1], quote=seg.text)
            log.done(f"T{i}")
    assert t is not None
    assert main(["agree", str(p.root), "--coders", "anna,boris"]) == 0
    out = capsys.readouterr().out
    for k in kids:
        assert k in out
    assert "…" not in out
