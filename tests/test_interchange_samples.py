"""Every real REFI-QDA export in shared/refi-qda-samples imports (or is refused with a specific
reason), with concrete facts checked per sample: codes, hierarchy, sources, selections."""
from __future__ import annotations

import io
import zipfile

import pytest
from refi_helpers import (
    ALL_SAMPLES,
    ATLAS_ANNEX,
    ATLAS_BLANK,
    ATLAS_TARGET,
    MAXQDA,
    NVIVO_MAC,
    NVIVO_WIN,
    QC,
    TAGUETTE,
    sample,
)

from workbench.errors import InterchangeError
from workbench.interchange.positions import squash
from workbench.interchange.refi_project import init_from_refi
from workbench.interchange.refi_read import read_refi
from workbench.project import Project

NVIVO_CHECK = ("63f8f5d3-a7fb-41af-89dd-ae1dc0f6d6d5",
               "Mi az a fityesznek? Akkor írják át amikor akarják 🤣🤣🤣")


def tree(refi) -> dict[str, list[str]]:
    return {c.name: [ch.name for ch in c.children] for c in refi.all_codes() if c.children}


@pytest.fixture(scope="module")
def nvivo():
    return read_refi(sample(NVIVO_WIN))


def test_nvivo_windows_all_303_selections_land_on_text(nvivo):
    assert nvivo.producer == "nvivo"
    assert len(list(nvivo.all_codes())) == 152 and len(nvivo.codes) == 12
    assert [c.name for c in nvivo.codes[0].children] == ["COVID", "Nem COVID"]
    assert [s.name for s in nvivo.sources] == ["videos_selection", "videos_10_selected"]
    src = nvivo.sources[1]
    assert src.profile == "utf16" and len(src.selections) == 303 and not nvivo.dropped
    at_line_start = 0
    for sel in src.selections:
        text = src.text[sel.start:sel.end]
        assert text.strip(), sel.guid                # on text, not on nothing
        assert "\r" not in text and "\ufffd" not in text
        at_line_start += sel.start == 0 or src.text[sel.start - 1] == "\n"
    assert at_line_start == 281                      # NOTES.md: 281/303 start a line
    sel = next(s for s in src.selections if s.guid == NVIVO_CHECK[0])
    assert src.text[sel.start:sel.end] == NVIVO_CHECK[1]
    assert sel.raw == (2560, 2616)


def test_nvivo_windows_selections_are_in_the_docx_text(nvivo):
    """The .docx beside each .txt (a table of comments) holds every selection's text."""
    import docx
    z = zipfile.ZipFile(sample(NVIVO_WIN))
    src = nvivo.sources[1]
    document = docx.Document(io.BytesIO(z.read(f"Sources/{src.guid}.docx")))
    cells = {squash(c.text) for t in document.tables for r in t.rows for c in r.cells}
    joined = "\x00".join(cells)           # a match cannot straddle two cells
    inside = lambda text: squash(text) in joined
    assert all(inside(src.text[s.start:s.end]) for s in src.selections)    # each in one comment
    assert sum(squash(src.text[s.start:s.end]) in cells for s in src.selections) == 282  # whole
    # read as code points (the spec's way) most would straddle two comments
    raw = z.read(f"Sources/{src.guid}.txt").decode("utf-8-sig")
    assert sum(inside(raw[s.raw[0]:s.raw[1]]) for s in src.selections) < 40


def test_nvivo_windows_imports_as_a_project(tmp_path):
    root, summary = init_from_refi(tmp_path / "nv", sample(NVIVO_WIN))
    p = Project.open(root)
    assert p.transcript_ids() == ["videos_10_selected", "videos_selection"]
    assert len(p.codebook) == 152
    assert p.codebook.codes[p.codebook.roots()[0].id].guid == "5067d381-1dc9-4816-81dd-ae1dbfea2ad7"
    codings = p.codings("Gergo")
    assert len(codings) == 303 and {c.status for c in codings} == {"ok"}
    assert {c.source for c in codings} == {"import"}
    t = p.transcript("videos_10_selected")
    assert len(t.segments) == 15262 and not t.warnings    # one segment per paragraph (line)
    assert all(c.id.count("-") == 4 for c in codings)   # the REFI Coding GUIDs are the ids
    assert any(c.quote == NVIVO_CHECK[1] for c in codings)
    assert summary.placement == {"unchecked": 303} and not summary.dropped


def test_nvivo_mac_has_codes_and_no_text(tmp_path):
    refi = read_refi(sample(NVIVO_MAC))
    assert len(list(refi.all_codes())) == 262 and len(refi.codes) == 3
    assert tree(refi)["concepts"][:3] == ["abstraction", "algorithms", "computer_graphics"]
    assert not refi.sources and len(refi.users) == 2
    assert [d.reason for d in refi.dropped] == ["its text is empty (also in its .docx, if any)"] * 2
    root, summary = init_from_refi(tmp_path / "mac", sample(NVIVO_MAC))
    assert len(Project.open(root).codebook) == 262 and not Project.open(root).transcript_ids()


