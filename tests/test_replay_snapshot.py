"""Incremental replay: a snapshot of the replayed log in .workbench/cache lets the next replay
read only the lines appended since. It must always give the same state as a full replay."""
from __future__ import annotations

import pickle

from workbench.codinglog import CodingLog, _snapshot_path, replay


def _state(st):
    return (sorted((k, tuple(map(str, v))) for k, v in st.rows.items()), sorted(st.done),
            [(m.id, m.text, m.target) for m in st.memos], st.n_events)


def _write(log_path, cache, n, start=0):
    with CodingLog(log_path, cache.parent / "locks") as log:
        ids = [log.code("T1", i * 10, i * 10 + 5, f"c{i % 3}", quote="x" * 5)["id"]
               for i in range(start, start + n)]
        log.done("T1")
    return ids


def test_appended_lines_replay_from_the_snapshot(tmp_path):
    log_path, cache = tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"
    ids = _write(log_path, cache, 5)
    first = replay(log_path, cache_dir=cache)
    assert _snapshot_path(cache, "ann").is_file()
    with CodingLog(log_path, cache.parent / "locks") as log:
        log.uncode(ids[0])
        log.memo("note", transcript="T1", target=ids[1])
        log.reopen("T1")
    ids += _write(log_path, cache, 3, start=5)
    incremental = replay(log_path, cache_dir=cache)
    full = replay(log_path)
    assert _state(incremental) == _state(full)
    assert ids[0] not in incremental.rows and incremental.codings[ids[1]].memo == "note"
    assert len(incremental.rows) == 7 and incremental.done == {"T1"}
    assert incremental.n_events == first.n_events + 3 + 4
    # line numbers continue across the snapshot boundary
    assert incremental.rows[ids[-1]][-1] == full.rows[ids[-1]][-1]


def test_a_rewritten_log_is_replayed_in_full(tmp_path):
    """A log changed other than by appending (a git merge, an edit) must not reuse the snapshot."""
    log_path, cache = tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"
    _write(log_path, cache, 4)
    replay(log_path, cache_dir=cache)
    lines = log_path.read_text().splitlines(keepends=True)
    log_path.write_text(lines[0] + lines[2] + lines[1] + "".join(lines[3:]))  # reordered
    lines = log_path.read_text().splitlines(keepends=True)
    log_path.write_text("".join(lines[:-2]) + lines[-1])  # and one coding removed
    assert _state(replay(log_path, cache_dir=cache)) == _state(replay(log_path))
    assert len(replay(log_path, cache_dir=cache).rows) == 3


def test_a_planted_snapshot_cannot_run_code(tmp_path):
    log_path, cache = tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"
    _write(log_path, cache, 2)
    replay(log_path, cache_dir=cache)

    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))
    snap = pickle.loads(_snapshot_path(cache, "ann").read_bytes())
    snap["state"]["warnings"] = [Evil()]
    _snapshot_path(cache, "ann").write_bytes(pickle.dumps(snap))
    st = replay(log_path, cache_dir=cache)
    assert not (tmp_path / "pwned").exists()
    assert len(st.rows) == 2 and st.warnings == []


def test_a_torn_tail_is_not_snapshotted(tmp_path):
    log_path, cache = tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"
    _write(log_path, cache, 2)
    replay(log_path, cache_dir=cache)
    before = _snapshot_path(cache, "ann").read_bytes()
    with open(log_path, "ab") as f:
        f.write(b'{"v":1,"op":"code","id":"half')
    st = replay(log_path, cache_dir=cache)
    assert len(st.rows) == 2 and "incomplete" in st.warnings[0]
    assert _snapshot_path(cache, "ann").read_bytes() == before
    _write(log_path, cache, 1, start=2)  # the next writer terminates and announces the torn line
    assert _state(replay(log_path, cache_dir=cache)) == _state(replay(log_path))
    assert len(replay(log_path, cache_dir=cache).rows) == 3


def test_a_damaged_snapshot_state_is_replayed_in_full(tmp_path):
    """A snapshot whose digests still match but whose state is damaged (a bad disk, a partial
    copy of .workbench/) is derived state: the log is replayed in full, never a traceback."""
    log_path, cache = tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"
    _write(log_path, cache, 3)
    replay(log_path, cache_dir=cache)
    for damage in ({"rows": "not rows"}, None, {"memos": [("only-an-id",)]}):
        snap = pickle.loads(_snapshot_path(cache, "ann").read_bytes())
        snap["state"] = damage
        _snapshot_path(cache, "ann").write_bytes(pickle.dumps(snap))
        st = replay(log_path, cache_dir=cache)
        assert _state(st) == _state(replay(log_path))
        assert len(st.rows) == 3 and st.done == {"T1"}
