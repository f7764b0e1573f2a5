"""Our exports validate against the REFI-QDA schemas and come back the same: the demo → .qdpx →
a new project has the same transcripts, codebook, codings, done marks, memos and attributes; a
coder's work sent out and re-imported gives the same agreement figures."""
from __future__ import annotations

import io
import shutil
import zipfile

import pytest
import xmlschema
from refi_helpers import NVIVO_WIN, QC, SCHEMAS, sample

from workbench.agreement.report import agreement_report
from workbench.interchange.refi_project import import_refi, init_from_refi
from workbench.interchange.refi_write import codebook_xml, export_qdc, export_qdpx, qdpx_bytes
from workbench.project import Project


@pytest.fixture(scope="module")
def project_schema():
    return xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd"))


def qde_of(data: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read("project.qde")


def codings(p: Project, coder: str):
    return sorted((c.transcript, c.start, c.end, c.code, c.quote, c.id, c.source)
                  for c in p.codings(coder))


def memos(p: Project, coder: str):
    return sorted((m.id, m.transcript, m.text, m.target, m.start, m.end, m.code, m.at)
                  for m in p.state(coder).memos)


def test_demo_export_validates_and_is_stable(demo_copy, project_schema):
    p = Project.open(demo_copy)
    data, result = qdpx_bytes(p)
    project_schema.validate(io.BytesIO(qde_of(data)))
    assert (result.codes, result.transcripts, result.codings, result.memos) == (35, 10, 218, 2)
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    assert names[0] == "project.qde" and "workbench/extension.json" in names
    assert all(n.startswith("sources/") and n.endswith(".txt")
               for n in names if n not in ("project.qde", "workbench/extension.json"))
    qde = z.read("project.qde")
    assert qde.startswith(b'<?xml version="1.0" encoding="UTF-8"?>') and b"\xef\xbb\xbf" not in qde
    assert b'xmlns="urn:QDA-XML:project:1.0"' in qde and b"<Sets>" in qde
    assert qdpx_bytes(Project.open(demo_copy))[0] == data        # repeated exports match
    # every selection's name is its excerpt and its positions are code points of the .txt
    from workbench.interchange.refi_read import read_refi_bytes
    refi = read_refi_bytes(data)
    assert {s.check for src in refi.sources for s in src.selections} == {"excerpt"}


def test_codebook_export_validates(demo_copy, tmp_path):
    schema = xmlschema.XMLSchema(str(SCHEMAS / "Codebook.xsd"))
    p = Project.open(demo_copy)
    schema.validate(io.BytesIO(codebook_xml(p.codebook)))
    out = export_qdc(p, tmp_path / "cb.qdc")
    assert out.codes == 35
    with pytest.raises(Exception, match="already exists"):
        export_qdc(p, tmp_path / "cb.qdc")
    export_qdc(p, tmp_path / "cb.qdc", force=True)


def test_demo_round_trip(demo_copy, tmp_path):
    p = Project.open(demo_copy)
    export_qdpx(p, tmp_path / "demo.qdpx")
    root, summary = init_from_refi(tmp_path / "copy", tmp_path / "demo.qdpx")
    q = Project.open(root)
    assert not summary.dropped
    assert q.name == p.name and q.config.interviewer_speakers == p.config.interviewer_speakers
    assert q.transcript_ids() == p.transcript_ids()
    for tid in p.transcript_ids():
        a, b = p.transcript(tid), q.transcript(tid)
        assert a.text == b.text, tid
        assert [(s.speaker, s.role, s.start, s.end) for s in a.segments] == \
            [(s.speaker, s.role, s.start, s.end) for s in b.segments], tid
        assert a.attributes == b.attributes, tid
    assert q.codebook.to_data()["codes"] == p.codebook.to_data()["codes"]
    assert q.codebook.name == p.codebook.name
    assert q.coders() == p.coders() == ["anna", "boris"]
    for coder in p.coders():
        assert codings(q, coder) == codings(p, coder)
        assert q.state(coder).done == p.state(coder).done
        assert memos(q, coder) == memos(p, coder)
    anna = {c.id: c.memo for c in q.codings("anna")}
    assert "Check with Boris" in anna["8b13aa9e47654d76"]            # a memo on a coding


def test_memos_on_codes_and_spans_survive(demo_copy, tmp_path):
    p = Project.open(demo_copy)
    with p.log("anna") as log:
        log.memo("A theme worth a paper of its own.", code="value.joint_rnd")
        log.memo("This answer dodges the question.", transcript="P02", start=100, end=180)
    export_qdpx(Project.open(demo_copy), tmp_path / "demo.qdpx")
    root, _ = init_from_refi(tmp_path / "copy", tmp_path / "demo.qdpx")
    got = {m.text: m for m in Project.open(root).state("anna").memos}
    assert got["A theme worth a paper of its own."].code == "value.joint_rnd"
    span = got["This answer dodges the question."]
    assert (span.transcript, span.start, span.end) == ("P02", 100, 180)


def test_cross_tool_agreement_survives_the_trip(demo_copy, tmp_path):
    """The demo exported, anna's codings removed, re-imported into the copy: her codings sit
    on the same turns and `agree` gives the same figures as before."""
    p = Project.open(demo_copy)
    before = agreement_report(p, ["anna", "boris"])
    before_turns = sorted((c.transcript, c.segment, c.code) for c in p.codings("anna"))
    export_qdpx(p, tmp_path / "demo.qdpx")
    (demo_copy / "codings" / "anna.jsonl").unlink()
    shutil.rmtree(demo_copy / ".workbench", ignore_errors=True)
    summary = import_refi(Project.open(demo_copy), tmp_path / "demo.qdpx")
    assert summary.codings == {"anna": 110} and summary.done == {"anna": 10}
    assert summary.present == 108                       # boris's, already there
    assert [m for _, _, m in summary.transcripts_matched] == ["same text"] * 10
    q = Project.open(demo_copy)
    assert sorted((c.transcript, c.segment, c.code) for c in q.codings("anna")) == before_turns
    after = agreement_report(q, ["anna", "boris"])
    assert after.overall == before.overall
    assert after.per_code.equals(before.per_code)


def test_import_merges_codes_by_name_path_and_keeps_ours(small_project, tmp_path):
    """A codebook from another tool: same names under the same parent are our codes; the new
    one is added under ours; nothing of ours is renamed or redefined."""
    qdc = tmp_path / "other.qdc"
    qdc.write_text("""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:0:4" origin="ATLAS.ti 23.4">
 <Codes>
  <Code guid="{AAAAAAAA-0000-0000-0000-000000000001}" name="added  VALUE" isCodable="true">
   <Description>their definition</Description>
   <Code guid="AAAAAAAA-0000-0000-0000-000000000002" name="Joint R&amp;D" isCodable="true"/>
   <Code guid="AAAAAAAA-0000-0000-0000-000000000003" name="Export markets" isCodable="true"
         color="#FFFF0000"/>
  </Code>
  <Code guid="AAAAAAAA-0000-0000-0000-000000000004" name="Folder" isCodable="false"/>
 </Codes>
</CodeBook>""", encoding="utf-8")
    before = Project.open(small_project).codebook.to_data()
    summary = import_refi(Project.open(small_project), qdc)
    assert summary.codes_matched == 2 and summary.codes_added == ["value.export_markets", "folder"]
    cb = Project.open(small_project).codebook
    assert cb.codes["value"].name == "Added value" and cb.codes["value"].definition == ""
    assert cb.codes["value"].guid == "{AAAAAAAA-0000-0000-0000-000000000001}".strip("{}").lower()
    assert cb.codes["value.export_markets"].parent == "value"
    assert cb.codes["value.export_markets"].color == "#ff0000"
    assert cb.codes["folder"].extra == {"codable": False}
    for old in before["codes"]:
        assert old["id"] in cb.codes
    # matched by GUID next time, even after they renamed it
    qdc.write_text(qdc.read_text(encoding="utf-8").replace("added  VALUE", "Value added"),
                   encoding="utf-8")
    again = import_refi(Project.open(small_project), qdc)
    assert again.codes_added == [] and again.codes_matched == 4


def test_same_transcript_by_whitespace_and_by_id(small_project, tmp_path):
    from helpers import write_transcript
    from refi_helpers import mini_qdpx
    write_transcript(small_project, "T1", [("Interviewer", "How is the money?"),
                                           ("Anna", "Money talks.  And  funds walk.")])
    p = Project.open(small_project)
    text = p.text("T1")
    body = text[text.index("Interviewer:"):]
    theirs = body.replace("  ", " ").replace("\n", "\r\n")       # their whitespace, their CRLF
    start = theirs.index("funds")
    path = tmp_path / "ws.qdpx"
    path.write_bytes(mini_qdpx(theirs, start, start + 10, name="renamed"))
    s = import_refi(p, path)
    assert s.transcripts_matched == [("renamed", "T1", "same text but for whitespace")]
    c = Project.open(small_project).codings("Zoe_K")
    assert [(x.quote, x.transcript) for x in c] == [("funds walk", "T1")]
    # same id, text edited since: placed by its quote
    edited = "Anna: Funds? Money talks. And funds walk, said she."
    path.write_bytes(mini_qdpx(edited, edited.index("Money"), edited.index("Money") + 12,
                               name="T1", coding="77777777-7777-7777-7777-777777777777"))
    s = import_refi(Project.open(small_project), path)
    assert s.transcripts_matched[0][2].startswith("same id, different text")
    quotes = sorted(x.quote for x in Project.open(small_project).codings("Zoe_K"))
    assert quotes == ["Money talks.", "funds walk"]


def test_imported_nvivo_project_round_trips(tmp_path, project_schema):
    root, _ = init_from_refi(tmp_path / "nv", sample(NVIVO_WIN))
    p = Project.open(root)
    data, result = qdpx_bytes(p)
    project_schema.validate(io.BytesIO(qde_of(data)))
    assert result.codings == 303
    (tmp_path / "nv.qdpx").write_bytes(data)
    root2, summary = init_from_refi(tmp_path / "nv2", tmp_path / "nv.qdpx")
    q = Project.open(root2)
    assert codings(q, "Gergo") == codings(p, "Gergo")
    assert summary.placement == {"excerpt": 188}        # 303 codings on 188 distinct spans
    assert not summary.dropped and not summary.warnings
    # the REFI GUIDs go back out unchanged (the coding ids are NVivo's GUIDs)
    qde = qde_of(data).decode()
    assert 'guid="da50c6de-cd58-40da-a7e3-be4b82d7f00c"' in qde
    assert 'guid="5067d381-1dc9-4816-81dd-ae1dbfea2ad7"' in qde


def test_imported_qc_project_round_trips(tmp_path, project_schema):
    root, _ = init_from_refi(tmp_path / "qc", sample(QC))
    p = Project.open(root)
    export_qdpx(p, tmp_path / "qc.qdpx")
    project_schema.validate(io.BytesIO(qde_of((tmp_path / "qc.qdpx").read_bytes())))
    root2, _ = init_from_refi(tmp_path / "qc2", tmp_path / "qc.qdpx")
    q = Project.open(root2)
    assert codings(q, "cp") == codings(p, "cp") and len(codings(q, "cp")) == 205
    assert [c.to_dict() for c in q.codebook.codes.values()] == \
        [c.to_dict() for c in p.codebook.codes.values()]


def test_a_log_open_elsewhere_stops_the_import_before_anything_is_written(demo_copy, tmp_path):
    from workbench.errors import LockedError
    p = Project.open(demo_copy)
    export_qdpx(p, tmp_path / "demo.qdpx")
    other = tmp_path / "other"
    from workbench.project import init_project
    init_project(other)
    q = Project.open(other)
    with q.log("boris"), pytest.raises(LockedError):   # boris is coding in another window
        import_refi(Project.open(other), tmp_path / "demo.qdpx")
    assert not list((other / "transcripts").glob("*.txt"))
    assert Project.open(other).codebook.roots()[0].id == "theme"    # the starter, unchanged
    summary = import_refi(Project.open(other), tmp_path / "demo.qdpx")   # later: all of it
    assert summary.codings == {"anna": 110, "boris": 108}


@pytest.mark.parametrize("ours", [False, True], ids=["new transcript", "one of ours"])
def test_imported_codings_are_found_again_after_the_transcript_is_edited(small_project, tmp_path,
                                                                         ours):
    """An imported coding records its quote, the text around it and the transcript's CRC, like
    one made here: when a word is inserted before it, it follows its text (``moved``)."""
    import json
    import zlib

    from helpers import write_transcript
    from refi_helpers import mini_qdpx

    from workbench.anchoring import CONTEXT
    turns = [("Interviewer", "What about the money?"),
             ("Anna", "Money talks, and the funds walk away from the region."),
             ("Interviewer", "And then?"), ("Anna", "Nothing more.")]
    if ours:   # the same interview is already one of our transcripts (front matter above it)
        write_transcript(small_project, "T1", turns)
    theirs = "".join(f"{spk}: {text}\n" for spk, text in turns)
    start = theirs.index("the funds walk")
    path = tmp_path / "their.qdpx"
    path.write_bytes(mini_qdpx(theirs, start, start + 14, excerpt="the funds walk"))
    import_refi(Project.open(small_project), path)

    p = Project.open(small_project)
    [tid] = p.transcript_ids()
    text, info = p.text(tid), p.info(tid)
    file = small_project / info.path
    [ev] = [e for e in map(json.loads, (small_project / "codings" / "Zoe_K.jsonl").read_text(
        encoding="utf-8").splitlines()) if e["op"] == "code"]
    a = text.index("the funds walk")
    assert (ev["start"], ev["end"], ev["quote"]) == (a, a + 14, "the funds walk")
    assert ev["prefix"] == text[a - CONTEXT:a] and ev["prefix"].endswith("Money talks, and ")
    assert ev["suffix"] == text[a + 14:a + 14 + CONTEXT] and ev["suffix"].startswith(" away")
    assert ev["transcript_crc"] == zlib.crc32(file.read_bytes()) == info.crc
    assert [(c.status, c.quote) for c in p.codings("Zoe_K")] == [("ok", "the funds walk")]
    if not ours:   # a new transcript is readable by the colleagues a new file is for
        from workbench.fileio import umask_mode
        assert file.stat().st_mode & 0o777 == umask_mode()

    # the researcher corrects the transcript: a word inserted before the coded passage
    file.write_text(file.read_text(encoding="utf-8").replace(
        "Money talks, and", "Money really talks, and"), encoding="utf-8")
    q = Project.open(small_project)
    [c] = q.codings("Zoe_K")
    assert c.status == "moved" and (c.start, c.end) == (a + 7, a + 21)
    assert q.text(tid)[c.start:c.end] == "the funds walk"
