"""The bundled demo project (a copy of the repository root): every transcript parses, the
codebook validates, and both demo coders' logs replay with every coding ok."""
from __future__ import annotations

import pytest

from workbench.project import Project
from workbench.replay import replay


@pytest.fixture
def demo(demo_copy) -> Project:
    return Project.open(demo_copy)


def test_every_transcript_parses_with_both_roles_and_attributes(demo):
    ids = demo.transcript_ids()
    assert ids == [f"P{i:02d}" for i in range(1, 11)]
    formats = set()
    for tid in ids:
        t = demo.transcript(tid)
        formats.add(t.format)
        assert t.warnings == [], (tid, t.warnings)
        roles = {s.role for s in t.segments}
        assert roles == {"interviewer", "interviewee"}, tid
        assert len(t.segments) >= 10
        assert all(s.speaker for s in t.segments), tid
        for s in t.segments:
            assert t.text[s.start:s.end] == s.text and s.text, (tid, s.index)
        assert t.attributes["region"] in {"Perm", "Samara", "Kaluga"}, tid
        assert t.attributes["cluster"], tid
    assert formats == {"txt", "md", "docx", "vtt", "srt"}
    regions = demo.attributes_frame().set_index("transcript")["region"]
    assert set(regions) == {"Perm", "Samara", "Kaluga"}


def test_demo_speaker_forms(demo):
    """The demo covers each speaker form the docs promise (see docs/DEMO.md)."""
    interviewees = {tid: {s.speaker for s in demo.transcript(tid).segments
                          if s.role == "interviewee"} for tid in demo.transcript_ids()}
    interviewers = {tid: {s.speaker for s in demo.transcript(tid).segments
                          if s.role == "interviewer"} for tid in demo.transcript_ids()}
    assert interviewees["P05"] == {"Ольга Петрова"} and interviewers["P05"] == {"Q"}
    assert interviewers["P04"] == {"Moderator"}
    assert interviewers["P06"] == {"N. Orlova"}  # named in front matter
    assert all(s.timestamp for s in demo.transcript("P03").segments)
    assert all(s.timestamp for s in demo.transcript("P08").segments)
    p04 = (demo.root / "transcripts" / "P04.txt").read_bytes()
    assert p04.startswith(b"\xef\xbb\xbf") and b"\r\n" in p04  # BOM and CRLF, as documented
    assert "\r" not in demo.transcript("P04").text


def test_demo_codebook_validates(demo):
    cb = demo.codebook
    assert cb.name == "Cluster managers 2019"
    assert len(cb) >= 25
    assert len({c.key for c in cb.codes.values() if c.key}) == sum(
        1 for c in cb.codes.values() if c.key)


@pytest.mark.parametrize("coder", ["anna", "boris"])
def test_demo_logs_replay_with_every_coding_ok(demo, coder):
    assert coder in demo.coders()
    st = replay(demo.root / "codings" / f"{coder}.jsonl")
    assert st.warnings == []
    codings = demo.codings(coder)
    assert len(codings) == len(st.codings) >= 50
    assert {c.status for c in codings} == {"ok"}
    for c in codings:
        t = demo.transcript(c.transcript)
        assert c.code in demo.codebook.codes
        assert c.quote is None or t.text[c.start:c.end] == c.quote
        assert c.segment is not None
        # the demo codes interviewee turns only
        assert t.segments[c.segment].role == "interviewee", (c.transcript, c.code)
    status = demo.status_frame()
    assert set(status.problems) == {""}
