"""counts, export, chart: opinion counts (interviewees per code), exports, Figure 1."""
from __future__ import annotations

import argparse
import shutil

from .common import add_json, add_project, open_project
from .output import emit_json, warn

# = workbench.counts.SPEAKERS (a test checks): importing counts here would import pandas for
# every command, --help included
SPEAKERS = ("interviewee", "interviewer", "all")
SCOPE_HELP = ("only transcripts the coder marked done are counted (they are the denominator); "
              "--include-unfinished counts every transcript")


def _add_coder(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--coder", metavar="NAME", help="count this coder's codings")
    g.add_argument("--consensus", action="store_true",
                   help="count the consensus codings (codings/consensus.jsonl); the default when "
                        "it covers every transcript its coders finished, else the only coder")


def _add_scope(p: argparse.ArgumentParser) -> None:
    p.add_argument("--speaker", choices=SPEAKERS, default="interviewee", metavar="ROLE",
                   help="whose turns count: interviewee (default: a coding counts when it "
                        "overlaps an interviewee turn), interviewer, or all")
    p.add_argument("--include-unfinished", action="store_true",
                   help="count transcripts the coder has not marked done too")


def register(sub) -> None:
    p = sub.add_parser(
        "counts", help="opinion counts: how many interviewees voiced each code",
        description="For each code: the number of interviews (transcripts) in which it was "
                    "applied, that number as a percentage of the transcripts in scope, the "
                    "number of coded segments and coded passages, and N. A parent code counts "
                    "an interview once however many of its children occur. " + SCOPE_HELP +
                    ". See docs/COUNTS.md.")
    add_project(p)
    _add_coder(p)
    p.add_argument("--codes", metavar="PREFIX",
                   help="only these codes and their descendants, e.g. 'value.' (comma-separated)")
    p.add_argument("--by", metavar="ATTRIBUTE",
                   help="the same counts per group of an interview attribute, e.g. region")
    _add_scope(p)
    p.add_argument("--bars", action="store_true",
                   help="also draw the counts as a bar chart in the terminal")
    add_json(p)
    p.set_defaults(func=cmd_counts)

    p = sub.add_parser(
        "export", help="write counts, matrices, quotes, codebook (and agreement) to xlsx/csv/json",
        description="Write the tables for the write-up: opinion counts (overall and by each "
                    "attribute), the interview × code matrices, code co-occurrences, the coded "
                    "passages with their text, the codebook, and agreement tables when two or "
                    "more coders have coded. Default file: exports/<project>-<coder>-<date>.xlsx. "
                    "An existing file is never replaced without --force. " + SCOPE_HELP + ".")
    add_project(p)
    _add_coder(p)
    p.add_argument("--format", choices=("xlsx", "csv", "json", "qdpx", "qdc"), default=None,
                   help="xlsx (default; one sheet per table), csv (a folder of files), json; "
                        "qdpx: the whole project for other QDA programs (REFI-QDA: texts, "
                        "codebook, every coder's codings, memos, attributes, done marks; "
                        "--coder/--consensus: only that one's work); qdc: the codebook only. "
                        "See docs/INTERCHANGE.md")
    p.add_argument("--out", metavar="FILE_OR_FOLDER",
                   help="folder to write into (default: PROJECT/exports, created if missing), "
                        "or a file name ending in .xlsx / .json / .qdpx / .qdc")
    p.add_argument("--force", action="store_true", help="replace an existing export")
    p.add_argument("--bom", action="store_true",
                   help="CSV: start each file with a UTF-8 byte order mark (for Excel)")
    p.add_argument("--pseudonymise", action="store_true",
                   help="replace the names listed in the project's pseudonyms.yaml in every "
                        "table (quotes, speakers, attributes, memos); see docs/REPORT.md")
    p.add_argument("--coders", metavar="A,B",
                   help="whose agreement the agreement tables compare (default: the team in "
                        "workbench.toml [agreement] coders, else every coder but consensus "
                        "who marked a transcript done)")
    _add_scope(p)
    add_json(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "chart", help="draw the opinion counts as a bar chart (Figure 1) into a PNG/SVG/PDF",
        description="A horizontal bar chart of the number of interviewees per code, sorted, "
                    "each bar labelled with its count, with N and the coder in the note. With "
                    "--codes value. the bars are value's sub-codes and the title is value's "
                    "name. Default file: exports/<project>-<coder>-<date>-<codes>.png. " +
                    SCOPE_HELP + ".")
    add_project(p)
    _add_coder(p)
    p.add_argument("--codes", metavar="PREFIX",
                   help="the codes to draw and their descendants, e.g. 'value.' (default: all)")
    p.add_argument("--out", metavar="FILE",
                   help="the image file (.png, .svg or .pdf), or a folder for the default name")
    p.add_argument("--title", help="the chart's title (default: the name of the selected code)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    _add_scope(p)
    p.set_defaults(func=cmd_chart)


# ---- counts ------------------------------------------------------------------------------------
def _pct(v) -> str:
    return "—" if v is None or v != v else f"{v:.1f}%"


def _render(header: list[str], rows: list[list[str]], right: list[bool]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    line = lambda vals: "  ".join(v.rjust(w) if r else v.ljust(w)
                                  for v, w, r in zip(vals, widths, right)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _label(df, r) -> tuple[str, str]:
    name = str(r.name)
    return "  " * int(r.depth) + r.code, (name if len(name) <= 48 else name[:47] + "…")


def format_counts(res) -> str:
    df = res.frame
    out = []
    if not res.by:
        rows = []
        for r in df.itertuples(index=False):
            code, name = _label(df, r)
            rows.append([code, name, str(r.interviews), _pct(r.percent), str(r.segments),
                         str(r.codings)])
        out.append(_render(["code", "name", "interviews", "percent", "segments", "codings"],
                           rows, [False, False, True, True, True, True]))
    else:
        groups = res.groups()
        header = ["code", "name"] + [f"{g} (N={n})" for g, n in groups.items()]
        cells = {(r.group, r.code): f"{r.interviews} {_pct(r.percent).rjust(6)}"
                 for r in df.itertuples(index=False)}
        rows = []
        for r in df.drop_duplicates("code").itertuples(index=False):
            code, name = _label(df, r)
            rows.append([code, name] + [cells[(g, r.code)] for g in groups])
        out.append(_render(header, rows, [False, False] + [True] * len(groups)))
        out.append("\ncells: interviews and percent of the group's transcripts in scope")
    return "\n".join(out)


def cmd_counts(args) -> int:
    from ..counts import opinion_counts, scope_line
    from ..textchart import bar_lines
    project = open_project(args)
    res = opinion_counts(project, args.coder, consensus=args.consensus, codes=args.codes,
                         by=args.by, speaker=args.speaker,
                         include_unfinished=args.include_unfinished)
    for w in res.warnings:
        warn(w)
    if args.json:
        emit_json(res.to_json())
        return 0
    print(f"Opinion counts — {project.name}")
    print(scope_line(res.data))
    who = "interviewees" if res.data.speaker == "interviewee" else "interviews"
    print(f"N = {res.n_transcripts} {who}" + (f", by {res.by}" if res.by else ""))
    print()
    print(format_counts(res))
    if args.bars and not res.by:
        from ..chart import chart_rows
        width = min(shutil.get_terminal_size((100, 24)).columns, 120)
        print()
        for line in bar_lines(chart_rows(res), width):
            print(line)
    elif args.bars:
        warn("--bars draws overall counts only; leave out --by")
    return 0


# ---- export ------------------------------------------------------------------------------------
def cmd_export(args) -> int:
    from ..export import export
    project = open_project(args)
    fmt = args.format
    if fmt is None:
        suffix = (args.out or "").lower().rsplit(".", 1)[-1] if args.out and "." in args.out else ""
        fmt = suffix if suffix in ("xlsx", "json", "qdpx", "qdc") else "xlsx"
    if fmt in ("qdpx", "qdc"):
        return _export_refi(project, fmt, args)
    from .common import split_list
    res = export(project, args.coder, consensus=args.consensus, fmt=fmt, out=args.out,
                 force=args.force, bom=args.bom, speaker=args.speaker,
                 include_unfinished=args.include_unfinished, pseudonymise=args.pseudonymise,
                 coders=split_list(args.coders))
    for w in res.warnings:
        warn(w)
    if args.json:
        emit_json({"paths": [str(p) for p in res.paths], "format": fmt,
                   "coders": res.meta["coders"], "n_transcripts": res.meta["n_transcripts"],
                   "tables": [{"name": t.name, "rows": len(t.frame)} for t in res.tables]})
        return 0
    where = res.paths[0] if fmt != "csv" else res.paths[0].parent
    print(f"Wrote {where}")
    print(_scope_line_meta(res.meta))
    for t in res.tables:
        print(f"  {t.name:<28} {len(t.frame):>7} rows")
    return 0


def _export_refi(project, fmt: str, args) -> int:
    import datetime as _dt
    from pathlib import Path

    from ..errors import UsageError
    from ..export import slug
    from ..interchange.refi_write import export_qdc, export_qdpx
    coders = [args.coder] if args.coder else (["consensus"] if args.consensus else None)
    if fmt == "qdc" and coders:
        raise UsageError("--coder/--consensus do not apply to a codebook (.qdc) export")
    stem = f"{slug(project.name)}{'-' + coders[0] if coders else ''}-{_dt.date.today().isoformat()}"
    out = Path(args.out).expanduser() if args.out else project.exports_dir
    if out.suffix.lower() in (".qdpx", ".qdc", ".xlsx", ".json", ".csv"):
        if out.suffix.lower() != f".{fmt}":
            raise UsageError(f"--out {out.name} does not fit --format {fmt}",
                             hint=f"give a folder, or a file name ending in .{fmt}")
        path = out
    else:
        path = out / f"{stem}.{fmt}"
    res = (export_qdc(project, path, force=args.force) if fmt == "qdc"
           else export_qdpx(project, path, coders=coders, force=args.force))
    if args.json:
        for d in res.skipped:
            warn(f"not exported: {d.kind} {d.name}: {d.reason}")
        emit_json(res.to_dict())
        return 0
    print(f"Wrote {res.path}")
    if fmt == "qdc":
        print(f"  {res.codes} codes (names, definitions, colours, hierarchy)")
        return 0
    print(f"  {res.codes} codes, {res.transcripts} transcripts, {res.codings} codings, "
          f"{res.memos} memos; coders: {', '.join(res.coders) or 'none'}")
    groups: dict[tuple[str, str], int] = {}
    for d in res.skipped:
        groups[(d.kind, d.reason)] = groups.get((d.kind, d.reason), 0) + 1
    for (kind, reason), n in sorted(groups.items()):
        warn(f"not exported: {n} {kind}(s): {reason} (see 'workbench status')")
    return 0


def _scope_line_meta(meta: dict) -> str:
    who = meta.get("coder") or ", ".join(meta["coders"])
    return f"coder: {who} · scope: {meta['scope']} · date: {meta['date']}"


# ---- chart -------------------------------------------------------------------------------------
def cmd_chart(args) -> int:
    from pathlib import Path

    from ..chart import save_chart
    from ..counts import opinion_counts, scope_line
    from ..export import default_stem, slug
    project = open_project(args)
    res = opinion_counts(project, args.coder, consensus=args.consensus, codes=args.codes,
                         speaker=args.speaker, include_unfinished=args.include_unfinished)
    for w in res.warnings:
        warn(w)
    name = default_stem(project, res.coders[0]) + (f"-{slug(args.codes)}" if args.codes else "") \
        + ".png"
    if args.out is None:
        path = project.exports_dir / name
    else:
        path = Path(args.out).expanduser()
        if path.is_dir() or not path.suffix:
            path = path / name
    path = save_chart(res, path, force=args.force, title=args.title)
    print(f"Wrote {path}")
    print(scope_line(res.data) + f" · N = {res.n_transcripts}")
    return 0
