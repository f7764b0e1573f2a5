"""`workbench import --replace`: a corrected transcript takes the place of the one with its id,
atomically; the old file is kept; no coding is dropped, and each coder's codings of it are
reported as ok / moved / need review after re-anchoring."""
from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.errors import TranscriptError
from workbench.importer import import_files
from workbench.project import Project, init_project

OLD = """\
Interviewer: How is the cluster financed?
Anna: Most of our budget comes from project funds.
Interviewer: And the members?
Anna: The membership fees cover perhaps a tenth. We also sell services to members.
Interviewer: Thank you.
Anna: You are welcome.
"""
# a typo fixed at the top (everything after it moves), one sentence rewritten
NEW = OLD.replace("How is the cluster financed?", "How is the cluster financed today?") \
         .replace("We also sell services to members.", "Services are sold too.")


@pytest.fixture
def project(tmp_path):
    root = init_project(tmp_path / "study")
    src = tmp_path / "in" / "T1.txt"
    src.parent.mkdir()
    src.write_text(OLD, encoding="utf-8")
    p = Project.open(root)
    import_files(p, [src])
    t = p.transcript("T1")
    with p.log("anna") as log:
        for i, quote in ((1, None), (3, "The membership fees cover perhaps a tenth."),
                         (3, "We also sell services to members."), (5, None)):
            seg = t.segments[i]
            s = seg.start + (seg.text.index(quote) if quote else 0)
            e = s + len(quote) if quote else seg.end
            # as the app logs a coding: with its quote, context and the transcript's CRC
            log.code("T1", s, e, "theme.example", **p.coding_fields("T1", s, e))
    with p.log("boris") as log:
        seg = t.segments[1]
        log.code("T1", seg.start, seg.end, "theme.example",
                 **p.coding_fields("T1", seg.start, seg.end))
    return p


def write(tmp_path, name, text):
    path = tmp_path / "fixed" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_replace_reports_each_coders_codings_and_drops_none(project, tmp_path, capsys):
    log_before = {c: project.log_path(c).read_bytes() for c in ("anna", "boris")}
    new = write(tmp_path, "T1.txt", NEW)
    assert main(["import", str(project.root), str(new), "--replace"]) == 0
    out = capsys.readouterr().out
    assert "replaced transcripts/T1.txt" in out and "transcripts/.replaced/T1." in out
    p = Project.open(project.root)
    # the report is each coder's codings of T1 by status, as the core now places them
    from workbench.cli.project_cmds import _codings_line
    counts = {c: {} for c in ("anna", "boris")}
    for coder in counts:
        for c in p.codings(coder, "T1"):
            counts[coder][c.status] = counts[coder].get(c.status, 0) + 1
    assert _codings_line(counts) in out
    assert counts["boris"] == {"moved": 1}
    # the new text is in place, the old one kept; the logs are untouched
    assert (project.root / "transcripts" / "T1.txt").read_text(encoding="utf-8") == NEW
    kept = list((project.root / "transcripts" / ".replaced").iterdir())
    assert [k.read_text(encoding="utf-8") for k in kept] == [OLD]
    assert {c: project.log_path(c).read_bytes() for c in ("anna", "boris")} == log_before
    assert p.transcript_ids() == ["T1"]           # the kept file is not a transcript
    anna = p.codings("anna")
    assert len(anna) == 4                         # none dropped
    text = p.transcript("T1").text
    by_quote = {c.quote: c for c in anna}
    # the rewritten sentence cannot be found: flagged, never silently placed
    assert by_quote["We also sell services to members."].status == "needs_review"
    # passages nobody touched are found again where the text moved them
    for q in ("Most of our budget comes from project funds.", "You are welcome."):
        assert by_quote[q].status == "moved" and text[by_quote[q].start:by_quote[q].end] == q
    for c in anna:
        if c.status == "moved":
            assert text[c.start:c.end] == c.quote   # found again in the new text


def test_replace_json_and_a_new_file_name(project, tmp_path, capsys):
    new = write(tmp_path, "T1.md", NEW)           # the corrected version is Markdown
    assert main(["import", str(project.root), str(new), "--replace", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["id"], row["file"], row["replaced"]) == ("T1", "transcripts/T1.md",
                                                          "transcripts/T1.txt")
    assert row["backup"].startswith("transcripts/.replaced/T1.") and row["backup"].endswith(".txt")
    assert row["codings"]["boris"] == {"moved": 1}
    assert sum(row["codings"]["anna"].values()) == 4                # none dropped
    assert row["codings"]["anna"].get("needs_review", 0) >= 1       # the rewritten sentence
    files = sorted(x.name for x in (project.root / "transcripts").iterdir() if x.is_file())
    assert "T1.txt" not in files and "T1.md" in files   # one file holds the id


def test_replace_refuses_what_it_cannot_do_and_writes_nothing(project, tmp_path):
    good = write(tmp_path, "T1.txt", NEW)
    other = write(tmp_path, "T2.txt", NEW)
    with pytest.raises(TranscriptError, match="no transcript with id 'T2' to replace"):
        import_files(project, [good, other], replace=True)
    assert (project.root / "transcripts" / "T1.txt").read_text(encoding="utf-8") == OLD
    assert not (project.root / "transcripts" / ".replaced").exists()
    with pytest.raises(TranscriptError, match="add --replace"):
        import_files(project, [good])
    broken = write(tmp_path, "T1.docx", "not a word file")
    with pytest.raises(TranscriptError):
        import_files(project, [broken], replace=True)
    assert (project.root / "transcripts" / "T1.txt").read_text(encoding="utf-8") == OLD
