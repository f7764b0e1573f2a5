"""Word, WebVTT and SRT transcripts: the tool's own rendering ``[HH:MM:SS] Speaker: text``."""
from __future__ import annotations

from pathlib import Path

import docx
import pytest

from workbench.errors import TranscriptError
from workbench.transcripts import load_transcript

DATA = Path(__file__).parent / "data"


def check_slices(t) -> None:
    for s in t.segments:
        assert t.text[s.start:s.end] == s.text, (s.index, s.speaker)
    for a, b in zip(t.segments, t.segments[1:]):
        assert a.end < b.start


def make_docx(path: Path, paragraphs: list) -> Path:
    """Paragraphs are strings, or (bold label, rest) pairs as transcribers format them, or
    lists of lines joined by soft line breaks (Shift+Enter)."""
    d = docx.Document()
    for p in paragraphs:
        if isinstance(p, tuple):
            para = d.add_paragraph()
            para.add_run(p[0]).bold = True
            para.add_run(p[1])
        elif isinstance(p, list):
            para = d.add_paragraph()
            for i, line in enumerate(p):
                run = para.add_run(line)
                if i < len(p) - 1:
                    run.add_break()
        else:
            d.add_paragraph(p)
    d.save(str(path))
    return path


# ---- Word ------------------------------------------------------------------------------------

def test_docx_rendering_exact(tmp_path):
    path = make_docx(tmp_path / "P07.docx", [
        "---", "id: P37", "region: Perm", "date: 2019-04-18", "---",
        ("Interviewer:", " Good afternoon. How is the cluster financed?"),
        ("Sergey Volkov:", " Mostly from project funds."),
        "",
        "The membership fees cover the rest.",
        ("Interviewer: ", "Thank you."),
    ])
    t = load_transcript(path)
    assert t.id == "P37" and t.format == "docx"
    assert t.attributes == {"region": "Perm", "date": "2019-04-18"}
    assert t.text == (
        "Interviewer: Good afternoon. How is the cluster financed?\n"
        "\n"
        "Sergey Volkov: Mostly from project funds.\n"
        "The membership fees cover the rest.\n"
        "\n"
        "Interviewer: Thank you.")
    check_slices(t)
    assert [(s.speaker, s.role, s.text) for s in t.segments] == [
        ("Interviewer", "interviewer", "Good afternoon. How is the cluster financed?"),
        ("Sergey Volkov", "interviewee",
         "Mostly from project funds.\nThe membership fees cover the rest."),
        ("Interviewer", "interviewer", "Thank you."),
    ]
    assert t.warnings == []


def test_docx_timestamps_soft_breaks_and_decomposed_cyrillic(tmp_path):
    decomposed = "Андре\u0438\u0306"  # Андрей with a combining breve, as some exports write it
    path = make_docx(tmp_path / "call.docx", [
        f"[00:00:05] Interviewer: Hello, {decomposed}.",
        [f"[00:00:09] {decomposed}: Hello.", "[00:00:12] Interviewer: Shall we begin?"],
        f"[00:00:15] {decomposed}: Yes.",
    ])
    t = load_transcript(path)
    assert t.text == ("[00:00:05] Interviewer: Hello, Андрей.\n\n"
                      "[00:00:09] Андрей: Hello.\n\n"
                      "[00:00:12] Interviewer: Shall we begin?\n\n"
                      "[00:00:15] Андрей: Yes.")
    check_slices(t)
    assert [(s.timestamp, s.speaker) for s in t.segments] == [
        ("00:00:05", "Interviewer"), ("00:00:09", "Андрей"), ("00:00:12", "Interviewer"),
        ("00:00:15", "Андрей")]


def test_docx_interviewer_named_in_front_matter(tmp_path):
    path = make_docx(tmp_path / "x.docx", ["---", "interviewer: N. Orlova", "---",
                                           "N. Orlova: Question?", "Viktor Gromov: Answer."])
    t = load_transcript(path)
    assert [(s.speaker, s.role) for s in t.segments] == [("N. Orlova", "interviewer"),
                                                         ("Viktor Gromov", "interviewee")]


def test_docx_without_speakers_is_one_segment_with_a_warning(tmp_path):
    t = load_transcript(make_docx(tmp_path / "notes.docx", ["Notes of the call.",
                                                            "The fees cover 15%."]))
    assert t.text == "Notes of the call.\nThe fees cover 15%."
    assert len(t.segments) == 1 and t.segments[0].speaker is None
    assert any("no speaker line" in w for w in t.warnings)


@pytest.mark.parametrize("paragraphs, line, fragment", [
    (["---", "id: P1", "region: [Perm", "---", "Interviewer: Hi."], 3, "not valid YAML"),
    (["---", "- Perm", "---", "Interviewer: Hi."], 2, "not a mapping"),
    (["---", "id: P1", "Interviewer: Hi."], 1, "no closing"),
])
def test_docx_bad_front_matter_names_file_and_paragraph(tmp_path, paragraphs, line, fragment):
    path = make_docx(tmp_path / "bad.docx", paragraphs)
    with pytest.raises(TranscriptError) as ei:
        load_transcript(path)
    assert f"bad.docx:{line}:" in str(ei.value) and fragment in str(ei.value)


