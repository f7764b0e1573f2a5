"""The paths added for speed at scale (issue 16) give what the plain paths give: the speaker
lines found by the group-free and the ASCII regexes are those of the full one; the catalog parsed
in worker processes (and prefetched while a log is replayed) is the catalog parsed in this
process, and a file the workers cannot parse raises the same error; the status summary read from
its cache is the one computed, and the cache is not used once the log, the codebook, a
transcript or the context store changes; a JSON list written in pieces (the quick way for plain
strings) is the JSON of the list."""
from __future__ import annotations

import os
import re
import shutil
import signal
import time

import pytest
from helpers import bounded
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import catalog as catalog_module
from workbench import parallel
from workbench import status as status_module
from workbench.errors import TranscriptError
from workbench.project import Project
from workbench.transcripts.text import _HEAD, _HEADS, _HEADS_ASCII

# ---- the regexes ---------------------------------------------------------------------------------
ASCII = "ab Z:*[]()0123456789.,_'-\n\t \x0b\x0c\x1c\x1f"
PIECES = ["Interviewer", "Anna", "Mr. O'Neil", "**", ":**", "**:", "[00:01] ", "(1:02:03.5)",
          "\n", "\n\n", " ", "\t", "x_1", "A B C D E F"]


def _texts(alphabet: str):
    return st.lists(st.one_of(st.text(alphabet=alphabet, max_size=6), st.sampled_from(PIECES)),
                    max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(_texts(ASCII + "\u00a0АяЁ’\u2028"))
def test_the_group_free_regex_finds_the_lines_of_the_full_one(text):
    src = "\n" + text
    full = _HEAD.split(src)
    stride = 1 + _HEAD.groups
    pieces = _HEADS.split(src)
    assert pieces[0::2] == full[0::stride]
    assert pieces[1::2] == full[1::stride]
    # and a line read alone gives the label and time stamp it gave in its text
    for k, head in enumerate(pieces[1::2]):
        m = _HEAD.match(head)
        assert m is not None
        assert (m["label"], m["ts"]) == (full[stride * k + _HEAD.groupindex["label"]],
                                         full[stride * k + _HEAD.groupindex["ts"]])


@settings(max_examples=400, deadline=None)
@given(_texts(ASCII))
def test_the_ascii_regex_splits_ascii_text_as_the_full_one(text):
    src = "\n" + text
    assert src.isascii()
    assert _HEADS_ASCII.split(src) == _HEADS.split(src)


# ---- the catalog in worker processes -----------------------------------------------------------
def _project_of(tmp_path, demo_copy, n: int):
    """The demo with ``n`` more transcripts (copies of its text files under new ids)."""
    src = demo_copy / "transcripts"
    texts = sorted(p for p in src.iterdir() if p.suffix in (".txt", ".md"))
    for i in range(n):
        p = texts[i % len(texts)]
        body = p.read_text(encoding="utf-8")
        body = re.sub(r"(?m)^id:", "old_id:", body, count=1)    # the id is the file's name
        (src / f"X{i:03d}{p.suffix}").write_text(body, encoding="utf-8")
    past = time.time() - 60
    for p in src.iterdir():
        os.utime(p, (past, past))
    return demo_copy


def _catalog(root, monkeypatch, processes: str):
    monkeypatch.setenv("WORKBENCH_PROCESSES", processes)
    shutil.rmtree(root / ".workbench", ignore_errors=True)
    p = Project.open(root)
    infos = p.catalog()
    return infos, (root / ".workbench" / "catalog.json").read_bytes()


@pytest.fixture
def many(tmp_path, demo_copy, monkeypatch):
    if not parallel.can_fork():
        pytest.skip("no fork here (or other threads running): the catalog is parsed in-process")
    monkeypatch.setattr(catalog_module, "PARALLEL_MIN_FILES", 4)
    return _project_of(tmp_path, demo_copy, 40)


def test_the_catalog_parsed_in_processes_is_the_one_parsed_here(many, monkeypatch):
    used = []
    real = catalog_module.map_in_processes

    def spy(fn, jobs, workers=None):
        out = real(fn, jobs, workers)
        used.append(out is not None)
        return out
    monkeypatch.setattr(catalog_module, "map_in_processes", spy)
    serial, serial_file = _catalog(many, monkeypatch, "1")
    assert used == [False]
    parallel_infos, parallel_file = _catalog(many, monkeypatch, "2")
    assert used == [False, True]
    assert len(serial) == len(parallel_infos) > 40
    assert serial == parallel_infos             # every field of every transcript
    assert serial_file == parallel_file         # and the cache file byte for byte


def test_a_file_the_workers_cannot_parse_raises_its_error(many, monkeypatch):
    (many / "transcripts" / "X007.txt").write_bytes(b"\xff\xfe not utf-8")
    past = time.time() - 60
    os.utime(many / "transcripts" / "X007.txt", (past, past))
    errors = []
    for processes in ("1", "2"):
        monkeypatch.setenv("WORKBENCH_PROCESSES", processes)
        shutil.rmtree(many / ".workbench", ignore_errors=True)
        with pytest.raises(TranscriptError) as e:
            Project.open(many).catalog()
        errors.append(str(e.value))
    assert errors[0] == errors[1]
    assert "X007.txt" in errors[0]


def test_the_prefetched_catalog_is_the_catalog(many, monkeypatch):
    want, _ = _catalog(many, monkeypatch, "1")
    monkeypatch.setenv("WORKBENCH_PROCESSES", "2")
    shutil.rmtree(many / ".workbench", ignore_errors=True)
    p = Project.open(many)
    assert p.prefetch_catalog()                # files are being parsed in the background
    assert {c: len(p.state(c).codings) for c in p.coders()}    # meanwhile: the logs
    assert p.catalog() == want
    assert not p.prefetch_catalog()            # read already: nothing more to do


# ---- the status cache ----------------------------------------------------------------------------
def _settle(root, *only):
    """Every file of the project (or ``only`` these) as if written a minute ago (the cache rule
    skips files modified in the last 2 s)."""
    past = time.time() - 60
    for p in only:
        os.utime(p, (past, past))
    for folder, _, files in os.walk(root) if not only else ():
        if ".workbench" in folder:
            continue
        for f in files:
            os.utime(os.path.join(folder, f), (past, past))


def _rows_and_computed(root, monkeypatch):
    computed = []
    real = status_module.compute_summary

    def spy(project, coder):
        computed.append(coder)
        return real(project, coder)
    monkeypatch.setattr(status_module, "compute_summary", spy)
    rows, warnings = status_module.status_report(Project.open(root))
    monkeypatch.setattr(status_module, "compute_summary", real)
    return rows, warnings, computed


def test_the_cached_status_is_the_computed_one(demo_copy, monkeypatch):
    _settle(demo_copy)
    rows, warnings, computed = _rows_and_computed(demo_copy, monkeypatch)
    assert computed == ["anna", "boris"]
    assert {r["codings"] for r in rows} != {0}
    again, again_warnings, computed = _rows_and_computed(demo_copy, monkeypatch)
    assert computed == []                       # read from .workbench/cache/status-*.json
    assert (again, again_warnings) == (rows, warnings)
    shutil.rmtree(demo_copy / ".workbench")
    assert _rows_and_computed(demo_copy, monkeypatch)[:2] == (rows, warnings)


def test_the_status_cache_is_not_used_once_an_input_changes(demo_copy, monkeypatch):
    _settle(demo_copy)
    _rows_and_computed(demo_copy, monkeypatch)
    p = Project.open(demo_copy)
    # the log grows: a coding more for anna
    tid = p.transcript_ids()[0]
    seg = p.transcript(tid).segments[1]
    code = next(iter(p.codebook.codes))
    with p.log("anna") as log:
        log.append({"op": "code", "transcript": tid, "start": seg.start, "end": seg.end,
                    "code": code, **p.coding_fields(tid, seg.start, seg.end)})
    _settle(demo_copy, demo_copy / "codings" / "anna.jsonl")
    rows, _, computed = _rows_and_computed(demo_copy, monkeypatch)
    assert computed == ["anna"]                 # boris's summary is still the cached one
    fresh = status_module.compute_summary(Project.open(demo_copy), "anna")
    assert [r["codings"] for r in rows if r["coder"] == "anna"] == \
        [fresh.rows.get(t, (0,))[0] for t in sorted({r["transcript"] for r in rows})]
    # a transcript is edited: every coder's summary is computed again
    path = demo_copy / "transcripts" / "P01.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("the", "a", 1), encoding="utf-8")
    _settle(demo_copy, path)
    assert _rows_and_computed(demo_copy, monkeypatch)[2] == ["anna", "boris"]
    # the codebook is edited
    cb = Project.open(demo_copy).codebook_path()
    cb.write_text(cb.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _settle(demo_copy, cb)
    assert _rows_and_computed(demo_copy, monkeypatch)[2] == ["anna", "boris"]
    assert _rows_and_computed(demo_copy, monkeypatch)[2] == []


def test_a_changed_context_store_or_a_damaged_cache_is_not_used(demo_copy, monkeypatch):
    _settle(demo_copy)
    _rows_and_computed(demo_copy, monkeypatch)
    cache = demo_copy / ".workbench" / "cache"
    context = cache / "context-anna.json"
    context.write_bytes(context.read_bytes() + b" " if context.exists() else b"{}")
    assert _rows_and_computed(demo_copy, monkeypatch)[2] == ["anna"]
    raw = (cache / "status-boris.json").read_bytes()
    (cache / "status-boris.json").write_bytes(raw.replace(b'"rows"', b'"rowz"'))
    assert _rows_and_computed(demo_copy, monkeypatch)[2] == ["boris"]


def test_nothing_is_cached_while_a_file_was_just_modified(demo_copy, monkeypatch):
    (demo_copy / "codings" / "anna.jsonl").touch()     # now: no fingerprint yet
    _settle(demo_copy, *(demo_copy / "transcripts").iterdir(), demo_copy / "workbench.toml")
    _rows_and_computed(demo_copy, monkeypatch)
    assert not (demo_copy / ".workbench" / "cache" / "status-anna.json").exists()
    assert _rows_and_computed(demo_copy, monkeypatch)[2][0] == "anna"


# ---- JSON lists written in pieces ----------------------------------------------------------------
@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet='ab "\\\n\x7f\x1fé,', max_size=6),
                          st.text(alphabet="abc .,'-", max_size=8), st.none(), st.integers()),
                max_size=12), st.integers(1, 4))
