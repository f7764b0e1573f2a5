"""Helpers for the terminal UI tests: a COPY of the demo project in tmp_path (never the repo's
own logs), a fixed coder, and helpers to drive the real app headless."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from workbench.project import Project

REPO = Path(__file__).resolve().parents[2]
CODER = "tester"


def copy_demo(root: Path) -> Path:
    """A copy of the bundled demo project with an empty codings/ folder."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "workbench.toml", root / "workbench.toml")
    shutil.copytree(REPO / "codebooks", root / "codebooks")
    shutil.copytree(REPO / "transcripts", root / "transcripts")
    (root / "codings").mkdir()
    return root


def copy_demo_with_logs(root: Path, coders: tuple[str, ...] = ("anna", "boris")) -> Path:
    """A copy of the demo project WITH the demo coders' logs (codings/anna.jsonl, boris.jsonl)."""
    copy_demo(root)
    for c in coders:
        shutil.copy(REPO / "codings" / f"{c}.jsonl", root / "codings" / f"{c}.jsonl")
    return root


async def settle_workers(pilot) -> None:
    """Wait for the screen's worker threads (agreement, counts…) and the redraws after them.

    A worker may start only after the key that opens its screen has been handled, so waiting
    for the workers running *now* is not enough (a snapshot of "computing…" was flaky in CI):
    wait until no worker is pending or running, nothing on screen says it is computing, and
    three screenshots in a row (50 ms apart) are the same (a table filled by a worker lays its
    columns out on a later refresh)."""
    app = pilot.app
    last, same = None, 0
    for _ in range(400):
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        busy = any(not w.is_finished for w in app.workers)
        shot = app.export_screenshot()
        if busy or "computing" in screen_text(app):
            last, same = None, 0
            continue
        same = same + 1 if shot == last else 0
        last = shot
        if same >= 2:
            return
    raise AssertionError("the screen never settled: " + screen_text(app)[:300])


def make_app(root: Path, coder: str | None = CODER, **kw):
    from workbench.tui.app import WorkbenchApp
    kw.setdefault("suggestions", False)
    return WorkbenchApp(Project.open(root), coder=coder, **kw)


async def ready(pilot, screen_id: str | None = None) -> None:
    """Wait until the coder's log is read (and the given screen is on top)."""
    app = pilot.app
    for _ in range(500):
        if app.ready and (screen_id is None or app.screen.id == screen_id):
            break
        await pilot.pause(0.02)
    await pilot.pause()
    assert app.ready, "the session never became ready"
    if screen_id:
        assert app.screen.id == screen_id


def events(root: Path, coder: str = CODER) -> list[dict]:
    path = root / "codings" / f"{coder}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def segment_text(view, i: int) -> str:
    """What segment ``i`` shows on screen, as plain text (header, text, labels)."""
    return "\n".join(strip.text for strip in view._build(i, view.scrollable_content_region.width))


async def open_transcript(pilot, tid: str, segment: int | None = None) -> None:
    pilot.app.open_transcript(tid, segment)
    for _ in range(300):
        if pilot.app.screen.id == "coding":
            break
        await pilot.pause(0.02)
    await pilot.pause()


def screen_text(app) -> str:
    """Every line the terminal shows right now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_retrieval(pilot, code: str):
    """From the project screen: Ctrl+R, then the code chosen in the code tree; the retrieval
    screen."""
    await ready(pilot, "project")
    await pilot.press("ctrl+r")
    await pilot.pause()
    screen = pilot.app.screen
    screen.query_one("#retrieval-codes").move_cursor(screen._code_nodes[code], animate=False)
    await pilot.pause()
    return screen
