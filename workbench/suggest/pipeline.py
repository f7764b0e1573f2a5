"""The spaCy pipeline behind the suggestions: tokens, lowercase lemmas and sentences.

Three set-ups, chosen from ``workbench.toml``:

* ``spacy_model = "en_core_web_sm"`` (or any installed pipeline package) — used when it is
  installed (parser and NER are left out for speed); its lemmas are lowercased (where it
  leaves a word as it was, the lookup table's lemma of the lowercase word). When it is
  named but not installed, the blank pipeline below is used and a note says so. Nothing is ever
  downloaded.
* ``language = "ru"`` with ``pymorphy3`` installed (``pip install workbench[ru]``) — a blank
  Russian tokenizer and pymorphy3 normal forms (the first parse of each word).
* otherwise — ``spacy.blank(language)`` and the lookup lemma table of ``spacy-lookups-data``
  (``funded``/``funding`` → ``fund``). A language without a lookup table gets lowercase words.

Lemmas are looked up once per distinct word (a cache keyed by the token's ``orth``), so
lemmatizing 400,000 words costs well under a second. The lookup tables map *inflected* forms
only, and they do not lowercase, so every lemma here is the table entry for the lowercased word,
falling back to the lowercased word itself.

:meth:`Pipeline.parse` is the one pass over a transcript's tokens: the tokenizer, then each
token's lemma and kind (punctuation or space, stop word, content word) from a cache per distinct
word, read from the doc's arrays without making a Python object per token; the blank pipelines
split sentences only in the few turns where a keyword fired (:meth:`Pipeline.sentences`).
"""
from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy

from ..errors import ProjectError
from .tokens import CONTENT, PUNCT, STOP, TokenBatch, Words, unique_inverse

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# the kind of a token (Parsed.kinds): PUNCT (punctuation or space: not a word), STOP (a stop
# word of the language), CONTENT (any other word) — defined in tokens.py
__all__ = ["CONTENT", "PUNCT", "STOP", "Parsed", "Pipeline", "build_pipeline"]


class Parsed:
    """One text through :meth:`Pipeline.parse`: the doc (lemmas set), the text, and its tokens
    in ``batch`` (a :class:`~.tokens.TokenBatch`, text ``i``): each token's ``orth`` id, and per
    token a row (lemma id, lowercase lemma, kind: :data:`PUNCT`, :data:`STOP` or
    :data:`CONTENT`), made from the batch's numbers when asked for."""

    __slots__ = ("doc", "text", "batch", "i", "_chars")

    def __init__(self, doc: Doc, text: str, batch: TokenBatch, i: int):
        self.doc = doc
        self.text = text
        self.batch = batch
        self.i = i
        self._chars: tuple[list[int], list[int]] | None = None

    def chars(self) -> tuple[list[int], list[int]]:
        """(first character, character after the last) of every token in the text, as
        spaCy's ``Token.idx`` and ``idx + len(token)``."""
        if self._chars is None:
            a, b = self._span()
            self._chars = (self.batch.idx[a:b].tolist(), self.batch.end[a:b].tolist())
        return self._chars

    def _span(self) -> tuple[int, int]:
        st = self.batch.starts
        return int(st[self.i]), int(st[self.i + 1])

    @property
    def orths(self) -> list[int]:
        """The ``orth`` id of every token."""
        a, b = self._span()
        return self.batch.orth[a:b].tolist()

    @property
    def rows(self) -> list[tuple[int, str, int]]:
        """(lemma id, lemma, kind) of every token."""
        a, b = self._span()
        _, _, hashes, names = self.batch.words.arrays()
        lem = self.batch.lemma[a:b]
        return list(zip(hashes[lem].tolist(), names[lem].tolist(),
                        self.batch.kind[a:b].tolist()))

    @property
    def lemmas(self) -> list[str]:
        """The lemma of every token."""
        a, b = self._span()
        return self.batch.words.arrays()[3][self.batch.lemma[a:b]].tolist()

    @property
    def kinds(self) -> list[int]:
        """The kind of every token."""
        a, b = self._span()
        return self.batch.kind[a:b].tolist()

    def _lemmas_where(self, keep) -> list[str]:
        a, b = self._span()
        lem = self.batch.lemma[a:b][keep(self.batch.kind[a:b])]
        return self.batch.words.arrays()[3][lem].tolist()

    def words(self) -> tuple[str, ...]:
        """The lemmas of the words (no punctuation or space), in order."""
        return tuple(self._lemmas_where(lambda k: k != PUNCT))

    def content(self) -> tuple[str, ...]:
        """The distinct lemmas of the content words (no stop words), in order of first use."""
        return tuple(dict.fromkeys(self._lemmas_where(lambda k: k == CONTENT)))


