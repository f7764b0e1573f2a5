"""Foundation benchmark: load time and memory of synthetic projects.

Generates projects of 50 / 500 / 5,000 transcripts (~8,000 words each, 40 codings per
transcript by one coder: 500 transcripts → 20,000 codings) and measures, in a fresh process each:
- cold load: open + parse every transcript (no catalog cache) + replay the log + statuses,
- warm load: the same with the catalog cache in .workbench/ present,
- peak memory (ru_maxrss) of the warm load.
Target (issue 2): 500 transcripts with 20,000 codings load in under 2 s on one core.

    python bench/bench_load.py [--sizes 50,500,5000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import make_project

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from workbench.project import Project
p = Project.open(sys.argv[1])
ids = p.transcript_ids()
t1 = time.perf_counter()
n = 0
for coder in p.coders():
    n += len(p.codings(coder))
t2 = time.perf_counter()
print(json.dumps({"transcripts": len(ids), "codings": n, "catalog_s": t1 - t0,
                  "total_s": t2 - t0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(root: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="50,500,5000")
    ap.add_argument("--keep", help="folder to keep the generated projects in")
    args = ap.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="wb-bench-"))
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        root = base / f"synth{n}"
        t = time.perf_counter()
        make_project(root, n, words_per_transcript=8000, n_coders=1, codings_per_transcript=40)
        gen = time.perf_counter() - t
        shutil.rmtree(root / ".workbench", ignore_errors=True)
        cold = measure(root)
        warm = measure(root)
        rows.append((n, cold["codings"], gen, cold["total_s"], warm["catalog_s"], warm["total_s"],
                     warm["rss_mb"]))
        print(f"{n:>6} transcripts {cold['codings']:>7} codings | generate {gen:6.1f}s | "
              f"cold load {cold['total_s']:6.2f}s | warm: catalog {warm['catalog_s']:5.2f}s, "
              f"with codings {warm['total_s']:5.2f}s | peak RSS {warm['rss_mb']:6.0f} MB",
              flush=True)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
