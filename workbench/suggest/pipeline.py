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

from ..errors import ProjectError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# the kind of a token (Parsed.kinds)
PUNCT = 0     # punctuation or space: not a word
STOP = 1      # a stop word of the language
CONTENT = 2   # any other word


@dataclass(slots=True)
class Parsed:
    """One text through :meth:`Pipeline.parse`: the doc (lemmas set), the text, each token's
    ``orth`` id, and per token a row (lemma id, lowercase lemma, kind: :data:`PUNCT`,
    :data:`STOP` or :data:`CONTENT`) — one shared tuple per distinct word."""

    doc: Doc
    text: str
    orths: list[int]
    rows: list[tuple[int, str, int]]

    @property
    def lemmas(self) -> list[str]:
        """The lemma of every token."""
        return [r[1] for r in self.rows]

    @property
    def kinds(self) -> list[int]:
        """The kind of every token."""
        return [r[2] for r in self.rows]

    def words(self) -> tuple[str, ...]:
        """The lemmas of the words (no punctuation or space), in order."""
        return tuple([r[1] for r in self.rows if r[2]])

    def content(self) -> tuple[str, ...]:
        """The distinct lemmas of the content words (no stop words), in order of first use."""
        return tuple(dict.fromkeys([r[1] for r in self.rows if r[2] == CONTENT]))


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
    _info: dict = field(default_factory=dict, repr=False)      # orth -> (lemma id, lemma, kind)
    _strings: dict = field(default_factory=dict, repr=False)   # lemma id -> lemma
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
        first = doc[starts[k]]
        last = doc[(starts[k + 1] if k + 1 < len(starts) else len(doc)) - 1]
        return first.idx, last.idx + len(last)      # as spaCy's Span.start_char / end_char

    def sentence_starts(self, parsed: Parsed) -> list[int]:
        """The tokens where sentences start, by the rule of spaCy's ``Sentencizer`` (a new
        sentence at the first token after sentence-final punctuation that is neither
        punctuation nor a sentence-final character), on the cached flags of each word — the
        sentences ``self.sentencizer`` would set, without a Python object per token."""
        flags = self._sent_flags
        punct_chars = self.sentencizer.punct_chars
        vocab = parsed.doc.vocab
        starts = [0]
        seen_period = False
        for i, orth in enumerate(parsed.orths):
            fl = flags.get(orth)
            if fl is None:
                lex = vocab[orth]
                fl = flags[orth] = (lex.orth_ in punct_chars, bool(lex.is_punct))
            if seen_period and not fl[1] and not fl[0]:
                starts.append(i)
                seen_period = False
            elif fl[0]:
                seen_period = True
        return starts

    def parse(self, texts, batch_size: int = 256, doc_lemmas: bool = True) -> list[Parsed]:
        """Every text through the pipeline in one batched pass (see module doc): its doc with
        lemmas set (``doc_lemmas=False``: only in the lists, for callers that match nothing
        on the doc), and each token's orth, lemma and kind."""
        from spacy.attrs import LEMMA, ORTH
        out = []
        disable = ["sentencizer"] if self.sentencizer is not None else []
        with self.lock:
            info = self._info
            add = self._add_orth
            texts = list(texts)
            for text, doc in zip(texts, self.nlp.pipe(texts, batch_size=batch_size,
                                                      disable=disable)):
                orths = doc.to_array(ORTH).tolist() if len(doc) else []
                rows = [info[o] if o in info else add(o, doc.vocab) for o in orths]
                if self.model_lemmas:
                    # the pipeline's own lemma of each token, with the word's kind
                    self.set_lemmas(doc)
                    strings = self._strings
                    ids = doc.to_array(LEMMA).tolist() if len(doc) else []
                    rows = [(h, strings[h] if h in strings else self._add_string(h, doc.vocab),
                             r[2]) for h, r in zip(ids, rows)]
                elif rows and doc_lemmas:
                    import numpy
                    doc.from_array([LEMMA], numpy.array([r[0] for r in rows],
                                                        dtype=numpy.uint64))
                out.append(Parsed(doc, text, orths, rows))
        return out

    def _add_orth(self, orth: int, vocab) -> tuple[int, str, int]:
        lex = vocab[orth]
        if self.model_lemmas:
            lemma_id, lemma = 0, ""      # the pipeline's lemma is per token
        else:
            lemma = self.lemma_word(lex.lower_)
            lemma_id = vocab.strings.add(lemma)
            self._cache[orth] = lemma_id
        kind = PUNCT if (lex.is_punct or lex.is_space) else STOP if lex.is_stop else CONTENT
        row = self._info[orth] = (lemma_id, lemma, kind)
        return row

    def _add_string(self, h: int, vocab) -> str:
        s = self._strings[h] = vocab.strings[h]
        return s

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
