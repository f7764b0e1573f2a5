"""Reconciliation: settle the coders' disagreements into ``codings/consensus.jsonl``.

The consensus log is a log like any other (replayed the same way; counts and exports can use it).
Its ``code`` events carry ``"source": "consensus"`` and ``"settles": {"coders": [...],
"unit": "P01#3", "decision": ...}``, naming whose codes they settle and how: ``agreed`` (all
coders applied the code), a coder's name (that coder's codes were taken), ``union``,
``intersection`` or ``edit`` (the team typed the set). A unit settled with no code at all is
recorded as a ``memo`` event with the same ``settles`` object. Re-settling a unit appends
``uncode`` events for its earlier consensus codings: nothing is rewritten. When every
disagreement of a transcript is settled, the consensus marks the transcript done.

Only units of transcripts that every compared coder marked done take part.

**Which coders a consensus settles.** A unit has one consensus. Each settlement names its coders;
reconciling coders C on a unit already settled for coders C':

* C' = C: the unit is settled (the walk skips it; a decision can still be changed);
* C' a proper subset of C (a coder joined): the earlier decision is superseded -- the unit is
  walked again with everyone's codes (the earlier decision shown), and a transcript the consensus
  had finished is reopened until its units are settled again;
* otherwise (another pair, or a pair that left someone out): refused, with the way forward --
  reconcile everyone together (``--coders`` C' ∪ C). Pairs that coded *different* transcripts do
  not meet, and each reconciles its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..codinglog import CodingLog
from ..errors import UsageError
from ..project import CONSENSUS, Project
from ..replay import read_events
from .units import BAD_STATUS, check_coders, unit_table

DECISIONS = ("union", "intersection")


@dataclass
class Disagreement:
    unit: str
    transcript: str
    segment: int
    start: int
    end: int
    speaker: str | None
    quote: str
    sets: dict[str, frozenset]
    settled: frozenset | None = None  # the consensus set when already settled
    settled_ids: dict = field(default_factory=dict)  # code → id of its live consensus event
    previous: frozenset | None = None  # an earlier decision for fewer coders, now superseded
    previous_coders: tuple = ()       # … and whose it was

    def differs_on(self, scope: set | frozenset) -> bool:
        """Whether the coders' sets differ within ``scope`` (a set of code ids)."""
        return len({v & scope for v in self.sets.values()}) > 1

    def option(self, rule: str) -> frozenset:
        """The set a rule picks: a coder's name, ``union`` or ``intersection``."""
        vals = list(self.sets.values())
        if rule == "union":
            return frozenset().union(*vals)
        if rule == "intersection":
            return frozenset.intersection(*vals)
        if rule in self.sets:
            return self.sets[rule]
        raise UsageError(f"'{rule}' is neither a compared coder nor union/intersection",
                         hint=f"use one of: {', '.join([*self.sets, *DECISIONS])}")


@dataclass
class ReconcileState:
    coders: list[str]
    agreed: list[Disagreement] = field(default_factory=list)  # units where all coders agree
    disagreements: list[Disagreement] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)  # transcripts mark_finished reopened

    @property
    def open(self) -> list[Disagreement]:
        return [d for d in self.disagreements if d.settled is None]


def consensus_units(project: Project) -> dict[str, dict]:
    """unit id → {"codes": {code: event id}, "empty": bool, "coders": frozenset | None} of the
    live consensus settlements (``coders``: whose codes the latest settlement settles; None for an
    event that does not say)."""
    path = project.log_path(CONSENSUS)
    events, _ = read_events(path)
    live: dict[str, dict] = {}
    by_id: dict[str, str] = {}
    for _, ev in events:
        st = ev.get("settles") or {}
        uid = st.get("unit")
        who = st.get("coders")
        who = frozenset(who) if isinstance(who, list) and who else None
        if ev.get("op") == "code" and uid:
            entry = live.setdefault(uid, {"codes": {}, "empty": False, "coders": who})
            entry["codes"][project.codebook.resolve(ev["code"])] = ev["id"]
            entry["empty"] = False
            entry["coders"] = who
            by_id[ev["id"]] = uid
        elif ev.get("op") == "memo" and uid:
            live[uid] = {"codes": {}, "empty": True, "coders": who}
        elif ev.get("op") == "uncode" and ev.get("id") in by_id:
            uid = by_id.pop(ev["id"])
            codes = live.get(uid, {}).get("codes", {})
            for k, v in list(codes.items()):
                if v == ev["id"]:
                    del codes[k]
            if uid in live and not codes and not live[uid]["empty"]:
                del live[uid]
    return live


