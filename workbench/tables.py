"""The tables of an export beside the counts: interview × code matrices (presence, segments,
codings), code co-occurrence, the quotes behind each count, and the codebook as a table. Each
takes the :class:`~workbench.counts.CodedData` that the counts were computed from, so every
table of an export describes the same codings and scope.

Interview attributes are named by the transcripts (front matter, ``attributes.csv``), so any
name may come: an attribute whose name another column of the table already has (``source``,
``code``, a code id, ``transcript``) becomes the column ``<name> (attribute)``
(:func:`attribute_columns`); the table's ``attrs["attribute_columns"]`` maps each attribute to
its column."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .counts import CodedData, rolled_units
from .rollup import distinct, select_codes

_TIMESTAMP = re.compile(r"[\[(]\d{1,2}:\d{2}")


# ---- matrices ----------------------------------------------------------------------------------
def presence(data: CodedData, codes: str | list[str] | None = None,
             value: str = "presence") -> pd.DataFrame:
    """Interview × code matrix: one row per transcript in scope, one column per code (rolled
    up). ``value="presence"`` gives 0/1, ``"segments"`` the number of counted segments,
    ``"codings"`` the number of coded passages."""
    if value not in ("presence", "segments", "codings"):
        raise ValueError(f"value must be presence, segments or codings, not {value!r}")
    selected = select_codes(data.codebook, codes)
    r = rolled_units(data, selected)
    idx = pd.Index(data.transcripts, name="transcript")
    m = np.zeros((len(data.transcripts), len(selected)), dtype=np.int64)
    if value == "presence":
        tg, tt = r.unique_interviews()
        m[tt, tg] = 1
    elif value == "segments":
        tg, tt, _ = r.unique_segments()
        np.add.at(m, (tt, tg), 1)
    else:
        tg, crow = r.unique_codings(data.n_codings)
        coding_t = np.zeros(max(data.n_codings, 1), dtype=np.int64)
        coding_t[data.u_coding] = data.u_transcript
        np.add.at(m, (coding_t[crow], tg), 1)
    return pd.DataFrame(m, index=idx, columns=list(selected))


ATTRIBUTE_SUFFIX = " (attribute)"


def attribute_columns(names, taken) -> dict[str, str]:
    """attribute → its column name: the name itself, or ``"<name> (attribute)"`` (then with a
    number) where another column of the table has it (compared case-insensitively)."""
    used = {str(t).casefold() for t in taken}
    out: dict[str, str] = {}
    for a in names:
        col, n = str(a), 2
        if col.casefold() in used:
            col = f"{a}{ATTRIBUTE_SUFFIX}"
            while col.casefold() in used:
                col, n = f"{a}{ATTRIBUTE_SUFFIX[:-1]} {n})", n + 1
        used.add(col.casefold())
        out[a] = col
    return out


def with_attributes(data: CodedData, matrix: pd.DataFrame) -> pd.DataFrame:
    """``matrix`` (indexed by transcript) with the interview attributes as leading columns."""
    cols = attribute_columns(data.attributes.columns, ["transcript", *matrix.columns])
    attrs = data.attributes.reindex(matrix.index).fillna("").rename(columns=cols)
    out = pd.concat([attrs, matrix], axis=1)
    out.index.name = "transcript"
    out = out.reset_index()
    out.attrs["attribute_columns"] = cols
    return out


def cooccurrence(data: CodedData, codes: str | list[str] | None = None,
                 unit: str = "interviews") -> pd.DataFrame:
    """Code × code: the number of interviews (``unit="interviews"``) or counted segments
    (``"segments"``) in which both codes occur (codes rolled up: a parent occurs wherever a
    descendant does). The diagonal is the code's own count."""
    if unit not in ("interviews", "segments"):
        raise ValueError(f"unit must be interviews or segments, not {unit!r}")
    selected = select_codes(data.codebook, codes)
    r = rolled_units(data, selected)
    if unit == "segments":
        tg, tt, sg = r.unique_segments()
        width = int(sg.max()) + 1 if len(sg) else 1
        ukey = tt * width + sg
        unit_id = np.searchsorted(distinct(ukey), ukey)
    else:
        tg, unit_id = r.unique_interviews()
    n_units = int(unit_id.max()) + 1 if len(unit_id) else 0
    x = np.zeros((n_units, len(selected)), dtype=np.float64)
    x[unit_id, tg] = 1.0
    co = np.rint(x.T @ x).astype(np.int64)      # float matmul (BLAS); exact for counts
    return pd.DataFrame(co, index=pd.Index(selected, name="code"), columns=list(selected))


