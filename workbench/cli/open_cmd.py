"""open: the terminal workbench (falls back to the status when the UI cannot start)."""
from __future__ import annotations

import os
import sys

from ..paths import demo_project, find_project
from .common import add_project


def register(sub) -> None:
    p = sub.add_parser("open", help="open the terminal coding workbench",
                       description="Open the keyboard-first coding workbench. Without PROJECT: the "
                                   "current folder if it is a project, else the bundled demo. The "
                                   "coder is --coder, else $WORKBENCH_CODER, else asked at start; "
                                   "it chooses the log codings/<coder>.jsonl (created by the "
                                   "first coding, not by opening). 'consensus' is reserved for "
                                   "the reconciled codings.")
    add_project(p, optional=True)
    p.add_argument("--coder", help="your coder name (default: $WORKBENCH_CODER, else asked)")
    p.set_defaults(func=cmd_open)


def resolve_project_path(arg: str | None):
    if arg:
        return arg
    return find_project() or demo_project()


def cmd_open(args) -> int:
    from ..config import validate_coding_name
    from ..project import Project
    project = Project.open(resolve_project_path(args.project))
    coder = args.coder or os.environ.get("WORKBENCH_CODER") or None
    if coder:
        validate_coding_name(coder)
    try:
        from ..tui.app import WorkbenchApp
    except ImportError:
        from .project_cmds import cmd_status
        args.project, args.json = str(project.root), False
        print("(the terminal UI is not available in this build; showing the status)", file=sys.stderr)
        return cmd_status(args)
    app = WorkbenchApp(project, coder=coder)
    app.run()
    return app.return_code or 0