@dataclass
class Pipeline:
    """A spaCy ``nlp`` plus the lemma and known-word functions the rules and model use."""

    nlp: Language
    language: str
    description: str
    lemma_word: Callable[[str], str]    # lowercase word -> lemma
    known_word: Callable[[str], bool]   # lowercase word -> in the dictionary
    model_lemmas: bool = False  # lemmas come from the loaded pipeline itself
    notes: list[str] = field(default_factory=list)
    # a sentencizer that parse() leaves out and sentences() applies to the docs that need it
    # (None: nlp.pipe sets the sentences itself)
    sentencizer: Any = None
    _cache: dict = field(default_factory=dict, repr=False)     # orth -> lemma id
    words_table: Words = field(default_factory=Words, repr=False)   # distinct words, lemmas
    _sent_flags: dict = field(default_factory=dict, repr=False)  # orth -> (ends sent., punct)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- lemmas -------------------------------------------------------------------------------
    def set_lemmas(self, doc) -> None:
        """Set ``token.lemma_`` of every token to its lowercase lemma (cached per word)."""
        strings = doc.vocab.strings
        cache = self._cache
        if self.model_lemmas:
            # the pipeline's lemma, lowercased; where it left the word as it was (often a
            # capitalised word), the lookup table's lemma of the lowercase word
            for tok in doc:
                lem = tok.lemma_
                low = lem.lower()
                if low == tok.lower_:
                    low = self.lemma_word(low)
                if low != lem:
                    tok.lemma = strings.add(low)
            return
        for tok in doc:
            orth = tok.orth
            lem = cache.get(orth)
            if lem is None:
                lem = strings.add(self.lemma_word(tok.lower_))
                cache[orth] = lem
            tok.lemma = lem

    def make_doc(self, text: str):
        """A single doc through the whole pipeline, lemmas set."""
        with self.lock:
            doc = self.nlp(text)
            self.set_lemmas(doc)
        return doc

    def pipe(self, texts, batch_size: int = 256) -> list:
        """Docs for many texts (``nlp.pipe`` with batching), lemmas and sentences set."""
        return [self.sentences(p.doc) for p in self.parse(texts, batch_size)]

    def sentences(self, doc):
        """``doc`` with its sentences set (parse() leaves them out in a blank pipeline)."""
        if self.sentencizer is not None and len(doc) and not doc.has_annotation("SENT_START"):
            self.sentencizer(doc)
        return doc

    def sentence_of(self, parsed: Parsed, token: int, starts: list[int] | None = None
                    ) -> tuple[int, int]:
        """Character offsets (start, end) in the text of the sentence holding token ``token``;
        ``starts``: :meth:`sentence_starts` of ``parsed``, when already known."""
        doc = parsed.doc
        if self.sentencizer is None:
            sent = doc[token].sent
            return sent.start_char, sent.end_char
        if starts is None:
            starts = self.sentence_starts(parsed)
        k = bisect_right(starts, token) - 1
        last = (starts[k + 1] if k + 1 < len(starts) else len(doc)) - 1
        begin, end = parsed.chars()
        return begin[starts[k]], end[last]      # as spaCy's Span.start_char / end_char

    def sentence_starts(self, parsed: Parsed) -> list[int]:
        """The tokens where sentences start, by the rule of spaCy's ``Sentencizer`` (a new
        sentence at the first token after sentence-final punctuation that is neither
        punctuation nor a sentence-final character), from the flags of each distinct word —
        the sentences ``self.sentencizer`` would set, without a Python object per token (found
        for the whole batch of ``parsed`` at once)."""
        batch = parsed.batch
        marks = batch.sentences
        if marks is None:
            marks = batch.sentences = self._sentence_marks(batch)
        a, b = parsed._span()
        return [0] + numpy.flatnonzero(marks[a:b]).tolist()

    def _sentence_marks(self, batch: TokenBatch) -> numpy.ndarray:
        """Per token of ``batch``: whether a sentence starts there (other than at the first
        token of a text). A token starts one when it is a word (neither punctuation nor a
        sentence-final character) and the last token before it in its text that is a word or
        sentence-final is sentence-final: the Sentencizer's rule, as a scan would apply it."""
        flags = self._sent_flags
        punct_chars = self.sentencizer.punct_chars
        vocab = self.nlp.vocab
        uniq, _, inv = batch.distinct

        def flag(orth: int) -> tuple[bool, bool]:
            fl = flags.get(orth)
            if fl is None:
                lex = vocab[orth]
                fl = flags[orth] = (lex.orth_ in punct_chars, bool(lex.is_punct))
            return fl
        fl = [flag(o) for o in uniq.tolist()]
        final = numpy.fromiter((f[0] for f in fl), dtype=bool, count=len(fl))[inv]
        punct = numpy.fromiter((f[1] for f in fl), dtype=bool, count=len(fl))[inv]
        word = ~punct & ~final
        at = numpy.flatnonzero(word | final)
        text = numpy.searchsorted(batch.starts, at, side="right")
        marks = numpy.zeros(len(batch.orth), dtype=bool)
        starts = at[1:][word[at[1:]] & final[at[:-1]] & (text[1:] == text[:-1])]
        marks[starts] = True
        return marks

    def parse(self, texts, batch_size: int = 256, doc_lemmas: bool = True) -> list[Parsed]:
        """Every text through the pipeline in one batched pass (see module doc): its doc with
        lemmas set (``doc_lemmas=False``: only in the numbers, for callers that match nothing
        on the doc), and each token's orth, lemma and kind."""
        return self.parse_batch(texts, batch_size, doc_lemmas)[1]

    def parse_batch(self, texts, batch_size: int = 256, doc_lemmas: bool = True
                    ) -> tuple[TokenBatch, list[Parsed]]:
        """:meth:`parse`, and the batch of numbers its :class:`Parsed` are views of: the docs'
        ``orth`` arrays, each distinct ``orth`` looked up once in the table of words, and the
        lemmas and kinds of all tokens by indexing its arrays (no Python object per token)."""
        from spacy.attrs import IDX, LEMMA, ORTH
        disable = ["sentencizer"] if self.sentencizer is not None else []
        with self.lock:
            texts = list(texts)
            docs = list(self.nlp.pipe(texts, batch_size=batch_size, disable=disable))
            starts = numpy.zeros(len(docs) + 1, dtype=numpy.int64)
            numpy.cumsum(numpy.fromiter(map(len, docs), dtype=numpy.int64, count=len(docs)),
                         out=starts[1:])
            arrays = [d.to_array([ORTH, IDX]) for d in docs if len(d)]
            both = (numpy.concatenate(arrays) if arrays
                    else numpy.zeros((0, 2), dtype=numpy.uint64))
            orth = numpy.ascontiguousarray(both[:, 0]).astype(numpy.uint64, copy=False)
            idx = both[:, 1].astype(numpy.int64)
            table = self.words_table
            uniq, first, inv = unique_inverse(orth)
            word_of = table.word_of
            vocab = self.nlp.vocab
            wn = numpy.fromiter((word_of[o] if o in word_of else self._add_orth(o, vocab)
                                 for o in uniq.tolist()), dtype=numpy.int64, count=len(uniq))
            wl, wk, lh, _ = table.arrays()
            wtok = wn[inv.reshape(-1)]
            kind = wk[wtok]
            if self.model_lemmas:
                # the pipeline's own lemma of each token (lowercased), with the word's kind
                for d in docs:
                    self.set_lemmas(d)
                ids = [d.to_array(LEMMA) for d in docs if len(d)]
                hashes = (numpy.concatenate(ids).astype(numpy.uint64, copy=False) if ids
                          else numpy.zeros(0, dtype=numpy.uint64))
                hu, _, hinv = unique_inverse(hashes)
                strings = vocab.strings
                ln = numpy.fromiter((table.lemma_number(strings[h], h) for h in hu.tolist()),
                                    dtype=numpy.int64, count=len(hu))
                lemma = ln[hinv.reshape(-1)]
            else:
                lemma = wl[wtok]
                if doc_lemmas and len(orth):
                    lemma_h = lh[lemma]
                    for i, d in enumerate(docs):
                        if len(d):
                            d.from_array([LEMMA], lemma_h[starts[i]:starts[i + 1]])
            end = idx + table.word_lengths()[wtok]
            batch = TokenBatch(table, orth, lemma, kind, starts, (uniq, first, inv), idx, end)
            return batch, [Parsed(d, t, batch, i) for i, (t, d) in enumerate(zip(texts, docs))]

    def _add_orth(self, orth: int, vocab) -> int:
        """Number a word not seen before: its lemma (of the lowercase word) and kind."""
        lex = vocab[orth]
        table = self.words_table
        if self.model_lemmas:
            lemma_n = -1         # the pipeline's lemma is per token
        else:
            lemma = self.lemma_word(lex.lower_)
            h = vocab.strings.add(lemma)
            self._cache[orth] = h
            lemma_n = table.lemma_number(lemma, h)
        kind = PUNCT if (lex.is_punct or lex.is_space) else STOP if lex.is_stop else CONTENT
        return table.add_word(orth, lemma_n, kind, len(lex.orth_))

    def keyword_lemmas(self, text: str) -> list[str]:
        """Lemmas of a keyword phrase, tokenized and lemmatized like the transcripts."""
        return [t.lemma_ for t in self.make_doc(text)]


