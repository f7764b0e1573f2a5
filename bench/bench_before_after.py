"""Before and after: the load benchmark's child run on an earlier commit and on this tree,
alternately, on the same synthetic projects, in the same session (issue 13's "benchmark figures
before and after": a shared machine's load then weighs on both sides alike).

For each size the projects are made once with ``bench/synth.py`` (one coder, 40 codings per
transcript, as ``bench_load.py`` makes them); each round runs, for each tree, a cold load (no
``.workbench/``) and then a warm one, each in a fresh process with ``PYTHONPATH`` on that tree.
A checkout of ``--before`` is made with ``git worktree add --detach`` in a temporary folder
and removed afterwards. Prints every run, then the medians and ranges.

    python bench/bench_before_after.py [--before a055c1a] [--sizes 50,500,5000] [--rounds 3]
                                       [--dir DIR]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import CHILD
from synth import make_project
from timing import REPO, child_env


def load(tree: Path, root: Path) -> dict:
    env = child_env()
    env["PYTHONPATH"] = str(tree)
    out = subprocess.run([sys.executable, "-c", CHILD, str(root)], capture_output=True,
                         text=True, check=True, env=env, cwd=tempfile.gettempdir())
    return json.loads(out.stdout)


def spread(values: list[float], fmt: str) -> str:
    values = sorted(values)
    mid = values[len(values) // 2]
    return (fmt % mid) + (f" ({fmt % values[0]}–{fmt % values[-1]})" if len(values) > 1 else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default="a055c1a", help="the earlier commit (default: before "
                    "issue 13's refactor)")
    ap.add_argument("--sizes", default="50,500,5000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", help="folder for the generated projects (kept; default: a "
                    "temporary one)")
    args = ap.parse_args()
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="wb-before-after-"))
    checkout = Path(tempfile.mkdtemp(prefix="wb-before-")) / "tree"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(checkout),
                    args.before], check=True)
    trees = {"before": checkout, "after": REPO}
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            root = base / f"synth{n}"
            if not (root / "codings").is_dir():
                make_project(root, n, words_per_transcript=8000, n_coders=1,
                             codings_per_transcript=40)
            runs: dict[str, list[dict]] = {"before": [], "after": []}
            for r in range(args.rounds):
                for name, tree in trees.items():
                    shutil.rmtree(root / ".workbench", ignore_errors=True)
                    cold, warm = load(tree, root), load(tree, root)
                    runs[name].append({"cold": cold["total_s"], "warm": warm["total_s"],
                                       "cold_mb": cold["rss_mb"], "warm_mb": warm["rss_mb"],
                                       "codings": cold["codings"]})
                    print(f"{n:>6} {name:<6} round {r + 1}: cold {cold['total_s']:6.2f} s "
                          f"warm {warm['total_s']:5.2f} s | peak {cold['rss_mb']:5.0f} MB cold, "
                          f"{warm['rss_mb']:5.0f} MB warm | {cold['codings']} codings",
                          flush=True)
            for name in trees:
                rs = runs[name]
                print(f"{n:>6} transcripts, {name:<6}: cold "
                      f"{spread([x['cold'] for x in rs], '%.2f')} s, warm "
                      f"{spread([x['warm'] for x in rs], '%.2f')} s, peak "
                      f"{spread([x['cold_mb'] for x in rs], '%.0f')} MB cold / "
                      f"{spread([x['warm_mb'] for x in rs], '%.0f')} MB warm", flush=True)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(checkout)],
                       check=False)
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
