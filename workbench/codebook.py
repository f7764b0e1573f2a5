"""The codebook: a tree of codes in YAML, validated on load, edited and saved by the workbench.

File format (documented in docs/FORMATS.md)::

    name: Cluster managers 2019
    codes:
      - id: value
        name: Added value for members
        definition: ...
        children:
          - id: value.joint_rnd
            name: Joint R&D projects
            definition: ...
            include: ...
            exclude: ...
            examples: ["..."]
            keywords: ["joint research", "R&D project"]
            key: "1"
            color: "#1f77b4"
            guid: 5215cc69-0c0b-4c0e-9d3a-0a3a1b0e7d11   # optional: its REFI-QDA GUID
    merges:                      # written by the workbench when codes are merged
      - {from: value.old, into: value.new, at: "2026-11-28T10:00:00+00:00"}

A code may also be listed flat with ``parent: <id>`` instead of being nested. A merge rewrites no
coding log: replay maps the old id to the new one through :meth:`Codebook.resolve`.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import CodebookError, yaml_error_location
from .fileio import atomic_write
from .hotkeys import clash
from .yamlsafe import GuardedComposer

KNOWN_FIELDS = ("id", "name", "definition", "include", "exclude", "examples", "keywords", "key",
                "color", "children", "parent", "guid")
EDITABLE = ("name", "definition", "include", "exclude", "examples", "keywords", "key", "color")
SAVED_FIELDS = (*EDITABLE, "guid")   # what saving writes back (a REFI-QDA import sets guid)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# a REFI-QDA GUID (docs/INTERCHANGE.md): 8-4-4-4-12 hex digits, any case, optionally in braces
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}\}?$")
_ID = re.compile(r"^[^\s:]+$")
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


@dataclass
class Code:
    id: str
    name: str
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    key: str | None = None
    color: str | None = None
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    line: int | None = None
    guid: str | None = None   # the code's REFI-QDA GUID (kept so imports and exports match it)

    def to_dict(self) -> dict:
        d = {"id": self.id, "name": self.name, "definition": self.definition,
             "include": self.include, "exclude": self.exclude, "examples": list(self.examples),
             "keywords": list(self.keywords), "key": self.key, "color": self.color,
             "parent": self.parent, "children": list(self.children), "guid": self.guid}
        return d


class _LineLoader(GuardedComposer, yaml.SafeLoader):
    """A SafeLoader that remembers the line of every mapping (as ``__line__``) and of every
    item of a list (``_Seq.lines``)."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


class _Seq(list):
    """A YAML list that knows the line of each item."""

    lines: list[int] = []


def _construct_seq(loader, node):
    data = _Seq()
    data.lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_sequence(node))


