"""The screens, and the registry of named views.

To add a view (e.g. an agreement table): write ``screens/<name>.py`` with a Screen subclass whose
``id`` is the name, add a :class:`View` to :data:`VIEWS`, and, if it has keys, a bindings group
in :mod:`workbench.tui.bindings`. The app's ``SCREENS``, the palette (``view: <name>``) and the
help screen pick it up.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    title: str
    help: str
    factory: Callable
    needs_session: bool = True
    fresh: bool = True  # a new screen each time it is shown (so it shows current data)


def lazy(module: str, cls: str) -> Callable:
    """A factory importing ``workbench.tui.screens.<module>.<cls>`` on first use."""
    def make():
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)()
    make.__name__ = f"make_{cls}"
    return make


VIEWS: dict[str, View] = {
    "retrieval": View("Retrieval", "every quote coded with a code, filtered by attributes",
                      lazy("retrieval", "RetrievalScreen")),
    "codebook": View("Codebook", "add, rename, redefine, move and merge codes",
                     lazy("codebook", "CodebookScreen")),
    "agreement": View("Agreement", "inter-coder agreement: overall and per code, by unit",
                      lazy("agreement", "AgreementScreen"), needs_session=False),
    "reconcile": View("Reconcile", "settle the coders' disagreements into the consensus",
                      lazy("reconcile", "ReconcileScreen"), needs_session=False),
    "counts": View("Opinion counts", "interviewees per code as a bar chart (Figure 1)",
                   lazy("counts", "CountsScreen"), needs_session=False),
    "memos": View("Memos", "every memo of the project: by transcript, code and coder; Enter "
                  "goes to its place", lazy("memos", "MemoBrowserScreen")),
    "suggestions": View("Suggestion quality", "how far the code suggestions can be trusted "
                        "(cross-validated)", lazy("suggest_report", "SuggestReportScreen"),
                        needs_session=False),
}
