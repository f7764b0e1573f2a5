"""REFI-QDA interchange benchmark (issue 11).

Targets: importing the 1.45 MB NVivo for Windows sample (``workbench init P --from
nvivo-12.6-win_oltas0517.qdpx``: 152 codes, 2 texts of ~600k characters, 303 codings) in under
3 s; exporting the 500-transcript synthetic project (bench/synth.py: ~8,000 words and up to 40
codings per transcript and coder, 2 coders) to ``.qdpx`` in under 10 s.

Each figure is the wall time of the command as a user runs it, in a fresh process (best and
median of ``--runs``); the export is measured cold (no ``.workbench/`` caches) and warm; the
synthetic export is then re-imported into a new project (``init --from``: 500 transcripts, ~41k
codings). Also printed: the in-process split of each import (read + convert, plan, write).

    python bench/bench_interchange.py [--sample PATH] [--sizes 500] [--runs 5] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import make_project
from timing import cli_wall

SAMPLE = Path(os.environ.get("WORKBENCH_REFI_SAMPLES", "/work/shared/refi-qda-samples")) / \
    "nvivo-12.6-win_oltas0517.qdpx"


def wall(args: list[str], runs: int, before=None) -> tuple[float, float]:
    """Best and median wall time of ``workbench ARGS`` (``before()`` runs untimed first)."""
    return cli_wall(*args, runs=runs, before=before)


def in_process(qdpx: Path, target: Path) -> str:
    """The split of one ``init --from`` in this process: read + convert, plan, write."""
    from workbench.interchange.refi_project import plan_import
    from workbench.interchange.refi_read import read_refi
    from workbench.project import Project, init_project
    shutil.rmtree(target, ignore_errors=True)
    t0 = time.perf_counter()
    refi = read_refi(qdpx)
    t1 = time.perf_counter()
    root = init_project(target)
    plan = plan_import(Project.open(root), refi, fresh=True)
    t2 = time.perf_counter()
    plan.execute()
    t3 = time.perf_counter()
    n = sum(len(s.selections) for s in refi.sources)
    events = {c: len(evs) for c, evs in plan.events.items()}
    return (f"read + convert {t1 - t0:.2f} s ({n} selections), plan {t2 - t1:.2f} s, write "
            f"{t3 - t2:.2f} s ({len(plan.files)} transcripts, {sum(plan.s.codings.values())} "
            f"codings, {sum(events.values())} events in {len(events)} coder log(s))")


def bench_import(sample: Path, tmp: Path, runs: int) -> None:
    target = tmp / "imported"
    clear = lambda: shutil.rmtree(target, ignore_errors=True)
    best, median = wall(["init", str(target), "--from", str(sample)], runs, before=clear)
    size = sample.stat().st_size / 1e6
    print(f"import {sample.name} ({size:.2f} MB) via 'workbench init P --from': "
          f"best {best:.2f} s, median {median:.2f} s (target < 3 s)")
    print(f"  in process: {in_process(sample, target)}")


def bench_export(n: int, tmp: Path, runs: int) -> None:
    root = make_project(tmp / f"synth{n}", n)
    out = tmp / f"synth{n}.qdpx"
    args = ["export", str(root), "--format", "qdpx", "--out", str(out), "--force"]
    cold = wall(args, runs, before=lambda: shutil.rmtree(root / ".workbench", ignore_errors=True))
    warm = wall(args, runs)
    size = out.stat().st_size / 1e6
    print(f"export {n} transcripts to .qdpx ({size:.1f} MB): cold best {cold[0]:.2f} s / median "
          f"{cold[1]:.2f} s, warm best {warm[0]:.2f} s / median {warm[1]:.2f} s (target < 10 s)")
    new = tmp / f"reimport{n}"
    best, median = wall(["init", str(new), "--from", str(out)], runs,
                        before=lambda: shutil.rmtree(new, ignore_errors=True))
    print(f"re-import of that export into a new project ('workbench init P --from'): "
          f"best {best:.2f} s, median {median:.2f} s")
    print(f"  in process: {in_process(out, new)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=Path, default=SAMPLE, help="the NVivo sample .qdpx")
    ap.add_argument("--sizes", default="500", help="synthetic project sizes to export")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="keep the generated data in this folder")
    args = ap.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="bench-refi-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        if args.sample.is_file():
            bench_import(args.sample, tmp, args.runs)
        else:
            print(f"skipped the import: {args.sample} not found (set WORKBENCH_REFI_SAMPLES)")
        for n in (int(x) for x in args.sizes.split(",") if x):
            bench_export(n, tmp, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
