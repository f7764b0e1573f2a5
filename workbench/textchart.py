"""Figure 1 for the terminal: horizontal bars of block characters (eighth-block precision) from
a counts table, for the CLI's ``counts --chart`` and the app's counts view."""
from __future__ import annotations

import pandas as pd

_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar_rows(df: pd.DataFrame, width: int = 40, *, sort: bool = True, value: str = "interviews",
             label: str = "name", skip: list[str] | tuple = ()) -> pd.DataFrame:
    """Rows of a horizontal bar chart for the terminal, from a :func:`counts` frame (one group).

    Returns a DataFrame with ``code``, ``label``, ``value``, ``percent``, ``n_transcripts``,
    ``bar`` (a string of block characters, at most ``width`` cells, scaled to the largest value,
    eighth-block precision) and ``text`` (``"15 (30.0%)"``). Sorted by value, largest first
    (ties in codebook order) unless ``sort=False``. Codes in ``skip`` are left out.
    """
    d = df[~df["code"].isin(skip)]
    if sort:
        d = d.assign(_o=range(len(d))).sort_values([value, "_o"], ascending=[False, True],
                                                   kind="stable").drop(columns="_o")
    top = max(int(d[value].max()), 1) if len(d) else 1
    width = max(int(width), 1)
    rows = []
    for r in d.itertuples(index=False):
        v = int(getattr(r, value))
        eighths = round(v / top * width * 8)
        bar = "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")
        if v > 0 and not bar:
            bar = "▏"
        pct = getattr(r, "percent", None)
        text = f"{v}" + (f" ({pct:.1f}%)" if pct is not None and not pd.isna(pct) else "")
        rows.append({"code": r.code, "label": getattr(r, label), "value": v,
                     "percent": pct, "n_transcripts": int(r.n_transcripts), "bar": bar,
                     "text": text})
    return pd.DataFrame(rows, columns=["code", "label", "value", "percent", "n_transcripts",
                                       "bar", "text"])


def bar_lines(df: pd.DataFrame, width: int = 80, **kw) -> list[str]:
    """The bar chart as plain text lines fitting in ``width`` columns:
    ``label  ██████▍ 15 (30.0%)``."""
    if not len(df):
        return ["(no codes)"]
    label_w = min(max(len(str(x)) for x in df[kw.get("label", "name")]), max(width // 3, 8))
    probe = bar_rows(df, 1, **kw)
    text_w = max(len(t) for t in probe["text"]) if len(probe) else 0
    bar_w = max(width - label_w - text_w - 4, 1)
    out = []
    for r in bar_rows(df, bar_w, **kw).itertuples(index=False):
        lab = str(r.label)
        lab = lab if len(lab) <= label_w else lab[: label_w - 1] + "…"
        out.append(f"{lab.ljust(label_w)}  {r.bar} {r.text}".rstrip())
    return out
