"""The streamed XLSX writer (issue 16): the workbook holds exactly what the CSV folder holds, cell
by cell, for the demo; no cell is ever a formula; texts XML cannot hold, texts past Excel's cell
limit (counted in UTF-16 units, as Excel counts), infinities and missing values, odd sheet
names; a table too long for a sheet is refused, and a failed export leaves nothing behind."""
from __future__ import annotations

import csv
import datetime as dt
import math
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from workbench import export as E
from workbench import xlsx as X
from workbench.errors import UsageError
from workbench.project import Project
from workbench.spreadsheet import EXCEL_MAX_CELL, TRUNCATED, QuotePrefixed, risky, xlsx_text

DAY = dt.date(2024, 3, 5)


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))[1:]          # the first line is the # comment


def value(cell):
    """The cell's value as Excel shows it: OOXML writes control characters (and a literal
    ``_x0041_``) as ``_xHHHH_`` escapes, which openpyxl leaves as they are."""
    v = cell.value
    return unescape(v) if isinstance(v, str) else v


def as_csv(cell) -> str:
    """What the CSV export writes for the value an XLSX cell holds."""
    v = value(cell)
    if v is None:
        return ""
    if isinstance(v, str):
        return "'" + v if risky(v) else v
    return str(v)


def test_xlsx_holds_what_the_csv_holds_for_the_demo(demo_copy):
    p = Project.open(demo_copy)
    x = E.export(p, "anna", fmt="xlsx", today=DAY)
    c = E.export(p, "anna", fmt="csv", today=DAY)
    wb = openpyxl.load_workbook(x.paths[0])
    files = {f.stem: f for f in c.paths}
    assert wb.sheetnames == ["README", *(t.name for t in x.tables)]
    assert set(wb.sheetnames) == set(files)
    assert {"quotes", "memos", "agreement_segments"} <= set(files)
    n_cells = n_numbers = 0
    for ws in wb:
        rows = csv_rows(files[ws.title])
        sheet = [list(r) for r in ws.iter_rows()]
        assert len(sheet) == len(rows), ws.title
        for r, (xrow, crow) in enumerate(zip(sheet, rows)):
            crow = crow + [""] * (len(xrow) - len(crow))
            assert len(xrow) == len(crow), (ws.title, r)
            if ws.title == "README" and xrow[0].value == "exported at":
                continue                        # the two exports ran a moment apart
            for cell, want in zip(xrow, crow):
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    # numbers: the same value (XLSX keeps 16 significant digits, Excel 15)
                    assert math.isclose(cell.value, float(want), rel_tol=1e-15), \
                        (ws.title, cell.coordinate, cell.value, want)
                    n_numbers += 1
                else:
                    assert as_csv(cell) == want, (ws.title, cell.coordinate)
                    if isinstance(cell.value, str):
                        assert cell.quotePrefix == (risky(value(cell))
                                                    or value(cell).startswith("'"))
                n_cells += cell.value is not None
    assert n_cells > 1000 and n_numbers > 100


NASTY = pd.DataFrame({
    "text": ["=1+2", "+x", "-3", "@SUM(A1)", "\tx", "\rx", " =4", "'kept", "_x0041_ kept", "",
             "a\x00b\x1fc", "\ud800half\ufffe", "🙂" * 20000, "x" * EXCEL_MAX_CELL, None],
    "number": [1.5, np.nan, np.inf, -np.inf, 0.1 + 0.2, 2.0, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    "count": pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], dtype="Int64"),
    "flag": [True, False] * 7 + [True],
    "mixed": [np.int64(7), np.float64(2.5), ["a", "b"], ("c",), pd.NA, pd.NaT, None,
              dt.date(2024, 1, 2), Path("x"), "=y", 1, 2, 3, 4, 5],
})


def read_back(path: Path, sheet: str) -> list[list]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c for c in row] for row in ws.iter_rows()]


