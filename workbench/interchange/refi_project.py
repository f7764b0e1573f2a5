"""Apply a read REFI-QDA file to a workbench project: a new project (``init --from``) or a merge
into an existing one (``import``).

Nothing of ours is deleted or renamed. Codes match by GUID (``guid`` in the codebook, or the
GUID our own exports derive from a code id) or by name path; other codes are added. A source is
the same transcript as one of ours when its text equals ours after normalisation (also ignoring
our front matter, or all whitespace), or when its name is one of our transcript ids; its
codings are placed in our text and checked. Other sources become new transcripts. Each REFI
user is a coder; codings are appended to ``codings/<coder>.jsonl`` as ``code`` events whose
``id`` is the REFI Coding GUID (or the id our own export recorded), so importing a file again
adds nothing twice. Everything is planned (and checked) before anything is written;
``dry_run`` only plans. The :class:`~.summary.ImportSummary` says what was imported and what
was dropped, and why.
"""
from __future__ import annotations

import contextlib
import json
import re
import shutil
import unicodedata
import zlib
from pathlib import Path
from typing import Any

from ..anchoring import selector
from ..codebook import Codebook
from ..config import validate_coder
from ..errors import InterchangeError, TranscriptError, WorkbenchError
from ..fileio import atomic_file, atomic_write
from ..hotkeys import clash
from ..paths import PROJECT_FILE
from ..project import Project
from ..scaffold import init_project
from ..transcripts import load_transcript
from ..transcripts.text import split_front_matter
from .matching import Search, Shift, Spaces, has_turns
from .model import RefiProject, RefiSource
from .positions import squash
from .refi_read import read_refi, synth_guid
from .refi_write import DONE_SET, code_guid
from .summary import ImportSummary

_ID_BAD = re.compile(r"[^\w.\-]+")
RESERVED_ATTRIBUTES = ("id",)   # the rest are attributes like any other in attributes.csv


def _slug(text: str, fallback: str) -> str:
    s = _ID_BAD.sub("_", unicodedata.normalize("NFC", text).strip()).strip("._-")
    return s[:80] or fallback


def _name_key(name: str) -> str:
    return squash(name).casefold()


def _obj(d: dict[str, Any], key: str) -> dict[str, Any]:
    """``d[key]`` when it is a JSON object, else an empty one (our extension is read leniently:
    a damaged or foreign field is ignored)."""
    v = d.get(key)
    return v if isinstance(v, dict) else {}


