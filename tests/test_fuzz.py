"""Fuzzing the readers (issue 15): transcripts in every format, the codebook, and coding logs.
Every input ends in a parse or in the project's own error (a WorkbenchError: one line naming
file and line), never an unhandled exception or a hang (each input bounded by an alarm — a hang
detector, not a speed test). The REFI-QDA importer has its own: tests/test_interchange_fuzz.py.
Heavier variants run with ``-m slow``; bench/fuzz_campaign.py counts a long campaign."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from helpers import bounded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.codebook import Codebook
from workbench.errors import WorkbenchError
from workbench.replay import replay
from workbench.transcripts import load_transcript

SECONDS_PER_INPUT = 20
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=1500, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])




def accepted_or_clean(fn, *args):
    """Run ``fn``; a WorkbenchError must print as one line; anything else fails the test."""
    with bounded(SECONDS_PER_INPUT):
        try:
            return fn(*args)
        except WorkbenchError as e:
            assert "\n" not in str(e)
            return None


# ---- strategies -------------------------------------------------------------------------------
LABELS = st.sampled_from(["Interviewer", "Anna", "I", "Q", "**Boris**", "Интервьюер",
                          "Ms. Ivanova", "[00:01:23] Anna", "For example", "A" * 45, "", "В"])
LINE = st.one_of(
    st.builds(lambda lab, sep, txt: f"{lab}{sep}{txt}", LABELS, st.sampled_from([": ", ":", ":** "]),
              st.text(max_size=60)),
    st.text(max_size=80),
    st.sampled_from(["---", "...", "", "  ", "\t", "key: value", "id: P07", "segments: paragraphs",
                     "speakers: Anna, Boris", "interviewer: Anna", "a: &x [1]", "b: *x",
                     "[" * 100, "- - - -"]))
TEXT_FILE = st.builds(lambda lines, nl, bom: (("\ufeff" if bom else "") + nl.join(lines)),
                      st.lists(LINE, max_size=40), st.sampled_from(["\n", "\r\n", "\r"]),
                      st.booleans())
RAW = st.one_of(st.binary(max_size=3000), TEXT_FILE.map(lambda t: t.encode("utf-8", "replace")),
                TEXT_FILE.map(lambda t: t.encode("utf-16")))


def vtt_like(cues):
    out = ["WEBVTT", ""]
    for i, (a, b, v, t) in enumerate(cues):
        out += [str(i), f"00:00:{a:02d}.000 --> 00:00:{b:02d}.000", f"<v {v}>{t}" if v else t, ""]
    return "\n".join(out)


CUES = st.lists(st.tuples(st.integers(0, 70), st.integers(0, 70), st.sampled_from(["", "Anna",
                                                                                      "I"]),
                          st.text(max_size=40)), max_size=15)


def docx_like(paras: list[str], xml: bytes | None) -> bytes:
    import docx
    d = docx.Document()
    for p in paras:
        d.add_paragraph("".join(ch for ch in p if ch.isprintable()))
    buf = io.BytesIO()
    d.save(buf)
    if xml is None:
        return buf.getvalue()
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in zin.infolist():
            z.writestr(i.filename, xml if i.filename == "word/document.xml" else zin.read(i))
    return out.getvalue()


DOCX = st.builds(docx_like, st.lists(st.text(max_size=50), max_size=12),
                 st.one_of(st.none(), st.binary(max_size=200),
                           st.sampled_from([b"<foo/>", b"<w:document/>", b"", b"<a>" * 500])))


# ---- transcripts ------------------------------------------------------------------------------
def _transcript(tmp: Path, ext: str, data: bytes):
    path = tmp / f"t{ext}"
    t = accepted_or_clean(lambda: load_transcript(path, data=data))
    if t is not None:       # a parse is self-consistent
        for s in t.segments:
            assert t.text[s.start:s.end] == s.text
            assert 0 <= s.start <= s.end <= len(t.text)


@FAST
@given(data=RAW, ext=st.sampled_from([".txt", ".md"]))
def test_text_transcripts_parse_or_fail_cleanly(tmp_path, data, ext):
    _transcript(tmp_path, ext, data)


@FAST
@given(cues=CUES, fmt=st.sampled_from([".vtt", ".srt"]), junk=st.binary(max_size=100))
def test_subtitles_parse_or_fail_cleanly(tmp_path, cues, fmt, junk):
    text = vtt_like(cues)
    if fmt == ".srt":
        text = text.replace("WEBVTT\n\n", "").replace(".000", ",000")
    _transcript(tmp_path, fmt, text.encode() + junk)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.one_of(DOCX, st.binary(max_size=2000)))
def test_word_files_parse_or_fail_cleanly(tmp_path, data):
    _transcript(tmp_path, ".docx", data)


# ---- the codebook -----------------------------------------------------------------------------
CODE_ITEM = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(["a", "a.b", "a.c", "b", "a\nb", "", "value.x"]),
                     st.text(max_size=8), st.integers(), st.none())},
    optional={"name": st.one_of(st.text(max_size=12), st.none(), st.integers()),
              "key": st.one_of(st.text(max_size=2), st.integers()),
              "color": st.sampled_from(["#fff", "#123456", "red", "", "#ggg"]),
              "parent": st.sampled_from(["a", "b", "nope", ""]),
              "children": st.lists(st.fixed_dictionaries({"id": st.text(max_size=4),
                                                          "name": st.text(max_size=4)}),
                                   max_size=3),
              "examples": st.one_of(st.lists(st.text(max_size=10), max_size=3), st.text())})
CODEBOOK = st.one_of(
    st.builds(lambda codes, merges: json.dumps({"name": "x", "codes": codes,
                                                "merges": merges}),
              st.lists(CODE_ITEM, max_size=8),
              st.lists(st.fixed_dictionaries({"from": st.text(max_size=4),
                                              "into": st.text(max_size=4)}), max_size=3)),
    st.text(max_size=500), TEXT_FILE)


@FAST
@given(raw=CODEBOOK)
def test_codebooks_load_or_fail_cleanly(raw):
    cb = accepted_or_clean(Codebook.from_yaml, raw, "codebook.yaml")
    if cb is not None:      # a loaded codebook is a consistent tree
        for cid, c in cb.codes.items():
            assert c.parent is None or c.parent in cb.codes
            assert cb.resolve(cid) in cb.codes or cid not in cb.codes


# ---- coding logs ------------------------------------------------------------------------------
FIELD = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 25, 10 ** 25),
                  st.floats(allow_nan=True), st.text(max_size=10), st.lists(st.integers(),
                                                                            max_size=3),
                  st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
EVENT = st.fixed_dictionaries(
    {"op": st.sampled_from(["code", "uncode", "done", "reopen", "memo", "torn", "what"])},
    optional={k: FIELD for k in ("id", "transcript", "start", "end", "code", "quote", "prefix",
                                 "suffix", "transcript_crc", "text", "target", "line", "v",
                                 "settles", "source", "at", "memo")})
LOG_LINE = st.one_of(EVENT.map(lambda e: json.dumps(e, allow_nan=True)),
                     st.text(max_size=40), st.just("[" * 5000 + "]" * 5000), st.just(""))


@FAST
@given(lines=st.lists(LOG_LINE, max_size=30), tail=st.binary(max_size=20))
def test_logs_replay_or_fail_cleanly(tmp_path, lines, tail):
    path = tmp_path / "codings" / "x.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes("\n".join(lines).encode("utf-8", "replace") + b"\n" + tail)
    st_ = accepted_or_clean(replay, path)
    if st_ is not None:
        for c in st_.codings.values():
            assert isinstance(c.start, int) and isinstance(c.transcript, str)


# ---- heavier variants -----------------------------------------------------------------------
@pytest.mark.slow
@SLOW
@given(data=RAW, ext=st.sampled_from([".txt", ".md", ".vtt", ".srt"]))
def test_many_transcripts_parse_or_fail_cleanly(tmp_path, data, ext):
    _transcript(tmp_path, ext, data)


@pytest.mark.slow
@SLOW
@given(raw=CODEBOOK)
def test_many_codebooks_load_or_fail_cleanly(raw):
    test_codebooks_load_or_fail_cleanly.hypothesis.inner_test(raw)


@pytest.mark.slow
@SLOW
@given(lines=st.lists(LOG_LINE, max_size=60), tail=st.binary(max_size=40))
def test_many_logs_replay_or_fail_cleanly(tmp_path, lines, tail):
    test_logs_replay_or_fail_cleanly.hypothesis.inner_test(tmp_path, lines, tail)
