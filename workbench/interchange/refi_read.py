"""The lenient REFI-QDA reader: a ``.qdpx`` archive, a bare ``.qde`` or a ``.qdc`` codebook →
:class:`~.model.RefiProject` (plain dataclasses, positions in our offsets).

Lenient where real producers differ (docs/INTERCHANGE.md): any ``*.qde`` name, ``sources/`` in
any case, ``internal://``/bare/``relative:///`` paths, any QDA-XML namespace version (elements
matched by local name), text with or without BOM, colours in several notations, ATLAS.ti's
``A::B`` code names. Honest where it cannot follow: everything not imported is listed in
``RefiProject.dropped`` with the reason. Positions are converted per producer (``origin``) and
then checked (inside the text; equal to the selection's excerpt when its name holds one).
All XML goes through defusedxml (no DTD, no entities).
"""
from __future__ import annotations

import functools
import io
import json
import re
import uuid
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import InterchangeError
from .archive import DEFAULT_LIMITS, Archive, Limits, is_zip
from .model import RefiCode, RefiCoding, RefiNote, RefiProject, RefiSet, RefiSource, RefiUser, norm_guid
from .placing import place_selections
from .positions import Normalizer, StoredText, default_profile, producer_of, squash
from .values import decode_text, docx_text, iso_time, norm_color, parse_xml

EXTENSION_MEMBER = "workbench/extension.json"
EXTENSION_FORMAT = "urn:workbench:refi-qda-extension:1"
GUID_NAMESPACE = uuid.UUID("6f1c1b52-3c5e-4b8e-9a57-2d7f0e6a4c11")   # the workbench's uuid5 root
MAX_CODE_DEPTH = 100
_NS = re.compile(r"^urn:QDA-XML:(project|codebook):", re.I)


@functools.lru_cache(maxsize=65536)
def synth_guid(*parts: str) -> str:
    """A stable GUID for the workbench object named by ``parts`` (uuid5)."""
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join(parts)))


# ---- small XML helpers ---------------------------------------------------------------------------
def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def _kid(el, name: str):
    for c in (el if el is not None else ()):
        if _local(c.tag) == name:
            return c
    return None


def _text(el) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


