"""What the suggestions are computed from and learned from.

* :func:`transcript_features` — per segment: its lemmas and the best rule hit per code (with the
  sentence it fired in), from one ``nlp.pipe`` pass over the transcript's segments.
* :func:`coder_units` / :func:`training_units` — the human coding as one label set per segment.

A *unit* is a segment (a speaker turn; interviewee turns only unless
``[suggest] include_interviewer = true``). Its labels are the codes of every coding (status
``ok`` or ``moved``) that overlaps it. A coder has *seen* every segment of a transcript marked
done; in a transcript not marked done, the segments up to the last one the coder coded (a coder
works from the top down). Unseen segments are no evidence either way and are left out.

The team's labels: for a transcript with a consensus (``codings/consensus.jsonl`` has coded it
or marked it done) the consensus; otherwise the union of the coders' codes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ..coders import coders_for
from ..config import CONSENSUS
from ..transcripts import INTERVIEWER

OK_STATUSES = ("ok", "moved")


@dataclass(slots=True)
class RuleEvidence:
    """The best rule hit of one code in one segment (absolute offsets)."""

    score: float
    reason: str
    start: int          # the sentence the rule fired in
    end: int
    match_start: int    # the matched words
    match_end: int
    count: int = 1      # how many places in the segment the code's rules fired


@dataclass(slots=True)
class SegmentFeatures:
    transcript: str
    index: int
    start: int
    end: int
    role: str
    lemmas: tuple
    rules: dict = field(default_factory=dict)   # code -> RuleEvidence
    content: tuple = ()         # lemmas without stop words (the language's own list)
    question: tuple = ()        # content lemmas of the interviewer turn before this segment
    question_rules: tuple = ()  # codes whose rules fired in that question
    context: tuple = ()         # lemmas of the last turn of each interviewer speaker before it
    speaker: str = ""
    terms_cache: list | None = None    # term numbers of the learned evidence (vectors.segment_ids)
    codebook_terms: tuple | None = None   # (term counts, question terms) of the codebook evidence
    # (TurnWords of the transcript, this segment's place in it): its words as lemma numbers,
    # for the evidence's fast paths (None: a coded passage, or made by hand; the plain paths)
    words_at: tuple | None = None


def transcript_features(pipeline, ruleset, transcript) -> list[SegmentFeatures]:
    """Features of every segment of ``transcript`` (one batched ``nlp.pipe`` pass; the lemmas
    of the words, the content words and the keyword hits read from the batch's numbers)."""
    from .tokens import CONTENT
    segs = transcript.segments
    if ruleset is not None and ruleset.empty:
        ruleset = None
    batch, parsed = pipeline.parse_batch([s.text for s in segs],
                                         doc_lemmas=ruleset is not None)
    tw = batch.turn_words()
    names = batch.words.arrays()[3]
    words = names[tw.lemma].tolist()
    ws = tw.starts.tolist()
    is_content = batch.kind == CONTENT
    content = names[batch.lemma[is_content]].tolist()
    cs = batch.offsets(is_content).tolist()
    fuzzy = ruleset.fuzzy_texts(batch).tolist() if ruleset is not None else []
    out = []
    for k, (seg, p) in enumerate(zip(segs, parsed)):
        best = (_rule_evidence(seg, p, ruleset, pipeline, bool(fuzzy[k]))
                if ruleset is not None else {})
        f = SegmentFeatures(seg.transcript, seg.index, seg.start, seg.end, seg.role,
                            tuple(words[ws[k]:ws[k + 1]]), best,
                            tuple(dict.fromkeys(content[cs[k]:cs[k + 1]])),
                            speaker=seg.speaker or "")
        f.words_at = (tw, k)
        out.append(f)
    _link_questions(out, tw)
    return out


def _link_questions(out: list[SegmentFeatures], tw=None) -> None:
    """Each segment's question and context (see SegmentFeatures); ``tw``: the segments'
    TurnWords, whose ``contexts`` get the segments each context is made of."""
    last_q = None
    last_by_speaker: dict[str, int] = {}   # speaker -> their last turn, in order of it
    context: tuple = ()     # one tuple shared by the turns after the same questions
    parts: tuple = ()
    contexts = []
    for k, f in enumerate(out):
        if last_by_speaker:
            f.context = context
        contexts.append(parts if last_by_speaker else ())
        if f.role == INTERVIEWER:
            last_q = f
            last_by_speaker.pop(f.speaker, None)
            last_by_speaker[f.speaker] = k
            parts = tuple(reversed(last_by_speaker.values()))
            context = tuple(w for q in parts for w in out[q].lemmas)
        elif last_q is not None:
            f.question = last_q.content
            f.question_rules = tuple(sorted(last_q.rules))
    if tw is not None:
        tw.contexts = contexts


def _rule_evidence(seg, parsed, ruleset, pipeline, fuzzy: bool = True) -> dict:
    best: dict[str, RuleEvidence] = {}
    hits = ruleset.match(parsed.doc, parsed, fuzzy=fuzzy)
    if hits:
        starts = pipeline.sentence_starts(parsed) if pipeline.sentencizer is not None else None
        places: dict[str, set] = {}
        for h in hits:  # best first
            places.setdefault(h.code, set()).add(h.token)
            if h.code in best:
                continue
            a, b = pipeline.sentence_of(parsed, h.token, starts)
            best[h.code] = RuleEvidence(h.score, h.reason, seg.start + a, seg.start + b,
                                        seg.start + h.start, seg.start + h.end)
        for code, ev in best.items():
            ev.count = len(places[code])
    return best


def _features(seg, parsed, ruleset, pipeline) -> SegmentFeatures:
    """The plain way to one segment's features, from its :class:`~.pipeline.Parsed` alone
    (question and context not linked)."""
    best = _rule_evidence(seg, parsed, ruleset, pipeline) if ruleset is not None else {}
    return SegmentFeatures(seg.transcript, seg.index, seg.start, seg.end, seg.role,
                           parsed.words(), best, parsed.content(), speaker=seg.speaker or "")


# ---- human labels ---------------------------------------------------------------------------
def unit_roles(info, include_interviewer: bool) -> list[int]:
    """Indexes of the segments of a transcript that are units."""
    return [i for i, r in enumerate(info.roles) if include_interviewer or r != "I"]


def coder_units(project, coder: str, include_interviewer: bool = False,
                tids: set[str] | None = None) -> dict[tuple[str, int], set[str]]:
    """(transcript, segment index) -> codes, for every segment ``coder`` has seen."""
    cat = project.catalog()
    cb = project.codebook
    st = project.state(coder)
    by_t: dict[str, list] = {}
    for c in project.codings(coder):
        if c.status in OK_STATUSES and c.code in cb.codes and c.transcript in cat:
            by_t.setdefault(c.transcript, []).append(c)
    out: dict[tuple[str, int], set[str]] = {}
    for tid in sorted(set(by_t) | (st.done & set(cat))):
        if tids is not None and tid not in tids:
            continue
        info = cat[tid]
        labels: dict[int, set[str]] = {}
        last = -1
        for c in by_t.get(tid, []):
            for i in info.segments_overlapping(c.start, c.end):
                labels.setdefault(i, set()).add(c.code)
                last = max(last, i)
        seen_to = info.n_segments - 1 if tid in st.done else last
        for i in unit_roles(info, include_interviewer):
            if i <= seen_to:
                out[(tid, i)] = labels.get(i, set())
    return out


def default_coders(project) -> list[str]:
    """The coders learned from (decided by :func:`workbench.coders.coders_for`)."""
    return coders_for(project, "learn").coders


def training_units(project, coders: list[str] | None = None, include_interviewer: bool = False,
                   consensus: bool | None = None
                   ) -> tuple[dict[tuple[str, int], frozenset], dict]:
    """The labels per unit from ``coders`` (default: every coder) and, when ``consensus``
    (default: only when no coders are named and a consensus exists), the consensus, which
    replaces the coders' labels on the transcripts it has coded or marked done."""
    explicit = coders is not None
    coders = list(coders) if coders is not None else default_coders(project)
    if consensus is None:
        consensus = not explicit
    use_consensus = consensus and CONSENSUS in project.coders()
    units: dict[tuple[str, int], set[str]] = {}
    for coder in coders:
        for key, codes in coder_units(project, coder, include_interviewer).items():
            units.setdefault(key, set()).update(codes)
    consensus_tids: set[str] = set()
    if use_consensus:
        cons = coder_units(project, CONSENSUS, include_interviewer)
        consensus_tids = {t for t, _ in cons}
        units = {k: v for k, v in units.items() if k[0] not in consensus_tids}
        units.update(cons)
    info = {"coders": coders + ([CONSENSUS] if use_consensus else []),
            "consensus_transcripts": sorted(consensus_tids),
            "transcripts": sorted({t for t, _ in units}),
            "n_segments": len(units),
            "n_coded_segments": sum(1 for v in units.values() if v)}
    return {k: frozenset(v) for k, v in sorted(units.items())}, info


def coded_passages(project, coders: list[str], consensus: bool, units: dict,
                   min_words: int = 2) -> dict[tuple[str, int], list[tuple[int, int, frozenset]]]:
    """The coded passages inside each unit of ``units``: {(transcript, segment): [(start, end,
    codes)]} — each coding clipped to the segment (codings with the same span merged), from the
    same coders as the units' labels (the consensus alone on the transcripts it labels). They are
    extra training examples: the words a coder marked for a code, without the rest of the turn."""
    cb = project.codebook
    tids = {t for t, _ in units}
    cons_tids: set[str] = set()
    read = list(coders)
    if consensus and CONSENSUS in project.coders():
        cons = coder_units(project, CONSENSUS, True, tids)
        cons_tids = {t for t, _ in cons}
        read.append(CONSENSUS)
    spans: dict[tuple[str, int], dict[tuple[int, int], set[str]]] = {}
    segs_of: dict[str, list] = {}
    for coder in read:
        for c in project.codings(coder):
            if c.status not in OK_STATUSES or c.code not in cb.codes or c.transcript not in tids:
                continue
            if (coder == CONSENSUS) != (c.transcript in cons_tids):
                continue
            segs = segs_of.get(c.transcript)
            if segs is None:
                segs = segs_of[c.transcript] = project.transcript(c.transcript).segments
            for seg in segs:
                if seg.end <= c.start or seg.start >= c.end or (c.transcript, seg.index) not in units:
                    continue
                a, b = max(c.start, seg.start), min(c.end, seg.end)
                spans.setdefault((c.transcript, seg.index), {}).setdefault((a, b), set()).add(c.code)
    out = {}
    for u, by_span in spans.items():
        text = project.transcript(u[0]).text
        rows = [(a, b, frozenset(cs)) for (a, b), cs in sorted(by_span.items())
                if len(text[a:b].split()) >= min_words]
        if rows:
            out[u] = rows
    return out


# ---- fingerprints ---------------------------------------------------------------------------
_HASHES: dict[tuple, str] = {}


def file_hash(path) -> str:
    """sha256 of a file (cached while its size and mtime stay the same)."""
    try:
        st = path.stat()
    except OSError:
        return "missing"
    key = (str(path), st.st_size, st.st_mtime_ns)
    h = _HASHES.get(key)
    if h is None:
        d = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                d.update(chunk)
        h = d.hexdigest()
        _HASHES[key] = h
    return h


def logs_signature(project, coders: list[str]) -> list[dict]:
    out = []
    for c in coders:
        p = project.log_path(c)
        out.append({"coder": c, "log": p.relative_to(project.root).as_posix(),
                    "bytes": p.stat().st_size if p.exists() else 0, "sha256": file_hash(p)})
    return out


def digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False,
                                     default=str).encode("utf-8")).hexdigest()

