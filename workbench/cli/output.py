"""Printing helpers shared by the commands: JSON to stdout, warnings to stderr, plain tables."""
from __future__ import annotations

import json
import math
import sys


def _clean(o):
    if isinstance(o, float) and (math.isnan(o) or math.isinf(o)):
        return None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if hasattr(o, "item") and not isinstance(o, (str, bytes)):  # numpy scalars
        try:
            return _clean(o.item())
        except (AttributeError, ValueError):
            pass
    pd = sys.modules.get("pandas")   # no pandas value without pandas: never import it here
    if pd is not None and (o is pd.NA or o is pd.NaT):
        return None
    return o


def emit_json(obj) -> None:
    """Print ``obj`` as JSON (NaN → null, numpy scalars → numbers)."""
    sys.stdout.write(json.dumps(_clean(obj), ensure_ascii=False, indent=2) + "\n")


def warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)


#: Columns that hold identifiers: never cut (two ids cut alike would read as one).
ID_COLUMNS = frozenset({"code", "id", "transcript", "coder", "unit", "parent"})


def table(rows: list[dict], columns: list[str] | None = None, *, max_width: int = 60) -> str:
    """A plain-text table of ``rows`` (no colours, safe to pipe). Texts longer than
    ``max_width`` are cut with "…", except in the identifier columns (:data:`ID_COLUMNS`)."""
    if not rows:
        return "(none)"
    columns = columns or list(rows[0])

    def fmt(v, cut: bool = True):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "—"
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, float):
            return f"{v:.3f}"
        s = str(v).replace("\n", " ")
        return s if not cut or len(s) <= max_width else s[: max_width - 1] + "…"
    cells = [[fmt(r.get(c), c not in ID_COLUMNS) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    num = [all(_isnum(r.get(c)) for r in rows) for c in columns]
    line = lambda vals: "  ".join(v.rjust(w) if n else v.ljust(w)
                                  for v, w, n in zip(vals, widths, num)).rstrip()
    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _isnum(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
