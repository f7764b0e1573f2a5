"""Inter-coder agreement.

Statistics layer (pure numpy/pandas):

* :func:`per_code_agreement` -- one row per code: presence/absence agreement per
  unit (percent agreement, Cohen's or Fleiss' kappa, Krippendorff's alpha, Gwet's
  AC1, Brennan-Prediger, prevalence, optional bootstrap CI for alpha).
* :func:`overall_agreement` -- agreement on each unit's whole code *set*
  (Krippendorff's alpha with the MASI/Jaccard distance, kappa and percent
  agreement with each distinct set as a category, optional bootstrap CI).
* Nominal coefficients on a units x coders ratings table (module ``coefficients``):
  :func:`percent_agreement` (mean over coder pairs), :func:`unanimous` (all coders agree),
  :func:`cohen_kappa`, :func:`fleiss_kappa`, :func:`krippendorff_alpha`,
  :func:`gwet_ac1`, :func:`brennan_prediger` -- each returns an :class:`Estimate`
  (``value`` float or ``None`` + ``reason``).

Unit table contract (input of both frame functions): a DataFrame indexed by unit id
(e.g. (transcript, segment) or transcript) with one column per coder; each cell a
frozenset of code ids the coder applied to the unit, ``frozenset()`` when the coder
coded the unit but applied no code, and ``None``/``NaN`` when the coder did not
code the unit (missing).  See the function docstrings for per-coefficient missing
data rules.
"""

from .code_sets import (
    DISTANCES,
    jaccard_distance,
    masi_distance,
    overall_agreement,
    set_alpha,
    set_distance_matrix,
)
from .coefficients import (
    Estimate,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    kappa_column,
    krippendorff_alpha,
    percent_agreement,
    unanimous,
)
from .per_code import LONG_COLUMNS, per_code_agreement, per_code_agreement_arrays, sets_to_ids

__all__ = [
    "DISTANCES",
    "LONG_COLUMNS",
    "Estimate",
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "jaccard_distance",
    "kappa_column",
    "krippendorff_alpha",
    "masi_distance",
    "overall_agreement",
    "per_code_agreement",
    "per_code_agreement_arrays",
    "percent_agreement",
    "set_alpha",
    "set_distance_matrix",
    "sets_to_ids",
    "unanimous",
]
