"""Review of the columnar/snapshot performance change: derived state in .workbench/ must never
serve stale data after a log changes, planted cache files must not run code, a damaged catalog
cache is rebuilt, and pausing the garbage collector can never leave it off."""
from __future__ import annotations

import copyreg
import gc
import io
import json
import os
import pickle
import threading
import time

import pytest

from helpers import SMALL_CODEBOOK, write_transcript
from workbench import codinglog
from workbench.codinglog import CodingLog, _BuiltinsOnly, _snapshot_path, paused_gc, replay
from workbench.project import Project, init_project


# ---- the garbage collector ------------------------------------------------------------------
def test_paused_gc_turns_the_collector_back_on_after_an_exception():
    gc.enable()
    with pytest.raises(RuntimeError):
        with paused_gc():
            with paused_gc():
                assert not gc.isenabled()
                raise RuntimeError("boom")
    assert gc.isenabled()


class _GcProxy:
    """The gc module, except that ``isenabled`` called in ``thread`` runs ``hook`` after
    reading the real value (another thread acting between a check and what follows it)."""

    def __init__(self, thread_name, hook):
        self.thread_name, self.hook = thread_name, hook

    def isenabled(self):
        value = gc.isenabled()
        if threading.current_thread().name == self.thread_name:
            self.hook()
        return value

    def __getattr__(self, name):
        return getattr(gc, name)


def test_overlapping_pauses_in_two_threads_leave_the_collector_enabled(monkeypatch):
    """The TUI loads counts, agreement and the session in worker threads at once: a pause
    that starts while another one ends must not leave the collector off for good."""
    gc.enable()
    b_progressed, a_exited, release_b = threading.Event(), threading.Event(), threading.Event()

    def between_check_and_disable():
        b_progressed.set()
        a_exited.wait(5)

    monkeypatch.setattr(codinglog, "gc", _GcProxy("pause-b", between_check_and_disable))
    a = paused_gc()
    a.__enter__()

    def b():
        with paused_gc():
            b_progressed.set()
            release_b.wait(5)

    t = threading.Thread(target=b, name="pause-b")
    try:
        t.start()
        assert b_progressed.wait(5)
        a.__exit__(None, None, None)
        a_exited.set()
        release_b.set()
        t.join(10)
        assert gc.isenabled()
    finally:
        a_exited.set()
        release_b.set()
        t.join(10)
        gc.enable()


