"""Derived state in .workbench/ (workbench.cache): one rule for every cache. A cache is used only
while the files it was computed from keep their fingerprint, a file changed in the last 2 s is
never cached, and a cache file whose checksum fails is ignored — damaged caches are rebuilt,
never trusted (issue 15, item 5). Replay snapshots serve a log that only grew since."""
from __future__ import annotations

import json
import os
import random
import time

import pytest
from helpers import REPO, SMALL_CODEBOOK, write_transcript

from workbench.cache import SETTLE_NS, CacheFile, file_fingerprint
from workbench.catalog import Catalog
from workbench.codinglog import CodingLog
from workbench.counts import opinion_counts
from workbench.project import Project, init_project
from workbench.replay import replay, snapshot_file


def _age(path, seconds=60):
    t = time.time_ns() - seconds * 1_000_000_000
    os.utime(path, ns=(t, t))


def _state(st):
    return (sorted((c.id, c.transcript, c.code, c.start, c.end, c.quote, c.memo, c.line)
                   for c in st.codings.values()), sorted(st.done),
            [(m.id, m.text, m.target) for m in st.memos], st.n_events, st.warnings)


# ---- the cache file ----------------------------------------------------------------------------
def test_a_cache_file_round_trips_and_refuses_any_damage(tmp_path):
    f = CacheFile(tmp_path / "c.json", "test", 1)
    assert f.load() is None                                   # missing
    payload = {"files": {"a": [1, 2, 3]}, "text": "Интервью"}
    f.save(payload)
    assert f.load() == payload
    raw = f.path.read_bytes()
    rng = random.Random(1)
    for _ in range(200):                                      # any single bit flip
        i = rng.randrange(len(raw))
        flipped = raw[:i] + bytes([raw[i] ^ (1 << rng.randrange(8))]) + raw[i + 1:]
        f.path.write_bytes(flipped)
        assert f.load() is None, i
    same_length_edit = raw.replace(b'"a"', b'"b"', 1)
    for bad in (raw[:-1], raw + b" ", b"[]", b"", b"\n{}", same_length_edit):
        f.path.write_bytes(bad)
        assert f.load() is None
    f.path.write_bytes(raw)
    assert CacheFile(f.path, "test", 2).load() is None        # another version
    assert CacheFile(f.path, "other", 1).load() is None       # another kind


def test_a_cache_file_is_written_with_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        CacheFile(tmp_path / "c.json", "test", 1).save([1])
    finally:
        os.umask(old)
    assert (tmp_path / "c.json").stat().st_mode & 0o777 == 0o644


def test_a_file_changed_in_the_last_two_seconds_has_no_fingerprint(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("x")
    assert file_fingerprint(p) is None
    _age(p)
    st = p.stat()
    assert file_fingerprint(p) == [st.st_size, st.st_mtime_ns]
    assert file_fingerprint(p, now_ns=st.st_mtime_ns + SETTLE_NS - 1) is None


# ---- the catalog -------------------------------------------------------------------------------
def _demo(tmp_path):
    import shutil
    root = tmp_path / "demo"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", ".workbench",
                                                              "exports", "tests", "bench",
                                                              "workbench", "docs"))
    for f in (root / "transcripts").iterdir():
        _age(f)
    return root


def test_one_changed_letter_in_the_catalog_cache_is_not_trusted(tmp_path):
    """Issue 15: a role E→I in catalog.json made counts report 9 interviews instead of 10."""
    root = _demo(tmp_path)
    p = Project.open(root)
    expected = opinion_counts(p, "anna", codes="value.").to_json()
    cache = root / ".workbench" / "catalog.json"
    head, body = cache.read_bytes().split(b"\n", 1)
    i = body.index(b'"roles":"') + len(b'"roles":"')
    j = body.index(b'E', i)
    cache.write_bytes(head + b"\n" + body[:j] + b"I" + body[j + 1:])
    assert opinion_counts(Project.open(root), "anna", codes="value.").to_json() == expected
    for junk in (b"[]", b"{}", b"null", b"\x00" * 10):
        cache.write_bytes(junk)
        assert opinion_counts(Project.open(root), "anna", codes="value.").to_json() == expected


