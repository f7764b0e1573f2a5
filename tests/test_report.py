"""The write-up report: its facts (counts, turns, agreement, consensus), the three formats read
back (HTML self-contained, docx through python-docx, Markdown with its figures), pseudonyms absent
from every format, and the CLI's errors."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document

from workbench import counts as C
from workbench.agreement.report import agreement_report
from workbench.cli import main
from workbench.errors import UsageError
from workbench.project import Project
from workbench.pseudonyms import for_project
from workbench.report import build_report, write_report

REPO = Path(__file__).resolve().parent.parent


def demo(root: Path, *, pseudonyms: bool = True) -> Path:
    root.mkdir(parents=True)
    names = ["workbench.toml", "codebooks", "transcripts", "codings"]
    names += ["pseudonyms.yaml"] if pseudonyms else []
    for name in names:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    return root


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.open(demo(tmp_path / "demo"))


def test_counts_quotes_and_turns_are_the_projects(project):
    rep = build_report(project, "anna", codes="value.", pseudonymise=False)
    counts = C.counts(C.load(project, "anna"), codes="value.").set_index("code")
    assert [s.code for s in rep.sections] == ["value"]
    assert rep.sections[0].chart is not None and rep.sections[0].figure == 1
    themes = {t.code: t for t in rep.themes()}
    assert list(themes) == list(counts.index)
    for cid, t in themes.items():
        assert (t.interviews, t.n_transcripts, t.codings) == \
            (counts.at[cid, "interviews"], 10, counts.at[cid, "codings"])
        assert t.definition == project.codebook.codes[cid].definition
    jr = themes["value.joint_rnd"]
    assert len(jr.quotes) == jr.n_quotes == counts.at["value.joint_rnd", "codings"]
    q = jr.quotes[0]
    seg = project.transcript(q.transcript).segments[q.turn - 1]       # turn counts from 1
    assert q.text in seg.text and q.speaker == seg.speaker
    assert q.attributes["region"] == project.transcript(q.transcript).attributes["region"]
    assert "interviewer" not in q.attributes
    # by default the attributes that group interviews: not role (the same for all), not date
    assert list(q.attributes) == ["region", "cluster"]
    rep = build_report(project, "anna", codes="value.joint_rnd", attributes="date,role",
                       pseudonymise=False)
    assert rep.themes()[0].quotes[0].attributes == {"date": "2019-04-12", "role": "cluster manager"}
    with pytest.raises(UsageError, match="no transcript has the attribute 'sector'"):
        build_report(project, "anna", attributes=["sector"])
    assert rep.scope_line == ("coder: anna · scope: 10 of 10 transcripts (marked done by anna) "
                              "· speaker: interviewee turns")
    assert rep.n_line == "N = 10 interviewees"


def test_methods_state_the_agreement_and_whose_counts(project):
    rep = build_report(project, "anna", codes="value.", pseudonymise=False)
    methods = " ".join(rep.methods)
    seg = agreement_report(project, ["anna", "boris"], unit="segment").overall
    tra = agreement_report(project, ["anna", "boris"], unit="transcript").overall
    assert f"(n = {seg['n_units']} speaker turns), Krippendorff's alpha over whole code sets " \
           f"(MASI distance) was {seg['krippendorff_alpha']:.2f}" in methods
    assert f"(n = {tra['n_units']} interviews), alpha was {tra['krippendorff_alpha']:.2f}" \
        in methods
    assert f"Cohen's kappa {seg['cohen_kappa']:.2f}" in methods
    assert "all 10 interview transcripts" in methods
    assert "Two coders, anna (10 transcripts finished) and boris (9)" in methods
    assert "coding of anna alone, not from a reconciled consensus" in methods
    assert rep.notes and "boris has not marked 1 transcript(s) done (P10)" in rep.notes[0]


def test_consensus_and_single_coder_are_said(tmp_path):
    root = demo(tmp_path / "demo")
    assert main(["reconcile", str(root), "--coders", "anna,boris", "--take", "union"]) == 0
    p = Project.open(root)
    rep = build_report(p, consensus=True, codes="value.")
    assert rep.consensus and rep.coder == "consensus"
    assert "come from the consensus coding (codings/consensus.jsonl)" in rep.methods[1]
    assert "(anna and boris)" in rep.methods[1]
    (root / "codings" / "boris.jsonl").unlink()
    (root / "codings" / "consensus.jsonl").unlink()
    rep = build_report(Project.open(root), codes="value.")
    assert "With a single coder, no inter-coder agreement was measured." in rep.methods[0]


def test_code_memos_and_coding_memos_of_other_coders(project):
    with project.log("boris") as log:
        log.memo("Joint R&D is mostly with the polytechnic", code="value.joint_rnd")
    c = next(c for c in project.codings("anna") if c.code == "value.tenders")
    with project.log("anna") as log:
        log.memo("tenders: only big members benefit", transcript=c.transcript, target=c.id)
    rep = build_report(Project.open(project.root), "anna", codes="value.", pseudonymise=False)
    t = {t.code: t for t in rep.themes()}
    assert [(m.coder, m.kind, m.text) for m in t["value.joint_rnd"].memos] == \
        [("boris", "code", "Joint R&D is mostly with the polytechnic")]
    tenders = t["value.tenders"]
    assert [q.memo for q in tenders.quotes if q.memo] == ["tenders: only big members benefit"]
    assert tenders.memos == []          # shown beside its quote, not twice


def test_max_quotes(project):
    rep = build_report(project, "anna", codes="value.", max_quotes=2, pseudonymise=False)
    jr = next(t for t in rep.themes() if t.code == "value.joint_rnd")
    assert len(jr.quotes) == 2 and jr.n_quotes == 7
    assert any("at most 2 quote(s) per code" in n for n in rep.notes)


def test_html_is_one_self_contained_file(project, tmp_path):
    rep = build_report(project, "anna", codes="value.")
    path, = write_report(rep, tmp_path / "r.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html and "Joint R&amp;D projects" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html, re.I)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", html)
    assert html.count("<blockquote>") == sum(len(t.quotes) for t in rep.themes())
    assert "P01, turn 6 · Manager P01 · Perm · Cluster A" in html


def test_docx_reads_back(project, tmp_path):
    rep = build_report(project, "anna", codes="value.")
    path, = write_report(rep, tmp_path / "r.docx")
    doc = Document(str(path))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")
             or p.style.name == "Title"]
    assert heads[0] == rep.title
    assert "Methods" in heads and "Joint R&D projects" in heads
    quotes = [p.text for p in doc.paragraphs if p.style.name == "Quote"]
    assert len(quotes) == sum(len(t.quotes) for t in rep.themes())
    assert any(p.text == "P01, turn 6 · Manager P01 · Perm · Cluster A" for p in doc.paragraphs)
    assert len(doc.inline_shapes) == 1                   # Figure 1
    table = doc.tables[0]
    rows = {r.cells[0].text.strip(): r.cells[1].text for r in table.rows[1:]}
    assert rows["Joint R&D projects"] == "7"
    assert any(rep.methods[0] == p.text for p in doc.paragraphs)


def test_markdown_links_its_figures(project, tmp_path):
    rep = build_report(project, "anna")
    written = write_report(rep, tmp_path / "r.md")
    md = written[0].read_text(encoding="utf-8")
    figures = written[1:]
    assert [f.name for f in figures] == [f"r-figure{i}.png" for i in range(1, len(figures) + 1)]
    assert len(figures) == sum(1 for s in rep.sections if s.chart is not None) >= 2
    for f in figures:
        assert f"]({f.name})" in md and f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _texts(path: Path) -> str:
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".png":
        return ""
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["html", "docx", "md"])
def test_no_listed_name_survives_a_report(project, tmp_path, fmt):
    import html as H
    names = list(for_project(project).names)
    real = write_report(build_report(project, "anna", pseudonymise=False), tmp_path / f"a.{fmt}")
    assert any(n in H.unescape(_texts(real[0])) for n in names)
    files = write_report(build_report(project, "anna"), tmp_path / f"b.{fmt}")
    for f in files:
        text = _texts(f)
        plain = H.unescape(text).replace("\\", "")       # Markdown escapes, HTML entities
        assert [n for n in names if n in text or n in plain] == [], f


def test_cli_report(tmp_path, capsys):
    root = demo(tmp_path / "demo")
    assert main(["report", str(root), "--coder", "anna", "--codes", "value."]) == 0
    out, err = capsys.readouterr()
    written = sorted((root / "exports").glob("*-value-report.html"))
    assert len(written) == 1 and f"Wrote {written[0]}" in out
    assert "names pseudonymised" in out and "boris has not marked" in err
    # never overwrites silently
    assert main(["report", str(root), "--coder", "anna", "--codes", "value."]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0] and "--force" in err[0]
    assert main(["report", str(root), "--coder", "anna", "--out", str(tmp_path / "x.docx"),
                 "--format", "html"]) != 0
    assert "does not fit --format html" in capsys.readouterr().err
    assert main(["report", str(root), "--coder", "anna", "--out", str(tmp_path / "x.docx")]) == 0
    assert Document(str(tmp_path / "x.docx")).paragraphs
    capsys.readouterr()
    (root / "pseudonyms.yaml").write_text("a: [b]\n", encoding="utf-8")
    assert main(["report", str(root), "--coder", "anna", "--force"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pseudonyms.yaml:1:" in err[0]


def test_cli_report_without_pseudonyms_says_so(tmp_path, capsys):
    root = demo(tmp_path / "demo", pseudonyms=False)
    out_file = tmp_path / "r.html"
    assert main(["report", str(root), "--coder", "anna", "--out", str(out_file)]) == 0
    out, err = capsys.readouterr()
    assert "names NOT pseudonymised" in out and "no pseudonyms.yaml" in err
    assert "Names are NOT pseudonymised" in out_file.read_text(encoding="utf-8")
