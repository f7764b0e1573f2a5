"""A project's data as tidy pandas DataFrames: codings, attributes, done marks and the status
table of ``workbench status``. Each builder takes an open :class:`~workbench.project.Project`
and reads only through it."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .coding import Coding

if TYPE_CHECKING:
    from .project import Project

CODING_COLUMNS = ["id", "coder", "transcript", "code", "start", "end", "quote", "segment",
                  "status", "source", "memo", "at", "original_code"]


def codings_table(codings: list[Coding]) -> pd.DataFrame:
    """One row per coding, the :data:`CODING_COLUMNS` (``segment`` as nullable Int64)."""
    cols = {name: [getattr(c, name) for c in codings] for name in CODING_COLUMNS}
    df = pd.DataFrame(cols, columns=CODING_COLUMNS)
    df["segment"] = df["segment"].astype("Int64")
    if not len(df):
        df["start"] = df["start"].astype("int64")
        df["end"] = df["end"].astype("int64")
    return df


def codings_frame(project: Project, coders: list[str] | None = None) -> pd.DataFrame:
    """The current codings (:meth:`Project.codings`) of ``coders`` (default: every coder with a
    log), one row each, in coder order then transcript and position."""
    out: list[Coding] = []
    for coder in coders or project.coders():
        out.extend(project.codings(coder))
    return codings_table(out)


def attributes_frame(project: Project) -> pd.DataFrame:
    """One row per transcript: column ``transcript`` and one column per attribute (an attribute
    itself called ``transcript`` becomes ``transcript (attribute)``)."""
    cat = project.catalog()
    rows = [{("transcript (attribute)" if k == "transcript" else k): v
             for k, v in info.attributes.items()} for info in cat.values()]
    if not rows:
        return pd.DataFrame(columns=["transcript"])
    df = pd.DataFrame(rows).fillna("")
    df.insert(0, "transcript", list(cat))
    return df


def done_frame(project: Project, coders: list[str] | None = None) -> pd.DataFrame:
    """Per coder and transcript: whether the coder marked it done."""
    rows: list[dict] = []
    for coder in coders or project.coders():
        done = project.state(coder).done
        rows.extend({"coder": coder, "transcript": tid, "done": tid in done}
                    for tid in project.transcript_ids())
    return pd.DataFrame(rows, columns=["coder", "transcript", "done"])


def status_frame(project: Project) -> pd.DataFrame:
    """Per coder and transcript: number of codings, coded interviewee turns (``segments_coded``:
    the turns a coding overlaps, interviewer questions not counted — as in the counts), done,
    problems."""
    from .coding import UNPLACED
    cat = project.catalog()
    rows = []
    for coder in project.coders():
        st = project.state(coder)
        by_t: dict[str, list[Coding]] = {}
        for c in project.codings(coder):
            by_t.setdefault(c.transcript, []).append(c)
        for tid in sorted(set(project.transcript_ids()) | set(by_t)):
            cs = by_t.get(tid, [])
            problems: dict[str, int] = {}
            for c in cs:
                if c.status != "ok":
                    problems[c.status] = problems.get(c.status, 0) + 1
            info = cat.get(tid)
            turns = {i for c in cs if info is not None and c.status not in UNPLACED
                     for i in info.segments_overlapping(c.start, c.end) if info.roles[i] == "E"}
            rows.append({"coder": coder, "transcript": tid, "codings": len(cs),
                         "segments_coded": len(turns),
                         "done": tid in st.done,
                         "problems": ", ".join(f"{n} {k}" for k, n in sorted(problems.items()))})
    return pd.DataFrame(rows, columns=["coder", "transcript", "codings", "segments_coded",
                                       "done", "problems"])
