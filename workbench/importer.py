"""``workbench import``: copy transcript files into a project after parsing them; with
``--replace``, put a corrected version in place of a transcript (same id), keeping the old file
and every coding (re-anchored by the core when next read)."""
from __future__ import annotations

import csv
import datetime as _dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import ATTRIBUTES_FILE
from .errors import TranscriptError, UsageError
from .fileio import atomic_file, atomic_write, atomic_write_with, remove_stale_temps
from .project import Project
from .transcripts import FORMATS, load_transcript


@dataclass
class ImportResult:
    id: str
    source: Path
    dest: Path
    format: str
    segments: int
    speakers: list[str]
    interviewer_turns: int
    attributes: dict
    warnings: list[str] = field(default_factory=list)
    title: str | None = None        # a title line: kept in the text, not a turn
    title_note: str | None = None
    replaced: Path | None = None    # --replace: the file the new one replaced
    backup: Path | None = None      # --replace: where the old file is kept
    codings: dict[str, dict[str, int]] = field(default_factory=dict)  # coder -> status -> n

REPLACED_DIR = ".replaced"   # transcripts/.replaced/: earlier versions of replaced transcripts


def parse_attrs(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for p in pairs or []:
        if "=" not in p or not p.split("=", 1)[0].strip():
            raise UsageError(f"--attr '{p}' is not key=value", hint="e.g. --attr region=Perm")
        k, v = p.split("=", 1)
        if k.strip() == "id":
            raise UsageError("--attr cannot set 'id'", hint="the id is the file name or front matter 'id'")
        out[k.strip()] = v.strip()
    return out


def import_files(project: Project, files: list[str | os.PathLike],
                 attrs: dict[str, str] | None = None, *, replace: bool = False
                 ) -> list[ImportResult]:
    """Parse every file first; copy nothing unless all parse and no id is taken.

    ``replace``: each file is a corrected version of a transcript already in the project (the
    same id), put in its place atomically; the old file is kept in ``transcripts/.replaced/``,
    the logs are not touched, and each result says how each coder's codings of it came out
    (``ok``, ``moved``, ``needs_review`` …) when re-anchored against the new text."""
    attrs = attrs or {}
    existing = project.catalog()
    parsed = []
    seen: dict[str, Path] = {}
    for f in files:
        src = Path(f).expanduser()
        if not src.is_file():
            raise TranscriptError("file not found", file=src)
        if src.suffix.lower() not in FORMATS:
            raise TranscriptError(f"unsupported file type '{src.suffix}'", file=src,
                                  hint="use .txt, .md, .docx, .vtt or .srt")
        t = load_transcript(src, interviewer_speakers=project.config.interviewer_speakers,
                            extra_attributes=attrs)
        if replace and t.id not in existing:
            raise TranscriptError(f"no transcript with id '{t.id}' to replace", file=src,
                                  hint="import it without --replace, or give the file the id "
                                       "of the transcript it corrects (its name or 'id:')")
        if t.id in existing and not replace:
            raise TranscriptError(f"a transcript with id '{t.id}' is already in the project "
                                  f"({existing[t.id].path})", file=src,
                                  hint="rename the file or set another 'id:' in its front matter;"
                                       " to put a corrected version in its place, add --replace")
        if t.id in seen:
            raise TranscriptError(f"two files being imported have the id '{t.id}' "
                                  f"({seen[t.id]} and {src})", file=src,
                                  hint="rename one of them")
        dest = project.transcripts_dir / src.name
        old = project.root / existing[t.id].path if replace else None
        if dest.exists() and not (old is not None and dest.resolve() == old.resolve()):
            raise TranscriptError(f"transcripts/{src.name} already exists", file=src,
                                  hint="rename the file before importing it")
        seen[t.id] = src
        parsed.append((src, dest, t, old))
    project.transcripts_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(project.transcripts_dir)   # what an import killed earlier left
    results = []
    for src, dest, t, old in parsed:
        backup = _put_in_place(project, src, dest, old)
        conflicts = [k for k, v in attrs.items() if k in t.attributes and t.attributes[k] != v]
        warnings = list(t.warnings) + [f"front matter sets {k}={t.attributes[k]!r}, which wins over --attr"
                                       for k in conflicts]
        speakers = sorted({s.speaker for s in t.segments if s.speaker})
        if len(speakers) > 1 and not any(s.role == "interviewer" for s in t.segments):
            warnings.append(f"no speaker is the interviewer ({', '.join(speakers)}): add the "
                            "interviewer's label to interviewer_speakers in workbench.toml, or "
                            "'interviewer: <label>' to the front matter, or every turn counts "
                            "as an interviewee's opinion")
        results.append(ImportResult(
            id=t.id, source=src, dest=dest, format=t.format, segments=len(t.segments),
            speakers=speakers,
            interviewer_turns=sum(s.role == "interviewer" for s in t.segments),
            attributes=t.attributes, warnings=warnings, title=t.title, title_note=t.title_note,
            replaced=old, backup=backup))
    if attrs:
        write_attributes(project, {r.id: attrs for r in results})
    project.catalog(refresh=True)
    if replace:
        _recheck(project, results)
    return results


def _put_in_place(project: Project, src: Path, dest: Path, old: Path | None) -> Path | None:
    """Copy ``src`` to ``dest`` atomically (a killed import leaves no partial file). When it
    replaces ``old``, the old file goes to ``transcripts/.replaced/<name>.<UTC time><ext>`` first
    (moved when the name changes, so that the id is never held by two files; copied when the new
    file takes its name, so that a file is always there); returns that path."""
    data = src.read_bytes()
    if old is None:
        atomic_write(dest, data)
        return None
    keep = project.transcripts_dir / REPLACED_DIR
    keep.mkdir(exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    backup, n = keep / f"{old.stem}.{stamp}{old.suffix}", 1
    while backup.exists():
        n += 1
        backup = keep / f"{old.stem}.{stamp}-{n}{old.suffix}"
    if dest.resolve() == old.resolve():
        def copy(tmp: Path) -> None:
            shutil.copyfile(old, tmp)
        atomic_write_with(backup, copy)
        atomic_write(dest, data)
    else:
        os.replace(old, backup)
        atomic_write(dest, data)
    return backup


def _recheck(project: Project, results: list[ImportResult]) -> None:
    """Each coder's codings of each replaced transcript, by status, read afresh (re-anchored
    against the new text by the core). Logs are never rewritten, so none is lost."""
    fresh = Project.open(project.root)
    for coder in fresh.coders():
        for r in results:
            counts: dict[str, int] = {}
            for c in fresh.codings(coder, r.id):
                counts[c.status] = counts.get(c.status, 0) + 1
            if counts:
                r.codings[coder] = counts


def write_attributes(project: Project, new: dict[str, dict[str, str]]) -> None:
    """Add rows to transcripts/attributes.csv (a small table the user may also edit)."""
    table = project.attribute_table()
    for tid, a in new.items():
        table.setdefault(tid, {}).update(a)
    cols: list[str] = []
    for row in table.values():
        for k in row:
            if k not in cols:
                cols.append(k)
    with atomic_file(project.transcripts_dir / ATTRIBUTES_FILE, "w", encoding="utf-8",
                     newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", *cols])
        for tid in sorted(table):
            w.writerow([tid, *(table[tid].get(c, "") for c in cols)])
