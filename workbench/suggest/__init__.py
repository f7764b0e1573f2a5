"""Code suggestions — evidence from the codebook's text and keywords and from the coder's own
coded examples, combined with weights calibrated by cross-validation, each suggestion explained;
and an evaluation against simple baselines.

    from workbench.suggest import Suggester, Suggestion, evaluate
    s = Suggester(project, coder="anna")  # learns from anna's codings and the consensus only
    s.suggest_transcript("P01")            # -> list[Suggestion] (score, reason, evidence)
    s.train()                              # -> TrainReport (models/suggest/coder-anna/)
    evaluate(project, folds=5)             # -> EvaluationReport (cross-validated by transcript)

Everything runs locally: spaCy blank pipelines with lookup lemmas (or an installed pipeline
named in workbench.toml), rapidfuzz and scikit-learn; nothing is downloaded.
See docs/SUGGESTIONS.md.
"""
from .evaluate import EvaluationReport, evaluate
from .explain import Suggestion
from .sources import LearningSource, source_for
from .suggester import MODEL_DIR, MODEL_ROOT, Suggester, TrainReport

__all__ = ["Suggester", "Suggestion", "TrainReport", "MODEL_DIR", "MODEL_ROOT", "evaluate",
           "EvaluationReport", "LearningSource", "source_for"]
