"""pseudonyms.yaml: the safe loader, the replacement rules (against an independent scanner), and
exports with --pseudonymise: no listed name survives in any exported file, and the transcripts
and logs are never touched."""
from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.cli import main
from workbench.errors import ProjectError
from workbench.export import export
from workbench.project import Project
from workbench.pseudonyms import Pseudonymiser, for_project, parse

REPO = Path(__file__).resolve().parent.parent


# ---- loading -----------------------------------------------------------------------------------
def test_a_flat_mapping_loads():
    names = parse('"Ms. Ivanova": "Manager P01"\nTechnopolis Noviy Zvezdnyy: Cluster A\n'
                  "# a comment\n'Ольга Петрова': 'Manager P05'\n")
    assert names == {"Ms. Ivanova": "Manager P01", "Technopolis Noviy Zvezdnyy": "Cluster A",
                     "Ольга Петрова": "Manager P05"}
    assert parse("") == {} and parse("# nothing yet\n") == {}


@pytest.mark.parametrize("text, line, words", [
    ("a: &x Manager\nb: *x\n", 2, "aliases"),
    ("a: " + "[" * 50 + "]" * 50 + "\n", 1, "nested too deeply"),
    ("a: [b, c]\n", 1, "list or mapping"),
    ("- a\n- b\n", 1, "must be a mapping"),
    ("a: b\nP07: 7\n", 2, "not read as text"),
    ("a: b\na: c\n", 2, "listed twice"),
    ("x: !!python/object/apply:os.system ['echo hi']\n", 1, "list or mapping"),
    ("x: !!python/name:os.system y\n", 1, "not read as text"),
    ('"": y\n', 1, "empty name"),
    ('a: "unclosed\n', 1, "not valid YAML"),
])
def test_bad_files_are_one_clear_line(text, line, words):
    with pytest.raises(ProjectError) as e:
        parse(text, "pseudonyms.yaml")
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(f"pseudonyms.yaml:{line}: ")
    assert words in msg


def test_a_billion_laughs_is_refused_before_expanding():
    lol = "a: &a [lol, lol]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    with pytest.raises(ProjectError, match="list or mapping|aliases"):
        parse(lol)


# ---- the rules ---------------------------------------------------------------------------------
def test_whole_words_longest_first_case_sensitive_one_pass():
    ps = Pseudonymiser({"Ivanova": "P01", "Ms. Ivanova": "Manager P01", "Perm": "Region X",
                        "Ann": "Ivanova"})
    assert ps.text("Ms. Ivanova said so; Ivanova's team agreed.") == \
        "Manager P01 said so; P01's team agreed."
    assert ps.text("Ivanovas and ivanova stay") == "Ivanovas and ivanova stay"
    assert ps.text("Permafrost in Perm.") == "Permafrost in Region X."
    assert ps.text("Ann met Anna") == "Ivanova met Anna"    # a pseudonym is not replaced again


def test_text_in_another_normal_form_is_matched():
    ps = Pseudonymiser({"Sémon": "P02"})                       # NFC name
    assert ps.text("Se\u0301mon spoke") == "P02 spoke"           # decomposed in the text


def _scan(text: str, names: dict[str, str]) -> str:
    """An independent implementation: walk the text; at a word start try the names, longest
    first, each only when it ends at a word end."""
    def word(ch):
        return ch.isalnum() or ch == "_"
    order = sorted(names, key=len, reverse=True)
    out, i = [], 0
    while i < len(text):
        if i == 0 or not word(text[i - 1]):
            for n in order:
                j = i + len(n)
                if text.startswith(n, i) and (j == len(text) or not word(text[j])):
                    out.append(names[n])
                    i = j
                    break
            else:
                out.append(text[i])
                i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_ALPHABET = st.sampled_from(list("abAB .,'-"))
_NAME = st.text(_ALPHABET, min_size=1, max_size=5).filter(lambda s: s.strip(" ") == s and s)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_NAME, st.text(st.sampled_from(list("xyZ ")), max_size=4), max_size=4),
       st.text(_ALPHABET, max_size=40))
def test_same_as_an_independent_scanner(names, text):
    assert Pseudonymiser(names).text(text) == _scan(text, names)


# ---- exports -----------------------------------------------------------------------------------
def demo_with_names(root: Path) -> Path:
    root.mkdir(parents=True)
    for name in ("workbench.toml", "codebooks", "transcripts", "codings", "pseudonyms.yaml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    return root


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for sub in ("transcripts", "codings") for p in sorted((root / sub).rglob("*"))
            if p.is_file()}


def file_texts(path: Path) -> str:
    """Everything a file holds as text (an xlsx/docx: every part of the zip)."""
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_text(encoding="utf-8")


def surviving(text: str, names) -> list[str]:
    import html
    plain = html.unescape(text)
    return [n for n in names if n in text or n in plain]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_no_listed_name_survives_an_export(tmp_path, fmt):
    root = demo_with_names(tmp_path / "demo")
    before = digests(root)
    p = Project.open(root)
    names = list(for_project(p).names)
    assert len(names) > 10
    plain = export(p, "anna", fmt=fmt, out=tmp_path / "plain")
    assert surviving("".join(file_texts(f) for f in plain.paths), names), \
        "the demo export should name people before pseudonymising"
    res = export(p, "anna", fmt=fmt, out=tmp_path / "pseudo", pseudonymise=True)
    for f in res.paths:
        assert surviving(file_texts(f), names) == [], f
    assert "Manager P01" in "".join(file_texts(f) for f in res.paths)
    assert digests(root) == before                     # transcripts and logs untouched


def test_export_pseudonymise_cli(tmp_path, capsys):
    root = demo_with_names(tmp_path / "demo")
    out = tmp_path / "o.json"
    assert main(["export", str(root), "--coder", "anna", "--format", "json", "--out", str(out),
                 "--pseudonymise"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "pseudonyms" in doc["meta"]
    speakers = {r["speaker"] for r in doc["tables"]["quotes"]}
    assert "Manager P01" in speakers and "Ms. Ivanova" not in speakers
    capsys.readouterr()
    (root / "pseudonyms.yaml").write_text('"Ms. Ivanova": &m "P01"\nIvanova: *m\n',
                                          encoding="utf-8")
    code = main(["export", str(root), "--coder", "anna", "--format", "json", "--out",
                 str(tmp_path / "o2.json"), "--pseudonymise"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "pseudonyms.yaml:2: aliases" in err[0]
    (root / "pseudonyms.yaml").unlink()
    code = main(["export", str(root), "--coder", "anna", "--format", "json", "--out",
                 str(tmp_path / "o3.json"), "--pseudonymise"])
    err = capsys.readouterr().err
    assert code != 0 and "no pseudonyms.yaml" in err
