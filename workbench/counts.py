"""Opinion counts: how many interviewees voiced each theme.

The study's Figure 1 and sentences like "fifteen cluster managers said …" count
**interviews** in which a code was applied, not coded passages. This module turns one coder's
codings into those numbers, and into the tables the exporter writes.

Rules (documented for users in docs/COUNTS.md):

* **Coder.** One coder's codings are counted: ``consensus`` when ``codings/consensus.jsonl``
  exists and covers every transcript its coders finished, else the only coder, else the caller
  must choose (:func:`choose_coder`; the rule is :func:`workbench.coders.coders_for`'s).
  ``CodedData.who`` names it ("consensus of anna, boris", or the coder).
* **Scope.** Only transcripts the coder marked done are counted, and they form the denominator;
  ``include_unfinished=True`` takes every transcript of the project.
* **Speaker.** By default a coding counts when it overlaps at least one interviewee turn
  (``speaker="interviewee"``); ``"interviewer"`` counts codings on interviewer turns, ``"all"``
  every coding. Only the turns of the chosen role are counted as its segments.
* **Problems.** Codings whose transcript is gone (``orphan``), whose code is not in the
  codebook (``unknown_code``) or whose offsets are outside the text (``out_of_range``) are left
  out and reported; ``needs_review`` codings are counted at their recorded offsets and reported.
* **Roll-up.** A code's counts include its descendants: a parent counts an interview once
  however many of its children occur there.

Everything returns tidy pandas DataFrames; no I/O beyond reading the project, no UI imports.

    >>> data = load(project, "anna")                  # scope + counted codings, computed once
    >>> counts(data, codes="value.")                  # one row per code
    >>> counts(data, codes="value.", by="region")     # one row per region × code
    >>> opinion_counts(project, coder="anna", codes="value.").to_json()   # CLI's --json object
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arrays import coding_arrays, data_signature
from .coders import consensus_coverage, count_coder
from .config import CONSENSUS
from .errors import UsageError
from .project import UNPLACED, Project
from .rollup import RolledUnits, relative_depth, select_codes

SPEAKERS = ("interviewee", "interviewer", "all")
LEFT_OUT = UNPLACED   # codings with no place in their transcript are never counted
MISSING_GROUP = "(none)"
COUNT_COLUMNS = ["group", "code", "name", "depth", "interviews", "percent", "segments",
                 "codings", "n_transcripts"]
_ROLE_CHAR = {"interviewee": "E", "interviewer": "I"}


# ---- coder and scope ---------------------------------------------------------------------------
def choose_coder(project: Project, coder: str | None = None, consensus: bool = False) -> str:
    """The coder whose codings are counted (decided by :func:`workbench.coders.coders_for`)."""
    return count_coder(project, coder, consensus)


def _check_speaker(speaker: str) -> str:
    if speaker not in SPEAKERS:
        raise UsageError(f"unknown speaker role '{speaker}'",
                         hint=f"use one of: {', '.join(SPEAKERS)}")
    return speaker


class _Deferred:
    """A field value computed on first use (see :class:`_LazyField`)."""

    def __init__(self, build):
        self.build = build


class _LazyField:
    """A dataclass field that may be given as :class:`_Deferred`: the DataFrames of the counted
    codings are built only when something reads them (``workbench counts`` needs only the
    integer arrays). The field has no default (``__get__`` on the class raises)."""

    def __set_name__(self, owner, name):
        self.slot = f"_{name}"

    def __get__(self, obj, owner=None):
        if obj is None:
            raise AttributeError(self.slot)
        value = obj.__dict__[self.slot]
        if isinstance(value, _Deferred):
            value = obj.__dict__[self.slot] = value.build()
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = value


@dataclass
class CodedData:
    """One coder's counted codings and the transcripts in scope, computed once by :func:`load`
    and shared by the counts, matrices, co-occurrences and quote tables."""

    project: Project
    coder: str
    speaker: str
    include_unfinished: bool
    transcripts: list[str]          # in scope: the denominator
    unfinished: list[str]           # not marked done, left out (empty with include_unfinished)
    unfinished_coded: list[str]     # … of which the coder has codings in
    attributes: pd.DataFrame        # index: transcript (in scope); one column per attribute
    codings: pd.DataFrame = _LazyField()   # one row per counted coding
    units: pd.DataFrame = _LazyField()     # one row per (counted coding, counted segment)
    excluded: dict[str, int] = field(default_factory=dict)   # reason → number of codings
    warnings: list[str] = field(default_factory=list)
    # the units as integer arrays (what the counting uses): coding row in ``codings``,
    # transcript position in ``transcripts``, code position in ``code_list``, segment (-1: none)
    code_list: list[str] = field(default_factory=list, repr=False)
    u_coding: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    u_transcript: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    u_code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    u_segment: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    who: str = ""       # whose codings, in words: "consensus of anna, boris", or the coder

    @property
    def n_transcripts(self) -> int:
        return len(self.transcripts)

    def scope_text(self) -> str:
        """The scope in words: ``9 of 10 transcripts marked done``."""
        n_all = len(self.project.catalog())
        if self.include_unfinished:
            return f"all {n_all} transcripts, unfinished ones included"
        return f"{self.n_transcripts} of {n_all} transcripts marked done"

    @property
    def n_codings(self) -> int:
        """The number of counted codings (rows of ``codings``; each has at least one unit)."""
        return int(self.u_coding[-1]) + 1 if len(self.u_coding) else 0

    @property
    def codebook(self):
        return self.project.codebook

    @property
    def attribute_names(self) -> list[str]:
        return list(self.attributes.columns)


CODING_COLUMNS = ["id", "coder", "transcript", "code", "original_code", "start", "end", "quote",
                  "segment", "segments", "status", "source", "memo", "at"]


_MEMO: weakref.WeakKeyDictionary[Project, dict] = weakref.WeakKeyDictionary()


_signature = data_signature   # what the remembered CodedData depends on


def load(project: Project, coder: str | None = None, *, consensus: bool = False,
         speaker: str = "interviewee", include_unfinished: bool = False,
         cache: bool = True) -> CodedData:
    """Read ``coder``'s codings (see :func:`choose_coder`) and keep the ones that count.

    The result is remembered per project, coder and options until the coder's log, the
    catalog or the codebook changes (``cache=False`` recomputes), so that a screen can ask
    again cheaply. Treat the returned object as read-only."""
    coder = choose_coder(project, coder, consensus)
    _check_speaker(speaker)
    key = (coder, speaker, include_unfinished)
    sig = _signature(project, coder)
    memo = _MEMO.setdefault(project, {})
    if cache and key in memo and memo[key][0] == sig:
        return memo[key][1]
    data = _load(project, coder, speaker, include_unfinished)
    memo[key] = (sig, data)
    return data


def _load(project: Project, coder: str, speaker: str, include_unfinished: bool) -> CodedData:
    catalog = project.catalog()
    state = project.state(coder)
    warnings = list(state.warnings)
    all_tids = list(catalog)
    cc = coding_arrays(project, coder)
    if include_unfinished:
        scope, unfinished = all_tids, []
    else:
        scope = [t for t in all_tids if t in state.done]
        unfinished = [t for t in all_tids if t not in state.done]
    coded_tids = set(cc.tids)
    unfinished_coded = [t for t in unfinished if t in coded_tids]

    # left out: codings with problems (whatever their transcript), then those out of scope
    status = cc.status
    first: dict[str, int] = {}          # reason → first coding: the order reasons were met
    excluded: dict[str, int] = {}
    left = np.zeros(len(cc), dtype=bool)
    for reason in LEFT_OUT:
        m = status == reason
        if m.any():
            excluded[reason] = int(m.sum())
            first[reason] = int(m.argmax())
            left |= m
    t_pos = {t: i for i, t in enumerate(scope)}
    ti_of = np.asarray([t_pos.get(t, -1) for t in cc.tids], dtype=np.int64)
    ti_all = ti_of[cc.transcript] if len(cc) else np.zeros(0, np.int64)
    cand = np.flatnonzero(~left & (ti_all >= 0))

    # the segments each coding overlaps, of the counted role
    sa = project.segment_arrays()
    cat_of = sa.positions(cc.tids)
    cat_pos = cat_of[cc.transcript[cand]] if len(cand) else np.zeros(0, np.int64)
    q, segs = sa.overlapping(cat_pos, cc.start[cand], cc.end[cand])
    role_char = _ROLE_CHAR.get(speaker)
    if role_char is not None:
        keep = sa.roles[sa.offsets[cat_pos[q]] + segs] == role_char.encode()
        q, segs = q[keep], segs[keep]
        has = np.bincount(q, minlength=len(cand)) > 0
        if not has.all():
            key = f"not_{speaker}"
            excluded[key] = int((~has).sum())
            first[key] = int(cand[~has][0])
        q = (np.cumsum(has) - 1)[q]
        counted = cand[has]
    else:
        counted = cand
    excluded = {k: excluded[k] for k in sorted(excluded, key=first.__getitem__)}
    needs_review = int((status[counted] == "needs_review").sum())

    n = len(counted)
    n_segs = np.bincount(q, minlength=n)
    seg_first = np.cumsum(n_segs) - n_segs          # each coding's first pair in (q, segs)
    segment = cc.segment[counted].copy()
    with_segs = n_segs > 0
    segment[with_segs] = segs[seg_first[with_segs]]
    code_list = list(project.codebook.codes)
    code_pos = {c: i for i, c in enumerate(code_list)}
    codes = cc.code[counted]

    # the units: one per (counted coding, counted segment), or (coding, -1) without a segment
    per = np.maximum(n_segs, 1)
    u_coding = np.repeat(np.arange(n, dtype=np.int64), per)
    u_seg = np.full(len(u_coding), -1, dtype=np.int64)
    u_first = np.cumsum(per) - per
    u_seg[u_first[q] + (np.arange(len(q), dtype=np.int64) - seg_first[q])] = segs
    u_t = ti_all[counted][u_coding]
    u_code = np.fromiter(map(code_pos.__getitem__, codes.tolist()), dtype=np.int64,
                         count=n)[u_coding]

    def codings_frame() -> pd.DataFrame:
        if not n:
            cdf = pd.DataFrame([], columns=CODING_COLUMNS)
            cdf["segment"] = cdf["segment"].astype("Int64")
            return cdf
        seg_list = segs.tolist()
        segments = [seg_list[a:a + k] for a, k in zip(seg_first.tolist(), n_segs.tolist())]
        cdf = pd.DataFrame({
            "id": _text(cc.id[counted]), "coder": _text(np.full(n, coder, dtype=object)),
            "transcript": _text(np.asarray(cc.tids, dtype=object)[cc.transcript[counted]]),
            "code": _text(codes), "original_code": _text(cc.original_code[counted]),
            "start": cc.start[counted], "end": cc.end[counted],
            "quote": _text(cc.quote[counted]),
            "segment": pd.array(np.where(segment >= 0, segment, 0), dtype="Int64"),
            "segments": pd.Series(_objects(segments), dtype=object),
            "status": _text(status[counted]), "source": _text(cc.source[counted]),
            "memo": _text(cc.memo[counted]), "at": _text(cc.at[counted])},
            columns=CODING_COLUMNS)
        cdf.loc[segment < 0, "segment"] = pd.NA
        return cdf

    def units_frame() -> pd.DataFrame:
        units = pd.DataFrame({
            "coding": cc.id[counted][u_coding] if n else np.zeros(0, object),
            "transcript": pd.Categorical.from_codes(u_t, categories=pd.Index(scope, dtype=object))
            if scope else pd.Categorical([]),
            "code": pd.Categorical.from_codes(u_code,
                                              categories=pd.Index(code_list, dtype=object)),
            "segment": pd.array(np.where(u_seg >= 0, u_seg, 0), dtype="Int64")})
        units.loc[u_seg < 0, "segment"] = pd.NA
        return units

    n_left = sum(v for k, v in excluded.items() if k in LEFT_OUT)
    if n_left:
        detail = ", ".join(f"{v} {k}" for k, v in sorted(excluded.items()) if k in LEFT_OUT)
        warnings.append(f"{n_left} coding(s) of {coder} are left out ({detail}); "
                        "see 'workbench status'")
    other_role = excluded.get(f"not_{speaker}", 0)
    if other_role:
        where = "interviewer" if speaker == "interviewee" else "interviewee"
        warnings.append(f"{other_role} coding(s) lie only in {where} turns and are not counted"
                        + (" (count them with --speaker all)" if speaker != "all" else ""))
    if needs_review:
        warnings.append(f"{needs_review} coding(s) need review (their quote no longer matches "
                        "the transcript) and are counted at their recorded place")
    if unfinished:
        names = _names(unfinished_coded) if unfinished_coded else ""
        msg = (f"{len(unfinished)} transcript(s) not marked done by {coder} are left out of the "
               f"counts and of the denominator")
        if unfinished_coded:
            msg += f"; {len(unfinished_coded)} of them have codings: {names}"
        untouched = [t for t in unfinished if t not in coded_tids]
        if untouched:
            msg += f"; not coded yet: {_names(untouched)}"
        warnings.append(msg + " (count them with --include-unfinished)")
    if not scope:
        warnings.append(f"no transcript is in scope: {coder} has marked none done"
                        if all_tids else "the project has no transcripts")

    who = coder
    if coder == CONSENSUS:
        cov = consensus_coverage(project)
        who = cov.describe()
        if not cov.complete and not include_unfinished:
            warnings.append(f"the {who} covers {len(cov.covered)} of the {len(cov.finished)} "
                            f"transcripts they finished; the others ({_names(cov.missing)}) are "
                            "not reconciled yet and are not counted")

    # indexed by transcript id, apart from the attributes (an attribute may be called anything,
    # "transcript" included)
    attrs = pd.DataFrame([catalog[t].attributes for t in scope],
                         index=pd.Index(scope, name="transcript", dtype=object))
    if attrs.empty:
        attr_names = sorted({k for info in catalog.values() for k in info.attributes})
        attrs = pd.DataFrame(columns=attr_names, index=pd.Index([], name="transcript",
                                                                 dtype=object))
    attrs = attrs.fillna("").astype(str)
    return CodedData(project=project, coder=coder, speaker=speaker,
                     include_unfinished=include_unfinished, transcripts=scope,
                     unfinished=unfinished, unfinished_coded=unfinished_coded,
                     codings=_Deferred(codings_frame), units=_Deferred(units_frame),
                     attributes=attrs, excluded=excluded, warnings=warnings,
                     code_list=code_list, u_coding=u_coding, u_transcript=u_t, u_code=u_code,
                     u_segment=u_seg, who=who)


def _objects(values) -> np.ndarray:
    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a


def _text(a: np.ndarray) -> pd.Series:
    """The column pandas would infer from these values (``str`` for text with missing values),
    built from an object array without inferring element by element in Python."""
    if pd.api.types.infer_dtype(a, skipna=True) == "string":
        return pd.Series(a, dtype="str")
    return pd.Series(a.tolist())


def _names(tids: list[str], limit: int = 20) -> str:
    shown = ", ".join(tids[:limit])
    return shown + (f", … ({len(tids) - limit} more)" if len(tids) > limit else "")


def rolled_units(data: CodedData, selected: list[str]) -> RolledUnits:
    cb = data.codebook
    sel_pos = {c: i for i, c in enumerate(selected)}
    u_code = data.u_code
    order = np.argsort(u_code, kind="stable")
    bounds = np.searchsorted(u_code[order], np.arange(len(data.code_list) + 1))
    parts: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    for ci, cid in enumerate(data.code_list):
        if bounds[ci] == bounds[ci + 1] or cid not in cb.codes:
            continue
        rows = order[bounds[ci]:bounds[ci + 1]]
        for a in (cid, *cb.ancestors(cid)):
            if a in sel_pos:
                parts.append(rows)
                targets.append(np.full(len(rows), sel_pos[a], dtype=np.int64))
    idx = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    tgt = np.concatenate(targets) if targets else np.zeros(0, np.int64)
    return RolledUnits(t=data.u_transcript[idx], seg=data.u_segment[idx],
                   coding=data.u_coding[idx], target=tgt, n_t=max(len(data.transcripts), 1),
                   n_sel=len(selected))


def scope_line(data: CodedData) -> str:
    """``coder: anna · scope: 10 of 10 transcripts (marked done by anna) · speaker: interviewee
    turns``: whose codings and what scope a count describes, as `counts`, the chart, exports and
    the report state it."""
    n_all = len(data.project.catalog())
    if data.include_unfinished:
        scope = f"all {n_all} transcripts"
    else:
        scope = f"{data.n_transcripts} of {n_all} transcripts (marked done by {data.coder})"
    speaker = {"interviewee": "interviewee turns", "interviewer": "interviewer turns",
               "all": "all turns"}[data.speaker]
    return f"coder: {data.who or data.coder} · scope: {scope} · speaker: {speaker}"


def percent(k, n):
    """``100 * k / n`` rounded half-up to one decimal (exact integer arithmetic); None if n=0."""
    k, n = int(k), int(n)
    if n <= 0:
        return None
    return ((2000 * k + n) // (2 * n)) / 10


# ---- counts ------------------------------------------------------------------------------------
def groups_of(data: CodedData, by: str | None) -> pd.Series:
    """transcript → group label (the attribute's value, ``(none)`` when missing)."""
    if by is None:
        return pd.Series("", index=pd.Index(data.transcripts, name="transcript"), dtype=object)
    known = sorted({k for info in data.project.catalog().values() for k in info.attributes})
    if by not in known:
        raise UsageError(f"no transcript has the attribute '{by}'",
                         hint=f"attributes: {', '.join(known) or 'none'} "
                              "(set them in transcripts/attributes.csv or the front matter)")
    col = data.attributes[by] if by in data.attributes.columns else pd.Series(
        "", index=data.attributes.index)
    return col.reindex(data.transcripts).fillna("").replace("", MISSING_GROUP).astype(object)


def counts(data: CodedData, codes: str | list[str] | None = None,
           by: str | None = None) -> pd.DataFrame:
    """One row per code (per group and code with ``by``), in codebook tree order.

    Columns: ``group`` (the attribute value, None without ``by``), ``code``, ``name``,
    ``depth`` (relative to the shallowest selected code), ``interviews`` (distinct transcripts
    where the code or a descendant occurs), ``percent`` (of ``n_transcripts``, 0–100, one
    decimal; NaN when the scope is empty), ``segments`` (distinct counted segments),
    ``codings`` (counted coded passages), ``n_transcripts`` (transcripts in scope, in the
    group with ``by``).
    """
    cb = data.codebook
    selected = select_codes(cb, codes)
    depth = relative_depth(cb, selected)
    gmap = groups_of(data, by)
    group_names = sorted(set(gmap.values)) if by else [""]
    n_by_group = gmap.value_counts().to_dict()

    r = rolled_units(data, selected)
    g_pos = {g: i for i, g in enumerate(group_names)}
    grp_of_t = np.array([g_pos[v] for v in gmap.reindex(data.transcripts).tolist()],
                        dtype=np.int64)
    n_cells = len(group_names) * len(selected)
    n_sel = len(selected)
    tg, tt = r.unique_interviews()
    interviews = np.bincount(grp_of_t[tt] * n_sel + tg, minlength=n_cells)
    sg, st, _ = r.unique_segments()
    segments = np.bincount(grp_of_t[st] * n_sel + sg, minlength=n_cells)
    cg, crow = r.unique_codings(data.n_codings)
    coding_t = np.zeros(max(data.n_codings, 1), dtype=np.int64)
    coding_t[data.u_coding] = data.u_transcript
    codings_n = np.bincount(grp_of_t[coding_t[crow]] * n_sel + cg, minlength=n_cells)
    rows = []
    for gi, grp in enumerate(group_names):
        n = int(n_by_group.get(grp, 0))
        for si, cid in enumerate(selected):
            cell = gi * n_sel + si
            k = int(interviews[cell])
            rows.append({"group": grp if by else None, "code": cid, "name": cb.codes[cid].name,
                         "depth": depth[cid], "interviews": k, "percent": percent(k, n),
                         "segments": int(segments[cell]), "codings": int(codings_n[cell]),
                         "n_transcripts": n})
    df = pd.DataFrame(rows, columns=COUNT_COLUMNS)
    df["percent"] = df["percent"].astype(float)
    if by:   # code-major order: every group of a code together
        order = {c: i for i, c in enumerate(selected)}
        df = df.sort_values(["code", "group"], key=lambda s: s.map(order) if s.name == "code"
                            else s, kind="stable").reset_index(drop=True)
    return df


@dataclass
class Counts:
    """The result of :func:`opinion_counts`: the table plus what it was computed from."""

    frame: pd.DataFrame
    coders: list[str]
    n_transcripts: int
    by: str | None
    codes: list[str]
    data: CodedData

    @property
    def warnings(self) -> list[str]:
        return self.data.warnings

    def groups(self) -> dict[str, int]:
        """group → transcripts in scope (``{"": N}`` without ``by``)."""
        if not self.by:
            return {"": self.n_transcripts}
        return (self.frame.drop_duplicates("group").set_index("group")["n_transcripts"]
                .astype(int).to_dict())

    def to_json(self) -> dict:
        """The documented ``counts --json`` object (docs/COUNTS.md)."""
        rows = []
        for r in self.frame.itertuples(index=False):
            rows.append({"code": r.code, "name": r.name, "interviews": int(r.interviews),
                         "percent": None if pd.isna(r.percent) else float(r.percent),
                         "segments": int(r.segments), "group": r.group,
                         "codings": int(r.codings), "n_transcripts": int(r.n_transcripts)})
        return {"coders": list(self.coders), "n_transcripts": self.n_transcripts, "by": self.by,
                "speaker": self.data.speaker,
                "scope": "all" if self.data.include_unfinished else "done",
                "transcripts": list(self.data.transcripts), "rows": rows}


def opinion_counts(project: Project, coder: str | None = None, *, consensus: bool = False,
                   codes: str | list[str] | None = None, by: str | None = None,
                   speaker: str = "interviewee", include_unfinished: bool = False,
                   data: CodedData | None = None) -> Counts:
    """Counts of interviewees per code: what ``workbench counts`` prints."""
    if data is None:
        data = load(project, coder, consensus=consensus, speaker=speaker,
                    include_unfinished=include_unfinished)
    df = counts(data, codes, by)
    return Counts(frame=df, coders=[data.coder], n_transcripts=data.n_transcripts, by=by,
                  codes=select_codes(data.codebook, codes), data=data)
