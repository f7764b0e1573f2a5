"""Helpers shared by the tests (import as `from helpers import ...`)."""
from __future__ import annotations

import signal
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SMALL_CODEBOOK = """\
name: Small
codes:
  - id: value
    name: Added value
    children:
      - id: value.rnd
        name: Joint R&D
        keywords: ["joint research"]
        key: "1"
      - id: value.funding
        name: Project funding
        keywords: ["fund"]
        key: "2"
  - id: finance
    name: Financing
    children:
      - id: finance.fees
        name: Membership fees
        keywords: ["membership fee"]
        key: "3"
"""


def write_transcript(root: Path, tid: str, turns: list[tuple[str, str]], **attrs) -> Path:
    head = "---\n" + f"id: {tid}\n" + "".join(f"{k}: {v}\n" for k, v in attrs.items()) + "---\n"
    body = "".join(f"{spk}: {text}\n" for spk, text in turns)
    path = root / "transcripts" / f"{tid}.txt"
    path.write_text(head + body, encoding="utf-8")
    return path




@contextmanager
def bounded(seconds: int):
    """Fail an input that runs longer than ``seconds`` (SIGALRM): a hang detector for fuzz
    tests, not a speed test."""
    def hang(*_):
        raise TimeoutError(f"an input took more than {seconds} s: a hang")
    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def plain_corpus_frequencies(pipeline, texts, stop) -> tuple[dict[str, int], int]:
    """The oracle for ``codebook_text.corpus_frequencies``: per content term (lemmatised, as the
    plain path makes it), in how many of ``texts`` it occurs; and how many texts."""
    import re

    from workbench.suggest.codebook_text import content_terms
    counts: dict[str, int] = {}
    for text in texts:
        lemmas = [pipeline.lemma_word(w.lower()) for w in re.findall(r"\w+", text)]
        for term in set(content_terms(lemmas, stop)):
            counts[term] = counts.get(term, 0) + 1
    return counts, len(texts)
