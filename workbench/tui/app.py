"""The Textual app: starts the coder's session and routes between screens. Nothing else.

Screens are registered by name in :data:`workbench.tui.screens.VIEWS` (and so in ``SCREENS``):
``app.push_screen("retrieval")`` works, and the command palette lists ``view: <name>`` for each.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from contextlib import contextmanager

from textual import work
from textual.app import App
from textual.screen import Screen
from textual.widgets import Footer

from ..errors import CodebookError, LockedError, LogError, TranscriptError, WorkbenchError
from ..session import CodingSession
from .bindings import bindings_for
from .commands import WorkbenchCommands
from .screens import VIEWS

NARROW = 100   # columns: narrower terminals get the compact footer


def failure_title(e: WorkbenchError) -> str:
    """The title of the dialog that says the session could not start: what could not be read."""
    if isinstance(e, CodebookError):
        return "Cannot read the codebook"
    if isinstance(e, TranscriptError):
        return "Cannot read a transcript"
    if isinstance(e, LogError):
        return "Cannot read the coding log"
    return "Cannot open the project"


class WorkbenchApp(App):
    """``WorkbenchApp(project, coder=None)``: without a coder, a prompt asks for the name."""

    CSS_PATH = "workbench.tcss"
    TITLE = "workbench"
    SCREENS = {name: view.factory for name, view in VIEWS.items()}
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS = bindings_for("app") + bindings_for("views")
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, project, coder: str | None = None, *, restore_position: bool = True,
                 suggestions: bool = True):
        super().__init__()
        self.suggestions_enabled = suggestions
        self._suggester = None
        self._suggester_lock = threading.Lock()
        self._trained_at = 0
        self.write_failed = False
        self.codebook_version = 0  # bumped by the codebook screen after each saved change
        self.suggest_report = None  # the last suggestion evaluation (screens/suggest_report.py)
        self.project = project
        self.coder = coder
        self.session: CodingSession | None = None
        self.ready = False
        self.restore_position = restore_position
        self._pending: tuple[str, int | None] | None = None
        self.retrieval_state: dict | None = None  # the retrieval screen as it was left
        self.sub_title = project.name

    # ---- start ----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self._screen_changed)
        if self.coder:
            self.start(self.coder)
        else:
            from .screens.coder_prompt import CoderPromptScreen
            self.push_screen(CoderPromptScreen(), callback=self.start)

    def start(self, coder: str | None) -> None:
        if not coder:
            self.exit(return_code=1)
            return
        self.coder = coder
        self.sub_title = f"{self.project.name} · coder {coder}"
        try:
            self.session = CodingSession.open(self.project, coder)
        except LockedError as e:
            from .dialogs.confirm import MessageDialog
            message = str(e)
            self.push_screen(MessageDialog("Cannot open the coding log", message),
                             callback=lambda _: self.exit(return_code=3, message=message))
            return
        from .screens.project import ProjectScreen
        self.push_screen(ProjectScreen())
        self.call_after_refresh(self._load)

    def _load(self) -> None:
        self.load_session()

    @work(thread=True, exclusive=True, group="session")
    def load_session(self) -> None:
        """Replay the coder's log once (a thread: the project screen is usable meanwhile)."""
        try:
            self.session.load()
        except WorkbenchError as e:
            self.call_from_thread(self._load_failed, e)
            return
        self.call_from_thread(self._session_ready)

    def _load_failed(self, e: WorkbenchError) -> None:
        from .dialogs.confirm import MessageDialog
        message = str(e)
        self.push_screen(MessageDialog(failure_title(e), message),
                         callback=lambda _: self.exit(return_code=1, message=message))

    def _session_ready(self) -> None:
        # the replayed log and the catalog live as long as the app: keep them out of the garbage
        # collector's full passes, which would otherwise grow with the project on every key press
        gc.freeze()
        self.ready = True
        from .screens.project import ProjectScreen
        for screen in self.screen_stack:
            if isinstance(screen, ProjectScreen):
                screen.refresh_counts()
        pending, self._pending = self._pending, None
        if pending is None and self.restore_position:
            pending = self.session.load_position()
        if pending:
            self.open_transcript(*pending)

    # ---- routing --------------------------------------------------------------------------------
    def open_transcript(self, tid: str, segment: int | None = None, *,
                        back_to: tuple[str, Callable[[], Screen]] | None = None) -> None:
        """Show ``tid`` on the coding screen (reusing it if open) with the cursor on ``segment``.
        ``back_to`` is (view name, a function making the screen) that ``q`` on the coding
        screen returns to (retrieval as it was left); without it ``q`` goes back to the
        transcript list."""
        if not self.ready:
            self._pending = (tid, segment)
            self.notify("Reading your coding log…", timeout=2)
            return
        from .screens.coding import CodingScreen
        from .screens.project import ProjectScreen
        while len(self.screen_stack) > 1 and not isinstance(self.screen, (CodingScreen, ProjectScreen)):
            self.pop_screen()
        if isinstance(self.screen, CodingScreen):
            self.screen.open_transcript(tid, segment)
            self.screen.back_to = back_to
        else:
            screen = CodingScreen(tid, segment)
            screen.back_to = back_to
            self.push_screen(screen)

    def action_view(self, name: str) -> None:
        """Show a registered view (``view: …`` in the palette)."""
        if name not in VIEWS:
            self.notify(f"no view named {name!r}", severity="error")
            return
        if not self.ready and VIEWS[name].needs_session:
            self.notify("Reading your coding log…", timeout=2)
            return
        if getattr(self.screen, "id", None) == name:
            return
        back_to = getattr(self.screen, "back_to", None)
        if back_to is not None and back_to[0] == name:
            self.screen.dismiss_to_project()   # the view this transcript was opened from
            return
        if VIEWS[name].fresh:
            self.push_screen(VIEWS[name].factory())
        else:
            self.push_screen(name)

    # ---- small terminals: every footer shows the keys that matter ----------------------------
    def _screen_changed(self, screen: Screen) -> None:
        self.call_after_refresh(self.fit_footer)

    def on_resize(self, event) -> None:
        self.call_after_refresh(self.fit_footer)

    def fit_footer(self) -> None:
        """Below NARROW columns the footer is compact and leaves out the palette key (Ctrl+P
        still works, and ? lists it), so that a screen's own keys and ? fit on one line."""
        narrow = self.size.width < NARROW
        for footer in self.screen.query(Footer):
            footer.compact = narrow
            if footer.show_command_palette == narrow:
                footer.show_command_palette = not narrow
                footer.refresh(recompose=True)

    def action_help(self) -> None:
        from .screens.help import HelpScreen
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    @contextmanager
    def writing(self):
        """Wrap a write: when the log cannot be written, say so and show nothing as done (the
        screen updates only after the append returned)."""
        self.write_failed = False
        try:
            yield
        except (OSError, LogError) as e:
            self.write_failed = True
            self.notify(f"NOT SAVED — the coding log could not be written: {e}",
                        severity="error", timeout=10)
        except WorkbenchError as e:     # e.g. the transcript changed on disk: nothing written
            self.write_failed = True
            self.notify(f"NOT SAVED — {e}", severity="error", timeout=10)

    # ---- suggestions (optional: the UI works without workbench.suggest) -----------------------
    def get_suggester(self):
        """The shared Suggester, created on first use (called from worker threads)."""
        with self._suggester_lock:
            if self._suggester is not None and getattr(self._suggester, "coder", self.coder) \
                    != self.coder:
                self._suggester = None   # never another coder's model
            if self._suggester is None and self.suggestions_enabled:
                try:
                    from ..suggest import Suggester
                except ImportError:
                    self.suggestions_enabled = False
                    return None
                # the model of the coder who opened the app: it learns from their own codings
                # and the consensus only (unless [suggest] learn_from = "all")
                self._suggester = Suggester(self.project, coder=self.coder)
            return self._suggester

    def suggestions_failed(self, error: Exception) -> None:
        if self.suggestions_enabled:
            self.suggestions_enabled = False
            self.notify(f"Suggestions are off: {error}", severity="warning", timeout=4)

    def maybe_retrain(self) -> None:
        """Retrain the suggestion model in the background after every RETRAIN_EVERY codings."""
        from .screens.coding import RETRAIN_EVERY
        if self.suggestions_enabled and self.session.new_codings - self._trained_at >= RETRAIN_EVERY:
            self._trained_at = self.session.new_codings
            self.retrain()

    @work(thread=True, exclusive=True, group="train")
    def retrain(self) -> None:
        suggester = self.get_suggester()
        if suggester is None:
            return
        try:
            rep = suggester.train() if suggester.model_is_stale() else None
        except Exception as e:  # an optional helper: coding goes on without it
            self.call_from_thread(self.suggestions_failed, e)
            return
        if rep is not None and rep.trained:
            self.call_from_thread(self._suggestions_retrained)

    def _suggestions_retrained(self) -> None:
        """A new model is in: the coding screen shows its suggestions."""
        screen = self.screen
        if getattr(screen, "id", None) == "coding" and getattr(screen, "transcript", None):
            screen.load_suggestions(screen.tid)

    # ---- stop -----------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        self.shutdown()
        self.exit()

    def shutdown(self) -> None:
        """Save the position and release the coder's log (idempotent)."""
        from .screens.coding import CodingScreen
        for screen in self.screen_stack:
            if isinstance(screen, CodingScreen):
                screen.save_position()
        if self.session is not None:
            self.session.close()

    def on_unmount(self) -> None:
        self.shutdown()
