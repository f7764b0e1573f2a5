"""Check that the suggestions, the trained models and the evaluation are the same as at another
commit (default: main): for changes meant to make the suggester faster without changing what it
says (issue 16).

Run:  python bench/check_suggest_same.py [--ref main] [--serdif] [--synthetic N]

1. The demo project: models trained by the reference code (numpy's global random state seeded,
   since liblinear draws its seed from it), then every suggestion of every learning source made
   by the reference code and by this code from those same models — identical, field by field.
2. The models this code trains on a fresh copy, seeded the same way — identical arrays and JSON
   (apart from the training date and seconds).
3. With --serdif: ``evaluate`` on a copy of ../shared/real-data/serdif by both — identical
   reports (apart from seconds). With --synthetic N: step 1 on a synthetic project of N
   transcripts (bench/synth.py), models trained on another one as bench_suggest.py does.

Each side runs in a process of its own (the reference code is exported with ``git archive``).
Exit status 1 when anything differs.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERDIF = Path("/work/shared/real-data/serdif")
SOURCES = [("anna", None), ("boris", None), (None, None), (None, ["anna", "boris"])]


def child(code: Path, action: str, args: list[str]) -> None:
    """One side's work, in its own process (``--child``)."""
    sys.path.insert(0, str(code))
    sys.path.insert(0, str(code / "bench"))
    import numpy

    from workbench.project import Project
    from workbench.suggest import Suggester, evaluate
    root = Path(args[0])
    if action == "synth":
        from synth import make_project
        small = make_project(root / "train", 20, words_per_transcript=8000, seed=1)
        numpy.random.seed(0)
        Suggester(Project.open(small), coder="coder1").train()
        big = make_project(root / "big", int(args[1]), words_per_transcript=9500, seed=2)
        shutil.copytree(small / "models", big / "models")
        return
    p = Project.open(root)
    sources = SOURCES if (root / "codings" / "anna.jsonl").exists() else [("coder1", None)]
    if action == "train":
        for coder, coders in sources:
            numpy.random.seed(0)
            Suggester(p, coder=coder, coders=coders).train(force=True)
    elif action == "suggest":
        out = {}
        for coder, coders in sources:
            s = Suggester(p, coder=coder, coders=coders)
            out[repr((coder, coders))] = [
                x.to_dict() | {"match": [x.match_start, x.match_end]}
                for t in p.transcript_ids() for x in s.suggest_transcript(t)]
        Path(args[1]).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    elif action == "evaluate":
        numpy.random.seed(0)
        rep = evaluate(p, folds=5).to_dict()
        rep.pop("seconds", None)
        Path(args[1]).write_text(json.dumps(rep, sort_keys=True), encoding="utf-8")


def run(code: Path, action: str, *args) -> None:
    subprocess.run([sys.executable, __file__, "--child", str(code), action, *map(str, args)],
                   check=True, cwd=code)


def copy_project(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in ("workbench.toml", "codebooks", "transcripts", "codings"):
        s = src / name
        if s.is_dir():
            shutil.copytree(s, dst / name)
        elif s.exists():
            shutil.copy(s, dst / name)
    for path in [dst, *dst.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    return dst


def same_models(a: Path, b: Path) -> list[str]:
    import numpy
    diffs = []
    for folder in sorted((a / "models" / "suggest").iterdir()):
        other = b / "models" / "suggest" / folder.name
        ja = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        jb = json.loads((other / "model.json").read_text(encoding="utf-8"))
        for j in (ja, jb):
            for key in ("trained_at", "seconds"):
                j["meta"].pop(key, None)
        with numpy.load(folder / "arrays.npz") as x, numpy.load(other / "arrays.npz") as y:
            arrays = sorted(x.files) == sorted(y.files) and all(
                numpy.array_equal(x[k], y[k]) for k in x.files)
        if ja != jb or not arrays:
            diffs.append(f"model {folder.name}: " + ("JSON differs " if ja != jb else "")
                         + ("" if arrays else "arrays differ"))
    return diffs


def compare(label: str, a: Path, b: Path) -> bool:
    da, db = json.loads(a.read_text(encoding="utf-8")), json.loads(b.read_text(encoding="utf-8"))
    if da == db:
        n = sum(len(v) for v in da.values()) if label != "evaluation" else None
        print(f"{label}: identical" + (f" ({n} suggestions)" if n is not None else
                                       f" (micro F1 {da['micro']['f1']}, kappa "
                                       f"{da['micro']['kappa']}, recall@3 "
                                       f"{da['ranking']['recall_at_3']})"))
        return True
    print(f"{label}: DIFFERENT")
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="main", help="the commit to compare with (default: main)")
    ap.add_argument("--serdif", action="store_true", help="also compare the SERDIF evaluation")
    ap.add_argument("--synthetic", type=int, metavar="N",
                    help="also compare the suggestions on N synthetic transcripts")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1], args.child[2:])
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="suggest-same-"))
    ok = True
    try:
        ref = tmp / "ref"
        ref.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", args.ref],
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(ref, filter="data")
        demo_a = copy_project(REPO, tmp / "demo-a")
        run(ref, "train", demo_a)
        run(ref, "suggest", demo_a, tmp / "ref.json")
        run(REPO, "suggest", demo_a, tmp / "this.json")
        ok &= compare(f"demo suggestions ({args.ref} vs this code, {args.ref}'s models)",
                      tmp / "ref.json", tmp / "this.json")
        demo_b = copy_project(REPO, tmp / "demo-b")
        run(REPO, "train", demo_b)
        diffs = same_models(demo_a, demo_b)
        print("demo models trained by this code: " + ("identical" if not diffs else
                                                         "; ".join(diffs)))
        ok &= not diffs
        if args.synthetic:
            run(ref, "synth", tmp / "synth", args.synthetic)
            run(ref, "suggest", tmp / "synth" / "big", tmp / "ref-synth.json")
            run(REPO, "suggest", tmp / "synth" / "big", tmp / "this-synth.json")
            ok &= compare(f"synthetic suggestions ({args.synthetic} transcripts)",
                          tmp / "ref-synth.json", tmp / "this-synth.json")
        if args.serdif:
            if not SERDIF.is_dir():
                print(f"no corpus at {SERDIF}", file=sys.stderr)
                return 1
            for side, code in (("ref", ref), ("this", REPO)):
                corpus = copy_project(SERDIF, tmp / f"serdif-{side}")
                run(code, "evaluate", corpus, tmp / f"eval-{side}.json")
            ok &= compare("evaluation", tmp / "eval-ref.json", tmp / "eval-this.json")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
