"""Memos as a table (workbench.memos), `workbench memos`, and the memos table of every export."""
from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from helpers import write_transcript

from workbench.cli import main
from workbench.export import export
from workbench.memos import KINDS, memos_frame, to_records
from workbench.project import Project

TURNS = [("Interviewer", "How do members benefit?"),
         ("Ms. Ivanova", "We run joint research with the polytechnic."),
         ("Interviewer", "And money?"),
         ("Ms. Ivanova", "Project funding from the region, and a membership fee.")]


@pytest.fixture
def memo_project(small_project):
    """Two transcripts, two coders; memos of every kind, one coding memo replaced, one on a
    coding that was undone, one on a code that was merged away."""
    root = small_project
    write_transcript(root, "P01", TURNS, region="Perm")
    write_transcript(root, "P02", TURNS, region="Samara")
    p = Project.open(root)
    t1 = p.transcript("P01")
    s1, s3 = t1.segments[1], t1.segments[3]
    with p.log("anna") as log:
        c1 = log.code("P01", s1.start, s1.end, "value.rnd", quote=s1.text)
        c2 = log.code("P01", s3.start, s3.end, "value.funding", quote=s3.text)
        log.memo("first thought on funding", transcript="P01", target=c2["id"])
        log.memo("funding: regional money only", transcript="P01", target=c2["id"])
        log.memo("joint research is the core", code="value.rnd")
        log.memo("a span about money", transcript="P01", start=s3.start, end=s3.start + 15)
        log.memo("whole interview was rushed", transcript="P02")
        log.uncode(c1["id"])
        log.memo("note on an undone coding", transcript="P01", target=c1["id"])
        log.done("P01")
    with p.log("boris") as log:
        log.memo("fees look thin", code="finance.fees")
    return root


def test_every_kind_with_its_place(memo_project):
    p = Project.open(memo_project)
    df = memos_frame(p)
    assert set(df["kind"]) <= set(KINDS)
    by_text = {r["text"]: r for r in to_records(df)}
    assert "first thought on funding" not in by_text          # replaced by the later memo
    cur = by_text["funding: regional money only"]
    assert (cur["kind"], cur["transcript"], cur["turn"], cur["code"]) == \
        ("coding", "P01", 4, "value.funding")                   # turn from 1: segment 3 -> 4
    assert cur["quote"] == TURNS[3][1]
    assert cur["code_name"] == "Project funding"
    code = by_text["joint research is the core"]
    assert (code["kind"], code["transcript"], code["code"]) == ("code", None, "value.rnd")
    seg = by_text["a span about money"]
    assert (seg["kind"], seg["turn"], seg["quote"]) == ("segment", 4, TURNS[3][1][:15])
    tr = by_text["whole interview was rushed"]
    assert (tr["kind"], tr["transcript"], tr["turn"]) == ("transcript", "P02", None)
    gone = by_text["note on an undone coding"]
    assert gone["status"] == "coding_removed" and gone["quote"] is None
    assert by_text["fees look thin"]["coder"] == "boris"
    # code memos first, then by transcript and place
    assert list(df["kind"])[:2] == ["code", "code"]


def test_history_and_filters(memo_project):
    p = Project.open(memo_project)
    hist = memos_frame(p, history=True)
    old = hist[hist["text"] == "first thought on funding"].iloc[0]
    assert not old["current"]
    assert hist[hist["text"] == "funding: regional money only"].iloc[0]["current"]
    assert set(memos_frame(p, "boris")["text"]) == {"fees look thin"}
    assert set(memos_frame(p, code="value.")["text"]) == {"funding: regional money only",
                                                         "joint research is the core"}
    assert set(memos_frame(p, code="finance")["text"]) == {"fees look thin"}
    assert set(memos_frame(p, transcript="P02")["text"]) == {"whole interview was rushed"}


def test_merged_code_memo_follows_the_merge(memo_project):
    p = Project.open(memo_project)
    p.codebook.merge("finance.fees", "value.funding")
    p.codebook.save()
    p = Project.open(memo_project)
    row = memos_frame(p, "boris").iloc[0]
    assert row["code"] == "value.funding" and row["status"] == "ok"


