"""A team across machines (issue 15): two coders code the same project in two clones synced
through git — both logs growing, the codebook edited on both sides — and `git merge` gives both
coders' work, which `agree` then compares. The workflow is docs/TEAM.md's."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO
from test_cli_foundation import run

from workbench.codebook import Codebook
from workbench.project import Project
from workbench.replay import replay
from workbench.session import CodingSession

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                         env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                              "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                              "HOME": str(cwd), "PATH": "/usr/bin:/bin"})
    return out.stdout


def code_some(root: Path, coder: str, tids: list[str], every: int) -> int:
    """The coder codes every ``every``-th interviewee turn of each transcript with the first
    code whose hotkey is set, through the session as the app does, and marks them done."""
    p = Project.open(root)
    s = CodingSession.open(p, coder).load()
    code = next(c.id for c in p.codebook.codes.values() if c.key)
    n = 0
    try:
        for tid in tids:
            for seg in p.transcript(tid).segments[1::every]:
                if seg.role == "interviewee":
                    s.toggle(tid, seg, code)
                    n += 1
            s.set_done(tid, True)
    finally:
        s.close()
    return n


def test_two_coders_in_two_clones_merge_through_git(tmp_path, capsys):
    origin = tmp_path / "study"
    origin.mkdir()
    for name in ("workbench.toml", "codebooks", "transcripts"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, origin / name)
    (origin / ".gitignore").write_text(".workbench/\nmodels/\ncodings/.*.lock\nexports/\n")
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "the study")
    hub = tmp_path / "hub.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(hub))
    anna, boris = tmp_path / "anna", tmp_path / "boris"
    git(tmp_path, "clone", "-q", str(hub), str(anna))
    git(tmp_path, "clone", "-q", str(hub), str(boris))
    tids = ["P01", "P02", "P03"]

    # both code on their own machines, and both edit the codebook
    n_anna = code_some(anna, "anna", tids, 2)
    cb = Codebook.load(Project.open(anna).codebook_path())
    cb.add("value.new_from_anna", "A theme Anna found", parent="value")
    cb.save()
    git(anna, "add", "-A")
    git(anna, "commit", "-qm", "anna: P01-P03, a new code")
    git(anna, "push", "-q", "origin", "main")

    n_boris = code_some(boris, "boris", tids, 3)
    cb = Codebook.load(Project.open(boris).codebook_path())
    first_finance = next(c for c in cb.codes if c.startswith("finance."))
    cb.update(first_finance, definition="Clarified by Boris after the pilot.")
    cb.save()
    git(boris, "add", "-A")
    git(boris, "commit", "-qm", "boris: P01-P03, a clearer definition")
    git(boris, "pull", "-q", "--no-rebase", "origin", "main")        # the merge
    assert git(boris, "status", "--porcelain") == ""                  # no conflict

    # both coders' work is there, untouched, and agreement compares them
    p = Project.open(boris)
    assert {"anna", "boris"} <= set(p.coders())
    assert len(replay(boris / "codings" / "anna.jsonl").codings) == n_anna
    assert len(replay(boris / "codings" / "boris.jsonl").codings) == n_boris
    assert "value.new_from_anna" in p.codebook.codes
    assert p.codebook.codes[first_finance].definition == "Clarified by Boris after the pilot."
    code, out, err = run(capsys, "agree", boris, "--coders", "anna,boris", "--json")
    assert code == 0, err
    import json
    report = json.loads(out)
    assert report["overall"]["n_units"] > 0 and report["overall"]["coders"] == ["anna", "boris"]

    # and anna gets boris's work the same way
    git(anna, "pull", "-q", "--no-rebase", "origin", "main")
    git(boris, "push", "-q", "origin", "main")
    git(anna, "pull", "-q", "--no-rebase", "origin", "main")
    assert Project.open(anna).codings("boris") == Project.open(boris).codings("boris")
