"""Speed at scale (issue 16): start-up, the cold catalog, log replay and `status`, each measured
against the physical limit of this machine (the cost of reading and decoding the same files)
taken in the same run.

Sections (``--only``; each figure is the median of ``--repeat`` runs, each in a fresh process):

  startup  ``workbench --help`` / ``--version`` and ``status`` on the demo (process wall time),
           with ``python -c pass`` and ``import workbench.cli`` as peers; which commands import
           pandas (those that need no table must not)
  catalog  the transcript catalog built with no cache (``.workbench/`` removed; open + catalog,
           imports excluded) vs reading + decoding + NFC-normalizing every transcript file (in
           one process); the cold catalog parses in worker processes, one per core
           (``workbench.parallel``; the figure says how many), and is also timed in one process
  replay   ``replay()`` of the coder's log, no snapshot, vs reading the log and ``json.loads`` of
           every line; peak memory (growth of the process's peak RSS) vs the log's size
  status   ``workbench status`` (process wall time and peak RSS), cold (no ``.workbench/``: the
           catalog parsed in worker processes while the log is replayed) and warm (what the
           cold run left in ``.workbench/``, the status summaries of ``workbench.status``
           included), vs reading everything in one process (transcripts read + decoded +
           normalized, logs read and every line parsed), at ``--sizes`` and at ``--large``

Projects come from ``bench/synth.py`` (~8,000 words and 200 segments per transcript, one coder,
40 codings per transcript with quotes but without context or transcript CRC, as older logs
wrote them; 5,000 transcripts: 226 MB of text and a 114 MB log), made once in ``--dir`` and
reused; ``--logs current`` measures the large project with logs as the workbench writes them
now (context and the transcript's CRC recorded: nothing to take at a first read). "Cold" means
no derived state in ``.workbench/``; the files themselves are in the page cache (they were just
written or read), as they are on a second run.

Targets: --help/--version < 0.15 s, status on the demo < 0.4 s; cold catalog ≤ 5× its limit at
5,000 transcripts; cold status ≤ 3× reading everything; replay ≤ 1.5× the json.loads limit and
peak memory ≤ 3× the log; 20,000 transcripts: cold status < 15 s and < 1 GiB, warm < 3 s.

    python bench/bench_scale.py [--sizes 5000] [--large 20000] [--repeat 3]
                                [--only startup,catalog,replay,status] [--dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import make_project
from timing import REPO, child_env, fmt_spread, report_target, run_process, spread

from workbench.parallel import processes

PY = sys.executable
# commands that need no table (memos, counts, export, agree build DataFrames: they may)
NO_PANDAS = [["--help"], ["--version"], ["status", "."], ["codebook", "."],
             ["segments", ".", "P01"], ["codings", "."], ["import", "--help"]]

# children: each prints one JSON line
LIMIT_CHILD = r"""
import json, os, resource, sys, time, unicodedata
def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
root, what = sys.argv[1], sys.argv[2]
folder = os.path.join(root, "transcripts")
files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith((".txt", ".md")))
logs = sorted(os.path.join(root, "codings", f) for f in os.listdir(os.path.join(root, "codings"))
              if f.endswith(".jsonl"))
base = rss()
t = time.perf_counter()
if what in ("text", "all"):
    for p in files:   # the normalized text, as workbench.transcripts.lines.normalize makes it
        with open(p, "rb") as f:
            raw = f.read().decode("utf-8")
        if raw.startswith("\ufeff"):
            raw = raw[1:]
        if "\r" in raw:
            raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        unicodedata.normalize("NFC", raw)
if what in ("log", "all"):
    loads = json.loads
    for p in logs:
        with open(p, "rb") as f:
            for line in f:
                loads(line)
print(json.dumps({"s": time.perf_counter() - t, "peak_mb": rss() - base,
                  "log_mb": sum(os.path.getsize(p) for p in logs) / 2**20}))
"""

CATALOG_CHILD = r"""
import json, sys, time
from workbench.project import Project
t = time.perf_counter()
p = Project.open(sys.argv[1])
n = len(p.catalog())
print(json.dumps({"s": time.perf_counter() - t, "n": n}))
"""

REPLAY_CHILD = r"""
import json, os, resource, sys, time
from workbench.replay import replay
def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
path = sys.argv[1]
base = rss()
t = time.perf_counter()
st = replay(path)
s = time.perf_counter() - t
print(json.dumps({"s": s, "peak_mb": rss() - base, "codings": len(st.codings),
                  "log_mb": os.path.getsize(path) / 2**20}))
