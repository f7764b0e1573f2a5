"""Which coders a command uses: the one place that decides.

:func:`coders_for` answers for each use:

* ``"count"`` — whose codings the counts, charts, exports and reports show: ``--consensus`` →
  the consensus; ``--coder NAME`` → NAME; neither → the consensus when it exists **and covers
  every transcript that the coders it settles finished** (:func:`consensus_coverage`), else the
  only coder; otherwise the caller must choose (a :class:`UsageError` naming ``--coder`` and
  ``--consensus``). A partial consensus never becomes every number silently.
* ``"compare"`` — whose codings agreement compares: the coders named; else the project's team
  (``[agreement] coders`` in ``workbench.toml``); else every coder with a log except the
  consensus. Coders who marked nothing done are left out (all their units would be missing),
  with the reason (with ``include_unfinished``, only coders with no coding at all). Without a
  team, a coder who finished far fewer transcripts than the others (a trial?) is named in a
  warning.
* ``"learn"`` — whose codings the suggester learns from: every coder but the consensus, or the
  coders named (the suggest package applies its own opt-in rules on top).

Commands and screens call it (or the thin wrappers below) and never decide on their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .config import CONSENSUS
from .errors import UsageError

if TYPE_CHECKING:
    from .project import Project

Use = Literal["count", "compare", "learn"]
#: A compared coder who finished fewer than this share of the most transcripts any compared
#: coder finished is named in a warning (when no team is configured).
TRIAL_SHARE = 0.5


@dataclass
class CoderChoice:
    """The coders a command uses (in order), for any coder with a log left out why, and
    warnings about the choice."""

    coders: list[str]
    left_out: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    team: bool = False          # the coders are the project's configured team


@dataclass
class ConsensusCoverage:
    """What the consensus covers: ``coders`` whose codes it settles (all settlements together),
    ``finished`` the transcripts that every coder of some settled group marked done (what could
    be reconciled), ``covered`` those of them the consensus marked done, and ``done`` every
    transcript the consensus marked done."""

    coders: list[str]
    finished: list[str]
    covered: list[str]
    done: list[str]

    @property
    def missing(self) -> list[str]:
        covered = set(self.covered)
        return [t for t in self.finished if t not in covered]

    @property
    def complete(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        """``consensus of anna, boris`` (or just ``consensus`` when no settlement says)."""
        return f"consensus of {', '.join(self.coders)}" if self.coders else "consensus"


def consensus_coverage(project: Project) -> ConsensusCoverage:
    """The consensus's coders and coverage (see :class:`ConsensusCoverage`), from the
    ``settles`` of its codings and the coders' done marks."""
    state = project.state(CONSENSUS)
    groups: set[tuple[str, ...]] = set()
    for c in state.codings.values():
        who = (c.settles or {}).get("coders")
        if isinstance(who, list) and who and all(isinstance(x, str) for x in who):
            groups.add(tuple(sorted(set(who))))
    available = set(project.coders())
    order = list(project.catalog())
    finished: set[str] = set()
    for g in groups:
        dones = [project.state(c).done if c in available else set() for c in g]
        finished |= set.intersection(*(set(d) for d in dones))
    done = set(state.done)
    names = sorted({c for g in groups for c in g})
    return ConsensusCoverage(coders=names,
                             finished=[t for t in order if t in finished],
                             covered=[t for t in order if t in finished and t in done],
                             done=[t for t in order if t in done])


def coders_for(project: Project, use: Use, *, coder: str | None = None,
               coders: list[str] | None = None, consensus: bool = False,
               minimum: int = 2, include_unfinished: bool = False) -> CoderChoice:
    """The coders ``use`` takes (see the module docstring)."""
    available = project.coders()
    listing = ", ".join(available) or "none"
    if use == "count":
        return CoderChoice([_count_coder(project, available, listing, coder, consensus)])
    if use == "learn":
        return CoderChoice(list(coders) if coders is not None else
                           [c for c in available if c != CONSENSUS])
    if use != "compare":
        raise ValueError(f"unknown use {use!r}")
    return _compare(project, available, listing, coders, minimum, include_unfinished)


