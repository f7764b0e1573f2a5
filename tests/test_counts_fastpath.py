"""The fast paths behind the counts and exports (issue 6) give exactly what the slow ones gave.

* ``CodingArrays``/``codings_frame`` equal ``Project.codings``; the vectorised segment
  look-ups (``SegmentArrays``) equal ``TranscriptInfo.segment_of``/``segments_overlapping``;
  ``counts.load`` equals the per-coding loop it replaced (kept below as the reference) — on a
  fixture with every edge case: a coding spanning an interviewer and an interviewee turn, one in
  the gap between two turns (a speaker label), one in the front matter, codings logged out of
  order with equal starts, an uncoded one, a merged code, moved / needs_review / out_of_range
  (negative offsets too) / orphan / unknown_code codings; and on a small synthetic project.
* Catalog entries give what the parser gives (wide offsets too); transcript files are listed as
  before.
* A large log is replayed from its snapshot exactly like a full replay.
"""
from __future__ import annotations

import json
import random
import sys
from bisect import bisect_right
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import counts as C
from workbench.arrays import CodingArrays, SegmentArrays
from workbench.catalog import TranscriptInfo
from workbench.codebook import Codebook
from workbench.project import Project, init_project

CODEBOOK = """\
name: Edge cases
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
"""

A = """\
---
region: Perm
---
Interviewer: What do members get from the cluster?
Manager: Joint research, mostly. And project funding for small firms.

Interviewer: Anything else?
Manager: Contacts abroad. Honestly, contacts abroad matter most.
"""
B = """\
Interviewer: How is the cluster financed?
Director: From project funds and a small membership fee.
Interviewer: Is that enough?
Director: It is never enough.
"""
C_ = """\
Interviewer: Tell me about joint research.
Manager: We run three joint projects with the university.
"""
GONE = """\
Interviewer: Hello.
Manager: This transcript will be deleted.
"""


def _span(text: str, phrase: str, nth: int = 0) -> tuple[int, int]:
    i = -1
    for _ in range(nth + 1):
        i = text.index(phrase, i + 1)
    return i, i + len(phrase)


