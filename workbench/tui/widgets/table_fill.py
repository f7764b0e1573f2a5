"""Filling a DataTable in one go with every column as wide as its widest cell, measured here.

A DataTable left to size its columns itself measures new cells later, when its message queue
is idle; a table filled by a worker could be drawn (and captured) in between, with every
column only as wide as its header ("9" for "99", "■ Re" for a code's name). Giving each
column its width when it is added draws the table right the first time."""
from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable


def _width(cell: object) -> int:
    if isinstance(cell, Text):
        return max((line.cell_len for line in cell.split("\n")), default=0)
    return max((cell_len(line) for line in str(cell).split("\n")), default=0)


def fill_table(table: DataTable, columns: Sequence[tuple[str, str]],
               rows: Sequence[tuple[str | None, Sequence[object]]]) -> None:
    """Replace ``table``'s columns and rows: ``columns`` are (header, key), ``rows`` are
    (row key or None, cells in the columns' order)."""
    widths = [_width(header) for header, _ in columns]
    for _, cells in rows:
        for j, cell in enumerate(cells):
            widths[j] = max(widths[j], _width(cell))
    table.clear(columns=True)
    for (header, key), width in zip(columns, widths):
        table.add_column(header, key=key, width=width)
    for key, cells in rows:
        table.add_row(*cells, key=key)
