"""Saving an edited codebook keeps the file as the team wrote it: comments, order, quoting and
folded text survive every edit the app makes (rename, redefine, add, move, merge); a teammate's
edit on disk is kept; loading still validates (lines in errors, aliases refused, hotkeys that the
coding screen uses refused with the clashing action named)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from workbench.codebook import Codebook
from workbench.errors import CodebookError
from workbench.hotkeys import RESERVED_KEYS

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "codebooks" / "cluster-managers-2019.yaml"

COMMENTED = """\
# Codebook of the test study.
# Rules for every code:
#   * code what the interviewee says
name: Test study   # the study's name
description: >-
  A codebook written by hand, with comments
  that must survive every edit.
codes:
  # ---------------------------------------------- value
  - id: value
    name: Added value
    definition: >-
      What the cluster gives its members, in
      the managers' own words.
    color: "#1f77b4"
    children:
      # the first child
      - id: value.rnd
        name: Joint R&D   # short on purpose
        definition: Research done together.
        include: Joint projects.
        # a note before the examples
        examples:
          - "We have five joint projects."
        keywords: ["joint research", "R&D"]
        key: "1"
      - id: value.funding
        name: 'Project funding'
        definition: Help with subsidies.
        key: "2"

  # ---------------------------------------------- finance
  - id: finance
    name: Financing
    definition: How the cluster is financed.
  - id: finance.fees          # listed flat, with parent:
    parent: finance
    name: Membership fees
    review: {owner: anna, due: 2019-07-01}