def test_every_value_is_a_safe_cell(tmp_path):
    path = tmp_path / "t.xlsx"
    X.write_workbook(path, [X.Sheet("nasty", NASTY, 1)])
    rows = read_back(path, "nasty")
    header, body = rows[0], rows[1:]
    assert [c.value for c in header] == list(NASTY.columns) and header[0].font.b
    text = [r[0] for r in body]
    for cell, v in zip(text[:8], NASTY["text"][:8]):
        assert value(cell) == v and cell.data_type == "s" and cell.quotePrefix, v
    assert value(text[8]) == "_x0041_ kept" and not text[8].quotePrefix
    assert text[9].value is None and text[14].value is None
    assert text[10].value == "a\ufffdb\ufffdc"                  # XML cannot hold them
    assert text[11].value == "\ufffdhalf\ufffd"                 # lone surrogate, non-character
    emoji = text[12].value                                     # 40,000 UTF-16 units: cut
    assert emoji.endswith(TRUNCATED) and "\ufffd" not in emoji
    assert len(emoji.encode("utf-16-le")) // 2 <= EXCEL_MAX_CELL
    assert text[13].value == "x" * EXCEL_MAX_CELL               # exactly at the limit: kept
    assert [r[1].value for r in body[:6]] == [1.5, None, "inf", "-inf", pytest.approx(0.3), 2]
    assert body[3][1].quotePrefix                               # "-inf" would be a formula
    assert [r[2].value for r in body[:3]] == [1, None, 3]
    assert [r[3].value for r in body[:2]] == [True, False]
    assert [r[4].value for r in body[:10]] == [7, 2.5, "a; b", "c", None, None, None,
                                              "2024-01-02", "x", "=y"]
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    assert "<f>" not in xml and "<f " not in xml               # not one formula anywhere


def test_xlsx_text():
    assert xlsx_text("") is None and xlsx_text("ok") == "ok"
    assert type(xlsx_text("=1")) is QuotePrefixed and type(xlsx_text("'a")) is QuotePrefixed
    assert type(xlsx_text("ok =1")) is str
    cut = xlsx_text("é" * 40000)
    assert len(cut) == EXCEL_MAX_CELL and cut.endswith(TRUNCATED)
    pairs = xlsx_text("a" + "🙂" * 16400)         # never half a surrogate pair
    assert pairs.endswith("🙂" + TRUNCATED)
    assert len(pairs.encode("utf-16-le")) // 2 <= EXCEL_MAX_CELL


def test_sheet_names():
    taken: set[str] = set()
    names = [X.sheet_name(n, taken) for n in ("'quoted'", "History", "a" * 40, "A" * 40, "x[1]:y",
                                              "", "a\x01b")]
    assert names == ["quoted", "History_", "a" * 31, "A" * 29 + "~2", "x_1__y", "sheet", "a_b"]
    path = Path(tempfile.mkdtemp()) / "n.xlsx"
    X.write_workbook(path, [X.Sheet(n, pd.DataFrame({"a": [1]})) for n in ("'q'", "History")])
    assert openpyxl.load_workbook(path).sheetnames == ["q", "History_"]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if ".workbench" not in p.parts}


def scratch() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("workbench-xlsx-*")}


def test_a_table_too_long_for_a_sheet_is_refused(demo_copy, monkeypatch):
    p = Project.open(demo_copy)
    before = tree(demo_copy)
    monkeypatch.setattr(X, "MAX_ROWS", 40)
    with pytest.raises(UsageError, match=r"the table 'counts_by_cluster' has 105 rows") as e:
        E.export(p, "anna", fmt="xlsx", today=DAY)
    assert "--format csv" in e.value.hint
    assert tree(demo_copy) - before <= {"exports"}             # no file, no temporary file


def test_a_failed_xlsx_export_leaves_nothing(demo_copy, monkeypatch):
    p = Project.open(demo_copy)
    first = E.export(p, "anna", fmt="xlsx", today=DAY)
    kept = first.paths[0].read_bytes()
    before, temp = tree(demo_copy), scratch()
    column, calls = X._column, []

    def boom(s):
        calls.append(s.name)
        if len(calls) > 60:
            raise RuntimeError("disk full")
        return column(s)
    monkeypatch.setattr(X, "_column", boom)
    with pytest.raises(RuntimeError):
        E.export(p, "anna", fmt="xlsx", today=DAY, force=True)
    assert first.paths[0].read_bytes() == kept                  # the previous export is whole
    assert tree(demo_copy) == before and scratch() <= temp      # no half file, no scratch files
