"""Synthetic projects for benchmarks: ``make_project(root, n_transcripts, ...)``.

Transcripts alternate an interviewer question and an interviewee answer (~40 words per segment,
so ~200 segments for 8,000 words). Each answer voices 0-2 themes drawn from the demo codebook's
leaf codes; a theme's sentence uses one of the code's keywords, so suggestions have signal. Each
coder codes the true themes with noise (misses 10%, adds a wrong code 5%). Logs are written in
one go, in the same JSONL format the workbench appends.

Run as a script to create one: ``python bench/synth.py OUT_DIR N``.
"""
from __future__ import annotations

import json
import random
import shutil
import sys
import zlib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
REGIONS = ["Perm", "Samara", "Kaluga"]
CLUSTERS = {"Perm": "Technopolis Noviy Zvezdnyy", "Samara": "Aerospace innovative cluster",
            "Kaluga": "Pharmaceuticals, Biotechnologies and Biomedicine"}
FILLER = ("the cluster we members region company year work people project time management "
          "question important example situation process partner result plan level director "
          "team meeting industry enterprise market board strategy experience change product "
          "development practice decision quality budget staff office report").split()
VERBS = "think say see know want need try make take give find tell use start help".split()


def _leaf_codes(codebook: dict) -> list[tuple[str, list[str]]]:
    out = []

    def walk(items):
        for c in items:
            if c.get("children"):
                walk(c["children"])
            else:
                out.append((c["id"], c.get("keywords") or [c["name"]]))
    walk(codebook["codes"])
    return out


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(FILLER if i % 3 else VERBS) for i in range(n)]
    return " ".join(words).capitalize() + "."


def make_project(root, n_transcripts: int, words_per_transcript: int = 8000, n_coders: int = 2,
                 codings_per_transcript: int = 40, seed: int = 0, done_fraction: float = 0.9,
                 quotes: bool = True, context: bool = False) -> Path:
    """Create a synthetic project in ``root`` (replaced if it exists) and return its path.
    ``context``: code events record their context and the transcript's CRC-32 too, as the
    workbench writes them today (without it they are as older logs wrote them: a quote only)."""
    rng = random.Random(seed)
    root = Path(root)
    if root.exists():
        shutil.rmtree(root)
    for sub in ("codebooks", "transcripts", "codings", "exports"):
        (root / sub).mkdir(parents=True)
    shutil.copy(REPO / "codebooks" / "cluster-managers-2019.yaml", root / "codebooks")
    (root / "workbench.toml").write_text(
        f'name = "Synthetic {n_transcripts}"\nlanguage = "en"\n'
        'codebook = "codebooks/cluster-managers-2019.yaml"\n', encoding="utf-8")
    codebook = yaml.safe_load((REPO / "codebooks" / "cluster-managers-2019.yaml").read_text())
    leaves = _leaf_codes(codebook)
    n_segments = max(2, words_per_transcript // 40)
    coders = [f"coder{i + 1}" for i in range(n_coders)]
    logs = {c: [] for c in coders}
    ts = "2026-01-01T00:00:00+00:00"
    evid = 0
    for t in range(n_transcripts):
        tid = f"S{t + 1:05d}"
        region = REGIONS[t % 3]
        head = (f"---\nid: {tid}\nregion: {region}\ncluster: {CLUSTERS[region]}\n"
                f"role: cluster manager\ndate: 2019-{(t % 12) + 1:02d}-15\n---\n")
        parts = [head]
        pos = len(head)
        truth = []  # (start, end, [codes]) per interviewee segment
        for s in range(n_segments):
            interviewer = s % 2 == 0
            label = "Interviewer: " if interviewer else "Manager: "
            if interviewer:
                body = _sentence(rng, rng.randint(8, 14)) [:-1] + "?"
                codes = []
            else:
                k = rng.choices([0, 1, 2], weights=[0.45, 0.4, 0.15])[0]
                codes = [leaves[i] for i in rng.sample(range(len(leaves)), k)]
                sents = [_sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(3, 5))]
                for _cid, kws in codes:
                    kw = rng.choice(kws)
                    sents.insert(rng.randrange(len(sents) + 1),
                                 f"For us the {kw} matters a lot {rng.choice(FILLER)}.")
                body = " ".join(sents)
            line = label + body + "\n"
            start = pos + len(label)
            end = start + len(body)
            if codes:
                truth.append((start, end, body, [c for c, _ in codes]))
            parts.append(line)
            pos += len(line)
        text = "".join(parts)
        (root / "transcripts" / f"{tid}.txt").write_text(text, encoding="utf-8")
        crc = zlib.crc32(text.encode("utf-8"))
        # coders: pick up to codings_per_transcript true codings, with noise
        for coder in coders:
            n_done = 0
            for start, end, body, codes in truth:
                for code in codes:
                    if n_done >= codings_per_transcript:
                        break
                    if rng.random() < 0.10:
                        continue
                    if rng.random() < 0.05:
                        code = rng.choice(leaves)[0]
                    evid += 1
                    ev = {"v": 1, "op": "code", "id": f"e{evid:09d}", "transcript": tid,
                          "start": start, "end": end, "code": code, "at": ts,
                          "source": "manual"}
                    if quotes:
                        ev["quote"] = body
                    if context:
                        ev.update(prefix=text[max(0, start - 32):start],
                                  suffix=text[end:end + 32], transcript_crc=crc)
                    logs[coder].append(ev)
                    n_done += 1
            if rng.random() < done_fraction:
                logs[coder].append({"v": 1, "op": "done", "transcript": tid, "at": ts})
    for coder, events in logs.items():
        with open(root / "codings" / f"{coder}.jsonl", "w", encoding="utf-8") as f:
            for ev in events:
                f.write(json.dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n")
    return root


if __name__ == "__main__":
    out, n = sys.argv[1], int(sys.argv[2])
    print(make_project(out, n))
