"""``workbench import``: copy transcript files into a project after parsing them."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import ATTRIBUTES_FILE
from .errors import TranscriptError, UsageError
from .fileio import atomic_file, atomic_write
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
                 attrs: dict[str, str] | None = None) -> list[ImportResult]:
    """Parse every file first; copy nothing unless all parse and no id is taken."""
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
        if t.id in existing:
            raise TranscriptError(f"a transcript with id '{t.id}' is already in the project "
                                  f"({existing[t.id].path})", file=src,
                                  hint="rename the file or set another 'id:' in its front matter")
        if t.id in seen:
            raise TranscriptError(f"two files being imported have the id '{t.id}' "
                                  f"({seen[t.id]} and {src})", file=src,
                                  hint="rename one of them")
        dest = project.transcripts_dir / src.name
        if dest.exists():
            raise TranscriptError(f"transcripts/{src.name} already exists", file=src,
                                  hint="rename the file before importing it")
        seen[t.id] = src
        parsed.append((src, dest, t))
    project.transcripts_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for src, dest, t in parsed:
        atomic_write(dest, src.read_bytes())   # a killed import leaves no partial file
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
            attributes=t.attributes, warnings=warnings))
    if attrs:
        write_attributes(project, {r.id: attrs for r in results})
    project.catalog(refresh=True)
    return results


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