def _lookup_table(lang: str) -> dict[str, str] | None:
    """The ``lemma_lookup`` table of spacy-lookups-data for ``lang`` (word -> lemma), or None.
    The plain dict spaCy's ``load_lookups`` fills its table from: the same entries, without
    hashing every key into a spaCy ``Table`` first."""
    try:
        from spacy.util import load_language_data, registry
        data = registry.lookups.get(lang)
        table = load_language_data(data["lemma_lookup"])
    except (ValueError, KeyError, ImportError, OSError, TypeError):
        return None
    return table if isinstance(table, dict) else None


def _table_functions(table):
    if table is None:
        return (lambda w: w), (lambda w: False)
    known: set[str] = set()     # the lemmas, made on the first question (fuzzy keywords only)

    def lemma(w: str) -> str:
        return table.get(w, w)

    def is_known(w: str) -> bool:
        if not known:
            known.update(table.values())
        return w in table or w in known
    return lemma, is_known


def _pymorphy():
    try:
        import pymorphy3
    except ImportError:
        return None
    try:
        return pymorphy3.MorphAnalyzer(lang="ru")
    except Exception:
        return None


def build_pipeline(language: str = "en", spacy_model: str | None = None) -> Pipeline:
    """Build the pipeline for a project's ``language`` / ``spacy_model`` (see module doc)."""
    import spacy
    notes: list[str] = []
    language = (language or "en").strip()
    if spacy_model:
        if spacy.util.is_package(spacy_model):
            nlp = spacy.load(spacy_model, exclude=["parser", "ner"])
            lang = nlp.lang or language   # a loaded pipeline always names its language
            lazy = None
            if "senter" not in nlp.pipe_names and "sentencizer" not in nlp.pipe_names:
                lazy = nlp.add_pipe("sentencizer")
            # the dictionary for "is this a real word" (fuzzy matching) is the lookup table
            # either way: the pipeline's own vocabulary grows with every word it has seen
            lemma, known = _table_functions(_lookup_table(lang))
            if "lemmatizer" in nlp.pipe_names:
                return Pipeline(nlp=nlp, language=lang,
                                description=f"spaCy pipeline '{spacy_model}' (its own lemmas)",
                                lemma_word=lemma, known_word=known,
                                model_lemmas=True, notes=notes, sentencizer=lazy)
            return Pipeline(nlp=nlp, language=lang,
                            description=f"spaCy pipeline '{spacy_model}' + lookup lemmas",
                            lemma_word=lemma, known_word=known, notes=notes, sentencizer=lazy)
        notes.append(f"spacy_model '{spacy_model}' is not installed; using a blank "
                     f"'{language}' pipeline with lookup lemmas (nothing is downloaded)")
    try:
        nlp = spacy.blank(language)
    except (ImportError, KeyError, ValueError):
        raise ProjectError(f"spaCy has no language '{language}'",
                           hint='set language in workbench.toml to a spaCy language code, '
                                'e.g. "en" or "ru"') from None
    sentencizer = nlp.add_pipe("sentencizer")
    if language == "ru":
        morph = _pymorphy()
        if morph is not None:
            cache: dict[str, str] = {}

            def lemma(w: str) -> str:
                hit = cache.get(w)
                if hit is None:
                    parses = morph.parse(w)
                    hit = parses[0].normal_form if parses else w
                    cache[w] = hit
                return hit
            return Pipeline(nlp=nlp, language="ru",
                            description="spaCy blank('ru') + pymorphy3 lemmas",
                            lemma_word=lemma, known_word=morph.word_is_known, notes=notes,
                            sentencizer=sentencizer)
        notes.append("pymorphy3 is not installed (pip install 'workbench[ru]'); Russian "
                     "lemmas come from the spacy-lookups-data table")
    table = _lookup_table(language)
    lemma, known = _table_functions(table)
    if table is None:
        notes.append(f"no lemma table for '{language}' in spacy-lookups-data; keywords match "
                     "lowercase words (and spelling variants)")
        desc = f"spaCy blank('{language}'), lowercase words"
    else:
        desc = f"spaCy blank('{language}') + lookup lemmas (spacy-lookups-data)"
    return Pipeline(nlp=nlp, language=language, description=desc, lemma_word=lemma,
                    known_word=known, notes=notes, sentencizer=sentencizer)