def test_reconcile_bookkeeping_is_not_a_memo(memo_project):
    p = Project.open(memo_project)
    with p.log("consensus") as log:
        log.append({"op": "memo", "transcript": "P01", "start": 0, "end": 5,
                    "text": "consensus: no code", "settles": {"coders": ["anna", "boris"]}})
        log.memo("agreed: funding is regional", transcript="P01")
    assert list(memos_frame(Project.open(memo_project), "consensus")["text"]) == \
        ["agreed: funding is regional"]


def test_cli_memos_json_and_table(memo_project, capsys):
    assert main(["memos", str(memo_project), "--json", "--code", "value."]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {r["text"] for r in out} == {"funding: regional money only",
                                       "joint research is the core"}
    assert all(set(r) >= {"coder", "id", "kind", "transcript", "turn", "code", "text", "at",
                          "quote"} for r in out)
    assert main(["memos", str(memo_project), "--coder", "anna"]) == 0
    text = capsys.readouterr().out
    assert "P01 turn 4" in text and "whole interview was rushed" in text
    assert "fees look thin" not in text


def test_cli_unknown_coder_is_one_line(memo_project, capsys):
    assert main(["memos", str(memo_project), "--coder", "zoe"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no coding log for coder 'zoe'" in err[0]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_every_export_has_the_memos(memo_project, tmp_path, fmt):
    p = Project.open(memo_project)
    res = export(p, "anna", fmt=fmt, out=tmp_path / "out")
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(res.paths[0])["memos"]
        rows = list(ws.values)
        header, body = rows[0], rows[1:]
        got = [dict(zip(header, r)) for r in body]
    elif fmt == "csv":
        path = next(x for x in res.paths if x.name == "memos.csv")
        got = pd.read_csv(path, skiprows=1).to_dict(orient="records")
    else:
        got = json.loads(res.paths[0].read_text(encoding="utf-8"))["tables"]["memos"]
    texts = {r["text"] for r in got}
    assert {"funding: regional money only", "joint research is the core", "fees look thin",
            "whole interview was rushed"} <= texts
    row = next(r for r in got if r["text"] == "funding: regional money only")
    assert int(row["turn"]) == 4 and row["kind"] == "coding"


# ---- a memo on a span follows its passage when the transcript is edited (as codings do) --------
def _edit_transcript(root, tid: str, old: str, new: str) -> None:
    path = root / "transcripts" / f"{tid}.txt"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def span_memo(small_project):
    """P01 with a memo on "a membership fee" in the last turn, written through the session
    (as the coding screen writes it)."""
    from workbench.session import CodingSession
    root = small_project
    write_transcript(root, "P01", TURNS, region="Perm")
    p = Project.open(root)
    text = p.text("P01")
    a = text.index("a membership fee")
    s = CodingSession.open(p, "anna").load()
    try:
        m = s.memo("fees are symbolic", "P01", start=a, end=a + len("a membership fee"))
    finally:
        s.close()
    return root, m, a


def _memo_row(root):
    rows = to_records(memos_frame(Project.open(root), "anna"))
    assert len(rows) == 1
    return rows[0]


def test_a_span_memo_records_its_quote_and_context(span_memo):
    root, m, a = span_memo
    ev = [json.loads(x) for x in (root / "codings" / "anna.jsonl").read_text().splitlines()
          if '"memo"' in x][-1]
    assert ev["quote"] == "a membership fee" and ev["prefix"].endswith("region, and ")
    assert ev["transcript_crc"] == Project.open(root).info("P01").crc
    assert m.quote == "a membership fee"


def test_a_span_memo_moves_with_its_passage(span_memo):
    from workbench.memos import MemoIndex
    root, _, a = span_memo
    _edit_transcript(root, "P01", "How do members benefit?",
                     "How do the members of your cluster benefit, in your view?")
    p = Project.open(root)
    row = _memo_row(root)
    shift = len("How do the members of your cluster benefit, in your view?") \
        - len("How do members benefit?")
    assert (row["status"], row["start"], row["quote"], row["turn"]) == \
        ("moved", a + shift, "a membership fee", 4)
    assert p.text("P01")[row["start"]:row["end"]] == "a membership fee"
    # retrieval and the coding screen find it on its passage, not at its old offsets
    index = MemoIndex(p.memos("anna"))
    assert [x.text for x in index.on("P01", a + shift, a + shift + 5)] == ["fees are symbolic"]
    assert index.on("P01", a, a + 5) == []
    from workbench.session import CodingSession
    s = CodingSession.open(p, "anna").load()
    try:
        assert [x.text for x in s.memos_for("P01", a + shift, a + shift + 3)] \
            == ["fees are symbolic"]
        assert s.memos_for("P01", a, a + 3) == []
    finally:
        s.close()


def test_a_span_memo_whose_passage_was_rewritten_is_flagged_not_moved(span_memo):
    from workbench.memos import MemoIndex
    root, _, a = span_memo
    _edit_transcript(root, "P01", "a membership fee", "a fee for membership")
    row = _memo_row(root)
    assert row["status"] == "needs_review"
    assert row["quote"] == "a membership fee"        # what the memo was written on
    p = Project.open(root)
    assert MemoIndex(p.memos("anna")).on("P01", 0, len(p.text("P01"))) == []
    from workbench.interchange.refi_write import qdpx_bytes
    _, res = qdpx_bytes(p)      # the memo goes to its transcript, and the export says why
    assert [d.kind for d in res.skipped] == ["memo span"] and res.memos == 1


def _older_span_memo(root, text: str, a: int, at: float) -> None:
    """A memo event as versions before memos recorded their quote wrote it: offsets only."""
    import time
    with Project.open(root).log("anna") as log:
        log.append({"op": "memo", "transcript": "P01", "target": None, "start": a,
                    "end": a + 16, "text": text,
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))})


def test_an_older_span_memo_gets_its_context_at_a_first_read(small_project):
    """A memo on a span written before memos recorded their quote stands while the transcript
    file is as it was when the memo was written: read then, it gets its quote and context (as
    an older log's coding does) and follows its passage through a later edit; one never read
    before the edit is `needs_review` — never silently shown on whatever text is there now."""
    import os
    import time
    root = small_project
    write_transcript(root, "P01", TURNS, region="Perm")
    past = time.time() - 3600
    os.utime(root / "transcripts" / "P01.txt", (past, past))
    a = Project.open(root).text("P01").index("a membership fee")
    _older_span_memo(root, "fees are symbolic", a, past + 60)
    assert (_memo_row(root)["status"], _memo_row(root)["quote"]) == ("ok", "a membership fee")
    _older_span_memo(root, "never read before the edit", a, past + 60)
    _edit_transcript(root, "P01", "How do members", "So, how do members")
    rows = {r["text"]: r for r in to_records(memos_frame(Project.open(root), "anna"))}
    read = rows["fees are symbolic"]
    assert (read["status"], read["start"], read["quote"]) == \
        ("moved", a + len("So, "), "a membership fee")
    assert rows["never read before the edit"]["status"] == "needs_review"


def test_an_older_span_memo_that_needs_review_does_not_quote_todays_words(small_project):
    """An older span memo (offsets only) flagged after an edit: its `quote` is documented as the
    passage it was written on, which is not known — so none, not whatever words are at its old
    offsets now (here other words: the edit shifted the text)."""
    import os
    import time
    root = small_project
    write_transcript(root, "P01", TURNS, region="Perm")
    past = time.time() - 3600
    os.utime(root / "transcripts" / "P01.txt", (past, past))
    p = Project.open(root)
    a = p.text("P01").index("a membership fee")
    with p.log("anna") as log:
        log.append({"op": "memo", "transcript": "P01", "target": None, "start": a,
                    "end": a + 16, "text": "fees are symbolic",
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(past + 60))})
    _edit_transcript(root, "P01", "How do members", "So, how do members")
    row = _memo_row(root)
    assert row["status"] == "needs_review" and row["start"] == a
    assert row["quote"] is None