def test_a_list_in_pieces_is_the_json_of_the_list(values, piece):
    import json

    from workbench import cache
    old = cache._PIECE
    cache._PIECE = piece
    try:
        got = b"".join(cache.json_list_pieces(values))
    finally:
        cache._PIECE = old
    assert got == cache.json_bytes(values)
    assert json.loads(got) == values


def _die_on_three(x: int) -> int:
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)     # what the OOM killer does to a worker
    return x


def test_a_killed_worker_ends_the_map_at_once_and_leaves_nothing_running(monkeypatch):
    """Found in review: a worker killed by the system made the command wait forever."""
    import threading
    monkeypatch.setenv("WORKBENCH_PROCESSES", "2")
    if not parallel.can_fork():
        pytest.skip("no fork here (or other threads running)")
    with bounded(60):
        results = parallel.map_in_processes(_die_on_three, list(range(8)), workers=2)
        assert results is not None
        got = []
        with pytest.raises(Exception) as e:
            for r in results:
                got.append(r)
    assert type(e.value).__name__ == "BrokenProcessPool" and got == [0, 1, 2]
    assert threading.active_count() == 1 and parallel.can_fork()
    import multiprocessing
    assert multiprocessing.active_children() == []


_MAIN_PID = os.getpid()


def _parse_or_die(job):
    """The catalog's job, except that a worker process is killed as the system would."""
    if os.getpid() != _MAIN_PID:
        os.kill(os.getpid(), signal.SIGKILL)
    return catalog_module._parse_job(job)


