"""The streaming log replay (issue 16: read in blocks, each line parsed by the JSON scanner and
applied as it is read, malformed lines judged at the end) against the reference it replaced: the
whole log split into lines, every line parsed, the events validated and applied one by one
(``_events_in`` + ``_apply``, which ``read_events`` still uses). On logs built to hit every
corner — damaged lines in the middle and at the end, torn events, blank lines, CR LF, a BOM,
values across lines, bytes that are not UTF-8, unusual numbers and versions, every kind of
event — the state, the warnings and the error (message and line) must be the same, for a full
replay and for one that continues from a snapshot."""
from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import replay as R
from workbench.errors import LogError


def ref_replay(path, coder="ann"):
    data = path.read_bytes()
    state = R.LogState(coder)
    events, warnings, _ = R._events_in(data, path)
    state.warnings.extend(warnings)
    R._apply(state, events, path)
    return state


def outcome(fn):
    try:
        st_ = fn()
    except LogError as e:
        return ("error", str(e), e.line)
    return ("state", sorted((k, *(getattr(c, f) for f in R.Coding.__dataclass_fields__))
                            for k, c in st_.codings.items()),
            sorted(st_.done), [tuple(vars(m).values()) if hasattr(m, "__dict__") else
                               (m.id, m.transcript, m.text, m.target, m.start, m.end, m.at, m.code)
                               for m in st_.memos],
            st_.warnings, st_.n_events, st_.last_transcript)


def code(i, **kw):
    ev = {"v": 1, "op": "code", "id": f"c{i}", "transcript": f"T{i % 3}", "start": i,
          "end": i + 4, "code": f"k{i % 2}", "at": "2026-01-01T00:00:00+00:00",
          "source": "manual", "quote": f"q{i}"}
    ev.update(kw)
    return json.dumps(ev, ensure_ascii=False)


ODD_EVENTS = [
    code(1), code(2, prefix="ab", suffix="cd", transcript_crc=12), code(3, v=2), code(4, v=None),
    code(5, v=1.0), code(6, start=7.0), code(7, start=2**41), code(8, id=17), code(9, at=5),
    code(10, source=""), code(11, settles={"a": 1}), code(12, settles=[1]), code(13, quote=None),
    code(14, transcript_crc=True), code(15, memo="m"), code(16, id=None), code(17, end=None),
    code(18, transcript="Пермь", quote="дём"), code(19, quote="\ud800 lone"),
    json.dumps({"op": "uncode", "id": "c1"}), json.dumps({"op": "uncode", "id": "nope"}),
    json.dumps({"op": "done", "transcript": "T1"}), json.dumps({"op": "done", "transcript": 5}),
    json.dumps({"op": "done"}), json.dumps({"op": "reopen", "transcript": "T1"}),
    json.dumps({"op": "memo", "id": "m1", "transcript": "T1", "target": "c2", "text": "note"}),
    json.dumps({"op": "memo", "text": "x", "start": 1.5}), json.dumps({"op": "whatever"}),
    json.dumps({"op": "torn", "line": 3}), json.dumps({"op": "torn", "line": 1}),
    json.dumps({"op": "done", "transcript": "T2", "v": 0}), json.dumps([1, 2]), "3", '"s"',
    "", "   ", "{", '{"op": "code"', "{}", '{"op":"done","transcript":"T0"} x',
    '{"op":"done",\n"transcript":"T0"}', '{"op": "done", "transcript": "T0"}\r',
    '  {"op": "done", "transcript": "T0"}', "\ufeff" + code(20), "[[[[[[[[[[" * 200,
    '{"op":"done","transcript":"T0","transcript":"T1"}', code(21, quote="x\u2028y"),
]


@st.composite
def logs(draw):
    lines = draw(st.lists(st.one_of(st.sampled_from(ODD_EVENTS),
                                    st.integers(0, 60).map(lambda i: code(i))),
                          min_size=0, max_size=25))
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw += b"\n"
    if draw(st.integers(0, 6)) == 0:
        raw = b"\xef\xbb\xbf" + raw
    if draw(st.integers(0, 8)) == 0:
        k = draw(st.integers(0, len(raw)))
        raw = raw[:k] + b"\xff\xfe" + raw[k:]
    if draw(st.integers(0, 5)) == 0:
        raw += b'{"v":1,"op":"code","id":"half'
    return raw


SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@SETTINGS
@given(logs())
def test_full_replay_is_that_of_the_reference(tmp_path, raw):
    path = tmp_path / "ann.jsonl"
    path.write_bytes(raw)
    assert outcome(lambda: R.replay(path, "ann")) == outcome(lambda: ref_replay(path))


def ref_incremental(path, head_state, first: bytes):
    """The reference for a replay that continues from a snapshot of the log's first bytes
    (``head_state``: the reference state of those): the events of the rest are applied to it
    (a torn event naming a line before them makes it a full replay), as the previous
    implementation did it."""
    data = path.read_bytes()
    line_base = first.count(b"\n")
    events, warnings, announced = R._events_in(data[len(first):], path, line_base)
    if any(a <= line_base for a in announced):
        return ref_replay(path)
    head_state.warnings.extend(warnings)
    R._apply(head_state, events, path)
    return head_state


@SETTINGS
@given(logs(), logs())
def test_a_replay_from_a_snapshot_is_that_of_the_reference(tmp_path, first, more):
    path, cache = tmp_path / "ann.jsonl", tmp_path / "cache"
    for f in cache.glob("*"):
        f.unlink()
    path.write_bytes(first)
    old = time.time_ns() - 10 * 10**9     # settled: the snapshot may be kept
    os.utime(path, ns=(old, old))
    try:
        R.replay(path, "ann", cache_dir=cache)
    except LogError:
        pass
    snapshotted = R.snapshot_file(cache, "ann").load() is not None
    head_state = ref_replay(path) if snapshotted else None
    with open(path, "ab") as f:
        f.write(more)
    want = outcome(lambda: ref_incremental(path, head_state, first) if snapshotted
                   else ref_replay(path))
    assert outcome(lambda: R.replay(path, "ann", cache_dir=cache)) == want
    os.utime(path, ns=(old, old))
    assert outcome(lambda: R.replay(path, "ann", cache_dir=cache)) == want
    assert outcome(lambda: R.replay(path, "ann", cache_dir=cache)) == want   # its own snapshot
    if want[0] == "state":      # the same codings, done marks and memos as a full replay
        assert outcome(lambda: ref_replay(path))[1:4] == want[1:4] or any(
            b"torn" in line for line in (first + more).split(b"\n"))


@pytest.mark.parametrize("block", [7, 64, 1 << 22])
def test_lines_across_read_blocks(tmp_path, monkeypatch, block):
    monkeypatch.setattr(R, "_BLOCK", block)
    path = tmp_path / "ann.jsonl"
    path.write_bytes(("\n".join(code(i, quote="дём " * (i % 5)) for i in range(200))
                      + "\n{\n" + code(999) + "\n").encode())
    assert outcome(lambda: R.replay(path, "ann")) == outcome(lambda: ref_replay(path))


@SETTINGS
@given(logs(), st.sampled_from([1, 2, 3, 5, 16, 100]))
def test_any_read_block_size_gives_the_reference(tmp_path, raw, block):
    """Lines cut anywhere by the blocks the log is read in (a BOM, a multi-byte character or a
    line across blocks, a line longer than a block) replay as a whole read does."""
    path = tmp_path / "ann.jsonl"
    path.write_bytes(raw)
    was, R._BLOCK = R._BLOCK, block
    try:
        got = outcome(lambda: R.replay(path, "ann"))
    finally:
        R._BLOCK = was
    assert got == outcome(lambda: ref_replay(path))


def test_a_replay_keeps_what_the_app_froze_out_of_the_collector(tmp_path):
    """The app freezes its loaded state (so that the collector's passes do not grow with the
    project on every key press); replaying a log later must not release it."""
    import gc
    path = tmp_path / "ann.jsonl"
    path.write_text("\n".join(code(i) for i in range(50)) + "\n", encoding="utf-8")
    was = gc.get_freeze_count()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert len(R.replay(path, "ann").codings) == 50
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        if was == 0:
            gc.unfreeze()