class _Plan:
    """What an import will write: codebook, transcript files, attribute rows, log events."""

    def __init__(self, project: Project, refi: RefiProject, fresh: bool):
        self.p, self.refi, self.fresh = project, refi, fresh
        self.s = ImportSummary(file=refi.path, origin=refi.origin, kind=refi.kind,
                               producer=refi.producer)
        self.s.dropped = list(refi.dropped)
        self.s.warnings = list(refi.warnings)
        self.ext: dict[str, Any] = refi.extension or {}
        self.codebook: Codebook | None = None
        self.code_map: dict[str, str] = {}
        self.files: list[tuple[Path, str]] = []
        self.attributes: dict[str, dict[str, str]] = {}
        self.events: dict[str, list[dict]] = {}
        self.source_tid: dict[str, str] = {}
        self.new_crc: dict[str, int] = {}   # transcripts this import writes: CRC-32 of the file

    def drop(self, kind, name, reason):
        self.s.drop(kind, name, reason)

    # ---- codebook -----------------------------------------------------------------------------
    def codes(self) -> None:
        # a copy: a dry run (or a failed plan) leaves the project's codebook object untouched
        cb = Codebook.load(self.p.codebook_path()) if not self.fresh else None
        ext_cb = _obj(self.ext, "codebook")
        if cb is None:
            name = str(ext_cb.get("name") or self.refi.name or "Imported codebook")
            cb = Codebook(name, {}, path=self.p.root / "codebooks" / "codebook.yaml",
                          merges=[m for m in ext_cb.get("merges") or [] if isinstance(m, dict)
                                  and "from" in m and "into" in m],
                          description=str(ext_cb.get("description") or ""),
                          extra=_obj(ext_cb, "extra"))
        by_guid: dict[str, str] = {}
        for c in cb.codes.values():
            by_guid[code_guid(c)] = c.id
            by_guid.setdefault(synth_guid("code", c.id), c.id)
        for m in cb.merges:
            by_guid.setdefault(synth_guid("code", m["from"]), cb.resolve(m["from"]))
        paths = {self._path(cb, c.id): c.id for c in cb.codes.values()}
        ext_codes = _obj(self.ext, "codes")
        changed = False
        for code in self.refi.all_codes():
            parent = self.code_map.get(code.parent) if code.parent else None
            if code.parent and parent is None:
                self.drop("code", code.name, "its parent code was not imported")
                continue
            ours = by_guid.get(code.guid)
            path = (self._path(cb, parent) if parent else ()) + (_name_key(code.name),)
            if ours is None and path in paths:
                ours = paths[path]
                if not cb.codes[ours].guid and synth_guid("code", ours) != code.guid:
                    cb.codes[ours].guid = code.guid      # matched by name: remember its GUID
                    changed = True
            if ours is not None and ours in cb.codes:
                self.code_map[code.guid] = ours
                self.s.codes_matched += 1
                continue
            ext = _obj(ext_codes, code.guid)
            cid = self._new_id(cb, ext.get("id"), parent, code.name)
            fields = {"definition": code.description, "color": code.color,
                      "guid": None if synth_guid("code", cid) == code.guid else code.guid,
                      "extra": dict(_obj(ext, "extra"))}
            for k in ("include", "exclude"):
                if isinstance(ext.get(k), str):
                    fields[k] = ext[k]
            for k in ("examples", "keywords"):
                if isinstance(ext.get(k), list):
                    fields[k] = [str(x) for x in ext[k]]
            key = ext.get("key")
            if isinstance(key, str) and len(key) == 1 and cb.by_key(key) is None \
                    and clash(key) is None:   # a key the coding screen uses is left off
                fields["key"] = key
            if not code.codable:
                fields["extra"]["codable"] = False
            try:
                cb.add(cid, code.name, parent=parent, **fields)
            except WorkbenchError as e:
                self.drop("code", code.name, e.message)
                continue
            self.code_map[code.guid] = cid
            paths[path] = cid
            by_guid[code.guid] = cid
            self.s.codes_added.append(cid)
            changed = True
        if changed or self.fresh:
            self.codebook = cb if len(cb) else None
        if self.fresh and not len(cb):
            self.s.warnings.append("the file has no codes: the project keeps the starter codebook")

    @staticmethod
    def _path(cb: Codebook, cid: str) -> tuple:
        return tuple(_name_key(cb.codes[c].name) for c in [*reversed(cb.ancestors(cid)), cid])

    @staticmethod
    def _new_id(cb: Codebook, wanted, parent: str | None, name: str) -> str:
        if isinstance(wanted, str) and re.match(r"^[^\s:]+$", wanted) and wanted not in cb.codes \
                and cb.resolve(wanted) == wanted:
            return wanted
        base = _slug(name.casefold(), "code").replace(".", "_")
        base = f"{parent}.{base}" if parent else base
        cid, n = base, 2
        while cid in cb.codes or cb.resolve(cid) != cid:
            cid, n = f"{base}_{n}", n + 1
        return cid

    # ---- transcripts --------------------------------------------------------------------------
    def transcripts(self) -> list[tuple[RefiSource, str, Shift]]:
        """For every source: (source, transcript id, placer) — placer maps (start, end) of the
        source's text to our text, or None when it cannot."""
        p = self.p
        texts = {tid: p.text(tid) for tid in p.transcript_ids()} if not self.fresh else {}
        by_text = {t: tid for tid, t in texts.items()}
        by_body: dict[str, tuple[str, int]] = {}   # text below the front matter -> (tid, k)
        by_ws: dict[str, tuple[str, int]] = {}     # text without whitespace -> (tid, k)
        for tid, t in texts.items():
            try:
                _, body = split_front_matter(t, tid)
            except TranscriptError:
                body = 0
            if body:
                by_body.setdefault(t[body:], (tid, body))
                by_ws.setdefault(re.sub(r"\s+", "", t[body:]), (tid, body))
            by_ws.setdefault(re.sub(r"\s+", "", t), (tid, 0))
        taken = {tid.casefold() for tid in texts}
        taken |= {f.stem.casefold() for f in p.transcripts_dir.glob("*")} \
            if p.transcripts_dir.is_dir() else set()
        ext_t = _obj(self.ext, "transcripts")
        out: list[tuple[RefiSource, str, Shift]] = []
        for src in self.refi.sources:
            text = src.text
            if text in by_text:
                tid = by_text[text]
                out.append((src, tid, Shift(texts[tid], 0)))
                self.s.matched(src.name, tid, "same text")
            elif text in by_body:
                tid, k = by_body[text]
                out.append((src, tid, Shift(texts[tid], k)))
                self.s.matched(src.name, tid, "same text (below our front matter)")
            elif re.sub(r"\s+", "", text) in by_ws and text.strip():
                tid, k = by_ws[re.sub(r"\s+", "", text)]
                out.append((src, tid, Spaces(text, texts[tid], k)))
                self.s.matched(src.name, tid, "same text but for whitespace")
            elif src.name in texts:
                out.append((src, src.name, Search(text, texts[src.name])))
                self.s.matched(src.name, src.name, "same id, different text: codings placed "
                                                   "by their quotes")
            else:
                placed = self._new_transcript(src, ext_t.get(src.guid), taken)
                if placed is None:
                    continue
                tid, content, shift = placed
                taken.add(tid.casefold())
                by_text[content] = tid
                texts[tid] = content
                out.append((src, tid, Shift(content, shift)))
            self.source_tid[src.guid] = out[-1][1]
        return out

    def _new_transcript(self, src: RefiSource, ext, taken: set[str]):
        ext = ext if isinstance(ext, dict) else {}
        wanted = ext.get("id") if isinstance(ext.get("id"), str) else src.name
        tid = base = _slug(wanted, "source-" + src.guid[:8])
        n = 2
        while tid.casefold() in taken:
            tid, n = f"{base}-{n}", n + 1
        path = self.p.transcripts_dir / f"{tid}.txt"
        cfg = self.p.config.interviewer_speakers
        text = src.text
        try:
            t = load_transcript(path, interviewer_speakers=cfg, data=text.encode("utf-8"))
            has_front = text.startswith("---\n")
        except TranscriptError:
            t, has_front = None, False
        header: dict[str, str | list[str]] = {}
        if t is not None and t.id != tid:     # its own front matter names it
            if t.id.casefold() in taken:
                self.drop("source", src.name, f"its front matter names it '{t.id}', which is "
                          "already a transcript of the project")
                return None
            tid = t.id
            path = self.p.transcripts_dir / f"{_slug(tid, 'source-' + src.guid[:8])}.txt"
            if path.stem.casefold() in taken:
                self.drop("source", src.name, f"transcripts/{path.name} already exists")
                return None
        # how to read the text: its own front matter says it (our own exports), else a header
        speakers = ext.get("speakers")
        if has_front:
            pass
        elif isinstance(speakers, list) and speakers and t is not None and \
                sorted({s.speaker for s in t.segments if s.speaker}) != sorted(map(str, speakers)):
            header = {"speakers": [str(x) for x in speakers]}   # a .docx/.vtt/.srt of ours
        elif t is None or not has_turns(t):
            header["segments"] = "paragraphs"
        head = "---\n" + "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n"
                                 for k, v in header.items()) + "---\n" if header else ""
        content = head + text
        try:
            if head or t is None:   # read back what will be written
                t = load_transcript(path, interviewer_speakers=cfg, data=content.encode("utf-8"))
        except TranscriptError as e:
            self.drop("source", src.name, f"its text is not a usable transcript ({e.message})")
            return None
        if t.text != content:
            self.drop("source", src.name, "its text changes when read back (internal check)")
            return None
        attrs = {}
        for k, v in src.variables.items():
            if t.attributes.get(k) == v or v == "":
                continue
            if k in RESERVED_ATTRIBUTES or not k.strip() or "\n" in k:
                self.drop("attribute", f"{k}={v} of '{src.name}'", f"'{k}' is not a usable "
                          "attribute name")
            else:
                attrs[k] = v
        groups = [s.name for s in self.refi.sets if src.guid in s.sources
                  and not s.name.startswith(DONE_SET)]
        if groups:
            attrs.setdefault("sets", "; ".join(sorted(groups)))
        if attrs:
            self.attributes[tid] = attrs
            self.s.attributes += len(attrs)
        self.files.append((path, content))
        self.s.transcripts_new.append(tid)
        self.new_crc[tid] = zlib.crc32(content.encode("utf-8"))
        return tid, content, len(head)

    # ---- coders and events ----------------------------------------------------------------------
    def coders(self) -> None:
        self.user_coder: dict[str, str] = {}
        used: set[str] = set()
        for g, u in self.refi.users.items():
            name = _slug(unicodedata.normalize("NFKD", u.name or u.initials).encode(
                "ascii", "ignore").decode(), "user-" + g[:8])
            name = re.sub(r"^[^A-Za-z0-9]+", "", name)[:64] or "user-" + g[:8]
            base, n = name, 2
            while name in used:
                name, n = f"{base}-{n}", n + 1
            used.add(name)
            self.user_coder[g] = validate_coder(name)
        self.fallback = self.user_coder.get(self.refi.user or "") or (
            self.refi.producer if self.refi.producer != "spec" else "refi")

    def coder_of(self, *guids) -> str:
        for g in guids:
            if g and g in self.user_coder:
                return self.user_coder[g]
        return self.fallback

    def codings(self, placed: list[tuple[RefiSource, str, Shift]]) -> None:
        p = self.p
        known = {c: p.state(c) for c in p.coders()} if not self.fresh else {}
        self.ids = {c: set(st.codings) | {m.id for m in st.memos} for c, st in known.items()}
        self.spans = {c: {(r.transcript, r.start, r.end, r.code) for r in st.codings.values()}
                      for c, st in known.items()}
        self.memo_keys = {c: {(m.transcript, m.target, m.start, m.end, m.code, m.text)
                              for m in st.memos} for c, st in known.items()}
        self.done = {c: set(st.done) for c, st in known.items()}
        ext_c = _obj(self.ext, "codings")
        self.coding_event: dict[str, tuple[str, str, str]] = {}   # guid -> (coder, id, tid)
        self.selection_at: dict[str, tuple[str, int, int, dict]] = {}   # + a memo's anchor
        for src, tid, placer in placed:
            for sel in src.selections:
                span = placer.place(sel.start, sel.end, src.text[sel.start:sel.end])
                if span is None:
                    self.drop("selection", squash(src.text[sel.start:sel.end])[:60] or sel.guid,
                              f"could not be placed in transcript {tid}")
                    continue
                self.selection_at[sel.guid] = (tid, span[0], span[1],
                                               self._fields(tid, span[0], span[1], placer.text))
                self.s.placement[sel.check] = self.s.placement.get(sel.check, 0) + 1
                for c in sel.codings:
                    self._coding(c, tid, span, placer.text, ext_c.get(c.guid), sel.user, sel.created)
            if src.codings:
                whole = placer.whole()
                for c in src.codings:
                    self._coding(c, tid, whole, placer.text, ext_c.get(c.guid), src.user,
                                 src.created)
                self.s.warnings.append(f"source '{src.name}': {len(src.codings)} coding(s) of "
                                       f"the whole source code all of transcript {tid}")

    def _fields(self, tid: str, start: int, end: int, text: str) -> dict[str, Any]:
        """``quote``, ``prefix``, ``suffix`` and ``transcript_crc`` of a coding, from our text
        of the transcript it lands on (so that it is found again when the transcript is edited).
        """
        crc = self.new_crc.get(tid)
        if crc is None:   # one of ours: as every writer of codings records it
            return self.p.coding_fields(tid, start, end, text)
        return {**selector(text, start, end), "transcript_crc": crc}   # written by this import

    def _coding(self, c, tid, span, text, ext, user, created) -> None:
        code = self.code_map.get(c.code)
        if code is None:
            self.drop("coding", f"{tid} {span[0]}–{span[1]}", f"its code {c.code} is not in "
                      "the file's codebook (or was not imported)")
            return
        coder = self.coder_of(c.user, user)
        ext = ext if isinstance(ext, dict) else {}
        eid = str(ext.get("id") or c.guid)
        self.coding_event[c.guid] = (coder, eid, tid)
        key = (tid, span[0], span[1], code)
        if eid in self.ids.setdefault(coder, set()) or key in self.spans.setdefault(coder, set()):
            self.s.present += 1
            return
        self.ids[coder].add(eid)
        self.spans[coder].add(key)
        source = ext.get("source") if ext.get("source") in ("manual", "suggestion", "consensus",
                                                            "import") else "import"
        ev = {"op": "code", "id": eid, "transcript": tid, "start": span[0], "end": span[1],
              "code": code, **self._fields(tid, span[0], span[1], text), "source": source}
        if isinstance(ext.get("settles"), dict):
            ev["settles"] = ext["settles"]
        if c.created or created:
            ev["at"] = c.created or created
        self.events.setdefault(coder, []).append(ev)
        self.s.codings[coder] = self.s.codings.get(coder, 0) + 1

    def memos(self) -> None:
        ext_m = _obj(self.ext, "memos")
        for note in self.refi.notes:
            coder = self.coder_of(note.user)
            ext = _obj(ext_m, note.guid)
            eid = str(ext.get("id") or note.guid)
            ev: dict[str, Any] = {"op": "memo", "id": eid, "transcript": None, "target": None, "text": note.text}
            targets = note.targets or [("project", "")]
            kind, g = targets[0]
            if len(targets) > 1:
                self.s.warnings.append(f"note '{note.name or note.text[:30]}' is attached to "
                                       f"{len(targets)} objects: kept on the first")
            if kind == "code" and g in self.code_map:
                ev["code"] = self.code_map[g]
            elif kind == "coding" and g in self.coding_event:
                _, target, tid = self.coding_event[g]
                ev.update(transcript=tid, target=target)
            elif kind == "selection" and g in self.selection_at:
                tid, a, b, anchor = self.selection_at[g]
                ev.update(transcript=tid, start=a, end=b, **anchor)
            elif kind == "source" and g in self.source_tid:
                ev["transcript"] = self.source_tid[g]
            elif kind != "project":
                self.drop("note", note.name or note.text[:40], f"the {kind} it is attached to "
                          "was not imported")
                continue
            else:
                self.s.project_memos += 1
            key = (ev["transcript"], ev["target"], ev.get("start"), ev.get("end"), ev.get("code"),
                   note.text)
            if eid in self.ids.setdefault(coder, set()) or \
                    key in self.memo_keys.setdefault(coder, set()):
                self.s.present += 1
                continue
            self.ids[coder].add(eid)
            self.memo_keys[coder].add(key)
            if note.created:
                ev["at"] = note.created
            self.events.setdefault(coder, []).append(ev)
            self.s.memos[coder] = self.s.memos.get(coder, 0) + 1

    def sets(self) -> None:
        for st in self.refi.sets:
            if st.name.startswith(DONE_SET):
                coder = st.name[len(DONE_SET):]
                try:
                    validate_coder(coder)
                except WorkbenchError:
                    self.drop("set", st.name, "not a usable coder name")
                    continue
                for g in st.sources:
                    tid = self.source_tid.get(g)
                    if tid and tid not in self.done.setdefault(coder, set()):
                        self.done[coder].add(tid)
                        self.events.setdefault(coder, []).append({"op": "done", "transcript": tid})
                        self.s.done[coder] = self.s.done.get(coder, 0) + 1
            elif st.codes or st.notes:
                self.drop("set", st.name, "sets of codes or notes are not imported")
            elif not st.sources:
                self.drop("set", st.name or st.guid, "the set is empty")

    # ---- writing ------------------------------------------------------------------------------
    def execute(self, refresh: bool = True) -> None:
        """Write the plan: transcripts, attributes, codebook, then each coder's events.
        ``refresh``: rebuild the project's transcript catalog now (else at its next use)."""
        p = self.p
        with contextlib.ExitStack() as stack:
            # every coder's log is locked first: a log open elsewhere (LockedError) stops the
            # import before any transcript, codebook change or event is written (a new coder's
            # log may be left empty)
            logs = {c: stack.enter_context(p.log(c)) for c in sorted(self.events)}
            for path, content in self.files:
                _write_new(path, content)
            if self.attributes:
                from ..importer import write_attributes
                write_attributes(p, self.attributes)
            if self.codebook is not None:
                self.codebook.save()
            for coder, log in logs.items():   # one write and one fsync per coder's log
                log.extend(self.events[coder])
        if refresh:
            p.catalog(refresh=True)


