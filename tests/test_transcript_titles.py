"""A title line at the top of a transcript (a Word or Markdown heading, or one short line before
the first speaker) is not a turn: it is neither coded nor counted as interviewee speech, it stays
in the text (offsets do not move), and `import` says what it did with it."""
from __future__ import annotations

import docx
import pytest

from workbench.cli import main
from workbench.counts import counts, load
from workbench.project import Project, init_project
from workbench.transcripts import load_transcript

TURNS = "Interviewer: What does the cluster give you?\nAnna: Joint projects, mostly.\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("first, title", [
    ("Interview with Ms. Ivanova, Perm, 12 April 2019", "Interview with Ms. Ivanova, Perm, 12 April 2019"),
    ("# Interview P03", "Interview P03"),
    ("## Интервью П03 (Калуга)", "Интервью П03 (Калуга)"),
])
def test_a_title_line_is_not_a_turn(tmp_path, first, title):
    t = load_transcript(write(tmp_path, "T.md", f"{first}\n\n{TURNS}"))
    assert t.title == title
    assert [s.speaker for s in t.segments] == ["Interviewer", "Anna"]
    assert t.text.startswith(first)                    # kept in the text
    assert t.segments[0].start == len(first) + 2 + len("Interviewer: ")   # offsets as before
    assert "line 1" in t.title_note and "not a turn" in t.title_note
    assert not t.warnings


@pytest.mark.parametrize("first", [
    "Yes, of course, we were founded in 2012.",         # a sentence: speech without a label
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen",                                  # too long for a title
])
def test_speech_before_the_first_label_stays_an_unlabelled_turn(tmp_path, first):
    t = load_transcript(write(tmp_path, "T.txt", f"{first}\n{TURNS}"))
    assert t.title is None
    assert [s.speaker for s in t.segments] == [None, "Interviewer", "Anna"]
    assert any("before the first speaker" in w for w in t.warnings)


def test_a_heading_then_a_preamble(tmp_path):
    text = f"# Interview P07\nRecorded in Perm; the audio starts late.\n\n{TURNS}"
    t = load_transcript(write(tmp_path, "T.md", text))
    assert t.title == "Interview P07"
    assert [s.speaker for s in t.segments] == [None, "Interviewer", "Anna"]
    assert t.segments[0].text == "Recorded in Perm; the audio starts late."
    assert any("before the first speaker" in w for w in t.warnings)


def test_a_file_without_speakers_is_one_segment_not_a_title(tmp_path):
    t = load_transcript(write(tmp_path, "T.txt", "Field notes\n"))
    assert t.title is None and len(t.segments) == 1


def make_docx(path, heading_style: str | None):
    d = docx.Document()
    if heading_style:
        d.add_paragraph("Interview P05: Kaluga, 5 June 2019", style=heading_style)
    else:
        d.add_paragraph("Interview P05 Kaluga 5 June 2019")
    d.add_paragraph("Interviewer: What does the cluster give you?")
    d.add_paragraph("Anna: Joint projects, mostly. We have five of them.")
    d.save(path)
    return path


@pytest.mark.parametrize("style", ["Heading 1", "Title", None])
def test_a_word_title_is_not_a_turn(tmp_path, style):
    t = load_transcript(make_docx(tmp_path / "P05.docx", style))
    assert t.title is not None and t.title.startswith("Interview P05")
    assert [s.speaker for s in t.segments] == ["Interviewer", "Anna"]
    assert t.text.startswith(t.title + "\n\nInterviewer: ")   # the rendering is unchanged


def test_import_says_what_it_did_and_counts_leave_the_title_out(tmp_path, capsys):
    root = init_project(tmp_path / "study")
    src = make_docx(tmp_path / "P05.docx", "Heading 1")
    assert main(["import", str(root), str(src)]) == 0
    out = capsys.readouterr().out
    assert "“Interview P05: Kaluga, 5 June 2019” is the title, not a turn" in out
    p = Project.open(root)
    info = p.info("P05")
    assert info.n_segments == 2 and info.roles == "IE"
    # a coding on the title line (as an old project may have) is not interviewee speech
    t = p.transcript("P05")
    with p.log("anna") as log:
        log.code("P05", 0, len(t.title), "theme.example", quote=t.title)
        log.done("P05")
    n = lambda project: counts(load(project, "anna")).set_index("code").loc["theme.example",
                                                                            "interviews"]
    assert n(p) == 0
    with p.log("anna") as log:
        log.code("P05", t.segments[1].start, t.segments[1].end, "theme.example")
    assert n(Project.open(root)) == 1
