"""The strict REFI-QDA writer: a project → ``.qdpx`` (Project Exchange), a codebook → ``.qdc``.

What is written (docs/INTERCHANGE.md): ``project.qde`` (UTF-8, no BOM, default namespace
``urn:QDA-XML:project:1.0``, the schema's element order, no empty containers) and a flat,
lowercase ``sources/`` holding ``<guid>.txt`` — each transcript's normalized text, exactly what
our offsets index, so codings are ``PlainTextSelection``s in code points of that file. Memos are
``Note``s, attributes are ``Variable``s on one ``Case`` per transcript, done marks are ``Set``s
named ``workbench:done:<coder>``. What REFI-QDA has no field for (code ids and the codebook's
own fields, event ids, sources of codings, the project settings) goes into our extension
``workbench/extension.json``. GUIDs are derived from our ids (uuid5), so repeated exports of an
unchanged project are byte-identical.
"""
from __future__ import annotations

import datetime as _dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from .. import __version__
from ..errors import UsageError
from .model import Dropped, norm_guid
from .refi_read import EXTENSION_FORMAT, EXTENSION_MEMBER, synth_guid

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMA = "http://schema.qdasoftware.org/versions/{0}/v1.0/{0}.xsd"
DONE_SET = "workbench:done:"
EXCERPT_MAX = 200
EXPORTABLE = ("ok", "moved")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass
class ExportResult:
    path: Path
    format: str
    codes: int = 0
    transcripts: int = 0
    codings: int = 0
    memos: int = 0
    coders: list[str] = field(default_factory=list)
    skipped: list[Dropped] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "format": self.format, "codes": self.codes,
                "transcripts": self.transcripts, "codings": self.codings, "memos": self.memos,
                "coders": self.coders, "skipped": [d.to_dict() for d in self.skipped]}


# ---- GUIDs derived from our ids ----------------------------------------------------------------
def code_guid(code) -> str:
    return norm_guid(code.guid) if code.guid else synth_guid("code", code.id)


def event_guid(kind: str, coder: str, event_id: str) -> str:
    """A coding's or memo's GUID: its id when that is a GUID already (imported from REFI-QDA,
    so the original GUID goes back out), else derived from coder and id."""
    g = norm_guid(event_id)
    return g if _GUID.match(g) else synth_guid(kind, coder, event_id)


def user_guid(coder: str) -> str:
    return synth_guid("user", coder)


def source_guid(tid: str) -> str:
    return synth_guid("transcript", tid)


def xml_text(value) -> str:
    """Text XML 1.0 can carry (control characters other than tab and line ends removed)."""
    return _XML_BAD.sub("", str(value))


def refi_time(at: str | None) -> str | None:
    """An ISO 8601 time as xsd:dateTime in UTC (``…Z``); None when it is not a time."""
    if not at:
        return None
    try:
        t = _dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    t = t.astimezone(_dt.timezone.utc)
    ms = f".{t.microsecond // 1000:03d}" if t.microsecond else ""   # xsd:dateTime allows them
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ms + "Z"


def _el(parent, tag: str, attrib: dict | None = None, text: str | None = None):
    e = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in (attrib or {}).items()
                                    if v is not None})
    if text is not None:
        e.text = xml_text(text)
    return e


def _serialize(root) -> bytes:
    ET.indent(root, space=" ")
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n")


def _excerpt(quote: str) -> str:
    """A selection's name: its text (cut with '…' past EXCERPT_MAX), or '' when the text holds
    characters XML cannot carry (the name would then not match the text)."""
    if _XML_BAD.search(quote):
        return ""
    return quote if len(quote) <= EXCERPT_MAX else quote[: EXCERPT_MAX - 1].rstrip() + "…"


