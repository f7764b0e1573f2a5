"""The user guide docs/TUI.md: its key tables are generated from the bindings registry
(workbench/tui/bindings.py) and must match it, so the guide never tells a researcher a key that
does not exist (or misses one that does)."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.tui import keydocs
from workbench.tui.bindings import GROUPS
from workbench.tui.keydocs import (
    DOC_END,
    DOC_START,
    REGENERATE,
    doc_block,
    markdown_tables,
    replace_block,
)
from workbench.tui.screens import VIEWS

DOC = Path(__file__).resolve().parents[2] / "docs" / "TUI.md"


def test_key_tables_in_the_guide_match_the_bindings():
    text = DOC.read_text(encoding="utf-8")
    block = doc_block(text)
    assert block is not None, (f"docs/TUI.md lost its {DOC_START} / {DOC_END} marker lines; put "
                               f"them back where the key tables go and run: {REGENERATE}")
    assert block == markdown_tables(), (
        f"docs/TUI.md's key tables are out of date with workbench/tui/bindings.py; "
        f"regenerate them with: {REGENERATE}")


def test_tables_list_every_binding_under_its_screen():
    md = markdown_tables()
    for title, keys in GROUPS.values():
        assert f"### {title}\n" in md
        for k in keys:
            assert f"| {k.description} |" in md.replace("\\|", "|"), k.id
    # a reader's key names, not Textual's
    assert "| `Ctrl+T` | Agreement" in md
    assert "| `j`, `↓` | Next segment |" in md
    assert "| `+`, `Insert` | Add a code" in md
    assert "| `1-9` | Take coder n's codes" in md   # 2-9 are bound by the screen itself
    assert "question_mark" not in md and "escape" not in md


def test_the_guide_describes_every_view():
    text = DOC.read_text(encoding="utf-8")
    for name in VIEWS:
        assert f"view: {name}" in text, f"docs/TUI.md does not mention the view {name!r}"


def test_generator_rewrites_only_the_block(tmp_path, capsys):
    guide = tmp_path / "TUI.md"
    guide.write_text(f"# Guide\n\nkeys `{DOC_START}` quoted\n\n{DOC_START}\nstale table\n"
                     f"{DOC_END}\n\n## After\n", encoding="utf-8")
    assert keydocs.main([str(guide), "--check"]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert "stale table" in guide.read_text(encoding="utf-8")   # --check changes nothing

    assert keydocs.main([str(guide)]) == 0
    new = guide.read_text(encoding="utf-8")
    assert "stale table" not in new
    assert new.startswith(f"# Guide\n\nkeys `{DOC_START}` quoted\n\n{DOC_START}\n")
    assert new.endswith(f"{DOC_END}\n\n## After\n")
    assert doc_block(new) == markdown_tables()
    assert keydocs.main([str(guide), "--check"]) == 0
    assert keydocs.main([str(guide)]) == 0 and guide.read_text(encoding="utf-8") == new


def test_generator_without_markers_says_what_to_do(tmp_path, capsys):
    guide = tmp_path / "TUI.md"
    guide.write_text("# Guide without markers\n", encoding="utf-8")
    assert keydocs.main([str(guide)]) == 2
    err = capsys.readouterr().err
    assert DOC_START in err and "TUI.md" in err
    assert guide.read_text(encoding="utf-8") == "# Guide without markers\n"
    with pytest.raises(ValueError):
        replace_block("no markers", "x")
