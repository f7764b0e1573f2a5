"""Nothing outside the project, nothing silently wrong, no traceback (issue 15): links that leave
a shared project are refused, the one-writer lock survives deleting .workbench/, YAML bombs and
deep nesting are refused in one line, damaged log values and Word files give one clear line,
parsers stay linear and refuse what is too large, and a killed import leaves nothing behind.
(Exports that escape through attribute names and the CSV guard: tests/test_export*.py; damaged
caches: tests/test_cache.py; re-anchoring: tests/test_reanchor.py.)"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile

import pytest
from helpers import REPO, write_transcript
from test_cli_foundation import one_error_line, run

from workbench.codinglog import CodingLog
from workbench.errors import LockedError, LogError, TranscriptError, WorkbenchError
from workbench.project import Project
from workbench.transcripts import MAX_TRANSCRIPT_BYTES, load_transcript


@pytest.fixture
def proj(small_project):
    write_transcript(small_project, "T1", [("Interviewer", "Hi?"), ("Anna", "We do research.")])
    return small_project


# ---- 3. links in a shared project -------------------------------------------------------------
def test_a_transcript_linked_to_a_file_outside_the_project_is_refused(capsys, proj, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Root: the password is swordfish\n")
    (proj / "transcripts" / "x.txt").symlink_to(secret)
    code, out, err = run(capsys, "segments", proj)
    line = one_error_line(code, err)
    assert "outside the project" in line and "x.txt" in line
    assert "swordfish" not in out + err


def test_a_coding_log_that_is_a_link_is_refused_for_reading_and_writing(capsys, proj, tmp_path):
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("")
    (proj / "codings" / "anna.jsonl").symlink_to(target)
    with pytest.raises(LogError, match="symbolic link"):
        CodingLog(proj / "codings" / "anna.jsonl")
    with pytest.raises(LogError, match="symbolic link"):
        Project.open(proj).state("anna")
    assert target.read_text() == ""                       # nothing was appended out there
    line = one_error_line(*run(capsys, "codings", proj, "--coder", "anna")[::2])
    assert "symbolic link" in line


def test_a_dangling_consensus_link_creates_nothing_outside(capsys, demo_copy, tmp_path):
    outside = tmp_path / "outside" / "consensus.jsonl"
    outside.parent.mkdir()
    (demo_copy / "codings" / "consensus.jsonl").symlink_to(outside)
    code, out, err = run(capsys, "reconcile", demo_copy, "--coders", "anna,boris",
                         "--take", "union")
    assert code != 0 and "Traceback" not in err and "symbolic link" in err
    assert not outside.exists()


# ---- 6. the lock cannot be bypassed by deleting derived state ---------------------------------
HOLD = """
import sys, time
from workbench.project import Project
log = Project.open(sys.argv[1]).log("anna")   # as the coding screen opens it
log.done("T1")
print("holding", flush=True)
time.sleep(60)
"""


def test_deleting_dot_workbench_does_not_bypass_the_writer_lock(proj):
    import shutil
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(proj)], stdout=subprocess.PIPE,
                              text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "holding"
        shutil.rmtree(proj / ".workbench", ignore_errors=True)
        with pytest.raises(LockedError):
            Project.open(proj).log("anna")
        with pytest.raises(LockedError):
            CodingLog(proj / "codings" / "anna.jsonl")
    finally:
        holder.kill()
        holder.wait()
    with Project.open(proj).log("anna") as log:   # free again once the holder is gone
        log.done("T1")


def test_a_new_coder_is_locked_before_the_first_event(proj):
    first = Project.open(proj).log("newbie")
    try:
        assert not (proj / "codings" / "newbie.jsonl").exists()
        with pytest.raises(LockedError):
            Project.open(proj).log("newbie")
    finally:
        first.close()


# ---- 7. YAML bombs and deep nesting ---------------------------------------------------------
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}]\n" for i in range(8))      # 9^9 ≈ 387 million leaves if expanded


@pytest.mark.parametrize("where", ["front matter", "codebook"])
@pytest.mark.parametrize("payload", ["bomb", "deep block", "deep flow"])
def test_yaml_bombs_and_deep_nesting_are_refused_in_one_line(capsys, proj, where, payload):
    body = {"bomb": BOMB,
            "deep block": "n:\n" + "".join("  " * i + "- \n" for i in range(1, 900)),
            "deep flow": "n: " + "[" * 1000 + "]" * 1000 + "\n"}[payload]
    if where == "front matter":
        (proj / "transcripts" / "T2.txt").write_text(f"---\n{body}---\nAnna: Hello.\n")
    else:
        (proj / "codebooks" / "codebook.yaml").write_text(
            body + "name: x\ncodes:\n  - id: a\n    name: A\n")
    t = time.perf_counter()
    code, out, err = run(capsys, "segments" if where == "front matter" else "codebook", proj)
    line = one_error_line(code, err)
    assert ("alias" in line or "nested" in line or "deep" in line), line
    assert time.perf_counter() - t < 60      # a hang guard, not a speed claim


# ---- 8. one clear line, never a traceback ------------------------------------------------------
@pytest.mark.parametrize("event, says", [
    ({"op": "code", "id": "a", "transcript": "T1", "start": 0, "end": 3, "code": "c",
      "quote": 5}, "'quote' must be text"),
    ({"op": "memo", "id": "m", "transcript": "T1", "target": ["a"], "text": "x"},
     "'target' must be text"),
    ({"op": "code", "id": "a", "transcript": "T1", "start": 1e23, "end": 2e23, "code": "c"},
     "not a character offset"),
    ({"op": "code", "id": "a", "transcript": "T1", "start": "x", "end": 3, "code": "c"},
     "whole number"),
    ({"op": "code", "id": "a", "transcript": "T1", "start": 0, "end": 3, "code": "c",
      "settles": "both"}, "'settles' must be an object"),
])
def test_damaged_log_values_are_one_line_naming_file_and_line(capsys, proj, event, says):
    log = proj / "codings" / "anna.jsonl"
    log.write_text(json.dumps({"op": "done", "transcript": "T1"}) + "\n" + json.dumps(event)
                   + "\n" + json.dumps({"op": "done", "transcript": "T1"}) + "\n")
    for command in (["counts", proj, "--coder", "anna"], ["codings", proj],
                    ["export", proj, "--coder", "anna", "--format", "json"]):
        line = one_error_line(*run(capsys, *command)[::2])
        assert "anna.jsonl:2:" in line and says in line


def test_json_nested_100k_deep_in_a_log_line_is_one_line(capsys, proj):
    log = proj / "codings" / "anna.jsonl"
    log.write_text('{"op": "done", "transcript": "T1", "x": ' + "[" * 100_000 + "]" * 100_000
                   + "}\n" + json.dumps({"op": "done", "transcript": "T1"}) + "\n")
    line = one_error_line(*run(capsys, "codings", proj)[::2])
    assert "anna.jsonl:1:" in line and "nested too deeply" in line


def _docx(document_xml: bytes | None = None, big: int = 0) -> bytes:
    import docx
    d = docx.Document()
    d.add_paragraph("Interviewer: Hi?")
    d.add_paragraph("Anna: Hello.")
    b = io.BytesIO()
    d.save(b)
    zin = zipfile.ZipFile(io.BytesIO(b.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for i in zin.infolist():
            data = zin.read(i)
            if i.filename == "word/document.xml":
                if document_xml is not None:
                    data = document_xml
                if big:
                    data = data + b" " * big
            z.writestr(i.filename, data)
    return out.getvalue()


@pytest.mark.parametrize("xml", [b"<foo/>", b'<w:document xmlns:w="http://schemas.'
                                 b'openxmlformats.org/wordprocessingml/2006/main"/>', b"not xml"])
def test_a_word_file_without_a_body_is_one_clear_error(tmp_path, xml):
    path = tmp_path / "broken.docx"
    path.write_bytes(_docx(xml))
    with pytest.raises(TranscriptError) as e:
        load_transcript(path)
    assert "Word" in str(e.value) and "\n" not in str(e.value)


def test_a_codebook_id_with_a_line_break_gives_one_line(capsys, proj):
    (proj / "codebooks" / "codebook.yaml").write_text(
        'name: x\ncodes:\n  - id: "a\\nb"\n    name: A\n  - id: "a\\nb"\n    name: B\n')
    line = one_error_line(*run(capsys, "codebook", proj)[::2])
    assert "a\\nb" in line


def test_every_workbench_error_prints_as_one_line():
    e = WorkbenchError("bad\nthing\r\u2028here", file="f\nx", line=2, hint="fix\nit")
    assert "\n" not in str(e) and "\r" not in str(e) and "\u2028" not in str(e)


# ---- 9. resource bounds ---------------------------------------------------------------------
def test_a_word_file_that_unpacks_to_a_gigabyte_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.docx"
    path.write_bytes(_docx(big=80 * 2**20))          # 80 MiB of spaces, a few KB zipped
    assert path.stat().st_size < 2 * 2**20
    with pytest.raises(TranscriptError, match="unpacks to more than"):
        load_transcript(path)


def test_a_transcript_over_the_size_limit_is_refused_with_the_limit(capsys, proj):
    big = proj / "transcripts" / "huge.txt"
    with open(big, "wb") as f:
        f.write(b"A: x\n" * (MAX_TRANSCRIPT_BYTES // 5 + 10))
    line = one_error_line(*run(capsys, "segments", proj)[::2])
    assert "huge.txt" in line and f"{MAX_TRANSCRIPT_BYTES // 2**20} MiB" in line


def test_speaker_labels_that_occur_once_keep_the_parser_linear():
    """Issue 15: 25k/50k/100k lines of once-only labels took 0.8/2.6/10.7 s (a line count per
    label from the start of the text). Counted here in steps of the text scanned, not time."""
    from workbench.transcripts import text as T
    calls = []
    real = str.count

    class Counting(str):
        def count(self, sub, *args):
            start = args[0] if args else 0
            end = args[1] if len(args) > 1 else len(self)
            calls.append(end - start)
            return real(self, sub, *args)
    n = 30_000
    body = Counting("".join(f"Interviewer: q{i}\nAnna: a{i}\nSpeaker{i}: once\n"
                            for i in range(n // 3)))
    turns, warnings = T.find_turns(body)
    assert len(warnings) == n // 3
    assert sum(calls) <= len(body)     # every character counted at most once


# ---- 10. leftovers ------------------------------------------------------------------------------
def test_files_the_tool_writes_follow_the_umask(capsys, demo_copy):
    old = os.umask(0o022)
    try:
        assert run(capsys, "export", demo_copy, "--coder", "anna", "--format", "json")[0] == 0
        assert run(capsys, "chart", demo_copy, "--coder", "anna", "--codes", "value.",
                   "--out", demo_copy / "exports" / "f.png")[0] == 0
    finally:
        os.umask(old)
    written = list((demo_copy / "exports").iterdir()) + \
        list((demo_copy / ".workbench").rglob("*.json"))
    assert written and {oct(f.stat().st_mode & 0o777) for f in written if f.is_file()} == \
        {"0o644"}


KILL_IMPORT = """
import os, shutil, signal, sys
real_replace = os.replace
def die():
    os.kill(os.getpid(), signal.SIGKILL)