def _write_new(path: Path, content: str) -> None:
    """A new transcript file (through the one atomic writer: the mode any new file gets); one
    that appeared since the plan was made is not overwritten."""
    with atomic_file(path, "wb") as f:
        f.write(content.encode("utf-8"))
        if path.exists():
            raise InterchangeError("already exists", file=path, hint="import again")


# ---- entry points ------------------------------------------------------------------------------
def _check_not_empty(refi: RefiProject) -> None:
    if refi.is_empty():
        reasons = sorted({d.reason for d in refi.dropped})[:3]
        raise InterchangeError("nothing to import: the file has no codes, no text sources and "
                               "no notes" + (f" ({'; '.join(reasons)})" if reasons else ""),
                               file=refi.path, hint="export the project with its codebook and "
                                                    "sources from the QDA program")


def plan_import(project: Project, refi: RefiProject, *, fresh: bool = False) -> _Plan:
    _check_not_empty(refi)
    plan = _Plan(project, refi, fresh)
    plan.codes()
    if refi.kind == "project":
        placed = plan.transcripts()
        plan.coders()
        plan.codings(placed)
        plan.memos()
        plan.sets()
    return plan


def import_refi(project: Project, path: str | Path, *, dry_run: bool = False) -> ImportSummary:
    """``workbench import PROJECT FILE.qdpx|.qdc``: merge the file into ``project``."""
    plan = plan_import(project, read_refi(path))
    plan.s.dry_run = dry_run
    if not dry_run:
        plan.execute()
    return plan.s


