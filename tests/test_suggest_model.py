"""Learned suggestions: a textcat_multilabel + rule calibration trained on the team's coding."""
from __future__ import annotations

import hashlib
import json
import random
import threading

from helpers import write_transcript

from workbench.project import Project
from workbench.suggest import Suggester
from workbench.suggest.data import training_units

CODEBOOK = """\
name: Learned
codes:
  - id: people
    name: Staff and skills
  - id: money
    name: Money
    keywords: ["subsidy"]
  - id: export
    name: Foreign markets
  - id: noise
    name: A code whose keyword is everywhere
    keywords: ["cluster"]
"""
THEMES = {
    "people": "engineers salary hire staff graduates recruit welders".split(),
    "money": "subsidy budget ministry grant paid financing".split(),
    "export": "abroad foreign exhibition china export customers".split(),
}
FILLER = "we the cluster members year work really think important region time".split()


def answer(rng, theme):
    words = [rng.choice(FILLER) for _ in range(rng.randint(8, 12))]
    if theme:
        for w in rng.sample(THEMES[theme], 3):
            words.insert(rng.randrange(len(words) + 1), w)
    return " ".join(words).capitalize() + "."


def build(root, n_coded=6, n_new=2, seed=0, coders=("anna", "boris")):
    """Transcripts T01.. with six answers each; the first ``n_coded`` coded by ``coders`` (the
    theme of each answer, whole segment) and marked done; the rest uncoded. Returns the truth:
    {(tid, segment): theme or None}."""
    (root / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    rng = random.Random(seed)
    truth = {}
    for t in range(n_coded + n_new):
        tid = f"T{t + 1:02d}"
        turns = []
        for i in range(6):
            theme = rng.choice([None, "people", "money", "export"])
            turns += [("Interviewer", "Could you tell me more about that?"),
                      ("Anna", answer(rng, theme))]
            truth[(tid, 2 * i + 1)] = theme
        write_transcript(root, tid, turns)
    p = Project.open(root)
    for coder in coders:
        with p.log(coder) as log:
            for t in range(n_coded):
                tid = f"T{t + 1:02d}"
                tr = p.transcript(tid)
                for seg in tr.segments:
                    theme = truth.get((tid, seg.index))
                    if theme:
                        log.code(tid, seg.start, seg.end, theme, quote=seg.text)
                log.done(tid)
    return Project.open(root), truth


def suggested(s, tids):
    out = {}
    for tid in tids:
        for sg in s.suggest_transcript(tid):
            out.setdefault((tid, sg.segment), {})[sg.code] = sg
    return out


def test_model_trains_from_coding_and_scores_move_towards_the_human_codes(small_project):
    p, truth = build(small_project, n_coded=6, n_new=3)
    new = ["T07", "T08", "T09"]
    s = Suggester(p)
    before = suggested(s, new)
    # rules only: nothing for the codes without keywords, the noisy keyword everywhere
    assert not any("people" in v or "export" in v for v in before.values())
    assert sum("noise" in v for v in before.values()) >= 10

    rep = s.train()
    assert rep.trained and rep.n_segments == 36 and rep.n_transcripts == 6
    assert rep.coders == ["anna", "boris"]
    after = suggested(s, new)
    hits = total = wrong = 0
    for (tid, i), theme in truth.items():
        if tid not in new:
            continue
        got = set(after.get((tid, i), {}))
        if theme:
            total += 1
            hits += theme in got
        wrong += len(got - {theme})
    assert total >= 12
    assert hits >= 0.8 * total        # the learned codes are suggested where the team would
    assert wrong <= 2                 # and (almost) nowhere else: "cluster" no longer fires
    sample = next(v["people"] for v in after.values() if "people" in v)
    assert sample.reason == "model" and sample.model_score > 0.5


def test_the_model_is_saved_with_the_data_it_was_trained_on(small_project):
    p, _ = build(small_project)
    s = Suggester(p)
    s.train()
    folder = small_project / "models" / "textcat"
    meta = json.loads((folder / "workbench-meta.json").read_text(encoding="utf-8"))
    assert meta["coders"] == ["anna", "boris"]
    assert meta["n_segments"] == 36 and meta["transcripts"] == [f"T0{i}" for i in range(1, 7)]
    log = small_project / "codings" / "anna.jsonl"
    entry = next(x for x in meta["logs"] if x["coder"] == "anna")
    assert entry["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert entry["bytes"] == log.stat().st_size and entry["log"] == "codings/anna.jsonl"
    assert meta["trained_at"] and meta["labels"] == ["export", "money", "people"]
    assert (folder / "config.cfg").is_file()

    # a new Suggester (e.g. the next session) loads it and suggests the same
    s2 = Suggester(Project.open(small_project))
    assert not s2.model_is_stale()
    a = [(x.segment, x.code, x.score) for x in s.suggest_transcript("T07")]
    b = [(x.segment, x.code, x.score) for x in s2.suggest_transcript("T07")]
    assert a == b and any(c == "people" for _, c, _ in a)


def test_retraining_only_when_the_coding_changed(small_project):
    p, _ = build(small_project)
    s = Suggester(p)
    assert s.model_is_stale()                   # coding but no model yet
    assert s.train().trained
    assert not s.model_is_stale()
    again = s.train()
    assert not again.trained and again.message == "the model is up to date"
    tr = p.transcript("T07")
    with p.log("anna") as log:
        log.code("T07", tr.segments[1].start, tr.segments[1].end, "money")
    assert s.model_is_stale()
    rep = s.train()
    assert rep.trained and rep.n_segments == 36 + 1   # T07 seen up to its segment 1


def test_no_codings_trains_nothing_and_says_why(small_project):
    (small_project / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    write_transcript(small_project, "T01", [("Interviewer", "Money?"),
                                            ("Anna", "The subsidy paid for it.")])
    s = Suggester(Project.open(small_project))
    assert not s.model_is_stale()
    rep = s.train()
    assert not rep.trained and "nothing to learn" in rep.message
    assert not (small_project / "models").exists()
    assert [x.code for x in s.suggest_transcript("T01")] == ["money"]
    assert any("nobody has coded" in n for n in s.notes())


def test_partly_coded_transcript_counts_up_to_the_last_coded_segment(small_project):
    p, truth = build(small_project, n_coded=0, n_new=1, coders=())
    tr = p.transcript("T01")
    with p.log("anna") as log:
        log.code("T01", tr.segments[3].start, tr.segments[3].end, "export")
    units, info = training_units(Project.open(small_project))
    assert sorted(units) == [("T01", 1), ("T01", 3)]     # interviewee turns up to segment 3
    assert units[("T01", 3)] == {"export"} and units[("T01", 1)] == frozenset()


def test_consensus_replaces_the_coders_where_it_exists(small_project):
    p, truth = build(small_project, n_coded=2, n_new=0)
    tr = p.transcript("T01")
    with p.log("consensus") as log:
        log.code("T01", tr.segments[1].start, tr.segments[1].end, "noise")
        log.done("T01")
    units, info = training_units(Project.open(small_project))
    assert info["coders"] == ["anna", "boris", "consensus"]
    assert info["consensus_transcripts"] == ["T01"]
    assert units[("T01", 1)] == {"noise"}
    assert all(v == frozenset() for (t, i), v in units.items() if t == "T01" and i != 1)
    expected = truth[("T02", 1)]
    assert units[("T02", 1)] == ({expected} if expected else frozenset())


def test_training_in_a_background_thread_while_suggesting(small_project):
    p, _ = build(small_project)
    s = Suggester(p)
    first = s.suggest_transcript("T07")
    errors = []
    t = threading.Thread(target=lambda: errors.append(s.train()))
    t.start()
    seen = []
    while t.is_alive():
        seen.append(len(s.suggest_transcript("T08")))
    t.join()
    assert errors and errors[0].trained
    assert seen and first  # the UI kept getting suggestions while the model trained
    assert any(x.reason == "model" for x in s.suggest_transcript("T07"))
