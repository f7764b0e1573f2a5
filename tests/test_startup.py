"""Issue 16: commands that need no table do not import pandas (or numpy): `--help`,
`--version` and `status` start in a fraction of the time (measured by bench/bench_scale.py;
here only which modules a fresh interpreter has loaded is checked, no time)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import REPO

PROBE = """
import contextlib, io, json, sys
from workbench.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
print(json.dumps({"code": code, "heavy": sorted(m for m in ("pandas", "numpy", "textual",
                                                            "spacy", "openpyxl")
                                                  if m in sys.modules)}))
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["status", "."],
                                  ["status", ".", "--json"], ["codebook", "."],
                                  ["codings", ".", "--coder", "anna"], ["counts", "--help"],
                                  ["export", "--help"], ["agree", "--help"]])
def test_commands_without_tables_import_no_pandas(args):
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                         cwd=REPO, check=True)
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["code"] in (0, None)
    assert got["heavy"] == []


def test_the_speaker_choices_of_the_command_line_are_those_of_the_counts():
    from workbench.cli.counts_cmds import SPEAKERS as CLI
    from workbench.counts import SPEAKERS
    assert CLI == SPEAKERS
