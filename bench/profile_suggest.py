"""Where the cold suggestions for 50 interviews spend their time: the share of each stage, next
to the limit of bench_suggest.py (a blank spaCy pipeline + lookup lemmatizer over the same
segments) and spaCy's tokenizer alone, measured in the same process (issue 16).

Run:  python bench/profile_suggest.py [--quick] [--repeat N]

Each stage is timed (CPU time of this process, so that other work on a shared machine counts
less) by wrapping the function that does it; nested stages are indented and included in the
line above them. The cyclic garbage collector's time is counted on its own (gc.callbacks). The
figures are medians of the runs; the project and its model are made as bench_suggest.py makes
them (bench/synth.py).
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from synth import make_project

import workbench.suggest.codebook_text as codebook_text
import workbench.suggest.data as data
import workbench.suggest.learned as learned
import workbench.suggest.model as model
import workbench.suggest.pipeline as pipeline
import workbench.suggest.rules as rules
import workbench.suggest.scoring as scoring
import workbench.suggest.suggester as suggester
import workbench.suggest.vectors as vectors
from workbench.project import Project
from workbench.suggest import Suggester

# (label, owner, attribute, depth): the stages, in the order they are shown
STAGES = [
    ("pipeline built (spaCy blank + lemma table)", pipeline, "build_pipeline", 0),
    ("keyword matchers built", rules, "RuleSet", 0),
    ("corpus statistics (regex pass, <= 100 transcripts)", scoring.Scorer, "corpus_stats", 0),
    ("codebook index built", codebook_text, "CodebookIndex", 0),
    ("model loaded", model.SuggestModel, "load", 0),
    ("features of every segment", scoring, "transcript_features", 0),
    ("spaCy tokenizer + lemma numbers (parse)", pipeline.Pipeline, "parse_batch", 1),
    ("keyword hits and their sentences", data, "_rule_evidence", 1),
    ("scores of every code", scoring.Scorer, "score_matrix", 0),
    ("codebook evidence", codebook_text.CodebookIndex, "score_matrix", 1),
    ("TF-IDF rows", vectors.SegmentVectorizer, "transform", 1),
    ("linear model", learned.LinearCodes, "logits", 1),
    ("nearest coded examples", learned.NearestExamples, "score", 1),
    ("similarities", learned.NearestExamples, "similarities", 2),
    ("explanations", scoring.Scorer, "explain", 0),
    ("all suggestions (suggest_transcript)", suggester.Suggester, "suggest_transcript", 0),
]


def wrap(owner, name: str, label: str, spent: dict) -> None:
    fn = getattr(owner, name)
    depth = {"n": 0}

    def timed(*a, **k):
        if depth["n"]:          # a recursive or nested call of the same stage counts once
            return fn(*a, **k)
        depth["n"] += 1
        t0 = time.process_time()
        try:
            return fn(*a, **k)
        finally:
            spent[label] += time.process_time() - t0
            depth["n"] -= 1
    setattr(owner, name, timed)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 transcripts instead of 50")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import spacy
    tmp = Path(tempfile.mkdtemp(prefix="profile-suggest-"))
    try:
        small = make_project(tmp / "train", 20, words_per_transcript=8000, seed=1)
        Suggester(Project.open(small), coder="coder1").train()
        big = make_project(tmp / "big", 10 if args.quick else 50, words_per_transcript=9500,
                           seed=2)
        shutil.copytree(small / "models", big / "models")
        p = Project.open(big)
        tids = p.transcript_ids()
        texts = [seg.text for t in tids for seg in p.transcript(t).segments]
        spent: dict[str, float] = defaultdict(float)
        for label, owner, name, _ in STAGES:
            wrap(owner, name, label, spent)
        gc_time = {"t": 0.0, "t0": 0.0}

        def on_gc(phase, info):
            if phase == "start":
                gc_time["t0"] = time.process_time()
            else:
                gc_time["t"] += time.process_time() - gc_time["t0"]
        gc.callbacks.append(on_gc)

        def limit():
            nlp = spacy.blank("en")
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
            return sum(len(d) for d in nlp.pipe(texts, batch_size=256))

        def tokenizer():
            return sum(len(d) for d in spacy.blank("en").pipe(texts, batch_size=256))
        runs: dict[str, list[float]] = defaultdict(list)
        for _ in range(max(1, args.repeat)):
            spent.clear()
            gc_time["t"] = 0.0
            t0 = time.process_time()
            s = Suggester(p, coder="coder1")
            n = sum(len(s.suggest_transcript(t)) for t in tids)
            runs["total"].append(time.process_time() - t0)
            runs["gc"].append(gc_time["t"])
            for label, *_ in STAGES:
                runs[label].append(spent[label])
            for name, fn in (("limit", limit), ("tokenizer", tokenizer)):
                t0 = time.process_time()
                fn()
                runs[name].append(time.process_time() - t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    total = med["total"]
    print(f"cold suggestions for {len(tids)} transcripts ({n:,} suggestions): "
          f"{total:.3f} s CPU, median of {len(runs['total'])} runs "
          f"({min(runs['total']):.3f}-{max(runs['total']):.3f})")
    print(f"limit (blank spaCy + lookup lemmatizer): {med['limit']:.3f} s -> ratio "
          f"{total / med['limit']:.2f}x; spaCy's tokenizer alone {med['tokenizer']:.3f} s")
    print(f"{'stage':56s} {'s':>7s} {'share':>6s} {'x limit':>8s}")
    for label, _, _, depth in STAGES[:-1]:
        v = med[label]
        print(f"{'  ' * depth + label:56s} {v:7.3f} {v / total:6.1%} {v / med['limit']:8.2f}")
    print(f"{'cyclic garbage collector (inside the stages above)':56s} {med['gc']:7.3f} "
          f"{med['gc'] / total:6.1%} {med['gc'] / med['limit']:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
