"""Reading YAML written by people (front matter, the codebook, pseudonym lists) without letting
a file take the machine down: aliases (``*name``, the "billion laughs" expansion) and nesting
deeper than :data:`MAX_DEPTH` levels are refused with a YAML error at their line, like any other
YAML mistake. Plain files take the fast libyaml loader; only a file that contains ``&`` or ``*``
(or many brackets, or very deep indentation) goes through the checking loader."""
from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 64
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class GuardedComposer:
    """Mixin for a PyYAML loader: refuses aliases and deep nesting while composing."""

    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            ev = self.peek_event()  # type: ignore[attr-defined]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed here; write the value out",
                ev.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                ev = self.peek_event()  # type: ignore[attr-defined]
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", ev.start_mark)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


def guarded(loader: type) -> type:
    """A subclass of the pure-Python ``loader`` that refuses aliases and deep nesting."""
    return type(f"Guarded{loader.__name__}", (GuardedComposer, loader), {})


def load(text: str, fast: type = FAST_LOADER, checking: type | None = None) -> Any:
    """``yaml.load`` with ``fast`` when the text can hold no alias (no ``&`` or ``*``), else
    with ``checking`` (a :func:`guarded` pure-Python loader). A RecursionError (pathological
    nesting the fast loader let through) is reported as a YAML error."""
    if checking is None:
        checking = guarded(yaml.SafeLoader)
    risky = ("&" in text or "*" in text or text.count("[") + text.count("{") > MAX_DEPTH
             or " " * (2 * MAX_DEPTH) in text)
    loader = checking if risky else fast
    try:
        return yaml.load(text, Loader=loader)
    except RecursionError:
        raise yaml.YAMLError(f"nested more than {MAX_DEPTH} levels deep") from None
