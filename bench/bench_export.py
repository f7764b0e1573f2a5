"""Exports at scale (issue 16): ``workbench export`` as a user runs it, XLSX against the CSV path.

Targets: the XLSX export of 5,000 transcripts < 15 s and < 1 GB peak memory; nothing in the
export slower than 2× the CSV path (the XLSX and the JSON export each ≤ 2× the CSV export of the
same tables, measured in the same run).

For each size, a synthetic project (bench/synth.py: ~8,000 words and 200 turns per transcript,
two coders with ~36 codings per transcript each, 90% marked done, so the export has its
agreement sheets) is made once in ``--dir`` and reused. Each figure is a separate process
``python -m workbench export PROJECT --coder coder1 --format F --out TMP --force``, with warm
caches (a first, untimed run fills ``.workbench/``): wall time, CPU time (user + system) and peak
RSS, best and median of ``--repeat`` runs. The machine is shared: wall times are noisy, CPU time
less so.

``--writers`` also times the writers alone on the same tables, in one process: the XLSX writer
(XlsxWriter, constant_memory), openpyxl's write-only mode (the writer before issue 16, kept here
for the comparison) and the CSV writer.

    python bench/bench_export.py [--sizes 500,5000] [--repeat 3] [--formats xlsx,csv,json]
                                 [--writers] [--dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import make_project
from timing import REPO

try:   # the shared shape of a target line (bench/timing.py), where it exists
    from timing import report_target
except ImportError:   # pragma: no cover - older bench/timing.py
    report_target = None

WRITERS_CHILD = r"""
import json, sys, time, tempfile
from pathlib import Path
from workbench.project import Project
from workbench import counts as C, export as E
p = Project.open(sys.argv[1])
meta, tabs = E.tables(p, data=C.load(p, "coder1"))
out = Path(tempfile.mkdtemp(prefix="wb-bench-writers-"))
res = {"cells": int(sum(t.frame.size for t in tabs))}


def openpyxl_write_only(path, meta, tabs):
    # the XLSX writer before issue 16 (openpyxl write-only mode), for the comparison
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from workbench.spreadsheet import xlsx_text, QuotePrefixed
    from workbench.xlsx import cell_value, column_width, sheet_name
    wb = Workbook(write_only=True)
    bold, taken = Font(bold=True), set()
    for t in [E.Table("README", "", E.readme_frame(meta, tabs), 1), *tabs]:
        ws = wb.create_sheet(sheet_name(t.name, taken))
        cols = [df_col.tolist() for _, df_col in t.frame.items()]
        for i, (name, values) in enumerate(zip(t.frame.columns, cols), start=1):
            ws.column_dimensions[get_column_letter(i)].width = column_width(name, values)
        ws.freeze_panes = f"{get_column_letter(t.freeze_cols + 1)}2"
        ws.append([WriteOnlyCell(ws, value=str(c)) for c in t.frame.columns])
        for row in zip(*cols):
            cells = []
            for v in row:
                v = cell_value(v)
                if type(v) is str:
                    v = xlsx_text(v)
                    if type(v) is QuotePrefixed:
                        c = WriteOnlyCell(ws, value=str(v))
                        c.data_type, c.quotePrefix = "s", True
                        v = c
                cells.append(v)
            ws.append(cells)
    wb.save(path)


for name, write in (("xlsxwriter", lambda: E.write_xlsx(out / "a.xlsx", meta, tabs)),
                    ("openpyxl", lambda: openpyxl_write_only(out / "b.xlsx", meta, tabs)),
                    ("csv", lambda: E.write_csv(out / "c", meta, tabs))):
    t, c = time.perf_counter(), time.process_time()
    write()
    res[name] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}
print(json.dumps(res))
"""


def run(argv: list[str]) -> dict:
    """Run a process to its end: wall and CPU seconds, peak RSS (MB), stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status):
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed:\n{err.read().decode(errors='replace')}")
        out.seek(0)
        return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                "rss_mb": usage.ru_maxrss * 1024 / 1e6, "out": out.read().decode()}


def stats(values: list[float]) -> dict:
    return {"best": min(values), "median": statistics.median(values), "n": len(values)}