def _compare(project: Project, available: list[str], listing: str, coders: list[str] | None,
             minimum: int, include_unfinished: bool) -> CoderChoice:
    left_out: dict[str, str] = {}
    warnings: list[str] = []
    team = list(project.config.agreement.coders)
    named = bool(coders)
    if not coders:
        pool = team or [c for c in available if c != CONSENSUS]
        coders = []
        for c in pool:
            if c not in available:
                left_out[c] = "in the team, but no coding log yet"
                continue
            st = project.state(c)
            if st.done or (include_unfinished and st.codings):
                coders.append(c)
            else:
                left_out[c] = "nothing marked done"
        if team:
            for c in available:
                if c != CONSENSUS and c not in team:
                    left_out[c] = "not in the team ([agreement] coders in workbench.toml)"
    missing = [c for c in coders if c not in available]
    if missing:
        raise UsageError(f"no coding log for {', '.join(missing)}",
                         hint=f"coders with a log: {listing}")
    coders = list(dict.fromkeys(coders))
    if len(coders) < minimum:
        where = " of the team in workbench.toml" if team and not named else ""
        raise UsageError(f"agreement needs at least {minimum} coders (got "
                         f"{', '.join(coders) or 'none'}{where})",
                         hint="name them with --coders a,b" + (
                             "; coders left out: " + "; ".join(f"{c} ({why})"
                                                              for c, why in left_out.items())
                             if left_out else ""))
    if not named and not team and len(coders) > 2 and not include_unfinished:
        warnings.extend(_trial_warnings(project, coders))
    return CoderChoice(coders, left_out, warnings, team=bool(team) and not named)


def _trial_warnings(project: Project, coders: list[str]) -> list[str]:
    n_done = {c: len(project.state(c).done) for c in coders}
    most = max(n_done.values())
    few = [c for c in coders if n_done[c] < TRIAL_SHARE * most]
    if not few:
        return []
    return [f"{', '.join(f'{c} ({n_done[c]})' for c in few)} finished far fewer transcripts "
            f"than the others (up to {most}); if {'they are' if len(few) > 1 else 'this is'} "
            "a trial, name the team: --coders, or [agreement] coders in workbench.toml"]


def _count_coder(project: Project, available: list[str], listing: str, coder: str | None,
                 consensus: bool) -> str:
    if coder and consensus:
        raise UsageError("give either --coder or --consensus, not both")
    if consensus:
        coder = CONSENSUS
    if coder:
        if coder not in available:
            hint = (f"coders with a log: {listing}" if coder != CONSENSUS else
                    "there is no codings/consensus.jsonl yet; reconcile two coders first, "
                    f"or choose a coder ({listing})")
            raise UsageError(f"no coding log for coder '{coder}'", hint=hint)
        return coder
    if not available:
        raise UsageError("the project has no codings yet (codings/ holds no log)",
                         file=project.codings_dir,
                         hint="code some transcripts first with 'workbench open'")
    others = [c for c in available if c != CONSENSUS]
    if CONSENSUS in available:
        cov = consensus_coverage(project)
        if cov.complete:
            return CONSENSUS
        missing = cov.missing
        raise UsageError(
            f"the {cov.describe()} covers {len(cov.covered)} of the {len(cov.finished)} "
            f"transcripts they finished (not reconciled yet: {', '.join(missing[:8])}"
            f"{'…' if len(missing) > 8 else ''}): say whose codings to count",
            hint=f"--consensus counts the {len(cov.covered)} reconciled transcript(s) only; "
                 f"--coder NAME counts one coder ({', '.join(others)}); or finish reconciling "
                 f"(workbench reconcile PROJECT --coders {','.join(cov.coders)})")
    if len(available) == 1:
        return available[0]
    raise UsageError(f"the project has {len(available)} coders and no consensus: say whose "
                     "codings to count", hint=f"use --coder NAME (one of: {listing}) or "
                                               "reconcile them into a consensus")


# ---- thin wrappers, by use ---------------------------------------------------------------------
def count_coder(project: Project, coder: str | None = None, consensus: bool = False) -> str:
    """The one coder whose codings are counted (``coders_for(project, "count")``)."""
    return coders_for(project, "count", coder=coder, consensus=consensus).coders[0]


def compared_coders(project: Project, coders: list[str] | None = None, minimum: int = 2,
                    include_unfinished: bool = False) -> list[str]:
    """The coders agreement compares (``coders_for(project, "compare")``)."""
    return coders_for(project, "compare", coders=coders, minimum=minimum,
                      include_unfinished=include_unfinished).coders
