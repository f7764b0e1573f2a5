"""The HTML report rendered in a real browser (headless Chromium, Debian's `chromium` package;
.ci/run installs it): the text is there, and the chart is drawn — an <svg> with a non-zero
rendered size whose pixels on the screenshot are the bars' colour, not blank."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.chart import BAR_COLOR
from workbench.project import Project
from workbench.report import build_report, write_report

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: .ci/run installs it with apt-get")
    pytestmark = pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--force-device-scale-factor=1", "--mute-audio"]
WIDTH = 1200

PROBE = """<script>
(function () {
  var out = {charts: []};
  document.querySelectorAll("figure.chart svg").forEach(function (svg) {
    var r = svg.getBoundingClientRect();
    out.charts.push({x: r.left + window.scrollX, y: r.top + window.scrollY,
                     width: r.width, height: r.height,
                     bars: svg.querySelectorAll("path, rect").length});
  });
  out.height = document.documentElement.scrollHeight;
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def chromium(tmp: Path, url: str, *extra: str, height: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}",
                           f"--window-size={WIDTH},{height}", *extra, url],
                          capture_output=True, text=True, timeout=120, cwd=tmp)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "demo"
    root.mkdir()
    for name in ("workbench.toml", "codebooks", "transcripts", "codings", "pseudonyms.yaml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    rep = build_report(Project.open(root), "anna", codes="value.")
    path, = write_report(rep, tmp / "report.html")
    probe = tmp / "probe.html"
    probe.write_text(path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    dom = chromium(tmp, probe.as_uri(), "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    return tmp, path, rep, dom.stdout


def probe_of(dom: str) -> dict:
    start = dom.index('<pre id="probe">') + len('<pre id="probe">')
    import html
    return json.loads(html.unescape(dom[start:dom.index("</pre>", start)]))


def test_the_text_is_rendered(rendered):
    _, _, rep, dom = rendered
    assert rep.title in dom
    assert "Voiced by <strong>7 of 10 interviewees (70.0%)</strong>" in dom
    assert "P01, turn 6 · Manager P01 · Perm · Cluster A" in dom
    assert "Krippendorff's alpha over whole code sets" in dom
    assert "Figure 1. Added value for members" in dom
    assert "Ms. Ivanova" not in dom


def test_the_chart_is_drawn(rendered):
    tmp, path, _, dom = rendered
    probe = probe_of(dom)
    assert len(probe["charts"]) == 1
    chart = probe["charts"][0]
    assert chart["width"] > 300 and chart["height"] > 150
    assert chart["bars"] >= 7
    bottom = int(chart["y"] + chart["height"]) + 20
    shot = tmp / "shot.png"
    res = chromium(tmp, path.as_uri(), f"--screenshot={shot}", height=bottom)
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    import numpy as np
    from PIL import Image
    img = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)
    assert img.shape[:2] == (bottom, WIDTH)
    target = np.array([int(BAR_COLOR[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    x0, y0 = int(chart["x"]), int(chart["y"])
    region = img[y0:bottom - 20, x0:int(chart["x"] + chart["width"])]
    is_bar = (np.abs(region - target) <= 12).all(axis=2)
    # seven bars of 3 to 7 interviewees fill a good part of the chart, in the bars' colour
    assert is_bar.mean() > 0.05, is_bar.mean()
    # and the rest of the figure is not blank either: labels and axes
    assert (region.max(axis=2) < 90).sum() > 500
    # above the chart the page is text on white, without the bars' colour
    above = img[:max(y0 - 5, 1)]
    assert not (np.abs(above - target) <= 12).all(axis=2).any()
