"""Plain text and Markdown transcripts: front matter, speaker forms, offsets, bad input."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from workbench.errors import TranscriptError
from workbench.transcripts import load_transcript

DATA = Path(__file__).parent / "data"

P01_LIKE = """\
---
id: P31
region: Perm
cluster: Technopolis Noviy Zvezdnyy
date: 2019-04-12
---
Interviewer: Thank you for agreeing to talk to us. Could you start with the cluster?
Ms. Ivanova: Yes, of course. I have been the director of the development centre since 2016.
The technopolis started around the engine-building plants.

And that is the second thing, funding. We helped our members get subsidies.
Interviewer: So the cluster team prepares the applications?
Ms. Ivanova: Yes, we do most of the paperwork.
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return p


def check_slices(t) -> None:
    """The invariant every parser keeps: a segment's text is its slice of the text."""
    for s in t.segments:
        assert t.text[s.start:s.end] == s.text, (s.index, s.speaker)
    starts = [s.start for s in t.segments]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for a, b in zip(t.segments, t.segments[1:]):
        assert a.end <= b.start


def turns(t):
    return [(s.speaker, s.text) for s in t.segments]


# ---- the ordinary cases --------------------------------------------------------------------------

def test_front_matter_labels_continuation_and_blank_lines(tmp_path):
    t = load_transcript(write(tmp_path, "interview.txt", P01_LIKE))
    check_slices(t)
    assert t.id == "P31" and t.format == "txt"
    assert t.attributes == {"region": "Perm", "cluster": "Technopolis Noviy Zvezdnyy",
                            "date": "2019-04-12"}
    assert turns(t) == [
        ("Interviewer", "Thank you for agreeing to talk to us. Could you start with the cluster?"),
        ("Ms. Ivanova", "Yes, of course. I have been the director of the development centre "
                        "since 2016.\nThe technopolis started around the engine-building plants."
                        "\n\nAnd that is the second thing, funding. We helped our members get "
                        "subsidies."),
        ("Interviewer", "So the cluster team prepares the applications?"),
        ("Ms. Ivanova", "Yes, we do most of the paperwork."),
    ]
    assert [s.role for s in t.segments] == ["interviewer", "interviewee"] * 2
    assert [s.index for s in t.segments] == [0, 1, 2, 3]
    assert all(s.transcript == "P31" and s.timestamp is None for s in t.segments)
    assert t.warnings == []
    # offsets index the whole normalized file, front matter included
    assert t.text == P01_LIKE
    assert t.segments[0].start == P01_LIKE.index("Thank you for agreeing")


def test_id_defaults_to_file_stem_and_date_attribute_is_iso(tmp_path):
    t = load_transcript(write(tmp_path, "P77.txt", "Interviewer: Hello.\nAnna: Hi.\n"))
    assert t.id == "P77" and t.attributes == {}
    assert turns(t) == [("Interviewer", "Hello."), ("Anna", "Hi.")]


def test_markdown_file_with_bold_labels_cyrillic_and_apostrophes():
    t = load_transcript(DATA / "P21_kaluga.md")
    check_slices(t)
    assert t.id == "P21" and t.format == "md"
    assert t.attributes["region"] == "Kaluga"
    assert t.attributes["date"] == "2019-06-07"
    speakers = [s.speaker for s in t.segments]
    # a Markdown title before the first speaker is the title, not a turn (and no warning)
    assert speakers == ["Interviewer", "Ольга Петрова", "Interviewer", "Ольга Петрова",
                        "Jean-Luc O'Brien", "Interviewer", "Jean-Luc O'Brien"]
    assert t.title == "Interview P21 (fictional, written for the tests)"
    assert "# Interview P21" in t.text and "is the title, not a turn" in t.title_note
    assert not any("before the first speaker" in w for w in t.warnings)
    assert t.segments[1].text == (
        "Most of the money still comes from project funds, the regional programme.\n"
        "The membership fees cover perhaps a tenth.\n\n"
        "And we sell services: certification support, training for the members' staff.")
    # '**Label**:' form and a colon inside a turn that is not at a line start
    assert t.segments[3].text.startswith("Then we would have to shrink")
    assert "For example: one\nmanager and a website." in t.segments[3].text
    assert t.segments[4].text.startswith("If I may add, as the foreign partner: the")
    assert [s.role for s in t.segments] == ["interviewer", "interviewee", "interviewer",
                                            "interviewee", "interviewee", "interviewer",
                                            "interviewee"]
    for s in t.segments:  # no segment includes a speaker label or the bold markers
        assert not s.text.startswith("**") and not s.text.endswith("**")


