"""The project folder: init, codebook discovery, attributes, the catalog cache and the status of
codings after the transcripts or the codebook changed."""
from __future__ import annotations

import os

import pytest

from workbench.catalog import Catalog
from workbench.codebook import Codebook
from workbench.errors import ProjectError, UsageError, WorkbenchError
from workbench.project import Project, init_project

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
      - id: finance.services
        name: Revenues from services
"""

P01 = """\
---
id: P01
region: Perm
---
Interviewer: How is the cluster financed?
Ms. Ivanova: Honestly, most of our budget comes from project funds. We also have a membership fee since 2017.
Interviewer: Could the cluster operate without those project funds?
Ms. Ivanova: No. The fees cover maybe fifteen per cent.
"""


@pytest.fixture
def project(tmp_path) -> Project:
    root = init_project(tmp_path / "study", name="Cluster study")
    (root / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "transcripts" / "P01.txt").write_text(P01, encoding="utf-8")
    return Project.open(root)


def span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


# ---- init --------------------------------------------------------------------------------------

def test_init_creates_the_layout(tmp_path):
    root = init_project(tmp_path / "new")
    for sub in ("codebooks", "transcripts", "codings", "exports"):
        assert (root / sub).is_dir()
    assert (root / "workbench.toml").is_file()
    assert (root / "codebooks" / "codebook.yaml").is_file()
    assert ".workbench/" in (root / ".gitignore").read_text()
    p = Project.open(root)
    assert p.name == "new" and p.config.language == "en"
    assert p.config.interviewer_speakers == ["Interviewer", "Moderator", "I", "Q", "Интервьюер", "Модератор", "Вопрос", "В"]
    assert p.codebook_path() == root / "codebooks" / "codebook.yaml"
    assert len(p.codebook) >= 1  # the starter codebook validates
    assert p.transcript_ids() == [] and p.coders() == []


@pytest.mark.parametrize("name", ['Cluster study: "phase 2"', "O'Brien's \\ notes", "#1 study",
                                  "Кластеры 2019"])
def test_init_keeps_any_project_name(tmp_path, name):
    p = Project.open(init_project(tmp_path / "p", name=name, language="ru"))
    assert p.name == name and p.codebook.name == name and p.config.language == "ru"


def test_init_refuses_an_existing_project(tmp_path):
    root = init_project(tmp_path / "p")
    (root / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    with pytest.raises(ProjectError) as ei:
        init_project(root)
    assert "already exists" in str(ei.value) and "workbench.toml" in str(ei.value)
    assert (root / "codebooks" / "codebook.yaml").read_text() == CODEBOOK  # untouched


def test_init_in_an_existing_folder_keeps_its_files(tmp_path):
    (tmp_path / "p" / "transcripts").mkdir(parents=True)
    (tmp_path / "p" / "transcripts" / "P01.txt").write_text(P01, encoding="utf-8")
    p = Project.open(init_project(tmp_path / "p"))
    assert p.transcript_ids() == ["P01"]


def test_open_errors(tmp_path):
    with pytest.raises(ProjectError, match="no such folder"):
        Project.open(tmp_path / "missing")
    with pytest.raises(ProjectError, match="workbench.toml"):
        Project.open(tmp_path)
    (tmp_path / "workbench.toml").write_text('name = "x"\ninterviewer_speakers = "Q"\n')
    with pytest.raises(ProjectError, match="interviewer_speakers"):
        Project.open(tmp_path)
    (tmp_path / "workbench.toml").write_text('name = "x\n')
    with pytest.raises(ProjectError) as ei:
        Project.open(tmp_path)
    assert "workbench.toml:1:" in str(ei.value)


# ---- codebook discovery --------------------------------------------------------------------------

def test_codebook_named_in_toml(project):
    other = project.root / "codebooks" / "other.yaml"
    other.write_text(CODEBOOK.replace("name: Financing", "name: Other"), encoding="utf-8")
    toml = project.root / "workbench.toml"
    toml.write_text(toml.read_text().replace('codebook = "codebooks/codebook.yaml"',
                                             'codebook = "codebooks/other.yaml"'))
    assert Project.open(project.root).codebook.name == "Other"


def test_codebook_discovered_when_not_named(project):
    toml = project.root / "workbench.toml"
    toml.write_text(toml.read_text().replace('codebook = "codebooks/codebook.yaml"\n', ""))
    p = Project.open(project.root)
    assert p.config.codebook is None
    assert p.codebook.name == "Financing"
    # a temporary file left by an interrupted save does not count
    (project.root / "codebooks" / ".codebook-x1y2.yaml").write_text(CODEBOOK)
    assert Project.open(project.root).codebook.name == "Financing"
    (project.root / "codebooks" / "second.yml").write_text(CODEBOOK)
    with pytest.raises(ProjectError) as ei:
        _ = Project.open(project.root).codebook
    assert "2 codebooks" in str(ei.value) and "workbench.toml" in str(ei.value)
    assert 'codebook = "codebooks/' in str(ei.value)  # the hint says what to add
    for f in (project.root / "codebooks").iterdir():
        f.unlink()
    with pytest.raises(ProjectError, match="no codebook"):
        _ = Project.open(project.root).codebook


def test_codebook_named_but_missing(project):
    (project.root / "codebooks" / "codebook.yaml").unlink()
    with pytest.raises(WorkbenchError) as ei:
        _ = Project.open(project.root).codebook
    assert "codebook.yaml" in str(ei.value) and "not found" in str(ei.value)


# ---- transcripts, speakers, attributes -----------------------------------------------------------

def test_interviewer_speakers_setting(project):
    (project.root / "transcripts" / "P02.txt").write_text(
        "Facilitator: Question?\nInterviewer: A participant called Interviewer.\n"
        "Facilitator: Another?\nInterviewer: Yes.\n", encoding="utf-8")
    toml = project.root / "workbench.toml"
    toml.write_text(toml.read_text().replace('["Interviewer", "Moderator", "I", "Q", "Интервьюер", "Модератор", "Вопрос", "В"]',
                                             '["Facilitator"]'))
    p = Project.open(project.root)
    assert [s.role for s in p.transcript("P02").segments] == ["interviewer", "interviewee"] * 2
    # the catalog cache is per setting: changing it back reclassifies
    toml.write_text(toml.read_text().replace('["Facilitator"]', '["Interviewer"]'))
    p = Project.open(project.root)
    assert p.catalog()["P02"].roles == "EIEI"
    assert [s.role for s in p.transcript("P02").segments] == ["interviewee", "interviewer"] * 2


def test_attributes_csv_defaults_and_front_matter_wins(project):
    (project.root / "transcripts" / "interview-2.txt").write_text(
        "---\nid: P02\ncluster: Aerospace\n---\nInterviewer: Hi.\nMr. Kuznetsov: Hello.\n",
        encoding="utf-8")
    (project.root / "transcripts" / "attributes.csv").write_text(
        "id,region,cluster\nP01,Samara,Technopolis\nP02,Samara,Wrong cluster\n"
        "interview-2,Kaluga,\n", encoding="utf-8")
    p = Project.open(project.root)
    assert p.transcript("P01").attributes == {"region": "Perm", "cluster": "Technopolis"}
    # by id over by file name; front matter over both
    assert p.transcript("P02").attributes == {"region": "Samara", "cluster": "Aerospace"}
    assert p.catalog()["P02"].attributes == p.transcript("P02").attributes
    df = p.attributes_frame().set_index("transcript")
    assert df.loc["P01", "region"] == "Perm" and df.loc["P02", "cluster"] == "Aerospace"


def test_two_files_with_the_same_id(project):
    (project.root / "transcripts" / "P01.md").write_text("Q: Hi.\nAnna: Hello.\n")
    with pytest.raises(WorkbenchError) as ei:
        Project.open(project.root).transcript_ids()
    assert "P01" in str(ei.value) and "P01.md" in str(ei.value) and "P01.txt" in str(ei.value)


# ---- the catalog cache ---------------------------------------------------------------------------

def test_editing_a_transcript_invalidates_its_catalog_entry(project):
    p = project
    assert [s.speaker for s in p.transcript("P01").segments] == ["Interviewer", "Ms. Ivanova"] * 2
    assert (p.root / ".workbench" / "catalog.json").is_file()
    path = p.root / "transcripts" / "P01.txt"
    path.write_text(P01 + "Interviewer: Thank you.\n", encoding="utf-8")
    p2 = Project.open(p.root)
    assert p2.catalog()["P01"].n_segments == 5
    assert p2.transcript("P01").segments[-1].text == "Thank you."
    # the same Project object sees it after a refresh
    assert p.catalog(refresh=True)["P01"].n_segments == 5
    assert p.transcript("P01").segments[-1].text == "Thank you."


def test_same_size_edit_with_an_unchanged_time_stamp_is_detected(project):
    """File systems with coarse clocks (FAT, some network shares) may give a quick edit the same
    time stamp; an edit that keeps the size must not be missed."""
    p = project
    path = p.root / "transcripts" / "P01.txt"
    assert p.catalog()["P01"].starts[1] == P01.index("Honestly")
    st = path.stat()
    edited = P01.replace("Ms. Ivanova: Honestly,", "Ms. Ivanova:  Honestly")  # same length
    assert len(edited) == len(P01)
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    p2 = Project.open(p.root)
    assert p2.catalog()["P01"].starts[1] == edited.index("Honestly")
    assert p2.transcript("P01").segments[1].start == edited.index("Honestly")


def test_editing_attributes_csv_invalidates_the_catalog(project):
    assert project.catalog()["P01"].attributes == {"region": "Perm"}
    (project.root / "transcripts" / "attributes.csv").write_text("id,cluster\nP01,Technopolis\n")
    assert Project.open(project.root).catalog()["P01"].attributes == {"region": "Perm",
                                                                      "cluster": "Technopolis"}


def test_a_corrupt_catalog_cache_is_rebuilt(project):
    project.catalog()
    (project.root / ".workbench" / "catalog.json").write_text("{not json")
    assert Project.open(project.root).transcript_ids() == ["P01"]
    assert Catalog(project.root, project.config.interviewer_speakers,
                   project.state_dir).cache.load() is not None   # rewritten, readable


# ---- codings and their status ------------------------------------------------------------------

def code_all(p: Project, coder="anna"):
    """Three codings as the workbench writes them (quote, context, the transcript's CRC)."""
    text = p.transcript("P01").text

    def code(log, quote, code_id):
        a, b = span(text, quote)
        return log.code("P01", a, b, code_id, **p.coding_fields("P01", a, b))["id"]
    with p.log(coder) as log:
        ids = {"funds": code(log, "most of our budget comes from project funds",
                             "finance.project_funds"),
               "fees": code(log, "The fees cover maybe fifteen per cent.", "finance.fees"),
               "fee_since": code(log, "membership fee since 2017", "finance.fees")}
        log.done("P01")
    return ids


def by_id(p: Project, coder="anna"):
    return {c.id: c for c in p.codings(coder)}


def test_codings_are_replayed_with_segment_and_status_ok(project):
    ids = code_all(project)
    cs = by_id(project)
    assert {c.status for c in cs.values()} == {"ok"}
    assert cs[ids["funds"]].segment == 1 and cs[ids["fees"]].segment == 3
    text = project.transcript("P01").text
    for c in cs.values():
        assert text[c.start:c.end] == c.quote and c.coder == "anna"
    df = project.codings_frame()
    assert list(df.columns)[:9] == ["id", "coder", "transcript", "code", "start", "end", "quote",
                                    "segment", "status"]
    assert len(df) == 3
    assert project.done_frame().to_dict("records") == [
        {"coder": "anna", "transcript": "P01", "done": True}]


def test_edited_transcript_moves_or_flags_codings(project):
    ids = code_all(project)
    path = project.root / "transcripts" / "P01.txt"
    text = path.read_text(encoding="utf-8")
    # a sentence inserted before the codings, and one coded passage reworded
    text = text.replace("Interviewer: How is the cluster financed?",
                        "Interviewer: Thank you for your time. How is the cluster financed?")
    text = text.replace("We also have a membership fee since 2017.",
                        "Since 2017 members pay a fee as well.")
    path.write_text(text, encoding="utf-8")
    p = Project.open(project.root)
    cs = by_id(p)
    new_text = p.transcript("P01").text
    moved = cs[ids["funds"]]
    assert moved.status == "moved"
    assert (moved.start, moved.end) == span(new_text, "most of our budget comes from project funds")
    assert new_text[moved.start:moved.end] == moved.quote
    assert cs[ids["fees"]].status == "moved"
    assert cs[ids["fee_since"]].status == "needs_review"
    assert len(cs) == 3  # nothing dropped
    # the log itself is untouched
    assert replay_ids(p) == set(ids.values())


def replay_ids(p: Project) -> set[str]:
    from workbench.replay import replay
    return set(replay(p.root / "codings" / "anna.jsonl").codings)


def test_shortened_transcript_reanchors_or_reports_out_of_range(project):
    ids = code_all(project)
    path = project.root / "transcripts" / "P01.txt"
    # the first answer shrinks to the part that was coded as 'funds'; 'fees' now lies past the
    # end of the text, but its quote is still there
    path.write_text(P01.replace("Honestly, most of our budget comes from project funds. We also "
                                "have a membership fee since 2017.",
                                "most of our budget comes from project funds."), encoding="utf-8")
    with project.log("anna") as log:
        far = log.code("P01", 5000, 5100, "finance.fees")["id"]  # no quote to look for
    cs = by_id(Project.open(project.root))
    assert cs[ids["fees"]].status == "moved"
    assert cs[far].status == "out_of_range"
    assert cs[far].segment is None
    assert cs[ids["fee_since"]].status == "needs_review"


def test_orphan_and_unknown_code_are_kept_and_reported(project):
    ids = code_all(project)
    with project.log("anna") as log:
        gone_code = log.code("P01", 0, 10, "finance.old_code")["id"]
    (project.root / "transcripts" / "P02.txt").write_text("Q: Hi.\nAnna: Hello there.\n")
    p = Project.open(project.root)
    with p.log("anna") as log:
        orphan = log.code("P02", 11, 16, "finance.fees", quote="Hello")["id"]
    (project.root / "transcripts" / "P02.txt").unlink()
    p = Project.open(project.root)
    cs = by_id(p)
    assert cs[gone_code].status == "unknown_code"
    assert cs[orphan].status == "orphan"
    assert len(cs) == len(ids) + 2
    status = p.status_frame()
    row = status[status.transcript == "P02"].iloc[0]
    assert row.codings == 1 and "1 orphan" in row.problems
    row = status[status.transcript == "P01"].iloc[0]
    assert "1 unknown_code" in row.problems and bool(row.done)


def test_recorded_merge_maps_the_old_code_to_the_new_one(project):
    ids = code_all(project)
    cb = Codebook.load(project.codebook_path())
    cb.merge("finance.fees", "finance.project_funds")
    cb.save()
    p = Project.open(project.root)
    cs = by_id(p)
    merged = cs[ids["fees"]]
    assert merged.code == "finance.project_funds" and merged.original_code == "finance.fees"
    assert merged.status == "ok"
    assert {c.code for c in cs.values()} == {"finance.project_funds"}
    # the log still says what the coder did
    assert "finance.fees" in (project.root / "codings" / "anna.jsonl").read_text()


def test_coders_and_log_names(project):
    code_all(project, "anna")
    code_all(project, "boris")
    assert project.coders() == ["anna", "boris"]
    with pytest.raises(UsageError):
        project.log("../evil")
    with pytest.raises(UsageError):
        project.log("Anna Smith")
    # a log copied in by hand under a name the workbench would not create is still read
    src = project.root / "codings" / "boris.jsonl"
    (project.root / "codings" / "Boris Petrov.jsonl").write_bytes(src.read_bytes())
    p = Project.open(project.root)
    assert "Boris Petrov" in p.coders()
    assert len(p.codings("Boris Petrov")) == 3
    assert set(p.status_frame().coder) == {"anna", "boris", "Boris Petrov"}


def test_log_lock_through_the_project(project):
    from workbench.errors import LockedError
    with project.log("anna"), pytest.raises(LockedError):
        Project.open(project.root).log("anna")


@pytest.mark.parametrize("content", [
    "id,region,cluster\r\nP01,Samara,Technopolis\r\n",
    "\ufeffID ; region ; cluster\nP01;Samara;Technopolis\n",  # Excel in a ';' locale, with BOM
    "region,id,cluster\nSamara,P01,Technopolis,extra cell\nKaluga,,no id\n",
])
def test_attributes_csv_variants(project, content):
    (project.root / "transcripts" / "attributes.csv").write_text(content, encoding="utf-8",
                                                                 newline="")
    assert project.transcript("P01").attributes == {"region": "Perm", "cluster": "Technopolis"}


def test_attributes_csv_errors(project):
    path = project.root / "transcripts" / "attributes.csv"
    path.write_bytes("id,region\nP01,Пермь\n".encode("cp1251"))
    with pytest.raises(ProjectError) as ei:
        project.transcript_ids()
    assert "attributes.csv:2:" in str(ei.value) and "UTF-8" in str(ei.value)
    path.write_text("name,region\nP01,Perm\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"attributes\.csv:1: .*'id'"):
        Project.open(project.root).transcript_ids()


def test_init_on_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ProjectError, match="not a folder"):
        init_project(tmp_path / "notes.txt")