def init_from_refi(path: str | Path, source: str | Path, *, name: str | None = None,
                   language: str | None = None) -> tuple[Path, ImportSummary]:
    """``workbench init PATH --from FILE``: a new project holding what the file holds."""
    refi = read_refi(source)
    _check_not_empty(refi)
    ext = refi.extension or {}
    ext_p = _obj(ext, "project")
    root = Path(path).expanduser().resolve()
    existed = root.exists()
    for sub in ("transcripts", "codings"):
        if (root / sub).is_dir() and any((root / sub).iterdir()) and \
                not (root / PROJECT_FILE).exists():
            raise InterchangeError(f"the folder already has {sub}/ with files in it", file=root,
                                   hint="give a new or empty folder for the new project")
    root = init_project(root, name=name or ext_p.get("name") or refi.name or None,
                        language=language or str(ext_p.get("language") or "en"))
    try:
        speakers = ext_p.get("interviewer_speakers")
        if isinstance(speakers, list) and all(isinstance(x, str) for x in speakers):
            toml = root / PROJECT_FILE
            atomic_write(toml, re.sub(r"(?m)^interviewer_speakers = .*$",
                                      lambda m: "interviewer_speakers = " + json.dumps(
                                          speakers, ensure_ascii=False),
                                      toml.read_text(encoding="utf-8"), count=1))
        project = Project.open(root)
        plan = plan_import(project, refi, fresh=True)
        plan.execute(refresh=False)
    except BaseException:
        if not existed:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return root, plan.s
