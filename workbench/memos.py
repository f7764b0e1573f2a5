"""Memos as a table: every memo of a project's coders, what it is on, and the quote it is on.

A memo event in a coder's log (docs/FORMATS.md) is on one of four things, its ``kind``:

* ``code`` — an analytic memo about a theme (the event's ``code``; no transcript);
* ``coding`` — one coded passage (the event's ``target``, a coding id); the latest memo on a
  coding is that coding's memo, earlier ones are ``current = False`` (history);
* ``segment`` — a speaker turn or a span of text (``start``/``end``);
* ``transcript`` — a whole interview (only ``transcript``).

:func:`memos_frame` lists them as one tidy DataFrame (columns :data:`MEMO_COLUMNS`); the CLI's
``workbench memos``, the ``memos`` table of every export, the report and the terminal app's memo
browser all read it. ``turn`` counts speaker turns from 1, as the app shows them.

Reconciling writes ``"consensus: no code"`` memo events into the consensus log to record a unit
settled with no code; they are bookkeeping, not notes a person wrote, and are left out.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .coding import Memo
from .config import CONSENSUS
from .errors import UsageError
from .project import Project

KINDS = ("code", "transcript", "segment", "coding")
MEMO_COLUMNS = ["coder", "id", "kind", "transcript", "turn", "code", "code_name", "text", "at",
                "quote", "target", "start", "end", "current", "status"]
RECONCILE_NO_CODE = "consensus: no code"   # written by agreement.reconcile, not a person


def kind_of(m: Memo) -> str:
    """``code``, ``coding``, ``segment`` or ``transcript``."""
    if getattr(m, "code", None) is not None and not m.transcript:
        return "code"
    if m.target:
        return "coding"
    if m.start is not None:
        return "segment"
    return "transcript"


def is_bookkeeping(coder: str, m: Memo) -> bool:
    """A reconcile record (a unit settled with no code), not a memo a person wrote."""
    return coder == CONSENSUS and m.text == RECONCILE_NO_CODE and not m.target


@dataclass
class _Place:
    transcript: str | None
    turn: int | None
    code: str | None
    quote: str | None
    start: int | None
    end: int | None
    status: str


class _Context:
    """What a coder's memos are on: the codings they target and the transcripts' texts, read
    once per transcript."""

    def __init__(self, project: Project, coder: str, codings: dict | None = None):
        self.project = project
        self.coder = coder
        self.catalog = project.catalog()
        self._codings = codings          # id -> Coding (the live session's), else read per tid
        self._by_tid: dict[str, dict] = {}
        self._texts: dict[str, str] = {}

    def coding(self, tid: str | None, cid: str):
        if self._codings is not None:
            return self._codings.get(cid)
        if tid is None or tid not in self.catalog:
            return None
        if tid not in self._by_tid:
            self._by_tid[tid] = {c.id: c for c in self.project.codings(self.coder, tid)}
        return self._by_tid[tid].get(cid)

    def text(self, tid: str) -> str:
        if tid not in self._texts:
            self._texts[tid] = self.project.text(tid)
        return self._texts[tid]

    def turn(self, tid: str, offset: int | None) -> int | None:
        info = self.catalog.get(tid)
        if info is None or offset is None:
            return None
        seg = info.segment_of(int(offset))
        return None if seg is None else seg + 1

    def place(self, m: Memo, kind: str) -> _Place:
        cb = self.project.codebook
        tid = m.transcript
        if kind == "code":
            code = cb.resolve(m.code or "")
            return _Place(None, None, code, None, None, None,
                          "ok" if code in cb.codes else "unknown_code")
        if tid is None or tid not in self.catalog:
            return _Place(tid, None, None, None, m.start, m.end, "orphan")
        if kind == "coding":
            c = self.coding(tid, m.target or "")
            if c is None:
                return _Place(tid, None, None, None, None, None, "coding_removed")
            code = cb.resolve(c.code)
            quote = c.quote if c.quote is not None else self.text(tid)[c.start:c.end]
            seg = c.segment
            turn = seg + 1 if seg is not None else self.turn(tid, c.start)
            return _Place(tid, turn, code, quote, c.start, c.end,
                          "ok" if code in cb.codes else "unknown_code")
        if kind == "segment" and m.start is not None:
            # placed by Project.memos: ok/moved stand on today's text; a memo that needs review
            # shows the passage it was written on (when recorded) at its old offsets
            start, end = m.start, (m.end if m.end is not None else m.start)
            text = self.text(tid)
            if m.status == "out_of_range" or not 0 <= start <= end <= len(text):
                return _Place(tid, None, None, m.quote, start, end, "out_of_range")
            # (an older memo recorded no quote: the words it was written on are not known)
            quote = text[start:end] if m.placed else m.quote
            return _Place(tid, self.turn(tid, start), None, quote, start, end, m.status)
        return _Place(tid, None, None, None, None, None, "ok")


def memo_rows(project: Project, coder: str, memos: list[Memo], *, codings: dict | None = None,
              history: bool = False) -> list[dict]:
    """The rows of :func:`memos_frame` for one coder's ``memos`` (in log order).

    ``codings`` (coding id -> Coding with its code resolved and current offsets) lets a caller
    holding the coder's live codings (the terminal app's session) pass them; by default they
    are read from the project. Without ``history`` only current memos are kept: a coding's
    latest memo (none when the latest is empty), and every other non-empty memo."""
    latest: dict[str, int] = {}
    for i, m in enumerate(memos):
        if m.target:
            latest[m.target] = i
    ctx = _Context(project, coder, codings)
    cb = project.codebook
    rows = []
    for i, m in enumerate(memos):
        if is_bookkeeping(coder, m):
            continue
        current = latest.get(m.target) == i if m.target else True
        if not (m.text or "").strip():
            current = False
        if not history and not current:
            continue
        kind = kind_of(m)
        p = ctx.place(m, kind)
        rows.append({"coder": coder, "id": m.id, "kind": kind, "transcript": p.transcript,
                     "turn": p.turn, "code": p.code,
                     "code_name": cb.codes[p.code].name if p.code in cb.codes else None,
                     "text": m.text, "at": m.at, "quote": p.quote, "target": m.target,
                     "start": p.start, "end": p.end, "current": current, "status": p.status})
    return rows


def _frame(rows: list[dict], codebook) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=MEMO_COLUMNS)
    for c in ("turn", "start", "end"):
        df[c] = df[c].astype("Int64")
    df["current"] = df["current"].astype(bool)
    if len(df):
        order = {c: i for i, c in enumerate(codebook.codes)}
        df = (df.assign(_t=df["transcript"].fillna(""),
                        _c=df["code"].map(lambda c: order.get(c, len(order))),
                        _s=df["start"].fillna(-1), _a=df["at"].fillna(""))
                .sort_values(["_t", "_s", "_c", "coder", "_a"], kind="stable")
                .drop(columns=["_t", "_c", "_s", "_a"]).reset_index(drop=True))
    return df


def memos_frame(project: Project, coders: list[str] | str | None = None, *,
                code: str | None = None, transcript: str | None = None,
                history: bool = False) -> pd.DataFrame:
    """Every memo of ``coders`` (default: every coder with a log, consensus included) as one
    DataFrame, columns :data:`MEMO_COLUMNS`:

    ``coder``, ``id`` (the memo event's id), ``kind`` (:data:`KINDS`), ``transcript``,
    ``turn`` (the speaker turn the memo's passage starts in, from 1), ``code`` (of the code memo
    or of the coding the memo is on, after merges) and ``code_name``, ``text``, ``at``,
    ``quote`` (the coded passage or the segment's text), ``target`` (coding id), ``start``,
    ``end``, ``current`` (False: an earlier memo on a coding, replaced by a later one; only with
    ``history``), ``status`` (``ok``; ``coding_removed`` — the coding was undone; ``orphan`` —
    the transcript is gone; ``unknown_code``; ``out_of_range``; for a memo on a span, as for a
    coding: ``moved`` — found again with its quote and context after the transcript was edited,
    ``needs_review`` — not found with certainty: its ``quote`` is the passage it was written on
    (None when it recorded none), its offsets a best guess or its old ones).

    ``code`` keeps memos whose code is one of these ids or prefixes (``value.``; a code memo
    or a memo on a coding), ``transcript`` those on that transcript. Sorted: code memos first,
    then by transcript and place."""
    known = project.coders()
    if coders is None:
        coders = known
    elif isinstance(coders, str):
        coders = [c.strip() for c in coders.split(",") if c.strip()]
    for c in coders:
        if c not in known:
            raise UsageError(f"no coding log for coder '{c}'",
                             hint=f"coders with a log: {', '.join(known) or 'none'}")
    rows = []
    for c in coders:
        rows.extend(memo_rows(project, c, project.memos(c), history=history))
    return filter_memos(_frame(rows, project.codebook), project, code=code,
                        transcript=transcript)


def frame_from_rows(rows: list[dict], codebook) -> pd.DataFrame:
    """:func:`memo_rows` of several coders as one sorted DataFrame."""
    return _frame(rows, codebook)


def filter_memos(df: pd.DataFrame, project: Project, *, code: str | None = None,
                 transcript: str | None = None, coder: str | None = None) -> pd.DataFrame:
    """``df`` restricted to codes (ids or prefixes, comma-separated), a transcript, a coder."""
    if code:
        from .rollup import select_codes
        wanted = set(select_codes(project.codebook, code))
        df = df[df["code"].isin(wanted)]
    if transcript:
        if transcript not in project.catalog() and transcript not in set(df["transcript"]):
            raise UsageError(f"no transcript '{transcript}'",
                             hint="see 'workbench status' for the transcript ids")
        df = df[df["transcript"] == transcript]
    if coder:
        df = df[df["coder"] == coder]
    return df.reset_index(drop=True)


def code_memos(df: pd.DataFrame, code: str) -> pd.DataFrame:
    """The memos on the code ``code`` itself (kind ``code``) in ``df``."""
    return df[(df["kind"] == "code") & (df["code"] == code)]


def to_records(df: pd.DataFrame) -> list[dict]:
    """The rows as JSON-ready dicts (missing values as None): ``workbench memos --json``."""
    out = []
    for r in df.to_dict(orient="records"):
        out.append({k: (None if v is None or (not isinstance(v, (list, dict, str, bool))
                                              and pd.isna(v)) else
                        (int(v) if k in ("turn", "start", "end") else v))
                    for k, v in r.items()})
    return out


class MemoIndex:
    """One coder's current memos by what they are on, to find the memos of many passages
    (retrieval shows each quote's memos beside it)."""

    def __init__(self, memos: list[Memo]):
        self.on_coding: dict[str, Memo] = {}
        self.by_transcript: dict[str, list[Memo]] = {}
        for m in memos:
            if m.target:
                self.on_coding[m.target] = m       # the latest memo on a coding is its memo
            elif m.on_span and m.placed:    # one that needs review is beside no passage
                self.by_transcript.setdefault(m.transcript or "", []).append(m)
        self.on_coding = {k: m for k, m in self.on_coding.items() if (m.text or "").strip()}

    def on(self, tid: str, start: int, end: int, coding_id: str | None = None) -> list[Memo]:
        """The coding's memo, then the segment and span memos overlapping ``[start, end)``."""
        out = [self.on_coding[coding_id]] if coding_id in self.on_coding else []
        for m in self.by_transcript.get(tid, ()):
            if m.start is None:
                continue
            m_start, m_end = m.extent
            if m_start < end and m_end > start and (m.text or "").strip():
                out.append(m)
        return out


def add_code_memo(session, text: str, code: str) -> Memo:
    """Write a memo on ``code`` through the coder's session (log first, then memory)."""
    return session.memo(text, None, code=code)
