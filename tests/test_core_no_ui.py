"""The core never imports the UI libraries or the faces (as Harlequin proves for its own core),
and the import-linter contract that `make lint` checks covers every core module."""
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


def test_core_never_imports_textual_rich_or_the_faces():
    code = (
        "import importlib, sys\n"
        f"mods = {CORE!r}\n"
        "bad = []\n"
        "for m in mods:\n"
        "    importlib.import_module(m)\n"
        "    leaked = [x for x in ('textual', 'rich', 'workbench.tui', 'workbench.cli')\n"
        "              if x in sys.modules]\n"
        "    if leaked:\n"
        "        bad.append((m, leaked)); break\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(workbench.__file__).parents[1], timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"a core module pulled in a UI library: {out.stdout}"


def test_the_import_contract_names_every_core_module():
    """A new core module must be added to the 'core never imports the faces' contract in
    pyproject.toml, or import-linter would not check it."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    cfg = tomllib.loads((Path(workbench.__file__).parents[1] / "pyproject.toml").read_text())
    contract = cfg["tool"]["importlinter"]["contracts"][0]
    assert set(contract["forbidden_modules"]) >= {"workbench.tui", "workbench.cli", "textual",
                                                  "rich"}
    listed = set(contract["source_modules"])
    top = {".".join(m.split(".")[:2]) for m in CORE if m != "workbench.__init__"} - {"workbench"}
    assert top - listed == set(), f"add these to the contract: {sorted(top - listed)}"
