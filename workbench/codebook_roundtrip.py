"""Saving the codebook as the team wrote it: the edits made in the workbench (add, rename,
redefine, move, merge) are applied to the YAML file's own document, read with ruamel.yaml's
round-trip loader, so comments, the order of codes and fields, quoting, folded text and
indentation survive; only what changed is written anew.

The changes are what differs between the codebook as it was read (``snapshot``) and as it is now;
they are applied to the file as it is on disk at saving time, so a teammate's edit to another
code (a git pull meanwhile) is kept. An edit to a code the file no longer has is refused.

:func:`render` returns the new text; :meth:`workbench.codebook.Codebook.save` checks it by loading
it again (the same validation as any codebook) before writing it.
"""
from __future__ import annotations

import copy
import io
import re
import textwrap
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from .codebook import SAVED_FIELDS as FIELDS
from .errors import CodebookError

TEXT_FIELDS = ("definition", "include", "exclude")
FIELD_ORDER = ("id", "name", "definition", "include", "exclude", "examples", "keywords", "key",
               "color", "guid", "parent")
WRAP = 80          # new folded text is wrapped to end before this column
_KEY_LINE = re.compile(r"^( *)(- +)?[^\s#-][^:#]*:\s*(#.*)?$")


# ---- the YAML document -----------------------------------------------------------------------
def _yaml(text: str) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096                 # never re-wrap a line as it was written
    mapping, sequence, offset = _guess_indent(text)
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    if re.match(r"(\s*#[^\n]*\n)*\s*---", text):
        y.explicit_start = True
    return y


def _guess_indent(text: str) -> tuple[int, int, int]:
    """The file's indentation: (mapping indent, sequence indent, dash offset)."""
    mapping = sequence = offset = None
    key_col: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        col = len(line) - len(line.lstrip(" "))
        if key_col is not None:
            if stripped.startswith("- "):
                if offset is None and col >= key_col:
                    offset = col - key_col
                    rest = stripped[1:]
                    sequence = offset + 1 + len(rest) - len(rest.lstrip(" "))
            elif mapping is None and col > key_col:
                mapping = col - key_col
        if stripped.endswith(":") and _KEY_LINE.match(line):
            key_col = col + (len(line.lstrip(" ")) - len(line.lstrip(" ").lstrip("- "))
                             if stripped.startswith("- ") else 0)
        else:
            key_col = None
        if mapping is not None and sequence is not None:
            break
    offset = 2 if offset is None else offset
    sequence = offset + 2 if sequence is None else sequence
    return (mapping or 2), sequence, offset


class _Place:
    """Where a code's mapping is: the list holding it and the code it is nested under."""

    def __init__(self, mapping: CommentedMap, holder: CommentedSeq, nested_in: str | None):
        self.mapping, self.holder, self.nested_in = mapping, holder, nested_in

    @property
    def parent(self) -> str | None:
        return self.nested_in if self.nested_in is not None else _str(self.mapping.get("parent"))


def _str(v) -> str | None:
    return None if v is None or str(v).strip() == "" else str(v).strip()


def _index(doc: CommentedMap) -> dict[str, _Place]:
    out: dict[str, _Place] = {}

    def walk(seq, nested_in):
        for item in seq:
            if isinstance(item, CommentedMap) and _str(item.get("id")):
                out[_str(item["id"])] = _Place(item, seq, nested_in)   # type: ignore[index]
                kids = item.get("children")
                if isinstance(kids, CommentedSeq):
                    walk(kids, _str(item["id"]))
    walk(doc["codes"], None)
    return out


# ---- comments: a comment stays where it was when what is around it moves ----------------------
def _tail_path(node) -> tuple[list, tuple[Any, Any] | None]:
    """The containers from ``node`` down its last values, and the (owner, key) of the last
    scalar: ruamel keeps the comment lines that follow a node on that scalar or in the
    ``end`` comments of those containers."""
    path = []
    while True:
        path.append(node)
        if isinstance(node, CommentedMap) and len(node):
            key = list(node.keys())[-1]
            value = node[key]
        elif isinstance(node, CommentedSeq) and len(node):
            key = len(node) - 1
            value = node[key]
        else:
            return path, None
        if isinstance(value, (CommentedMap, CommentedSeq)) and len(value) \
                and not value.fa.flow_style():
            node = value
            continue
        return path, (node, key)


def _comment_line(token) -> str:
    v = token.value
    return (" " * token.column + v) if v.startswith("#") else v