# ---- entry points --------------------------------------------------------------------------------
def read_refi(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> RefiProject:
    """Read a ``.qdpx``, ``.qde`` or ``.qdc`` file (recognised by content, not by name)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InterchangeError("file not found", file=path)
    if path.stat().st_size > limits.member and not is_zip(path):
        raise InterchangeError(f"the file is larger than {limits.member:,} bytes", file=path)
    if is_zip(path):
        with Archive(path, limits) as archive:
            return _read_xml(archive.project_xml(), path, archive)
    data = path.read_bytes()
    _not_xml(data, path)
    return _read_xml(data, path, None)


def _not_xml(data: bytes, name) -> None:
    """Refuse, with the right words, a file that is neither a zip nor XML."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    if str(name).lower().endswith(".qdpx"):
        raise InterchangeError("not a REFI-QDA project archive (not a zip file)", file=name,
                               hint="a .qdpx file is a zip; export the project again from its "
                                    "QDA program")
    raise InterchangeError("not a REFI-QDA file (neither a .qdpx zip nor XML)", file=name,
                           hint="give a .qdpx, .qde or .qdc file exported by a QDA program")


def read_refi_bytes(data: bytes, name: str = "<data>",
                    limits: Limits = DEFAULT_LIMITS) -> RefiProject:
    """:func:`read_refi` on bytes already in memory (used by the fuzzing tests)."""
    if is_zip(io.BytesIO(data)):
        with Archive(name, limits, data=io.BytesIO(data)) as archive:
            return _read_xml(archive.project_xml(), name, archive)
    if len(data) > limits.member:
        raise InterchangeError(f"the file is larger than {limits.member:,} bytes", file=name)
    _not_xml(data, name)
    return _read_xml(data, name, None)


def _read_xml(data: bytes, path, archive: Archive | None) -> RefiProject:
    where = f"{path}!{archive.qde_name}" if archive else path
    root = parse_xml(data, where)
    kind = _local(root.tag)
    ns = root.tag[1:].split("}")[0] if isinstance(root.tag, str) and root.tag.startswith("{") else ""
    if kind not in ("Project", "CodeBook"):
        raise InterchangeError(f"the XML's root element is <{kind}>, not a REFI-QDA <Project> "
                               "or <CodeBook>", file=where,
                               hint="give a .qdpx, .qde or .qdc file exported by a QDA program")
    refi = RefiProject(kind="project" if kind == "Project" else "codebook", path=str(path),
                       name=(root.get("name") or "").strip(), origin=(root.get("origin") or "").strip())
    if ns and not _NS.match(ns):
        refi.warnings.append(f"unknown XML namespace '{ns}': read as REFI-QDA anyway")
    refi.producer = producer_of(refi.origin)
    if archive is not None and archive.duplicates:
        refi.warnings.append("the archive holds members whose names differ only in case; the "
                             "first of each was read: " + ", ".join(archive.duplicates[:5]))
    if kind == "CodeBook":
        refi.codes = _codes(_kid(root, "Codes"), refi, [])
        _sets(root, refi, attr="guid")
        return refi
    refi.user = norm_guid(root.get("creatingUserGUID")) or None
    for u in _kids(_kid(root, "Users"), "User"):
        g = norm_guid(u.get("guid"))
        if g:
            refi.users[g] = RefiUser(g, (u.get("name") or "").strip(), (u.get("id") or "").strip())
    note_refs: list[tuple[str, str, str]] = []
    refi.codes = _codes(_kid(_kid(root, "CodeBook"), "Codes"), refi, note_refs)
    _ReadSources(refi, root, archive, note_refs).run()
    refi.description = _text(_kid(root, "Description"))
    if archive is not None:
        refi.extension = _extension(archive, refi)
    return refi


def _extension(archive: Archive, refi: RefiProject) -> dict | None:
    if not archive.has(EXTENSION_MEMBER):
        return None
    try:
        ext = json.loads(archive.read(EXTENSION_MEMBER).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        refi.warnings.append(f"{EXTENSION_MEMBER} is damaged: ignored (ids and workbench-only "
                             "fields of the export are not restored)")
        return None
    if not isinstance(ext, dict) or ext.get("format") != EXTENSION_FORMAT:
        refi.warnings.append(f"{EXTENSION_MEMBER} is not a workbench extension this version "
                             "reads: ignored")
        return None
    return ext


# ---- codes ---------------------------------------------------------------------------------------
def _codes(codes_el, refi: RefiProject, note_refs: list) -> list[RefiCode]:
    """The code tree (no recursion: any depth is read, beyond MAX_CODE_DEPTH dropped);
    ``note_refs`` collects (note guid, "code", code guid) of the codes' NoteRefs."""
    roots: list[RefiCode] = []
    seen: set[str] = set()
    stack: list[tuple[Element, RefiCode | None, int]] = [
        (el, None, 0) for el in reversed(_kids(codes_el, "Code"))]
    while stack:
        el, parent, depth = stack.pop()
        name = (el.get("name") or "").strip()
        g = norm_guid(el.get("guid"))
        if depth >= MAX_CODE_DEPTH:
            refi.drop("code", name or g, f"nested more than {MAX_CODE_DEPTH} levels deep")
            continue
        if not g or g in seen:
            refi.drop("code", name or "(unnamed)", "no GUID" if not g else f"GUID {g} used twice")
            continue
        seen.add(g)
        if not name:
            refi.warnings.append(f"code {g} has no name: named '(unnamed)'")
        color_raw = el.get("color")
        code = RefiCode(g, name or "(unnamed)",
                        codable=(el.get("isCodable") or "true").strip().lower() not in ("false", "0"),
                        color=norm_color(color_raw), description=_text(_kid(el, "Description")),
                        parent=parent.guid if parent else None)
        if color_raw and code.color is None:
            refi.warnings.append(f"code '{code.name}': colour '{color_raw}' not understood: left out")
        (parent.children if parent else roots).append(code)
        for ref in _kids(el, "NoteRef"):
            note_refs.append((norm_guid(ref.get("targetGUID")), "code", g))
        stack.extend((c, code, depth + 1) for c in reversed(_kids(el, "Code")))
    if refi.producer == "atlasti":
        roots = _unflatten(roots, refi)
    return roots


def _unflatten(roots: list[RefiCode], refi: RefiProject) -> list[RefiCode]:
    """ATLAS.ti 8 writes a hierarchy as flat names ``Parent::Child``: nest them again."""
    by_name = {c.name: c for c in roots if "::" not in c.name}
    out = [c for c in roots if "::" not in c.name]
    moved = 0
    for c in roots:
        if "::" not in c.name:
            continue
        *path, leaf = [p.strip() for p in c.name.split("::")]
        parent: RefiCode | None = None
        for i, part in enumerate(path):
            key = "::".join(path[: i + 1])
            node = by_name.get(key) if i else by_name.get(part)
            if node is None:
                node = RefiCode(synth_guid("atlas-folder", key), part, codable=False,
                                parent=parent.guid if parent else None)
                (parent.children if parent else out).append(node)
                by_name[key] = node
            parent = node
        if parent is None:   # not reached: a name holding '::' has at least one parent part
            out.append(c)
            continue
        c.name, c.parent = leaf or c.name, parent.guid
        parent.children.append(c)
        moved += 1
    if moved:
        refi.warnings.append(f"{moved} ATLAS.ti code name(s) like 'A::B' read as code B under A")
    return out


def _sets(root, refi: RefiProject, attr: str = "targetGUID") -> None:
    for s in _kids(_kid(root, "Sets"), "Set"):
        refi.sets.append(RefiSet(
            norm_guid(s.get("guid")), (s.get("name") or "").strip(), _text(_kid(s, "Description")),
            sources=[norm_guid(m.get(attr)) for m in _kids(s, "MemberSource")],
            codes=[norm_guid(m.get(attr) or m.get("guid")) for m in _kids(s, "MemberCode")],
            notes=[norm_guid(m.get(attr)) for m in _kids(s, "MemberNote")]))


# ---- sources, notes, cases, links ----------------------------------------------------------------
class _ReadSources:
    """Everything of a <Project> below the codebook."""

    def __init__(self, refi: RefiProject, root, archive: Archive | None, note_refs: list):
        self.refi, self.root, self.archive = refi, root, archive
        self.note_refs = note_refs   # (note guid, target kind, target guid)
        self.objects: dict[str, str] = {c.guid: "code" for c in refi.all_codes()}
        self.members_read: dict[str, str] = {}
        self.case_guids: set[str] = set()
        self.profile = default_profile(refi.producer)

    def run(self) -> None:
        refi, root = self.refi, self.root
        variables = {norm_guid(v.get("guid")): (v.get("name") or "").strip()
                     for v in _kids(_kid(root, "Variables"), "Variable")}
        cases = _kids(_kid(root, "Cases"), "Case")
        self.case_guids = {norm_guid(c.get("guid")) for c in cases}
        sources = _kid(root, "Sources")
        for el in (list(sources) if sources is not None else []):
            if isinstance(el.tag, str):
                self._source(el, variables)
        self._cases(cases, variables)
        for ref in _kids(root, "NoteRef"):
            self.note_refs.append((norm_guid(ref.get("targetGUID")), "project", ""))
        notes = {}
        for el in _kids(_kid(root, "Notes"), "Note"):
            note = self._note(el)
            if note is not None:
                notes[note.guid] = note
        self._links(notes)
        for target_note, kind, g in self.note_refs:
            if target_note in notes:
                notes[target_note].targets.append((kind, g))
        refi.notes.extend(notes.values())
        _sets(root, refi)
        graphs = _kids(_kid(root, "Graphs"), "Graph")
        if graphs:
            refi.drop("graph", f"{len(graphs)} graph(s)", "network views are not imported")

    # text of a source: PlainTextContent, plainTextPath, or the .docx
    def _text(self, el, what: str) -> tuple[str | None, str, str | None]:
        inline = _kid(el, "PlainTextContent")
        if inline is not None:
            return "".join(inline.itertext()), "PlainTextContent", None
        plain, rich = el.get("plainTextPath"), el.get("richTextPath")
        text, why, how = None, None, "plainTextPath"
        archive = self.archive
        if plain:
            member = archive.resolve(plain) if archive is not None else None
            if archive is None or member is None:
                why = "its text file is not in the archive"
                what = f"{what} ({plain})"
            elif member.casefold() in self.members_read:
                return None, "", f"same text file as source '{self.members_read[member.casefold()]}'"
            else:
                self.members_read[member.casefold()] = what
                text, warn = decode_text(archive.read(member))
                if warn and text is not None:
                    self.refi.warnings.append(f"source '{what}': {warn}")
                elif text is None:
                    why = f"its text file is {warn}"
        if (text is None or not text.strip()) and rich and rich.lower().endswith(".docx"):
            member = archive.resolve(rich) if archive is not None else None
            dtext = docx_text(archive.read(member)) if archive is not None and member else None
            if dtext and dtext.strip():
                if text is not None:
                    self.refi.warnings.append(f"source '{what}': its plain text is empty; the "
                                              "text was taken from its .docx")
                return dtext, "richTextPath (docx)", None
            why = why or f"its .docx '{rich}' is not in the archive or has no text"
        if text is None and not plain and not rich:
            why = "it has neither a text file nor text content"
        return text, how, why

    def _source(self, el, variables) -> None:
        kind = _local(el.tag)
        path = el.get("plainTextPath") or el.get("path") or el.get("richTextPath") or ""
        stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", path.replace("\\", "/").rsplit("/", 1)[-1])
        name = (el.get("name") or "").strip() or stem or norm_guid(el.get("guid"))
        g = norm_guid(el.get("guid"))
        self.objects[g] = "source"
        texts = []
        if kind == "TextSource":
            texts.append((el, g, name))
        else:
            n_sel = sum(len(_kids(el, k)) for k in ("PictureSelection", "PDFSelection",
                                                     "AudioSelection", "VideoSelection"))
            for sub in _kids(el, "Representation") + _kids(el, "Transcript"):
                texts.append((sub, norm_guid(sub.get("guid")) or g, name))
                n_sel += len(_kids(sub, "TranscriptSelection"))
            if n_sel:
                self.refi.drop("selection", f"{n_sel} in {kind} '{name}'",
                               "areas of pictures, PDF pages and media time spans are not "
                               "imported (only text)")
            if not texts:
                self.refi.drop("source", f"{kind} '{name}'", "only text sources are imported")
        for sub, sg, sname in texts:
            self._text_source(sub, sg, sname, kind, el, variables)

    def _text_source(self, el, g, name, kind, owner, variables) -> None:
        refi = self.refi
        text, how, why = self._text(el, name)
        sels = _kids(el, "PlainTextSelection")
        if text is not None and not text.strip():
            text, why = None, "its text is empty (also in its .docx, if any)"
        if text is None:
            refi.drop("source", f"{kind} '{name}'", why or "no text")
            if sels:
                refi.drop("selection", f"{len(sels)} in '{name}'", "their source has no text")
            return
        src = RefiSource(g, name, "", kind=kind if kind == "TextSource" else f"{kind} text",
                         user=norm_guid(owner.get("creatingUser")) or None,
                         created=iso_time(owner.get("creationDateTime")), text_from=how)
        self.objects[g] = "source"
        stored = StoredText(text)
        norm = Normalizer(text)
        src.text = norm.text
        items: list[tuple[Element, str, list[RefiCoding]]] = []
        for s in sels:
            sg = norm_guid(s.get("guid")) or synth_guid("selection", g, str(len(items)))
            self.objects[sg] = "selection"
            for ref in _kids(s, "NoteRef"):
                self.note_refs.append((norm_guid(ref.get("targetGUID")), "selection", sg))
            desc = _text(_kid(s, "Description"))
            if desc:   # ATLAS.ti quotation comments, MAXQDA comments: a memo on the span
                self._synth_note(desc, sg, "selection", s)
            codings = self._codings(s, f"'{(s.get('name') or '').strip()[:40]}' in '{name}'")
            items.append((s, sg, codings))
        src.profile, placed = place_selections(stored, norm, items, self.profile, name, refi,
                                               how != "richTextPath (docx)")
        src.selections = placed
        src.codings = self._codings(el, f"source '{name}'")
        for ref in _kids(el, "NoteRef") + (_kids(owner, "NoteRef") if owner is not el else []):
            self.note_refs.append((norm_guid(ref.get("targetGUID")), "source", g))
        desc = _text(_kid(el, "Description"))
        if desc:
            self._synth_note(desc, g, "source", el)
        for vv in _kids(owner, "VariableValue"):
            k, v = _variable_value(vv, variables)
            if k:
                src.variables.setdefault(k, v)
        refi.sources.append(src)

    def _codings(self, el, where: str) -> list[RefiCoding]:
        out = []
        for c in _kids(el, "Coding"):
            cg = norm_guid(c.get("guid"))
            target = norm_guid(_kid(c, "CodeRef").get("targetGUID") if _kid(c, "CodeRef")
                                is not None else None)
            if not cg:
                self.refi.drop("coding", where, "the coding has no GUID")
                continue
            if not target:
                self.refi.drop("coding", where, "the coding names no code")
                continue
            if target in self.case_guids:
                self.refi.drop("coding", where, "it codes with a case, not a code (NVivo "
                               "'coding to cases')")
                continue
            self.objects[cg] = "coding"
            for ref in _kids(c, "NoteRef"):
                self.note_refs.append((norm_guid(ref.get("targetGUID")), "coding", cg))
            out.append(RefiCoding(cg, target, norm_guid(c.get("creatingUser")) or None,
                                  iso_time(c.get("creationDateTime"))))
        return out

    def _synth_note(self, text: str, target: str, kind: str, el) -> None:
        g = synth_guid("description", target)
        self.refi.notes.append(RefiNote(g, "", text, norm_guid(el.get("creatingUser")) or None,
                                        iso_time(el.get("modifiedDateTime")
                                                 or el.get("creationDateTime")),
                                        targets=[(kind, target)]))

    def _note(self, el) -> RefiNote | None:
        g = norm_guid(el.get("guid"))
        name = (el.get("name") or "").strip()
        text, _, why = self._text(el, f"note {name or g}")
        desc = _text(_kid(el, "Description"))
        body = (text or "").strip()
        if not body and not desc:
            self.refi.drop("note", name or g, why or "the note is empty")
            return None
        if desc and desc not in body:
            body = desc + ("\n\n" + body if body else "")
        if name and not squash(body).startswith(squash(name).rstrip("…").rstrip(".")):
            body = name + "\n\n" + body
        if _kids(el, "PlainTextSelection"):
            self.refi.drop("selection", f"in note '{name}'", "codings inside notes are not imported")
        self.objects[g] = "note"
        return RefiNote(g or synth_guid("note", name, body), name, body,
                        norm_guid(el.get("creatingUser")) or None,
                        iso_time(el.get("creationDateTime")))

    def _links(self, notes: dict[str, RefiNote]) -> None:
        for link in _kids(_kid(self.root, "Links"), "Link"):
            a, b = norm_guid(link.get("originGUID")), norm_guid(link.get("targetGUID"))
            for note, other in ((a, b), (b, a)):
                if note in notes and self.objects.get(other) in ("source", "selection", "coding",
                                                                 "code"):
                    notes[note].targets.append((self.objects[other], other))
                    break
            else:
                self.refi.drop("link", (link.get("name") or "").strip() or norm_guid(link.get("guid")),
                               "links between objects are not imported (only a note linked to "
                               "text or a code becomes its memo)")

    def _cases(self, cases, variables) -> None:
        by_guid = {s.guid: s for s in self.refi.sources}
        for case in cases:
            cname = (case.get("name") or "").strip()
            values = dict(_variable_value(vv, variables) for vv in _kids(case, "VariableValue"))
            values.pop("", None)
            refs = [norm_guid(r.get("targetGUID")) for r in _kids(case, "SourceRef")]
            for sg in refs:
                src = by_guid.get(sg)
                if src is None:
                    continue
                for k, v in values.items():
                    if k in src.variables and src.variables[k] != v:
                        self.refi.warnings.append(f"source '{src.name}': variable '{k}' has "
                                                  f"two values; kept '{src.variables[k]}'")
                    src.variables.setdefault(k, v)
                if cname and cname != src.name:
                    old = src.variables.get("case")
                    src.variables["case"] = f"{old}; {cname}" if old and old != cname else cname
            if _kids(case, "SelectionRef") or _kids(case, "CodeRef"):
                self.refi.drop("case", cname or norm_guid(case.get("guid")),
                               "cases of selections or codes are not imported (cases of "
                               "whole sources become attributes)")


def _variable_value(vv, variables) -> tuple[str, str]:
    ref = _kid(vv, "VariableRef")
    name = variables.get(norm_guid(ref.get("targetGUID")) if ref is not None else "", "")
    for c in vv:
        if _local(c.tag).endswith("Value"):
            return name, _text(c)
    return name, ""