def test_maxqda_codebook_sources_and_document_groups(tmp_path):
    refi = read_refi(sample(MAXQDA))
    codes = list(refi.all_codes())
    assert len(codes) == 307 and len(refi.codes) == 18
    assert all(len(c.children) == 0 for r in refi.codes for c in r.children)   # two levels
    assert all(c.description for c in codes)
    assert refi.codes[0].color == "#ef8256"
    root, summary = init_from_refi(tmp_path / "mx", sample(MAXQDA))
    p = Project.open(root)
    assert len(p.transcript_ids()) == 10 and "ICLS_2024_3-10" in p.transcript_ids()
    assert p.codebook.codes[p.codebook.roots()[0].id].definition.startswith(
        "This category encompasses")
    attrs = p.attributes_frame().set_index("transcript")["sets"]
    assert set(attrs) == {"ICLS 2024", "ICLS 2025"}
    # papers, not interviews: one segment per paragraph
    assert all(s.speaker is None for s in p.transcript("ICLS_2024_3-10").segments)


def test_atlas_blank_is_refused_with_a_reason(tmp_path):
    with pytest.raises(InterchangeError, match="nothing to import: the file has no codes, no "
                                               "text sources and no notes"):
        init_from_refi(tmp_path / "blank", sample(ATLAS_BLANK))
    assert not (tmp_path / "blank").exists()


def test_atlas_target_codebook(tmp_path):
    refi = read_refi(sample(ATLAS_TARGET))
    assert tree(refi) == {"Commits": ["2022-05-10T02:05:59Z 19e4dce", "2022-02-11T10:39:25Z cdbfd92"]}
    assert refi.codes[0].guid == "a182cd3a-d83c-4d8c-bc80-26d9103ec6d6"   # braces/case normalised


def test_atlas_annex_qde_flattened_names_notes_and_missing_sources(tmp_path):
    refi = read_refi(sample(ATLAS_ANNEX))
    assert len(list(refi.all_codes())) == 14
    assert tree(refi)["Coke"] == ["full-fat Coke", "diet Coke"]
    assert not refi.sources                         # its .txt files are not beside the .qde
    reasons = {d.reason for d in refi.dropped}
    assert "its text file is not in the archive" in reasons
    assert "only text sources are imported" in reasons
    assert any("network views" in r for r in reasons)
    assert {n.name for n in refi.notes} == {"Research Plan", "My favorite Coke ad"}
    root, summary = init_from_refi(tmp_path / "annex", sample(ATLAS_ANNEX))
    memos = Project.open(root).state("Friedrich_Markgraf").memos
    assert len(memos) == 2 and summary.project_memos == 2
    assert memos[0].text.startswith("Research Plan")


def test_taguette_codebook_with_empty_sets(tmp_path):
    refi = read_refi(sample(TAGUETTE))
    assert refi.kind == "codebook" and [c.name for c in refi.codes] == [
        "xsd:element name", "CodeBook", "Variables"]
    root, _ = init_from_refi(tmp_path / "tg", sample(TAGUETTE))
    assert [c.name for c in Project.open(root).codebook.roots()] == [
        "xsd:element name", "CodeBook", "Variables"]


def test_qc_bare_paths_and_line_selections(tmp_path):
    refi = read_refi(sample(QC))
    assert [s.name for s in refi.sources] == ["board_2017", "admin-1"]
    src = refi.sources[0]
    assert len(src.selections) == 158 and sum(len(s.codings) for s in src.selections) == 205
    for sel in src.selections:      # qc names a selection 'line:N' (N counted from 0)
        n = int(sel.name.split(":")[1])
        assert src.text[:sel.start].count("\n") == n and src.text[sel.end - 1] == "\n"
    root, summary = init_from_refi(tmp_path / "qc", sample(QC))
    p = Project.open(root)
    assert len(p.codings("cp")) == 205
    assert len(p.transcript("board_2017").segments) == 116      # speaker turns ('Speaker 2:')


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_every_sample_imports_or_is_refused_clearly(name, small_project):
    from workbench.interchange.refi_project import import_refi
    p = Project.open(small_project)
    try:
        summary = import_refi(p, sample(name))
    except InterchangeError as e:
        assert name == ATLAS_BLANK and "nothing to import" in str(e)
        return
    assert summary.lines()[0].startswith("Imported")
    again = import_refi(Project.open(small_project), sample(name))
    assert not again.codes_added and not again.transcripts_new and not again.codings
    assert not again.memos
