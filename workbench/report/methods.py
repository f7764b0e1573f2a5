"""The report's methods paragraph, written from facts: how many interviews are counted and whose
transcripts they are, who coded them against which codebook, the inter-coder agreement (its
unit, coefficient and number of units, from workbench.agreement.report.agreement_report), and
whether the counts come from a reconciled consensus. Nothing here is a claim the project's files
cannot back."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..config import CONSENSUS
from ..counts import CodedData
from ..project import Project

UNITS = {"segment": ("speaker turn", "speaker turns"), "transcript": ("interview", "interviews")}


@dataclass
class AgreementFacts:
    coders: list[str]
    overall: dict[str, dict]                 # unit -> agreement_report(...).overall
    per_code: dict[str, dict] = field(default_factory=dict)   # code -> figures (turn unit)
    warnings: list[str] = field(default_factory=list)


def agreement_facts(project: Project, coders: list[str], data: CodedData) -> AgreementFacts | None:
    """Agreement of ``coders`` (two or more) at the speaker-turn and the interview unit, with the
    same speaker and scope rules as the counts; None with fewer than two coders."""
    if len(coders) < 2:
        return None
    from ..agreement.report import agreement_report
    overall: dict = {}
    per_code: dict = {}
    warnings: list[str] = []
    for unit in ("segment", "transcript"):
        rep = agreement_report(project, coders, unit=unit,
                               all_speakers=data.speaker != "interviewee",
                               include_unfinished=data.include_unfinished)
        overall[unit] = rep.overall
        warnings.extend(w for w in rep.warnings if w not in warnings)
        if unit == "segment":
            for r in rep.per_code.to_dict(orient="records"):
                per_code[r["code"]] = {
                    "unit": "speaker turn", "n_units": r.get("n_units"),
                    "krippendorff_alpha": _num(r.get("krippendorff_alpha")),
                    "percent_agreement": _num(r.get("percent_agreement")),
                    "reason": r.get("reason")}
    return AgreementFacts(coders, overall, per_code, warnings)


def _num(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _names(items: list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _number(n: int) -> str:
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[n] if 0 <= n < len(words) else str(n)


def fmt(v, digits: int = 2) -> str:
    return "undefined" if v is None else f"{v:.{digits}f}"


def agreement_sentence(facts: AgreementFacts) -> str:
    """One clause per unit: coefficient, value, unit and number of units."""
    parts = []
    kappa_key = "cohen_kappa" if len(facts.coders) == 2 else "fleiss_kappa"
    kappa_name = "Cohen's" if len(facts.coders) == 2 else "Fleiss'"
    for i, (unit, ov) in enumerate(facts.overall.items()):
        one, many = UNITS[unit]
        alpha = _num(ov.get("krippendorff_alpha"))
        pa = _num(ov.get("percent_agreement"))
        kappa = _num(ov.get(kappa_key))
        dist = "MASI" if ov.get("distance", "masi") == "masi" else "Jaccard"
        coefficient = (f"Krippendorff's alpha over whole code sets ({dist} distance)" if i == 0
                       else "alpha")
        s = f"with the {one} as the unit (n = {ov.get('n_units')} {many}), {coefficient} was {fmt(alpha)}"
        if alpha is None and ov.get("reason"):
            s += f" ({ov['reason']})"
        share = "an undefined share" if pa is None else f"{pa * 100:.1f}%"
        s += (f", {kappa_name} kappa {fmt(kappa)}, and the code sets were identical on {share} "
              f"of the {many}")
        parts.append(s)
    return (f"Inter-coder agreement of {_names(facts.coders)} was measured "
            "(a transcript a coder had not finished counts as missing for that coder): "
            + "; ".join(parts) + ".")


def methods_paragraphs(project: Project, data: CodedData, coders: list[str],
                       facts: AgreementFacts | None, selected: list[str]) -> list[str]:
    n = data.n_transcripts
    n_all = len(project.catalog())
    cb = project.codebook
    who = "interviewees" if data.speaker == "interviewee" else "interviews"
    if data.include_unfinished:
        scope = f"all {n_all} interview transcripts of the project"
    elif n == n_all:
        scope = (f"all {n_all} interview transcripts of the project, each marked done by "
                 f"{data.coder}")
    else:
        scope = (f"{n} of the project's {n_all} interview transcripts: those {data.coder} "
                 "marked done")
    p1 = f"The report covers {scope}."
    done = {c: len(project.state(c).done) for c in coders}
    if coders:
        each = _names([f"{c} ({done[c]} transcripts finished)" if i == 0 else f"{c} ({done[c]})"
                       for i, c in enumerate(coders)])
        p1 += (f" {_number(len(coders)).capitalize()} coder{'s' if len(coders) != 1 else ''}, "
               f"{each}, coded them against the codebook “{cb.name}” ({len(cb.codes)} codes, "
               f"{len(selected)} of them reported here).")
    if facts is not None:
        p1 += " " + agreement_sentence(facts)
    elif len(coders) == 1:
        p1 += " With a single coder, no inter-coder agreement was measured."
    if data.coder == CONSENSUS:
        settled = _consensus_coders(project)
        p2 = ("The counts and quotes come from the consensus coding (codings/consensus.jsonl), "
              "in which the coders' disagreements were reconciled"
              + (f" ({_names(settled)})" if settled else "") + ".")
    else:
        p2 = f"The counts and quotes come from the coding of {data.coder} alone"
        p2 += (", not from a reconciled consensus." if CONSENSUS not in project.coders() else
               "; a consensus coding exists but was not used for this report.")
    rule = {"interviewee": "an interviewee once when at least one passage of the interviewee's "
                           "own turns (not the interviewer's questions) was coded with it or "
                           "with a code below it",
            "interviewer": "an interview once when at least one passage of an interviewer "
                           "turn was coded with it or with a code below it",
            "all": "an interview once when at least one passage was coded with it or with a "
                   "code below it"}[data.speaker]
    p2 += (f" A theme counts {rule}; percentages are of the N = {n} "
           f"{who} in scope. Quotes are the coded passages, each with its transcript and the "
           "speaker turn it starts in (turns numbered from 1, as in the workbench).")
    return [p1, p2]


def _consensus_coders(project: Project) -> list[str]:
    """The coders the consensus codings say they settle."""
    out: list[str] = []
    for c in project.state(CONSENSUS).codings.values():
        settles = c.settles or {}
        for name in settles.get("coders", []) if isinstance(settles, dict) else []:
            if name not in out:
                out.append(name)
    return sorted(out)
