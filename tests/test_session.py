"""The coder's session (workbench.session): it is built from the coder's *current* codings
(re-anchored), so what the coding screen shows and toggles is where each coding is now; every
coding it writes records its quote, context and the transcript's CRC; and the coded-segment
counts computed for every transcript at once equal counting one transcript at a time."""
from __future__ import annotations

from helpers import SMALL_CODEBOOK, write_transcript

from workbench.project import Project, init_project
from workbench.replay import replay
from workbench.session import CodingSession


def test_coded_segment_counts_at_load_match_one_by_one(demo_copy):
    demo = demo_copy
    p = Project.open(demo)
    t = p.transcript("P02")
    s1, s2, s5 = t.segments[1], t.segments[2], t.segments[5]
    with p.log("carla") as log:
        log.code("P02", s1.start, s2.end, "value.joint_rnd")        # spans turns 1 and 2
        log.code("P02", s1.start + 1, s1.end - 1, "finance.fees")    # turn 1 again
        log.code("P02", s5.start, s5.end, "finance.fees")
        log.code("P03", 10**9, 10**9 + 5, "finance.fees")            # outside the text
        first = p.transcript("P07").segments[0]
        log.code("P07", first.start, first.start + 1, "finance.fees")
    p = Project.open(demo)
    s = CodingSession.open(p, "carla")
    try:
        s.load()
        assert s.coded_segments("P02") == 3
        assert s.coded_segments("P03") == 0
        assert s.coded_segments("P07") == 1
        assert s._coded == {tid: s._count_coded(tid) for tid in s._by_tid}
    finally:
        s.close()