def test_a_killed_worker_leaves_the_catalog_to_this_process(many, monkeypatch):
    serial, serial_file = _catalog(many, monkeypatch, "1")
    real = catalog_module.map_in_processes
    used = []

    def spy(fn, jobs, workers=None):
        out = real(_parse_or_die, jobs, workers)
        used.append(out is not None)
        return out
    monkeypatch.setattr(catalog_module, "map_in_processes", spy)
    with bounded(60):
        infos, cache_file = _catalog(many, monkeypatch, "2")
    assert used == [True]                        # the workers were started, and killed
    assert infos == serial and cache_file == serial_file


def test_status_failing_on_a_log_leaves_no_worker_running(many, monkeypatch):
    """Found in review: the catalog's prefetch kept its worker when status stopped on an error
    before reading the catalog."""
    import multiprocessing

    from workbench.errors import LogError
    from workbench.status import status_report
    monkeypatch.setenv("WORKBENCH_PROCESSES", "2")
    shutil.rmtree(many / ".workbench", ignore_errors=True)
    (many / "codings" / "anna.jsonl").open("a").write("not json\n{}\n")
    project = Project.open(many)
    with bounded(60), pytest.raises(LogError):
        status_report(project)
    assert multiprocessing.active_children() == [] and parallel.can_fork()