def _take_tail(node):
    """Detach and return the comment lines after ``node``'s last line (a token whose value starts
    with a line break), or None. An end-of-line comment on that last line stays where it is."""
    path, slot = _tail_path(node)
    text = ""
    keep = None
    if slot is not None:
        owner, key = slot
        pos = 2 if isinstance(owner, CommentedMap) else 0
        entry = owner.ca.items.get(key)
        if entry and len(entry) > pos and entry[pos] is not None:
            keep = entry[pos]
            value = keep.value
            if value.startswith("\n"):
                entry[pos] = None
                text = value[1:]
            else:
                cut = value.find("\n")
                if cut >= 0:
                    text = value[cut + 1:]
                    keep.value = value[:cut + 1]
    for container in reversed(path):
        end = getattr(container.ca, "end", None)
        if end:
            text += "".join(_comment_line(t) for t in end)
            container.ca.end = []
    if not text.strip():
        return None
    return CommentToken("\n" + text, CommentMark(0))


def _give_tail(node, token) -> None:
    """Put the comment lines ``token`` (from :func:`_take_tail`) after ``node``'s last line,
    after any comment already there."""
    if token is None:
        return
    slot = _tail_path(node)[1]
    if slot is None:
        return
    owner, key = slot
    pos = 2 if isinstance(owner, CommentedMap) else 0
    entry = owner.ca.items.setdefault(key, [None, None, None, None])
    while len(entry) <= pos:
        entry.append(None)
    if entry[pos] is None:
        entry[pos] = token
    else:
        entry[pos].value = entry[pos].value + token.value[1:]


def _give_before(container, key, token) -> None:
    """Put the comment lines ``token`` before the first item of ``container[key]`` (a list)."""
    if token is None:
        return
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    lines = token.value[1:]
    if entry[2] is not None:          # the comment after "key:" on its own line(s)
        entry[2].value = entry[2].value + lines
        return
    before = copy.copy(token)
    before.value = lines
    if entry[3] is None:
        entry[3] = [before]
    else:
        entry[3].append(before)


def _remove_item(holder: CommentedSeq, mapping: CommentedMap, container: CommentedMap,
                 key: str) -> None:
    """Take ``mapping`` out of ``holder`` (``container[key]``, a code list); the comment lines
    after it (ruamel keeps the comment before the next item there) stay where they were. An
    emptied ``children`` list is removed."""
    i = next(k for k, x in enumerate(holder) if x is mapping)
    tail = _take_tail(mapping)
    del holder[i]
    if i > 0:
        _give_tail(holder[i - 1], tail)
    elif len(holder):
        _give_before(container, key, tail)
    elif key == "children":
        _delete_key(container, key)
        _give_tail(container, tail)
    else:
        _give_before(container, key, tail)


def _append_item(holder: CommentedSeq, mapping: CommentedMap) -> None:
    """Append ``mapping`` to a code list; the comment after the list's last item (what follows
    the list) moves after it."""
    tail = _take_tail(holder[-1]) if len(holder) else None
    holder.append(mapping)
    _give_tail(mapping, tail)


def _delete_key(mapping: CommentedMap, key: str) -> None:
    """Delete a field; the comment lines after it move to the field before it."""
    keys = list(mapping.keys())
    i = keys.index(key)
    value = mapping[key]
    token = None
    if isinstance(value, (CommentedMap, CommentedSeq)):
        token = _take_tail(value)
    else:
        entry = mapping.ca.items.get(key)
        if entry and len(entry) > 2 and entry[2] is not None:
            v = entry[2].value
            cut = v.find("\n")
            if cut >= 0 and v[cut + 1:].strip():
                token = copy.copy(entry[2])
                token.value = v[cut:]
    mapping.ca.items.pop(key, None)
    del mapping[key]
    if token is None:
        return
    if i > 0:
        prev = keys[i - 1]
        pv = mapping[prev]
        if isinstance(pv, (CommentedMap, CommentedSeq)) and len(pv):
            _give_tail(pv, token)
            return
        entry = mapping.ca.items.setdefault(prev, [None, None, None, None])
        if entry[2] is None:
            entry[2] = token
        else:
            entry[2].value = entry[2].value + token.value[1:]


# ---- values --------------------------------------------------------------------------------
def _plain_is_string(s: str) -> bool:
    """Would ``s`` written plain read back as this same string (YAML 1.1 and 1.2 alike)?"""
    try:
        return yaml.safe_load(s) == s
    except yaml.YAMLError:
        return False


