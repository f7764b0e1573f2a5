"""Shared fixtures: small hand-made projects and a copy of the bundled demo."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import SMALL_CODEBOOK, write_transcript  # noqa: F401  (re-exported)
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent

# property tests are never timed (a loaded CI machine would fail hypothesis's 200 ms deadline
# for no fault of the code); examples and strategies stay as each test sets them
settings.register_profile("workbench", deadline=None)
settings.load_profile("workbench")


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    """A private copy of the bundled demo project (its logs included)."""
    dst = tmp_path / "demo"
    dst.mkdir()
    for name in ("workbench.toml", "codebooks", "transcripts", "codings"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name)
        else:
            shutil.copy(src, dst / name)
    return dst


@pytest.fixture
def small_project(tmp_path):
    """An empty project with the small codebook above (no transcripts, no codings)."""
    from workbench.project import init_project
    root = init_project(tmp_path / "proj", name="Small")
    (root / "codebooks" / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    return root
