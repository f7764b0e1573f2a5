"""The JSON export is written record by record (issue 16: a 5,000-interview export no longer
holds the whole document in memory), and it is byte for byte the document one ``json.dumps``
with ``indent=1`` wrote before."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import export as E
from workbench.project import Project

DAY = dt.date(2024, 3, 5)


def whole_document(meta: dict, tabs: list) -> bytes:
    """The JSON export as it was written before: one json.dumps of the whole document."""
    def records(df):
        return [{str(k): E._plain(v) for k, v in zip(df.columns, row)}
                for row in zip(*(df[c].tolist() for c in df.columns))]
    doc = {"meta": meta, "tables": {t.name: records(t.frame) for t in tabs},
           "descriptions": {t.name: t.description for t in tabs}}
    return (json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n").encode("utf-8")


def test_the_demo_export_is_the_same_document(demo_copy):
    p = Project.open(demo_copy)
    res = E.export(p, "anna", fmt="json", today=DAY)
    assert res.paths[0].read_bytes() == whole_document(res.meta, res.tables)


def test_every_kind_of_value(tmp_path):
    odd = pd.DataFrame({
        "text": ["plain", 'quote " and \\ back', "line\nbreak\ttab\x00nul", "Кириллица 🙂", None],
        "number": [1.5, np.nan, np.inf, -np.inf, 0.1 + 0.2],
        "int": pd.array([1, None, 3, -4, 2**40], dtype="Int64"),
        "flag": [True, False, True, False, True],
        "other": [dt.date(2024, 1, 2), Path("x/y"), ["a", 1], {"k": [1, 2]}, np.int64(7)],
    })
    meta = {"project": "p", "coders": ["a"], "warnings": ["w1", "w2"], "empty": []}
    for tabs in ([E.Table("odd", "odd values", odd), E.Table("none", "no rows", odd.iloc[:0]),
                  E.Table("no columns", "", pd.DataFrame())], []):
        path = tmp_path / "x.json"
        E.write_json(path, meta, tabs)
        assert path.read_bytes() == whole_document(meta, tabs)
        json.loads(path.read_text(encoding="utf-8"))
