"""Timing helpers shared by the benchmark scripts, and the one shape of a measured target.

A script reports a target with :func:`report_target`: what was measured, the value, its bound,
the limit it is compared with (measured in the same run) and the ratio, and whether it holds.
Run alone, a script prints it as a readable line; under ``bench/run_all.py`` (which sets
``WORKBENCH_BENCH_TARGETS``) as one line ``TARGET {json}``, which the runner collects from every
script into one table at the end: any script joins that table by calling :func:`report_target`.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_PREFIX = "TARGET "
TARGETS_ENV = "WORKBENCH_BENCH_TARGETS"   # set by run_all.py: print TARGET lines


def child_env() -> dict:
    """The environment of a measured process: Python's bytecode cache on (as an installed
    package has it; ``PYTHONDONTWRITEBYTECODE`` would make every start compile the sources
    again), kept outside the repository."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(),
                                                       "workbench-bench-pycache"))
    return env


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
                             cwd=REPO, env=child_env())
        times.append(time.perf_counter() - t)
        if out.returncode:
            raise SystemExit(out.stderr.decode())
    times.sort()
    return times[0], times[len(times) // 2]


def run_process(argv: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Run a process to its end: (wall seconds, peak RSS in MiB of that process, its stdout).
    stdout is kept in a temporary file, so that a large output cannot block the child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd or REPO, env=child_env())
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed:\n{err.read().decode(errors='replace')}")
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, out.read().decode(errors="replace")


def spread(values: list[float]) -> dict:
    """Median, min and max of repeated measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def fmt_spread(s: dict, unit: str = "s", digits: int = 2) -> str:
    if s["n"] == 1 or s["min"] == s["max"]:
        return f"{s['median']:.{digits}f} {unit}"
    return (f"{s['median']:.{digits}f} {unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f}, "
            f"n={s['n']})")


def report_target(what: str, measured: float, unit: str, *, limit: float | None = None,
                  limit_what: str | None = None, max_ratio: float | None = None,
                  max_value: float | None = None, at_most: float | None = None,
                  spread_of: dict | None = None, script: str | None = None) -> bool:
    """Print one target as a ``TARGET`` line (see the module docstring) and return whether it
    holds. ``limit`` (same unit) is what the measurement is compared with (``limit_what`` says
    what it is: a physical limit measured in the same run, or a peer); the target holds when the
    ratio is at most ``max_ratio`` and/or the value below ``max_value`` (or at most
    ``at_most``)."""
    ratio = measured / limit if limit else None
    ok = True
    if max_ratio is not None:
        ok = ok and ratio is not None and ratio <= max_ratio
    if max_value is not None:
        ok = ok and measured < max_value
    if at_most is not None:
        ok = ok and measured <= at_most
    bound = " and ".join(b for b in (f"≤ {max_ratio:g}×" if max_ratio is not None else "",
                                     f"< {max_value:g} {unit}" if max_value is not None else "",
                                     f"≤ {at_most:g} {unit}" if at_most is not None else "")
                         if b)
    rec = {"what": what, "measured": round(measured, 4), "unit": unit, "bound": bound,
           "limit": None if limit is None else round(limit, 4), "limit_what": limit_what,
           "ratio": None if ratio is None else round(ratio, 2), "ok": ok,
           "script": script or Path(sys.argv[0]).name}
    if spread_of is not None:
        rec["range"] = [round(spread_of["min"], 4), round(spread_of["max"], 4), spread_of["n"]]
    if os.environ.get(TARGETS_ENV):
        print(TARGET_PREFIX + json.dumps(rec, ensure_ascii=False), flush=True)
    else:
        print(f"  -> {format_target(rec)}", flush=True)
    return ok


def format_target(rec: dict) -> str:
    """One line: what, measured, bound, limit and ratio, and whether it holds."""
    limit = "" if rec["limit"] is None else \
        f" | limit {rec['limit']:g} {rec['unit']} ({rec['limit_what']}), ratio {rec['ratio']:g}×"
    return (f"{rec['what']}: {rec['measured']:g} {rec['unit']} (target {rec['bound']}){limit}"
            f" — {'ok' if rec['ok'] else 'MISSED'}")