def build_edge_project(root: Path) -> Project:
    init_project(root, name="Edge cases")
    (root / "codebooks" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    for tid, text in (("A", A), ("B", B), ("C", C_), ("GONE", GONE)):
        (root / "transcripts" / f"{tid}.txt").write_text(text, encoding="utf-8")
    (root / "transcripts" / "attributes.csv").write_text(
        "id,region\nB,Samara\nC,\nGONE,Perm\n", encoding="utf-8")
    p = Project.open(root)
    with p.log("anna") as log:
        def code(tid, phrase, code, nth=0, quote=True, **kw):
            text = {"A": A, "B": B, "C": C_, "GONE": GONE}[tid]
            a, b = _span(text, phrase, nth)
            return log.code(tid, a, b, code, quote=text[a:b] if quote else None, **kw)["id"]
        # logged out of order: the later passage first, equal starts with different codes
        code("A", "contacts abroad matter most", "value.rnd")
        code("A", "Joint research, mostly.", "value.rnd", memo="=strong")
        code("A", "Joint research, mostly.", "finance")
        code("A", "Joint research, mostly. And", "value.funding")
        # spans the interviewer question and the interviewee's answer
        code("A", "members get from the cluster?\nManager: Joint research", "value.funding")
        # only the speaker label between two turns: a gap, in no turn
        code("A", "Manager: ", "value.rnd", nth=1)
        # in the front matter (before every turn)
        code("A", "region: Perm", "finance")
        # interviewer turn only
        code("A", "Anything else?", "value.rnd")
        # a code merged into value.funding
        code("B", "From project funds", "value.old")
        # a code missing from the codebook
        code("B", "small membership fee", "ghost")
        # the text below is changed afterwards: moved / needs_review
        code("B", "It is never enough.", "finance")
        code("B", "Is that enough?", "finance")
        # offsets outside the text (a negative one too), and an empty span
        log.code("B", 10, 10_000, "finance")
        log.code("B", -3, 5, "finance")
        log.code("B", 20, 20, "finance")
        # no quote recorded
        code("C", "three joint projects", "value.rnd", quote=False)
        removed = code("C", "with the university", "value.rnd")
        log.uncode(removed)
        # transcript deleted afterwards: orphan
        code("GONE", "will be deleted", "value.rnd")
        # the whole transcript
        log.code("C", 0, len(C_), "value")
        for tid in ("A", "B", "GONE"):
            log.done(tid)
    for name in p.coders():          # read once before the edits below, as a coding session would:
        Project.open(root).codings(name)   # old-style codings get their context then
    cb = Codebook.load(root / "codebooks" / "codebook.yaml")
    cb.merge("value.old", "value.funding")
    cb.save()
    (root / "transcripts" / "B.txt").write_text(
        B.replace("Interviewer: How", "Interviewer: Thanks. How")
         .replace("Is that enough?", "Does that suffice?"), encoding="utf-8")
    (root / "transcripts" / "GONE.txt").unlink()
    return Project.open(root)


# ---- the per-coding reference: counts.load as it was before the columnar fast path ----------
def reference_load(project: Project, coder: str, speaker: str, include_unfinished: bool):
    catalog = project.catalog()
    state = project.state(coder)
    warnings = list(state.warnings)
    all_tids = list(catalog)
    codings = project.codings(coder)
    if include_unfinished:
        scope, unfinished = all_tids, []
    else:
        scope = [t for t in all_tids if t in state.done]
        unfinished = [t for t in all_tids if t not in state.done]
    coded_tids = {c.transcript for c in codings}
    unfinished_coded = [t for t in unfinished if t in coded_tids]
    excluded: dict[str, int] = {}
    needs_review = 0
    rows, units_c, units_t, units_code, units_s = [], [], [], [], []
    role_char = C._ROLE_CHAR.get(speaker)
    t_pos = {t: i for i, t in enumerate(scope)}
    code_list = list(project.codebook.codes)
    code_pos = {c: i for i, c in enumerate(code_list)}
    for c in codings:
        if c.status in C.LEFT_OUT:
            excluded[c.status] = excluded.get(c.status, 0) + 1
            continue
        ti = t_pos.get(c.transcript)
        if ti is None:
            continue
        info = catalog[c.transcript]
        starts, ends, start, end = info.starts, info.ends, c.start, c.end
        j = max(bisect_right(starts, start) - 1, 0)
        segs = []
        while j < len(starts) and starts[j] < end:
            if ends[j] > start:
                segs.append(j)
            j += 1
        if role_char is not None:
            segs = [s for s in segs if info.roles[s] == role_char]
            if not segs:
                excluded[f"not_{speaker}"] = excluded.get(f"not_{speaker}", 0) + 1
                continue
        if c.status == "needs_review":
            needs_review += 1
        row = len(rows)
        rows.append((c.id, coder, c.transcript, c.code, c.original_code, c.start, c.end,
                     c.quote, segs[0] if segs else c.segment, segs, c.status, c.source, c.memo,
                     c.at))
        for s in segs or (-1,):
            units_c.append(row)
            units_t.append(ti)
            units_code.append(code_pos[c.code])
            units_s.append(s)
    cdf = pd.DataFrame(rows, columns=C.CODING_COLUMNS)
    cdf["segment"] = cdf["segment"].astype("Int64")
    u_coding = np.asarray(units_c, dtype=np.int64)
    u_seg = np.asarray(units_s, dtype=np.int64)
    units = pd.DataFrame({
        "coding": cdf["id"].to_numpy()[u_coding] if len(cdf) else np.zeros(0, object),
        "transcript": pd.Categorical.from_codes(np.asarray(units_t, dtype=np.int64),
                                                categories=pd.Index(scope, dtype=object))
        if scope else pd.Categorical([]),
        "code": pd.Categorical.from_codes(np.asarray(units_code, dtype=np.int64),
                                          categories=pd.Index(code_list, dtype=object)),
        "segment": pd.array(np.where(u_seg >= 0, u_seg, 0), dtype="Int64")})
    units.loc[u_seg < 0, "segment"] = pd.NA
    return dict(transcripts=scope, unfinished=unfinished, unfinished_coded=unfinished_coded,
                codings=cdf, units=units, excluded=excluded, needs_review=needs_review,
                warnings_from_log=warnings, code_list=code_list, u_coding=u_coding,
                u_transcript=np.asarray(units_t, dtype=np.int64),
                u_code=np.asarray(units_code, dtype=np.int64), u_segment=u_seg)


def assert_same_as_reference(project: Project, coder: str, speaker: str, unfinished: bool):
    ref = reference_load(project, coder, speaker, unfinished)
    got = C.load(project, coder, speaker=speaker, include_unfinished=unfinished, cache=False)
    assert got.n_codings == len(ref["codings"])          # known before the frames are built
    assert got.transcripts == ref["transcripts"]
    assert got.unfinished == ref["unfinished"]
    assert got.unfinished_coded == ref["unfinished_coded"]
    pd.testing.assert_frame_equal(got.codings, ref["codings"])
    pd.testing.assert_frame_equal(got.units, ref["units"])
    assert got.codings is got.codings and got.units is got.units   # built once
    assert list(got.excluded.items()) == list(ref["excluded"].items())   # same order too
    assert got.warnings[:len(ref["warnings_from_log"])] == ref["warnings_from_log"]
    assert got.code_list == ref["code_list"]
    for k in ("u_coding", "u_transcript", "u_code", "u_segment"):
        np.testing.assert_array_equal(getattr(got, k), ref[k], err_msg=k)
        assert getattr(got, k).dtype == np.int64
    return got, ref


@pytest.fixture(scope="module")
def edge(tmp_path_factory) -> Project:
    return build_edge_project(tmp_path_factory.mktemp("edge") / "study")


def test_the_fixture_has_every_edge_case(edge):
    statuses = {c.status for c in edge.codings("anna")}
    assert statuses == {"ok", "moved", "needs_review", "out_of_range", "orphan", "unknown_code"}
    data = C.load(edge, "anna", cache=False)
    assert data.excluded == {"out_of_range": 3, "unknown_code": 1, "orphan": 1,
                             "not_interviewee": 4}
    # the coding across question and answer counts for the answer's turn only
    row = data.codings[data.codings["quote"].str.startswith("members get", na=False)].iloc[0]
    assert row["segments"] == [1] and row["segment"] == 1


@pytest.mark.parametrize("speaker", C.SPEAKERS)
@pytest.mark.parametrize("unfinished", [False, True])
def test_load_equals_the_per_coding_reference(edge, speaker, unfinished):
    got, ref = assert_same_as_reference(edge, "anna", speaker, unfinished)
    assert len(got.codings) > 0


def test_gap_and_front_matter_codings_count_only_with_speaker_all(edge):
    data = C.load(edge, "anna", speaker="all", cache=False)
    text = edge.transcript("A").text
    gap = data.codings[data.codings["quote"] == "Manager: "].iloc[0]
    # no turn overlaps it: its segment is the next turn (Project.codings' segment), none counted
    assert gap["segments"] == [] and gap["segment"] == 3
    assert text[gap["start"]:gap["end"]] == "Manager: "
    fm = data.codings[data.codings["quote"] == "region: Perm"].iloc[0]
    assert fm["segments"] == [] and fm["segment"] == 0


def test_counts_on_the_edge_fixture(edge):
    res = C.opinion_counts(edge, "anna")
    by_code = {r.code: (r.interviews, r.segments, r.codings) for r in res.frame.itertuples()}
    # A: value.rnd in answers 1 and 3, value.funding twice in answer 1;
    # B: value.old → value.funding (moved, answer 1)
    assert by_code["value.funding"] == (2, 2, 3)
    assert by_code["value.rnd"] == (1, 2, 2)
    assert by_code["value"] == (2, 3, 5)


def test_coding_arrays_and_frame_equal_project_codings(edge):
    cs = edge.codings("anna")
    cc = CodingArrays(cs)
    assert len(cc) == len(cs)
    for i, c in enumerate(cs):
        assert (cc.id[i], cc.tids[cc.transcript[i]], cc.code[i], cc.original_code[i],
                int(cc.start[i]), int(cc.end[i]), cc.status[i],
                None if cc.segment[i] < 0 else int(cc.segment[i]), cc.source[i], cc.memo[i],
                cc.at[i], cc.quote[i]) == \
            (c.id, c.transcript, c.code, c.original_code, c.start, c.end, c.status, c.segment,
             c.source, c.memo, c.at, c.quote)
    table = edge.codings_frame(["anna"])
    assert table["original_code"].tolist() == [c.original_code for c in cs]
    assert table["segment"].tolist() == [pd.NA if c.segment is None else c.segment for c in cs]
    assert sorted(set(cc.status)) == ["moved", "needs_review", "ok", "orphan", "out_of_range",
                                      "unknown_code"]


def test_empty_log_and_empty_project(tmp_path):
    root = init_project(tmp_path / "empty")
    p = Project.open(root)
    with p.log("anna") as log:
        log.done("nothing")
    assert len(CodingArrays(p.codings("anna"))) == 0 and len(p.codings_frame(["anna"])) == 0
    got, ref = assert_same_as_reference(p, "anna", "interviewee", False)
    assert got.n_transcripts == 0
    (root / "transcripts" / "T.txt").write_text("Interviewer: Hi?\nAnna: Hello.\n")
    p = Project.open(root)
    assert_same_as_reference(p, "anna", "interviewee", True)


# ---- the vectorised segment look-ups -------------------------------------------------------
def _info(tid, starts, ends, roles, n_chars):
    return TranscriptInfo(id=tid, path=f"{tid}.txt", format="txt", attributes={},
                          n_segments=len(starts), n_chars=n_chars, starts=starts, ends=ends,
                          roles=roles, speakers=[None] * len(starts), warnings=[])


def _random_infos(rng: random.Random, n: int, unsorted: bool = False):
    infos = []
    for k in range(n):
        pos, starts, ends = rng.randint(0, 5), [], []
        for _ in range(rng.choice([0, 1, 2, 5, 12])):
            a = pos + rng.randint(0, 4)            # gaps (sometimes none) between turns
            if starts and rng.random() < 0.2:      # now and then overlapping the previous one
                a = max(starts[-1], pos - rng.randint(0, 3))
            b = a + rng.randint(1, 9)
            starts.append(a)
            ends.append(b)
            pos = max(pos, b)
        if unsorted and len(starts) > 2 and k % 3 == 0:
            starts[0], starts[1] = starts[1], starts[0]
        infos.append(_info(f"T{k:03d}", starts, ends,
                           "".join(rng.choice("IE") for _ in starts), pos + rng.randint(0, 6)))
    return infos


@pytest.mark.parametrize("unsorted", [False, True])
@pytest.mark.parametrize("outside", [False, True])
def test_segment_arrays_equal_the_transcript_info_methods(unsorted, outside):
    # (offsets outside every text and unsorted turns take the scalar path; the rest numpy's)
    rng = random.Random(7)
    infos = _random_infos(rng, 60, unsorted)
    sa = SegmentArrays(infos)
    assert sa.tids == [i.id for i in infos]
    assert "".join(sa.roles.astype(str)) == "".join(i.roles for i in infos)
    t, a, b = [], [], []
    for _ in range(3000):
        k = rng.randrange(len(infos))
        n = infos[k].n_chars
        x = rng.randint(-3, n + 3) if outside else rng.randint(0, n)
        t.append(k)
        a.append(x)
        b.append(x + rng.randint(0, 12) if outside else min(x + rng.randint(0, 12), n))
    seg = sa.segment_of(t, a)
    assert [None if s < 0 else s for s in seg.tolist()] == \
        [infos[k].segment_of(x) for k, x in zip(t, a)]
    q, j = sa.overlapping(t, a, b)
    expected = [(i, s) for i, (k, x, y) in enumerate(zip(t, a, b))
                for s in infos[k].segments_overlapping(x, y)]
    assert list(zip(q.tolist(), j.tolist())) == expected


def test_segment_arrays_with_no_segment_at_all():
    sa = SegmentArrays([_info("T", [], [], "", 10)])
    assert sa.segment_of([0, 0], [0, 5]).tolist() == [-1, -1]
    q, j = sa.overlapping([0], [0], [10])
    assert len(q) == len(j) == 0


# ---- a small synthetic project ---------------------------------------------------------------
def test_load_equals_the_reference_on_a_synthetic_project(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        from synth import make_project
    finally:
        sys.path.pop(0)
    root = make_project(tmp_path / "synth", 25, words_per_transcript=600, n_coders=1,
                        codings_per_transcript=12, seed=3)
    p = Project.open(root)
    coder = p.coders()[0]
    for speaker in C.SPEAKERS:
        got, _ = assert_same_as_reference(p, coder, speaker, False)
    assert len(got.codings) > 100
    # a merge recorded afterwards: codes resolve the same way in both paths
    cb = Codebook.load(p.codebook_path())
    leaf = next(c for c in cb.codes if c.count(".") >= 2)
    cb.merge(leaf, cb.parent(leaf).id)
    cb.save()
    p = Project.open(root)
    assert_same_as_reference(p, coder, "interviewee", True)


# ---- replaying a large log: what was appended is read from the snapshot on --------------------
def test_a_large_log_replays_from_its_snapshot_like_a_full_replay(tmp_path):
    from workbench.codinglog import CodingLog
    from workbench.replay import replay, snapshot_file

    def state(st):
        return (sorted((k, c.transcript, c.code, c.start, c.end, c.quote, c.memo, c.line)
                       for k, c in st.codings.items()), sorted(st.done),
                [(m.id, m.text, m.target) for m in st.memos], st.n_events, st.warnings)

    log_path, cache = tmp_path / "codings" / "ann.jsonl", tmp_path / ".workbench" / "cache"
    with CodingLog(log_path, cache.parent / "locks") as log:
        ids = [log.code(f"T{i % 7}", i, i + 5, f"c{i % 3}", quote="q" * 300)["id"]
               for i in range(1200)]
        log.done("T1")
    first = replay(log_path, cache_dir=cache)
    assert snapshot_file(cache, "ann").path.is_file()
    assert state(first) == state(replay(log_path))
    # repeated strings are shared (one object per transcript and code)
    assert len({id(c.transcript) for c in first.codings.values()}) == 7
    with CodingLog(log_path, cache.parent / "locks") as log:
        log.uncode(ids[0])
        log.memo("note", transcript="T1", target=ids[1])
        extra = log.code("T9", 0, 4, "c1", quote="abcd")["id"]
    again = replay(log_path, cache_dir=cache)             # from the snapshot
    assert state(again) == state(replay(log_path))
    assert ids[0] not in again.codings and extra in again.codings
    assert again.codings[ids[1]].memo == "note"
    # a torn last line: reported and skipped the same way
    with open(log_path, "ab") as f:
        f.write(b'{"v":1,"op":"code","id":"half')
    torn = replay(log_path, cache_dir=cache)
    assert state(torn) == state(replay(log_path))
    assert any("incomplete" in w for w in torn.warnings)


# ---- the catalog: transcript files and entries ---------------------------------------------
def _old_listing(p: Project) -> list[Path]:
    """Project.transcript_files as it was (pathlib rglob)."""
    from workbench.transcripts import is_transcript_file
    if not p.transcripts_dir.is_dir():
        return []
    return sorted(f for f in p.transcripts_dir.rglob("*") if is_transcript_file(f)
                  and not any(part.startswith(".") for part in f.relative_to(p.root).parts))


def test_transcript_files_are_listed_as_before(tmp_path):
    root = init_project(tmp_path / "tree")
    t = root / "transcripts"
    for rel in ("b.txt", "a.TXT", "A.md", "z/y.docx", "z/a-b.txt", "z/a/b.txt", "z.txt/x.srt",
                ".hidden.txt", ".dot/x.txt", "z/.h/x.txt", "notes.pdf", "README", "a.b.c.vtt"):
        (t / rel).parent.mkdir(parents=True, exist_ok=True)
        (t / rel).write_text("Q: Hi?\nA: Yes.\n")
    (t / "folder.md").mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "o.txt").write_text("Q: Hi?\n")
    try:
        (t / "linked").symlink_to(outside, target_is_directory=True)
        (t / "file-link.txt").symlink_to(t / "b.txt")
        (t / "broken.txt").symlink_to(t / "missing.txt")
    except OSError:
        pytest.skip("no symbolic links here")
    p = Project.open(root)
    got = p.transcript_files()
    assert got == _old_listing(p)
    assert [f.relative_to(t).as_posix() for f in got] == [
        "A.md", "a.TXT", "a.b.c.vtt", "b.txt", "file-link.txt", "z/a/b.txt", "z/a-b.txt",
        "z/y.docx", "z.txt/x.srt"]            # path order: by component


def test_catalog_entries_unpack_to_what_the_parser_gives(edge):
    p = Project.open(edge.root)
    cat = p.catalog()
    for tid, info in cat.items():
        segs = p.transcript(tid).segments
        assert info.n_segments == len(segs)
        assert info.starts == [s.start for s in segs]
        assert info.ends == [s.end for s in segs]
        assert info.speakers == [s.speaker for s in segs]
        assert info.segment_of(info.starts[-1]) == len(segs) - 1


def test_catalog_entries_with_wide_offsets_and_unlabelled_speakers(tmp_path):
    from workbench.catalog import _entry, _info
    from workbench.transcripts import Segment, Transcript
    starts, ends = [0, 5, 2**31 + 10], [4, 2**31, 2**31 + 20]
    speakers = [None, "Anna", None]
    t = Transcript(id="W", path=tmp_path / "W.txt", format="txt", text="",
                   segments=[Segment("W", i, s, "interviewer" if s is None else "interviewee",
                                     a, b, "") for i, (s, a, b) in enumerate(zip(speakers, starts,
                                                                                  ends))])
    info = _info("W.txt", json.loads(json.dumps(_entry(t, {}, 1, None))), {})
    assert (info.starts, info.ends, info.speakers, info.roles) == (starts, ends, speakers, "IEI")
    sa = SegmentArrays([info])
    assert sa.starts.tolist() == starts and sa.ends.tolist() == ends
    many = [f"S{i}" for i in range(300)]       # more labels than a byte can index
    t = Transcript(id="M", path=tmp_path / "M.txt", format="txt", text="",
                   segments=[Segment("M", i, s, "interviewee", i, i + 1, "")
                             for i, s in enumerate(many)])
    assert _info("M.txt", _entry(t, {}, 1, None), {}).speakers == many
