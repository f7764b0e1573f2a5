"""XLSX workbooks, streamed: one sheet per table, written row by row with XlsxWriter's
``constant_memory`` mode (one row in memory at a time; each sheet's rows wait in a temporary file
until the workbook is zipped), so the memory an export needs does not grow with its quotes.

What every workbook keeps (docs/COUNTS.md, "Spreadsheet safety"):

* no cell is ever a formula: a text is written with ``write_string`` only (and the workbook's
  ``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` are off); a text a
  spreadsheet could read as a formula, or one beginning with ``'``, carries Excel's
  quote-prefix flag, so it is shown unchanged and stays text when edited. Missing values and
  NaN are empty cells, an infinity is the text ``inf`` (never an error formula);
* characters XML cannot hold become U+FFFD and a text longer than Excel's cell limit is cut,
  ending with ``…[truncated]`` (:func:`workbench.spreadsheet.xlsx_text`);
* sheet names are valid for Excel and distinct (:func:`sheet_name`);
* a bold header row, frozen with the first ``freeze_cols`` columns; an autofilter over the
  table; column widths fitted to the first 500 values (6 to 70), or fixed ones;
* a table with more rows or columns than a sheet holds is refused before anything is written
  (:class:`~workbench.errors.UsageError`), never cut silently.

:func:`write_workbook` writes to the path it is given: callers give a temporary one and move it
into place (:func:`workbench.fileio.atomic_write_with`). XlsxWriter's own scratch files go to a
private temporary folder that is removed whatever happens.
"""
from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UsageError
from .spreadsheet import NOT_XML, QuotePrefixed, xlsx_text

#: Rows and columns of one Excel sheet.
MAX_ROWS = 1_048_576
MAX_COLS = 16_384
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False}


@dataclass
class Sheet:
    """One table to write: its sheet name (made valid by :func:`sheet_name`), the frame, the
    leading columns kept in view, and fixed widths for some columns (column → width)."""

    name: str
    frame: pd.DataFrame
    freeze_cols: int = 0
    widths: dict[str, float] = field(default_factory=dict)


def sheet_name(name: str, taken: set[str]) -> str:
    """``name`` as a valid, new sheet name (``taken`` holds the casefolded names used so far and
    gets this one): at most 31 characters, none of ``[]:*?/\\`` or what XML cannot hold, no
    apostrophe at either end, not Excel's reserved ``History``; a repeat gets ``~2``, ``~3`` …"""
    base = NOT_XML.sub("_", _SHEET_BAD.sub("_", name))[:31].strip("'") or "sheet"
    if base.casefold() == "history":
        base += "_"
    out, i = base, 2
    while out.casefold() in taken:
        suffix = f"~{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(out.casefold())
    return out


def cell_value(v):
    """A table value as a cell value: None for missing (None, NaN, NA, NaT), Python numbers and
    booleans, strings (lists, tuples and sets joined with ``; ``)."""
    t = type(v)
    if t is str or t is int or t is bool:
        return v
    if t is float:
        return None if v != v else v
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (list, tuple, set, frozenset)):
        return "; ".join(str(x) for x in v)
    if hasattr(v, "item") and not isinstance(v, str):   # numpy scalars
        return cell_value(v.item())
    if isinstance(v, float) and v != v:
        return None
    return v


def _cell(v):
    """What is written for one value: None (nothing), a number, a bool, or a text from
    :func:`xlsx_text` (a :class:`QuotePrefixed` one carries the flag)."""
    v = cell_value(v)
    t = type(v)
    if t is str:
        return xlsx_text(v)
    if v is None or t is int or t is bool:
        return v
    if t is float:
        return v if math.isfinite(v) else xlsx_text(str(v))
    return xlsx_text(str(v))         # anything else (a date, a path …) as its text


def _column(s: pd.Series) -> list:
    """A column's cells (see :func:`_cell`), numpy numbers taken whole."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iub":
        return s.tolist()               # no missing values in a plain numpy int or bool column
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
        return [None if v != v else v if math.isfinite(v) else xlsx_text(str(v))
                for v in s.tolist()]
    return [xlsx_text(v) if type(v) is str else _cell(v) for v in s.tolist()]


def column_width(header: str, values: Sequence) -> float:
    """Width fitted to the header and the first 500 values (their first line), 6 to 70."""
    longest = len(str(header))
    for v in values[:500]:
        if v is None:
            continue
        s = str(v)
        longest = max(longest, len(s.split("\n", 1)[0]) if "\n" in s else len(s))
    return float(min(max(longest + 2, 6), 70))


def check_size(sheets: Sequence[Sheet]) -> None:
    """Refuse a table that does not fit in one sheet (rather than lose its last rows)."""
    for s in sheets:
        rows, cols = s.frame.shape
        if rows + 1 > MAX_ROWS or cols > MAX_COLS:
            raise UsageError(f"the table '{s.name}' has {rows:,} rows and {cols:,} columns; an "
                             f"Excel sheet holds at most {MAX_ROWS - 1:,} rows under its header "
                             f"and {MAX_COLS:,} columns",
                             hint="export it with --format csv or --format json")


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` in order as the workbook ``path`` (see the module docstring)."""
    import xlsxwriter

    check_size(sheets)
    with tempfile.TemporaryDirectory(prefix="workbench-xlsx-") as scratch:
        wb = xlsxwriter.Workbook(str(path), {**_OPTIONS, "tmpdir": scratch})
        formats = {"quote": wb.add_format({"quote_prefix": True}),
                   "bold": wb.add_format({"bold": True}),
                   "bold quote": wb.add_format({"bold": True, "quote_prefix": True})}
        taken: set[str] = set()
        try:
            for s in sheets:
                _write_sheet(wb.add_worksheet(sheet_name(s.name, taken)), s, formats)
        except BaseException:
            for ws in wb.worksheets():          # close the row files before the folder goes
                fh = getattr(ws, "row_data_fh", None)
                if fh is not None:
                    fh.close()
            raise
        wb.close()


def _write_sheet(ws, sheet: Sheet, formats: dict) -> None:
    df = sheet.frame
    n_rows, n_cols = df.shape
    names = [str(c) for c in df.columns]
    columns = [_column(df.iloc[:, i]) for i in range(n_cols)]
    for i, (name, values) in enumerate(zip(names, columns)):
        ws.set_column(i, i, sheet.widths.get(name) or column_width(name, values))
    if n_cols:
        ws.freeze_panes(1, sheet.freeze_cols)
        ws.autofilter(0, 0, n_rows, n_cols - 1)
    for i, name in enumerate(names):
        text = xlsx_text(name)
        if text is not None:
            ws.write_string(0, i, str(text), formats["bold quote" if type(text) is QuotePrefixed
                                                     else "bold"])
    write_string, write_number, write_boolean = ws.write_string, ws.write_number, ws.write_boolean
    quote = formats["quote"]
    for r, row in enumerate(zip(*columns), start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            t = type(v)
            if t is str:
                write_string(r, c, v)
            elif t is QuotePrefixed:
                write_string(r, c, str(v), quote)
            elif t is bool:
                write_boolean(r, c, v)
            else:
                write_number(r, c, v)