# ---- the replay snapshot --------------------------------------------------------------------
def _big_log(tmp_path, n=2000):
    log_path, cache = tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"
    with CodingLog(log_path, tmp_path / ".workbench" / "locks") as log:
        for i in range(n):
            log.code("T1", i * 10, i * 10 + 5, "mid" if i == n // 2 else "aaa", quote="x" * 5)
    assert log_path.stat().st_size > 4 * codinglog._EDGE   # the middle is outside the edges
    return log_path, cache


def _age(path, seconds=60):
    t = time.time_ns() - seconds * 1_000_000_000
    os.utime(path, ns=(t, t))


def _codes(st):
    return sorted({r[2] for r in st.rows.values()})


def test_a_log_rewritten_to_the_same_size_is_not_served_from_the_snapshot(tmp_path):
    log_path, cache = _big_log(tmp_path)
    _age(log_path)   # the snapshot is not taken close to the log's last change
    assert _codes(replay(log_path, cache_dir=cache)) == ["aaa", "mid"]
    data = log_path.read_bytes()
    k = data.index(b'"mid"')
    log_path.write_bytes(data[:k] + b'"new"' + data[k + 5:])   # an edit in the middle
    assert log_path.stat().st_size == len(data)
    assert _codes(replay(log_path, cache_dir=cache)) == ["aaa", "new"] == _codes(replay(log_path))
    # the next replay is from a snapshot of the edited log
    assert _codes(replay(log_path, cache_dir=cache)) == ["aaa", "new"]


def test_a_log_edited_in_the_middle_and_appended_to_is_replayed_in_full(tmp_path):
    log_path, cache = _big_log(tmp_path)
    _age(log_path)
    replay(log_path, cache_dir=cache)
    data = log_path.read_bytes()
    k = data.index(b'"mid"')
    log_path.write_bytes(data[:k] + b'"new"' + data[k + 5:])
    with CodingLog(log_path, tmp_path / ".workbench" / "locks") as log:
        log.code("T1", 1, 2, "bbb")
    assert _codes(replay(log_path, cache_dir=cache)) == ["aaa", "bbb", "new"]


# ---- the anchor cache -----------------------------------------------------------------------
@pytest.fixture
def coded(tmp_path):
    root = init_project(tmp_path / "proj", name="Small")
    (root / "codebooks" / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    write_transcript(root, "T1", [("Interviewer", "Hello there"),
                                  ("Anna", "We do joint research here. Funding is scarce.")])
    p = Project.open(root)
    text = p.text("T1")
    i = text.index("joint research")
    with p.log("ann") as log:
        ev = log.code("T1", i, i + 14, "value.rnd", quote="joint research")
    assert [(c.start, c.status) for c in p.codings("ann")] == [(i, "ok")]   # cached
    return root, text, ev


def _spans(p):
    cc = p.coding_columns("ann")
    return ([(c.start, c.end, c.status) for c in p.codings("ann")],
            list(zip(cc.start.tolist(), cc.end.tolist(), cc.status.tolist())))


def test_an_edited_log_line_is_not_served_from_the_anchor_cache(coded):
    root, text, ev = coded
    j = text.index("Funding")
    log_path = root / "codings" / "ann.jsonl"
    lines = log_path.read_text(encoding="utf-8").splitlines(keepends=True)
    e = json.loads(lines[0])
    e.update(start=j, end=j + 7, quote="Funding", code="value.funding")
    log_path.write_text(json.dumps(e) + "\n" + "".join(lines[1:]), encoding="utf-8")
    want = [(j, j + 7, "ok")]
    assert _spans(Project.open(root)) == (want, want)


def test_a_coding_appended_again_under_its_id_is_checked_again(coded):
    root, text, ev = coded
    j = text.index("Funding")
    p = Project.open(root)
    with p.log("ann") as log:
        log.uncode(ev["id"])
        log.append({"op": "code", "id": ev["id"], "transcript": "T1", "start": j, "end": j + 7,
                    "code": "value.funding", "quote": "Funding"})
    want = [(j, j + 7, "ok")]
    assert _spans(p) == (want, want)
    assert _spans(Project.open(root)) == (want, want)


def test_a_planted_anchor_cache_cannot_run_code(coded, tmp_path):
    root, text, ev = coded
    anchors = root / ".workbench" / "cache" / "anchors-ann.pickle"
    assert anchors.is_file()

    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))
    data = pickle.loads(anchors.read_bytes())
    data["transcripts"]["T1"] = Evil()
    anchors.write_bytes(pickle.dumps(data))
    i = text.index("joint research")
    assert _spans(Project.open(root)) == ([(i, i + 14, "ok")], [(i, i + 14, "ok")])
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("damage", [
    lambda crc, checks: "not a pair",
    lambda crc, checks: (crc, {line: "not a check" for line in checks}),
    lambda crc, checks: (crc, {line: ("ok", "3", None) for line in checks}),
    lambda crc, checks: (crc, {line: ("ok",) for line in checks}),
    lambda crc, checks: (crc, list(checks)),
])
def test_a_damaged_anchor_cache_is_ignored(coded, damage):
    """A damaged (not malicious) anchors cache is derived state: the codings are checked against
    the text again, with the right offsets, instead of a traceback."""
    root, text, ev = coded
    anchors = root / ".workbench" / "cache" / "anchors-ann.pickle"
    data = pickle.loads(anchors.read_bytes())
    crc, checks = data["transcripts"]["T1"]
    assert checks   # the cache holds a check for the coding: damage it (same CRC, so it is used)
    data["transcripts"]["T1"] = damage(crc, checks)
    anchors.write_bytes(pickle.dumps(data))
    i = text.index("joint research")
    assert _spans(Project.open(root)) == ([(i, i + 14, "ok")], [(i, i + 14, "ok")])