def _codes_xml(parent, codebook, *, code_notes: dict | None = None) -> int:
    n = 0
    stack = [(parent, c) for c in reversed(codebook.roots())]
    while stack:
        where, code = stack.pop()
        e = _el(where, "Code", {"guid": code_guid(code), "name": code.name,
                                "isCodable": "false" if code.extra.get("codable") is False
                                else "true", "color": code.color.lower() if code.color else None})
        n += 1
        if code.definition:
            _el(e, "Description", text=code.definition)
        for ng in (code_notes or {}).get(code.id, []):
            _el(e, "NoteRef", {"targetGUID": ng})
        stack.extend((e, codebook.codes[ch]) for ch in reversed(code.children))
    return n


def _code_extension(codebook) -> dict:
    out = {}
    for code in codebook.codes.values():
        d = {"id": code.id}
        for k in ("include", "exclude", "key"):
            if getattr(code, k):
                d[k] = getattr(code, k)
        for k in ("examples", "keywords"):
            if getattr(code, k):
                d[k] = list(getattr(code, k))
        if code.extra:
            d["extra"] = code.extra
        out[code_guid(code)] = d
    return out


# ---- .qdc ----------------------------------------------------------------------------------------
def codebook_xml(codebook) -> bytes:
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": f"workbench {__version__}",
                                   "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                                   "xsi:schemaLocation": f"{CODEBOOK_NS} " + SCHEMA.format("Codebook")})
    _codes_xml(_el(root, "Codes"), codebook)
    return _serialize(root)


def export_qdc(project, path: str | Path, *, force: bool = False) -> ExportResult:
    from ..export import claim_target
    from ..fileio import atomic_write
    path = Path(path)
    claim_target(path, force)
    data = codebook_xml(project.codebook)
    atomic_write(path, data)
    return ExportResult(path, "qdc", codes=len(project.codebook))