def replace(src, dst, *a, **k):   # the last step of an atomic write: killed just before it
    if os.path.basename(os.path.dirname(os.fspath(dst))) == "transcripts":
        die()
    return real_replace(src, dst, *a, **k)
def half_copy(src, dst, *a, **k): # a plain copy: killed half way through the bytes
    data = open(src, "rb").read()
    with open(dst, "wb") as f:
        f.write(data[: len(data) // 2])
        f.flush()
    die()
os.replace = os.rename = replace
shutil.copyfile = shutil.copy2 = shutil.copy = half_copy
from workbench.cli import main
main(["import", sys.argv[1], sys.argv[2]])
"""


def test_a_killed_import_leaves_no_file_in_transcripts(capsys, proj, tmp_path):
    src = tmp_path / "P02.txt"
    src.write_text("Interviewer: Hi?\nBoris: Hello.\n")
    before = sorted(p.name for p in (proj / "transcripts").iterdir())
    r = subprocess.run([sys.executable, "-c", KILL_IMPORT, str(proj), str(src)], cwd=REPO)
    assert r.returncode != 0
    after = sorted(p.name for p in (proj / "transcripts").iterdir() if not p.name.startswith("."))
    assert after == before
    assert Project.open(proj).transcript_ids() == ["T1"]
    # the killed writer's temporary file is hidden, and the next import clears it away
    left = [p for p in (proj / "transcripts").iterdir() if p.name.endswith(".tmp")]
    assert left
    for p in left:
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    src.rename(tmp_path / "P03.txt")
    assert run(capsys, "import", proj, tmp_path / "P03.txt")[0] == 0
    assert sorted(p.name for p in (proj / "transcripts").iterdir()) == ["P03.txt", "T1.txt"]


def test_nothing_is_written_by_opening_a_project_read_only(proj):
    """A project on a read-only share still works, only without its caches."""
    for d in (proj, *proj.rglob("*")):
        d.chmod(d.stat().st_mode & ~0o222)
    try:
        p = Project.open(proj)
        assert p.transcript_ids() == ["T1"] and p.coders() == []
    finally:
        for d in (proj, *proj.rglob("*")):
            d.chmod(d.stat().st_mode | 0o200)
