"""The coding screen driven like a coder would: keys in, log events and screen text out."""
from __future__ import annotations

import json

from tui_helpers import CODER, events, make_app, open_transcript, ready, screen_text, segment_text

from workbench.replay import replay


def first_interviewee(app, tid="P01"):
    t = app.project.transcript(tid)
    return next(s for s in t.segments if s.role == "interviewee")


async def test_code_key_appends_then_shows_label(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await pilot.press("enter")  # P01, the first row
        await pilot.pause()
        screen = app.screen
        assert screen.id == "coding" and screen.tid == "P01"
        await pilot.press("j")  # segment 2 (Ms. Ivanova)
        seg = app.project.transcript("P01").segments[1]
        assert screen.view.cursor == 1
        await pilot.press("1")
        await pilot.pause()
        evs = events(demo)
        assert len(evs) == 1
        ev = evs[0]
        assert (ev["op"], ev["code"], ev["transcript"]) == ("code", "value.joint_rnd", "P01")
        assert (ev["start"], ev["end"]) == (seg.start, seg.end)
        assert ev["quote"] == seg.text and ev["source"] == "manual"
        assert "Joint R&D projects" in segment_text(screen.view, 1)
        assert "1 coded" in str(screen.query_one("#coding-title").render())
        # the codebook's own key (B = local.business) also codes
        await pilot.press("B")
        await pilot.pause()
        assert events(demo)[-1]["code"] == "local.business"
        assert "Local business actors" in segment_text(screen.view, 1)
        # the same key again toggles it off with an uncode event
        await pilot.press("1")
        await pilot.pause()
        last = events(demo)[-1]
        assert last == {**last, "op": "uncode", "id": ev["id"]}
        assert "Joint R&D projects" not in segment_text(screen.view, 1)


async def test_undo_writes_new_events_never_rewrites(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P02", 1)
        await pilot.press("2", "u")
        await pilot.pause()
        evs = events(demo)
        assert [e["op"] for e in evs] == ["code", "uncode"]
        assert evs[1]["id"] == evs[0]["id"]
        assert "Project funding" not in segment_text(app.screen.view, 1)
        # undo of an uncode (a toggle off) codes the same span again, as a new event
        await pilot.press("2", "2", "u")
        await pilot.pause()
        evs = events(demo)
        assert [e["op"] for e in evs] == ["code", "uncode", "code", "uncode", "code"]
        assert (evs[-1]["start"], evs[-1]["end"], evs[-1]["code"]) == \
            (evs[2]["start"], evs[2]["end"], evs[2]["code"])
        assert evs[-1]["id"] != evs[2]["id"]
        assert "Project funding" in segment_text(app.screen.view, 1)
        # done <-> reopen through undo
        await pilot.press("d", "u")
        await pilot.pause()
        assert [e["op"] for e in events(demo)][-2:] == ["done", "reopen"]
    assert len(replay(demo / "codings" / f"{CODER}.jsonl").codings) == 1


async def test_span_selection_codes_only_the_span(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)
        seg = app.project.transcript("P01").segments[1]
        await pilot.press("v", "w", "w", "shift+right", "3")
        await pilot.pause()
        ev = events(demo)[-1]
        assert ev["code"] == "value.knowledge_transfer"
        assert ev["start"] == seg.start and seg.start < ev["end"] < seg.end
        assert ev["quote"] == seg.text[:ev["end"] - seg.start]
        assert ev["quote"].startswith("Yes, of")
        shown = segment_text(app.screen.view, 1)
        assert "◧ Knowledge transfer" in shown  # a partial coding is marked
        assert not app.screen.view.span_mode


async def test_memo_and_done_are_logged(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P03", 1)
        seg = app.project.transcript("P03").segments[1]
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"check wording")
        await pilot.press("ctrl+s")
        await pilot.pause()
        memo = events(demo)[-1]
        assert memo["op"] == "memo" and memo["text"] == "check wording"
        assert (memo["start"], memo["end"], memo["target"]) == (seg.start, seg.end, None)
        assert "✎ 1 memo" in segment_text(app.screen.view, 1)
        await pilot.press("d")
        await pilot.pause()
        assert events(demo)[-1] == {**events(demo)[-1], "op": "done", "transcript": "P03"}
        assert "✓ done" in str(app.screen.query_one("#coding-title").render())
        await pilot.press("d")
        await pilot.pause()
        assert events(demo)[-1]["op"] == "reopen"


async def test_position_restored_on_reopen(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P04")
        await pilot.press("j", "j", "j", "down", "k")
        await pilot.pause()
        assert app.screen.view.cursor == 3
        await pilot.press("ctrl+q")
    pos = json.loads((demo / ".workbench" / f"position-{CODER}.json").read_text())
    assert pos == {"transcript": "P04", "segment": 3}
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "coding")
        assert app.screen.tid == "P04" and app.screen.view.cursor == 3
        assert "segment 4/22" in str(app.screen.query_one("#coding-title").render())


async def test_navigation_search_and_tree(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01")
        await pilot.press("n")
        assert app.screen.tid == "P02"
        await pilot.press("p", "p")
        assert app.screen.tid == "P01"
        await pilot.press("slash", *"polytechnic", "enter")
        await pilot.pause()
        cur = app.screen.view.cursor
        assert "polytechnic" in app.project.transcript("P01").segments[cur].text.lower()
        # the code tree: Tab, move to the 2nd code (local.business), Space toggles it
        await pilot.press("tab", "down", "space")
        await pilot.pause()
        ev = events(demo)[-1]
        assert ev["code"] == "local.business"
        assert ev["start"] == app.project.transcript("P01").segments[cur].start
        await pilot.press("q")  # back to the project screen
        await pilot.pause()
        assert app.screen.id == "project"
        assert app.screen.current_tid() == "P01"


async def test_help_screen_lists_keys(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01")
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.id == "help"
        text = screen_text(app)
        for words in ("Undo the last coding action", "Mark the transcript done",
                      "Joint R&D projects", "Command palette"):
            assert words in text
        await pilot.press("escape")
        assert app.screen.id == "coding"


async def test_palette_goes_to_transcript_and_applies_code(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to P05")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.screen.id == "coding" and app.screen.tid == "P05"
        await pilot.press("j", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"apply code tenders")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        ev = events(demo)[-1]
        assert (ev["code"], ev["transcript"]) == ("value.tenders", "P05")


class FakeSuggestion:
    """A suggestion as the suggester makes them; ``sentence=True`` gives it the span of the
    segment's second sentence instead of the whole turn (as older suggesters did)."""

    def __init__(self, seg, code, score, reason="test reason", sentence=False):
        self.transcript, self.segment, self.start, self.end = "P01", seg.index, seg.start, seg.end
        if sentence:
            k = seg.text.index(". ") + 2
            self.start = seg.start + k
        self.code, self.score, self.reason = code, score, reason


def suggesting(app, segment: int, scored: list, **kw):
    """Give the app a stand-in suggester that suggests ``scored`` ((code, score) or (code,
    score, reason)) on one P01 segment."""
    seg = app.project.transcript("P01").segments[segment]

    class FakeSuggester:
        coder = app.coder

        def suggest_transcript(self, tid):
            return [FakeSuggestion(seg, *x, **kw) for x in scored] if tid == "P01" else []

        def model_is_stale(self):
            return False
    app.suggestions_enabled = True
    app.get_suggester = lambda: FakeSuggester()


async def test_suggestions_accept_and_reject(demo):
    app = make_app(demo)
    suggesting(app, 3, [("local.universities", 0.91), ("local.government", 0.72),
                        ("value.competitiveness", 0.55)])
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = segment_text(app.screen.view, 3)
        assert "◌ Local universities and research institutes 0.91" in shown
        await pilot.press("a")
        await pilot.pause()
        ev = events(demo)[-1]
        assert (ev["code"], ev["source"]) == ("local.universities", "suggestion")
        shown = segment_text(app.screen.view, 3)
        assert "◌ Local universities" not in shown and " Local universities" in shown
        await pilot.press("x")  # rejects local.government
        await pilot.pause()
        assert "◌ Local and regional government" not in segment_text(app.screen.view, 3)
        rejected = json.loads((demo / ".workbench" / f"rejected-{CODER}.json").read_text())
        assert rejected[0]["code"] == "local.government"
        await pilot.press("A")
        await pilot.pause()
        assert events(demo)[-1]["code"] == "value.competitiveness"
        assert len(events(demo)) == 2


async def test_accepting_codes_the_whole_turn_unless_a_span_is_selected(demo):
    """The suggestion's own span is a sentence (as a keyword rule once gave): accepting codes the
    whole turn anyway, from its first character; with a selection, exactly the selection."""
    app = make_app(demo)
    suggesting(app, 3, [("local.universities", 0.91), ("local.government", 0.72)],
               sentence=True)
    seg = app.project.transcript("P01").segments[3]
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        ev = events(demo)[-1]
        assert (ev["start"], ev["end"], ev["source"]) == (seg.start, seg.end, "suggestion")
        assert ev["quote"] == seg.text and not ev["quote"].startswith("\n")
        await pilot.press("v", "w", "w", "a")       # select two words, accept the next one
        await pilot.pause()
        ev = events(demo)[-1]
        assert ev["code"] == "local.government" and ev["source"] == "suggestion"
        assert ev["start"] == seg.start and seg.start < ev["end"] < seg.end
        assert ev["quote"] == seg.text[:ev["end"] - seg.start]
        assert not app.screen.view.span_mode


async def test_at_most_three_suggestions_each_with_its_reason(demo):
    app = make_app(demo)
    suggesting(app, 3, [("local.universities", 0.91, "definition words: university, institute"),
                        ("local.government", 0.72, "like P04 turn 6: “the regional ministry…”"),
                        ("value.competitiveness", 0.61, "keyword \"competit*\""),
                        ("value.tenders", 0.55, "definition words: tender")])
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = segment_text(app.screen.view, 3)
        assert "◌ Local universities and research institutes 0.91" in shown
        assert "◌ Increased competitiveness" in shown and "tenders" not in shown  # best 3
        flat = " ".join(shown.split())              # a long reason wraps onto a second line
        assert "◌ Local universities" in flat and ": definition words: university, institute" in flat
        assert "◌ Local and regional government: like P04 turn 6: “the regional ministry…”" \
            in flat
        await pilot.press("j")                        # the reasons follow the cursor
        await pilot.pause()
        assert "definition words: university" not in segment_text(app.screen.view, 3)
        assert "◌ Local universities and research institutes 0.91" in \
            segment_text(app.screen.view, 3)
        await pilot.press("k", "A")                   # accept all: the three shown, not four
        await pilot.pause()
        assert [e["code"] for e in events(demo)] == ["local.universities", "local.government",
                                                     "value.competitiveness"]


async def test_a_new_coder_sees_no_suggestion_learned_from_the_others(tmp_path):
    """On the demo with anna's and boris's logs, coder 'me' opens the app with suggestions on:
    they come from the codebook alone (me's own model), none from anna's or boris's coding."""
    from tui_helpers import copy_demo_with_logs
    root = copy_demo_with_logs(tmp_path / "demo")
    from workbench.suggest import Suggester
    Suggester(app_project(root), coder="anna").train()     # anna's model exists on disk
    app = make_app(root, coder="me", suggestions=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        suggester = app.get_suggester()
        assert suggester.coder == "me" and suggester.model is None
        found = [x for lst in app.screen.suggestions.values() for x in lst]
        assert found
        assert all(k in ("codebook", "keyword") for x in found for k, _ in x.evidence)


def app_project(root):
    from workbench.project import Project
    return Project.open(root)


async def test_undo_takes_a_rejection_back(demo):
    """x by mistake, then u: the suggestion shows again and is no longer stored as rejected;
    nothing is written to the coding log for either key."""
    app = make_app(demo)
    suggesting(app, 3, [("local.government", 0.72)])
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "◌ Local and regional government 0.72" in segment_text(app.screen.view, 3)
        await pilot.press("x")
        await pilot.pause()
        assert "◌ Local and regional government" not in segment_text(app.screen.view, 3)
        stored = demo / ".workbench" / f"rejected-{CODER}.json"
        assert [r["code"] for r in json.loads(stored.read_text())] == ["local.government"]
        await pilot.press("u")
        await pilot.pause()
        assert "◌ Local and regional government 0.72" in segment_text(app.screen.view, 3)
        assert json.loads(stored.read_text()) == []
        await pilot.press("a")              # and it can be accepted after all
        await pilot.pause()
        assert events(demo)[-1]["code"] == "local.government"
        assert len(events(demo)) == 1


async def test_nothing_shown_when_the_log_cannot_be_written(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)

        def broken(event):
            raise OSError(28, "No space left on device")
        app.session.log.append = broken
        await pilot.press("1")
        await pilot.pause()
        assert "Joint R&D" not in segment_text(app.screen.view, 1)
        assert app.session.segment_codings("P01", 1) == []
        assert any("NOT SAVED" in str(n.message) for n in app._notifications)
    assert events(demo) == []


async def test_undo_that_cannot_be_written_says_so_and_keeps_the_app(demo):
    """An undo whose coding cannot be written again (here: its transcript changed on disk and
    the coding recorded no context to find its words by) is one NOT SAVED notice, not a crash;
    the action stays to be undone later."""
    from workbench.errors import TranscriptError
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 1)
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("1")              # uncoded again: undo would bring it back
        await pilot.pause()

        def changed(*a, **k):
            raise TranscriptError("the transcript was changed on disk since the workbench "
                                  "read it; nothing was written", file="P01.txt")
        app.session._fields_again = changed
        before = events(demo)
        await pilot.press("u")
        await pilot.pause()
        assert app.is_running
        assert any("NOT SAVED" in str(n.message) and "changed on disk" in str(n.message)
                   for n in app._notifications)
        assert events(demo) == before and len(app.session.history) == 2
        assert "Joint R&D" not in segment_text(app.screen.view, 1)


async def test_mouse_click_and_drag_select_a_span(demo):
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P01", 0)
        view = app.screen.view
        top = view._tops[1] - view.scroll_offset.y  # header line of segment 2
        await pilot.click(view, offset=(10, top + 1))
        assert view.cursor == 1
        # drag along the first text line of segment 2, then code the span with a key
        await pilot.mouse_down(view, offset=(3, top + 1))
        view.on_mouse_move(type("Move", (), {"button": 1, "x": 12, "y": top + 1})())
        await pilot.mouse_up(view, offset=(12, top + 1))
        assert view.selection is not None
        await pilot.press("5")
        await pilot.pause()
        seg = app.project.transcript("P01").segments[1]
        ev = events(demo)[-1]
        assert ev["code"] == "value.international"
        assert ev["quote"] == seg.text[:9] and ev["start"] == seg.start


async def test_keys_typed_in_a_burst_act_in_order(demo):
    """A fast typist's "j j 1 u" must code the segment the cursor reached, then undo exactly
    that: code keys are handled in the same order as the bound keys around them."""
    from textual import events as tevents
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, "project")
        await open_transcript(pilot, "P01", 0)
        seg = app.project.transcript("P01").segments[2]
        for key in ("j", "j", "1"):  # posted at once, without waiting in between
            app.post_message(tevents.Key(key, key))
        await pilot.pause(0.3)
        evs = events(demo)
        assert [(e["op"], e["start"], e["end"]) for e in evs] == [("code", seg.start, seg.end)]
        for key in ("j", "2", "u"):
            app.post_message(tevents.Key(key, key))
        await pilot.pause(0.3)
        evs = events(demo)
        nxt = app.project.transcript("P01").segments[3]
        assert [(e["op"], e.get("start")) for e in evs] == [("code", seg.start), ("code", nxt.start),
                                                           ("uncode", None)]
        assert evs[2]["id"] == evs[1]["id"]


async def test_memo_and_coding_written_after_the_file_changed_on_disk_keep_what_was_shown(demo):
    """The transcript file is edited (by another program) while it is open in the app, and the
    app's parse of it is no longer kept in memory (64 others read since): a memo written on the
    turn on screen and a code key on it record the quote of the text the coder saw — the offsets
    are in that text — not the words now at those offsets in the changed file (which the memo
    and the coding would later be shown on, as `ok`)."""
    from workbench.memos import memos_frame
    from workbench.project import Project
    app = make_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_transcript(pilot, "P03", 1)
        seg = app.screen.transcript.segments[1]
        path = demo / "transcripts" / "P03.txt"
        raw = path.read_text(encoding="utf-8")
        path.write_text(raw.replace("OK, the recorder is on.",
                                    "OK, the recorder is on, I checked it twice.", 1),
                        encoding="utf-8")
        app.project._catalog._parsed.clear()   # as reading 64 other transcripts since would
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"check wording")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        memo, coding = events(demo)[-2:]
        assert memo["op"] == "memo" and coding["op"] == "code"
        assert memo["quote"] == seg.text and coding["quote"] == seg.text
    p = Project.open(demo)
    row = memos_frame(p, CODER).iloc[0]
    assert row["quote"] == seg.text and row["status"] == "moved"
    c = p.codings(CODER, "P03")[0]
    assert (c.status, p.text("P03")[c.start:c.end]) == ("moved", seg.text)