# the end of the codebook
"""


def comments(text: str) -> list[str]:
    """Every comment of a YAML text, in order (whole-line and end-of-line)."""
    return [m.group(1).strip() for m in re.finditer(r"(?:^|(?<=\s))(#[^\n]*)", text, re.M)]


def write(tmp_path: Path, text: str = COMMENTED) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_saving_without_changes_writes_the_file_byte_for_byte(tmp_path):
    path = write(tmp_path)
    Codebook.load(path).save()
    assert path.read_text(encoding="utf-8") == COMMENTED
    demo = tmp_path / "demo.yaml"
    shutil.copy(DEMO, demo)
    Codebook.load(demo).save()
    assert demo.read_text(encoding="utf-8") == DEMO.read_text(encoding="utf-8")


def test_every_edit_keeps_comments_order_and_untouched_lines(tmp_path):
    path = write(tmp_path)
    cb = Codebook.load(path)
    cb.update("value.rnd", name="Joint R&D projects")                      # rename
    cb.update("value.funding", definition="Help in obtaining subsidies and grants from the "
              "regional ministry and the federal funds, written up by the cluster team.",
              include="Subsidies, grants.")                                # redefine
    cb.add("value.tenders", "Access to tenders", parent="value", definition="Bidding together.")
    cb.move("finance.fees", "value")                                       # a flat code
    cb.merge("value.funding", "value.rnd")                                 # merge
    cb.save()
    text = path.read_text(encoding="utf-8")
    # every comment is still there, in the same order
    assert comments(text) == comments(COMMENTED)
    # lines nobody edited are unchanged, quoting and folding included
    for line in ('name: Test study   # the study\'s name', "description: >-",
                 "  that must survive every edit.", '    color: "#1f77b4"',
                 '        keywords: ["joint research", "R&D"]', '        key: "1"',
                 "    review: {owner: anna, due: 2019-07-01}"):
        assert line in text.splitlines(), line
    assert "        name: Joint R&D projects # short on purpose" in text
    assert text.endswith("# the end of the codebook\n")
    # the flat code only changed its parent line, in place
    assert "  - id: finance.fees          # listed flat, with parent:\n    parent: value\n" in text
    # the new code is the last child of value; the merged one has left; the merge is recorded
    again = Codebook.load(path)
    assert [c.id for c in again.children("value")] == ["value.rnd", "value.tenders",
                                                       "finance.fees"]
    assert "value.funding" not in again.codes and again.resolve("value.funding") == "value.rnd"
    assert again.codes["value.tenders"].definition == "Bidding together."
    assert again.codes["finance.fees"].extra == cb.codes["finance.fees"].extra
    # what was saved is what the app holds
    assert [c.to_dict() for c in again.codes.values()] == [c.to_dict() for c in cb.codes.values()]


def test_a_long_new_definition_is_folded_like_the_others(tmp_path):
    path = write(tmp_path)
    cb = Codebook.load(path)
    long = ("What the cluster gives its members, in the managers' own words, including joint "
            "projects, funding, knowledge transfer, access to markets and anything else.")
    cb.update("value", definition=long)
    cb.save()
    lines = path.read_text(encoding="utf-8").splitlines()
    i = lines.index("    definition: >-")
    assert all(len(line) <= 80 for line in lines[i:i + 4])
    assert Codebook.load(path).codes["value"].definition == long


def test_values_yaml_would_misread_are_quoted(tmp_path):
    path = write(tmp_path)
    cb = Codebook.load(path)
    cb.update("finance", name="yes", definition="1.5", key="7")
    cb.update("value.rnd", examples=["no", "  leading space"], keywords=["null", "R&D: joint"])
    cb.save()
    again = Codebook.load(path)
    f = again.codes["finance"]
    assert (f.name, f.definition, f.key) == ("yes", "1.5", "7")
    assert again.codes["value.rnd"].examples == ["no", "  leading space"]
    assert again.codes["value.rnd"].keywords == ["null", "R&D: joint"]


def test_clearing_a_field_keeps_the_comment_below_it(tmp_path):
    path = write(tmp_path)
    cb = Codebook.load(path)
    cb.update("value.rnd", include="")
    cb.save()
    text = path.read_text(encoding="utf-8")
    assert "include:" not in text.split("value.funding")[0]
    assert comments(text) == comments(COMMENTED)


def test_a_teammates_edit_on_disk_is_kept(tmp_path):
    path = write(tmp_path)
    cb = Codebook.load(path)
    # meanwhile (a git pull): another code renamed, a comment and a code added
    path.write_text(COMMENTED.replace("name: Financing", "name: Financing of the cluster")
                    .replace("# the end of the codebook", "  - id: future\n    name: Future\n"
                             "# the end, says boris"), encoding="utf-8")
    cb.update("value.rnd", name="Joint R&D projects")
    cb.save()
    again = Codebook.load(path)
    assert again.codes["finance"].name == "Financing of the cluster"
    assert again.codes["value.rnd"].name == "Joint R&D projects"
    assert "future" in again.codes and "# the end, says boris" in path.read_text(encoding="utf-8")
    assert "future" in cb.codes          # the app now holds what the file holds


def test_an_edit_to_a_code_removed_on_disk_is_refused_and_nothing_written(tmp_path):
    path = write(tmp_path)
    cb = Codebook.load(path)
    changed = COMMENTED.replace("  - id: finance.fees          # listed flat, with parent:\n"
                                "    parent: finance\n    name: Membership fees\n"
                                "    review: {owner: anna, due: 2019-07-01}\n", "")
    path.write_text(changed, encoding="utf-8")
    cb.update("finance.fees", name="Fees")
    with pytest.raises(CodebookError, match="finance.fees.*changed on disk"):
        cb.save()
    assert path.read_text(encoding="utf-8") == changed


def test_a_codebook_without_a_file_is_written_fresh(tmp_path):
    cb = Codebook.from_yaml(COMMENTED)
    cb._source = None
    out = cb.save(tmp_path / "new.yaml")
    assert [c.id for c in Codebook.load(out).codes.values()] == list(cb.codes)


# ---- loading keeps its validation --------------------------------------------------------------
def test_aliases_are_refused_at_their_line(tmp_path):
    bomb = ("name: x\ncodes:\n  - id: a\n    name: &n [lol, lol, lol]\n"
            "  - id: b\n    name: *n\n")
    with pytest.raises(CodebookError) as ei:
        Codebook.load(write(tmp_path, bomb))
    assert "codebook.yaml:6:" in str(ei.value) and "aliases" in str(ei.value)


@pytest.mark.parametrize("key", sorted(RESERVED_KEYS))
def test_a_hotkey_the_coding_screen_uses_is_refused_naming_the_action(tmp_path, key):
    text = f'name: x\ncodes:\n  - id: a\n    name: A\n  - id: b\n    name: B\n    key: "{key}"\n'
    with pytest.raises(CodebookError) as ei:
        Codebook.load(write(tmp_path, text))
    msg = str(ei.value)
    assert "codebook.yaml:5:" in msg and f"'{key}'" in msg and RESERVED_KEYS[key] in msg


def test_editing_refuses_a_reserved_hotkey_too(tmp_path):
    cb = Codebook.load(write(tmp_path))
    with pytest.raises(CodebookError, match="Previous transcript"):
        cb.update("value.rnd", key="p")
    with pytest.raises(CodebookError, match="Next segment"):
        cb.add("value.x", "X", parent="value", key="j")
    assert cb.codes["value.rnd"].key == "1" and "value.x" not in cb.codes


def test_the_reserved_keys_are_the_coding_screens_one_character_keys():
    """workbench.hotkeys (core) lists what workbench/tui/bindings.py binds: a new key on the
    coding screen must be added there, or codes could take it."""
    from workbench.tui.bindings import GROUPS
    bound = {}
    for group in ("app", "coding"):
        for k in GROUPS[group][1]:
            for key in k.keys.split(","):
                char = {"question_mark": "?", "slash": "/", "plus": "+", "minus": "-"}.get(
                    key.strip(), key.strip())
                if len(char) == 1:
                    bound[char] = k.description
    assert bound == RESERVED_KEYS


def test_the_saved_demo_codebook_is_still_plain_yaml(tmp_path):
    demo = tmp_path / "demo.yaml"
    shutil.copy(DEMO, demo)
    cb = Codebook.load(demo)
    cb.update("value.tenders", name="Public tenders")
    cb.save()
    data = yaml.safe_load(demo.read_text(encoding="utf-8"))
    assert data["codes"][1]["children"][-1]["name"] == "Public tenders"


def _is_subsequence(small: list, big: list) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


@pytest.mark.parametrize("seed", [*range(3), *(pytest.param(s, marks=pytest.mark.slow) for s in range(3, 60))])
def test_random_edits_on_the_demo_codebook_keep_every_comment(tmp_path, seed):
    """Renames, redefinitions, additions, moves and merges in random order, saved after each:
    the file always loads to what the app holds, and every comment of the demo codebook (the
    coding rules, the section headers) is still there, in order."""
    import random
    rnd = random.Random(seed)
    path = tmp_path / "demo.yaml"
    shutil.copy(DEMO, path)
    original = comments(DEMO.read_text(encoding="utf-8"))
    cb = Codebook.load(path)
    for step in range(8):
        ids = list(cb.codes)
        cid = rnd.choice(ids)
        op = rnd.choice(["rename", "redefine", "add", "move", "merge", "clear"])
        if op == "rename":
            cb.update(cid, name=f"Renamed {step}")
        elif op == "redefine":
            cb.update(cid, definition=f"A new definition {step}, " * rnd.randint(1, 8),
                      keywords=["a", f"k{step}"])
        elif op == "clear":
            cb.update(cid, include="", exclude="", examples=[], keywords=[])
        elif op == "add":
            cb.add(f"{cid}.new{step}", f"New {step}", parent=rnd.choice([cid, None]),
                   definition="Added.")
        elif op == "move":
            targets = [None] + [t for t in ids if t != cid and t not in cb.descendants(cid)]
            cb.move(cid, rnd.choice(targets))
        else:
            others = [t for t in ids if t != cid and t not in cb.descendants(cid)]
            cb.merge(cid, rnd.choice(others))
        expected = [c.to_dict() for c in cb.codes.values()]
        cb.save()
        text = path.read_text(encoding="utf-8")
        assert _is_subsequence(original, comments(text)), (seed, step, op, cid)
        again = Codebook.load(path)
        assert [c.to_dict() for c in again.codes.values()] == expected, (seed, step, op, cid)
