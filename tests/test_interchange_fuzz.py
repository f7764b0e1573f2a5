"""Fuzzing the REFI-QDA importer: every input — random bytes, random zips, random QDA-XML
trees, mutations of real exports — ends in the project's own error (InterchangeError or another
WorkbenchError) or in a parse whose import plan can be made, never in an unhandled exception
or a hang (each input is bounded by an alarm). Heavy variants run under ``-m slow``."""
from __future__ import annotations

import io
import random
import zipfile
from xml.etree import ElementTree as ET

import pytest
from helpers import bounded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from refi_helpers import mini_qdpx

from workbench.errors import WorkbenchError
from workbench.interchange.archive import Limits
from workbench.interchange.refi_project import import_refi, plan_import
from workbench.interchange.refi_read import read_refi_bytes
from workbench.project import Project, init_project

SECONDS_PER_INPUT = 20          # a hang detector, not a speed test
LIMITS = Limits(members=200, total=50_000_000, member=5_000_000, read_total=20_000_000)
GUIDS = ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222",
         "33333333-3333-3333-3333-333333333333", "44444444-4444-4444-4444-444444444444",
         "{55555555-5555-5555-5555-555555555555}", "not-a-guid", ""]
TAGS = ["Project", "Users", "User", "CodeBook", "Codes", "Code", "Description", "Sources",
        "TextSource", "PlainTextSelection", "Coding", "CodeRef", "NoteRef", "Notes", "Note",
        "PlainTextContent", "Links", "Link", "Sets", "Set", "MemberSource", "MemberCode", "Cases",
        "Case", "Variables", "Variable", "VariableValue", "VariableRef", "TextValue", "SourceRef",
        "SelectionRef", "PDFSource", "Representation", "VideoSource", "Transcript", "Graphs",
        "PictureSource", "PictureSelection", "AudioSource", "Whatever"]
ATTRS = ["guid", "name", "isCodable", "color", "startPosition", "endPosition", "creatingUser",
         "creationDateTime", "targetGUID", "plainTextPath", "richTextPath", "originGUID", "origin",
         "typeOfVariable", "id", "path", "creatingUserGUID"]
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
VALUES = st.one_of(
    st.sampled_from(GUIDS), TEXT, st.integers(-10 ** 30, 10 ** 30).map(str),
    st.sampled_from(["internal://a.txt", "internal://A.TXT", "sources/a.txt", "a.txt",
                     "../../etc/passwd", "relative:///a.txt", "absolute:///C:/x/a.txt",
                     "internal://d.docx", "true", "false", "0", "#fff", "#12345678", "rgb(1,2,3)",
                     "2020-01-01T00:00:00Z", "2020-13-45", "NVivo for Windows 12", "ATLAS.ti 9",
                     "1e9", "-1", "99999999999999999999999999"]))




@pytest.fixture(scope="module")
def target(tmp_path_factory):
    root = init_project(tmp_path_factory.mktemp("fuzz") / "p", name="fuzz")
    (root / "transcripts" / "T1.txt").write_text("Q: Money?\nA: Money talks.\n", encoding="utf-8")
    return root


def check(data: bytes, root, name: str = "fuzz.qdpx") -> str:
    """Read and plan an import of ``data``: 'error' (our own) or 'parsed'. Anything else
    raises and fails the test."""
    with bounded(SECONDS_PER_INPUT):
        try:
            refi = read_refi_bytes(data, name, limits=LIMITS)
            plan = plan_import(Project.open(root), refi)
            plan.s.lines()
            plan.s.to_dict()
        except WorkbenchError as e:
            assert "\n" not in str(e).rstrip() or "Traceback" not in str(e)
            return "error"
    return "parsed"


# ---- strategies --------------------------------------------------------------------------------
def _element(tag, attrs, children, text):
    e = ET.Element(tag, attrs)
    e.text = text
    e.extend(children)
    return e


LEAVES = st.builds(_element, st.sampled_from(TAGS), st.dictionaries(st.sampled_from(ATTRS), VALUES,
                                                                     max_size=4),
                   st.just([]), st.one_of(st.none(), TEXT))
TREES = st.recursive(LEAVES, lambda kids: st.builds(
    _element, st.sampled_from(TAGS), st.dictionaries(st.sampled_from(ATTRS), VALUES, max_size=5),
    st.lists(kids, max_size=5), st.one_of(st.none(), TEXT)), max_leaves=40)


def _document(tree, root_tag, ns) -> bytes:
    tree.tag = root_tag
    if ns:
        tree.set("xmlns", ns)
    return ET.tostring(tree, encoding="utf-8")