def export_runs(root: Path, fmt: str, repeat: int) -> dict:
    out = Path(tempfile.mkdtemp(prefix="wb-bench-export-"))
    argv = [sys.executable, "-m", "workbench", "export", str(root), "--coder", "coder1",
            "--format", fmt, "--out", str(out), "--force", "--json"]
    try:
        runs = [run(argv) for _ in range(repeat)]
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {k: stats([r[k] for r in runs]) for k in ("wall", "cpu", "rss_mb")}


def target(what: str, measured: float, unit: str, *, limit: float, limit_what: str,
           max_ratio: float | None = None, max_value: float | None = None) -> None:
    if report_target is not None:
        report_target(what, measured, unit, limit=limit, limit_what=limit_what,
                      max_ratio=max_ratio, max_value=max_value)
        return
    ratio = measured / limit if limit else float("nan")
    ok = (max_ratio is None or ratio <= max_ratio) and (max_value is None or measured < max_value)
    bound = " and ".join(b for b in (f"≤ {max_ratio:g}×" if max_ratio is not None else "",
                                     f"< {max_value:g} {unit}" if max_value is not None else "")
                         if b)
    print(f"  -> {what}: {measured:.4g} {unit} (target {bound}) | limit {limit:.4g} {unit} "
          f"({limit_what}), ratio {ratio:.2f}× — {'ok' if ok else 'MISSED'}", flush=True)


def ensure_project(base: Path, n: int) -> Path:
    root = base / f"export{n}"
    if not (root / "codings" / "coder2.jsonl").is_file():
        t = time.perf_counter()
        make_project(root, n, n_coders=2)
        print(f"  (made {root} in {time.perf_counter() - t:.0f} s)", flush=True)
    return root


def label(n: int) -> str:
    return f"{n:,}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default="xlsx,csv,json")
    ap.add_argument("--writers", action="store_true", help="also time the writers alone")
    ap.add_argument("--dir", help="folder to keep the generated projects in (reused)")
    args = ap.parse_args()
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="wb-bench-export-"))
    formats = [f for f in args.formats.split(",") if f]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores (shared: wall times are "
          f"noisy), {args.repeat} runs each; warm caches", flush=True)
    try:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            root = ensure_project(base, n)
            print(f"{label(n)} transcripts (2 coders, agreement sheets included)", flush=True)
            export_runs(root, "csv", 1)                  # untimed: fills .workbench/
            res = {}
            for fmt in formats:
                r = res[fmt] = export_runs(root, fmt, args.repeat)
                print(f"  export --format {fmt:<4}: wall best {r['wall']['best']:6.2f} s, median "
                      f"{r['wall']['median']:6.2f} s | CPU median {r['cpu']['median']:6.2f} s | "
                      f"peak RSS median {r['rss_mb']['median']:6.0f} MB", flush=True)
            if "csv" in res:
                csv_s = res["csv"]["wall"]["median"]
                if "xlsx" in res:
                    big = n >= 5000
                    target(f"xlsx export, {label(n)} transcripts", res["xlsx"]["wall"]["median"],
                           "s", limit=csv_s, limit_what="csv export, same run", max_ratio=2,
                           max_value=15 if big else None)
                    if big:
                        target(f"xlsx export peak memory, {label(n)} transcripts",
                               res["xlsx"]["rss_mb"]["median"], "MB",
                               limit=res["csv"]["rss_mb"]["median"], limit_what="csv export",
                               max_value=1000)
                if "json" in res:
                    target(f"json export, {label(n)} transcripts", res["json"]["wall"]["median"],
                           "s", limit=csv_s, limit_what="csv export, same run", max_ratio=2)
            if args.writers:
                w = json.loads(run([sys.executable, "-c", WRITERS_CHILD, str(root)])["out"])
                print(f"  writers alone ({w['cells']:,} cells): " + ", ".join(
                    f"{k} {w[k]['wall']:.2f} s (CPU {w[k]['cpu']:.2f} s)"
                    for k in ("xlsxwriter", "openpyxl", "csv")), flush=True)
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
