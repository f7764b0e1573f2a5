"""One score per code per segment from the kinds of evidence, with weights learned per code.

The kinds (:data:`KINDS`), each one number per code and segment:

* ``learned``  — the log-odds of the linear model on coded examples (:mod:`.learned`);
* ``nearest``  — the share of the nearest coded examples that carry the code;
* ``codebook`` — the code's name, definition, include rules and examples (:mod:`.codebook_text`);
* ``keyword``  — the code's keywords and patterns (:mod:`.rules`): ``1 - 0.4**n`` for rules
  firing in *n* places (one more when they also fired in the question), times the rapidfuzz
  similarity / 100 for a misspelling.

They are combined by a logistic regression per code, ``p = sigmoid(b + sum_k w_k x_k)``, fitted
on *out-of-fold* evidence: cross-validation by transcript inside the training data, so the
weights say how far each kind predicted the coder's codes on transcripts it had not learned
from. Each code's weights are pulled towards weights shared by all codes (``SHRINK``
pseudo-observations), so a code with three examples borrows from the others; a kind whose
weight comes out at or below zero for a code is dropped for it (``used``). A code with no
example at all gets the shared weights of the codebook and keyword evidence alone, adjusted on
the turns where its own evidence showed and the coder did not apply it.

The **threshold** is the one probability that gave the best F1 (all codes pooled) on the same
out-of-fold evidence, pulled towards 0.3 when there are few coded turns and never above 0.5
(for calibrated probabilities the best-F1 threshold is half the best F1). The **score** shown
is the probability rescaled so that this learned threshold sits at 0.5:
``score = sigmoid(logit(p) - logit(threshold))``. So ``[suggest] threshold = 0.5`` means
"where cross-validation found the best balance of precision and recall"; a higher threshold
shows fewer, surer suggestions. Before anything is learned, fixed
weights are used (:data:`DEFAULT` for codes with examples, :data:`ZERO_SHOT` for the others).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy

KINDS = ("learned", "nearest", "codebook", "keyword")
LEARNED_CLIP = 10.0
SHRINK = 10.0          # pseudo-observations pulling a code's weights to the shared ones
POOLED_RIDGE = 30.0       # pseudo-observations pulling the shared weights to DEFAULT
THRESHOLDS = numpy.round(numpy.arange(0.05, 0.905, 0.01), 4)
# before any calibration (b, learned, nearest, codebook, keyword): a code with examples trusts
# the linear model's own probability, raised by codebook and keyword evidence; a code without
# is suggested when its codebook score reaches 1 or a keyword fires (0.6 for one place)
DEFAULT = numpy.array([0.0, 1.0, 0.0, 1.0, 2.0])
ZERO_SHOT = numpy.array([-2.5, 0.0, 0.0, 2.5, 5.0])
DEFAULT_THRESHOLD = 0.5
MIN_OOF_POSITIVES = 3
THRESHOLD_PRIOR = 0.3           # a typical best-F1 threshold (half a typical best F1 of 0.6)
THRESHOLD_PRIOR_POSITIVES = 50


def keyword_value(ev, in_question: bool) -> float:
    """The keyword evidence of a code in a segment (0 when none of its rules fired)."""
    if ev is None:
        return 0.0
    n = min(ev.count, 4) + (1 if in_question else 0)
    return (1.0 - 0.4 ** n) * ev.score


def features(learned, nearest, codebook, keyword) -> numpy.ndarray:
    """Stack the kinds into an (n x 4) matrix (``learned`` as clipped log-odds)."""
    cols = [numpy.clip(numpy.asarray(learned, dtype=float), -LEARNED_CLIP, LEARNED_CLIP),
            numpy.asarray(nearest, dtype=float), numpy.asarray(codebook, dtype=float),
            numpy.asarray(keyword, dtype=float)]
    return numpy.column_stack(cols)


def _sigmoid(z):
    return 1.0 / (1.0 + numpy.exp(-numpy.clip(z, -30.0, 30.0)))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def fit_logistic(X, y, prior, ridge: float, free=None, iters: int = 30) -> numpy.ndarray:
    """Minimise -loglik + ridge/2 * |theta - prior|^2 by Newton steps; ``X`` without the bias
    column; ``free``: which of the weights (not the bias) may move (others stay at 0)."""
    n, k = X.shape
    A = numpy.column_stack([numpy.ones(n), X])
    mask = numpy.ones(k + 1, dtype=bool)
    if free is not None:
        mask[1:] = free
    theta = numpy.where(mask, prior, 0.0).astype(float)
    Am = A[:, mask]
    pm = theta[mask]
    prior_m = numpy.asarray(prior, dtype=float)[mask]
    def loss(t):
        z = Am @ t
        return float(numpy.sum(numpy.logaddexp(0.0, z) - y * z)
                     + ridge / 2 * numpy.sum((t - prior_m) ** 2))
    current = loss(pm)
    for _ in range(iters):
        p = _sigmoid(Am @ pm)
        g = Am.T @ (p - y) + ridge * (pm - prior_m)
        W = p * (1 - p)
        H = (Am * W[:, None]).T @ Am + ridge * numpy.eye(len(pm))
        try:
            step = numpy.linalg.solve(H, g)
        except numpy.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-4:   # backtracking: never a step that makes the fit worse
            cand = pm - t * step
            new = loss(cand)
            if new <= current:
                break
            t /= 2
        else:
            break
        pm, current = cand, new
        if numpy.max(numpy.abs(t * step)) < 1e-6:
            break
    theta[mask] = pm
    return theta


@dataclass
class Combiner:
    """Per-code weights over :data:`KINDS` and the learned threshold."""

    per_code: dict = field(default_factory=dict)   # code -> [b, w_learned, w_nearest, ...]
    pooled: list = field(default_factory=lambda: DEFAULT.tolist())
    zero_shot: list = field(default_factory=lambda: ZERO_SHOT.tolist())
    threshold: float = DEFAULT_THRESHOLD
    calibrated: bool = False
    trained: list = field(default_factory=list)    # codes with examples to learn from

    def theta(self, code: str) -> numpy.ndarray:
        t = self.per_code.get(code)
        if t is None:
            t = self.pooled if code in self.trained else self.zero_shot
        return numpy.asarray(t, dtype=float)

    def used(self, code: str, trained: bool = True) -> list[str]:
        """The kinds of evidence this code's score uses (a positive weight; without examples
        to learn from, only the codebook and keywords)."""
        t = self.theta(code)
        return [k for k, w in zip(KINDS, t[1:]) if w > 1e-9
                and (trained or k in ("codebook", "keyword"))]

    def contributions(self, code: str, x) -> list[tuple[str, float]]:
        t = self.theta(code)
        return [(k, float(w * v)) for k, w, v in zip(KINDS, t[1:], x)]

    def probability(self, code: str, X, scale=None) -> numpy.ndarray:
        """P(code) for rows ``X`` (n x 4); ``scale``: per-kind multipliers (rule/model weight)."""
        t = self.theta(code)
        w = t[1:] if scale is None else t[1:] * numpy.asarray(scale, dtype=float)
        return _sigmoid(t[0] + numpy.asarray(X, dtype=float) @ w)

    def score(self, p):
        """The shown score: the probability rescaled so the learned threshold is 0.5."""
        p = numpy.clip(numpy.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
        z = numpy.log(p / (1 - p)) - _logit(self.threshold)
        return _sigmoid(z)

    def to_dict(self) -> dict:
        return {"per_code": {c: [round(float(v), 6) for v in t] for c, t in self.per_code.items()},
                "pooled": [round(float(v), 6) for v in self.pooled],
                "zero_shot": [round(float(v), 6) for v in self.zero_shot],
                "threshold": self.threshold, "calibrated": self.calibrated,
                "trained": list(self.trained)}

    @classmethod
    def from_dict(cls, d: dict | None) -> Combiner:
        if not d:
            return cls()
        return cls({c: list(t) for c, t in (d.get("per_code") or {}).items()},
                   list(d.get("pooled") or DEFAULT.tolist()),
                   list(d.get("zero_shot") or ZERO_SHOT.tolist()),
                   float(d.get("threshold", DEFAULT_THRESHOLD)), bool(d.get("calibrated")),
                   list(d.get("trained") or []))


def fit_combiner(F: dict, Y: dict, trained: dict) -> Combiner:
    """Weights from out-of-fold evidence. ``F``: code -> (n x 4) evidence, ``Y``: code -> (n,)
    0/1 labels, ``trained``: code -> whether it had examples to learn from (else zero-shot)."""
    codes = [c for c in F if len(Y[c])]
    trained_codes = [c for c in codes if trained.get(c)]
    if not codes:
        return Combiner(trained=trained_codes)
    n_pos = sum(int(Y[c].sum()) for c in codes)
    if n_pos < MIN_OOF_POSITIVES:
        return Combiner(trained=trained_codes)
    learned_codes = [c for c in codes if trained.get(c)]
    shot = numpy.array([False, False, True, True])
    Xz = numpy.vstack([F[c] for c in codes])
    yz = numpy.concatenate([Y[c] for c in codes]).astype(float)
    zero_shot = fit_logistic(Xz, yz, ZERO_SHOT, POOLED_RIDGE, free=shot)
    zero_shot = _drop_negative(Xz, yz, zero_shot, ZERO_SHOT, POOLED_RIDGE, shot)
    if learned_codes:
        Xp = numpy.vstack([F[c] for c in learned_codes])
        yp = numpy.concatenate([Y[c] for c in learned_codes]).astype(float)
        pooled = fit_logistic(Xp, yp, DEFAULT, POOLED_RIDGE)
        pooled = _drop_negative(Xp, yp, pooled, DEFAULT, POOLED_RIDGE, numpy.ones(4, bool))
    else:
        pooled = zero_shot
    per_code = {}
    for c in learned_codes:
        X, y = F[c], Y[c].astype(float)
        free = numpy.array([numpy.any(X[:, k] != 0) for k in range(4)])
        t = fit_logistic(X, y, pooled, SHRINK, free=free)
        per_code[c] = _drop_negative(X, y, t, pooled, SHRINK, free).tolist()
    for c in codes:
        if c in per_code:
            continue
        # no example: the codebook and keyword weights, pulled towards the shared ones, from the
        # turns where its evidence showed (a keyword that fires everywhere but is never coded
        # loses its weight; a code whose evidence never showed keeps the shared weights)
        X, y = F[c], Y[c].astype(float)
        rows = numpy.any(X[:, 2:] != 0, axis=1)
        if not rows.any():
            continue
        free = shot & numpy.array([numpy.any(X[rows, k] != 0) for k in range(4)])
        t = fit_logistic(X[rows], y[rows], zero_shot, SHRINK, free=free)
        per_code[c] = _drop_negative(X[rows], y[rows], t, zero_shot, SHRINK, free).tolist()
    comb = Combiner(per_code, pooled.tolist(), zero_shot.tolist(), DEFAULT_THRESHOLD, True,
                    trained_codes)
    probs = numpy.concatenate([comb.probability(c, F[c]) for c in codes])
    truth = numpy.concatenate([Y[c] for c in codes]).astype(bool)
    comb.threshold = learned_threshold(probs, truth)
    return comb


def learned_threshold(probs, truth) -> float:
    """The best-F1 threshold on out-of-fold probabilities, pulled (in log-odds) towards
    ``THRESHOLD_PRIOR`` as if that had been seen on ``THRESHOLD_PRIOR_POSITIVES`` coded pairs —
    on a few dozen coded turns the best threshold jumps about by chance — and never above 0.5:
    with calibrated probabilities the best-F1 threshold is half the best F1 (Lipton, Elkan and
    Naryanaswamy 2014)."""
    n = float(numpy.sum(truth))
    t = best_threshold(probs, truth)
    k = THRESHOLD_PRIOR_POSITIVES
    z = (n * _logit(t) + k * _logit(THRESHOLD_PRIOR)) / (n + k)
    return round(min(float(_sigmoid(z)), 0.5), 4)


def _drop_negative(X, y, theta, prior, ridge, free):
    """Refit without the kinds whose weight came out at or below zero."""
    free = numpy.array(free, dtype=bool)
    for _ in range(4):
        neg = free & (theta[1:] <= 0)
        if not neg.any():
            break
        free = free & ~neg
        theta = fit_logistic(X, y, prior, ridge, free=free)
    theta[1:][~free] = 0.0
    return theta


def best_threshold(probs, truth) -> float:
    """The probability threshold with the best pooled F1 (ties: the higher threshold)."""
    order = numpy.argsort(-probs, kind="stable")
    p, t = probs[order], truth[order]
    tp = numpy.cumsum(t)
    n_pos = t.sum()
    if n_pos == 0:
        return DEFAULT_THRESHOLD
    best, best_f = DEFAULT_THRESHOLD, -1.0
    for thr in THRESHOLDS:
        k = int(numpy.searchsorted(-p, -thr, side="right"))   # predictions with p >= thr
        tpk = tp[k - 1] if k else 0
        f = 2 * tpk / (k + n_pos) if k + n_pos else 0.0
        if f >= best_f:
            best, best_f = float(thr), f
    return best


def threshold_for(code: str, cfg) -> float:
    per = getattr(cfg, "code_thresholds", None) or {}
    if code in per:
        return float(per[code])
    return float(cfg.threshold)
