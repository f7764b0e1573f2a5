"""The project screen's "coded" column comes from the session's coded-segment counts, computed
for every transcript at once when the log is loaded; they must equal counting one transcript at a
time (a coding spanning several turns counts each turn once; a segment coded twice counts once;
a coding outside its transcript's text counts nothing)."""
from __future__ import annotations

from workbench.project import Project
from workbench.tui.session import CodingSession


def test_coded_segment_counts_at_load_match_one_by_one(demo):
    p = Project.open(demo)
    t = p.transcript("P02")
    s1, s2, s5 = t.segments[1], t.segments[2], t.segments[5]
    with p.log("carla") as log:
        log.code("P02", s1.start, s2.end, "value.joint_rnd")        # spans turns 1 and 2
        log.code("P02", s1.start + 1, s1.end - 1, "finance.fees")    # turn 1 again
        log.code("P02", s5.start, s5.end, "finance.fees")
        log.code("P03", 10**9, 10**9 + 5, "finance.fees")            # outside the text
        first = p.transcript("P07").segments[0]
        log.code("P07", first.start, first.start + 1, "finance.fees")
    p = Project.open(demo)
    s = CodingSession.open(p, "carla")
    try:
        s.load()
        assert s.coded_segments("P02") == 3
        assert s.coded_segments("P03") == 0
        assert s.coded_segments("P07") == 1
        assert s._coded == {tid: s._count_coded(tid) for tid in s._by_tid}
    finally:
        s.close()