def _folded(text: str, col: int) -> FoldedScalarString:
    out = FoldedScalarString(text)
    width = max(40, WRAP - col)
    pos, folds = 0, []
    for line in textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False):
        pos = text.index(line, pos) + len(line)
        if pos < len(text) and text[pos] == " ":
            folds.append(pos)
    out.fold_pos = folds
    return out


def _scalar(old, text: str, col: int, long_text: bool):
    """``text`` written the way the old value was (folded, literal, quoted or plain)."""
    if text != text.strip():
        return DoubleQuotedScalarString(text)
    if "\n" in text:
        return LiteralScalarString(text)
    if isinstance(old, FoldedScalarString):
        return _folded(text, col)
    if isinstance(old, LiteralScalarString):
        return LiteralScalarString(text)
    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return type(old)(text)
    if long_text and old is None and len(text) > WRAP - col - len("definition: "):
        return _folded(text, col)
    if not _plain_is_string(text):
        return DoubleQuotedScalarString(text)
    return text


def _col(mapping: CommentedMap) -> int:
    """The column a mapping's keys start at (the values' folded lines are indented deeper)."""
    lc = getattr(mapping, "lc", None)
    col = getattr(lc, "col", None) if lc is not None else None
    return (col if isinstance(col, int) else 8) + 2


def _set_field(mapping: CommentedMap, key: str, value) -> None:
    if value is None or value == "" or value == []:
        if key in mapping:
            _delete_key(mapping, key)
        return
    old = mapping.get(key)
    if key in ("examples", "keywords"):
        items = [_scalar(None, str(v), _col(mapping), False) for v in value]
        if isinstance(old, CommentedSeq):
            kept = [x for x in old]
            same = len(kept) == len(items)
            for i, item in enumerate(items):
                if i < len(old):
                    if str(old[i]) != str(item):
                        old[i] = _scalar(old[i], str(item), _col(mapping), False)
                else:
                    old.append(item)
            if not same:
                while len(old) > len(items):
                    del old[len(old) - 1]
            return
        new: Any = CommentedSeq(items)
        if key == "keywords":
            new.fa.set_flow_style()
    else:
        new = _scalar(old, str(value), _col(mapping), key in TEXT_FIELDS)
    if key in mapping:
        mapping[key] = new
    else:
        mapping.insert(_insert_at(mapping, key), key, new)


def _insert_at(mapping: CommentedMap, key: str) -> int:
    """Where a new field goes: after the fields that usually come before it."""
    keys = list(mapping.keys())
    before = FIELD_ORDER[:FIELD_ORDER.index(key)] if key in FIELD_ORDER else FIELD_ORDER
    pos = 0
    for i, k in enumerate(keys):
        if k in before:
            pos = i + 1
    return pos


def _new_code(code) -> CommentedMap:
    m = CommentedMap()
    m["id"] = code.id
    for f in FIELDS:
        _set_field(m, f, getattr(code, f))
    for k, v in code.extra.items():
        m[k] = v
    return m


# ---- applying the changes ------------------------------------------------------------------
def render(codebook, base_text: str | None, snap: dict | None, path=None) -> str:
    """The codebook's YAML: ``base_text`` (the file as it is now) with the changes between
    ``snap`` (the codebook as it was read) and ``codebook`` applied. ``base_text`` None: the
    codebook written from scratch."""
    if base_text is None or not base_text.strip():
        return yaml.safe_dump(codebook.to_data(), sort_keys=False, allow_unicode=True, width=100)
    y = _yaml(base_text)
    doc = y.load(base_text)
    if not isinstance(doc, CommentedMap) or not isinstance(doc.get("codes"), CommentedSeq):
        raise CodebookError("the codebook file has no 'codes' list any more", file=path)
    if snap is None:
        from .codebook import Codebook
        snap = Codebook.from_yaml(base_text, path).snapshot()
    _apply(doc, snap, codebook, path)
    out = io.StringIO()
    y.dump(doc, out)
    return out.getvalue()


def unsaved(codebook, snap: dict | None, saved) -> str | None:
    """The first code whose change (since ``snap``) ``saved`` (the codebook read back from the
    rendered text) does not hold, or None when every change is there."""
    old = (snap or {}).get("codes", {})
    for cid, code in codebook.codes.items():
        got = saved.codes.get(cid)
        if got is None:
            return cid
        before = old.get(cid)
        if (before is None or before[0] != code.parent) and got.parent != code.parent:
            return cid
        for f in FIELDS:
            if (before is None or before[1][f] != getattr(code, f)) and \
                    getattr(got, f) != getattr(code, f):
                return cid
    for cid in old:
        if cid not in codebook.codes and cid in saved.codes:
            return cid
    return None