_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _plain(v):
    """``v`` without the loader's bookkeeping (``__line__`` keys, ``_Seq`` lists), so that
    unknown fields round-trip through :meth:`Codebook.save` unchanged."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if k != "__line__"}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _item_line(seq, i: int, default=None):
    lines = getattr(seq, "lines", None)
    return lines[i] if lines and i < len(lines) else default


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "\n".join(str(x) for x in v)
    return str(v).strip()


class Codebook:
    """A validated code tree. ``codes`` is ordered depth-first (tree order)."""

    def __init__(self, name: str, codes: dict[str, Code], *, path: Path | None = None,
                 merges: list[dict] | None = None, description: str = "",
                 extra: dict | None = None):
        self.name = name
        self.codes = codes
        self.path = path
        self.merges = list(merges or [])
        self.description = description
        self.extra = dict(extra or {})
        self._merge_map = {m["from"]: m["into"] for m in self.merges}
        self._source: str | None = None     # the YAML text it was read from (or last saved as)
        self._snapshot: dict | None = None  # what it held then (codebook_roundtrip.snapshot)

    # ---- queries -----------------------------------------------------------------------------
    def __contains__(self, code_id: str) -> bool:
        return code_id in self.codes

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, code_id: str) -> Code | None:
        return self.codes.get(self.resolve(code_id))

    def roots(self) -> list[Code]:
        return [c for c in self.codes.values() if c.parent is None]

    def children(self, code_id: str) -> list[Code]:
        return [self.codes[c] for c in self.codes[code_id].children]

    def parent(self, code_id: str) -> Code | None:
        p = self.codes[code_id].parent
        return self.codes[p] if p else None

    def ancestors(self, code_id: str) -> list[str]:
        """Ids of the parent, grandparent, … of ``code_id`` (nearest first)."""
        out = []
        p = self.codes[code_id].parent if code_id in self.codes else None
        while p:
            out.append(p)
            p = self.codes[p].parent
        return out

    def descendants(self, code_id: str) -> list[str]:
        out, stack = [], list(reversed(self.codes[code_id].children))
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(reversed(self.codes[c].children))
        return out

    def depth(self, code_id: str) -> int:
        return len(self.ancestors(code_id))

    def resolve(self, code_id: str) -> str:
        """Follow recorded merges: the id a coding of ``code_id`` counts as today."""
        seen = set()
        while code_id in self._merge_map and code_id not in seen:
            seen.add(code_id)
            code_id = self._merge_map[code_id]
        return code_id

    def by_key(self, key: str) -> Code | None:
        for c in self.codes.values():
            if c.key == key:
                return c
        return None

    def select(self, prefixes: list[str] | str | None) -> list[str]:
        """Ids of codes equal to or below any of ``prefixes`` (``value`` or ``value.``)."""
        if not prefixes:
            return list(self.codes)
        if isinstance(prefixes, str):
            prefixes = [p for p in prefixes.split(",") if p]
        out = []
        for cid in self.codes:
            for p in prefixes:
                p = p.rstrip(".")
                if cid == p or cid.startswith(p + ".") or p in self.ancestors(cid):
                    out.append(cid)
                    break
        return out

    def color_of(self, code_id: str) -> str:
        """The code's colour, else its nearest ancestor's, else one from a fixed palette."""
        cid = self.resolve(code_id)
        for c in [cid, *self.ancestors(cid)] if cid in self.codes else []:
            color = self.codes[c].color
            if color:
                return color
        return PALETTE[sum(map(ord, cid)) % len(PALETTE)]

    # ---- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Codebook:
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CodebookError("codebook file not found", file=path,
                                hint="create it with 'workbench init' or fix 'codebook' in workbench.toml") from None
        except UnicodeDecodeError as e:
            raise CodebookError(f"invalid UTF-8 at byte offset {e.start}", file=path,
                                hint="save the codebook as UTF-8") from None
        return cls.from_yaml(raw, path)

    @classmethod
    def from_yaml(cls, raw: str, path: str | Path | None = None) -> Codebook:
        try:
            data = yaml.load(raw, Loader=_LineLoader)
        except yaml.YAMLError as e:
            line, problem = yaml_error_location(e)
            raise CodebookError(f"not valid YAML ({problem})", file=path, line=line,
                                hint="check indentation and quoting on that line") from None
        if not isinstance(data, dict):
            raise CodebookError("the codebook must be a mapping with 'name' and 'codes'",
                                file=path, line=1)
        codes_raw = data.get("codes")
        if not isinstance(codes_raw, list) or not codes_raw:
            raise CodebookError("the codebook has no 'codes' list", file=path,
                                line=data.get("__line__"), hint="add 'codes:' with at least one code")
        codes: dict[str, Code] = {}
        pending_parents: list[Code] = []

        def add(item, parent: str | None, item_line: int | None = None):
            if not isinstance(item, dict):
                raise CodebookError("each code must be a mapping with 'id' and 'name', not "
                                    f"{item!r}", file=path, line=item_line,
                                    hint="write a code as '- id: ...' with 'name: ...' below it")
            line = item.get("__line__")
            cid = item.get("id")
            if cid is None or not str(cid).strip():
                raise CodebookError("a code has no 'id'", file=path, line=line,
                                    hint="give every code a stable id such as 'value.joint_rnd'")
            cid = str(cid).strip()
            if not _ID.match(cid):
                raise CodebookError(f"code id '{cid}' contains spaces or ':'", file=path,
                                    line=line, hint="use ids like 'value.joint_rnd'")
            if cid in codes:
                raise CodebookError(f"duplicate code id '{cid}' (first defined on line "
                                    f"{codes[cid].line})", file=path, line=line,
                                    hint="every code needs its own id")
            name = _text(item.get("name"))
            if not name:
                raise CodebookError(f"code '{cid}' has an empty name", file=path, line=line,
                                    hint="add 'name: ...'")
            key = item.get("key")
            key = str(key) if key is not None and str(key) != "" else None
            if clash(key):
                raise CodebookError(f"code '{cid}': {clash(key)}", file=path, line=line)
            color = item.get("color")
            if color is not None and not _COLOR.match(str(color)):
                raise CodebookError(f"code '{cid}': colour '{color}' is not like '#1f77b4'",
                                    file=path, line=line)
            guid = item.get("guid")
            if guid is not None and not _GUID.match(str(guid).strip()):
                raise CodebookError(f"code '{cid}': guid '{guid}' is not a GUID like "
                                    "'5215cc69-0c0b-4c0e-9d3a-0a3a1b0e7d11'", file=path, line=line,
                                    hint="remove the line; the workbench writes it on REFI-QDA import")
            declared_parent = item.get("parent")
            if declared_parent is not None and parent is not None and str(declared_parent) != parent:
                raise CodebookError(f"code '{cid}' is nested under '{parent}' but says "
                                    f"parent: {declared_parent}", file=path, line=line)
            lst = lambda v: [str(x) for x in v] if isinstance(v, list) else ([str(v)] if v else [])
            code = Code(
                id=cid, name=name, definition=_text(item.get("definition")),
                include=_text(item.get("include")), exclude=_text(item.get("exclude")),
                examples=lst(item.get("examples")), keywords=lst(item.get("keywords")),
                key=key, color=str(color) if color else None,
                guid=str(guid).strip() if guid is not None else None,
                parent=parent if parent is not None else (str(declared_parent) if declared_parent else None),
                extra={k: _plain(v) for k, v in item.items()
                       if k not in KNOWN_FIELDS and k != "__line__"},
                line=line,
            )
            codes[cid] = code
            if parent is None and code.parent is not None:
                pending_parents.append(code)
            children = item.get("children") or []
            if not isinstance(children, list):
                raise CodebookError(f"code '{cid}': 'children' must be a list", file=path, line=line)
            for i, child in enumerate(children):
                add(child, cid, _item_line(children, i, line))

        for i, item in enumerate(codes_raw):
            add(item, None, _item_line(codes_raw, i))
        # flat 'parent:' references: check they exist and form no cycle
        for code in pending_parents:
            if code.parent not in codes:
                raise CodebookError(f"code '{code.id}' names an unknown parent '{code.parent}'",
                                    file=path, line=code.line,
                                    hint="fix the parent id or define that code")
        for code in codes.values():
            seen, p = {code.id}, code.parent
            while p:
                if p in seen:
                    raise CodebookError(f"codes form a cycle through '{code.id}' (parent chain "
                                        f"returns to '{p}')", file=path, line=code.line,
                                        hint="a code cannot be its own ancestor")
                seen.add(p)
                p = codes[p].parent
        for code in codes.values():
            if code.parent:
                codes[code.parent].children.append(code.id) if code.id not in codes[code.parent].children else None
        keys: dict[str, str] = {}
        for code in codes.values():
            if code.key:
                if code.key in keys:
                    raise CodebookError(f"hotkey '{code.key}' is used by both '{keys[code.key]}' "
                                        f"and '{code.id}'", file=path, line=code.line,
                                        hint="give each code its own key, or none")
                keys[code.key] = code.id
        ordered: dict[str, Code] = {}

        def walk(cid):
            ordered[cid] = codes[cid]
            for ch in codes[cid].children:
                walk(ch)
        for c in codes.values():
            if c.parent is None:
                walk(c.id)
        merges = []
        merge_lines: dict[str, int | None] = {}
        merges_raw = data.get("merges") or []
        if not isinstance(merges_raw, list):
            raise CodebookError("'merges' must be a list", file=path, line=data.get("__line__"))
        for i, m in enumerate(merges_raw):
            if not isinstance(m, dict) or "from" not in m or "into" not in m:
                raise CodebookError("each merge needs 'from' and 'into'", file=path,
                                    line=_item_line(merges_raw, i))
            merges.append({"from": str(m["from"]), "into": str(m["into"]),
                           **({"at": str(m["at"])} if m.get("at") else {})})
            merge_lines[str(m["from"])] = _item_line(merges_raw, i, m.get("__line__"))
        cb = cls(_text(data.get("name")) or "Codebook", ordered,
                 path=Path(path) if path else None, merges=merges,
                 description=_text(data.get("description")),
                 extra={k: _plain(v) for k, v in data.items()
                        if k not in ("name", "codes", "merges", "description", "__line__")})
        for m in merges:
            if cb.resolve(m["from"]) == m["from"]:
                raise CodebookError(f"merges form a cycle through '{m['from']}'", file=path,
                                    line=merge_lines.get(m["from"]),
                                    hint="a code cannot be merged back into itself")
        cb._source, cb._snapshot = raw, cb.snapshot()
        return cb

    def snapshot(self) -> dict:
        """What the workbench edits, as plain data: saving compares it with the codebook as it
        is then (workbench.codebook_roundtrip)."""
        copy = lambda v: list(v) if isinstance(v, list) else (dict(v) if isinstance(v, dict) else v)
        return {"name": self.name, "description": self.description,
                "merges": [dict(m) for m in self.merges],
                "codes": {cid: (c.parent, {f: copy(getattr(c, f)) for f in SAVED_FIELDS},
                                copy(c.extra))
                          for cid, c in self.codes.items()}}

    # ---- editing (used by the codebook screen) -------------------------------------------------
    def add(self, code_id: str, name: str, *, parent: str | None = None, **fields) -> Code:
        if code_id in self.codes:
            raise CodebookError(f"a code with id '{code_id}' already exists", file=self.path)
        if not _ID.match(code_id or ""):
            raise CodebookError(f"code id '{code_id}' is empty or contains spaces", file=self.path)
        if not name.strip():
            raise CodebookError("a code needs a name", file=self.path)
        if parent is not None and parent not in self.codes:
            raise CodebookError(f"unknown parent '{parent}'", file=self.path)
        code = Code(id=code_id, name=name.strip(), parent=parent, **fields)
        if clash(code.key):
            raise CodebookError(str(clash(code.key)), file=self.path)
        holder = self.by_key(code.key) if code.key else None
        if holder is not None:
            raise CodebookError(f"hotkey '{code.key}' is already used by '{holder.id}'",
                                file=self.path)
        self.codes[code_id] = code
        if parent:
            self.codes[parent].children.append(code_id)
        self._reorder()
        return code

    def update(self, code_id: str, **fields) -> Code:
        """Rename or redefine: set any of name, definition, include, exclude, examples,
        keywords, key, color."""
        code = self.codes[code_id]
        if "name" in fields and not str(fields["name"]).strip():
            raise CodebookError("a code needs a name", file=self.path)
        if fields.get("key"):
            if clash(fields["key"]):
                raise CodebookError(str(clash(fields["key"])), file=self.path)
            other = self.by_key(fields["key"])
            if other and other.id != code_id:
                raise CodebookError(f"hotkey '{fields['key']}' is already used by '{other.id}'",
                                    file=self.path)
        for k, v in fields.items():
            if k not in EDITABLE:
                raise ValueError(f"cannot set {k}")
            # as loading reads them: text without surrounding blanks
            setattr(code, k, v.strip() if k in ("name", "definition", "include", "exclude")
                    and isinstance(v, str) else v)
        return code

    def move(self, code_id: str, new_parent: str | None) -> None:
        if new_parent is not None:
            if new_parent not in self.codes:
                raise CodebookError(f"unknown parent '{new_parent}'", file=self.path)
            if new_parent == code_id or new_parent in self.descendants(code_id):
                raise CodebookError(f"cannot move '{code_id}' under its own descendant",
                                    file=self.path)
        code = self.codes[code_id]
        if code.parent == new_parent:
            return
        if code.parent:
            self.codes[code.parent].children.remove(code_id)
        code.parent = new_parent
        if new_parent:
            self.codes[new_parent].children.append(code_id)
        else:     # a new top-level code comes last, as in the saved file
            self.codes[code_id] = self.codes.pop(code_id)
        self._reorder()

    def merge(self, old: str, into: str) -> None:
        """Merge ``old`` into ``into``: ``old``'s children move under ``into``, ``old`` leaves
        the tree, and the merge is recorded so that replay maps codings of ``old`` to ``into``."""
        if old not in self.codes or into not in self.codes:
            raise CodebookError(f"cannot merge '{old}' into '{into}': unknown code", file=self.path)
        if old == into or into in self.descendants(old):
            raise CodebookError(f"cannot merge '{old}' into itself or its descendant", file=self.path)
        for child in list(self.codes[old].children):
            self.move(child, into)
        code = self.codes[old]
        if code.parent:
            self.codes[code.parent].children.remove(old)
        del self.codes[old]
        self.merges.append({"from": old, "into": into,
                            "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})
        self._merge_map[old] = into

    def _reorder(self) -> None:
        ordered: dict[str, Code] = {}

        def walk(cid):
            ordered[cid] = self.codes[cid]
            for ch in self.codes[cid].children:
                walk(ch)
        for c in list(self.codes.values()):
            if c.parent is None:
                walk(c.id)
        self.codes = ordered

    def to_data(self) -> dict:
        def node(cid):
            c = self.codes[cid]
            d: dict = {"id": c.id, "name": c.name}
            for k in ("definition", "include", "exclude"):
                if getattr(c, k):
                    d[k] = getattr(c, k)
            if c.examples:
                d["examples"] = list(c.examples)
            if c.keywords:
                d["keywords"] = list(c.keywords)
            if c.key:
                d["key"] = c.key
            if c.color:
                d["color"] = c.color
            if c.guid:
                d["guid"] = c.guid
            d.update(c.extra)
            if c.children:
                d["children"] = [node(ch) for ch in c.children]
            return d
        data: dict = {"name": self.name}
        if self.description:
            data["description"] = self.description
        data.update(self.extra)
        data["codes"] = [node(c.id) for c in self.roots()]
        if self.merges:
            data["merges"] = self.merges
        return data

    def save(self, path: str | Path | None = None) -> Path:
        """Write the codebook atomically (:func:`workbench.fileio.atomic_write`), as the team
        wrote it: the changes made since it was read are applied to the file as it is now on
        disk (its comments, order, quoting and layout kept, workbench.codebook_roundtrip). The
        text is loaded again before it is written: a file that would not load is never written.
        Afterwards the codebook holds what the file holds (a teammate's edit included)."""
        from .codebook_roundtrip import render, unsaved
        target = path or self.path
        if target is None:
            raise CodebookError("the codebook has no file to be saved to")
        path = Path(target)
        base = self._source
        if self._snapshot is None:
            base = None     # built in memory, not read from a file: written as it is
        elif self.path is not None:
            try:
                base = self.path.read_text(encoding="utf-8-sig")
            except (FileNotFoundError, UnicodeDecodeError):
                pass
        text = render(self, base, self._snapshot, self.path)
        saved = Codebook.from_yaml(text, path)
        cid = unsaved(self, self._snapshot, saved)
        if cid is not None:
            raise CodebookError(f"the change to code '{cid}' could not be written into the "
                                "file as it is; nothing was saved", file=path,
                                hint="edit the YAML file by hand, or reopen the workbench")
        atomic_write(path, text)
        self.__dict__.update(saved.__dict__)
        return path
