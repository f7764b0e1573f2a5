"""Where things live: the bundled demo project and project discovery."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_FILE = "workbench.toml"


def demo_project() -> Path:
    """The bundled demo project.

    In a source checkout the repository root is the demo project. An installed wheel carries a
    copy under ``workbench/demo``.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent, here / "demo"):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    raise FileNotFoundError("the bundled demo project is missing from this installation")


def find_project(start: str | os.PathLike | None = None) -> Path | None:
    """The project folder containing ``start`` (default: the current folder), or None."""
    p = Path(start or os.getcwd()).resolve()
    for candidate in (p, *p.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return None


def state_dir(root: Path) -> Path:
    """Folder for derived, rebuildable state (UI positions, caches). Safe to delete."""
    return root / ".workbench"
