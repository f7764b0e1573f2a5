"""The columnar ``unit_table`` gives exactly what the per-coding loop gave.

The loop it replaced is kept below as the reference (``reference_unit_table``: Coding objects
from ``Project.codings`` and ``TranscriptInfo.segments_overlapping``). Both are compared — the
values (frozensets / None, same index and columns), the units frame (same dtypes), the coders,
codes, unfinished lists and the number of skipped codings — for every combination of unit,
``all_speakers``, ``include_unfinished``, ``coded_only`` and ``codes``, and several coder lists,
on a hand-made fixture with every edge case:

* three coders and a consensus; transcripts each coder has / has not marked done;
* codings spanning several turns (interviewee, interviewer, interviewee), spanning a question
  and its answer, on interviewer turns only, in the front matter, on a speaker label between two
  turns (in no turn), over a whole transcript; a transcript with interviewer turns only;
* a code merged into another (and coded next to it on the same span), a code missing from the
  codebook, offsets out of range (negative, past the end, an empty span), moved and
  needs_review codings, a transcript deleted after coding (orphan), an uncoded coding;

and on a small synthetic project (bench/synth.py) with random extra codings.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import write_transcript

from workbench.agreement.report import agreement_report
from workbench.agreement.units import BAD_STATUS, UNITS, UnitTable, check_coders, unit_table
from workbench.codebook import Codebook
from workbench.errors import UsageError
from workbench.project import Project, init_project

CODEBOOK = """\
name: Units edge cases
codes:
  - id: value
    name: Added value
    children:
      - id: value.rnd
        name: Joint R&D
      - id: value.funding
        name: Project funding
      - id: value.old
        name: Old code (merged into value.funding below)
  - id: finance
    name: Financing
    children:
      - id: finance.fees
        name: Membership fees
  - id: other
    name: Other
