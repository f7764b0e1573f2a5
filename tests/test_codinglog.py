"""The append-only coding log: replay, versions, torn lines, malformed lines, the lock, and a
SIGKILL of a writing process."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.codinglog import CodingLog
from workbench.errors import LockedError, LogError
from workbench.replay import read_events, replay

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def log_path(tmp_path) -> Path:
    (tmp_path / "codings").mkdir()
    return tmp_path / "codings" / "anna.jsonl"


def open_log(path: Path, **kw) -> CodingLog:
    return CodingLog(path, path.parent.parent / ".workbench" / "locks", **kw)


def test_append_and_replay_every_op(log_path):
    with open_log(log_path) as log:
        a = log.code("P01", 120, 245, "value.joint_rnd", quote="five joint R&D projects")
        b = log.code("P01", 300, 340, "value.project_funding", source="suggestion")
        c = log.code("P02", 10, 50, "finance.membership_fees", memo="fees cover 15%")
        log.uncode(b["id"])
        log.done("P01")
        log.done("P02")
        log.reopen("P02")
        log.memo("Check the date of the programme", transcript="P01", target=a["id"])
        log.memo("A general note", transcript="P02", start=10, end=20)
    st = replay(log_path)
    assert st.coder == "anna"
    assert set(st.codings) == {a["id"], c["id"]}
    ca = st.codings[a["id"]]
    assert (ca.transcript, ca.start, ca.end, ca.code, ca.quote, ca.source, ca.coder) == \
        ("P01", 120, 245, "value.joint_rnd", "five joint R&D projects", "manual", "anna")
    assert ca.memo == "Check the date of the programme"
    assert st.codings[c["id"]].memo == "fees cover 15%"
    assert st.done == {"P01"}
    assert [(m.transcript, m.text, m.start) for m in st.memos] == [
        ("P01", "Check the date of the programme", None), ("P02", "A general note", 10)]
    assert st.n_events == 9 and st.warnings == []
    # every line is one JSON object with v, op and at; appends return what was written
    lines = log_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 9
    events = [json.loads(line) for line in lines]
    assert all(e["v"] == 1 and e["at"] for e in events)
    assert events[0] == {**a}


def test_events_without_v_are_version_1_and_v2_is_refused(log_path):
    log_path.write_text(
        '{"op": "code", "id": "c1", "transcript": "P01", "start": 0, "end": 5, "code": "x"}\n'
        '{"op": "done", "transcript": "P01"}\n', encoding="utf-8")
    st = replay(log_path)
    assert list(st.codings) == ["c1"] and st.done == {"P01"}
    with open(log_path, "a", encoding="utf-8") as f:
        f.write('{"v": 2, "op": "code", "id": "c2", "transcript": "P01", "start": 0, "end": 5,'
                ' "code": "x", "span": {"unit": "grapheme"}}\n')
    with pytest.raises(LogError) as ei:
        replay(log_path)
    msg = str(ei.value)
    assert "anna.jsonl:3:" in msg and "version 2" in msg and "upgrade" in msg


def test_uncode_of_unknown_id_and_unknown_op_are_warnings(log_path):
    log_path.write_text('{"op": "uncode", "id": "nope"}\n{"op": "highlight", "x": 1}\n',
                        encoding="utf-8")
    st = replay(log_path)
    assert st.codings == {}
    assert any(":1:" in w and "nope" in w for w in st.warnings)
    assert any(":2:" in w and "highlight" in w for w in st.warnings)


def test_missing_log_is_empty(log_path):
    st = replay(log_path)
    assert st.codings == {} and st.done == set() and st.warnings == []


def test_bom_and_crlf_from_a_text_editor_are_accepted(log_path):
    log_path.write_bytes(
        b'\xef\xbb\xbf{"op": "code", "id": "c1", "transcript": "P01", "start": 0, "end": 5, '
        b'"code": "x"}\r\n{"op": "done", "transcript": "P01"}\r\n')
    st = replay(log_path)
    assert list(st.codings) == ["c1"] and st.done == {"P01"}


# ---- malformed lines -------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [b'{"op": "code", "id": ', b"not json at all", b"[1, 2, 3]",
                                 b'{"op": "code", "id": "c9", "transcript": "P01"}',
                                 b'{"op": "code", "id": "c9", "transcript": "P01", "start": "x",'
                                 b' "end": 5, "code": "y"}',
                                 b'\xff\xfe{"op": "done"}'])
def test_malformed_line_in_the_middle_names_file_and_line(log_path, bad):
    good = b'{"op": "done", "transcript": "P01"}\n'
    log_path.write_bytes(good + bad + b"\n" + good)
    with pytest.raises(LogError) as ei:
        replay(log_path)
    assert "anna.jsonl:2:" in str(ei.value)


# ---- torn last line ----------------------------------------------------------------------------

def write_events(log_path, n=3):
    with open_log(log_path) as log:
        return [log.code("P01", 10 * i, 10 * i + 5, "value.joint_rnd",
                         quote=f"цитата {i}")["id"] for i in range(n)]


@pytest.mark.parametrize("cut", [1, 17, -3])
def test_torn_last_line_is_skipped_then_terminated_by_the_next_writer(log_path, cut):
    ids = write_events(log_path)
    full = log_path.read_bytes()
    # a crash in mid-write: part of a fourth event, without its newline; with cut=-3 the cut
    # falls inside a two-byte Cyrillic letter
    partial = json.dumps({"v": 1, "op": "code", "id": "lost", "transcript": "P01",
                          "quote": "кластер"}, ensure_ascii=False).encode()[:cut]
    log_path.write_bytes(full + partial)

    st = replay(log_path)
    assert list(st.codings) == ids
    assert len(st.warnings) == 1 and "anna.jsonl:4:" in st.warnings[0]
    assert "incomplete" in st.warnings[0]

    before = log_path.read_bytes()
    with open_log(log_path) as log:
        new = log.code("P01", 100, 110, "value.project_funding")["id"]
    after = log_path.read_bytes()
    assert after.startswith(before)  # nothing rewritten, the torn bytes are still there
    added = after[len(before):].split(b"\n")
    assert added[0] == b""  # the torn line was terminated
    assert json.loads(added[1])["op"] == "torn" and json.loads(added[1])["line"] == 4
    st = replay(log_path)
    assert list(st.codings) == ids + [new]
    assert st.warnings == []
    # the next writer has nothing to repair
    size = log_path.stat().st_size
    open_log(log_path).close()
    assert log_path.stat().st_size == size


def test_crash_while_terminating_a_torn_line_stays_readable(log_path):
    ids = write_events(log_path, 2)
    # the first crash left a torn third line; the writer that repaired it crashed too, after
    # the newline and part of its 'torn' event
    log_path.write_bytes(log_path.read_bytes() + b'{"v":1,"op":"co' + b"\n" + b'{"v":1,"op":"to')
    st = replay(log_path)
    assert list(st.codings) == ids
    assert len(st.warnings) == 2
    before = log_path.read_bytes()
    with open_log(log_path) as log:
        log.done("P01")
    assert log_path.read_bytes().startswith(before)
    st = replay(log_path)
    assert list(st.codings) == ids and st.done == {"P01"} and st.warnings == []


def test_last_line_terminated_but_cut_off(log_path):
    ids = write_events(log_path, 2)
    log_path.write_bytes(log_path.read_bytes() + b'{"v":1,"op":"code","id":"x"\n')
    st = replay(log_path)
    assert list(st.codings) == ids and len(st.warnings) == 1
    with open_log(log_path) as log:
        log.done("P01")
    assert replay(log_path).warnings == []


def test_a_malformed_line_before_good_events_is_still_an_error(log_path):
    ids = write_events(log_path, 1)
    log_path.write_bytes(log_path.read_bytes() + b'{"v":1,"op":"co\n')
    with open_log(log_path) as log:  # the writer announces the torn line ...
        log.done("P01")
    assert list(replay(log_path).codings) == ids
    # ... but a line broken by hand in the middle of a log is not silently skipped
    lines = log_path.read_bytes().split(b"\n")
    lines[0] = lines[0][:20]
    log_path.write_bytes(b"\n".join(lines))
    with pytest.raises(LogError, match=r"anna\.jsonl:1:"):
        replay(log_path)


# ---- the lock ----------------------------------------------------------------------------------

def test_second_writer_in_the_same_process_is_refused(log_path):
    first = open_log(log_path)
    try:
        with pytest.raises(LockedError) as ei:
            open_log(log_path)
        msg = str(ei.value)
        assert "anna" in msg and "another" in msg and "anna.jsonl" in msg
        assert ei.value.exit_code != 0
        first.code("P01", 0, 5, "x")  # the first writer is unaffected
    finally:
        first.close()
    with open_log(log_path) as again:  # released on close
        again.done("P01")
    assert replay(log_path).done == {"P01"}


def test_other_coders_are_not_blocked(log_path):
    with open_log(log_path), open_log(log_path.with_name("boris.jsonl")) as boris:
        boris.done("P01")


HOLD_LOCK = """
import sys, time
from pathlib import Path
from workbench.codinglog import CodingLog
p = Path(sys.argv[1])
log = CodingLog(p, p.parent.parent / ".workbench" / "locks")
print("locked", flush=True)
time.sleep(60)
"""


def test_second_writer_in_another_process_is_refused(log_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(log_path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match="another"):
            open_log(log_path)
    finally:
        proc.kill()
        proc.wait()
    with open_log(log_path) as log:  # the OS releases the lock of a killed process
        log.done("P01")


# ---- a writer killed at a random moment loses nothing it reported as saved ----------------------

WRITER = """
import sys
from pathlib import Path
from workbench.codinglog import CodingLog
p = Path(sys.argv[1])
with CodingLog(p, p.parent.parent / ".workbench" / "locks") as log:
    i = 0
    while True:
        ev = log.code("P01", i, i + 7, "value.joint_rnd", quote="кластер " + "x" * (i % 300))
        print(ev["id"], flush=True)   # reported as saved only after append returned
        i += 1
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_of_a_writer_loses_no_reported_event(log_path, seed):
    rng = random.Random(seed)
    saved: list[str] = []
    for _round in range(2):  # the second writer also has to cope with the first one's crash
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(log_path)],
                                stdout=subprocess.PIPE, text=True, bufsize=1)
        try:
            target = rng.randint(1, 60)
            for _ in range(target):
                line = proc.stdout.readline()
                assert line, "the writer died early"
                saved.append(line.strip())
            time.sleep(rng.random() * 0.02)  # kill at a random moment, maybe mid-append
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
        # ids printed before the kill but not read yet by the loop above were saved too
        saved.extend(line.strip() for line in proc.stdout.read().splitlines() if line.strip())
        proc.stdout.close()
        if _round == 0:
            # a kill inside write() can leave half a line (rare with small events, so make
            # sure of it): the next writer must cope with it
            with open(log_path, "ab") as f:
                f.write(b'{"v":1,"op":"code","id":"half","transcript":"P0')
        st = replay(log_path)
        missing = [i for i in saved if i not in st.codings]
        assert missing == []
        assert len(st.warnings) <= 1  # at most the line cut off by the kill
    events, _ = read_events(log_path)
    assert sum(1 for _, e in events if e.get("op") == "code") >= len(saved)


def test_extend_writes_many_events_at_once_and_returns_them_as_written(log_path):
    with open_log(log_path) as log:
        evs = log.extend([{"op": "code", "transcript": "P01", "start": i, "end": i + 1,
                           "code": "c"} for i in range(3)] + [{"op": "done", "transcript": "P01"}])
    assert [e["op"] for e in evs] == ["code", "code", "code", "done"]
    assert all(e["v"] == 1 and e["at"] for e in evs) and len({e["id"] for e in evs[:3]}) == 3
    st = replay(log_path)
    assert sorted(c.start for c in st.codings.values()) == [0, 1, 2] and st.done == {"P01"}
    with open_log(log_path) as log, pytest.raises(ValueError):
        log.extend([{"op": "code", "transcript": "P02", "start": 0, "end": 1, "code": "c"},
                    {"op": "bogus"}])
    assert len(replay(log_path).codings) == 3          # all or nothing: nothing was written
