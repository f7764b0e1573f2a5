"""init, import, segments, codebook, codings, status."""
from __future__ import annotations

from ..errors import UsageError
from .common import add_json, add_project, open_project
from .output import emit_json, table, warn

REFI_SUFFIXES = (".qdpx", ".qde", ".qdc")


def register(sub) -> None:
    p = sub.add_parser("init", help="create a new project folder",
                       description="Create a project folder with workbench.toml, a starter "
                                   "codebooks/codebook.yaml, transcripts/, codings/, exports/.")
    p.add_argument("path", metavar="PATH", help="folder to create (may exist, must not be a project)")
    p.add_argument("--name", help="project name (default: the folder name)")
    p.add_argument("--language", default=None, help="spaCy language code of the transcripts (default: en)")
    p.add_argument("--from", dest="source", metavar="FILE",
                   help="start from a REFI-QDA file of another QDA program (NVivo, ATLAS.ti, "
                        "MAXQDA, QualCoder, …): a project (.qdpx, .qde) brings its codebook, "
                        "texts, codings (one coder per user), memos and attributes; a codebook "
                        "(.qdc) only its codes. Prints what was imported and what was dropped. "
                        "See docs/INTERCHANGE.md")
    add_json(p)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("import", help="copy transcripts into a project, or merge a REFI-QDA file",
                       description="Parse transcript files (.txt, .md, .docx, .vtt, .srt), then "
                                   "copy them into PROJECT/transcripts/ and report what was parsed. "
                                   "Nothing is copied if any file fails or an id is taken. The id "
                                   "is the front matter 'id' or the file name without extension. "
                                   "A REFI-QDA file (.qdpx/.qde project, .qdc codebook) from "
                                   "another QDA program is merged instead: codes match by GUID or "
                                   "name path (new ones are added, none of ours is changed); a "
                                   "source with the text (or the id) of one of our transcripts is "
                                   "that transcript, others become new transcripts; each user's "
                                   "codings and notes go to a coder of that name. Importing the "
                                   "same file again adds nothing twice. See docs/INTERCHANGE.md. "
                                   "A title line before the first speaker (a heading, or one "
                                   "short line) is kept in the text but is not a turn. With "
                                   "--replace, each file is a corrected version of the transcript "
                                   "with its id: it takes that transcript's place (the old file is "
                                   "kept in transcripts/.replaced/), no coding is dropped, and "
                                   "each coder's codings of it are re-anchored to the new text "
                                   "and counted: ok, moved, or needing review.")
    add_project(p)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="transcript files, or one .qdpx/.qde/.qdc file")
    p.add_argument("--dry-run", action="store_true",
                   help="REFI-QDA: say what would be imported and dropped, write nothing")
    p.add_argument("--attr", action="append", metavar="KEY=VALUE",
                   help="attribute for every imported transcript (repeatable), stored in "
                        "transcripts/attributes.csv; front matter wins")
    p.add_argument("--replace", action="store_true",
                   help="replace the transcripts with the same ids by these corrected versions")
    add_json(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("segments", help="list the segments (speaker turns) of transcripts",
                       description="Each segment: transcript, turn (counted from 1, as the app "
                                   "numbers them; --json also has the 0-based index), speaker, "
                                   "role (interviewer|interviewee), start, end, text, timestamp. "
                                   "Offsets are code points into the normalized text.")
    add_project(p)
    p.add_argument("transcript", nargs="?", metavar="TRANSCRIPT", help="one transcript id (default: all)")
    add_json(p)
    p.set_defaults(func=cmd_segments)

    p = sub.add_parser("codebook", help="show the validated codebook tree")
    add_project(p)
    add_json(p)
    p.set_defaults(func=cmd_codebook)

    p = sub.add_parser("codings", help="the current codings after replaying the logs",
                       description="Each coding: id, coder, transcript, code, start, end, quote, "
                                   "turn (counted from 1; --json also has the 0-based segment), "
                                   "status (ok, moved, needs_review, orphan, unknown_code, "
                                   "out_of_range).")
    add_project(p)
    p.add_argument("--coder", help="one coder (default: all)")
    add_json(p)
    p.set_defaults(func=cmd_codings)

    p = sub.add_parser("status", help="per coder and transcript: codings, done, problems")
    add_project(p)
    add_json(p)
    p.set_defaults(func=cmd_status)


def _print_summary(summary, as_json: bool) -> None:
    if as_json:
        for w in summary.warnings:
            warn(w)
        emit_json(summary.to_dict())
        return
    for line in summary.lines():
        print(line)
    for w in summary.warnings[:20]:
        warn(w)
    if len(summary.warnings) > 20:
        warn(f"… and {len(summary.warnings) - 20} more warnings (--json lists them all)")


def cmd_init(args) -> int:
    if args.source:
        from ..interchange.refi_project import init_from_refi
        root, summary = init_from_refi(args.path, args.source, name=args.name,
                                       language=args.language)
        _print_summary(summary, args.json)
        if not args.json:
            print(f"Created project in {root}")
            print("Next: workbench status", root, "  then: workbench open", root)
        return 0
    from ..project import init_project
    root = init_project(args.path, name=args.name, language=args.language or "en")
    if args.json:
        emit_json({"project": str(root)})
        return 0
    print(f"Created project in {root}")
    print("Next: workbench import", root, "interview.txt   then: workbench open", root)
    return 0


def cmd_import(args) -> int:
    from ..importer import import_files, parse_attrs
    project = open_project(args)
    refi = [f for f in args.files if f.lower().endswith(REFI_SUFFIXES)]
    if refi:
        if len(args.files) != 1:
            raise UsageError("a REFI-QDA file (.qdpx, .qde, .qdc) is imported on its own",
                             hint="import it in its own 'workbench import' command")
        if args.attr:
            raise UsageError("--attr does not apply to a REFI-QDA file",
                             hint="its attributes come from its cases and variables")
        if args.replace:
            raise UsageError("--replace does not apply to a REFI-QDA file",
                             hint="a source with the text or id of one of ours is matched to it")
        from ..interchange.refi_project import import_refi
        _print_summary(import_refi(project, refi[0], dry_run=args.dry_run), args.json)
        return 0
    if args.dry_run:
        raise UsageError("--dry-run applies to REFI-QDA files only")
    results = import_files(project, args.files, parse_attrs(args.attr), replace=args.replace)
    rel = lambda path: None if path is None else _rel(path, project.root)
    if args.json:
        out = []
        for r in results:
            row = {"id": r.id, "file": rel(r.dest), "format": r.format, "segments": r.segments,
                   "speakers": r.speakers, "interviewer_turns": r.interviewer_turns,
                   "attributes": r.attributes, "title": r.title, "warnings": r.warnings}
            if args.replace:
                row.update(replaced=rel(r.replaced), backup=rel(r.backup), codings=r.codings)
            out.append(row)
        emit_json(out)
        for r in results:
            for w in r.warnings:
                warn(f"{r.source}: {w}")
        return 0
    for r in results:
        print(f"{r.id}: {r.format}, {r.segments} segments ({r.interviewer_turns} interviewer), "
              f"speakers: {', '.join(r.speakers) or '(none)'}")
        if r.attributes:
            print("    " + ", ".join(f"{k}={v}" for k, v in r.attributes.items()))
        if r.title_note:
            print(f"    {r.title_note}")
        if args.replace:
            print(f"    replaced {rel(r.replaced)} (the old file is kept as {rel(r.backup)})")
            print("    " + _codings_line(r.codings))
        for w in r.warnings:
            warn(f"{r.source}: {w}")
    verb = "Replaced" if args.replace else "Imported"
    print(f"{verb} {len(results)} transcript(s) in {project.transcripts_dir}")
    if args.replace and any(n for r in results for c in r.codings.values()
                            for s, n in c.items() if s != "ok"):
        print("Codings marked 'moved' were found again in the new text; 'needs review' ones were "
              "not: see them with 'workbench codings' (status) and in the app. None was dropped.")
    return 0


def _codings_line(codings: dict[str, dict[str, int]]) -> str:
    """``anna: 7 ok, 2 moved, 1 needs review; boris: 9 ok`` (every coder's codings of it)."""
    if not codings:
        return "no coder has coded it yet"
    label = {"needs_review": "need review"}
    order = ["ok", "moved", "needs_review"]
    parts = []
    for coder, counts in codings.items():
        keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
        parts.append(f"{coder}: " + ", ".join(f"{counts[k]} {label.get(k, k.replace('_', ' '))}"
                                               for k in keys))
    return "codings: " + "; ".join(parts)


def cmd_segments(args) -> int:
    project = open_project(args)
    tids = [project.info(args.transcript).id] if args.transcript else project.transcript_ids()
    rows = []
    for tid in tids:
        t = project.transcript(tid)
        for w in t.warnings:
            warn(f"{t.path.name}: {w}")
        rows.extend(s.to_dict() for s in t.segments)
    if args.json:
        emit_json(rows)
        return 0
    print(table(rows, ["transcript", "turn", "speaker", "role", "start", "end", "timestamp",
                       "text"], max_width=70))
    return 0


def cmd_codebook(args) -> int:
    project = open_project(args)
    cb = project.codebook
    if args.json:
        emit_json({"name": cb.name, "path": _rel(cb.path, project.root),
                   "codes": [c.to_dict() for c in cb.codes.values()], "merges": cb.merges})
        return 0
    print(f"{cb.name}  ({_rel(cb.path, project.root)}, {len(cb)} codes)")
    for c in cb.codes.values():
        key = f"[{c.key}] " if c.key else "    "
        print(f"{'  ' * cb.depth(c.id)}{key}{c.id} — {c.name}")
    return 0


def _rel(path, root) -> str:
    """``path`` relative to the project root when it is inside it (a codebook may live
    elsewhere: ``codebook = "/shared/codebook.yaml"``)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def cmd_codings(args) -> int:
    project = open_project(args)
    coders = [args.coder] if args.coder else project.coders()
    if args.coder and args.coder not in project.coders():
        raise UsageError(f"no coding log for coder '{args.coder}'",
                         hint=f"coders with a log: {', '.join(project.coders()) or 'none'}")
    rows = []
    for coder in coders:
        for w in project.state(coder).warnings:
            warn(w)
        rows.extend(c.to_dict() for c in project.codings(coder))
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        warn(f"{len(bad)} coding(s) need attention (status other than ok); see 'workbench status'")
    if args.json:
        emit_json(rows)
        return 0
    print(table(rows, ["coder", "transcript", "turn", "code", "start", "end", "status",
                       "quote"], max_width=50))
    return 0


def cmd_status(args) -> int:
    project = open_project(args)
    from ..status import status_report
    rows, warnings = status_report(project)
    for info in project.catalog().values():
        warnings.extend(f"{info.path}: {w}" for w in info.warnings)
    if args.json:
        for w in warnings:
            warn(w)
        emit_json({"project": project.name, "transcripts": len(project.transcript_ids()),
                   "coders": project.coders(), "rows": rows})
        return 0
    print(f"Project: {project.name}  ({project.root})")
    print(f"Transcripts: {len(project.transcript_ids())}   Codebook: {project.codebook.name} "
          f"({len(project.codebook)} codes)   Coders: {', '.join(project.coders()) or 'none yet'}")
    if rows:
        print()
        print(table(rows))
    for w in warnings:
        warn(w)
    return 0
