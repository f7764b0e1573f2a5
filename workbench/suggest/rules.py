"""Rule suggestions from the codebook: keywords and patterns matched on lemmas.

For every code:

* each entry of ``keywords`` becomes a spaCy ``PhraseMatcher`` pattern on lemmas, so that
  ``keywords: ["fund"]`` fires on "fund", "funds", "funded" and "funding", and
  ``"project fund"`` on "project funds";
* hyphen and spacing variants match too: ``"low-interest loan"`` fires on "low interest loans"
  and "lowinterest loan", ``"e mail"`` on "e-mail" and "email";
* a keyword whose last word ends in ``*`` is a prefix: ``"competit*"`` fires on
  "competitive", "competitors", "competitiveness" (a ``Matcher`` pattern on the lowercase word);
* an optional ``patterns`` list holds spaCy ``Matcher`` token patterns for anything else, e.g.
  ``patterns: [[{"LEMMA": "fund"}, {"OP": "?"}, {"LEMMA": "project"}]]`` (each may also be
  ``{name: "...", pattern: [...]}``); lemmas are lowercase.

Spelling variants and transcription errors: a word that is not in the dictionary (the lemma
table, or pymorphy3 for Russian) and is at least ``MIN_FUZZY_LEN`` letters long is compared with
rapidfuzz (``fuzz.ratio``) to every word of every keyword; at ``fuzzy_threshold`` (0-100) or above
it counts as that keyword word, so "fundng" fires the keyword "funding". Dictionary words are
never "corrected" ("founding" does not fire "funding").

Every hit carries its reason, shown to the coder: ``keyword "project fund"`` (same words),
``keyword "fund" (lemma match)``, ``pattern "competit*"``, ``fuzzy "fundng"≈"funding" (92)``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import CodebookError

MIN_FUZZY_LEN = 5


@dataclass(slots=True)
class RuleHit:
    """One rule firing in a doc: character offsets relative to the doc's text (not frozen:
    nothing changes a hit, and a frozen dataclass takes six times as long to make)."""

    code: str
    score: float      # 1.0 for keyword/pattern hits, rapidfuzz score / 100 for fuzzy hits
    reason: str
    start: int
    end: int
    token: int        # index of the first matched token (to find its sentence)


@dataclass
class _Rule:
    code: str
    label: str        # the keyword or pattern as written in the codebook
    kind: str         # "keyword" | "prefix" | "pattern"
    lower: str = ""   # the keyword's own lowercase text (for "same words" vs "lemma match")


def spelling_variants(kw: str) -> list[str]:
    """The keyword as written plus its hyphen and spacing variants: "low-interest loan" also as
    "low interest loan" and "lowinterest loan"; "e mail" also as "e-mail" and "email"."""
    import re
    out = [kw]
    if "-" in kw:
        out += [re.sub(r"\s*-\s*", " ", kw), re.sub(r"\s*-\s*", "", kw)]
    words = kw.split()
    if len(words) == 2 and all(w.isalpha() for w in words):
        out += ["-".join(words), "".join(words)]
    return list(dict.fromkeys(v for v in out if v.strip()))


def _spacing(text: str) -> tuple:
    """How a phrase is split: its hyphens and the number of its words."""
    import re
    return text.count("-"), len([w for w in re.split(r"[\s\-]+", text) if w])


class RuleSet:
    """The matchers built from a codebook (built once, reused for every doc)."""

    def __init__(self, pipeline, codebook, fuzzy_threshold: int = 88):
        from spacy.matcher import Matcher, PhraseMatcher
        self.pipeline = pipeline
        vocab = pipeline.nlp.vocab
        self.vocab = vocab
        self.fuzzy_threshold = int(fuzzy_threshold)
        self.phrase = PhraseMatcher(vocab, attr="LEMMA")
        self.matcher = Matcher(vocab)
        self.rules: dict[int, _Rule] = {}
        self.codes: set[str] = set()
        self.n_patterns = 0
        self._n_matcher = 0
        self._fuzzy_forms: dict[str, str] = {}   # keyword word (form or lemma) -> its lemma
        self._kw_lemmas: set[str] = set()
        self._fuzzy_cache: dict[int, tuple[str, str, int] | None] = {}
        self._reasons: dict[tuple[int, str], str] = {}   # (rule, matched words) -> reason
        for code in codebook.codes.values():
            for i, kw in enumerate(code.keywords):
                self._add_keyword(code.id, i, kw)
            pats = code.extra.get("patterns") if code.extra else None
            if pats:
                self._add_patterns(code, pats, codebook)
        self._choices = list(self._fuzzy_forms)

    # -- building -------------------------------------------------------------------------------
    def _key(self, code: str, kind: str, i: int, rule: _Rule) -> str:
        key = f"{code}\x1f{kind}\x1f{i}"
        self.rules[self.vocab.strings.add(key)] = rule
        self.codes.add(code)
        self.n_patterns += 1
        return key

    def _add_keyword(self, code: str, i: int, kw: str) -> None:
        kw = str(kw).strip()
        if not kw:
            return
        doc = self.pipeline.make_doc(kw)
        toks = [t for t in doc if not t.is_space]
        if not toks:
            return
        if toks[-1].text == "*" or toks[-1].text.endswith("*"):
            self._add_prefix(code, i, kw, toks)
            return
        key = self._key(code, "kw", i, _Rule(code, kw, "keyword", kw.lower()))
        pdocs = []
        for variant in spelling_variants(kw):
            pdoc = self.pipeline.nlp.make_doc(variant)
            self.pipeline.set_lemmas(pdoc)
            pdocs.append(pdoc)
        self.phrase.add(key, pdocs)
        for t in toks:
            self._kw_lemmas.add(t.lemma_)
            if t.is_alpha and len(t.text) >= MIN_FUZZY_LEN - 1:
                self._fuzzy_forms.setdefault(t.lower_, t.lemma_)
                self._fuzzy_forms.setdefault(t.lemma_, t.lemma_)

    def _add_prefix(self, code: str, i: int, kw: str, toks) -> None:
        import re
        words = [t for t in toks if t.text != "*"]
        if not words:
            return
        pattern = [{"LEMMA": t.lemma_} for t in words[:-1]]
        stem = words[-1].lower_.rstrip("*")
        if not stem:
            return
        pattern.append({"LOWER": {"REGEX": "^" + re.escape(stem)}})
        key = self._key(code, "prefix", i, _Rule(code, kw, "prefix"))
        self.matcher.add(key, [pattern])
        self._n_matcher += 1

    def _add_patterns(self, code, pats, codebook) -> None:
        if not isinstance(pats, list):
            raise CodebookError(f"code '{code.id}': 'patterns' must be a list of spaCy token "
                                "patterns", file=codebook.path, line=code.line,
                                hint='e.g. patterns: [[{LEMMA: fund}, {LEMMA: project}]]')
        for i, item in enumerate(pats):
            name = None
            if isinstance(item, dict) and "pattern" in item:
                name = item.get("name") or item.get("label")
                item = item["pattern"]
            if not isinstance(item, list) or not item or not all(isinstance(t, dict) for t in item):
                raise CodebookError(f"code '{code.id}': pattern {i + 1} is not a list of token "
                                    "dicts", file=codebook.path, line=code.line,
                                    hint='e.g. [{LEMMA: fund}, {OP: "?"}, {LEMMA: project}]')
            item = [{k: v for k, v in t.items() if k != "__line__"} for t in item]
            label = name or json.dumps(item, ensure_ascii=False, separators=(",", ":"))
            key = self._key(code.id, "pat", i, _Rule(code.id, str(label), "pattern"))
            try:
                self.matcher.add(key, [item])
            except (ValueError, KeyError, TypeError) as e:
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise CodebookError(f"code '{code.id}': pattern {i + 1} is not a valid spaCy "
                                    f"Matcher pattern ({first})", file=codebook.path,
                                    line=code.line,
                                    hint="see https://spacy.io/usage/rule-based-matching") from None
            self._n_matcher += 1

    @property
    def empty(self) -> bool:
        return self.n_patterns == 0

    # -- matching -------------------------------------------------------------------------------
    def _fuzzy(self, orth: int, lemma: str) -> tuple[str, str, int] | None:
        """(keyword word, its lemma, score) when the word ``orth`` (whose lemma is ``lemma``) is
        a misspelling of a keyword word (cached per word)."""
        if orth in self._fuzzy_cache:
            return self._fuzzy_cache[orth]
        hit = None
        lex = self.vocab[orth]
        low = lex.lower_
        if (self._choices and lex.is_alpha and len(lex.orth_) >= MIN_FUZZY_LEN
                and len(low) >= MIN_FUZZY_LEN and lemma not in self._kw_lemmas
                and not self.pipeline.known_word(low)):
            from rapidfuzz import fuzz, process
            best = process.extractOne(low, self._choices, scorer=fuzz.ratio,
                                      score_cutoff=self.fuzzy_threshold)
            if best is not None:
                form = best[0]
                hit = (form, self._fuzzy_forms[form], int(best[1]))
        self._fuzzy_cache[orth] = hit
        return hit

    def fuzzy_texts(self, batch):
        """Per text of a :class:`~.tokens.TokenBatch`: whether a word of it may be a misspelt
        keyword word (:meth:`_fuzzy`, asked once per distinct word, with the lemma of its first
        token); :meth:`match` need not look for fuzzy hits in the others."""
        import numpy
        n = len(batch.starts) - 1
        if not (self._choices and self.fuzzy_threshold <= 100) or not len(batch.orth):
            return numpy.zeros(n, dtype=bool)
        uniq, first, inv = batch.distinct
        names = batch.words.arrays()[3]
        lemmas = names[batch.lemma[first]].tolist()
        cache = self._fuzzy_cache
        hit = numpy.fromiter(((cache[o] if o in cache else self._fuzzy(o, lem)) is not None
                              for o, lem in zip(uniq.tolist(), lemmas)),
                             dtype=bool, count=len(uniq))
        per_token = hit[inv.reshape(-1)]
        at = batch.offsets(per_token)
        return at[1:] > at[:-1]

    def match(self, doc, parsed=None, fuzzy: bool = True) -> list[RuleHit]:
        """All hits in a lemmatized doc, best first (score, then longer span, then position);
        ``parsed``: the doc's :class:`~.pipeline.Parsed` when there is one; ``fuzzy=False``:
        no word of it can be a misspelt keyword word (:meth:`fuzzy_texts`)."""
        if self.empty:
            return []
        hits: list[RuleHit] = []
        text = parsed.text if parsed is not None else None
        reasons = self._reasons
        found = self.phrase(doc)
        chars = parsed.chars() if parsed is not None and found else None
        for key, s, e in found:
            rule = self.rules[key]
            if chars is not None:
                a, b = chars[0][s], chars[1][e - 1]     # as the span's start_char / end_char
            else:
                first, last = doc[s], doc[e - 1]
                a, b = first.idx, last.idx + len(last)
            low = (text[a:b] if text is not None else doc[s:e].text).lower()
            reason = reasons.get((key, low))
            if reason is None:
                how = ("" if low == rule.lower else
                       " (hyphen/spacing variant)" if _spacing(low) != _spacing(rule.lower) else
                       " (lemma match)")
                reason = reasons[(key, low)] = f'keyword "{rule.label}"{how}'
            hits.append(RuleHit(rule.code, 1.0, reason, a, b, s))
        if self._n_matcher:
            for key, s, e in self.matcher(doc):
                rule = self.rules[key]
                span = doc[s:e]
                hits.append(RuleHit(rule.code, 1.0, f'pattern "{rule.label}"',
                                    span.start_char, span.end_char, s))
        if fuzzy and self._choices and self.fuzzy_threshold <= 100:
            if parsed is None:
                hits.extend(self._fuzzy_hits(doc, [t.orth for t in doc],
                                             [(0, t.lemma_, 0) for t in doc]))
            else:
                hits.extend(self._fuzzy_hits(doc, parsed.orths, parsed.rows))
        hits.sort(key=lambda h: (-h.score, -(h.end - h.start), h.start))
        return hits

    def _fuzzy_hits(self, doc, orths: list[int], rows: list[tuple]) -> list[RuleHit]:
        """Hits of keywords with a misspelt word; ``orths``: per token of ``doc``, ``rows``:
        per token, its lemma second (as :class:`~.pipeline.Parsed`)."""
        from spacy.tokens import Doc
        mapped: dict[int, tuple] = {}
        cache = self._fuzzy_cache
        for i, orth in enumerate(orths):
            hit = cache[orth] if orth in cache else self._fuzzy(orth, rows[i][1])
            if hit is not None:
                mapped[i] = hit
        if not mapped:
            return []
        words = [t.text for t in doc]
        spaces = [bool(t.whitespace_) for t in doc]
        fixed_lemmas = [mapped[i][1] if i in mapped else rows[i][1] for i in range(len(doc))]
        fdoc = Doc(self.vocab, words=words, spaces=spaces, lemmas=fixed_lemmas)
        out = []
        for key, s, e in self.phrase(fdoc):
            fixed = [i for i in range(s, e) if i in mapped]
            if not fixed:
                continue  # an ordinary hit, already found
            rule = self.rules[key]
            worst = min(fixed, key=lambda i: mapped[i][2])
            form, _, score = mapped[worst]
            span = doc[s:e]
            reason = f'fuzzy "{doc[worst].text}"≈"{form}" ({score})'
            if " " in rule.lower.strip():
                reason += f' in keyword "{rule.label}"'
            out.append(RuleHit(rule.code, score / 100.0, reason,
                               span.start_char, span.end_char, s))
        return out
