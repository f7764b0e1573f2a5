"""Which coders the agreement and reconcile screens compare, and the explanation they show when
there are fewer than two (shared by both screens; the decision itself is the core's:
:func:`workbench.coders.coders_for`)."""
from __future__ import annotations

from ...coders import coders_for


def compared_coders(project) -> tuple[list[str], list[str]]:
    """(compared, left out) as :func:`workbench.coders.coders_for` decides them (without the
    two-coder minimum: the screen explains that itself)."""
    choice = coders_for(project, "compare", minimum=0)
    return choice.coders, list(choice.left_out)


def too_few_coders(project, coders: list[str], idle: list[str]) -> str:
    """Why agreement cannot be computed with ``coders`` (fewer than two), for the screen."""
    have = ", ".join(coders) or "none"
    msg = (f"Agreement compares two or more coders, and this project has {len(coders)} with "
           f"transcripts marked done ({have}).")
    if idle:
        msg += f" Coders who have marked nothing done yet: {', '.join(idle)}."
    msg += ("\nA second coder codes the same transcripts on their own "
            "(workbench open PROJECT --coder NAME) and marks each one done (d); "
            "then this table fills in. Press c to choose coders yourself.")
    return msg
