"""The command palette (ctrl+p): fuzzy search (rapidfuzz) over codes ("apply code …"),
transcripts ("go to …") and views ("view: …"). Entries read "category: verb"."""
from __future__ import annotations

from functools import partial

from rapidfuzz import fuzz, process, utils
from textual.command import DiscoveryHit, Hit, Hits, Provider

LIMIT = 30


def score(query: str, choice: str, **_) -> float:
    """Every word typed should appear (fuzzily) in the entry: the mean over the query's words of
    rapidfuzz's partial_ratio, nudged by WRatio to order near-ties."""
    words = query.split()
    if not words:
        return 0.0
    per = [fuzz.partial_ratio(w, choice) for w in words]
    return 0.9 * sum(per) / len(per) + 0.1 * fuzz.WRatio(query, choice)


class WorkbenchCommands(Provider):
    """One provider for the workbench's own commands."""

    def _candidates(self) -> list[tuple[str, object, str]]:
        """(text, callback, help) for every command available on the current screen."""
        app = self.app
        out: list[tuple[str, object, str]] = []
        from .screens import VIEWS
        for name, view in VIEWS.items():
            out.append((f"view: {name}", partial(app.action_view, name), view.help))
        out.append(("view: help", app.action_help, "all keys"))
        if not getattr(app, "ready", False):
            return out
        screen = self.screen
        from .screens.coding import CodingScreen
        cb = app.project.codebook
        if isinstance(screen, CodingScreen):
            for cid, code in cb.codes.items():
                out.append((f"apply code: {code.name} ({cid})", partial(screen.apply_code, cid),
                            code.definition[:100]))
        for tid, info in app.project.catalog().items():
            attrs = " · ".join(str(v) for k, v in info.attributes.items() if k != "interviewer")
            out.append((f"go to: {tid} {attrs}", partial(app.open_transcript, tid),
                        f"{info.n_segments} segments"))
        return out

    async def discover(self) -> Hits:
        for text, cb, help_text in self._candidates()[:LIMIT]:
            yield DiscoveryHit(text, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        cands = self._candidates()
        matcher = self.matcher(query)
        found = process.extract(utils.default_process(query),
                                [utils.default_process(c[0]) for c in cands], scorer=score,
                                limit=LIMIT, score_cutoff=60)
        for _, value, idx in found:
            text, cb, help_text = cands[idx]
            yield Hit(value / 100, matcher.highlight(text), cb, text=text, help=help_text)
