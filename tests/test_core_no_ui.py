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


def test_every_module_says_its_job_and_core_files_stay_readable():
    """Issue 13's bar for a newcomer: each file opens with a docstring saying its one job, and
    no core file grows past ~500 lines (550 allowed before it must be split)."""
    import ast
    root = Path(workbench.__file__).parent
    undocumented, too_long = [], []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not ast.get_docstring(ast.parse(text)):
            undocumented.append(str(path.relative_to(root)))
        core = path.relative_to(root).parts[0] not in ("tui", "cli")
        if core and text.count("\n") > 550:
            too_long.append(f"{path.relative_to(root)} ({text.count(chr(10))} lines)")
    assert undocumented == [], f"give these a first docstring: {undocumented}"
    assert too_long == [], f"split these core files: {too_long}"
