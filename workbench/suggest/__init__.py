"""Code suggestions: rules from the codebook's keywords plus a model learned from the team's
coding, combined into one score per code per segment; and an honest evaluation of them.

    from workbench.suggest import Suggester, Suggestion, evaluate
    s = Suggester(project)
    s.suggest_transcript("P01")         # -> list[Suggestion]
    s.train()                           # -> TrainReport (models/textcat/ + workbench-meta.json)
    evaluate(project, folds=5)          # -> EvaluationReport (cross-validated by transcript)

Everything runs locally: spaCy blank pipelines with lookup lemmas (or an installed pipeline
named in workbench.toml), rapidfuzz, and a small ``textcat_multilabel``; nothing is downloaded.
See docs/SUGGESTIONS.md.
"""
from .evaluate import EvaluationReport, evaluate
from .suggester import MODEL_DIR, Suggester, Suggestion, TrainReport

__all__ = ["Suggester", "Suggestion", "TrainReport", "MODEL_DIR", "evaluate", "EvaluationReport"]
