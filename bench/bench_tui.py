"""Benchmark of the terminal UI, driven headless with Textual's ``App.run_test``.

Run:  python bench/bench_tui.py [--sizes 5000,50] [--presses 100] [--dir /tmp/workbench-bench]

Measures, on synthetic projects from ``bench/synth.py`` (200 segments per transcript, 2 coders,
40 codings per transcript; made once and reused from --dir; the catalog cache is warmed first):

  first screen   app start -> the first frame of the project screen with every transcript
                 listed (usable: filter, move, Enter)
  log read       app start -> the coder's log replayed in a background thread (coded counts
                 shown; a transcript opened before that opens when it is done)
  open           Enter on a 200-segment transcript -> the frame showing the coding screen
                 (median of 5 transcripts)
  key press      a code key -> log append (fsync) -> the frame showing the new label, median
                 and 90th percentile of N presses (a code toggled on and off on segments);
                 "handled": key -> appended and the segment's state updated (before the frame,
                 which Textual paces at 60 fps)

Keys are posted as the terminal driver posts them (Pilot.press adds ~40 ms of fixed waits), and
a "frame" is the screen update handed to the (headless) driver: the terminal write itself is
not included.

Claims (issue 3): first screen < 1.5 s with 5,000 transcripts; open < 300 ms; key press < 50 ms,
and the 5,000-transcript numbers within 1.5x of the 50-transcript ones. Suggestions are off (their
background spaCy work is measured by the suggestion benchmarks).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth import make_project
from timing import report_target

from workbench.project import Project

CODER = "coder1"


def ensure_project(base: Path, n: int) -> Path:
    root = base / f"p{n}"
    if not (root / "workbench.toml").exists() or not (root / ".workbench" / "catalog.json").exists():
        t = time.perf_counter()
        make_project(root, n)
        Project.open(root).catalog()  # build the catalog cache once
        print(f"  made {root} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    (root / ".workbench" / f"position-{CODER}.json").unlink(missing_ok=True)
    return root


def send_key(app, key: str) -> None:
    """Post a key event as the terminal driver would (Pilot.press adds fixed waits of its own,
    ~40 ms, which would swamp what is measured here)."""
    from textual import events
    ev = events.Key(key, key if len(key) == 1 else None)
    ev.set_sender(app)
    app._driver.send_message(ev)


async def until(cond, timeout: float = 30.0) -> None:
    t = time.perf_counter()
    while not cond():
        if time.perf_counter() - t > timeout:
            raise SystemExit("timed out")
        await asyncio.sleep(0)


def watch_frames(app) -> list[float]:
    """Times at which the app handed a screen update to the (headless) terminal driver."""
    frames: list[float] = []
    original = app._display

    def display(screen, update):
        original(screen, update)
        frames.append(time.perf_counter())
    app._display = display
    return frames


async def next_frame(frames: list[float]) -> float:
    """Wait for the next screen update and return its time."""
    n = len(frames)
    await until(lambda: len(frames) > n)
    return frames[-1]


async def measure(root: Path, presses: int) -> dict:
    from workbench.tui.app import WorkbenchApp
    from workbench.tui.widgets.transcript_list import TranscriptList

    out: dict = {}
    t0 = time.perf_counter()
    app = WorkbenchApp(Project.open(root), coder=CODER, suggestions=False)
    n_transcripts = None
    async with app.run_test(size=(120, 36)) as pilot:
        frames = watch_frames(app)
        while True:
            scr = app.screen
            if scr.id == "project":
                table = scr.query_one(TranscriptList)
                if table.row_count:
                    n_transcripts = table.row_count
                    break
            await asyncio.sleep(0.001)
        out["first screen"] = await next_frame(frames) - t0
        while not app.ready:
            await asyncio.sleep(0.005)
        out["log read"] = time.perf_counter() - t0
        await pilot.pause()

        # open a transcript from the project screen (Enter), five times: median
        from workbench.tui.widgets.segment_view import SegmentView

        def opened():
            views = app.screen.query(SegmentView) if app.screen.id == "coding" else []
            return bool(views) and bool(views.first().segments)
        opens = []
        for j in range(5):
            if j:
                await pilot.press("q")
                await until(lambda: app.screen.id == "project")
            app.screen.select_tid(app.screen._shown[2 + j])
            await pilot.pause()
            t = time.perf_counter()
            send_key(app, "enter")
            await until(opened)
            opens.append(await next_frame(frames) - t)
        out["open"] = statistics.median(opens)
        n_segments = len(app.screen.view.segments)
        await pilot.pause()

        # key presses: toggle code 1 on a segment (on, then off), move on, ...
        log = root / "codings" / f"{CODER}.jsonl"
        view = app.screen.view
        times, handled = [], []
        await pilot.press("j")
        for k in range(presses):
            size = log.stat().st_size
            i = view.cursor
            before = len(view._decor[i].labels)
            t = time.perf_counter()
            send_key(app, "1")
            await until(lambda size=size, i=i, before=before:
                        log.stat().st_size > size and len(view._decor[i].labels) != before)
            handled.append(time.perf_counter() - t)
            times.append(await next_frame(frames) - t)
            if k % 2 == 1:
                await pilot.press("j", "j")
        out["key press"] = statistics.median(times)
        out["key handled"] = statistics.median(handled)
        out["key press p90"] = sorted(times)[int(0.9 * len(times))]
        out["n_segments"] = n_segments
        out["n_transcripts"] = n_transcripts
        await pilot.press("ctrl+q")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="5000,50")
    ap.add_argument("--presses", type=int, default=100)
    ap.add_argument("--dir", default="/tmp/workbench-bench")
    args = ap.parse_args()
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        root = ensure_project(base, n)
        rows.append((n, asyncio.run(measure(root, args.presses))))
    print(f"{'transcripts':>11} {'first screen':>13} {'log read':>9} {'open (segs)':>14} "
          f"{'key median':>11} {'key p90':>8} {'(handled)':>10}")
    for n, r in rows:
        print(f"{n:>11} {r['first screen'] * 1000:>10.0f} ms {r['log read']:>7.2f} s "
              f"{r['open'] * 1000:>6.0f} ms ({r['n_segments']}) {r['key press'] * 1000:>8.1f} ms "
              f"{r['key press p90'] * 1000:>5.1f} ms {r['key handled'] * 1000:>7.1f} ms")
    if len(rows) >= 2:
        big, small = rows[0][1], rows[-1][1]
        print(f"ratio {rows[0][0]}/{rows[-1][0]}: open {big['open'] / small['open']:.2f}x, "
              f"key press {big['key press'] / small['key press']:.2f}x")
    for n, r in rows:
        report_target(f"key -> fsync -> screen, median of {args.presses}, {n:,} transcripts",
                      r["key press"] * 1000, "ms", max_value=50)
    if len(rows) >= 2:
        (n_big, big), (n_small, small) = rows[0], rows[-1]
        report_target(f"key press flat: {n_big:,} vs {n_small:,} transcripts",
                      big["key press"] * 1000, "ms", limit=small["key press"] * 1000,
                      limit_what=f"the same at {n_small:,} transcripts", max_ratio=1.5)


if __name__ == "__main__":
    main()
