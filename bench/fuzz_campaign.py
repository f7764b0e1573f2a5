"""A fuzzing campaign over the readers (issue 15): mutations of real files — the demo's
transcripts (txt, md, docx, vtt, srt), the SERDIF study's transcripts, codebooks and coding logs
— and random inputs, each read the way the workbench reads it. Every input must end in a parse
("accepted") or in the workbench's own one-line error ("clean error"); anything else is counted
as a traceback, and an input that runs past the alarm as a hang.

    python bench/fuzz_campaign.py [--inputs 5000] [--seed 1]
"""
from __future__ import annotations

import argparse
import io
import random
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from workbench.codebook import Codebook
from workbench.errors import WorkbenchError
from workbench.replay import replay
from workbench.transcripts import load_transcript

SERDIF = REPO.parent / "shared" / "real-data" / "serdif"
ALARM = 10


def seeds() -> list[tuple[str, str, bytes]]:
    """(kind, extension, bytes) of every real file the campaign mutates."""
    out = []
    for f in sorted((REPO / "transcripts").iterdir()):
        if f.suffix in (".txt", ".md", ".docx", ".vtt", ".srt"):
            out.append(("transcript", f.suffix, f.read_bytes()))
    if SERDIF.is_dir():
        for f in sorted((SERDIF / "transcripts").glob("*.txt"))[:5]:
            out.append(("transcript", ".txt", f.read_bytes()))
        for f in (SERDIF / "codebooks").glob("*.yaml"):
            out.append(("codebook", ".yaml", f.read_bytes()))
        log = (SERDIF / "codings" / "analyst.jsonl").read_bytes()
        out.append(("log", ".jsonl", log[:40_000]))
    for f in (REPO / "codebooks").glob("*.yaml"):
        out.append(("codebook", ".yaml", f.read_bytes()))
    for f in (REPO / "codings").glob("*.jsonl"):
        out.append(("log", ".jsonl", f.read_bytes()))
    return out


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 5, 20])):
        op = rng.randrange(8)
        i = rng.randrange(len(b) + 1) if b else 0
        if op == 0 and b:                        # flip a bit
            b[min(i, len(b) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:                             # truncate
            del b[i:]
        elif op == 2:                             # insert junk
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
        elif op == 3:                             # insert something structural
            b[i:i] = rng.choice([b"\n---\n", b": ", b"*a", b"&a ", b"[" * 200, b"\x00",
                                 b"\xef\xbb\xbf", b'{"op":"code"', b"\r", b"\n\n", b"<v X>",
                                 b"00:00:01.000 --> 00:00:00.000\n", b"1e308", b"-1"])
        elif op == 4 and len(b) > 10:             # duplicate a chunk
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randint(1, 2000)]
        elif op == 5 and len(b) > 10:             # delete a chunk
            del b[i:i + rng.randint(1, 500)]
        elif op == 6:                             # swap two lines
            lines = bytes(b).split(b"\n")
            if len(lines) > 2:
                x, y = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[x], lines[y] = lines[y], lines[x]
                b = bytearray(b"\n".join(lines))
        else:                                     # a zip member replaced (docx)
            if bytes(b[:2]) == b"PK":
                import zipfile
                try:
                    zin = zipfile.ZipFile(io.BytesIO(bytes(b)))
                    out = io.BytesIO()
                    with zipfile.ZipFile(out, "w") as z:
                        for info in zin.infolist():
                            part = zin.read(info)
                            if info.filename == "word/document.xml":
                                part = mutate(part, rng)
                            z.writestr(info.filename, part)
                    b = bytearray(out.getvalue())
                except Exception:
                    pass
    return bytes(b)


def read(kind: str, ext: str, data: bytes, tmp: Path):
    if kind == "transcript":
        return load_transcript(tmp / f"t{ext}", data=data)
    if kind == "codebook":
        return Codebook.from_yaml(data.decode("utf-8", "replace"), "codebook.yaml")
    path = tmp / "codings" / "x.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return replay(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    pool = seeds()
    tally: Counter = Counter()
    by_kind: Counter = Counter()
    slowest = 0.0
    examples: list[str] = []

    def hang(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, hang)
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.inputs):
            if n % 10 == 9:                        # now and then entirely random input
                kind, ext = rng.choice([("transcript", ".txt"), ("transcript", ".vtt"),
                                        ("transcript", ".docx"), ("codebook", ".yaml"),
                                        ("log", ".jsonl")])
                data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000)))
            else:
                kind, ext, data = rng.choice(pool)
                data = mutate(data, rng)
            by_kind[kind] += 1
            t = time.perf_counter()
            signal.alarm(ALARM)
            try:
                read(kind, ext, data, Path(tmp))
                tally["accepted"] += 1
            except WorkbenchError as e:
                tally["clean error" if "\n" not in str(e) else "multi-line error"] += 1
            except TimeoutError:
                tally["hang"] += 1
            except Exception:
                tally["traceback"] += 1
                if len(examples) < 5:
                    examples.append(f"{kind}{ext}: {traceback.format_exc().splitlines()[-1]}")
            finally:
                signal.alarm(0)
            slowest = max(slowest, time.perf_counter() - t)
    print(f"inputs {args.inputs} ({', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))}): "
          f"clean errors {tally['clean error']}, accepted {tally['accepted']}, "
          f"tracebacks {tally['traceback']}, multi-line errors {tally['multi-line error']}, "
          f"hangs {tally['hang']}; slowest input {slowest:.2f} s")
    for e in examples:
        print("  ", e)


if __name__ == "__main__":
    main()
