"""Codebook YAML: loading the tree, validation errors that name file, line and code, merges,
saving."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.codebook import Codebook
from workbench.errors import CodebookError

REPO = Path(__file__).resolve().parent.parent

GOOD = """\
name: Cluster managers (test)
description: A small codebook for the tests.
codes:
  - id: value
    name: Added value for members
    definition: What the cluster gives its members.
    color: "#1f77b4"
    children:
      - id: value.joint_rnd
        name: Joint R&D projects
        definition: >-
          Members carry out research and development projects together.
        include: Joint projects with universities.
        exclude: Purely bilateral supply contracts.
        examples: ["We have five joint R&D projects running right now."]
        keywords: ["joint research", "R&D project"]
        key: "1"
      - id: value.funding
        name: Project funding
        definition: Help in obtaining subsidies and grants.
        key: 2
        color: "#ff7f0e"
  - id: finance
    name: Financing of the cluster
    definition: How the cluster organisation is financed.
  - id: finance.fees
    parent: finance
    name: Membership fees
    definition: Fees paid by members.
    key: "3"
    review_note: {owner: anna, due: 2019-07-01}
"""


def load(tmp_path: Path, text: str, name: str = "codebook.yaml") -> Codebook:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Codebook.load(path)


def test_tree_from_nested_and_flat_codes(tmp_path):
    cb = load(tmp_path, GOOD)
    assert cb.name == "Cluster managers (test)"
    assert list(cb.codes) == ["value", "value.joint_rnd", "value.funding", "finance",
                              "finance.fees"]
    assert [c.id for c in cb.roots()] == ["value", "finance"]
    assert [c.id for c in cb.children("value")] == ["value.joint_rnd", "value.funding"]
    assert cb.parent("finance.fees").id == "finance"
    assert cb.ancestors("value.joint_rnd") == ["value"]
    assert cb.descendants("value") == ["value.joint_rnd", "value.funding"]
    assert cb.depth("finance.fees") == 1
    rnd = cb.codes["value.joint_rnd"]
    assert rnd.definition == "Members carry out research and development projects together."
    assert rnd.include == "Joint projects with universities."
    assert rnd.examples == ["We have five joint R&D projects running right now."]
    assert rnd.keywords == ["joint research", "R&D project"]
    assert cb.by_key("1").id == "value.joint_rnd"
    assert cb.by_key("2").id == "value.funding"  # an unquoted YAML number is a key too
    assert cb.color_of("value.joint_rnd") == "#1f77b4"  # inherited from the parent
    assert cb.codes["finance.fees"].extra == {"review_note": {"owner": "anna",
                                                              "due": __import__("datetime").date(2019, 7, 1)}}


def test_save_round_trip_keeps_everything_and_no_bookkeeping(tmp_path):
    cb = load(tmp_path, GOOD)
    out = cb.save(tmp_path / "saved.yaml")
    saved = out.read_text(encoding="utf-8")
    assert "__line__" not in saved
    again = Codebook.load(out)
    assert [c.to_dict() for c in again.codes.values()] == [c.to_dict() for c in cb.codes.values()]
    assert again.codes["finance.fees"].extra == cb.codes["finance.fees"].extra
    assert again.description == "A small codebook for the tests."


def test_merge_is_recorded_and_resolved_after_reload(tmp_path):
    cb = load(tmp_path, GOOD)
    cb.merge("value.funding", "value.joint_rnd")
    assert "value.funding" not in cb.codes
    assert cb.resolve("value.funding") == "value.joint_rnd"
    assert cb.get("value.funding").id == "value.joint_rnd"
    cb.save()
    again = Codebook.load(tmp_path / "codebook.yaml")
    assert again.merges[0]["from"] == "value.funding"
    assert again.resolve("value.funding") == "value.joint_rnd"
    assert "value.funding" not in again.codes


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert len(Codebook.load(path)) == 5


# ---- validation errors: file, line and code ------------------------------------------------------

BAD = {
    "cycle": ("""\
name: x
codes:
  - id: a
    name: A
    parent: b
  - id: b
    name: B
    parent: c
  - id: c
    name: C
    parent: a
""", 3, ["cycle", "'a'"]),
    "self_parent": ("name: x\ncodes:\n  - id: a\n    name: A\n    parent: a\n", 3, ["cycle"]),
    "duplicate_id": ("""\
name: x
codes:
  - id: value
    name: Added value
    children:
      - id: value.rnd
        name: Joint R&D
  - id: finance
    name: Financing
    children:
      - id: value.rnd
        name: Joint R&D again
""", 11, ["duplicate code id 'value.rnd'", "first defined on line 6"]),
    "unknown_parent": ("""\
name: x
codes:
  - id: value
    name: Added value
  - id: finance.fees
    parent: finance
    name: Fees
""", 5, ["finance.fees", "unknown parent 'finance'"]),
    "duplicate_hotkey": ("""\
name: x
codes:
  - id: a
    name: A
    key: "1"
  - id: b
    name: B
    children:
      - id: b.c
        name: C
        key: 1
