"""The core never imports the UI libraries (as Harlequin proves for its own core)."""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import workbench

CORE = sorted(
    m.name for m in pkgutil.walk_packages(workbench.__path__, "workbench.")
    if not m.name.startswith(("workbench.tui", "workbench.cli")) and not m.name.endswith("__main__"))


def test_core_modules_found():
    assert "workbench.project" in CORE and "workbench.codinglog" in CORE
    assert not any(m.startswith("workbench.tui") for m in CORE)


def test_core_never_imports_textual_or_rich():
    code = (
        "import importlib, sys\n"
        f"mods = {CORE!r}\n"
        "bad = []\n"
        "for m in mods:\n"
        "    importlib.import_module(m)\n"
        "    leaked = [x for x in ('textual', 'rich') if x in sys.modules]\n"
        "    if leaked:\n"
        "        bad.append((m, leaked)); break\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(workbench.__file__).parents[1], timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"a core module pulled in a UI library: {out.stdout}"
