"""The demo project's agreement figures, checked against independent implementations:
scikit-learn's Cohen's kappa and NLTK's AnnotationTask (Krippendorff's alpha, binary and MASI)."""
from __future__ import annotations

import pytest
from helpers import REPO
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import binary_distance, masi_distance
from sklearn.metrics import cohen_kappa_score

from workbench.agreement.report import agreement_report
from workbench.project import Project


def _masi(a, b):
    # NLTK divides by |a ∪ b|, which is 0 for two empty sets; Passonneau's distance there is 0
    return 0.0 if not a and not b else masi_distance(a, b)


@pytest.fixture(scope="module")
def demo_report():
    p = Project.open(REPO)
    return agreement_report(p, ["anna", "boris"])


def test_demo_per_code_kappa_matches_sklearn(demo_report):
    values = demo_report.table.values.dropna()
    from workbench.agreement.report import _with_ancestors
    rolled = _with_ancestors(values, Project.open(REPO).codebook)
    checked = 0
    for row in demo_report.per_code.to_dict(orient="records"):
        a = [row["code"] in s for s in rolled["anna"]]
        b = [row["code"] in s for s in rolled["boris"]]
        if len(set(a) | set(b)) < 2:
            assert row["cohen_kappa"] != row["cohen_kappa"]  # NaN: undefined, not 1.0
            continue
        assert row["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)
        checked += 1
    assert checked >= 20


def test_demo_per_code_alpha_matches_nltk(demo_report):
    values = demo_report.table.values.dropna()
    from workbench.agreement.report import _with_ancestors
    rolled = _with_ancestors(values, Project.open(REPO).codebook)
    for code in ("value", "value.project_funding", "value.competitiveness", "finance.external_support"):
        data = [(c, u, code in s) for u, row in rolled.iterrows() for c, s in row.items()]
        nltk_alpha = AnnotationTask(data=data, distance=binary_distance).alpha()
        ours = demo_report.per_code.set_index("code").loc[code, "krippendorff_alpha"]
        assert ours == pytest.approx(nltk_alpha, abs=1e-9)


def test_demo_overall_masi_alpha_matches_nltk(demo_report):
    values = demo_report.table.values.dropna()
    data = [(c, u, frozenset(s)) for u, row in values.iterrows() for c, s in row.items()]
    nltk_alpha = AnnotationTask(data=data, distance=_masi).alpha()
    assert demo_report.overall["krippendorff_alpha"] == pytest.approx(nltk_alpha, abs=1e-9)
    # and the figure the README reports for the demo
    assert round(demo_report.overall["krippendorff_alpha"], 3) == pytest.approx(0.861, abs=0.0005)
