"""memos: every memo of the project's coders (on codes, transcripts, segments and codings)."""
from __future__ import annotations

from .common import add_json, add_project, open_project
from .output import emit_json, table


def register(sub) -> None:
    p = sub.add_parser(
        "memos", help="list the memos: on codes, transcripts, segments and codings",
        description="Every memo of every coder (or of --coder), with what it is on: a code "
                    "(an analytic memo about a theme), a transcript, a segment (a speaker turn "
                    "or a span) or a coding; turns are numbered from 1, as the app shows them. "
                    "The latest memo on a coding is its memo; --history lists the earlier ones "
                    "too. See docs/FORMATS.md for the JSON.")
    add_project(p)
    p.add_argument("--coder", metavar="NAME", help="only this coder's memos")
    p.add_argument("--code", metavar="PREFIX",
                   help="only memos on these codes or on codings of them, e.g. 'value.' "
                        "(comma-separated)")
    p.add_argument("--transcript", metavar="ID", help="only memos on this transcript")
    p.add_argument("--history", action="store_true",
                   help="also list memos on a coding that a later memo replaced")
    add_json(p)
    p.set_defaults(func=cmd_memos)


def cmd_memos(args) -> int:
    from ..memos import memos_frame, to_records
    project = open_project(args)
    df = memos_frame(project, [args.coder] if args.coder else None, code=args.code,
                     transcript=args.transcript, history=args.history)
    if args.json:
        emit_json(to_records(df))
        return 0
    rows = []
    for r in to_records(df):
        where = r["transcript"] or ""
        if r["turn"] is not None:
            where += f" turn {r['turn']}"
        rows.append({"coder": r["coder"], "on": r["kind"] + ("" if r["current"] else " (old)"),
                     "where": where or "—", "code": r["code"] or "—",
                     "memo": r["text"], "status": r["status"]})
    print(f"Memos — {project.name} · {len(rows)} memo{'s' if len(rows) != 1 else ''}")
    print(table(rows, ["coder", "on", "where", "code", "memo", "status"], max_width=70))
    return 0
