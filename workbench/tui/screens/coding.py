"""The coding screen: one transcript, segment by segment, with the codebook panel.

Every action goes through the session, which appends to the log first; only then is the changed
segment redrawn. Suggestions (the coder's own model: see workbench.suggest.sources) show as at
most three dim labels per segment, with a line each under the cursor segment saying why;
accepting one codes the whole turn, or the selected span when there is one. Per key press the
work is: one fsynced append, an update of the in-memory index of this transcript, and a redraw
of one segment.
"""
from __future__ import annotations

from types import SimpleNamespace

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from ...session import Change
from ..bindings import bindings_for, keys_of
from ..dialogs.memo import WHOLE_TRANSCRIPT, MemoDialog
from ..widgets.code_panel import CodePanel, CodeTree
from ..widgets.segment_view import Decor, SegmentView

RETRAIN_EVERY = 20
MAX_SHOWN = 3   # suggestions shown per segment (the best ones)

# Characters that can be a code's hotkey. They are bindings (like j/k and u), not a key handler:
# Textual runs bindings after a key event has travelled through the widgets, so a handler would
# act before a binding pressed just earlier ("j 1" typed fast would code the old segment).
_CODE_KEY_CHARS = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _code_key_bindings() -> list:
    from textual.binding import Binding
    bound = keys_of("coding")
    return [Binding(ch, f"code_key('{ch}')", "", show=False, id=f"coding.code_key.{ch}")
            for ch in _CODE_KEY_CHARS if ch not in bound]


