"""The learned part of the suggestions, trained on one learning source's coded segments and saved
in ``PROJECT/models/suggest/<source>/``:

* the TF-IDF vocabulary (:mod:`.vectors`), a linear model per code and the coded examples for
  the nearest-example evidence (:mod:`.learned`);
* the :class:`~.combine.Combiner`: per code, the weight of each kind of evidence and the
  threshold, calibrated on out-of-fold evidence — the training transcripts split into up to
  ``INNER_FOLDS`` groups, each predicted by a model trained on the others (see
  :func:`train_model`).

Saved as plain arrays (``arrays.npz``, read with ``allow_pickle=False``) and JSON
(``model.json``: codes, vocabulary, where each example comes from, the combiner, and the data it
was trained on), written to a temporary folder renamed into place.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy
from scipy import sparse

from .combine import Combiner, features, fit_combiner
from .learned import LinearCodes, NearestExamples
from .vectors import SegmentVectorizer

MODEL_FORMAT = 3
MODEL_JSON = "model.json"
ARRAYS = "arrays.npz"
INNER_FOLDS = 4
MIN_UNITS_FOR_CHUNKS = 30


@dataclass
class Evidence:
    """The evidence of every code for some segments: ``E[i, j, k]`` = kind ``k`` (see
    :data:`~.combine.KINDS`) of code ``codes[j]`` in segment ``i``; ``sims``: cosine similarity
    of each segment to each coded example (for the nearest-example reason); ``X``: the rows."""

    codes: list
    E: numpy.ndarray
    sims: numpy.ndarray | None = None
    X: object = None


class SuggestModel:
    def __init__(self, codes, vectorizer, linear, nearest, combiner: Combiner,
                 meta: dict | None = None):
        self.codes = list(codes)
        self.index = {c: j for j, c in enumerate(self.codes)}
        self.vectorizer = vectorizer
        self.linear = linear
        self.nearest = nearest
        self.combiner = combiner
        self.meta = dict(meta or {})
        # the out-of-fold evidence and labels the combiner was fitted on (after training)
        self.oof: tuple[dict, dict] | None = None

    def trained(self, code: str) -> bool:
        j = self.index.get(code)
        return j is not None and bool(self.linear.trained[j])

    def evidence(self, feats, codebook, keyword, codes=None) -> Evidence:
        """Evidence for segments ``feats``; ``codebook``/``keyword``: (n x len(codes)) arrays
        for ``codes`` (default: the model's codes). Codes the model has not seen get no learned
        or nearest evidence."""
        codes = list(codes) if codes is not None else self.codes
        n = len(feats)
        E = numpy.zeros((n, len(codes), 4))
        E[:, :, 2] = codebook
        E[:, :, 3] = keyword
        if n == 0:
            return Evidence(codes, E)
        X = self.vectorizer.transform(feats)
        L = self.linear.logits(X)
        N, S = self.nearest.score(X)
        for j, c in enumerate(codes):
            m = self.index.get(c)
            if m is not None and self.linear.trained[m]:
                E[:, j, 0] = L[:, m]
                E[:, j, 1] = N[:, m]
        E[:, :, 0] = numpy.clip(E[:, :, 0], -10.0, 10.0)
        return Evidence(codes, E, S, X)

    # ---- persistence ---------------------------------------------------------------------------
    def save(self, folder: Path) -> Path:
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
        try:
            nx = self.nearest.X.tocsr()
            numpy.savez_compressed(
                tmp / ARRAYS, coef=self.linear.coef, intercept=self.linear.intercept,
                trained=self.linear.trained, words_idf=self.vectorizer.words.idf,
                context_idf=self.vectorizer.context.idf, nx_data=nx.data, nx_indices=nx.indices,
                nx_indptr=nx.indptr, nx_shape=numpy.array(nx.shape), ny=self.nearest.Y)
            doc = {"format": MODEL_FORMAT, "codes": self.codes,
                   "words_vocab": self.vectorizer.words.vocab,
                   "context_vocab": self.vectorizer.context.vocab,
                   "refs": [list(r) for r in self.nearest.refs], "quotes": self.nearest.quotes,
                   "combiner": self.combiner.to_dict(), "meta": self.meta}
            (tmp / MODEL_JSON).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            old = None
            if folder.exists():
                old = folder.with_name(f".{folder.name}-old-{os.getpid()}")
                if old.exists():
                    shutil.rmtree(old)
                os.replace(folder, old)
            os.replace(tmp, folder)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return folder

    @classmethod
    def load(cls, folder: Path) -> SuggestModel | None:
        """The saved model, or None when there is none or it cannot be read (another format,
        damaged files: it is retrained)."""
        folder = Path(folder)
        try:
            doc = json.loads((folder / MODEL_JSON).read_text(encoding="utf-8"))
            if doc.get("format") != MODEL_FORMAT:
                return None
            with numpy.load(folder / ARRAYS, allow_pickle=False) as a:
                arrays = {k: a[k] for k in a.files}
            from .vectors import Tfidf
            vec = SegmentVectorizer(Tfidf(doc["words_vocab"], arrays["words_idf"]),
                                    Tfidf(doc["context_vocab"], arrays["context_idf"]))
            linear = LinearCodes(arrays["coef"], arrays["intercept"], arrays["trained"])
            shape = tuple(int(x) for x in arrays["nx_shape"])
            nx = sparse.csr_matrix((arrays["nx_data"], arrays["nx_indices"],
                                    arrays["nx_indptr"]), shape=shape)
            nearest = NearestExamples(nx, arrays["ny"], [tuple(r) for r in doc["refs"]],
                                      list(doc["quotes"]))
            codes = list(doc["codes"])
            if (linear.coef.shape != (len(codes), vec.n_features)
                    or nearest.Y.shape != (shape[0], len(codes))):
                return None
            return cls(codes, vec, linear, nearest, Combiner.from_dict(doc.get("combiner")),
                       doc.get("meta") or {})
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None


# ---- training ------------------------------------------------------------------------------------
def fit_parts(feats, Y, refs, quotes):
    """Vectorizer, linear model and nearest examples on these segments."""
    vec = SegmentVectorizer.fit(feats)
    X = vec.transform(feats)
    return vec, LinearCodes.fit(X, Y), NearestExamples(X, Y, refs, quotes), X


def inner_folds(groups: list, n: int) -> list[numpy.ndarray]:
    """Fold number per unit: by group (transcript) when there are 2 or more groups, else three
    contiguous chunks (when there are enough units); [] when no out-of-fold evidence is possible."""
    names = sorted(set(groups))
    if len(names) >= 2:
        k = min(INNER_FOLDS, len(names))
        sizes = {g: 0 for g in names}
        for g in groups:
            sizes[g] += 1
        load = [0] * k
        fold_of = {}
        for g in sorted(names, key=lambda g: (-sizes[g], g)):
            f = min(range(k), key=lambda i: (load[i], i))
            fold_of[g] = f
            load[f] += sizes[g]
        folds = numpy.array([fold_of[g] for g in groups])
    elif n >= MIN_UNITS_FOR_CHUNKS:
        folds = numpy.minimum(numpy.arange(n) * 3 // n, 2)
    else:
        return []
    return [folds]


def train_model(feats, Y, codes, codebook, keyword, groups, refs, quotes,
                meta: dict | None = None, units=None) -> SuggestModel | None:
    """Train on rows ``feats`` with labels ``Y`` (n x len(codes), 0/1). ``codebook`` and
    ``keyword``: their evidence (n x len(codes)); ``groups``: the transcript of each row;
    ``units``: which rows are segments (the others are coded passages: training examples for
    the learned evidence only; the weights are calibrated on segments). None when there is
    nothing to learn from."""
    Y = numpy.asarray(Y, dtype=numpy.int8)
    n = len(feats)
    if n == 0:
        return None
    units = numpy.ones(n, dtype=bool) if units is None else numpy.asarray(units, dtype=bool)
    codebook = numpy.asarray(codebook, dtype=float)
    keyword = numpy.asarray(keyword, dtype=float)
    trained = {c: bool(Y[:, j].any()) for j, c in enumerate(codes)}
    splits = inner_folds(list(groups), n)
    combiner = Combiner(trained=[c for c in codes if trained[c]])
    oof = None
    if splits and Y[units].any():
        folds = splits[0]
        L = numpy.full((n, len(codes)), -10.0)
        N = numpy.zeros((n, len(codes)))
        for f in sorted(set(folds.tolist())):
            tr = numpy.flatnonzero(folds != f)
            te = numpy.flatnonzero((folds == f) & units)
            if not len(tr) or not len(te) or not Y[tr].any():
                continue
            vec, lin, near, _ = fit_parts([feats[i] for i in tr], Y[tr], [refs[i] for i in tr],
                                          [quotes[i] for i in tr])
            Xte = vec.transform([feats[i] for i in te])
            L[te] = numpy.where(lin.trained, lin.logits(Xte), -10.0)
            N[te] = near.score(Xte)[0]
        rows = numpy.flatnonzero(units)
        F = {c: features(L[rows, j], N[rows, j], codebook[rows, j], keyword[rows, j])
             for j, c in enumerate(codes)}
        labels = {c: Y[rows, j] for j, c in enumerate(codes)}
        combiner = fit_combiner(F, labels, trained)
        oof = (F, labels)
    vec, lin, near, _ = fit_parts(feats, Y, refs, quotes)
    model = SuggestModel(codes, vec, lin, near, combiner, meta)
    model.oof = oof
    return model