DOCUMENTS = st.builds(_document, TREES, st.sampled_from(["Project", "Project", "CodeBook", "Other"]),
                      st.sampled_from(["urn:QDA-XML:project:1.0", "urn:QDA-XML:codebook:0:4", "",
                                       "urn:something:else"]))
SOURCE_BYTES = st.one_of(st.binary(max_size=200), TEXT.map(lambda t: t.encode("utf-8")),
                         st.sampled_from([b"\xef\xbb\xbfHello\r\nWorld \xf0\x9f\x98\x80",
                                          b"\xff\xfeH\x00i\x00", b"A: hi\nB: ho\nA: hu\nB: ha"]))


def _archive(qde: bytes, sources: dict[str, bytes], qde_name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(qde_name, qde)
        for name, data in sources.items():
            z.writestr(name, data)
    return buf.getvalue()


ARCHIVES = st.builds(_archive, DOCUMENTS, st.dictionaries(
    st.sampled_from(["sources/a.txt", "Sources/A.TXT", "a.txt", "sources/d.docx",
                     "workbench/extension.json", "sources/b.txt", "x/y.qde"]),
    SOURCE_BYTES, max_size=4), st.sampled_from(["project.qde", "Project.QDE", "Trial.qde"]))


def _mutate(data: bytes, seed: int, n: int) -> bytes:
    """Byte-level mutations of a valid export: flips, cuts, duplications."""
    rng = random.Random(seed)
    b = bytearray(data)
    for _ in range(n):
        op = rng.randrange(4)
        i = rng.randrange(len(b)) if b else 0
        if op == 0 and b:
            b[i] = rng.randrange(256)
        elif op == 1:
            del b[i:i + rng.randrange(1, 40)]
        elif op == 2:
            b[i:i] = b[i:i + rng.randrange(1, 40)]
        else:
            b[i:i] = rng.choice([b"<", b">", b'"', b"&amp;", b"<Code/>", b" startPosition=\"-5\"",
                                 b"\x00", b"\xf0\x9f"])
    return bytes(b)


MINI = mini_qdpx("A: Money talks 😀\r\nB: Funds walk.\r\nA: Yes.\r\nB: No.", 3, 14,
                 excerpt="Money talks", origin="NVivo for Windows 12")
MINI_QDE = zipfile.ZipFile(io.BytesIO(MINI)).read("project.qde")


# ---- tests -------------------------------------------------------------------------------------
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes(target, data):
    check(data, target, "fuzz.qde")
    check(data, target, "fuzz.qdpx")


@FAST
@given(DOCUMENTS)
def test_random_qda_xml_trees(target, doc):
    check(doc, target, "fuzz.qde")


@FAST
@given(ARCHIVES)
def test_random_archives(target, data):
    check(data, target)


@FAST
@given(st.integers(0, 2 ** 32), st.integers(1, 8))
def test_mutated_exports(target, seed, n):
    check(_mutate(MINI_QDE, seed, n), target, "fuzz.qde")
    check(_mutate(MINI, seed, n), target)


def test_deep_nesting_and_huge_numbers_are_clear(target):
    deep = b"<Project xmlns='urn:QDA-XML:project:1.0' name='d'><CodeBook><Codes>" + \
        b"".join(b"<Code guid='%08d-0000-0000-0000-000000000000' name='n' isCodable='true'>" % i
                 for i in range(5000)) + b"</Code>" * 5000 + b"</Codes></CodeBook></Project>"
    assert check(deep, target, "deep.qde") == "parsed"
    refi = read_refi_bytes(deep, "deep.qde")
    assert any("levels deep" in d.reason for d in refi.dropped)
    huge = MINI_QDE.replace(b'startPosition="3"', b'startPosition="1' + b"0" * 4000 + b'"')
    assert check(huge, target, "huge.qde") == "parsed"


@pytest.mark.slow
@SLOW
@given(st.one_of(DOCUMENTS, ARCHIVES, st.binary(max_size=20000),
                 st.builds(_mutate, st.just(MINI), st.integers(0, 2 ** 32), st.integers(1, 30))))
def test_heavy_fuzz_with_writes(tmp_path_factory, data):
    """More inputs, and the import really written into a fresh project each time."""
    root = init_project(tmp_path_factory.mktemp("heavy") / "p", name="heavy")
    (root / "transcripts" / "T1.txt").write_text("Q: Money?\nA: Money talks.\n", encoding="utf-8")
    with bounded(SECONDS_PER_INPUT):
        path = root.parent / "in.qdpx"
        path.write_bytes(data)
        try:
            import_refi(Project.open(root), path)
        except WorkbenchError:
            return
        p = Project.open(root)        # what was written reads back
        for coder in p.coders():
            p.codings(coder)
        for tid in p.transcript_ids():
            p.transcript(tid)