def test_random_damage_to_the_caches_never_changes_a_result(tmp_path):
    root = _demo(tmp_path)
    p = Project.open(root)
    expected = (opinion_counts(p, "anna", codes="value.").to_json(),
                [c.to_dict() for c in p.codings("boris")])
    files = [root / ".workbench" / "catalog.json", root / ".workbench" / "cache" /
             "replay-boris.json"]
    _age(root / "codings" / "boris.jsonl")
    Project.open(root).codings("boris")          # now snapshotted (the log is old enough)
    originals = {f: f.read_bytes() for f in files}
    rng = random.Random(5)
    for trial in range(60):
        f = files[trial % 2]
        raw = originals[f]
        i = rng.randrange(len(raw))
        f.write_bytes(raw[:i] + bytes([raw[i] ^ (1 << rng.randrange(8))]) + raw[i + 1:])
        q = Project.open(root)
        got = (opinion_counts(q, "anna", codes="value.").to_json(),
               [c.to_dict() for c in q.codings("boris")])
        assert got == expected, (f.name, i)
        f.write_bytes(originals[f])


def test_an_edit_keeping_size_and_time_is_seen_when_the_file_was_young(tmp_path):
    root = init_project(tmp_path / "p")
    path = write_transcript(root, "T1", [("Interviewer", "Hi?"), ("Anna", "Hello there.")])
    st = path.stat()
    p = Project.open(root)
    assert p.catalog()["T1"].n_segments == 2
    path.write_text(path.read_text().replace("Hello there.", "Hello: here."))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))   # same size, same time stamp
    assert Project.open(root).transcript("T1").segments[1].text == "Hello: here."


def test_an_old_file_is_served_from_the_catalog_cache(tmp_path):
    root = init_project(tmp_path / "p")
    path = write_transcript(root, "T1", [("Interviewer", "Hi?"), ("Anna", "Hello.")])
    _age(path)
    Project.open(root).catalog()
    p = Project.open(root)
    p._catalog._parse = None       # nothing may be parsed: every entry comes from the cache
    assert p.catalog()["T1"].n_segments == 2
    cat = Catalog(root, p.config.interviewer_speakers, p.state_dir).cache.load()
    assert list(cat["files"]) == ["transcripts/T1.txt"]


# ---- replay snapshots ----------------------------------------------------------------------------
def _write(log_path, n, start=0, codes=None):
    with CodingLog(log_path) as log:
        ids = [log.code("T1", i * 10, i * 10 + 5, (codes or {}).get(i, f"c{i % 3}"), quote="x" * 5)["id"]
               for i in range(start, start + n)]
        log.done("T1")
    return ids


@pytest.fixture
def log(tmp_path):
    return tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"


def test_a_snapshot_is_used_while_the_log_is_unchanged(log):
    log_path, cache = log
    _write(log_path, 3)
    _age(log_path)
    replay(log_path, cache_dir=cache)
    snap = snapshot_file(cache, "ann")
    data = snap.load()
    data["state"]["done"] = ["FROM-SNAPSHOT"]     # a well-formed snapshot: proof it is used
    snap.save(data)
    assert replay(log_path, cache_dir=cache).done == {"FROM-SNAPSHOT"}
    data = log_path.read_bytes()                  # the same size, other content: not used
    log_path.write_bytes(data.replace(b'"c1"', b'"c4"'))
    _age(log_path)
    assert replay(log_path, cache_dir=cache).done == {"T1"}


def test_appended_lines_replay_from_the_snapshot(log):
    log_path, cache = log
    ids = _write(log_path, 5)
    first = replay(log_path, cache_dir=cache)
    with CodingLog(log_path) as lg:
        lg.uncode(ids[0])
        lg.memo("note", transcript="T1", target=ids[1])
        lg.reopen("T1")
    ids += _write(log_path, 3, start=5)
    incremental = replay(log_path, cache_dir=cache)
    full = replay(log_path)
    assert _state(incremental) == _state(full)
    assert ids[0] not in incremental.codings and incremental.codings[ids[1]].memo == "note"
    assert len(incremental.codings) == 7 and incremental.done == {"T1"}
    assert incremental.n_events == first.n_events + 3 + 4


@pytest.mark.parametrize("edit", ["same size", "reordered", "edited and appended"])
def test_a_log_changed_other_than_by_appending_is_replayed_in_full(log, edit):
    log_path, cache = log
    _write(log_path, 400, codes={200: "mid"})
    _age(log_path)
    assert {c.code for c in replay(log_path, cache_dir=cache).codings.values()} >= {"mid"}
    data = log_path.read_bytes()
    if edit == "reordered":
        lines = data.splitlines(keepends=True)
        log_path.write_bytes(lines[1] + lines[0] + b"".join(lines[2:]))
    else:
        k = data.index(b'"mid"')
        log_path.write_bytes(data[:k] + b'"new"' + data[k + 5:])
        if edit == "edited and appended":
            _write(log_path, 1, start=999)
    assert _state(replay(log_path, cache_dir=cache)) == _state(replay(log_path))
    assert _state(replay(log_path, cache_dir=cache)) == _state(replay(log_path))


