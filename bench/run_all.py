"""Run every benchmark script in bench/ in turn (``make bench``), then print every target they
measured, with its limit and ratio, as one table.

Each script generates its own synthetic data (``bench/synth.py``) and prints its figures; a
script reports a target with ``timing.report_target`` (one ``TARGET {json}`` line under this
runner), and the table at the end collects them all. This runner passes ``--quick`` options to
the scripts that have a quick mode when run with ``--quick``.

Run:  python bench/run_all.py [--quick] [--only tui,load,scale]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import TARGET_PREFIX, TARGETS_ENV, format_target

HERE = Path(__file__).resolve().parent
QUICK = {"bench_agreement.py": ["--quick"], "bench_suggest.py": ["--quick"],
         "bench_load.py": ["--sizes", "50,500"], "bench_tui.py": ["--sizes", "500,50"],
         "bench_counts_export.py": ["--export-sizes", "50", "--counts-sizes", "500"],
         "bench_agreement_units.py": ["--quick"], "bench_interchange.py": ["--sizes", "50"],
         "bench_scale.py": ["--sizes", "500", "--large", "2000", "--repeat", "1"],
         "bench_export.py": ["--sizes", "500", "--repeat", "1"],
         "bench_before_after.py": ["--sizes", "50,500", "--rounds", "1"]}


def run(script: Path, extra: list[str]) -> tuple[int, list[dict]]:
    """Run one script, echoing its output; returns its exit code and its TARGET records."""
    env = dict(os.environ, **{TARGETS_ENV: "1"})
    targets = []
    with subprocess.Popen([sys.executable, str(script), *extra], stdout=subprocess.PIPE,
                          text=True, env=env) as p:
        assert p.stdout is not None
        for line in p.stdout:
            if line.startswith(TARGET_PREFIX):
                rec = json.loads(line[len(TARGET_PREFIX):])
                targets.append(rec)
                print(f"  -> {format_target(rec)}", flush=True)
            else:
                print(line, end="", flush=True)
    return p.returncode, targets


def summary(targets: list[dict]) -> str:
    """The table of every target: what, measured, bound, limit (what it is), ratio, holds."""
    rows = [("target", "measured", "bound", "limit (measured in the same run)", "ratio", "",
             "script")]
    for t in targets:
        limit = "" if t["limit"] is None else f"{t['limit']:g} {t['unit']} ({t['limit_what']})"
        spread = f" ({t['range'][0]:g}–{t['range'][1]:g})" if t.get("range") and \
            t["range"][0] != t["range"][1] else ""
        rows.append((t["what"], f"{t['measured']:g} {t['unit']}{spread}", t["bound"], limit,
                     "" if t["ratio"] is None else f"{t['ratio']:g}×",
                     "ok" if t["ok"] else "MISSED", t["script"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller projects, fewer repetitions")
    ap.add_argument("--only", help="comma-separated names, e.g. tui,load,scale")
    args = ap.parse_args()
    only = {f"bench_{n.strip()}.py" for n in args.only.split(",")} if args.only else None
    failed, targets = [], []
    for script in sorted(HERE.glob("bench_*.py")):
        if only and script.name not in only:
            continue
        extra = QUICK.get(script.name, []) if args.quick else []
        print(f"\n=== {script.name} {' '.join(extra)}", flush=True)
        t0 = time.perf_counter()
        rc, found = run(script, extra)
        targets += found
        print(f"=== {script.name}: exit {rc}, {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(script.name)
    if targets:
        print(f"\n=== targets ({sum(t['ok'] for t in targets)} of {len(targets)} hold; figures "
              "are medians of repeated runs on a shared machine, range in brackets)")
        print(summary(targets))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
