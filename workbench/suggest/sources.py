"""Whose coding the suggestions learn from — blind to other coders by default.

Independent double coding is why agreement is measured at all: if coder B were shown codes
learned from coder A's unreconciled work, B would copy A and the team would report an agreement
that was never independent. So, by default (``[suggest] learn_from = "own+consensus"``), the
model that suggests to coder X learns from

* X's own codings, and
* the consensus (``codings/consensus.jsonl``), which the team has reconciled together;

never from another coder's log. A coder with no codings yet gets suggestions from the codebook
alone. ``learn_from = "all"`` lets every coder's model learn from every log (a team that codes
together, or one person under several names). Without a coder (``workbench suggest`` without
``--coder``) the suggestions learn from the consensus alone.

Each source has a model folder of its own (``models/suggest/<key>/``) and its own cache, so that
nothing learned from one coder's work is used for another.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..project import CONSENSUS

LEARN_FROM = ("own+consensus", "all")
DEFAULT_LEARN_FROM = "own+consensus"


@dataclass(frozen=True)
class LearningSource:
    """``mode``: "own+consensus" (``coder`` and the consensus; consensus alone without a coder),
    "all" (every coder and the consensus), or "coders" (exactly ``coders``, no consensus: an
    explicit choice, e.g. for ``--evaluate --coders``)."""

    mode: str
    coder: str | None = None
    coders: tuple = ()

    @property
    def key(self) -> str:
        """The model folder's name under ``models/suggest/``."""
        if self.mode == "all":
            return "all"
        if self.mode == "coders":
            return "coders-" + _slug("+".join(self.coders))
        return f"coder-{_slug(self.coder)}" if self.coder else "consensus"

    def describe(self) -> str:
        if self.mode == "all":
            return "every coder's codings and the consensus ([suggest] learn_from = \"all\")"
        if self.mode == "coders":
            return "the codings of " + ", ".join(self.coders)
        if self.coder and self.coder != CONSENSUS:
            return f"{self.coder}'s own codings and the consensus (blind to other coders)"
        return "the consensus only (blind to every coder's own log)"

    def to_dict(self) -> dict:
        return {"mode": self.mode, "coder": self.coder, "coders": list(self.coders),
                "key": self.key}


def _slug(name: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name or "")


def learn_from(project) -> str:
    """``[suggest] learn_from`` of the project (default "own+consensus"; validated when
    workbench.toml is read)."""
    return project.config.suggest.learn_from or DEFAULT_LEARN_FROM

def source_for(project, coder: str | None = None, coders=None) -> LearningSource:
    """The learning source for suggestions to ``coder`` (see module doc); ``coders``: an
    explicit list instead (no consensus)."""
    if coders:
        return LearningSource("coders", None, tuple(coders))
    if learn_from(project) == "all":
        return LearningSource("all", coder)
    return LearningSource("own+consensus", coder)


def source_coders(project, source: LearningSource) -> tuple[list[str], bool]:
    """(the coding logs a source reads, whether the consensus replaces them where it exists)."""
    known = project.coders()
    if source.mode == "coders":
        return [c for c in source.coders], False
    has_consensus = CONSENSUS in known
    if source.mode == "all":
        return [c for c in known if c != CONSENSUS], has_consensus
    own = [source.coder] if source.coder and source.coder != CONSENSUS and source.coder in known \
        else []
    return own, has_consensus