# ---- .qdpx ---------------------------------------------------------------------------------------
class _ProjectWriter:
    def __init__(self, project, coders: list[str]):
        self.p, self.coders = project, coders
        self.cb = project.codebook
        self.result = ExportResult(Path(), "qdpx", coders=list(coders))
        self.ext: dict[str, Any] = {
            "format": EXTENSION_FORMAT, "workbench": __version__,
            "project": {"name": project.name, "language": project.config.language,
                        "interviewer_speakers": list(project.config.interviewer_speakers)},
            "codebook": {"name": self.cb.name, "description": self.cb.description,
                         "merges": self.cb.merges, "extra": self.cb.extra},
            "codes": _code_extension(self.cb), "transcripts": {}, "codings": {}, "memos": {}}
        self.files: dict[str, bytes] = {}

    def skip(self, kind, name, reason):
        self.result.skipped.append(Dropped(kind, name, reason))

    def build(self) -> bytes:
        p = self.p
        tids = p.transcript_ids()
        catalog = p.catalog()     # attributes, formats, speakers without parsing again
        texts = {tid: p.text(tid) for tid in tids}
        # selections: (tid, start, end) -> {"codings": [(coder, coding)], "notes": [guid]}
        spans: dict[tuple, dict] = {}
        coding_guids: dict[tuple[str, str], str] = {}   # (coder, coding id) -> guid
        coding_notes: dict[str, list[str]] = {}
        for coder in self.coders:
            for c in p.codings(coder):
                if c.status not in EXPORTABLE or c.transcript not in texts:
                    self.skip("coding", f"{coder}: {c.transcript} {c.start}–{c.end} {c.code}",
                              f"status {c.status}: its place in the text is not certain")
                    continue
                g = event_guid("coding", coder, c.id)
                coding_guids[(coder, c.id)] = g
                spans.setdefault((c.transcript, c.start, c.end), {"codings": [], "notes": []})[
                    "codings"].append((coder, c, g))
                self.ext["codings"][g] = {"id": c.id, "coder": coder, "source": c.source,
                                          **({"settles": c.settles} if c.settles else {})}
                self.result.codings += 1
        notes, source_notes, code_notes, project_notes = self._memos(
            texts, spans, coding_guids, coding_notes)
        root = ET.Element("Project", {
            "xmlns": PROJECT_NS, "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsi:schemaLocation": f"{PROJECT_NS} " + SCHEMA.format("Project"),
            "name": xml_text(p.name) or "project", "origin": f"workbench {__version__}"})
        if self.coders:
            users = _el(root, "Users")
            for coder in self.coders:
                _el(users, "User", {"guid": user_guid(coder), "name": coder})
        if len(self.cb):
            self.result.codes = _codes_xml(_el(_el(root, "CodeBook"), "Codes"), self.cb,
                                           code_notes=code_notes)
        attrs = {tid: catalog[tid].attributes for tid in tids}
        names = list(dict.fromkeys(k for a in attrs.values() for k in a))
        if names:
            variables = _el(root, "Variables")
            for k in names:
                _el(variables, "Variable", {"guid": synth_guid("variable", k), "name": k,
                                            "typeOfVariable": "Text"})
            cases = _el(root, "Cases")
            for tid in tids:
                if not attrs[tid]:
                    continue
                case = _el(cases, "Case", {"guid": synth_guid("case", tid), "name": tid})
                for k, v in attrs[tid].items():
                    vv = _el(case, "VariableValue")
                    _el(vv, "VariableRef", {"targetGUID": synth_guid("variable", k)})
                    _el(vv, "TextValue", text=v)
                _el(case, "SourceRef", {"targetGUID": source_guid(tid)})
        if tids:
            sources = _el(root, "Sources")
            by_tid: dict[str, list] = {}
            for key in sorted(spans):
                by_tid.setdefault(key[0], []).append(key)
            for tid in tids:
                self._source(sources, tid, texts[tid], catalog[tid], by_tid.get(tid, []),
                             spans, coding_notes, source_notes.get(tid, []))
        if notes:
            notes_el = _el(root, "Notes")
            for n in notes:
                note = _el(notes_el, "Note", n["attrib"])
                _el(note, "PlainTextContent", text=n["text"])
        done_sets = [(coder, sorted(t for t in p.state(coder).done if t in texts))
                     for coder in self.coders]
        done_sets = [(c, d) for c, d in done_sets if d]
        if done_sets:
            sets = _el(root, "Sets")
            for coder, done in done_sets:
                s = _el(sets, "Set", {"guid": synth_guid("done", coder), "name": DONE_SET + coder})
                _el(s, "Description", text=f"Transcripts {coder} marked done in the workbench")
                for tid in done:
                    _el(s, "MemberSource", {"targetGUID": source_guid(tid)})
        for g in project_notes:
            _el(root, "NoteRef", {"targetGUID": g})
        self.result.transcripts = len(tids)
        return _serialize(root)

    def _source(self, sources, tid, text, info, keys, spans, coding_notes, notes) -> None:
        g = source_guid(tid)
        ext: dict[str, Any] = {"id": tid, "format": info.format}
        if info.format in ("docx", "vtt", "srt"):
            ext["speakers"] = sorted({s for s in info.speakers if s})
        self.ext["transcripts"][g] = ext
        self.files[f"sources/{g}.txt"] = text.encode("utf-8")
        src = _el(sources, "TextSource", {"guid": g, "name": tid,
                                          "plainTextPath": f"internal://{g}.txt"})
        for key in keys:
            _, start, end = key
            span = spans[key]
            sel = _el(src, "PlainTextSelection", {
                "guid": synth_guid("selection", tid, str(start), str(end)),
                "name": _excerpt(text[start:end]), "startPosition": str(start),
                "endPosition": str(end)})
            for coder, c, cg in span["codings"]:
                coding = _el(sel, "Coding", {"guid": cg, "creatingUser": user_guid(coder),
                                             "creationDateTime": refi_time(c.at)})
                _el(coding, "CodeRef", {"targetGUID": code_guid(self.cb.codes[c.code])})
                for ng in coding_notes.get(cg, []):
                    _el(coding, "NoteRef", {"targetGUID": ng})
            for ng in span["notes"]:
                _el(sel, "NoteRef", {"targetGUID": ng})
        for ng in notes:
            _el(src, "NoteRef", {"targetGUID": ng})

    def _memos(self, texts, spans, coding_guids, coding_notes):
        notes: list[dict[str, Any]] = []
        source_notes: dict[str, list[str]] = {}
        code_notes: dict[str, list[str]] = {}
        project_notes: list[str] = []
        for coder in self.coders:
            for m in self.p.memos(coder):       # span memos placed in today's text
                g = event_guid("memo", coder, m.id)
                if g in self.ext["memos"]:
                    continue
                label = (m.text or "").strip().splitlines()[0][:60] if (m.text or "").strip() else "memo"
                self.ext["memos"][g] = {"id": m.id, "coder": coder}
                target_guid = coding_guids.get((coder, m.target)) if m.target else None
                if m.code is not None:
                    if m.code not in self.cb.codes:
                        self.skip("memo", f"{coder}: {label}", f"its code '{m.code}' is not in "
                                  "the codebook")
                        del self.ext["memos"][g]
                        continue
                    code_notes.setdefault(m.code, []).append(g)
                elif target_guid:
                    coding_notes.setdefault(target_guid, []).append(g)
                elif m.transcript and m.transcript in texts:
                    span = _span(m, len(texts[m.transcript]))
                    if span and m.on_span and not m.placed:
                        self.skip("memo span", f"{coder}: {label}", f"status {m.status}: its "
                                  "place in the text is not certain; the memo is attached to "
                                  "its transcript instead")
                        span = None
                    if span:
                        spans.setdefault((m.transcript, *span),
                                         {"codings": [], "notes": []})["notes"].append(g)
                    else:
                        source_notes.setdefault(m.transcript, []).append(g)
                elif m.transcript or m.target:
                    self.skip("memo", f"{coder}: {label}", "its transcript or coding is not "
                              "exported")
                    del self.ext["memos"][g]
                    continue
                else:
                    project_notes.append(g)
                notes.append({"attrib": {"guid": g, "name": label, "creatingUser": user_guid(coder),
                                         "creationDateTime": refi_time(m.at)},
                              "text": m.text or ""})
                self.result.memos += 1
        return notes, source_notes, code_notes, project_notes