class CodingScreen(Screen):
    """``CodingScreen(tid, segment=None)``; :meth:`open_transcript` switches transcripts."""

    BINDINGS = bindings_for("coding") + _code_key_bindings()

    def __init__(self, tid: str, segment: int | None = None) -> None:
        super().__init__(id="coding")
        self.tid = tid
        self._start_segment = segment
        self.transcript = None
        self.suggestions: dict[int, list] = {}
        self._memo_counts: dict[int, int] = {}
        self._bound = keys_of("coding")
        self._last_search = ""
        self._codebook_version = 0
        self.back_to = None   # (view, maker) of the screen q returns to (None: the list)

    # ---- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="coding-title", classes="title-bar")
        with Horizontal(id="coding-main"):
            yield SegmentView(self.decor_for, id="segments")
            yield CodePanel(self.app.project.codebook, id="code-panel")
        yield Input(placeholder="search the text — Enter: next match, Esc: close", id="search",
                    classes="hidden")
        yield Footer()

    def on_mount(self) -> None:
        self._codebook_version = self.app.codebook_version
        self.open_transcript(self.tid, self._start_segment)
        self.view.focus()

    def on_screen_resume(self) -> None:
        if self._codebook_version != self.app.codebook_version and self.transcript is not None:
            self._codebook_version = self.app.codebook_version
            self.panel.rebuild(self.app.project.codebook)
            self.panel.set_counts(self.session.transcript_counts(self.tid), self.session.code_totals)
            self.view.refresh_all()

    def on_resize(self, event: events.Resize) -> None:
        """The code panel widens with the terminal, up to what its longest name needs; the
        text keeps at least 60 % of the width."""
        w = event.size.width
        self.panel.styles.width = max(30, min(self.panel.wanted_width(), int(w * 0.4)))

    @property
    def view(self) -> SegmentView:
        return self.query_one(SegmentView)

    @property
    def panel(self) -> CodePanel:
        return self.query_one(CodePanel)

    @property
    def session(self):
        return self.app.session

    @property
    def segment(self):
        return self.transcript.segments[self.view.cursor] if self.transcript.segments else None

    # ---- opening --------------------------------------------------------------------------------
    def open_transcript(self, tid: str, segment: int | None = None) -> None:
        """Show ``tid`` with the cursor on ``segment`` (default: its first segment)."""
        if self.transcript is not None:
            self.save_position()
        project, session = self.app.project, self.session
        self.tid = tid
        self.transcript = project.transcript(tid)
        self.suggestions = {}
        self._memo_counts = {}
        for m in session.memos:
            if m.transcript != tid:
                continue
            span = None
            if m.target:
                c = next((c for c in session.codings_in(tid) if c.id == m.target), None)
                span = (c.start, c.end) if c else None
            elif m.on_span and m.placed:    # one that needs review is on no turn
                span = m.extent
            if span:
                i = self.transcript.segment_index_at(span[0])
                if i is not None:
                    self._memo_counts[i] = self._memo_counts.get(i, 0) + 1
        session.segment_index(tid)
        self.view.show(self.transcript.segments, segment or 0)
        self.panel.set_counts(session.transcript_counts(tid), session.code_totals)
        self.update_title()
        self.save_position()
        self.load_suggestions(tid)

    def decor_for(self, i: int) -> Decor:
        """What segment ``i`` shows besides its text: coding labels, spans, suggestions, memos."""
        seg = self.transcript.segments[i]
        cb = self.app.project.codebook
        d = Decor(memos=self._memo_counts.get(i, 0))
        have = set()
        for c in self.session.segment_codings(self.tid, i):
            code = cb.resolve(c.code)
            have.add(code)
            color = cb.color_of(code)
            name = cb.codes[code].name if code in cb.codes else f"{code} (unknown)"
            partial = c.start > seg.start or c.end < seg.end
            d.labels.append((name, color, partial))
            if partial:
                d.spans.append((max(c.start, seg.start) - seg.start,
                                min(c.end, seg.end) - seg.start, color))
        shown = [s for s in self.suggestions.get(i, []) if s.code not in have and s.code in cb.codes]
        for s in shown[:MAX_SHOWN]:
            name, color = cb.codes[s.code].name, cb.color_of(s.code)
            d.suggestions.append((name, color, s.score))
            why = getattr(s, "reason", "")
            if why:
                d.reasons.append((name, color, why))
        return d

    def update_title(self) -> None:
        t, session = self.transcript, self.session
        attrs = " · ".join(f"{v}" for k, v in t.attributes.items() if k != "interviewer" and v)
        n = len(t.segments)
        parts = [f"{t.id}", f"segment {self.view.cursor + 1}/{n}",
                 f"{session.coded_segments(t.id)} coded"]
        if t.id in session.done:
            parts.append("✓ done")
        parts.append(attrs)
        self.query_one("#coding-title", Static).update(" · ".join(p for p in parts if p),
                                                       layout=False)

    def save_position(self) -> None:
        if self.transcript is not None and self.session is not None:
            self.session.save_position(self.tid, self.view.cursor)

    # ---- after a change -------------------------------------------------------------------------
    def show_change(self, change: Change | None) -> None:
        """Redraw what a change touched (the log is already written)."""
        if not change:
            return
        touched: set[int] = set()
        codes = set()
        for c in change.added + change.removed:
            codes.add(self.session.resolve(c.code))
            if c.transcript == self.tid:
                touched.update(s.index for s in self.transcript.segments_overlapping(c.start, c.end))
        for sug in change.unrejected:      # an undone rejection: the suggestion shows again
            if sug.transcript == self.tid:
                lst = self.suggestions.setdefault(sug.segment, [])
                if sug not in lst:
                    lst.append(sug)
                    lst.sort(key=lambda x: -x.score)
                touched.add(sug.segment)
        for i in touched:
            self.view.refresh_segment(i)
        if codes:
            counts = self.session.transcript_counts(self.tid)
            self.panel.set_counts(counts, self.session.code_totals)
        self.update_title()
        self.app.maybe_retrain()

    # ---- coding ---------------------------------------------------------------------------------
    def action_code_key(self, ch: str) -> None:
        """A code key (1-9 and the codebook's own keys) toggles its code; others do nothing."""
        if isinstance(self.focused, Input):
            return
        code = self.panel.keys.get(ch)
        if code:
            self.apply_code(code)

    def apply_code(self, code: str) -> None:
        seg = self.segment
        if seg is None:
            return
        sel = self.view.selection
        with self.app.writing():
            if sel:
                change = self.session.code_span(self.tid, sel[0], sel[1], code,
                                                text=self.transcript.text)
                self.view.stop_span()
            else:
                change = self.session.toggle(self.tid, seg, code, text=self.transcript.text)
            self.show_change(change)
            self.panel.highlight(code)

    def on_code_panel_toggle(self, event: CodePanel.Toggle) -> None:
        self.apply_code(event.code)

    def on_segment_view_moved(self, event: SegmentView.Moved) -> None:
        self.update_title()
        self.save_position()

    # ---- actions --------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        self.view.set_cursor(self.view.cursor + delta)

    def action_move_to(self, index: int) -> None:
        self.view.set_cursor(index if index >= 0 else len(self.transcript.segments) - 1)

    def action_span(self) -> None:
        if self.view.span_mode:
            self.view.stop_span()
        else:
            self.view.start_span()

    def action_span_extend(self, delta: int) -> None:
        self.view.move_caret(delta, extend=True)

    def action_span_word(self, direction: int) -> None:
        self.view.move_word(direction, extend=True)

    def action_caret(self, delta: int) -> None:
        if self.view.span_mode:
            self.view.move_caret(delta, extend=False)

    def action_undo(self) -> None:
        change = None
        with self.app.writing():
            change = self.session.undo()
        if change is None and self.app.write_failed:
            return
        if change is None:
            self.notify("Nothing to undo in this session", timeout=2)
            return
        self.show_change(change)
        where = ", ".join(sorted(change.transcripts - {self.tid}))
        self.notify(change.label + (f" (in {where})" if where else ""), timeout=2)

    def action_toggle_done(self) -> None:
        done = self.tid not in self.session.done
        with self.app.writing():
            self.show_change(self.session.set_done(self.tid, done))
        if self.app.write_failed:
            return
        self.notify(f"{self.tid} {'marked done' if done else 'reopened'}", timeout=2)

    def action_memo(self) -> None:
        seg = self.segment
        if seg is None:
            return
        sel = self.view.selection
        cb = self.app.project.codebook
        targets = []
        for c in self.session.segment_codings(self.tid, seg.index):
            code = cb.resolve(c.code)
            targets.append((c.id, cb.codes[code].name if code in cb.codes else code))
        if sel:
            where = f"span “{self.transcript.text[sel[0]:sel[1]][:40]}”"
            start, end = sel
        else:
            where = f"segment {seg.index + 1}"
            start, end = seg.start, seg.end
        existing = [m.text for m in self.session.memos_for(self.tid, start, end)]

        def done(result) -> None:
            if not result:
                return
            text, target = result
            whole = target == WHOLE_TRANSCRIPT
            with self.app.writing():
                if whole:     # a memo on the transcript: no place inside it
                    self.session.memo(text, self.tid)
                else:
                    self.session.memo(text, self.tid, target=target,
                                      start=None if target else start,
                                      end=None if target else end,
                                      transcript_text=self.transcript.text)
            if self.app.write_failed:
                return
            if whole:
                self.notify(f"Memo on {self.tid} saved", timeout=2)
                return
            self._memo_counts[seg.index] = self._memo_counts.get(seg.index, 0) + 1
            self.view.refresh_segment(seg.index)
            self.notify("Memo saved", timeout=2)
        self.app.push_screen(MemoDialog(where, targets, existing, transcript=self.tid),
                             callback=done)

    def action_search(self) -> None:
        inp = self.query_one("#search", Input)
        inp.remove_class("hidden")
        inp.value = self._last_search
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        event.stop()
        query = event.value.strip()
        self._last_search = query
        self.view.set_query(query)
        if not query:
            self._close_search()
            return
        q = query.casefold()
        segs = self.transcript.segments
        n = len(segs)
        for k in range(1, n + 1):
            i = (self.view.cursor + k) % n
            if q in segs[i].text.casefold():
                self.view.set_cursor(i)
                break
        else:
            self.notify(f"“{query}” is not in {self.tid}", severity="warning", timeout=2)
        self._close_search()

    def _close_search(self) -> None:
        self.query_one("#search", Input).add_class("hidden")
        self.view.focus()

    def action_transcript(self, delta: int) -> None:
        ids = self.app.project.transcript_ids()
        k = ids.index(self.tid) + delta
        if 0 <= k < len(ids):
            self.open_transcript(ids[k])
        else:
            self.notify("No more transcripts that way", timeout=2)

    def action_focus_codes(self) -> None:
        tree = self.query_one(CodeTree)
        (self.view if tree.has_focus else tree).focus()

    def action_back(self) -> None:
        inp = self.query_one("#search", Input)
        if not inp.has_class("hidden"):
            self._close_search()
            return
        if self.view.span_mode:
            self.view.stop_span()
            return
        self.save_position()
        self.dismiss_to_project()

    def dismiss_to_project(self) -> None:
        """Back where the transcript was opened from: the screen ``back_to`` makes (retrieval
        as it was left), else the transcript list with this transcript selected."""
        from .project import ProjectScreen
        back_to, self.back_to = self.back_to, None
        self.app.pop_screen()
        if back_to is not None:
            self.app.push_screen(back_to[1]())
        elif isinstance(self.app.screen, ProjectScreen):
            self.app.screen.select_tid(self.tid)

    # ---- suggestions ----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="suggest")
    def load_suggestions(self, tid: str) -> None:
        suggester = self.app.get_suggester()
        if suggester is None:
            return
        try:
            found = suggester.suggest_transcript(tid)
            stale = getattr(suggester, "model_is_stale", lambda: False)()
        except Exception as e:  # an optional helper: coding goes on without it
            self.app.call_from_thread(self.app.suggestions_failed, e)
            return
        self.app.call_from_thread(self._show_suggestions, tid, found)
        if stale:   # learn in the background; the new suggestions show when it is done
            self.app.call_from_thread(self.app.retrain)

    def _show_suggestions(self, tid: str, found: list) -> None:
        if tid != self.tid or not self.is_mounted:
            return
        by_seg: dict[int, list] = {}
        for s in found:
            if not self.session.is_rejected(s):
                by_seg.setdefault(s.segment, []).append(s)
        for lst in by_seg.values():
            lst.sort(key=lambda s: -s.score)
        old = set(self.suggestions)
        self.suggestions = by_seg
        for i in old | set(by_seg):
            self.view.refresh_segment(i)
        if self.view.cursor in old | set(by_seg):
            self.view.scroll_to_cursor()   # the reasons under the current turn stay in view

    def _shown_suggestions(self) -> list:
        """The suggestions shown on the cursor segment (at most MAX_SHOWN, best first)."""
        seg = self.segment
        if seg is None:
            return []
        cb = self.app.project.codebook
        have = {self.session.resolve(c.code) for c in self.session.segment_codings(self.tid, seg.index)}
        return [s for s in self.suggestions.get(seg.index, [])
                if s.code not in have and s.code in cb.codes][:MAX_SHOWN]

    def _accepting(self, suggestions) -> list:
        """What accepting codes: the whole turn, or the selected span when there is one."""
        seg = self.segment
        sel = self.view.selection
        a, b = sel if sel else (seg.start, seg.end)
        return [SimpleNamespace(transcript=s.transcript, start=a, end=b, code=s.code)
                for s in suggestions]

    def action_accept(self) -> None:
        shown = self._shown_suggestions()
        if not shown:
            self.notify("No suggestion on this segment", timeout=2)
            return
        self._accept(shown[:1])

    def action_accept_all(self) -> None:
        shown = self._shown_suggestions()
        if not shown:
            self.notify("No suggestion on this segment", timeout=2)
            return
        self._accept(shown)

    def _accept(self, suggestions) -> None:
        spans = self._accepting(suggestions)
        with self.app.writing():
            change = self.session.accept(spans, self.transcript.text)
            if self.view.span_mode:
                self.view.stop_span()
            self.show_change(change)

    def action_reject(self) -> None:
        shown = self._shown_suggestions()
        if not shown:
            self.notify("No suggestion on this segment", timeout=2)
            return
        top = shown[0]
        self.session.reject(top)
        lst = self.suggestions.get(top.segment, [])
        self.suggestions[top.segment] = [s for s in lst if s is not top]
        self.view.refresh_segment(top.segment)