@pytest.mark.parametrize("content, fragment", [
    (b"", "not a Word .docx file"),
    (b"PK\x03\x04 this is not really a zip", "Word"),
    (b"{\\rtf1 an RTF file renamed to .docx}", "not a Word .docx file"),
])
def test_docx_unreadable(tmp_path, content, fragment):
    path = tmp_path / "broken.docx"
    path.write_bytes(content)
    with pytest.raises(TranscriptError) as ei:
        load_transcript(path)
    assert "broken.docx" in str(ei.value) and fragment in str(ei.value)


def test_docx_with_no_text(tmp_path):
    with pytest.raises(TranscriptError, match="no text"):
        load_transcript(make_docx(tmp_path / "empty.docx", ["", "  "]))


# ---- WebVTT ----------------------------------------------------------------------------------

def test_vtt_voices_and_merged_cues_exact():
    t = load_transcript(DATA / "P22_call.vtt")
    assert t.id == "P22_call" and t.format == "vtt"
    assert t.text == (
        "[00:00:01] Moderator: Thank you for joining. Can you hear me?\n\n"
        "[00:00:04] Ms. Ivanova: Yes, perfectly.\n\n"
        "[00:00:07] Moderator: What does the cluster give its members?\n\n"
        "[00:00:12] Ms. Ivanova: Joint R&D projects, first of all. "
        "And help with the applications for project funding.\n\n"
        "[01:02:03] Moderator: Thank you.")
    check_slices(t)
    # consecutive cues of one speaker are one turn, timestamped with the first cue's start
    assert [(s.timestamp, s.speaker, s.role) for s in t.segments] == [
        ("00:00:01", "Moderator", "interviewer"), ("00:00:04", "Ms. Ivanova", "interviewee"),
        ("00:00:07", "Moderator", "interviewer"), ("00:00:12", "Ms. Ivanova", "interviewee"),
        ("01:02:03", "Moderator", "interviewer")]
    assert t.segments[3].text == ("Joint R&D projects, first of all. And help with the "
                                  "applications for project funding.")


def test_vtt_speaker_prefix_cue_settings_tags_bom_crlf(tmp_path):
    vtt = ("\ufeffWEBVTT\r\n\r\n"
           "1\r\n00:01.000 --> 00:04.000 align:start\r\nInterviewer: <i>Hello</i> there.\r\n\r\n"
           "2\r\n00:00:05.000 --> 00:00:07.000\r\n<v.loud Ольга Петрова>Hello!</v>\r\n\r\n"
           "3\r\n00:00:07.500 --> 00:00:09.000\r\nAnd welcome.\r\n")
    path = tmp_path / "c.vtt"
    path.write_text(vtt, encoding="utf-8", newline="")
    t = load_transcript(path)
    assert t.text == ("[00:00:01] Interviewer: Hello there.\n\n"
                      "[00:00:05] Ольга Петрова: Hello! And welcome.")
    check_slices(t)


@pytest.mark.parametrize("content, fragment", [
    ("WEBVTT\n\n", "no cues"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n", "no text"),
    ("Hello, this is not WebVTT\n", "VTT"),
])
def test_vtt_bad_input(tmp_path, content, fragment):
    path = tmp_path / "bad.vtt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TranscriptError) as ei:
        load_transcript(path)
    assert "bad.vtt" in str(ei.value) and fragment in str(ei.value)


# ---- SRT -------------------------------------------------------------------------------------

def test_srt_speaker_lines_wrapped_cues_and_continuations_exact():
    t = load_transcript(DATA / "P23_call.srt")
    assert t.format == "srt"
    assert t.text == (
        "[00:00:00] Interviewer: Hello, Elena. Thank you for taking part.\n\n"
        "[00:00:03] Elena Morozova: Hello. Our cluster has about seventy members, from large "
        "plants to start-ups. Most of them are in Kaluga.\n\n"
        "[00:00:14] Interviewer: How is the cluster financed?")
    check_slices(t)
    assert [(s.speaker, s.role) for s in t.segments] == [
        ("Interviewer", "interviewer"), ("Elena Morozova", "interviewee"),
        ("Interviewer", "interviewer")]


def test_srt_with_bom_and_hours(tmp_path):
    srt = ("\ufeff1\n00:59:58,000 --> 01:00:01,000\nQ: Last question?\n\n"
           "2\n01:00:02,000 --> 01:00:04,000\nO'Brien: Last answer.\n")
    path = tmp_path / "late.srt"
    path.write_text(srt, encoding="utf-8")
    t = load_transcript(path)
    assert t.text == "[00:59:58] Q: Last question?\n\n[01:00:02] O'Brien: Last answer."
    assert [s.role for s in t.segments] == ["interviewer", "interviewee"]
    check_slices(t)


def test_srt_invalid_utf8(tmp_path):
    path = tmp_path / "cp1251.srt"
    path.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nQ: Привет\n".encode("cp1251"))
    with pytest.raises(TranscriptError) as ei:
        load_transcript(path)
    assert "cp1251.srt:3:" in str(ei.value) and "byte offset 35" in str(ei.value)
