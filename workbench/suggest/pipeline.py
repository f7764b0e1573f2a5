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
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ProjectError

if TYPE_CHECKING:
    from spacy.language import Language


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
    _cache: dict = field(default_factory=dict, repr=False)
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
        """Docs for many texts (``nlp.pipe`` with batching), lemmas set."""
        out = []
        with self.lock:
            for doc in self.nlp.pipe(texts, batch_size=batch_size):
                self.set_lemmas(doc)
                out.append(doc)
        return out

    def keyword_lemmas(self, text: str) -> list[str]:
        """Lemmas of a keyword phrase, tokenized and lemmatized like the transcripts."""
        return [t.lemma_ for t in self.make_doc(text)]


def _lookup_table(lang: str):
    """The ``lemma_lookup`` table of spacy-lookups-data for ``lang``, or None."""
    try:
        from spacy.lookups import load_lookups
        return load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")
    except (ValueError, KeyError, ImportError, OSError):
        return None


def _table_functions(table):
    if table is None:
        return (lambda w: w), (lambda w: False)
    known = set(table.values())

    def lemma(w: str) -> str:
        return table.get(w, w)

    def is_known(w: str) -> bool:
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
            if "senter" not in nlp.pipe_names and "sentencizer" not in nlp.pipe_names:
                nlp.add_pipe("sentencizer")
            # the dictionary for "is this a real word" (fuzzy matching) is the lookup table
            # either way: the pipeline's own vocabulary grows with every word it has seen
            lemma, known = _table_functions(_lookup_table(lang))
            if "lemmatizer" in nlp.pipe_names:
                return Pipeline(nlp=nlp, language=lang,
                                description=f"spaCy pipeline '{spacy_model}' (its own lemmas)",
                                lemma_word=lemma, known_word=known,
                                model_lemmas=True, notes=notes)
            return Pipeline(nlp=nlp, language=lang,
                            description=f"spaCy pipeline '{spacy_model}' + lookup lemmas",
                            lemma_word=lemma, known_word=known, notes=notes)
        notes.append(f"spacy_model '{spacy_model}' is not installed; using a blank "
                     f"'{language}' pipeline with lookup lemmas (nothing is downloaded)")
    try:
        nlp = spacy.blank(language)
    except (ImportError, KeyError, ValueError):
        raise ProjectError(f"spaCy has no language '{language}'",
                           hint='set language in workbench.toml to a spaCy language code, '
                                'e.g. "en" or "ru"') from None
    nlp.add_pipe("sentencizer")
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
                            lemma_word=lemma, known_word=morph.word_is_known, notes=notes)
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
                    known_word=known, notes=notes)
