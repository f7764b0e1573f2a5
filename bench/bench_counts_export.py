"""Counts and exports benchmark (issue 6).

Targets: a full XLSX export of the 500-transcript synthetic project in under 10 s; opinion counts
for 5,000 transcripts in under 2 s.

Generates seeded synthetic projects with bench/synth.py (~8,000 words and up to 40 codings per
transcript per coder) and measures, each in a fresh process:

- export: ``workbench.export.export(project, coder, fmt=...)`` end to end (open the project, replay
  and check the codings, build every table including agreement, write the file), with the
  transcript catalog cache cold (first run) and warm (``.workbench/`` present);
- counts: ``workbench.counts.opinion_counts`` end to end (cold and warm), and split into opening
  (imports), the transcript catalog, replaying the log (snapshot), the rest of loading the codings
  (``counts.load``: anchors, columns, scope) and counting (``counts.counts`` overall +
  ``--by region``); then the command as a user runs it, ``workbench counts PROJECT --coder coder1
  --codes value.``, wall time of the whole process (warm; best and median of 5).

    python bench/bench_counts_export.py [--export-sizes 500] [--counts-sizes 5000] [--words 8000]
                                        [--keep DIR]
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
from timing import cli_wall

EXPORT_CHILD = r"""
import json, sys, time, resource
t0 = time.perf_counter()
from workbench.project import Project
from workbench import counts as C, export as E
p = Project.open(sys.argv[1])
fmt = sys.argv[2]
t1 = time.perf_counter()
data = C.load(p, "coder1")
t2 = time.perf_counter()
meta, tabs = E.tables(p, data=data)
t3 = time.perf_counter()
out = p.root / "exports" / f"bench.{fmt}"
if fmt == "xlsx":
    E.atomic_write_with(out, lambda tmp: E.write_xlsx(tmp, meta, tabs))
elif fmt == "csv":
    E.write_csv(p.root / "exports" / "bench-csv", meta, tabs, force=True)
else:
    E.atomic_write_with(out, lambda tmp: E.write_json(tmp, meta, tabs))
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "tables_s": t3 - t2,
                  "write_s": t4 - t3, "total_s": t4 - t0, "codings": len(data.codings),
                  "rows": sum(len(t.frame) for t in tabs), "sheets": len(tabs) + 1,
                  "size_mb": (out.stat().st_size if out.exists() else 0) / 1e6,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

COUNTS_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from workbench.project import Project
from workbench import counts as C
p = Project.open(sys.argv[1])
t1 = time.perf_counter()
p.catalog()
tc = time.perf_counter()
p.state("coder1")
ts = time.perf_counter()
data = C.load(p, "coder1")
t2 = time.perf_counter()
df = C.counts(data)
t3 = time.perf_counter()
by = C.counts(data, by="region")
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "catalog_s": tc - t1, "state_s": ts - tc,
                  "load_s": t2 - t1, "count_s": t3 - t2,
                  "count_by_s": t4 - t3, "total_s": t3 - t0, "codings": data.n_codings,
                  "transcripts": data.n_transcripts, "rows": len(df) + len(by)}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--export-sizes", default="500")
    ap.add_argument("--counts-sizes", default="5000")
    ap.add_argument("--formats", default="xlsx,csv,json")
    ap.add_argument("--words", type=int, default=8000)
    ap.add_argument("--keep", help="folder to keep the generated projects in")
    args = ap.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="wb-bench-counts-"))
    try:
        print("export (2 coders; agreement sheets included)")
        for n in [int(s) for s in args.export_sizes.split(",") if s]:
            root = base / f"export{n}"
            t = time.perf_counter()
            make_project(root, n, words_per_transcript=args.words, n_coders=2)
            gen = time.perf_counter() - t
            for i, fmt in enumerate(args.formats.split(",")):
                if i == 0:
                    shutil.rmtree(root / ".workbench", ignore_errors=True)
                    cold = child(EXPORT_CHILD, str(root), fmt)
                    print(f"  {n:>5} transcripts {fmt:<4} cold catalog: total {cold['total_s']:6.2f}s"
                          f"  (generated in {gen:.0f}s)", flush=True)
                r = child(EXPORT_CHILD, str(root), fmt)
                print(f"  {n:>5} transcripts {fmt:<4} warm: total {r['total_s']:6.2f}s | "
                      f"load codings {r['load_s']:5.2f}s, tables {r['tables_s']:5.2f}s, "
                      f"write {r['write_s']:5.2f}s | {r['codings']} codings, {r['rows']} rows "
                      f"in {r['sheets']} tables, {r['size_mb']:.1f} MB, "
                      f"peak RSS {r['rss_mb']:.0f} MB", flush=True)
        print("counts (1 coder, 90% of transcripts marked done)")
        for n in [int(s) for s in args.counts_sizes.split(",") if s]:
            root = base / f"counts{n}"
            t = time.perf_counter()
            make_project(root, n, words_per_transcript=args.words, n_coders=1)
            gen = time.perf_counter() - t
            shutil.rmtree(root / ".workbench", ignore_errors=True)
            cold = child(COUNTS_CHILD, str(root))
            r = child(COUNTS_CHILD, str(root))
            print(f"  {n:>5} transcripts: cold total {cold['total_s']:6.2f}s | warm total "
                  f"{r['total_s']:5.2f}s = open {r['import_s']:4.2f}s + load codings "
                  f"{r['load_s']:5.2f}s (catalog {r['catalog_s']:4.2f}s, log snapshot "
                  f"{r['state_s']:4.2f}s, rest {r['load_s'] - r['catalog_s'] - r['state_s']:4.2f}s)"
                  f" + count {r['count_s']:5.3f}s (--by region {r['count_by_s']:5.3f}s) | "
                  f"{r['codings']} codings in {r['transcripts']} transcripts in scope "
                  f"(generated in {gen:.0f}s)", flush=True)
            best, median = cli_wall("counts", str(root), "--coder", "coder1", "--codes", "value.")
            print(f"  {n:>5} transcripts: 'workbench counts --coder coder1 --codes value.' "
                  f"process wall time best {best:5.2f}s, median {median:5.2f}s", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
