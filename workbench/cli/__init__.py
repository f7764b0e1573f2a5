"""The ``workbench`` command line. Each command family lives in its own module and registers
its sub-commands through ``register(subparsers)``; every command function takes the parsed
arguments and returns an exit code. User mistakes raise :class:`WorkbenchError`, printed here as
one line with no traceback."""
from __future__ import annotations

import argparse
import gc
import importlib
import sys

from ..errors import WorkbenchError

# command modules, in the order their commands appear in --help
COMMAND_MODULES = [
    "workbench.cli.project_cmds",
    "workbench.cli.open_cmd",
    "workbench.cli.suggest_cmds",
    "workbench.cli.agreement_cmds",
    "workbench.cli.counts_cmds",
    "workbench.cli.memo_cmds",
    "workbench.cli.report_cmds",
]

DESCRIPTION = """\
workbench — code interview transcripts against a codebook, check inter-coder agreement, and
count how many interviewees voiced each theme. A project is a folder with workbench.toml,
codebooks/, transcripts/, codings/<coder>.jsonl and exports/.

Commands that print data take --json: stdout then holds only JSON, warnings go to stderr.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # a command family not built yet
                continue
            raise
        mod.register(sub)
    return parser


def _escape_unencodable_output() -> None:
    """Text a log holds that no encoding can write (a lone surrogate from a ``\\udXXX`` escape,
    which JSON allows) is printed as that escape, not a traceback: in ``--json`` output it is
    the same JSON escape, read back as the same text."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass    # a stream that cannot change (closed, or not a text file)


def main(argv: list[str] | None = None) -> int:
    _escape_unencodable_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as e:
        print(f"workbench: error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        return 0
    except OSError as e:  # unreadable file, full disk, permission denied: no traceback either
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"workbench: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    code = main()
    # the process ends now: spare the collector's passes over every object still alive (the
    # codings of a large project: ~0.5 s) during interpreter shutdown
    gc.freeze()
    sys.exit(code)
