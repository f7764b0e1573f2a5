"""Which coders the agreement and reconcile screens compare, and the explanation they show when
there are fewer than two (shared by both screens; the decision itself is the core's:
:func:`workbench.coders.coders_for`)."""
from __future__ import annotations

from ...coders import coders_for


def compared_coders(project) -> tuple[list[str], dict[str, str]]:
    """(compared, left out → why) as :func:`workbench.coders.coders_for` decides them (the
    project's team when it has one; without the two-coder minimum: the screen explains that
    itself)."""
    choice = coders_for(project, "compare", minimum=0)
    return choice.coders, dict(choice.left_out)


def left_out_text(idle: dict[str, str]) -> str:
    """``boris (nothing marked done), trial (not in the team …)``."""
    return ", ".join(f"{c} ({why})" for c, why in idle.items())


def too_few_coders(project, coders: list[str], idle: dict[str, str]) -> str:
    """Why agreement cannot be computed with ``coders`` (fewer than two), for the screen."""
    have = ", ".join(coders) or "none"
    team = project.config.agreement.coders
    msg = (f"Agreement compares two or more coders, and this project has {len(coders)} with "
           f"transcripts marked done ({have})"
           + (f" in its team ({', '.join(team)}, workbench.toml)." if team else "."))
    if idle:
        msg += f" Left out: {left_out_text(idle)}."
    msg += ("\nA second coder codes the same transcripts on their own "
            "(workbench open PROJECT --coder NAME) and marks each one done (d); "
            "then this table fills in. Press c to choose coders yourself.")
    return msg
