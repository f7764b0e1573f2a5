"""The REFI-QDA command forms: init --from, import of a .qdpx/.qdc, export --format qdpx|qdc."""
from __future__ import annotations

import json

from refi_helpers import mini_qdpx

from workbench.cli import main
from workbench.project import Project


def test_export_init_from_and_import_again(demo_copy, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["export", str(demo_copy), "--format", "qdpx", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "35 codes, 10 transcripts, 218 codings, 2 memos; coders: anna, boris" in printed
    [qdpx] = list(out.glob("*.qdpx"))
    assert qdpx.name.startswith("cluster-managers-2019-demo-")
    # no overwrite without --force
    assert main(["export", str(demo_copy), "--format", "qdpx", "--out", str(qdpx)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["export", str(demo_copy), "--format", "qdpx", "--out", str(qdpx), "--force"]) == 0
    capsys.readouterr()
    new = tmp_path / "new"
    assert main(["init", str(new), "--from", str(qdpx)]) == 0
    printed = capsys.readouterr().out
    assert "codings: 110 for anna, 108 for boris" in printed
    assert "done marks: 10 for anna, 9 for boris" in printed
    assert "nothing was dropped" in printed and f"Created project in {new}" in printed
    assert Project.open(new).transcript_ids() == Project.open(demo_copy).transcript_ids()
    # importing the same file into the project made from it adds nothing
    assert main(["import", str(new), str(qdpx), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["codings"] == {} and report["already_present"] == 220
    assert report["codes_added"] == [] and report["codes_matched"] == 35


def test_export_one_coder_and_the_codebook(demo_copy, tmp_path, capsys):
    assert main(["export", str(demo_copy), "--format", "qdpx", "--coder", "boris",
                 "--out", str(tmp_path / "boris.qdpx"), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["coders"] == ["boris"] and res["codings"] == 108 and res["memos"] == 0
    assert main(["export", str(demo_copy), "--out", str(tmp_path / "cb.qdc")]) == 0
    assert "35 codes" in capsys.readouterr().out
    assert main(["export", str(demo_copy), "--format", "qdc", "--out", str(tmp_path / "x.qdpx")]) == 2
    assert "does not fit --format qdc" in capsys.readouterr().err


def test_import_dry_run_writes_nothing(small_project, tmp_path, capsys):
    path = tmp_path / "a.qdpx"
    path.write_bytes(mini_qdpx("Q: Money?\nA: Money talks.\nQ: More?\nA: No.", 14, 26,
                               excerpt="Money talks."))
    assert main(["import", str(small_project), str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Would import") and "(dry run: nothing was written)" in out
    assert "codings: 1 for Zoe_K" in out
    assert not (small_project / "codings" / "Zoe_K.jsonl").exists()
    assert not (small_project / "transcripts" / "Interview_A.txt").exists()
    assert main(["import", str(small_project), str(path)]) == 0
    p = Project.open(small_project)
    [c] = p.codings("Zoe_K")
    assert (c.transcript, c.quote, c.code, c.source) == ("Interview_A", "Money talks.",
                                                         "theme.money", "import")
    assert c.id == "66666666-6666-6666-6666-666666666666"
    assert p.codebook.codes["theme"].extra == {"codable": False}
    assert p.codebook.codes["theme"].color == "#ff00aa"


def test_refi_files_are_imported_on_their_own(small_project, tmp_path, capsys):
    path = tmp_path / "a.qdpx"
    path.write_bytes(mini_qdpx("text", 0, 4))
    (tmp_path / "t.txt").write_text("A: hi", encoding="utf-8")
    assert main(["import", str(small_project), str(path), str(tmp_path / "t.txt")]) == 2
    assert "imported on its own" in capsys.readouterr().err
    assert main(["import", str(small_project), str(path), "--attr", "a=b"]) == 2
    assert "--attr does not apply" in capsys.readouterr().err


def test_init_from_a_damaged_file_leaves_no_folder(tmp_path, capsys):
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["init", str(tmp_path / "p"), "--from", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.qdpx" in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()