def cooccurrence_long(data: CodedData, codes=None) -> pd.DataFrame:
    """Tidy co-occurrences: one row per pair of different codes that occur together at least
    once (code_a before code_b in tree order), with ``interviews`` and ``segments``."""
    ci = cooccurrence(data, codes, "interviews")
    cs = cooccurrence(data, codes, "segments")
    cb = data.codebook
    sel = list(ci.index)
    rows = []
    for i, a in enumerate(sel):
        for b in sel[i + 1:]:
            if ci.at[a, b] or cs.at[a, b]:
                rows.append({"code_a": a, "name_a": cb.codes[a].name, "code_b": b,
                             "name_b": cb.codes[b].name, "interviews": int(ci.at[a, b]),
                             "segments": int(cs.at[a, b])})
    return pd.DataFrame(rows, columns=["code_a", "name_a", "code_b", "name_b", "interviews",
                                       "segments"])


# ---- quotes ------------------------------------------------------------------------------------
QUOTE_COLUMNS = ["code", "name", "transcript", "speaker", "timestamp", "turn", "start", "end",
                 "text", "coder", "memo", "status", "source"]


def quotes(data: CodedData, codes: str | list[str] | None = None) -> pd.DataFrame:
    """The counted coded passages with their text, for writing up: code, name, transcript,
    the interview attributes, speaker, timestamp and turn (counted from 1, as the app shows it)
    of the passage's first counted turn, the passage text, coder, memo, status, source. Ordered
    by code (tree order), transcript, place."""
    cb = data.codebook
    selected = select_codes(cb, codes)
    order = {c: i for i, c in enumerate(selected)}
    df = data.codings[data.codings["code"].isin(order)]
    attr_cols = list(data.attributes.columns)
    attrs = data.attributes.to_dict(orient="index")
    catalog = data.project.catalog()
    project = data.project
    cols = ["code", "transcript", "segment", "start", "end", "coder", "memo", "status", "source"]
    records = list(zip(*(df[c].tolist() for c in cols)))
    records.sort(key=lambda r: (r[1], r[3]))
    rows = []
    tid, text, stamps = None, "", None
    for code, t_id, seg, start, end, coder, memo, status, source in records:
        if t_id != tid:
            tid, text = t_id, project.text(t_id)
            # only a transcript that shows a time stamp is segmented again to read them
            stamps = ([s.timestamp for s in project.transcript(tid).segments]
                      if ("[" in text or "(" in text) and _TIMESTAMP.search(text) else None)
            info, a = catalog[tid], attrs.get(tid, {})
        i = -1 if seg is None or pd.isna(seg) else int(seg)
        ok = 0 <= i < info.n_segments
        rows.append((code, cb.codes[code].name, tid, *(a.get(k, "") for k in attr_cols),
                     info.speakers[i] if ok else None,
                     stamps[i] if ok and stamps and i < len(stamps) else None,
                     i + 1 if ok else None, int(start), int(end), text[int(start):int(end)],
                     coder, memo, status, source))
    named = attribute_columns(attr_cols, QUOTE_COLUMNS)
    out = pd.DataFrame(rows, columns=["code", "name", "transcript",
                                      *(named[a] for a in attr_cols)] + QUOTE_COLUMNS[3:])
    if len(out):
        out = out.sort_values(["code", "transcript", "start"],
                              key=lambda s: s.map(order) if s.name == "code" else s,
                              kind="stable").reset_index(drop=True)
    out["turn"] = out["turn"].astype("Int64")
    out.attrs["attribute_columns"] = named
    return out


def codebook_frame(codebook) -> pd.DataFrame:
    """The codebook as a table: id, name, parent, depth, definition, include, exclude, examples,
    keywords, key (lists joined with line breaks)."""
    rows = [{"id": c.id, "name": c.name, "parent": c.parent, "depth": codebook.depth(c.id),
             "definition": c.definition, "include": c.include, "exclude": c.exclude,
             "examples": "\n".join(c.examples), "keywords": "; ".join(c.keywords),
             "key": c.key} for c in codebook.codes.values()]
    return pd.DataFrame(rows, columns=["id", "name", "parent", "depth", "definition", "include",
                                       "exclude", "examples", "keywords", "key"])
