"""Which coders a command uses: the one place that decides.

:func:`coders_for` answers for each use:

* ``"count"`` — whose codings the counts, charts, exports and reports show: ``--consensus`` →
  the consensus; ``--coder NAME`` → NAME; neither → the consensus when it exists, else the only
  coder; otherwise the caller must choose (a :class:`UsageError` listing the coders).
* ``"compare"`` — whose codings agreement compares: the coders named, else every coder with a
  log except the consensus; coders who marked nothing done are left out (all their units would
  be missing), with the reason (with ``include_unfinished``, only coders with no coding at all).
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


@dataclass
class CoderChoice:
    """The coders a command uses (in order) and, for any coder with a log left out, why."""

    coders: list[str]
    left_out: dict[str, str] = field(default_factory=dict)


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
    left_out: dict[str, str] = {}
    if not coders:
        coders = []
        for c in available:
            if c == CONSENSUS:
                continue
            st = project.state(c)
            if st.done or (include_unfinished and st.codings):
                coders.append(c)
            else:
                left_out[c] = "nothing marked done"
    missing = [c for c in coders if c not in available]
    if missing:
        raise UsageError(f"no coding log for {', '.join(missing)}",
                         hint=f"coders with a log: {listing}")
    coders = list(dict.fromkeys(coders))
    if len(coders) < minimum:
        raise UsageError(f"agreement needs at least {minimum} coders (got "
                         f"{', '.join(coders) or 'none'})", hint="name them with --coders a,b")
    return CoderChoice(coders, left_out)


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
    if CONSENSUS in available:
        return CONSENSUS
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
