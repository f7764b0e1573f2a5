"""One score per code per segment from the rules and the model.

    rule  = P(code | its rules fired)     learned by the rule calibration (see model.py);
                                          before any coding: 1 - 0.4**n for rules firing in
                                          n places of the segment (+1 when they also fired in
                                          the interviewer's question before it), times the
                                          rapidfuzz score / 100 when only a misspelling fired
    model = the classifier's probability for the code (0 without a trained model)
    score = 1 - (1 - rule_weight * rule) * (1 - model_weight * model)

The score is the chance that at least one of the two is right, if they erred independently: a
confident rule or a confident model alone is enough, and two half-sure signals add up.
``rule_weight`` / ``model_weight`` (0..1, default 1) scale each side down; 0 switches it off.
A suggestion is shown when ``score >= threshold`` (``[suggest] threshold``, or the code's entry
in ``[suggest.code_thresholds]``).
"""
from __future__ import annotations

from .model import prior


def rule_score(code: str, ev, in_question: bool, calibration=None) -> float:
    """The rule side of the score for one code in one segment (0 when no rule fired)."""
    if ev is None:
        return 0.0
    if calibration is not None:
        p = calibration.probability(code, ev.count, in_question)
    else:
        p = prior(ev.count, in_question)
    return p * ev.score


def _w(v) -> float:
    return min(1.0, max(0.0, float(v)))


def combine(rule: float, model: float | None, cfg) -> float:
    r = _w(cfg.rule_weight) * rule
    m = _w(cfg.model_weight) * (model or 0.0)
    return round(1.0 - (1.0 - r) * (1.0 - m), 4)


def threshold_for(code: str, cfg) -> float:
    per = getattr(cfg, "code_thresholds", None) or {}
    if code in per:
        return float(per[code])
    return float(cfg.threshold)


def reason_text(ev, in_question: bool, model: float | None) -> str:
    """What the coder sees: the pattern that fired (+ how often), and the model's view."""
    if ev is None:
        return "model" if model is None else f"model {model:.2f}"
    text = ev.reason
    if ev.count > 1:
        text += f" +{ev.count - 1} more"
    if in_question:
        text += "; also in the question"
    if model is not None:
        text += f"; model {model:.2f}"
    return text