def _apply(doc: CommentedMap, snap: dict, cb, path) -> None:
    places = _index(doc)
    old = snap["codes"]

    def place(cid: str) -> _Place:
        if cid not in places:
            raise CodebookError(f"code '{cid}' is no longer in the codebook file (it was changed "
                                "on disk since the workbench read it)", file=path,
                                hint="reopen the workbench and make the change again")
        return places[cid]

    # moves first (a merge moves the merged code's children), in tree order
    for cid, code in cb.codes.items():
        if cid in old and old[cid][0] != code.parent and place(cid).parent != code.parent:
            _move(doc, places, place(cid), code.parent, place)
    # codes that left the tree (merged), children before their parents
    for cid in reversed(list(old)):
        if cid not in cb.codes and cid in places:
            p = places.pop(cid)
            kids = p.mapping.get("children")
            if isinstance(kids, CommentedSeq) and len(kids):
                left = [_str(k.get("id")) for k in kids if isinstance(k, CommentedMap)]
                raise CodebookError(f"code '{cid}' still has children in the file "
                                    f"({', '.join(str(x) for x in left)})", file=path,
                                    hint="reopen the workbench and make the change again")
            _remove_item(p.holder, p.mapping, *_holder_of(doc, places, p))
    # changed fields
    for cid, code in cb.codes.items():
        if cid not in old:
            continue
        before = old[cid][1]
        for f in FIELDS:
            now = getattr(code, f)
            if now != before[f]:
                _set_field(place(cid).mapping, f, now)
    # new codes, parents before children
    for cid, code in cb.codes.items():
        if cid in old:
            continue
        if cid in places:
            raise CodebookError(f"code '{cid}' was added to the codebook file meanwhile",
                                file=path, hint="reopen the workbench and make the change again")
        m = _new_code(code)
        holder = _add_to(doc, place, code.parent, m)
        places[cid] = _Place(m, holder, code.parent)
    # merges (only ever appended)
    known = {str(m.get("from")) for m in (doc.get("merges") or []) if isinstance(m, dict)}
    new = [m for m in cb.merges if m["from"] not in known
           and m["from"] not in {x["from"] for x in snap["merges"]}]
    if new:
        if not isinstance(doc.get("merges"), CommentedSeq):
            tail = _take_tail(doc)       # the comment that ended the file ends it again
            doc["merges"] = CommentedSeq()
        else:
            tail = _take_tail(doc["merges"])
        for m in new:
            item = CommentedMap(m)
            item.fa.set_flow_style()
            doc["merges"].append(item)
        _give_tail(doc["merges"], tail)
    for key in ("name", "description"):
        now = getattr(cb, key)
        if now != snap[key]:
            _set_field(doc, key, now)


def _holder_of(doc: CommentedMap, places: dict[str, _Place], p: _Place) -> tuple[CommentedMap, str]:
    """The mapping and key of the list that holds a code: its parent's ``children`` or the
    top-level ``codes``."""
    if p.nested_in is not None:
        return places[p.nested_in].mapping, "children"
    return doc, "codes"


def _add_to(doc: CommentedMap, place, parent: str | None, mapping: CommentedMap) -> CommentedSeq:
    """Append a code's mapping to the top-level ``codes`` or to ``parent``'s ``children``
    (made when the parent had none); return the list it went into."""
    if parent is None:
        _append_item(doc["codes"], mapping)
        return doc["codes"]
    pm = place(parent).mapping
    kids = pm.get("children")
    if isinstance(kids, CommentedSeq) and len(kids):
        _append_item(kids, mapping)
        return kids
    tail = _take_tail(pm)            # the comment after the parent now follows its child
    if "children" in pm:
        del pm["children"]
    kids = CommentedSeq([mapping])
    pm["children"] = kids
    _give_tail(mapping, tail)
    return kids


def _move(doc: CommentedMap, places: dict[str, _Place], p: _Place, new_parent: str | None,
          place) -> None:
    m = p.mapping
    if p.nested_in is None and "parent" in m:
        # a code listed flat with 'parent:': only that line changes
        if new_parent is None:
            _delete_key(m, "parent")
        else:
            m["parent"] = new_parent
        return
    _remove_item(p.holder, m, *_holder_of(doc, places, p))
    if "parent" in m:
        _delete_key(m, "parent")
    p.holder, p.nested_in = _add_to(doc, place, new_parent, m), new_parent
