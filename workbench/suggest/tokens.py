"""The tokens of one batch of texts as numbers: what :meth:`.pipeline.Pipeline.parse` hands on
instead of a Python object (or tuple) per token.

* :class:`Words` — the pipeline's table of distinct words (by spaCy ``orth``) and distinct
  lemmas: each word's lemma number and kind, each lemma's string and spaCy hash, looked up
  once per distinct word and kept as numpy arrays.
* :class:`TokenBatch` — every token of a batch of texts: its ``orth``, lemma number and kind,
  and where each text's tokens start (the :class:`~.pipeline.Parsed` of text ``i`` is a view of
  it).
* :class:`TurnWords` — the words (no punctuation or space) of a transcript's segments as lemma
  numbers, shared by their :class:`~.data.SegmentFeatures` (``words_at``): the learned evidence
  (:mod:`.vectors`) and the codebook evidence (:mod:`.codebook_text`) derive their term
  numbers from it for all segments at once, with numpy, instead of from each segment's tuple
  of lemma strings. The plain paths from the strings remain (coded passages, tests) and give
  the same terms.
"""
from __future__ import annotations

import numpy

# the kind of a token (as in pipeline.py)
PUNCT, STOP, CONTENT = 0, 1, 2
_SHIFT = numpy.int64(1 << 32)


def pair_codes(a: numpy.ndarray, b: numpy.ndarray) -> numpy.ndarray:
    """One int64 per pair of lemma numbers (a, b)."""
    return a.astype(numpy.int64) * _SHIFT + b.astype(numpy.int64)


class Words:
    """Distinct words and lemmas seen by one pipeline (see module doc)."""

    def __init__(self):
        self.word_of: dict[int, int] = {}        # orth -> word number
        self.word_lemma: list[int] = []           # word number -> lemma number
        self.word_kind: list[int] = []            # word number -> kind
        self.word_len: list[int] = []             # word number -> its length in characters
        self.lemma_of: dict[str, int] = {}        # lemma -> lemma number
        self.lemma_names: list[str] = []          # lemma number -> lemma
        self.lemma_hash: list[int] = []           # lemma number -> spaCy string hash
        self._arrays: tuple = (-1, -1, None, None, None, None, None)
        # per-lemma-number arrays of the evidence that reads these numbers (vectors,
        # codebook): {key: (array, filled up to)}
        self.derived: dict = {}

    def lemma_number(self, lemma: str, h: int) -> int:
        n = self.lemma_of.get(lemma)
        if n is None:
            n = self.lemma_of[lemma] = len(self.lemma_names)
            self.lemma_names.append(lemma)
            self.lemma_hash.append(h)
        return n

    def add_word(self, orth: int, lemma_n: int, kind: int, length: int) -> int:
        w = self.word_of[orth] = len(self.word_lemma)
        self.word_lemma.append(lemma_n)
        self.word_kind.append(kind)
        self.word_len.append(length)
        return w

    def arrays(self) -> tuple:
        """(word -> lemma number, word -> kind, lemma -> hash (uint64), lemma -> string
        (object)) as numpy arrays, remade when words or lemmas were added."""
        return self._all()[:4]

    def word_lengths(self) -> numpy.ndarray:
        """word -> its length in characters."""
        return self._all()[4]

    def _all(self) -> tuple:
        nw, nl, *arrays = self._arrays
        if nw != len(self.word_lemma) or nl != len(self.lemma_names):
            wl = numpy.array(self.word_lemma, dtype=numpy.int64)
            wk = numpy.array(self.word_kind, dtype=numpy.int8)
            lh = numpy.array(self.lemma_hash, dtype=numpy.uint64)
            ls = numpy.empty(len(self.lemma_names), dtype=object)
            ls[:] = self.lemma_names
            wn = numpy.array(self.word_len, dtype=numpy.int64)
            arrays = [wl, wk, lh, ls, wn]
            self._arrays = (len(self.word_lemma), len(self.lemma_names), *arrays)
        return tuple(arrays)