@pytest.mark.parametrize("label", ["Ms. Ivanova", "Ольга Петрова", "O'Brien", "Jean-Luc",
                                   "Dr. Jean-Luc O’Brien", "Speaker 2", "Q", "I"])
@pytest.mark.parametrize("form", ["{l}: {t}", "**{l}:** {t}", "**{l}**: {t}",
                                  "[00:01:23] {l}: {t}", "  {l}:\t{t}"])
def test_label_forms(tmp_path, label, form):
    lines = [form.format(l="Interviewer", t="A question?"), form.format(l=label, t="An answer."),
             form.format(l="Interviewer", t="Another question?"),
             form.format(l=label, t="Another answer.")]
    t = load_transcript(write(tmp_path, "t.txt", "\n".join(lines) + "\n"))
    check_slices(t)
    assert turns(t) == [("Interviewer", "A question?"), (label, "An answer."),
                        ("Interviewer", "Another question?"), (label, "Another answer.")]
    if form.startswith("[00:01:23]"):
        assert {s.timestamp for s in t.segments} == {"00:01:23"}


def test_timestamps_are_normalized_to_hh_mm_ss(tmp_path):
    text = ("[00:01:23] Interviewer: First.\n[1:24] Dr. Sokolov: Second.\n"
            "(00:01:25.500) Interviewer: Third.\n[01:02:03,25] Dr. Sokolov: Fourth.\n")
    t = load_transcript(write(tmp_path, "t.txt", text))
    check_slices(t)
    assert [(s.timestamp, s.speaker, s.text) for s in t.segments] == [
        ("00:01:23", "Interviewer", "First."), ("00:01:24", "Dr. Sokolov", "Second."),
        ("00:01:25", "Interviewer", "Third."), ("01:02:03", "Dr. Sokolov", "Fourth.")]


def test_a_label_that_occurs_once_among_regular_speakers_is_text(tmp_path):
    text = ("Interviewer: What does the cluster give?\n"
            "Mr. Fedorov: Several things.\n"
            "For example: joint projects and training.\n"
            "Interviewer: Anything else?\n"
            "Mr. Fedorov: Tenders, sometimes.\n")
    t = load_transcript(write(tmp_path, "t.txt", text))
    check_slices(t)
    assert [s.speaker for s in t.segments] == ["Interviewer", "Mr. Fedorov"] * 2
    assert t.segments[1].text == "Several things.\nFor example: joint projects and training."
    assert any("line 3" in w and "For example" in w for w in t.warnings)
    # listing the speakers in front matter is authoritative
    t2 = load_transcript(write(tmp_path, "t2.txt", "---\nspeakers: [Interviewer, Mr. Fedorov]\n"
                                                    "---\n" + text))
    assert [s.speaker for s in t2.segments] == ["Interviewer", "Mr. Fedorov"] * 2


def test_empty_turn_stays_on_its_own_line(tmp_path):
    text = "Interviewer:\nAnna: I am here.\nInterviewer: Good.\nAnna:\n"
    t = load_transcript(write(tmp_path, "t.txt", text))
    check_slices(t)
    assert turns(t) == [("Interviewer", ""), ("Anna", "I am here."), ("Interviewer", "Good."),
                        ("Anna", "")]
    first = t.segments[0]
    # right after its own label, not at the start of the next speaker's label
    assert first.start == first.end == len("Interviewer:")
    assert t.segments[3].start == text.rindex("Anna:") + len("Anna:")


# ---- line endings, BOM, Unicode normalization ---------------------------------------------------