"""

TURNS = {
    "A": [("Interviewer", "What do members get from the cluster?"),
          ("Anna", "Joint research, mostly. And project funding for small firms."),
          ("Interviewer", "Anything else?"),
          ("Anna", "Contacts abroad. Honestly, contacts abroad matter most."),
          ("Interviewer", "Thanks.")],
    "B": [("Interviewer", "How is the cluster financed?"),
          ("Boris", "From project funds and a small membership fee."),
          ("Interviewer", "Is that enough?"),
          ("Boris", "It is never enough.")],
    "C": [("Interviewer", "Tell me about joint research."),
          ("Vera", "We run three joint projects with the university.")],
    "D": [("Interviewer", "Any problems?"),
          ("Gleb", "Funding is late."),
          ("Interviewer", "Why?"),
          ("Gleb", "Budgets.")],
    "E": [("Interviewer", "Hello?"),
          ("Interviewer", "Anyone there?")],          # no interviewee turn at all
    "GONE": [("Interviewer", "Hello."),
             ("Dina", "This transcript will be deleted.")],
}


def _span(text: str, phrase: str, nth: int = 0) -> tuple[int, int]:
    i = -1
    for _ in range(nth + 1):
        i = text.index(phrase, i + 1)
    return i, i + len(phrase)


def build_project(root: Path) -> Project:
    init_project(root, name="Units")
    (root / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    for tid, turns in TURNS.items():
        write_transcript(root, tid, turns, region="Perm")
    p = Project.open(root)
    texts = {tid: p.transcript(tid).text for tid in TURNS}

    def coder(name):
        log = p.log(name)

        def code(tid, phrase, code, nth=0, quote=True, until=None, **more):
            a, b = _span(texts[tid], phrase, nth)
            if until is not None:     # from phrase to the end of ``until``
                b = _span(texts[tid], until)[1]
            return log.code(tid, a, b, code, quote=texts[tid][a:b] if quote else None,
                            **more)["id"]
        return log, code

    log, code = coder("a")
    with log:
        code("A", "Joint research, mostly.", "value.rnd")
        code("A", "Joint research, mostly. And", "value.funding")
        code("A", "members get", "value.funding", until="Joint research")      # question+answer
        code("A", "Anything else?", "value.rnd")                               # interviewer only
        code("A", "project funding", "finance", until="Contacts abroad.")      # E, I, E
        code("A", "Anna: ", "other", nth=1)                                    # speaker label
        code("A", "region: Perm", "finance")                                   # front matter
        code("B", "From project funds", "value.old")                           # merged
        code("B", "small membership fee", "ghost")                             # unknown code
        code("B", "It is never enough.", "finance")                            # moved
        code("B", "Is that enough?", "finance.fees")                           # needs_review
        log.code("B", 10, 10_000, "finance")                                   # out of range
        log.code("B", -3, 5, "finance")
        log.code("B", 20, 20, "finance")
        log.code("C", 0, len(texts["C"]), "value")                             # whole transcript
        code("D", "Funding is late.", "value.funding")
        code("E", "Anyone there?", "other")
        code("GONE", "will be deleted", "value.rnd")                           # orphan
        for tid in ("A", "B", "C", "E", "GONE"):
            log.done(tid)
    log, code = coder("b")
    with log:
        code("A", "Joint research, mostly.", "value.rnd")
        code("A", "Joint research, mostly.", "value.old")    # = value.funding, merged later
        code("A", "Joint research, mostly.", "value.funding")
        code("A", "contacts abroad matter most", "value.funding")
        code("A", "Anything else?", "finance.fees")
        code("A", "Thanks.", "other")
        code("B", "membership fee", "finance.fees")
        code("B", "It is never enough.", "finance")
        code("B", "Boris: ", "value.rnd")
        code("C", "three joint projects", "value.rnd")
        removed = code("C", "with the university", "value.rnd")
        log.uncode(removed)
        code("D", "Budgets.", "other", source="suggestion")               # accepted suggestion
        code("D", "Why?", "other", source="suggestion")                   # … on a question
        code("D", "Any problems?", "finance", until="Budgets.")
        code("E", "Hello?", "value.rnd", until="Anyone there?")
        for tid in ("A", "B", "D"):
            log.done(tid)
    log, code = coder("c")
    with log:
        code("A", "Joint research, mostly.", "value.rnd")
        code("A", "Contacts abroad.", "other")
        code("A", "Interviewer: Anything", "finance.fees", until="abroad matter")
        code("B", "From project funds", "value.funding")
        code("GONE", "Hello.", "other")
        log.code("A", len(texts["A"]) - 3, len(texts["A"]) + 40, "other")    # past the end
        log.done("A")
    log, code = coder("consensus")
    with log:
        code("A", "Joint research, mostly.", "value.rnd")
        log.done("A")
    for name in ("a", "b", "c", "consensus"):   # read once before the edits below, as a coding
        Project.open(root).codings(name)        # session would: old-style codings get context
    cb = Codebook.load(root / "codebooks" / "codebook.yaml")
    cb.merge("value.old", "value.funding")
    cb.save()
    b = root / "transcripts" / "B.txt"
    b.write_text(b.read_text(encoding="utf-8")
                 .replace("Interviewer: How", "Interviewer: Thanks. How")
                 .replace("Is that enough?", "Does that suffice?"), encoding="utf-8")
    (root / "transcripts" / "GONE.txt").unlink()
    return Project.open(root)


# ---- the reference: unit_table's per-coding loop as it was before the columnar fast path -----
def reference_unit_table(project: Project, coders: list[str] | None = None, *,
                         unit: str = "segment", codes: list[str] | str | None = None,
                         all_speakers: bool = False, include_unfinished: bool = False,
                         coded_only: bool = False) -> UnitTable:
    if unit not in UNITS:
        raise UsageError(f"unknown unit '{unit}'", hint=f"use one of: {', '.join(UNITS)}, span")
    coders = check_coders(project, coders)
    cb = project.codebook
    in_scope = set(cb.select(codes)) if codes else None
    if codes and not in_scope:
        raise UsageError(f"no code matches {codes!r}", hint="see the ids with 'workbench codebook'")
    catalog = project.catalog()
    # unit rows
    unit_rows = []
    for tid, info in catalog.items():
        if unit == "transcript":
            unit_rows.append({"unit": tid, "transcript": tid, "segment": None, "start": 0,
                              "end": info.n_chars, "speaker": None, "role": None})
        else:
            for i, (s, e, r) in enumerate(zip(info.starts, info.ends, info.roles)):
                if all_speakers or r == "E":
                    unit_rows.append({"unit": f"{tid}#{i}", "transcript": tid, "segment": i,
                                      "start": s, "end": e, "speaker": info.speakers[i],
                                      "role": "interviewer" if r == "I" else "interviewee"})
    units = pd.DataFrame(unit_rows, columns=["unit", "transcript", "segment", "start", "end",
                                             "speaker", "role"])
    done = {c: project.state(c).done for c in coders}
    unfinished = {c: sorted(set(catalog) - done[c]) for c in coders}
    cells: dict[str, dict[str, set]] = {c: {} for c in coders}
    skipped = 0
    compared = dict.fromkeys(coders, 0)
    suggested = dict.fromkeys(coders, 0)
    for c in coders:
        for cd in project.codings(c):
            if cd.status in BAD_STATUS:
                skipped += 1
                continue
            if in_scope is not None and cd.code not in in_scope:
                continue
            info = catalog[cd.transcript]
            entered = False
            if unit == "transcript":
                segs = info.segments_overlapping(cd.start, cd.end)
                if all_speakers or any(info.roles[i] == "E" for i in segs):
                    cells[c].setdefault(cd.transcript, set()).add(cd.code)
                    entered = True
            else:
                for i in info.segments_overlapping(cd.start, cd.end):
                    if all_speakers or info.roles[i] == "E":
                        cells[c].setdefault(f"{cd.transcript}#{i}", set()).add(cd.code)
                        entered = True
            if entered and (include_unfinished or cd.transcript in done[c]):
                compared[c] += 1
                suggested[c] += cd.source == "suggestion"
    data = {}
    tids = units["transcript"].tolist()
    for c in coders:
        col = []
        for uid, tid in zip(units["unit"], tids):
            if include_unfinished or tid in done[c]:
                col.append(frozenset(cells[c].get(uid, ())))
            else:
                col.append(None)
        data[c] = col
    values = pd.DataFrame(data, index=pd.Index(units["unit"], name="unit"), dtype=object)
    if coded_only:
        keep = values.apply(lambda row: any(v for v in row if v is not None), axis=1)
        values = values[keep.to_numpy()]
        units = units[keep.to_numpy()].reset_index(drop=True)
    code_list = [cid for cid in cb.codes if in_scope is None or cid in in_scope]
    return UnitTable(values=values, units=units, coders=coders, unit=unit, codes=code_list,
                     unfinished={c: u for c, u in unfinished.items() if u and not include_unfinished},
                     skipped_codings=skipped, compared=compared, suggested=suggested)


def assert_same_table(got: UnitTable, ref: UnitTable) -> None:
    assert got.coders == ref.coders and got.unit == ref.unit and got.codes == ref.codes
    assert got.unfinished == ref.unfinished
    assert got.compared == ref.compared and got.suggested == ref.suggested
    assert got.skipped_codings == ref.skipped_codings
    pd.testing.assert_frame_equal(got.units, ref.units)
    pd.testing.assert_frame_equal(got.values, ref.values)
    assert got.values.index.tolist() == ref.values.index.tolist()
    assert list(got.values.columns) == list(ref.values.columns)
    for c in ref.coders:   # cell by cell: None where missing, else a frozenset of the same codes
        for a, b in zip(got.values[c].tolist(), ref.values[c].tolist()):
            assert type(a) is type(b) and a == b


def both(project, coders, **kw):
    return unit_table(project, coders, **kw), reference_unit_table(project, coders, **kw)


@pytest.fixture(scope="module")
def proj(tmp_path_factory) -> Project:
    return build_project(tmp_path_factory.mktemp("units") / "study")


def test_the_fixture_has_every_edge_case(proj):
    statuses = {c.status for c in proj.codings("a")}
    assert statuses == {"ok", "moved", "needs_review", "out_of_range", "orphan", "unknown_code"}
    ut = unit_table(proj, ["a", "b", "c"])
    assert ut.skipped_codings == 5 + 2    # a: 3 out_of_range, ghost, orphan; c: 1 and orphan
    assert ut.unfinished == {"a": ["D"], "b": ["C", "E"], "c": ["B", "C", "D", "E"]}
    v = ut.values
    # the merged code counts as value.funding, once, next to the same code on the same span
    assert v.loc["A#1", "b"] == frozenset({"value.rnd", "value.funding"})
    # a: question+answer (funding), E-I-E span (finance) on both answers; not the front matter
    assert v.loc["A#1", "a"] == frozenset({"value.rnd", "value.funding", "finance"})
    assert v.loc["A#3", "a"] == frozenset({"finance"})
    assert v.loc["B#1", "a"] == frozenset({"value.funding"})   # value.old, moved with its quote
    assert v.loc["B#3", "a"] == frozenset({"finance"})
    assert v.loc["D#1", "a"] is None and v.loc["C#1", "b"] is None
    assert "E#0" not in v.index and "A#0" not in v.index
    tr = unit_table(proj, ["a", "b", "c"], unit="transcript").values
    assert tr.loc["E", "a"] == frozenset()          # interviewer turns only
    assert "other" not in tr.loc["A", "a"]          # the speaker label is in no turn
    tr_all = unit_table(proj, ["a", "b", "c"], unit="transcript", all_speakers=True).values
    assert tr_all.loc["E", "a"] == frozenset({"other"})
    assert {"other", "finance"} <= tr_all.loc["A", "a"]   # label and front matter count too


CODER_LISTS = [None, ["a", "b"], ["c", "a", "b"], ["b", "consensus"]]
CODES = [None, "value.", ["finance"], "value.funding,other"]


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("all_speakers", [False, True])
@pytest.mark.parametrize("include_unfinished", [False, True])
@pytest.mark.parametrize("coded_only", [False, True])
@pytest.mark.parametrize("codes", CODES, ids=str)
def test_unit_table_equals_the_per_coding_reference(proj, unit, all_speakers,
                                                    include_unfinished, coded_only, codes):
    for coders in CODER_LISTS:
        got, ref = both(proj, coders, unit=unit, all_speakers=all_speakers,
                        include_unfinished=include_unfinished, coded_only=coded_only,
                        codes=codes)
        assert_same_table(got, ref)
        assert len(ref.values) > 0


def test_the_same_errors(proj):
    for kw in ({"unit": "span"}, {"codes": "nothing."}, {"codes": "value.old"}):
        with pytest.raises(UsageError) as new:
            unit_table(proj, ["a", "b"], **kw)
        with pytest.raises(UsageError) as old:
            reference_unit_table(proj, ["a", "b"], **kw)
        assert str(new.value) == str(old.value)
    with pytest.raises(UsageError, match="at least 2 coders"):
        unit_table(proj, ["a"])


def test_reports_are_unchanged(proj):
    for unit in UNITS:
        rep = agreement_report(proj, ["a", "b", "c"], unit=unit)
        ref = reference_unit_table(proj, ["a", "b", "c"], unit=unit)
        assert_same_table(rep.table, ref)
        pairable = ref.values.notna().sum(axis=1) >= 2     # units at least two coders coded
        assert rep.overall["n_units"] == int(pairable.sum()) > 0


def test_no_codings_and_no_transcripts(tmp_path):
    root = init_project(tmp_path / "empty")
    p = Project.open(root)
    for c in ("a", "b"):
        with p.log(c) as log:
            log.done("nothing")
    for unit in UNITS:
        got, ref = both(p, ["a", "b"], unit=unit)
        assert_same_table(got, ref)
        assert len(got.values) == 0 and list(got.values.columns) == ["a", "b"]
        # coded_only: the loop's table lost its coder columns when there was no unit at all
        # (and agreement_report failed on it); the columns are kept now, nothing else differs
        only, ref_only = both(p, ["a", "b"], unit=unit, coded_only=True)
        assert list(ref_only.values.columns) == []
        assert_same_table(only, ref)
        rep = agreement_report(p, ["a", "b"], unit=unit, coded_only=True)
        assert rep.overall["n_units"] == 0
    write_transcript(root, "T", [("Interviewer", "Hi?"), ("Anna", "Hello.")])
    p = Project.open(root)
    for unit in UNITS:
        for all_speakers in (False, True):
            for include_unfinished in (False, True):
                for coded_only in (False, True):
                    got, ref = both(p, ["a", "b"], unit=unit, all_speakers=all_speakers,
                                    include_unfinished=include_unfinished, coded_only=coded_only)
                    assert_same_table(got, ref)


# ---- a small synthetic project with random extra codings ---------------------------------------
def test_unit_table_equals_the_reference_on_a_synthetic_project(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        from synth import make_project
    finally:
        sys.path.pop(0)
    root = make_project(tmp_path / "synth", 20, words_per_transcript=600, n_coders=3,
                        codings_per_transcript=12, seed=5, done_fraction=0.7)
    p = Project.open(root)
    rng = random.Random(11)
    codes = list(p.codebook.codes) + ["ghost"]
    tids = p.transcript_ids()
    for coder in p.coders():
        with p.log(coder) as log:
            for _ in range(60):     # anywhere: across turns, on questions, past the end
                tid = rng.choice(tids)
                n = p.catalog()[tid].n_chars
                a = rng.randint(-5, n)
                log.code(tid, a, a + rng.randint(0, 400), rng.choice(codes))
    cb = Codebook.load(p.codebook_path())
    leaf = next(c for c in cb.codes if c.count(".") >= 2)
    cb.merge(leaf, cb.parent(leaf).id)
    cb.save()
    p = Project.open(root)
    prefix = next(iter(p.codebook.codes)) + "."
    n_coded = 0
    for unit in UNITS:
        for all_speakers in (False, True):
            for include_unfinished in (False, True):
                for coded_only in (False, True):
                    for sel in (None, prefix):
                        got, ref = both(p, None, unit=unit, all_speakers=all_speakers,
                                        include_unfinished=include_unfinished,
                                        coded_only=coded_only, codes=sel)
                        assert_same_table(got, ref)
                        n_coded = max(n_coded, int(ref.values.map(bool).to_numpy().sum()))
    assert n_coded > 100


def test_codebooks_of_more_than_64_codes(tmp_path):
    # the code sets are named by bit masks of 64 codes a word: codes in the 2nd and 3rd word
    root = init_project(tmp_path / "wide")
    lines = ["name: Wide", "codes:"]
    for g in range(5):
        lines += [f"  - id: g{g}", f"    name: Group {g}", "    children:"]
        lines += [f"      - id: g{g}.c{k:02d}\n        name: Code {g}.{k}" for k in range(30)]
    (root / "codebooks" / "codebook.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rng = random.Random(3)
    for t in range(6):
        write_transcript(root, f"W{t}", [("Interviewer" if i % 2 == 0 else "Anna",
                                          f"Turn {i} of transcript {t}, some words here.")
                                         for i in range(8)])
    p = Project.open(root)
    codes = list(p.codebook.codes)
    assert len(codes) == 155
    for coder in ("a", "b", "c"):
        with p.log(coder) as log:
            for tid in p.transcript_ids():
                n = p.catalog()[tid].n_chars
                for _ in range(40):
                    a = rng.randint(0, n - 1)
                    log.code(tid, a, min(n, a + rng.randint(1, 120)), rng.choice(codes))
                if rng.random() < 0.8:
                    log.done(tid)
    # codes 64 and 128 places apart (the same bit of another word), alone and together
    write_transcript(root, "X", [("Interviewer" if i % 2 == 0 else "Anna", f"Turn {i}.")
                                 for i in range(10)])
    p = Project.open(root)
    x = p.transcript("X").segments
    with p.log("a") as log:
        for seg, picks in ((1, [1]), (3, [65]), (5, [129]), (7, [1, 65]), (9, [65, 129])):
            for k in picks:
                log.code("X", x[seg].start, x[seg].end, codes[k])
        log.done("X")
    p = Project.open(root)
    xa = unit_table(p, None).values["a"]
    assert [xa[f"X#{i}"] for i in (1, 3, 5, 7, 9)] == [
        {codes[1]}, {codes[65]}, {codes[129]}, {codes[1], codes[65]}, {codes[65], codes[129]}]
    for unit in UNITS:
        for all_speakers in (False, True):
            for coded_only in (False, True):
                for sel in (None, "g3.", ["g0.c05", "g4"]):
                    got, ref = both(p, None, unit=unit, all_speakers=all_speakers,
                                    coded_only=coded_only, codes=sel)
                    assert_same_table(got, ref)
    cells = unit_table(p, None).values.to_numpy().ravel()
    seen = set().union(*(s for s in cells if s))
    assert {c[:2] for c in seen} == {"g0", "g1", "g2", "g3", "g4"}
    assert max(len(s) for s in cells if s) >= 2