def test_a_memo_at_a_point_is_beside_the_passage_that_starts_there(small_project):
    """A memo with a start and no end (or end == start: another tool's note on a place) on the
    first character of a coded turn is beside that coding in retrieval and in the coding
    screen's memo list, as one inside the turn is."""
    from workbench.memos import MemoIndex
    from workbench.session import CodingSession
    root = small_project
    write_transcript(root, "P01", TURNS, region="Perm")
    p = Project.open(root)
    seg = p.transcript("P01").segments[3]
    with p.log("anna") as log:
        log.code("P01", seg.start, seg.end, "value.funding", **p.coding_fields(
            "P01", seg.start, seg.end))
        log.append({"op": "memo", "transcript": "P01", "target": None, "start": seg.start,
                    "text": "no end"})
        log.memo("a point", transcript="P01", start=seg.start, end=seg.start)
        log.memo("inside", transcript="P01", start=seg.start + 3, end=seg.start + 3)
    p = Project.open(root)
    want = ["no end", "a point", "inside"]
    assert [m.text for m in MemoIndex(p.memos("anna")).on("P01", seg.start, seg.end)] == want
    s = CodingSession.open(p, "anna").load()
    try:
        assert [m.text for m in s.memos_for("P01", seg.start, seg.end)] == want
    finally:
        s.close()
    assert [r["end"] for r in to_records(memos_frame(p, "anna"))] == [seg.start] * 2 \
        + [seg.start + 3]