class _Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


_EXT_CODE = 0xF0


def _payloads(target: str) -> dict[str, bytes]:
    """Pickles that call open(target, "w") when loaded by a plain unpickler, one per way a
    pickle can name a callable (EXT1 while builtins.open is registered as extension 0xF0)."""
    s = b"S" + repr(target).encode() + b"\nS'w'\n"
    out = {"GLOBAL": b"cbuiltins\nopen\n(" + s + b"tR.",
           "INST": b"(" + s + b"ibuiltins\nopen\n.",
           "OBJ": b"(cbuiltins\nopen\n" + s + b"o.",
           "STACK_GLOBAL": pickle.dumps({"v": 3, "state": _Evil(target)},
                                        protocol=pickle.HIGHEST_PROTOCOL),
           "PERSID": b"(" + s + b"tPevil\n.",
           "EXT1": b"\x80\x02\x82" + bytes([_EXT_CODE]) + b"(" + s + b"tR."}
    return out


@pytest.fixture
def open_as_extension():
    copyreg.add_extension("builtins", "open", _EXT_CODE)
    yield
    copyreg.remove_extension("builtins", "open", _EXT_CODE)


def test_the_restricted_unpickler_refuses_every_way_of_naming_a_callable(tmp_path,
                                                                          open_as_extension):
    target = str(tmp_path / "pwned")
    for name, payload in _payloads(target).items():
        with pytest.raises(pickle.UnpicklingError):
            _BuiltinsOnly(io.BytesIO(payload)).load()
        assert not os.path.exists(target), name
    # the payloads are real: a plain unpickler runs them (PERSID needs a persistent_load)
    for name, payload in _payloads(str(tmp_path / "control")).items():
        if name != "PERSID":
            pickle.loads(payload)
            assert (tmp_path / "control").exists(), name
            (tmp_path / "control").unlink()


def test_a_snapshot_planted_with_a_global_is_ignored(tmp_path, open_as_extension):
    log_path, cache = tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"
    with CodingLog(log_path, tmp_path / ".workbench" / "locks") as log:
        log.code("T1", 0, 5, "aaa")
    replay(log_path, cache_dir=cache)
    target = str(tmp_path / "pwned")
    for name, payload in _payloads(target).items():
        _snapshot_path(cache, "ann").write_bytes(payload)
        assert _codes(replay(log_path, cache_dir=cache)) == ["aaa"], name
        assert not os.path.exists(target), name


# ---- the catalog cache ----------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["no segments", "short pairs", "no n_segments",
                                    "segments not a dict", "roles not text"])
def test_a_damaged_catalog_entry_is_parsed_again(coded, damage):
    root, text, ev = coded
    cache = root / ".workbench" / "catalog.json"
    raw = json.loads(cache.read_text(encoding="utf-8"))
    e = raw["files"]["transcripts/T1.txt"]
    if damage == "no segments":
        del e["segments"]
    elif damage == "short pairs":
        e["segments"]["pairs"] = e["segments"]["pairs"][:16]
    elif damage == "no n_segments":
        del e["n_segments"]
    elif damage == "segments not a dict":
        e["segments"] = [1, 2]
    else:
        e["roles"] = None
    cache.write_text(json.dumps(raw), encoding="utf-8")
    p = Project.open(root)
    info = p.info("T1")
    t = p.transcript("T1")
    assert (info.starts, info.ends, info.roles) == (
        [s.start for s in t.segments], [s.end for s in t.segments], "IE")
    assert p.segment_arrays().starts.tolist() == info.starts
    i = text.index("joint research")
    assert [(c.start, c.segment) for c in p.codings("ann")] == [(i, 1)]
