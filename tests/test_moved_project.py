"""A project folder moved or renamed (or opened through another mount path) keeps its caches
valid — they are keyed on size and modification time — and what they hold must then name the
files where they are now: a researcher told to fix line 7 of a log at the old path would look
for a file that is not theirs."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import workbench.replay as replay_module
import workbench.status as status_module
from workbench.cache import path_free, with_path
from workbench.cli import main
from workbench.project import Project


def _settle(root) -> None:
    """Every file of the project as if written a minute ago (the cache rule skips files
    modified in the last 2 s)."""
    past = time.time() - 60
    for folder, _, files in os.walk(root):
        if ".workbench" in folder:
            continue
        for f in files:
            os.utime(os.path.join(folder, f), (past, past))


@pytest.fixture
def before(demo_copy, tmp_path):
    """The demo in a folder named 'before-move', anna's log ending in two lines that replay
    with a warning each, a transcript that parses with a warning, the caches written."""
    root = tmp_path / "before-move"
    os.rename(demo_copy, root)
    with open(root / "codings" / "anna.jsonl", "a", encoding="utf-8") as f:
        f.write('{"v":1,"op":"uncode","id":"no-such-coding"}\n')
        f.write('{"v":1,"op":"frobnicate"}\n')
    (root / "transcripts" / "X01.txt").write_text("A note without any speaker line.\n",
                                                  encoding="utf-8")
    _settle(root)
    _rows, warnings = status_module.status_report(Project.open(root))
    assert len(warnings) == 2 and all(str(root) in w for w in warnings)   # what is cached
    return root


def _move(root, tmp_path):
    new = tmp_path / "elsewhere" / "after-move"
    new.parent.mkdir()
    shutil.move(root, new)                      # a rename on one file system: mtimes kept
    return new


def _no_replay(monkeypatch):
    """Replaying a log line fails from now on: what follows can only come from a cache."""
    class Refused:
        def __init__(self, *args, **kwargs):
            raise AssertionError("the log was replayed: the snapshot was not used")
    monkeypatch.setattr(replay_module, "_Stream", Refused)


def _log_warnings(root) -> list[str]:
    log = root / "codings" / "anna.jsonl"
    n = len(log.read_text(encoding="utf-8").splitlines())
    return [f"{log}:{n - 1}: 'uncode' of an unknown coding no-such-coding",
            f"{log}:{n}: unknown event 'frobnicate' skipped"]


def test_the_cached_status_names_the_log_where_it_is_now(before, tmp_path, monkeypatch):
    after = _move(before, tmp_path)

    def computed(project, coder):
        raise AssertionError("the summary was computed: the status cache was not used")
    monkeypatch.setattr(status_module, "compute_summary", computed)
    rows, warnings = status_module.status_report(Project.open(after))
    assert warnings == _log_warnings(after)
    assert not any(str(before) in w for w in warnings)
    # byte for byte what a project without caches shows
    monkeypatch.undo()
    shutil.rmtree(after / ".workbench")
    assert status_module.status_report(Project.open(after)) == (rows, warnings)


def test_the_replay_snapshot_names_the_log_where_it_is_now(before, tmp_path, monkeypatch):
    after = _move(before, tmp_path)
    _no_replay(monkeypatch)
    st = Project.open(after).state("anna")
    assert st.warnings == _log_warnings(after)
    monkeypatch.undo()
    assert replay_module.replay(after / "codings" / "anna.jsonl", "anna").warnings == \
        st.warnings                             # replayed without a cache: the same


def test_a_log_that_grew_after_the_move_names_one_path(before, tmp_path, monkeypatch):
    """The snapshot stands for the first lines; the appended ones are replayed at the new
    path: every warning names the new one."""
    after = _move(before, tmp_path)
    log = after / "codings" / "anna.jsonl"
    with open(log, "a", encoding="utf-8") as f:
        f.write('{"v":1,"op":"frobnicate-again"}\n')
    _settle(after)
    restored = []
    real = replay_module._restore

    def spy(*args, **kwargs):
        restored.append(args[0])
        return real(*args, **kwargs)
    monkeypatch.setattr(replay_module, "_restore", spy)
    warnings = Project.open(after).state("anna").warnings
    assert restored == ["anna"]                 # the snapshot's lines were not replayed
    n = len(log.read_text(encoding="utf-8").splitlines())
    assert warnings == [f"{log}:{n - 2}: 'uncode' of an unknown coding no-such-coding",
                        f"{log}:{n - 1}: unknown event 'frobnicate' skipped",
                        f"{log}:{n}: unknown event 'frobnicate-again' skipped"]
    monkeypatch.undo()
    assert replay_module.replay(log, "anna").warnings == warnings


@pytest.mark.parametrize("as_json", [False, True])
def test_status_after_a_move_never_names_the_old_folder(before, tmp_path, capsys, as_json):
    """What `workbench status` prints from its caches is what it prints without them, and
    nowhere the old folder."""
    after = _move(before, tmp_path)
    args = ["status", str(after), *(["--json"] if as_json else [])]
    assert main(args) == 0
    cached = capsys.readouterr()
    assert "before-move" not in cached.out + cached.err
    assert str(after / "codings" / "anna.jsonl") in cached.err
    assert "transcripts/X01.txt: no speaker line found" in cached.err
    shutil.rmtree(after / ".workbench")
    assert main(args) == 0
    fresh = capsys.readouterr()
    assert (cached.out, cached.err) == (fresh.out, fresh.err)
    if as_json:
        assert json.loads(cached.out)["rows"]


def test_the_caches_hold_no_absolute_path_of_the_project(before):
    """Nothing under .workbench/ names the folder the project was in when it was written (a
    cache naming it would show it after a move)."""
    for folder, _, files in os.walk(before / ".workbench"):
        for name in files:
            data = Path(folder, name).read_bytes()
            assert str(before).encode() not in data, name


_PATH = st.text(min_size=1).filter(lambda s: "\0" not in s)   # no path holds a NUL


@given(old=_PATH, new=_PATH,
       texts=st.lists(st.tuples(st.booleans(), st.text(alphabet=st.sampled_from("\0:/ab")) |
                                st.text())))
@example(old="a", new="b", texts=[(False, "\0:x"), (False, "\0\0"), (True, ""), (False, "\0")])
def test_a_cached_text_names_the_file_where_it_is_now(old, new, texts):
    """path_free then with_path: a text about the file at ``old`` names it at ``new``; any
    other text comes back as it was."""
    given_ = [f"{old}:{t}" if about else t for about, t in texts]
    kept = path_free(given_, old)
    assert not any(t.startswith(f"{old}:") for t in kept)
    want = [f"{new}:{t[len(old) + 1:]}" if t.startswith(f"{old}:") else t for t in given_]
    assert with_path(kept, new) == want
    assert with_path(kept, old) == given_