class TokenBatch:
    """Every token of a batch of texts (see module doc); ``starts[i]:starts[i + 1]`` are the
    tokens of text ``i``."""

    __slots__ = ("words", "orth", "lemma", "kind", "starts", "distinct", "sentences", "idx",
                 "end")

    def __init__(self, words: Words, orth, lemma, kind, starts, distinct, idx=None, end=None):
        self.words = words
        self.orth = orth          # uint64 per token
        self.lemma = lemma        # lemma number per token
        self.kind = kind          # int8 per token
        self.starts = starts      # int64, one more than the texts
        self.distinct = distinct  # unique_inverse(orth)
        self.sentences: numpy.ndarray | None = None   # sentence starts (Pipeline.sentence_starts)
        self.idx = idx            # each token's first character in its text (spaCy Token.idx)
        self.end = end            # and the character after its last

    def turn_words(self) -> TurnWords:
        """The words of each text of the batch (:class:`TurnWords`)."""
        keep = self.kind != PUNCT
        return TurnWords(self.words, self.lemma[keep], self.offsets(keep))

    def offsets(self, keep: numpy.ndarray) -> numpy.ndarray:
        """Where each text's tokens start among the tokens where ``keep`` holds."""
        c = numpy.zeros(len(keep) + 1, dtype=numpy.int64)
        numpy.cumsum(keep, out=c[1:])
        return c[self.starts]


class TurnWords:
    """The word lemma numbers of a transcript's segments: ``lemma[starts[i]:starts[i + 1]]``
    are segment ``i``'s (see module doc). ``contexts[i]``: the segments whose words make
    segment ``i``'s context, in order (set by data.transcript_features)."""

    __slots__ = ("words", "lemma", "starts", "contexts", "cache")

    def __init__(self, words: Words, lemma, starts):
        self.words = words
        self.lemma = lemma
        self.starts = starts
        self.contexts: list[tuple] = []
        self.cache: dict = {}      # what the evidence derived from it: {key: value}

    def __len__(self) -> int:
        return len(self.starts) - 1

    def segment_of_words(self) -> numpy.ndarray:
        """The segment of each word."""
        return numpy.repeat(numpy.arange(len(self), dtype=numpy.int64), numpy.diff(self.starts))

    def lemmas_of(self, parts: tuple) -> numpy.ndarray:
        """The lemma numbers of segments ``parts`` one after the other."""
        if len(parts) == 1:
            i = parts[0]
            return self.lemma[self.starts[i]:self.starts[i + 1]]
        return numpy.concatenate([self.lemma[self.starts[i]:self.starts[i + 1]] for i in parts]
                                 or [numpy.zeros(0, dtype=numpy.int64)])


def per_lemma(words: Words, key, fn, dtype) -> numpy.ndarray:
    """An array over ``words``' lemma numbers of ``fn(lemma)``, kept in ``words.derived[key]``
    and extended when lemmas were added."""
    arr, done = words.derived.get(key, (numpy.zeros(0, dtype=dtype), 0))
    n = len(words.lemma_names)
    if done < n:
        new = numpy.fromiter((fn(w) for w in words.lemma_names[done:n]), dtype=dtype,
                             count=n - done)
        arr = numpy.concatenate([arr, new])
        words.derived[key] = (arr, n)
    return arr


def runs(seg: numpy.ndarray, n: int) -> numpy.ndarray:
    """Offsets (n + 1) of the runs of a sorted array of segment numbers ``seg`` in 0..n-1."""
    out = numpy.zeros(n + 1, dtype=numpy.int64)
    numpy.cumsum(numpy.bincount(seg, minlength=n), out=out[1:])
    return out


def unique_inverse(a: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(sorted distinct values, index of the first occurrence of each, index of each element's
    value among them): ``numpy.unique(a, return_index=True, return_inverse=True)`` by one
    stable sort (numpy 2's hashing way is several times slower on arrays this size)."""
    order = numpy.argsort(a, kind="stable")
    s = a[order]
    new = numpy.ones(len(s), dtype=bool)
    numpy.not_equal(s[1:], s[:-1], out=new[1:])
    inv = numpy.empty(len(a), dtype=numpy.int64)
    inv[order] = numpy.cumsum(new) - 1
    return s[new], order[new], inv