def _study(tmp_path):
    root = init_project(tmp_path / "study")
    (root / "codebooks" / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    write_transcript(root, "T1", [("Interviewer", "What do members get?"),
                                  ("Anna", "Joint research with the university."),
                                  ("Interviewer", "And money?"),
                                  ("Anna", "A membership fee, small.")])
    return root


def test_a_turn_inserted_above_a_coding_moves_it_in_the_session_too(tmp_path):
    """Issue 13: the session indexed the raw log, so after a turn was inserted at the top of a
    coded transcript the coding screen showed the coding on its old segment, over the wrong
    text, and the code key on its real segment added a duplicate."""
    root = _study(tmp_path)
    p = Project.open(root)
    s = CodingSession.open(p, "ann").load()
    seg = p.transcript("T1").segments[1]
    s.toggle("T1", seg, "value.rnd")
    s.close()
    path = root / "transcripts" / "T1.txt"
    text = path.read_text(encoding="utf-8")
    head_end = text.index("Interviewer:")
    path.write_text(text[:head_end] + "Interviewer: First, your name?\nAnna: Anna Petrova.\n"
                    + text[head_end:], encoding="utf-8")

    p = Project.open(root)
    [c] = p.codings("ann")
    assert (c.status, c.segment) == ("moved", 3)
    moved = p.transcript("T1").segments[3]
    assert moved.text == "Joint research with the university."
    s = CodingSession.open(p, "ann").load()
    try:
        assert [x.id for x in s.segment_codings("T1", 3)] == [c.id]
        assert s.segment_codings("T1", 1) == []
        shown = s.segment_codings("T1", 3)[0]
        assert p.text("T1")[shown.start:shown.end] == moved.text
        change = s.toggle("T1", moved, "value.rnd")    # the key on its real segment: uncode
        assert [x.id for x in change.removed] == [c.id] and not change.added
    finally:
        s.close()
    assert Project.open(root).codings("ann") == []


def test_the_session_records_quote_context_and_transcript_crc(tmp_path):
    root = _study(tmp_path)
    p = Project.open(root)
    s = CodingSession.open(p, "ann").load()
    try:
        seg = p.transcript("T1").segments[3]
        s.code_span("T1", seg.start, seg.start + 15, "finance.fees")
    finally:
        s.close()
    [c] = replay(root / "codings" / "ann.jsonl").codings.values()
    text = p.text("T1")
    assert c.quote == "A membership fe" == text[c.start:c.end]
    assert c.prefix == text[c.start - 32:c.start] and c.suffix == text[c.end:c.end + 32]
    assert c.transcript_crc == p.info("T1").crc


def test_opening_a_session_writes_nothing_until_the_first_event(tmp_path):
    root = _study(tmp_path)
    p = Project.open(root)
    s = CodingSession.open(p, "newbie").load()
    try:
        assert not (root / "codings" / "newbie.jsonl").exists()
        assert "newbie" not in p.coders()
        s.set_done("T1", True)
        assert (root / "codings" / "newbie.jsonl").exists()
    finally:
        s.close()


def _edit_on_disk(root, old: str, new: str) -> None:
    path = root / "transcripts" / "T1.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_undo_brings_a_coding_back_on_its_own_words_when_the_file_changed_meanwhile(tmp_path):
    """Found in review: undoing an uncode wrote the coding again with the words now at its
    offsets in the file on disk; when the transcript had been edited meanwhile (in an editor,
    or by a colleague's pull) and the app's parse of it was no longer in memory, the restored
    coding recorded other words than its own and was shown on them as ok."""
    root = _study(tmp_path)
    p = Project.open(root)
    s = CodingSession.open(p, "ann").load()
    try:
        seg = p.transcript("T1").segments[3]
        s.code_span("T1", seg.start, seg.start + 15, "finance.fees")
        [c] = s.segment_codings("T1", 3)
        s.toggle("T1", seg, "finance.fees")                 # uncoded ...
        _edit_on_disk(root, "What do members get?", "What, in your view, do members get?")
        p._catalog._parsed.clear()                          # (the parse has left memory)
        change = s.undo()                                    # ... and brought back
        assert [x.quote for x in change.added] == ["A membership fe"]
    finally:
        s.close()
    [back] = Project.open(root).codings("ann")
    assert back.status == "moved" and back.quote == "A membership fe"
    assert Project.open(root).text("T1")[back.start:back.end] == "A membership fe"


def test_a_writer_never_takes_a_quote_from_a_file_changed_since_the_catalog_read_it(tmp_path):
    """The same for every writer that has no text of its own (reconcile's settle): one clear
    error and nothing written, instead of a quote sliced from other words."""
    import pytest

    from workbench.errors import TranscriptError
    root = _study(tmp_path)
    p = Project.open(root)
    seg = p.transcript("T1").segments[3]
    _edit_on_disk(root, "What do members get?", "What, in your view, do members get?")
    p._catalog._parsed.clear()
    with pytest.raises(TranscriptError) as e:
        p.coding_fields("T1", seg.start, seg.end)
    assert "changed on disk" in str(e.value) and "T1.txt" in str(e.value)
    assert "\n" not in str(e.value)


def test_undo_never_makes_a_flagged_coding_certain(tmp_path):
    """Bringing back a coding whose place was not certain (needs_review after an edit of its
    own words) would write it at its best guess and read it back there as placed: the undo is
    refused in one line and the log keeps the uncode; a coding that moved is brought back where
    it is now, and read back there."""
    import pytest

    from workbench.errors import UsageError
    root = _study(tmp_path)
    p = Project.open(root)
    s = CodingSession.open(p, "ann").load()
    segs = p.transcript("T1").segments
    s.toggle("T1", segs[1], "value.rnd")
    s.toggle("T1", segs[3], "finance.fees")
    s.close()
    _edit_on_disk(root, "Joint research with", "Joint, applied research with")   # its words
    _edit_on_disk(root, "What do members get?", "What, in your view, do members get?")
    p = Project.open(root)
    s = CodingSession.open(p, "ann").load()
    try:
        flagged = next(c for c in p.codings("ann") if c.code == "value.rnd")
        moved = next(c for c in p.codings("ann") if c.code == "finance.fees")
        assert (flagged.status, moved.status) == ("needs_review", "moved")
        segs = p.transcript("T1").segments
        s.toggle("T1", segs[3], "finance.fees")
        s.undo()                                   # the moved one: back where it is now
        [again] = [c for c in Project.open(root).codings("ann") if c.code == "finance.fees"]
        assert again.status == "ok" and (again.start, again.end) == (moved.start, moved.end)
        s.toggle("T1", segs[1], "value.rnd")
        n = len((root / "codings" / "ann.jsonl").read_text().splitlines())
        with pytest.raises(UsageError) as e:
            s.undo()
        assert "not certain" in str(e.value) and len(s.history) == 1     # still to undo
        assert len((root / "codings" / "ann.jsonl").read_text().splitlines()) == n
        assert [c.code for c in Project.open(root).codings("ann")] == ["finance.fees"]
    finally:
        s.close()
