"""Property-based tests of the plain-text parser: whatever the speakers, turn texts, line endings
and BOM, the segments round-trip and a segment's text is exactly its slice of the text."""
from __future__ import annotations

import json
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.transcripts.lines import SPEAKER_LINE, decode, normalize
from workbench.transcripts.text import find_turns, split_front_matter

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯ"
LETTERS = LATIN + CYRILLIC + "éñøß"
# turn text: letters, digits, spaces and punctuation, but no ':' (a colon only inside a time,
# '10:30', which cannot end a speaker label), no '*', '[' or '(' that could start a label form
WORD = st.text(alphabet=LETTERS + "0123456789", min_size=1, max_size=10)
PUNCT = st.sampled_from(["", ",", ".", "?", "!", ";", " -", "'s", "%", "…", " 10:30"])
DECOMPOSED = "\u0438\u0306"  # и + combining breve; NFC turns it into й


@st.composite
def labels(draw):
    first = draw(st.sampled_from(LETTERS))
    words = [first + draw(st.text(alphabet=LETTERS + ".'-", max_size=8))]
    words += draw(st.lists(st.text(alphabet=LETTERS + ".'-", min_size=1, max_size=8),
                           max_size=3))
    label = " ".join(words)[:40].strip()
    if draw(st.booleans()):  # sometimes a decomposed letter, as some exports write them
        label = label + DECOMPOSED
    return label


@st.composite
def turn_texts(draw):
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        words = draw(st.lists(st.tuples(WORD, PUNCT), min_size=1, max_size=8))
        line = " ".join(w + p for w, p in words)
        if draw(st.integers(0, 9)) == 0:
            line += " " + DECOMPOSED + "дём"
        lines.append(line)
    seps = [draw(st.sampled_from(["\n", "\n\n"])) for _ in lines[1:]]
    out = lines[0]
    for sep, line in zip(seps, lines[1:]):
        out += sep + line
    return out


@st.composite
def transcripts(draw):
    pool = draw(st.lists(labels(), min_size=1, max_size=4, unique_by=lambda s: s.casefold()))
    order = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=12))
    declare = draw(st.booleans())
    if not declare:
        # without a 'speakers:' list, a label that occurs once among regular speakers is read
        # as text (see find_turns); give every speaker at least two turns
        for i in sorted(set(order)):
            if order.count(i) == 1:
                order.append(i)
    turns = []
    for i in order:
        form = draw(st.sampled_from(["plain", "bold", "bold2", "ts"]))
        ts = None
        if form == "ts":
            h, m, s = draw(st.integers(0, 9)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
            ts = f"{h:02d}:{m:02d}:{s:02d}"
        turns.append((pool[i], form, ts, draw(turn_texts())))
    front = ""
    if declare or draw(st.booleans()):
        front = "---\nid: T1\nregion: Пермь\n"
        if declare:
            front += "speakers: " + json.dumps(pool, ensure_ascii=False) + "\n"
        front += "---\n"
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    bom = draw(st.booleans())
    blank_between = draw(st.booleans())
    return turns, front, eol, bom, blank_between


def render(turns, front, eol, bom, blank_between) -> bytes:
    lines = []
    for label, form, ts, text in turns:
        head = {"plain": f"{label}:", "bold": f"**{label}:**", "bold2": f"**{label}**:",
                "ts": f"[{ts}] {label}:"}[form]
        lines.append(f"{head} {text}")
        if blank_between:
            lines.append("")
    raw = (front + "\n".join(lines) + "\n").replace("\n", eol)
    return (b"\xef\xbb\xbf" if bom else b"") + raw.encode("utf-8")


def parse(raw: bytes):
    text = normalize(decode(raw, "t.txt"))
    meta, body = split_front_matter(text, "t.txt")
    declared = meta.get("speakers")
    declared = {str(x).strip().casefold() for x in declared} if declared else None
    found, warnings = find_turns(text, body, speakers=declared)
    return text, found, warnings


nfc = lambda s: unicodedata.normalize("NFC", s)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcripts())
def test_segments_round_trip(case):
    turns, front, eol, bom, blank_between = case
    raw = render(*case)
    text, found, warnings = parse(raw)
    # the normalized text: no BOM, LF only, NFC
    expected_text = nfc(raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n"))
    assert text == expected_text
    assert warnings == []
    # speakers, timestamps and turn texts round-trip, turn for turn
    assert [t.speaker for t in found] == [nfc(label) for label, _, _, _ in turns]
    assert [t.timestamp for t in found] == [ts for _, _, ts, _ in turns]
    assert [text[t.start:t.end] for t in found] == [nfc(body) for _, _, _, body in turns]
    # offsets strictly increasing; segments do not overlap
    starts = [t.start for t in found]
    assert all(a < b for a, b in zip(starts, starts[1:]))
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))
    for t in found:
        segment = text[t.start:t.end]
        # no segment includes a speaker label, its own or another's
        assert SPEAKER_LINE.search(segment) is None
        assert not segment.startswith(("*", ":", " ")) and not segment.endswith(("*", " "))
        # what precedes a segment on its line is exactly its label
        line_start = text.rfind("\n", 0, t.start) + 1
        head = text[line_start:t.start].rstrip()
        assert head.endswith((f"{t.speaker}:", f"{t.speaker}:**", f"**{t.speaker}**:"))


@settings(max_examples=60, deadline=None)
@given(transcripts())
def test_project_parser_agrees_with_the_building_blocks(tmp_path_factory, case):
    """load_transcript (what the project uses) gives the same segments as the parts above."""
    from workbench.transcripts import load_transcript
    raw = render(*case)
    path = tmp_path_factory.mktemp("prop") / "t.txt"
    path.write_bytes(raw)
    t = load_transcript(path)
    text, found, _ = parse(raw)
    assert t.text == text
    assert [(s.speaker, s.start, s.end, s.timestamp) for s in t.segments] == \
        [(f.speaker, f.start, f.end, f.timestamp) for f in found]
    for s in t.segments:
        assert s.text == t.text[s.start:s.end]
