"""Figure 1 as a chart: the bars drawn are the hand-worked counts of the fixture in
test_counts.py, sorted and labelled; files are never overwritten without --force."""
from __future__ import annotations

import subprocess
import sys

import pytest
from test_counts import TRANSCRIPTS, build_fixture, span

from workbench.chart import chart_rows, figure, save_chart
from workbench.counts import opinion_counts
from workbench.errors import UsageError
from workbench.project import Project


@pytest.fixture
def project(tmp_path):
    return build_fixture(tmp_path / "study")


def test_chart_rows_drop_the_selected_parent_and_sort(project):
    res = opinion_counts(project, coder="anna", codes="value.")
    rows = chart_rows(res)
    assert list(rows["code"]) == ["value.rnd", "value.funding"]
    assert list(rows["interviews"]) == [2, 1]
    res = opinion_counts(project, coder="anna", include_unfinished=True, speaker="all")
    rows = chart_rows(res)          # leaves of both trees, largest first, ties in tree order
    assert list(zip(rows["code"], rows["interviews"])) == [
        ("value.rnd", 3), ("value.funding", 2), ("finance.fees", 2)]


def test_figure_bars_labels_and_note(project):
    res = opinion_counts(project, coder="anna", codes="value.")
    fig = figure(res)
    ax = fig.axes[0]
    bars = ax.patches
    assert [b.get_width() for b in sorted(bars, key=lambda b: -b.get_y())] == [2, 1]
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())))
    assert [t for _, t in ticks] == ["Project funding", "Joint R&D"]   # largest on top
    texts = [t.get_text() for t in ax.texts]
    assert "2" in texts and "1" in texts                      # each bar labelled with its count
    assert ax.get_title(loc="left") == ("by the number of opinions among the 3 interviewees "
                                        "(coder: anna)\nscope: 3 of 4 transcripts marked done")
    assert fig._suptitle.get_text() == "Added value"
    assert ax.get_xlabel() == "Number of interviewees (N = 3)"


def test_save_png_and_svg_never_overwrite(project, tmp_path):
    res = opinion_counts(project, coder="anna", codes="value.")
    png = save_chart(res, tmp_path / "out" / "figure1.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(UsageError, match="already exists"):
        save_chart(res, png)
    save_chart(res, png, force=True, title="Figure 1")
    svg = save_chart(res, tmp_path / "figure1.svg")
    text = svg.read_text(encoding="utf-8")
    assert "Joint R&amp;D" in text and "(coder: anna)" in text and "N = 3" in text
    again = save_chart(res, tmp_path / "again.svg")
    assert again.read_bytes() == svg.read_bytes()              # reproducible
    with pytest.raises(UsageError, match="png, .svg or .pdf"):
        save_chart(res, tmp_path / "figure1.gif")


def test_empty_scope_is_a_clear_error(project):
    with project.log("consensus") as log:
        a, b = span(TRANSCRIPTS["T4"], "Yes, joint research")
        log.code("T4", a, b, "value.rnd")
    res = opinion_counts(Project.open(project.root), consensus=True)
    with pytest.raises(UsageError, match="no transcript is in scope"):
        figure(res)


def test_cli_chart(project):
    cmd = [sys.executable, "-m", "workbench", "chart", str(project.root), "--coder", "anna",
           "--codes", "value.", "--out", str(project.root / "exports" / "figure1.png")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (project.root / "exports" / "figure1.png").is_file()
    assert "N = 3" in r.stdout and "coder: anna" in r.stdout
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "--force" in r.stderr


def test_subtitle_says_one_interviewee_not_one_interviewees():
    from types import SimpleNamespace

    from workbench.chart import subtitle
    one = SimpleNamespace(n_transcripts=1, coders=["anna"],
                          data=SimpleNamespace(speaker="interviewee", who="anna",
                                               scope_text=lambda: "1 of 3 transcripts marked done"))
    assert subtitle(one) == ("by the number of opinions among the 1 interviewee (coder: anna)\n"
                             "scope: 1 of 3 transcripts marked done")
    one.data.speaker = "all"
    assert subtitle(one).startswith("by the number of opinions among the 1 interview (")
    one.n_transcripts = 50
    assert "among the 50 interviews" in subtitle(one)
