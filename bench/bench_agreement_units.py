"""Unit tables and agreement exports on synthetic projects (workbench.agreement.units).

Generates seeded synthetic projects with bench/synth.py (~8,000 words, ~100 interviewee turns and
up to 40 codings per transcript per coder, 90% of transcripts marked done by each coder) and
measures, each in a fresh process with warm caches (catalog, log snapshots, anchors):

- ``unit_table`` for the coders, per unit (segment, transcript) and options (default,
  ``all_speakers``, ``coded_only``, ``codes="value."``), after the catalog and the coders' logs
  are loaded (so the figure is the unit table itself: coding columns, segment look-ups, sets);
- ``agreement_report`` (unit table + overall and per-code statistics) per unit (segment,
  transcript, span) and with a 1,000-replicate bootstrap resampling whole transcripts;
- the agreement sheets of an export (``export.agreement_tables``: both reports), and the whole
  ``workbench export PROJECT --coder coder1 --format xlsx`` as a user runs it (process wall time,
  best and median of 3).

    python bench/bench_agreement_units.py [--sizes 500,5000] [--coders 3] [--words 8000]
                                          [--keep DIR [--reuse]] [--quick]

``--keep DIR`` keeps the projects (DIR/units<N>-<coders>c); with ``--reuse`` an existing one is
used as it is (to time two versions of the code on the same data).
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

REPO = Path(__file__).resolve().parent.parent

UNITS_CHILD = r"""
import json, sys, time, resource
t0 = time.perf_counter()
from workbench.project import Project
from workbench.agreement.units import unit_table
from workbench.agreement.report import agreement_report
from workbench import counts as C, export as E
p = Project.open(sys.argv[1])
coders = [c for c in p.coders() if c != "consensus"]
t1 = time.perf_counter()
p.catalog()
for c in coders:
    p.state(c)
t2 = time.perf_counter()
out = {"open_s": t1 - t0, "catalog_logs_s": t2 - t1, "coders": len(coders)}
cases = [("segment", {}), ("segment", {"all_speakers": True}),
         ("segment", {"coded_only": True}), ("segment", {"codes": "value."}),
         ("transcript", {}), ("transcript", {"all_speakers": True})]
for unit, kw in cases:
    name = f"{unit} " + (",".join(f"{k}={v}" for k, v in kw.items()) or "default")
    t = time.perf_counter()
    ut = unit_table(p, coders, unit=unit, **kw)
    out[name] = {"s": time.perf_counter() - t, "units": len(ut.values),
                 "coded": int(sum(any(v for v in row if v) for row in
                                  ut.values.itertuples(index=False)))}
for name, unit, kw in (("segment", "segment", {}), ("transcript", "transcript", {}),
                       ("span", "span", {}),
                       ("segment bootstrap 1000 by transcript", "segment",
                        {"bootstrap": 1000, "bootstrap_by": "transcript"})):
    t = time.perf_counter()
    rep = agreement_report(p, coders, unit=unit, **kw)
    out[f"report {name}"] = {"s": time.perf_counter() - t,
                             "alpha": rep.overall.get("krippendorff_alpha")}
data = C.load(p, "coder1")
t = time.perf_counter()
tabs, note, warns = E.agreement_tables(p, data)
out["agreement_tables_s"] = time.perf_counter() - t
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         cwd=REPO)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--coders", type=int, default=3)
    ap.add_argument("--words", type=int, default=8000)
    ap.add_argument("--keep", help="folder to keep the generated projects in")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: use a project already generated there")
    ap.add_argument("--no-export", action="store_true", help="skip the 'workbench export' runs")
    ap.add_argument("--quick", action="store_true", help="small projects (50, 500)")
    args = ap.parse_args()
    sizes = [50, 500] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="wb-bench-units-"))
    try:
        for n in sizes:
            root = base / f"units{n}-{args.coders}c"
            if args.reuse and (root / "workbench.toml").is_file():
                gen = "reused"
            else:
                t = time.perf_counter()
                make_project(root, n, words_per_transcript=args.words, n_coders=args.coders)
                gen = f"generated in {time.perf_counter() - t:.0f}s"
            child(UNITS_CHILD, str(root))          # warms the caches (catalog, snapshots, anchors)
            r = child(UNITS_CHILD, str(root))
            print(f"{n} transcripts, {r['coders']} coders ({gen}); open {r['open_s']:.2f}s, "
                  f"catalog + logs {r['catalog_logs_s']:.2f}s, peak RSS {r['rss_mb']:.0f} MB",
                  flush=True)
            for k, v in r.items():
                if isinstance(v, dict) and k.startswith(("segment", "transcript")):
                    print(f"  unit_table {k:<32} {v['s']:7.3f}s  ({v['units']} units, "
                          f"{v['coded']} coded)", flush=True)
            for k, v in r.items():
                if k.startswith("report "):
                    alpha = "per code" if v["alpha"] is None else f"{v['alpha']:.4f}"
                    print(f"  agreement_report {k[7:]:<26} {v['s']:7.3f}s  (alpha {alpha})",
                          flush=True)
            label = "export.agreement_tables (both reports)"
            print(f"  {label:<43} {r['agreement_tables_s']:7.3f}s", flush=True)
            if not args.no_export:
                out = base / f"export{n}.xlsx"
                best, median = cli_wall("export", str(root), "--coder", "coder1", "--format",
                                        "xlsx", "--out", str(out), "--force", runs=3)
                print(f"  'workbench export --coder coder1 --format xlsx' wall time best "
                      f"{best:6.2f}s, median {median:6.2f}s", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