@pytest.mark.parametrize("eol", ["\r\n", "\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_crlf_lone_cr_and_bom_give_the_same_text_and_offsets(tmp_path, eol, bom):
    reference = load_transcript(write(tmp_path, "ref.txt", P01_LIKE))
    raw = bom + P01_LIKE.replace("\n", eol).encode("utf-8")
    t = load_transcript(write(tmp_path, "other.txt", raw))
    check_slices(t)
    assert "\r" not in t.text and not t.text.startswith("\ufeff")
    assert t.text == reference.text
    assert [(s.speaker, s.start, s.end, s.text) for s in t.segments] == \
        [(s.speaker, s.start, s.end, s.text) for s in reference.segments]
    assert t.attributes == reference.attributes


def test_nfc_normalization_offsets_count_code_points(tmp_path):
    decomposed_short_i = "\u0438\u0306"  # и + combining breve: renders as й
    raw = (f"Interviewer: Как вас зовут?\n"
           f"Андре{decomposed_short_i}: Меня зовут Андре{decomposed_short_i}, "
           f"я из Калуги. Мо{decomposed_short_i} кластер растёт.\n"
           f"Interviewer: Спасибо.\n"
           f"Андре{decomposed_short_i}: Пожалуйста.\n")
    t = load_transcript(write(tmp_path, "ru.txt", raw))
    check_slices(t)
    assert "\u0306" not in t.text
    assert t.text == unicodedata.normalize("NFC", raw)
    assert raw.count("\u0306") == 4
    assert len(t.text) == len(raw) - 4  # each и+breve pair became one code point й
    assert [s.speaker for s in t.segments] == ["Interviewer", "Андрей"] * 2
    assert t.segments[1].text == "Меня зовут Андрей, я из Калуги. Мой кластер растёт."
    # an offset a coder would store for 'Мой кластер' counts й as one code point
    start = t.text.index("Мой кластер")
    assert start == t.segments[1].start + len("Меня зовут Андрей, я из Калуги. ")
    assert t.text[start:start + 11] == "Мой кластер"


# ---- interviewer classification -----------------------------------------------------------------

def test_default_interviewer_labels_are_case_insensitive(tmp_path):
    text = ("INTERVIEWER: a?\nAnna: b.\nmoderator: c?\nAnna: d.\nq: e?\nAnna: f.\ni: g?\n"
            "Anna: h.\n")
    t = load_transcript(write(tmp_path, "t.txt", text))
    assert [s.role for s in t.segments] == ["interviewer", "interviewee"] * 4


def test_project_setting_replaces_the_default_labels(tmp_path):
    text = "Facilitator: a?\nAnna: b.\nInterviewer: c?\nAnna: d.\n"
    t = load_transcript(write(tmp_path, "t.txt", text), interviewer_speakers=["facilitator"])
    assert [(s.speaker, s.role) for s in t.segments] == [
        ("Facilitator", "interviewer"), ("Anna", "interviewee"),
        ("Interviewer", "interviewee"), ("Anna", "interviewee")]


@pytest.mark.parametrize("named", ["N. Orlova", "n. orlova", "[N. Orlova, S. Titov]"])
def test_front_matter_names_the_interviewer(tmp_path, named):
    text = (f"---\ninterviewer: {named}\n---\nN. Orlova: First question?\nViktor Gromov: Yes.\n"
            "N. Orlova: Second?\nViktor Gromov: No.\n")
    t = load_transcript(write(tmp_path, "t.txt", text))
    check_slices(t)
    assert [(s.speaker, s.role) for s in t.segments] == [
        ("N. Orlova", "interviewer"), ("Viktor Gromov", "interviewee")] * 2


# ---- bad input: a clear error naming the file (and the line) ------------------------------------

def error_of(path: Path) -> str:
    with pytest.raises(TranscriptError) as ei:
        load_transcript(path)
    msg = str(ei.value)
    assert path.name in msg
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_files(tmp_path, content):
    assert "empty" in error_of(write(tmp_path, "empty.txt", content))


def test_binary_file(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))
    assert "binary" in error_of(write(tmp_path, "photo.txt", png))


def test_utf16_file_says_so(tmp_path):
    raw = "Interviewer: Hello.\nAnna: Hi.\n".encode("utf-16")
    msg = error_of(write(tmp_path, "notepad.txt", raw))
    assert "UTF-16" in msg and "UTF-8" in msg


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_invalid_utf8_reports_byte_offset_and_line(tmp_path, eol):
    good = f"Interviewer: Hello.{eol}Anna: Hi.{eol}Interviewer: How is the cluster ".encode()
    raw = good + b"financ\xe9d?" + eol.encode()  # a Latin-1 é
    msg = error_of(write(tmp_path, "latin1.txt", raw))
    offset = len(good) + len(b"financ")
    assert f"byte offset {offset}" in msg
    assert "latin1.txt:3:" in msg


def test_no_speaker_line_is_one_segment_with_a_warning(tmp_path):
    text = "Notes from the call with the cluster manager.\nShe said the fees cover 15%.\n"
    t = load_transcript(write(tmp_path, "notes.txt", text))
    check_slices(t)
    assert len(t.segments) == 1
    assert t.segments[0].speaker is None and t.segments[0].role == "interviewee"
    assert t.segments[0].text == text.strip()
    assert any("no speaker line" in w for w in t.warnings)


@pytest.mark.parametrize("front, line, fragment", [
    ("---\n- Perm\n- Samara\n---\n", 2, "not a mapping"),
    ("---\njust a sentence\n---\n", 2, "not a mapping"),
    ("---\nid: P01\nregion: Perm\n", 1, "no closing"),
    ("---\nid: P01\nregion: [Perm\ndate: 2019\n---\n", 3, "not valid YAML"),
    ("---\nid: P01\ncluster: 'Technopolis\n---\n", 3, "not valid YAML"),
])
def test_bad_front_matter(tmp_path, front, line, fragment):
    msg = error_of(write(tmp_path, "fm.md", front + "Interviewer: Hello.\nAnna: Hi.\n"))
    assert f"fm.md:{line}:" in msg and fragment in msg


def test_front_matter_without_text(tmp_path):
    assert "no text" in error_of(write(tmp_path, "fm.md", "---\nid: P01\n---\n\n"))


def test_unsupported_extension_and_missing_file(tmp_path):
    assert "unsupported" in error_of(write(tmp_path, "interview.rtf", b"{\\rtf1 hi}"))
    assert "not found" in error_of(tmp_path / "missing.txt")


def test_front_matter_values_are_text_as_written(tmp_path):
    text = ("---\nid: 007\ndate: 2019-04-12\ntime: 10:30\nconsent: no\nregion:\n"
            "cluster: \"Technopolis 'Noviy Zvezdnyy'\"\nspeakers: Interviewer, Mr. Fedorov\n---\n"
            "Interviewer: Hello.\nMr. Fedorov: Hello.\n")
    t = load_transcript(write(tmp_path, "t.md", text))
    assert t.id == "007"
    assert t.attributes["date"] == "2019-04-12"
    assert t.attributes["time"] == "10:30"  # not 630 (YAML 1.1 sexagesimal)
    assert t.attributes["consent"] == "no"  # not False
    assert t.attributes["region"] == ""
    assert t.attributes["cluster"] == "Technopolis 'Noviy Zvezdnyy'"
    assert [s.speaker for s in t.segments] == ["Interviewer", "Mr. Fedorov"]


def test_segment_lookup_by_offset(tmp_path):
    t = load_transcript(write(tmp_path, "t.txt", P01_LIKE))
    s1 = t.segments[1]
    assert t.segment_index_at(s1.start) == 1
    assert t.segment_index_at(s1.end - 1) == 1
    assert t.segment_index_at(s1.end) == 2  # in the next speaker's label: the next segment
    assert t.segment_index_at(0) == 0  # in the front matter: the first segment
    assert t.segment_index_at(len(t.text) + 5) is None
    assert [s.index for s in t.segments_overlapping(s1.end - 3, t.segments[2].start + 2)] == [1, 2]
    assert t.segments_overlapping(s1.end, t.segments[2].start) == []


def test_segments_paragraphs_makes_every_line_a_segment(tmp_path):
    """Front matter 'segments: paragraphs' (written by the REFI-QDA import for texts that are not
    speaker turns): each non-empty line is one unlabelled segment, 'Heading:' lines included."""
    path = tmp_path / "c.txt"
    path.write_text("---\nsegments: paragraphs\nsource: YouTube\n---\nFirst comment here\n\n"
                    "  Magyarul: second one  \nthird\n", encoding="utf-8")
    t = load_transcript(path)
    assert [(s.speaker, s.text) for s in t.segments] == [
        (None, "First comment here"), (None, "Magyarul: second one"), (None, "third")]
    assert all(t.text[s.start:s.end] == s.text for s in t.segments)
    assert t.attributes == {"source": "YouTube"} and not t.warnings
    path.write_text("---\nsegments: 12\n---\nA: hi\nB: ho\n", encoding="utf-8")
    assert load_transcript(path).attributes == {"segments": "12"}     # any other value: attribute
