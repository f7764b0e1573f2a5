"""Argument helpers shared by the command modules."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..project import Project


def add_project(p: argparse.ArgumentParser, optional: bool = False) -> None:
    if optional:
        p.add_argument("project", nargs="?", metavar="PROJECT",
                       help="project folder (default: the current folder if it is a project, "
                            "else the bundled demo)")
    else:
        p.add_argument("project", metavar="PROJECT", help="project folder")


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true",
                   help="print JSON only (documented in docs/FORMATS.md); warnings go to stderr")


def open_project(args) -> Project:
    from ..project import Project  # here, not at the top: --help needs no project code
    return Project.open(args.project)


def split_list(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]
