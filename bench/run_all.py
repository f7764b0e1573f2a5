"""Run every benchmark script in bench/ in turn (``make bench``).

Each script generates its own synthetic data (``bench/synth.py``) and prints its figures; this
runner passes ``--quick`` to the scripts that have a quick mode when run with ``--quick``.

Run:  python bench/run_all.py [--quick] [--only tui,load]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = {"bench_agreement.py": ["--quick"], "bench_suggest.py": ["--quick"],
         "bench_load.py": ["--sizes", "50,500"], "bench_tui.py": ["--sizes", "500,50"],
         "bench_counts_export.py": ["--export-sizes", "50", "--counts-sizes", "500"],
         "bench_agreement_units.py": ["--quick"], "bench_interchange.py": ["--sizes", "50"],
         "bench_export.py": ["--sizes", "500", "--repeat", "1"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller projects, fewer repetitions")
    ap.add_argument("--only", help="comma-separated names, e.g. tui,load")
    args = ap.parse_args()
    only = {f"bench_{n.strip()}.py" for n in args.only.split(",")} if args.only else None
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if only and script.name not in only:
            continue
        extra = QUICK.get(script.name, []) if args.quick else []
        print(f"\n=== {script.name} {' '.join(extra)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *extra])
        print(f"=== {script.name}: exit {rc}, {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