""", 9, ["hotkey '1'", "'a'", "'b.c'"]),
    "empty_name": ("name: x\ncodes:\n  - id: a\n    name: A\n  - id: b\n    name: '   '\n", 5,
                   ["'b'", "empty name"]),
    "missing_name": ("name: x\ncodes:\n  - id: a\n    definition: no name\n", 3,
                     ["'a'", "empty name"]),
    "missing_id": ("name: x\ncodes:\n  - id: a\n    name: A\n  - name: B\n", 5, ["no 'id'"]),
    "id_with_space": ("name: x\ncodes:\n  - id: joint rnd\n    name: A\n", 3, ["joint rnd"]),
    "bad_yaml_bracket": ("name: x\ncodes:\n  - id: a\n    name: [A\n  - id: b\n    name: B\n", 4,
                         ["not valid YAML"]),
    "bad_yaml_quote": ("name: x\ncodes:\n  - id: a\n    name: 'A\n", 4, ["not valid YAML"]),
    "bad_yaml_tab": ("name: x\ncodes:\n  - id: a\n\tname: A\n", 4, ["not valid YAML"]),
    "bad_yaml_indent": ("name: x\ncodes:\n  - id: a\n    name: A\n   definition: x\n", 5,
                        ["not valid YAML"]),
    "code_not_mapping": ("name: x\ncodes:\n  - id: a\n    name: A\n  - Joint R&D\n", 5,
                         ["mapping"]),
    "children_not_list": ("name: x\ncodes:\n  - id: a\n    name: A\n    children: b\n", 3,
                          ["'a'", "children"]),
    "bad_colour": ("name: x\ncodes:\n  - id: a\n    name: A\n    color: blue\n", 3,
                   ["'a'", "blue"]),
    "long_hotkey": ("name: x\ncodes:\n  - id: a\n    name: A\n    key: F1\n", 3,
                    ["'a'", "one character"]),
    "nested_parent_conflict": ("name: x\ncodes:\n  - id: a\n    name: A\n  - id: b\n    name: B\n"
                               "    children:\n      - id: c\n        name: C\n        parent: a\n",
                               8, ["'c'", "nested under 'b'"]),
    "no_codes": ("name: x\ndescription: nothing yet\n", 1, ["no 'codes'"]),
    "not_a_mapping": ("- a\n- b\n", 1, ["mapping"]),
    "empty_file": ("", 1, ["mapping"]),
    "merge_cycle": ("name: x\ncodes:\n  - id: a\n    name: A\nmerges:\n  - {from: b, into: c}\n"
                    "  - {from: c, into: b}\n", 6, ["cycle", "'b'"]),
    "merge_incomplete": ("name: x\ncodes:\n  - id: a\n    name: A\nmerges:\n  - {from: b}\n", 6,
                         ["'from' and 'into'"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_validation_error_names_file_line_and_code(tmp_path, case):
    text, line, fragments = BAD[case]
    with pytest.raises(CodebookError) as ei:
        load(tmp_path, text, "study-codebook.yaml")
    msg = str(ei.value)
    assert f"study-codebook.yaml:{line}:" in msg, msg
    for fragment in fragments:
        assert fragment in msg, msg
    assert "\n" not in msg


def test_invalid_utf8_and_missing_file(tmp_path):
    path = tmp_path / "cp1251.yaml"
    path.write_bytes("name: Кластеры\ncodes: []\n".encode("cp1251"))
    with pytest.raises(CodebookError, match="UTF-8"):
        Codebook.load(path)
    with pytest.raises(CodebookError, match="not found") as ei:
        Codebook.load(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(ei.value)


def test_demo_codebook_validates():
    cb = Codebook.load(REPO / "codebooks" / "cluster-managers-2019.yaml")
    assert [c.id for c in cb.roots()] == ["local", "value", "finance", "cooperation", "future",
                                          "stakeholders"]
    for code in cb.codes.values():
        assert code.name and len(code.definition) > 40, code.id  # written for coders
    assert {cb.by_key(k).id for k in "1234567"} == set(cb.select("value")) - {"value"}
    assert {"value.joint_rnd", "value.project_funding", "value.knowledge_transfer",
            "finance.membership_fees"} <= set(cb.codes)
    # the YAML is plain: saving and reloading gives the same tree
    data = cb.to_data()
    assert "__line__" not in yaml.safe_dump(data)


def test_guid_is_loaded_validated_and_saved(tmp_path):
    """A code's REFI-QDA GUID (docs/INTERCHANGE.md) survives load and save; a malformed one is
    an error naming the line."""
    text = ("name: G\ncodes:\n  - id: a\n    name: A\n    guid: 5067D381-1DC9-4816-81DD-AE1DBFEA2AD7\n"
            "  - id: b\n    name: B\n")
    cb = Codebook.from_yaml(text, tmp_path / "cb.yaml")
    assert cb.codes["a"].guid == "5067D381-1DC9-4816-81DD-AE1DBFEA2AD7" and cb.codes["b"].guid is None
    assert cb.codes["a"].to_dict()["guid"] == "5067D381-1DC9-4816-81DD-AE1DBFEA2AD7"
    assert "guid" not in cb.codes["a"].extra
    cb.save(tmp_path / "cb.yaml")
    again = Codebook.load(tmp_path / "cb.yaml")
    assert again.codes["a"].guid == cb.codes["a"].guid and "guid" not in yaml.safe_load(
        (tmp_path / "cb.yaml").read_text(encoding="utf-8"))["codes"][1]
    with pytest.raises(CodebookError) as e:
        Codebook.from_yaml(text.replace("5067D381-1DC9", "not-a-guid"), tmp_path / "cb.yaml")
    assert e.value.line == 3 and "is not a GUID" in str(e.value)