"""

PANDAS_CHILD = r"""
import contextlib, io, json, sys
from workbench.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps({"pandas": "pandas" in sys.modules, "numpy": "numpy" in sys.modules}))
"""


def child(code: str, *args: str, processes: int | None = None) -> dict:
    env = child_env()
    if processes is not None:
        env["WORKBENCH_PROCESSES"] = str(processes)
    out = subprocess.run([PY, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                         env=env)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_project(base: Path, n: int, logs: str = "older") -> Path:
    """The synthetic project of ``n`` transcripts in ``base`` (made once, then reused); its log
    as older versions wrote it (quotes only) or as the workbench writes it now (quote, context
    and the transcript's CRC-32)."""
    root = base / (f"scale{n}" if logs == "older" else f"scale{n}-{logs}")
    stamp = root / ".made"
    if not stamp.exists():
        t = time.perf_counter()
        make_project(root, n, words_per_transcript=8000, n_coders=1, codings_per_transcript=40,
                     context=logs == "current")
        stamp.write_text("1")
        print(f"  (made {root} in {time.perf_counter() - t:.0f} s)", flush=True)
        time.sleep(2.1)   # files modified in the last 2 s are not cached (workbench.cache)
    return root


def cold(root: Path) -> None:
    shutil.rmtree(root / ".workbench", ignore_errors=True)


def size_label(n: int) -> str:
    return f"{n:,}"


def startup(repeat: int) -> None:
    print("startup (process wall time; the demo project is the repository)", flush=True)
    runs = max(repeat, 7)

    def wall(argv):
        times = []
        for _ in range(runs):
            times.append(run_process(argv)[0])
        return spread(times)
    peers = {"python -c pass": wall([PY, "-c", "pass"]),
             "import workbench.cli": wall([PY, "-c", "import workbench.cli"])}
    for k, v in peers.items():
        print(f"  {k:<28} {fmt_spread(v, 's', 3)}")
    base = peers["python -c pass"]["median"]
    for args, bound in ((["--help"], 0.15), (["--version"], 0.15), (["status", "."], 0.4)):
        s = wall([PY, "-m", "workbench", *args])
        label = "workbench " + " ".join(args).replace(" .", " (demo)")
        print(f"  {label:<28} {fmt_spread(s, 's', 3)}")
        report_target(label, s["median"], "s", limit=base, limit_what="python -c pass",
                      max_value=bound, spread_of=s)
    heavy = []
    for args in NO_PANDAS:
        r = child(PANDAS_CHILD, *args)
        if r["pandas"]:
            heavy.append(" ".join(args))
    print(f"  commands that need no table and import pandas: {', '.join(heavy) or 'none'}")
    report_target("commands without tables that import pandas", len(heavy), "commands",
                  at_most=0)


def catalog(n: int, root: Path, repeat: int) -> None:
    lim, got, one, warm = [], [], [], []
    for _ in range(repeat):
        lim.append(child(LIMIT_CHILD, str(root), "text")["s"])
        cold(root)
        got.append(child(CATALOG_CHILD, str(root))["s"])
        warm.append(child(CATALOG_CHILD, str(root))["s"])
        cold(root)
        one.append(child(CATALOG_CHILD, str(root), processes=1)["s"])
    lim_s, got_s, one_s, warm_s = spread(lim), spread(got), spread(one), spread(warm)
    print(f"  catalog, {size_label(n)} transcripts: cold {fmt_spread(got_s)} ({processes()} "
          f"processes) | limit (read + decode + NFC, one process) {fmt_spread(lim_s)} | ratio "
          f"{got_s['median'] / lim_s['median']:.1f}× | cold in one process {fmt_spread(one_s)} "
          f"({one_s['median'] / lim_s['median']:.1f}×) | warm {fmt_spread(warm_s)}", flush=True)
    report_target(f"cold catalog, {size_label(n)} transcripts ({processes()} processes)",
                  got_s["median"], "s", limit=lim_s["median"], limit_what="read + decode + NFC",
                  max_ratio=5, spread_of=got_s)


def replay(n: int, root: Path, repeat: int) -> None:
    log = root / "codings" / "coder1.jsonl"
    lim, got, mem = [], [], []
    log_mb = log.stat().st_size / 2**20
    for _ in range(repeat):
        lim.append(child(LIMIT_CHILD, str(root), "log")["s"])
        r = child(REPLAY_CHILD, str(log))
        got.append(r["s"])
        mem.append(r["peak_mb"])
    lim_s, got_s, mem_s = spread(lim), spread(got), spread(mem)
    print(f"  replay of a {log_mb:.0f} MiB log ({r['codings']:,} codings): "
          f"{fmt_spread(got_s)} | limit (read + json.loads per line) {fmt_spread(lim_s)} | "
          f"ratio {got_s['median'] / lim_s['median']:.2f}× | peak memory "
          f"{fmt_spread(mem_s, 'MiB', 0)} = {mem_s['median'] / log_mb:.2f}× the log",
          flush=True)
    report_target(f"replay, {log_mb:.0f} MiB log", got_s["median"], "s", limit=lim_s["median"],
                  limit_what="read + json.loads per line", max_ratio=1.5, spread_of=got_s)
    report_target(f"replay peak memory, {log_mb:.0f} MiB log", mem_s["median"], "MiB",
                  limit=log_mb, limit_what="the log's size", max_ratio=3, spread_of=mem_s)


def status(n: int, root: Path, repeat: int, large: bool, logs: str = "older") -> None:
    lim, got, got_mem, warm, warm_mem = [], [], [], [], []
    argv = [PY, "-m", "workbench", "status", str(root)]
    for _ in range(repeat):
        lim.append(child(LIMIT_CHILD, str(root), "all")["s"])
        cold(root)
        s, mb, _ = run_process(argv)
        got.append(s)
        got_mem.append(mb)
        s, mb, _ = run_process(argv)
        warm.append(s)
        warm_mem.append(mb)
    lim_s, got_s, gm, warm_s, wm = (spread(v) for v in (lim, got, got_mem, warm, warm_mem))
    print(f"  status, {size_label(n)} transcripts ({logs} logs): cold {fmt_spread(got_s)}, peak "
          f"{fmt_spread(gm, 'MiB', 0)} | warm {fmt_spread(warm_s)}, peak "
          f"{fmt_spread(wm, 'MiB', 0)} | limit (read everything) {fmt_spread(lim_s)} | cold "
          f"ratio {got_s['median'] / lim_s['median']:.1f}×", flush=True)
    label = f"{size_label(n)} transcripts" + ("" if logs == "older" else f", {logs} logs")
    report_target(f"cold status, {label}", got_s["median"], "s",
                  limit=lim_s["median"], limit_what="reading everything",
                  max_ratio=None if large else 3, max_value=15 if large else None,
                  spread_of=got_s)
    if large:
        report_target(f"cold status peak memory, {label}", gm["median"], "MiB",
                      max_value=1024, spread_of=gm)
        report_target(f"warm status, {label}", warm_s["median"], "s",
                      limit=lim_s["median"], limit_what="reading everything", max_value=3,
                      spread_of=warm_s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="5000", help="sizes for catalog, replay and status")
    ap.add_argument("--large", default="20000", help="size for the large status targets "
                                                     "(empty: none)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--logs", default="older",
                    help="the large project's log: 'older' (quotes only, as the issue measured), "
                         "'current' (quote, context, CRC: as the workbench writes now), or both "
                         "'older,current'")
    ap.add_argument("--only", default="startup,catalog,replay,status")
    ap.add_argument("--dir", default="/tmp/workbench-bench-scale",
                    help="where the synthetic projects are made and kept")
    args = ap.parse_args()
    only = set(args.only.split(","))
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores (shared: figures are "
          f"noisy; medians of {args.repeat} runs, range in brackets); a cold catalog is parsed "
          f"by {processes()} processes (WORKBENCH_PROCESSES), in the catalog and cold status "
          "figures", flush=True)
    if "startup" in only:
        startup(args.repeat)
    sizes = [int(s) for s in args.sizes.split(",") if s] \
        if only & {"catalog", "replay", "status"} else []
    for n in sizes:
        root = ensure_project(base, n)
        print(f"{size_label(n)} transcripts", flush=True)
        if "catalog" in only:
            catalog(n, root, args.repeat)
        if "replay" in only:
            replay(n, root, args.repeat)
        if "status" in only:
            status(n, root, args.repeat, large=False)
    if args.large and "status" in only:
        n = int(args.large)
        for logs in args.logs.split(","):
            root = ensure_project(base, n, logs)
            print(f"{size_label(n)} transcripts, {logs} logs", flush=True)
            status(n, root, max(1, min(args.repeat, 2)), large=True, logs=logs)


if __name__ == "__main__":
    main()