def _span(memo, n: int) -> tuple[int, int] | None:
    """A memo's (start, end) when it is on a span inside a text of length ``n``."""
    try:
        start, end = int(memo.start), int(memo.end)
    except (TypeError, ValueError, OverflowError):
        return None
    return (start, end) if 0 <= start < end <= n else None


def qdpx_bytes(project, coders: list[str] | None = None) -> tuple[bytes, ExportResult]:
    """The ``.qdpx`` of ``project`` (all coders' work, or only ``coders``') in memory."""
    coders = project.coders() if coders is None else coders
    w = _ProjectWriter(project, coders)
    xml = w.build()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        def put(name, data):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
        put("project.qde", xml)
        for name in sorted(w.files):
            put(name, w.files[name])
        put(EXTENSION_MEMBER, json.dumps(w.ext, ensure_ascii=False,
                                         separators=(",", ":")).encode("utf-8"))
    return buf.getvalue(), w.result


def export_qdpx(project, path: str | Path, *, coders: list[str] | None = None,
                force: bool = False) -> ExportResult:
    from ..export import claim_target
    from ..fileio import atomic_write
    path = Path(path)
    claim_target(path, force)
    for c in coders or []:
        if c not in project.coders():
            raise UsageError(f"no coding log for coder '{c}'",
                             hint=f"coders with a log: {', '.join(project.coders()) or 'none'}")
    data, result = qdpx_bytes(project, coders)
    atomic_write(path, data)
    result.path = path
    return result
