"""report: the write-up report (themes, counts, chart, quotes, memos, methods) as HTML, docx
or Markdown."""
from __future__ import annotations

from pathlib import Path

from .common import add_project, open_project
from .counts_cmds import SCOPE_HELP, _add_coder, _add_scope
from .output import warn


def register(sub) -> None:
    p = sub.add_parser(
        "report", help="the write-up report: per theme its count, chart, quotes and memos",
        description="Write a report a co-author can read: a methods paragraph generated from "
                    "the project (interviews, coders, agreement with its unit and coefficient, "
                    "whether counts come from a consensus), then per theme its definition, the "
                    "number of interviewees who voiced it (N and scope stated), the bar chart, "
                    "the quotes grouped by code (transcript, turn from 1, speaker, attributes) "
                    "and the memos on the code. HTML is one self-contained file. Names listed in "
                    "the project's pseudonyms.yaml are replaced unless --no-pseudonymise. "
                    "Default file: exports/<project>-<coder>-<date>-report.html. "
                    + SCOPE_HELP + ". See docs/REPORT.md.")
    add_project(p)
    _add_coder(p)
    p.add_argument("--codes", metavar="PREFIX",
                   help="the themes to report and the codes below them, e.g. 'value.' "
                        "(comma-separated; default: every code)")
    p.add_argument("--format", choices=("html", "docx", "md"), default=None,
                   help="html (default; one self-contained file), docx (Word) or md (Markdown, "
                        "with the charts as PNG files beside it)")
    p.add_argument("--out", metavar="FILE",
                   help="the file to write (its ending may give the format), or a folder for "
                        "the default name")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--no-pseudonymise", dest="pseudonymise", action="store_false",
                   help="keep real names (by default the names in pseudonyms.yaml are replaced)")
    p.add_argument("--attributes", metavar="A,B",
                   help="the interview attributes named with each quote, e.g. region,cluster "
                        "(default: those that group the interviews: not the same for all, not "
                        "different for each)")
    p.add_argument("--max-quotes", type=int, metavar="N",
                   help="show at most N quotes per code (each code says how many it has)")
    _add_scope(p)
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from ..counts import choose_coder
    from ..errors import UsageError
    from ..export import claim_target
    from ..report import build_report, default_path, format_of, write_report
    project = open_project(args)
    if args.max_quotes is not None and args.max_quotes < 0:
        raise UsageError("--max-quotes takes a number of quotes, 0 or more")
    # where it goes, checked before the work: an existing file is an error at once
    coder = choose_coder(project, args.coder, args.consensus)
    path = default_path(project, coder, args.format or "html", args.codes)
    if args.out is not None:
        out = Path(args.out).expanduser()
        path = out / path.name if out.is_dir() or not out.suffix else out
    fmt = format_of(path, args.format)
    claim_target(path, args.force)
    rep = build_report(project, coder, codes=args.codes, speaker=args.speaker,
                       include_unfinished=args.include_unfinished,
                       max_quotes=args.max_quotes, pseudonymise=args.pseudonymise,
                       attributes=args.attributes)
    for w in rep.warnings:
        warn(w)
    written = write_report(rep, path, fmt, force=args.force)
    print(f"Wrote {written[0]}" + (f" (and {len(written) - 1} figure file(s) beside it)"
                                   if len(written) > 1 else ""))
    print(f"{rep.scope_line} · {rep.n_line} · {len(rep.themes())} themes · "
          f"{sum(len(t.quotes) for t in rep.themes())} quotes · "
          + ("names pseudonymised" if rep.pseudonymised else "names NOT pseudonymised"))
    return 0
