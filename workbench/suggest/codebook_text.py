"""Evidence from the codebook's own text: a code's name, definition, include rules and examples
against the words of a segment — so that a code nobody has applied yet still gets suggestions.

Every text is lemmatised like the transcripts and its stop words are removed. A code's terms
are its content lemmas (the name counts ``NAME_WEIGHT`` times) plus the joined form of each pair
of neighbouring lemmas, so that hyphen and spacing variants meet: "low-interest loan",
"low interest loans" and "lowinterest loan" share ``low``, ``interest`` and ``lowinterest``.

Each term of code *c* weighs

    w_c(t) = (1 + ln n_c(t)) * ln(1 + codes / codes_with(t))
             * ln(1 + (turns + 30) / (1 + turns_with(t)))

— how often the code's text uses it, how specific it is to the code within this codebook (a
word in every definition says nothing), and how rare it is in the interviews (a word in every
turn says nothing either; counted over the project's turns, which are no coder's work, plus
``RARITY_PRIOR_TURNS`` imaginary turns without the word, so that in a project of a few turns
every word counts about the same). The score of a segment for *c* (BM25-like):

    score = (sum over the turn's terms t of c: w_c(t) * (1 + ln tf(t))
             + QUESTION_WEIGHT * sum over the question's terms t of c: w_c(t)
             - sum over the turn's terms t of c's exclude text: w_c,exclude(t))
            / sqrt(sum over all terms of c: w_c(t))

The exclude text is negative evidence. Keywords and patterns are matched by
:mod:`workbench.suggest.rules`, not here. The matched words are the reason shown to the coder.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy
from scipy import sparse

NAME_WEIGHT = 2
QUESTION_WEIGHT = 0.5
NORM_POWER = 0.5
MAX_REASON_WORDS = 4
RARITY_PRIOR_TURNS = 30   # turns added to the count: in a tiny project rarity says little


@dataclass(slots=True)
class CodebookMatch:
    """The codebook evidence for one code in one segment."""

    score: float
    words: tuple = ()          # matched words of the turn, strongest first
    question_words: tuple = ()  # matched words of the question only
    excluded: tuple = ()       # words of the code's exclude text found in the turn
    name_only: bool = False    # every matched word is in the code's name

    def detail(self) -> str:
        parts = []
        if self.words:
            label = "name words" if self.name_only else "definition words"
            parts.append(f"{label}: " + ", ".join(self.words))
        if self.question_words:
            parts.append("in the question: " + ", ".join(self.question_words))
        if self.excluded:
            parts.append("but its exclude rule names: " + ", ".join(self.excluded))
        return "; ".join(parts)


def content_terms(lemmas, stop_words) -> list[str]:
    """Content lemmas (no stop words, at least 2 characters with a letter or digit) and the
    joined form of each pair of neighbouring word lemmas."""
    words = [w for w in lemmas if any(ch.isalnum() for ch in w)]
    out = [w for w in words if len(w) >= 2 and w not in stop_words]
    out += [a + b for a, b in zip(words, words[1:])
            if a not in stop_words and b not in stop_words and (a + b).isalnum()]
    return out


class ContentTerms:
    """:func:`content_terms` for one list of stop words, with what it asks of each lemma (is it
    a word, a content word, can it be joined) remembered per distinct lemma: the same terms,
    without a pass over the characters of every word of every turn."""

    WORD, CONTENT, JOIN = 1, 2, 4

    def __init__(self, stop_words):
        self.stop_words = stop_words
        self._flags: dict[str, int] = {}

    def _flag(self, w: str) -> int:
        word = any(ch.isalnum() for ch in w)
        stop = w in self.stop_words
        # a word; a content word; may be joined — (a + b).isalnum() holds for two words a, b
        # exactly when each is all letters or digits
        fl = self._flags[w] = ((self.WORD if word else 0)
                               | (self.CONTENT if word and len(w) >= 2 and not stop else 0)
                               | (self.JOIN if word and not stop and w.isalnum() else 0))
        return fl

    def __call__(self, lemmas) -> list[str]:
        flags = self._flags
        try:
            words = [(w, f) for w in lemmas if (f := flags[w])]
        except KeyError:
            words = [(w, f) for w in lemmas
                     if (f := flags[w] if w in flags else self._flag(w))]
        out = [w for w, f in words if f & 2]
        out += [a + b for (a, fa), (b, fb) in zip(words, words[1:]) if fa & fb & 4]
        return out


def _code_text(code) -> tuple[list[str], list[str]]:
    pos = [code.name] * NAME_WEIGHT
    pos += [code.definition or "", code.include or ""]
    pos += [str(x) for x in (code.examples or [])]
    return [t for t in pos if t and t.strip()], [code.exclude] if code.exclude else []


class CodebookIndex:
    """The weighted terms of each code (built once per codebook and corpus statistics)."""

    def __init__(self, pipeline, codebook, codes, corpus_df: dict | None = None,
                 n_turns: int = 0):
        self.stop_words = _stop_words(pipeline)
        self.terms = ContentTerms(self.stop_words)
        self.codes = [c for c in codes if c in codebook.codes]
        self.display: dict[str, str] = {}   # joined pair -> "first second", for the reasons
        self._display_words: dict[str, tuple] = {}   # term -> the words of its display
        self.name_terms: dict[str, set] = {}
        bags: dict[str, dict[str, int]] = {}
        excl: dict[str, dict[str, int]] = {}
        self.has_text: dict[str, bool] = {}
        for cid in self.codes:
            code = codebook.codes[cid]
            pos, neg = _code_text(code)
            bags[cid] = self._bag(pipeline, pos)
            excl[cid] = self._bag(pipeline, neg)
            self.name_terms[cid] = set(self._bag(pipeline, [code.name]))
            self.has_text[cid] = bool(code.definition or code.include or code.examples)
        n_codes = max(1, len(self.codes))
        df_codes: dict[str, int] = {}
        for bag in bags.values():
            for t in bag:
                df_codes[t] = df_codes.get(t, 0) + 1
        corpus_df = corpus_df or {}
        n_turns = max(n_turns, 0) + RARITY_PRIOR_TURNS

        def idf(t: str) -> float:
            spec = math.log(1.0 + n_codes / max(1, df_codes.get(t, 1)))
            rare = math.log(1.0 + n_turns / (1.0 + corpus_df.get(t, 0)))
            return spec * rare
        self.weights: dict[str, dict[str, float]] = {}
        self.exclude: dict[str, dict[str, float]] = {}
        self.norm: dict[str, float] = {}
        for cid in self.codes:
            w = {t: (1.0 + math.log(n)) * idf(t) for t, n in bags[cid].items()}
            self.weights[cid] = {t: v for t, v in w.items() if v > 0}
            self.exclude[cid] = {t: (1.0 + math.log(n)) * idf(t) for t, n in excl[cid].items()
                                 if t not in w}
            total = sum(self.weights[cid].values())
            self.norm[cid] = total ** NORM_POWER if total > 0 else 1.0
        # term -> codes using it (positive or negative), for a sparse scan of a segment: (code,
        # weight or None, exclude weight or 0)
        self._by_term: dict[str, list[tuple[str, float | None, float]]] = {}
        self._code_terms: dict[str, list[str]] = {}
        self._code_term_set: dict[str, frozenset] = {}
        for cid in self.codes:
            terms = sorted(set(self.weights[cid]) | set(self.exclude[cid]))
            self._code_terms[cid] = terms
            self._code_term_set[cid] = frozenset(terms)
            for t in terms:
                self._by_term.setdefault(t, []).append(
                    (cid, self.weights[cid].get(t), self.exclude[cid].get(t, 0.0)))
        self._last_context: tuple = ((), set())
        self._matrices: tuple | None = None

    def _bag(self, pipeline, texts) -> dict[str, int]:
        bag: dict[str, int] = {}
        for text in texts:
            lemmas = pipeline.keyword_lemmas(text)
            for t in content_terms(lemmas, self.stop_words):
                bag[t] = bag.get(t, 0) + 1
            words = [w for w in lemmas if any(ch.isalnum() for ch in w)]
            for a, b in zip(words, words[1:]):
                self.display.setdefault(a + b, f"{a} {b}")
        return bag

    @property
    def empty(self) -> bool:
        return not any(self.weights.values())

    def turn_terms(self, f) -> tuple[dict[str, int], set[str]]:
        """(term -> count in the turn, the question's terms) of segment features ``f``; kept on
        ``f`` (its lemmas do not change), and the question's terms shared by the turns after
        the same question. For features with ``words_at``: only the codebook's terms, from
        their transcript's lemma numbers (codebook_ids.turn_terms; the same scores and
        matches)."""
        hit = f.codebook_terms
        if hit is not None:
            return hit
        if f.words_at is not None:      # from its transcript's lemma numbers
            from .codebook_ids import turn_terms
            return turn_terms(self, f)
        tf: dict[str, int] = {}
        for t in self.terms(f.lemmas):
            tf[t] = tf.get(t, 0) + 1
        if f.context:
            last = self._last_context
            if last[0] is f.context:
                q = last[1]
            else:
                q = set(self.terms(f.context))
                self._last_context = (f.context, q)
        else:
            q = set(f.question)
        f.codebook_terms = (tf, q)
        return tf, q

    def scores(self, f) -> dict[str, float]:
        """code -> its score in segment features ``f`` (as :meth:`score`, without the words)."""
        tf, q = self.turn_terms(f)
        out: dict[str, float] = {}
        matched: set[str] = set()
        log = math.log
        by_term = self._by_term
        for t, n in tf.items():
            entries = by_term.get(t)
            if entries is None:
                continue
            for cid, w, ex in entries:
                v = 0.0
                if w is not None:
                    v += w * (1.0 + log(n))
                    matched.add(cid)
                v -= ex
                out[cid] = out.get(cid, 0.0) + v
        for t in q:
            entries = by_term.get(t)
            if entries is None or t in tf:
                continue
            for cid, w, _ex in entries:
                v = 0.0
                if w is not None:
                    v += QUESTION_WEIGHT * w
                    matched.add(cid)
                out[cid] = out.get(cid, 0.0) + v
        return {c: round(max(v, 0.0) / self.norm[c], 6) for c, v in out.items() if c in matched}

    def score_matrix(self, feats, codes: list[str]) -> numpy.ndarray:
        """:meth:`scores` of every segment in ``feats`` as a (segments x ``codes``) array, with
        sparse products over the codebook's terms instead of a loop over each code of each
        term (the same numbers: each score is the same sum, rounded to 6 decimals)."""
        col, W, M, EX, norm = self._score_matrices()
        rows: list = []
        cols: list = []
        vals: list = []
        qrows: list = []
        qcols: list = []
        log = math.log
        fast = [i for i, f in enumerate(feats) if f.words_at is not None]
        for i, f in enumerate(feats):
            if f.words_at is not None:
                continue
            tf, q = self.turn_terms(f)
            for t, n in tf.items():
                j = col.get(t)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
                    vals.append(1.0 + log(n))
            for t in q:
                j = col.get(t)
                if j is not None and t not in tf:
                    qrows.append(i)
                    qcols.append(j)
        entries: tuple = (rows, cols, vals, qrows, qcols)
        if fast:    # from the lemma numbers of their transcripts (codebook_ids.py)
            from .codebook_ids import turn_columns
            more = turn_columns(self, [feats[i] for i in fast], fast)
            entries = tuple(numpy.concatenate([numpy.asarray(a, b.dtype), b])
                            for a, b in zip(entries, more))
        rows, cols, vals, qrows, qcols = entries
        shape = (len(feats), len(col))
        tf_m = sparse.csr_matrix((vals, (rows, cols)), shape=shape)
        in_turn = sparse.csr_matrix((numpy.ones(len(rows)), (rows, cols)), shape=shape)
        in_q = sparse.csr_matrix((numpy.ones(len(qrows)), (qrows, qcols)), shape=shape)
        raw = ((tf_m @ W).toarray() + ((in_q * QUESTION_WEIGHT) @ W).toarray()
               - (in_turn @ EX).toarray())
        matched = ((in_turn + in_q) @ M).toarray() > 0
        from .codebook_ids import rounded6
        scores = numpy.zeros(raw.shape)
        scores[matched] = rounded6((numpy.maximum(raw, 0.0) / norm)[matched])
        out = numpy.zeros((len(feats), len(codes)))
        where = {c: k for k, c in enumerate(self.codes)}
        for j, c in enumerate(codes):
            k = where.get(c)
            if k is not None:
                out[:, j] = scores[:, k]
        return out

    def _score_matrices(self) -> tuple:
        """(term -> row, weights, positive-weight indicator, exclude weights, norms): terms x
        codes sparse matrices of :meth:`score_matrix`."""
        if self._matrices is None:
            terms = sorted(self._by_term)
            col = {t: j for j, t in enumerate(terms)}
            rw, cw, vw, re_, ce, ve = [], [], [], [], [], []
            for k, cid in enumerate(self.codes):
                for t, v in self.weights[cid].items():
                    rw.append(col[t])
                    cw.append(k)
                    vw.append(v)
                for t, v in self.exclude[cid].items():
                    re_.append(col[t])
                    ce.append(k)
                    ve.append(v)
            shape = (len(terms), len(self.codes))
            W = sparse.csr_matrix((vw, (rw, cw)), shape=shape)
            M = sparse.csr_matrix((numpy.ones(len(vw)), (rw, cw)), shape=shape)
            EX = sparse.csr_matrix((ve, (re_, ce)), shape=shape)
            norm = numpy.array([self.norm[c] for c in self.codes])
            self._matrices = (col, W, M, EX, norm)
        return self._matrices

    def score(self, f) -> dict[str, CodebookMatch]:
        """code -> its evidence in segment features ``f`` (codes without a match are left out)."""
        out: dict[str, CodebookMatch] = {}
        for cid in self.codes:
            m = self.match(f, cid)
            if m is not None:
                out[cid] = m
        return out

    def match(self, f, cid: str) -> CodebookMatch | None:
        """The evidence of code ``cid`` in segment features ``f`` (None: no word of it)."""
        tf, q = self.turn_terms(f)
        w, ex = self.weights.get(cid), self.exclude.get(cid)
        if w is None or ex is None:
            return None
        pos, qpos, neg = [], [], []
        s = 0.0
        # the code's terms present in the turn or its question, in the order of the code's
        # terms (sorted): the others add nothing
        terms = self._code_term_set[cid]
        for t in sorted(terms.intersection(tf).union(terms.intersection(q))):
            if t in tf and t in w:
                v = w[t] * (1.0 + math.log(tf[t]))
                pos.append((v, t))
                s += v
            elif t in q and t in w:
                v = QUESTION_WEIGHT * w[t]
                qpos.append((v, t))
                s += v
            if t in tf and t in ex:
                v = ex[t]
                neg.append((v, t))
                s -= v
        if not pos and not qpos:
            return None
        s /= self.norm[cid]
        # a joined pair whose two words matched on their own says nothing new to the coder
        pos = [(v, t) for v, t in pos if not self._redundant(t, tf)]
        qpos = [(v, t) for v, t in qpos if not self._redundant(t, q)]
        names = self.name_terms.get(cid, set())
        return CodebookMatch(round(max(s, 0.0), 6), self._top(pos), self._top(qpos),
                             self._top(neg), all(t in names for _, t in pos + qpos))

    def _redundant(self, t: str, present) -> bool:
        words = self._display_words.get(t)
        if words is None:
            d = self.display.get(t)
            words = self._display_words[t] = tuple(d.split()) if d is not None else ()
        return bool(words) and all(w in present for w in words)

    def _top(self, items) -> tuple:
        """The strongest matched words, a joined pair shown as its two words (and those words
        not again on their own)."""
        items.sort(key=lambda x: (-x[0], x[1]))
        shown: list[str] = []
        covered: set[str] = set()
        for _, t in items:
            d = self.display.get(t, t)
            if d in covered:
                continue
            shown.append(d)
            covered.add(d)
            covered.update(d.split())
        return tuple(shown[:MAX_REASON_WORDS])


def _stop_words(pipeline) -> frozenset:
    try:
        return frozenset(w.lower() for w in pipeline.nlp.Defaults.stop_words)
    except AttributeError:
        return frozenset()


def corpus_frequencies(pipeline, texts, stop_words=None) -> tuple[dict[str, int], int]:
    """In how many of ``texts`` each content term occurs (lemmas by a quick regex tokenisation
    and the pipeline's lemma lookup: a statistic, not the suggestion itself), and their number
    (counted from numbers in codebook_ids.py)."""
    from .codebook_ids import corpus_frequencies as counted
    stop = stop_words if stop_words is not None else _stop_words(pipeline)
    return counted(pipeline.lemma_word, ContentTerms(stop), texts)