def reconcile_state(project: Project, coders: list[str], code: str | None = None) -> ReconcileState:
    """The units of the compared coders, split into agreed and disagreed ones.

    Each unit carries the coders' *whole* code sets: a decision settles the unit's full set, so a
    consensus never loses the codes outside a filter. ``code`` (an id or prefix such as
    ``value.``) only limits which disagreements are walked to those that differ on that part of
    the codebook."""
    coders = check_coders(project, [c for c in coders if c != CONSENSUS])
    scope = None
    if code:
        scope = set(project.codebook.select([code]))
        if not scope:
            raise UsageError(f"no code matches {code!r}", hint="see the ids with 'workbench codebook'")
    table = unit_table(project, coders, unit="segment")
    units = table.units.set_index("unit")
    settled = consensus_units(project)
    st = ReconcileState(coders=coders)
    texts: dict[str, str] = {}
    mine = frozenset(coders)
    conflicts: dict[frozenset, list[str]] = {}   # other coder sets → their units here
    for uid, row in table.values.iterrows():
        sets = {c: row[c] for c in coders}
        if any(v is None for v in sets.values()):
            continue  # a coder has not finished this transcript
        u = units.loc[uid]
        tid = u["transcript"]
        done = settled.get(uid)
        earlier = done["coders"] if done else None
        superseded = earlier is not None and earlier < mine
        if earlier is not None and earlier != mine and not superseded:
            conflicts.setdefault(earlier, []).append(tid)
            continue
        if tid not in texts:
            texts[tid] = project.text(tid)
        s, e = int(u["start"]), int(u["end"])
        d = Disagreement(uid, tid, int(u["segment"]), s, e, u["speaker"], texts[tid][s:e], sets,
                         frozenset(done["codes"]) if done and not superseded else None,
                         dict(done["codes"]) if done else {})
        if superseded and done is not None and earlier is not None:
            d.previous = frozenset(done["codes"])
            d.previous_coders = tuple(c for c in coders if c in earlier)
        first = next(iter(sets.values()))
        if all(v == first for v in sets.values()):
            if first or superseded:
                st.agreed.append(d)
        elif scope is None or d.differs_on(scope):
            st.disagreements.append(d)
    if conflicts:
        raise _conflict(coders, conflicts)
    return st


def _conflict(coders: list[str], conflicts: dict[frozenset, list[str]]) -> UsageError:
    """The refusal when the consensus settles the units for other coders."""
    others = sorted(conflicts, key=lambda k: -len(conflicts[k]))
    everyone = list(dict.fromkeys([c for k in others for c in sorted(k)] + list(coders)))
    parts = []
    for k in others:
        tids = sorted(set(conflicts[k]))
        parts.append(f"{len(conflicts[k])} unit(s) in {', '.join(tids[:5])}"
                     f"{'…' if len(tids) > 5 else ''} for {', '.join(sorted(k))}")
    return UsageError(
        f"the consensus already settles {'; '.join(parts)}: a unit has one consensus, so "
        f"reconciling {', '.join(coders)} there would overwrite those decisions",
        hint=f"reconcile everyone together: --coders {','.join(everyone)} (the earlier "
             "decisions are shown and can be kept), or compare without reconciling: "
             f"workbench disagreements --coders {','.join(coders)}")


def _span_for(project: Project, d: Disagreement, code: str, coders: list[str]) -> tuple[int, int]:
    """The consensus span of ``code`` on the unit: the extent of the coders' codings of it,
    clipped to the segment; the whole segment when no coder used it."""
    spans = []
    for c in coders:
        for cd in project.codings(c, d.transcript):
            if cd.code == code and cd.status not in BAD_STATUS and cd.start < d.end and cd.end > d.start:
                spans.append((max(cd.start, d.start), min(cd.end, d.end)))
    if not spans:
        return d.start, d.end
    return min(s for s, _ in spans), max(e for _, e in spans)


def settle(project: Project, log: CodingLog, d: Disagreement, codes, decision: str,
           coders: list[str]) -> list[dict]:
    """Write the consensus for one unit (replacing an earlier consensus for it). Returns the
    events written."""
    codes = frozenset(project.codebook.resolve(c) for c in codes)
    unknown = [c for c in codes if c not in project.codebook.codes]
    if unknown:
        raise UsageError(f"unknown code(s): {', '.join(unknown)}",
                         hint="see the ids with 'workbench codebook'")
    settles = {"coders": list(coders), "unit": d.unit, "decision": decision}
    written = []
    # the unit's offsets are in the text the catalog read: the quotes are taken from it (an
    # error, before anything is written, when the file was changed on disk since)
    text = project.checked_text(d.transcript)
    # the unit's live consensus events were read once by reconcile_state and are kept up to date
    # here, so settling many units does not re-read the consensus log each time
    for ev_id in d.settled_ids.values():
        written.append(log.uncode(ev_id))
    d.settled_ids = {}
    for code in sorted(codes):
        s, e = _span_for(project, d, code, coders)
        ev = log.code(d.transcript, s, e, code, source="consensus", settles=settles,
                      **project.coding_fields(d.transcript, s, e, text))
        written.append(ev)
        d.settled_ids[code] = ev["id"]
    if not codes:
        written.append(log.append({"op": "memo", "transcript": d.transcript, "start": d.start,
                                   "end": d.end, "text": "consensus: no code",
                                   "settles": settles,
                                   **project.coding_fields(d.transcript, d.start, d.end, text)}))
    d.settled = codes
    return written


def seed_agreed(project: Project, log: CodingLog, st: ReconcileState) -> int:
    """Write the units all coders agree on into the consensus (once; again for a unit settled
    earlier for fewer coders). Returns units written."""
    n = 0
    for d in st.agreed:
        if d.settled is None:
            settle(project, log, d, next(iter(d.sets.values())), "agreed", st.coders)
            n += 1
    return n


def mark_finished(project: Project, log: CodingLog, st: ReconcileState) -> list[str]:
    """Mark done (in the consensus) each transcript finished by every coder whose disagreements
    are all settled, and reopen a transcript the consensus had finished that has open
    disagreements again (a coder joined: ``st.reopened``). Returns the transcripts newly
    marked."""
    done_all = set.intersection(*(set(project.state(c).done) for c in st.coders))
    open_t = {d.transcript for d in st.open}
    already = project.state(CONSENSUS).done if project.log_path(CONSENSUS).exists() else set()
    st.reopened = []
    for tid in sorted(open_t & set(already)):
        log.reopen(tid)
        st.reopened.append(tid)
    marked = []
    for tid in sorted(done_all - open_t - set(already)):
        log.done(tid)
        marked.append(tid)
    return marked


def parse_codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace(";", ",").split(",") if c.strip()]
