"""Timing helpers shared by the benchmark scripts."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli_wall(*args: str, runs: int = 5, before=None) -> tuple[float, float]:
    """Best and median wall time of ``workbench ARGS`` run as a separate process (from the
    repository, so that its own package is the one measured); ``before()`` runs untimed
    before each run."""
    times = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                             cwd=REPO)
        times.append(time.perf_counter() - t)
        if out.returncode:
            raise SystemExit(out.stderr.decode())
    times.sort()
    return times[0], times[len(times) // 2]