def test_a_replay_snapshot_from_before_memos_kept_their_quote_is_not_used(span_memo):
    """Both changes of snapshot version 3 were made on two branches at once: one build wrote
    version 3 with memos as 8 fields (no quote, context or CRC), the other with 12. A snapshot
    in the first layout, read as current, would give the memo no quote: flagged after an edit
    where the log says it moved."""
    import os
    import time

    from workbench.cache import CacheFile
    from workbench.snapshot import snapshot_file
    root, _, a = span_memo
    log = root / "codings" / "anna.jsonl"
    past = time.time() - 60
    os.utime(log, (past, past))                 # old enough to have a fingerprint
    p = Project.open(root)
    p.state("anna")                             # writes the snapshot
    cur = snapshot_file(p.state_dir / "cache", "anna")
    payload = cur.load()
    assert payload is not None and len(payload["state"]["memos"][0]) == 12
    payload["state"]["memos"] = [m[:8] for m in payload["state"]["memos"]]
    CacheFile(cur.path, "replay", 3).save(payload)   # as the branch without memo anchors wrote
    _edit_transcript(root, "P01", "How do members", "So, how do members")
    later = time.time() + 10                    # edited a while after the memo was written
    os.utime(root / "transcripts" / "P01.txt", (later, later))
    row = _memo_row(root)
    assert (row["status"], row["start"]) == ("moved", a + 4)


def test_a_lone_surrogate_in_a_log_is_printed_as_its_escape_not_a_traceback(memo_project):
    """Found in review: a ``\\udfff`` escape in a log's text (valid JSON, no valid character)
    ended `memos --json` and `codings` in a UnicodeEncodeError traceback. It is printed as the
    escape: in JSON output the same escape, read back as the same text."""
    import subprocess
    import sys
    log = memo_project / "codings" / "anna.jsonl"
    with log.open("a", encoding="utf-8") as f:
        f.write('{"v":1,"op":"memo","id":"odd","transcript":"P02","target":null,'
                '"text":"half \\udfff a pair"}\n')
    run = [sys.executable, "-m", "workbench"]
    env = {**__import__("os").environ, "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([*run, "memos", str(memo_project), "--json"], capture_output=True,
                         text=True, errors="surrogateescape", env=env)
    assert out.returncode == 0 and "Traceback" not in out.stderr
    texts = [r["text"] for r in json.loads(out.stdout)]
    assert "half \udfff a pair" in texts
    table = subprocess.run([*run, "memos", str(memo_project)], capture_output=True, text=True,
                           env=env)
    assert table.returncode == 0 and "half \\udfff a pair" in table.stdout
