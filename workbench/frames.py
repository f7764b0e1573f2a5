"""A project's data as tidy pandas DataFrames: codings, attributes, done marks and the status
table of ``workbench status``. Each builder takes an open :class:`~workbench.project.Project`
and reads only through it. pandas is imported by the builders, not by this module: a command
that needs no table (``status`` prints :func:`status_rows`) does not pay for importing it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .coding import Coding

if TYPE_CHECKING:
    import pandas as pd

    from .project import Project

CODING_COLUMNS = ["id", "coder", "transcript", "code", "start", "end", "quote", "segment",
                  "status", "source", "memo", "at", "original_code"]
STATUS_COLUMNS = ["coder", "transcript", "codings", "segments_coded", "done", "problems"]


def codings_table(codings: list[Coding]) -> pd.DataFrame:
    """One row per coding, the :data:`CODING_COLUMNS` (``segment`` as nullable Int64)."""
    import pandas as pd
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
    import pandas as pd
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
    import pandas as pd
    rows: list[dict] = []
    for coder in coders or project.coders():
        done = project.state(coder).done
        rows.extend({"coder": coder, "transcript": tid, "done": tid in done}
                    for tid in project.transcript_ids())
    return pd.DataFrame(rows, columns=["coder", "transcript", "done"])


def status_rows(project: Project) -> list[dict]:
    """Per coder and transcript: codings, coded interviewee turns, done, problems (the rows of
    :func:`status_frame` as plain dicts; :func:`workbench.status.status_rows`)."""
    from .status import status_rows as rows
    return rows(project)


def status_frame(project: Project) -> pd.DataFrame:
    """Per coder and transcript: number of codings, coded interviewee turns, done, problems
    (see :func:`status_rows`)."""
    import pandas as pd
    return pd.DataFrame(status_rows(project), columns=STATUS_COLUMNS)
