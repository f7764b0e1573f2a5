"""The foundation commands: init, import, segments, codebook, codings, status — their output,
their --json contract and their one-line errors."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.project import Project, init_project

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"

CODEBOOK = """\
name: Financing
codes:
  - id: finance
    name: Financing of the cluster
    children:
      - id: finance.project_funds
        name: Project funds
        key: "1"
      - id: finance.fees
        name: Membership fees
        key: "2"
"""

INTERVIEW = """\
---
id: {id}
region: Perm
---
Interviewer: How is the cluster financed?
Ms. Ivanova: Most of our budget comes from project funds. We also have a membership fee.
Interviewer: Thank you.
Ms. Ivanova: You are welcome.
"""


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(code: int, err: str) -> str:
    assert code != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("workbench: error: ")
    return lines[0]


@pytest.fixture
def root(tmp_path) -> Path:
    root = init_project(tmp_path / "study", name="Study")
    (root / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return root


@pytest.fixture
def sources(tmp_path) -> Path:
    src = tmp_path / "incoming"
    src.mkdir()
    (src / "P01.txt").write_text(INTERVIEW.format(id="P01"), encoding="utf-8")
    (src / "kaluga-2.txt").write_text("Q: First question?\nOlga: Answer.\nQ: Second?\n"
                                      "Olga: Another answer.\n", encoding="utf-8")
    (src / "notes.txt").write_text("Just my notes, no speakers here.\n", encoding="utf-8")
    return src


# ---- init --------------------------------------------------------------------------------------

def test_init_and_refuse_an_existing_project(capsys, tmp_path):
    code, out, err = run(capsys, "init", tmp_path / "p", "--name", "Cluster study: 2019")
    assert code == 0 and "Created project" in out
    assert (tmp_path / "p" / "workbench.toml").is_file()
    assert Project.open(tmp_path / "p").name == "Cluster study: 2019"
    code, out, err = run(capsys, "init", tmp_path / "p")
    line = one_error_line(code, err)
    assert "already exists" in line and "workbench.toml" in line


# ---- import ------------------------------------------------------------------------------------

def test_import_copies_reports_and_stores_attributes(capsys, root, sources):
    code, out, err = run(capsys, "import", root, sources / "P01.txt", sources / "kaluga-2.txt",
                         "--attr", "region=Kaluga", "--attr", "cluster=Pharma cluster")
    assert code == 0, err
    assert "P01: txt, 4 segments (2 interviewer), speakers: Interviewer, Ms. Ivanova" in out
    assert "kaluga-2: txt, 4 segments (2 interviewer), speakers: Olga, Q" in out
    assert "Imported 2 transcript(s)" in out
    # front matter wins over --attr, and the user is told
    assert "region" in err and "wins over --attr" in err
    assert (root / "transcripts" / "P01.txt").read_text() == (sources / "P01.txt").read_text()
    assert (root / "transcripts" / "kaluga-2.txt").is_file()
    with open(root / "transcripts" / "attributes.csv", newline="", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert rows["kaluga-2"]["region"] == "Kaluga"
    assert rows["kaluga-2"]["cluster"] == "Pharma cluster"
    p = Project.open(root)
    assert p.transcript_ids() == ["P01", "kaluga-2"]
    assert p.transcript("kaluga-2").attributes == {"region": "Kaluga", "cluster": "Pharma cluster"}
    assert p.transcript("P01").attributes["region"] == "Perm"


def test_import_json_and_warnings_on_stderr(capsys, root, sources):
    code, out, err = run(capsys, "import", root, sources / "notes.txt", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == [{"id": "notes", "file": "transcripts/notes.txt", "format": "txt",
                     "segments": 1, "speakers": [], "interviewer_turns": 0, "attributes": {},
                     "title": None, "warnings": [data[0]["warnings"][0]]}]
    assert "no speaker line" in err


def test_import_refuses_an_id_already_in_the_project(capsys, root, sources):
    assert run(capsys, "import", root, sources / "P01.txt")[0] == 0
    other = sources / "renamed.md"
    other.write_text(INTERVIEW.format(id="P01"), encoding="utf-8")
    code, out, err = run(capsys, "import", root, sources / "kaluga-2.txt", other)
    line = one_error_line(code, err)
    assert "renamed.md" in line and "'P01'" in line and "already in the project" in line
    # nothing copied, not even the file that was fine
    assert sorted(f.name for f in (root / "transcripts").iterdir()) == ["P01.txt"]


def test_import_refuses_duplicate_ids_among_the_given_files(capsys, root, sources, tmp_path):
    (tmp_path / "other").mkdir()
    dup = tmp_path / "other" / "P01.txt"
    dup.write_text("Interviewer: Hi.\nAnna: Hello.\n", encoding="utf-8")
    code, out, err = run(capsys, "import", root, sources / "kaluga-2.txt", sources / "P01.txt",
                         dup)
    line = one_error_line(code, err)
    assert "two files being imported have the id 'P01'" in line
    assert list((root / "transcripts").iterdir()) == []


def test_import_stops_on_a_bad_file_and_copies_nothing(capsys, root, sources):
    bad = sources / "broken.txt"
    bad.write_bytes(b"Interviewer: caf\xe9?\n")
    code, out, err = run(capsys, "import", root, sources / "P01.txt", bad)
    line = one_error_line(code, err)
    assert "broken.txt:1:" in line and "byte offset 16" in line
    assert list((root / "transcripts").iterdir()) == []
    code, out, err = run(capsys, "import", root, sources / "missing.txt")
    assert "missing.txt" in one_error_line(code, err)
    code, out, err = run(capsys, "import", root, sources / "P01.txt", "--attr", "region")
    assert "key=value" in one_error_line(code, err)


# ---- segments, codebook, codings, status -------------------------------------------------------

@pytest.fixture
def coded(root, sources) -> Project:
    """A project with two transcripts and a few codings of several statuses."""
    for f in ("P01.txt", "notes.txt"):
        (root / "transcripts" / f).write_bytes((sources / f).read_bytes())
    p = Project.open(root)
    text = p.transcript("P01").text
    q = "Most of our budget comes from project funds."
    with p.log("anna") as log:
        log.code("P01", text.index(q), text.index(q) + len(q), "finance.project_funds", quote=q)
        log.code("P01", 5, 9, "finance.gone")
        log.code("P01", 10_000, 10_010, "finance.fees")
        log.done("P01")
    with p.log("boris") as log:
        log.code("P99", 0, 4, "finance.fees", quote="Most")
    return p


SEGMENT_KEYS = ["transcript", "index", "turn", "speaker", "role", "start", "end", "text",
                "timestamp"]
CODING_KEYS = {"id", "coder", "transcript", "code", "start", "end", "quote", "segment", "turn",
               "status"}


def test_segments_json_is_pure_json_with_the_documented_keys(capsys, coded):
    code, out, err = run(capsys, "segments", coded.root, "--json")
    assert code == 0
    rows = json.loads(out)
    assert [list(r) for r in rows] == [SEGMENT_KEYS] * len(rows)
    p01 = [r for r in rows if r["transcript"] == "P01"]
    assert all(r["turn"] == r["index"] + 1 for r in rows)   # turns are counted from 1
    assert [(r["index"], r["speaker"], r["role"]) for r in p01] == [
        (0, "Interviewer", "interviewer"), (1, "Ms. Ivanova", "interviewee"),
        (2, "Interviewer", "interviewer"), (3, "Ms. Ivanova", "interviewee")]
    text = coded.transcript("P01").text
    assert all(text[r["start"]:r["end"]] == r["text"] for r in p01)
    # the transcript without speakers warns on stderr, never on stdout
    assert "notes.txt" in err and "no speaker line" in err
    code, out, err = run(capsys, "segments", coded.root, "P01", "--json")
    assert [r["transcript"] for r in json.loads(out)] == ["P01"] * 4
    code, out, err = run(capsys, "segments", coded.root, "P01")
    assert "Ms. Ivanova" in out and "interviewee" in out


def test_segments_of_an_unknown_transcript(capsys, coded):
    code, out, err = run(capsys, "segments", coded.root, "P42")
    assert "no transcript with id 'P42'" in one_error_line(code, err)


def test_codebook_json_and_tree(capsys, coded):
    code, out, err = run(capsys, "codebook", coded.root, "--json")
    data = json.loads(out)
    assert data["name"] == "Financing" and data["path"] == "codebooks/codebook.yaml"
    assert [(c["id"], c["parent"], c["key"]) for c in data["codes"]] == [
        ("finance", None, None), ("finance.project_funds", "finance", "1"),
        ("finance.fees", "finance", "2")]
    assert data["merges"] == []
    code, out, err = run(capsys, "codebook", coded.root)
    assert "[1] finance.project_funds — Project funds" in out


def test_codings_json_keys_and_statuses(capsys, coded):
    code, out, err = run(capsys, "codings", coded.root, "--json")
    assert code == 0
    rows = json.loads(out)
    assert all(set(r) >= CODING_KEYS for r in rows)
    status = {(r["coder"], r["code"]): r["status"] for r in rows}
    assert status == {("anna", "finance.project_funds"): "ok",
                      ("anna", "finance.gone"): "unknown_code",
                      ("anna", "finance.fees"): "out_of_range",
                      ("boris", "finance.fees"): "orphan"}
    ok = next(r for r in rows if r["status"] == "ok")
    assert ok["segment"] == 1 and ok["turn"] == 2 and ok["quote"] == "Most of our budget comes from project funds."
    assert "need attention" in err
    code, out, err = run(capsys, "codings", coded.root, "--coder", "boris", "--json")
    assert [r["coder"] for r in json.loads(out)] == ["boris"]
    code, out, err = run(capsys, "codings", coded.root, "--coder", "carla")
    line = one_error_line(code, err)
    assert "carla" in line and "anna, boris" in line


def test_status_reports_every_problem(capsys, coded):
    code, out, err = run(capsys, "status", coded.root)
    assert code == 0
    assert "Coders: anna, boris" in out
    assert "1 out_of_range" in out and "1 unknown_code" in out and "1 orphan" in out
    code, out, err = run(capsys, "status", coded.root, "--json")
    data = json.loads(out)
    assert data["coders"] == ["anna", "boris"] and data["transcripts"] == 2
    anna = {r["transcript"]: r for r in data["rows"] if r["coder"] == "anna"}
    assert anna["P01"]["codings"] == 3 and anna["P01"]["done"] is True
    assert "no speaker line" in err


def test_status_reports_moved_and_needs_review_after_an_edit(capsys, coded):
    coded.codings("anna")       # read once before the edit (codings without context get it then)
    path = coded.root / "transcripts" / "P01.txt"
    path.write_text(path.read_text().replace("How is the cluster financed?",
                                             "Tell me, how is the cluster financed today?"))
    with coded.log("anna") as log:
        log.code("P01", 0, 4, "finance.fees", quote="this text is nowhere")
    code, out, err = run(capsys, "status", coded.root)
    assert "1 moved" in out and "1 needs_review" in out


# ---- errors: one line, non-zero exit, no traceback ----------------------------------------------

def test_bad_codebook_error_names_file_and_line(capsys, coded):
    (coded.root / "codebooks" / "codebook.yaml").write_text(
        CODEBOOK + "      - id: finance.fees\n        name: Fees again\n", encoding="utf-8")
    code, out, err = run(capsys, "codebook", coded.root)
    line = one_error_line(code, err)
    assert "codebook.yaml:12:" in line and "duplicate code id 'finance.fees'" in line
    assert out == ""


def test_malformed_log_line_error(capsys, coded):
    log = coded.root / "codings" / "anna.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:30]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "codings", coded.root, "--json")
    line = one_error_line(code, err)
    assert "anna.jsonl:2:" in line and "malformed" in line
    assert out == ""


def test_torn_log_line_is_a_warning_on_stderr(capsys, coded):
    log = coded.root / "codings" / "anna.jsonl"
    log.write_bytes(log.read_bytes() + b'{"v":1,"op":"code","transcript":"P0')
    code, out, err = run(capsys, "codings", coded.root, "--json")
    assert code == 0 and len(json.loads(out)) == 4
    assert "anna.jsonl:5" in err and "incomplete" in err


def test_bad_transcript_and_missing_project(capsys, coded, tmp_path):
    (coded.root / "transcripts" / "P02.md").write_text("---\n- a list\n---\nQ: Hi.\n")
    code, out, err = run(capsys, "segments", coded.root, "--json")
    line = one_error_line(code, err)
    assert "P02.md:2:" in line and "not a mapping" in line
    code, out, err = run(capsys, "status", tmp_path / "nowhere")
    assert "no such folder" in one_error_line(code, err)


def test_subprocess_error_is_one_line_without_traceback(tmp_path):
    root = init_project(tmp_path / "p")
    (root / "codebooks" / "codebook.yaml").write_text("name: x\ncodes:\n  - id: a\n    name: A\n"
                                                      "    parent: a\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "workbench", "codebook", str(root), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: ")
    assert "codebook.yaml:3:" in lines[0] and "cycle" in lines[0]


def test_subprocess_json_on_the_demo_is_pure_json(tmp_path, demo_copy):
    proc = subprocess.run([sys.executable, "-m", "workbench", "codings", str(demo_copy),
                           "--coder", "anna", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and all(r["coder"] == "anna" and r["status"] == "ok" for r in rows)


def test_import_every_format_and_keep_existing_attribute_rows(capsys, root, tmp_path):
    import docx
    d = docx.Document()
    d.add_paragraph("Interviewer: How is the cluster financed?")
    d.add_paragraph("Sergey Volkov: From project funds.")
    d.save(str(tmp_path / "P07.docx"))
    (root / "transcripts" / "attributes.csv").write_text("id,region,note\nP99,Perm,kept\n",
                                                         encoding="utf-8")
    code, out, err = run(capsys, "import", root, tmp_path / "P07.docx", DATA / "P22_call.vtt",
                         DATA / "P23_call.srt", DATA / "P21_kaluga.md", "--attr", "wave=2",
                         "--json")
    assert code == 0, err
    got = {r["id"]: (r["format"], r["segments"], r["interviewer_turns"])
           for r in json.loads(out)}
    assert got == {"P07": ("docx", 2, 1), "P22_call": ("vtt", 5, 3), "P23_call": ("srt", 3, 2),
                   "P21": ("md", 7, 3)}   # its "# Interview P21" heading is the title
    with open(root / "transcripts" / "attributes.csv", newline="", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert rows["P99"] == {"id": "P99", "region": "Perm", "note": "kept", "wave": ""}
    assert {rows[i]["wave"] for i in got} == {"2"}
    p = Project.open(root)
    assert p.transcript("P22_call").attributes == {"wave": "2"}
    assert p.transcript("P21").attributes["region"] == "Kaluga"


def test_russian_interviewer_label_is_recognised_and_a_missing_interviewer_is_flagged(
        capsys, root, tmp_path):
    """A Russian transcript's 'Интервьюер' turns are the interviewer's by default (their questions
    are not opinions); a transcript where no speaker is the interviewer gets a warning that says
    how to fix it, since otherwise every question would count as an opinion."""
    src = tmp_path / "ru"
    src.mkdir()
    (src / "perm-01.txt").write_text("Интервьюер: Что даёт кластер?\nОльга Петрова: Совместные "
                                     "НИОКР.\n", encoding="utf-8")
    (src / "perm-02.txt").write_text("Собеседник: Что даёт кластер?\nОльга Петрова: Субсидии.\n",
                                     encoding="utf-8")
    code, out, err = run(capsys, "import", root, src / "perm-01.txt", src / "perm-02.txt")
    assert code == 0
    assert "perm-01: txt, 2 segments (1 interviewer)" in out
    assert "perm-02: txt, 2 segments (0 interviewer)" in out
    assert "perm-02.txt: no speaker is the interviewer (Ольга Петрова, Собеседник)" in err
    assert "interviewer_speakers in workbench.toml" in err
    assert "perm-01.txt" not in err