def test_a_torn_tail_is_not_snapshotted(log):
    log_path, cache = log
    _write(log_path, 2)
    replay(log_path, cache_dir=cache)
    before = snapshot_file(cache, "ann").path.read_bytes()
    with open(log_path, "ab") as f:
        f.write(b'{"v":1,"op":"code","id":"half')
    st = replay(log_path, cache_dir=cache)
    assert len(st.codings) == 2 and "incomplete" in st.warnings[0]
    assert snapshot_file(cache, "ann").path.read_bytes() == before
    _write(log_path, 1, start=2)  # the next writer terminates and announces the torn line
    assert _state(replay(log_path, cache_dir=cache)) == _state(replay(log_path))
    assert len(replay(log_path, cache_dir=cache).codings) == 3


@pytest.mark.parametrize("damage", [{"codings": "not rows"}, None, {"memos": [["only-an-id"]]},
                                    {"codings": [[1, 2]]}])
def test_a_damaged_snapshot_state_is_replayed_in_full(log, damage):
    """Well-formed JSON with the right checksum but a damaged state (written by another
    program): replayed in full, never a traceback."""
    log_path, cache = log
    _write(log_path, 3)
    _age(log_path)
    replay(log_path, cache_dir=cache)
    snap = snapshot_file(cache, "ann")
    data = snap.load()
    data["state"] = damage if damage is None else {**data["state"], **damage}
    snap.save(data)
    st = replay(log_path, cache_dir=cache)
    assert _state(st) == _state(replay(log_path))
    assert len(st.codings) == 3 and st.done == {"T1"}


def test_caches_are_json_not_code(log):
    log_path, cache = log
    _write(log_path, 2)
    replay(log_path, cache_dir=cache)
    head, body = snapshot_file(cache, "ann").path.read_bytes().split(b"\n", 1)
    assert json.loads(head)["kind"] == "replay" and isinstance(json.loads(body), dict)


def test_a_coded_project_gives_the_same_codings_with_and_without_caches(tmp_path):
    root = init_project(tmp_path / "p")
    (root / "codebooks" / "codebook.yaml").write_text(SMALL_CODEBOOK)
    write_transcript(root, "T1", [("Interviewer", "Hi?"), ("Anna", "We do joint research.")])
    p = Project.open(root)
    text = p.text("T1")
    i = text.index("joint research")
    with p.log("ann") as lg:
        lg.code("T1", i, i + 14, "value.rnd", quote="joint research")
    for f in (root / "transcripts" / "T1.txt", root / "codings" / "ann.jsonl"):
        _age(f)
    warm = [c.to_dict() for c in Project.open(root).codings("ann")]
    again = [c.to_dict() for c in Project.open(root).codings("ann")]
    import shutil
    shutil.rmtree(root / ".workbench")
    cold = [c.to_dict() for c in Project.open(root).codings("ann")]
    assert warm == again == cold and cold[0]["start"] == i and cold[0]["status"] == "ok"


def test_status_caches_a_log_with_a_lone_surrogate_without_a_traceback(tmp_path, capsys):
    """Found in review: a log line holding a \\ud800 escape (replay accepts it) made `status`
    crash while saving its summary cache."""
    from workbench.cli import main
    root = _demo(tmp_path)
    log = root / "codings" / "anna.jsonl"
    with log.open("a", encoding="utf-8") as f:
        f.write('{"v":1,"op":"done","transcript":"P\\ud800"}\n')
    _age(log)
    for _ in range(2):          # computed and cached, then read from the cache
        assert main(["status", str(root)]) == 0
        out = capsys.readouterr()
        assert "Traceback" not in out.err and "anna" in out.out


def test_a_status_summary_cached_by_other_code_is_not_used(tmp_path, monkeypatch):
    """Found in review: an upgrade that places codings differently kept showing the problems
    the older code had cached. The status cache's version includes a digest of the code."""
    from workbench import cache as cache_mod
    from workbench import status as status_mod
    root = _demo(tmp_path)
    _age(root / "codings" / "anna.jsonl")
    first = status_mod.coder_summary(Project.open(root), "anna")
    calls = []
    real = status_mod.compute_summary
    monkeypatch.setattr(status_mod, "compute_summary",
                        lambda p, c: calls.append(c) or real(p, c))
    assert status_mod.coder_summary(Project.open(root), "anna") == first and calls == []
    monkeypatch.setattr(cache_mod, "_CODE_DIGESTS", {})       # as if the code had changed
    import workbench
    monkeypatch.setattr(workbench, "__version__", "9.9")
    assert status_mod.coder_summary(Project.open(root), "anna") == first and calls == ["anna"]
