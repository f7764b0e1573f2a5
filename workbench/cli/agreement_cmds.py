"""agree, disagreements, reconcile."""
from __future__ import annotations

import sys

from ..errors import UsageError
from .common import add_json, add_project, open_project, split_list
from .output import emit_json, table, warn

UNIT_HELP = """\
units:
  segment     (default) one interviewee turn; a coder's value is the set of codes applied to
              spans overlapping it (possibly empty). Interviewer turns are left out unless
              --all-speakers, since turns nobody codes would inflate agreement.
  transcript  one interview; the set of codes applied anywhere in it (the level of the counts).
  span        character-level agreement per code (like NVivo), and a MAXQDA-style segment match:
              two codings of a code agree when they overlap by at least --overlap of the longer.

missing data: a coder has values only for transcripts they marked done; units of other
transcripts are missing for that coder and drop out (Krippendorff). --include-unfinished counts
them as coded. An empty set (finished, no code applied) is a value and counts as agreement when
both coders leave a unit uncoded; --coded-only keeps only units at least one coder coded, and
--codes BRANCH. --within only the units where some coder applied a code of that branch (its
agreement where it is in play; see docs/AGREEMENT.md).

percent agreement is the mean agreement over coder pairs (the figure that goes with Fleiss'
kappa and Brennan-Prediger); "unanimous" is the share of units on which all coders agree. With
two coders they are equal. A code no coder applied has every figure undefined (—).

--bootstrap N (N >= 200) adds a percentile 95% interval for alpha, overall and per code, from N
resamples of the units (--bootstrap-by unit) or of whole transcripts (--bootstrap-by
transcript, for turns nested in interviews). It is a unit bootstrap, not Hayes & Krippendorff's.
"""


def register(sub) -> None:
    from argparse import RawDescriptionHelpFormatter as Raw
    p = sub.add_parser("agree", help="inter-coder agreement, overall and per code",
                       formatter_class=Raw,
                       description="Inter-coder agreement. Per code (presence per unit): percent "
                                   "agreement, Cohen's kappa (2 coders) or Fleiss' kappa (3+), "
                                   "Krippendorff's alpha, Gwet's AC1, Brennan-Prediger. Overall: "
                                   "Krippendorff's alpha on the code sets (MASI distance), kappa "
                                   "on the sets, percent agreement. Undefined coefficients are "
                                   "shown as — (null in JSON) with the reason.",
                       epilog=UNIT_HELP)
    add_project(p)
    p.add_argument("--coders", help="coders to compare, comma-separated (default: the team in "
                                    "workbench.toml [agreement] coders, else every coder but "
                                    "consensus who marked a transcript done)")
    p.add_argument("--unit", choices=["segment", "transcript", "span"], default="segment")
    p.add_argument("--codes", help="restrict to these codes/prefixes, e.g. value. (comma-separated)")
    p.add_argument("--within", action="store_true",
                   help="with --codes: only the units where some coder applied a code of those "
                        "codes (the branch's agreement where it is in play)")
    p.add_argument("--all-speakers", action="store_true", help="include interviewer turns")
    p.add_argument("--include-unfinished", action="store_true",
                   help="treat transcripts not marked done as coded")
    p.add_argument("--coded-only", action="store_true",
                   help="only units that at least one coder coded (default: all units in scope, "
                        "so agreeing that a turn has no code counts as agreement)")
    p.add_argument("--manual-only", action="store_true",
                   help="leave out codings that were accepted suggestions (source: suggestion)")
    p.add_argument("--distance", choices=["masi", "jaccard"], default=None,
                   help="set distance for the overall alpha (default: masi, Passonneau 2006)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="N",
                   help="N (at least 200) bootstrap replicates for 95%% intervals of alpha")
    p.add_argument("--bootstrap-by", choices=["unit", "transcript"], default="unit",
                   help="resample units (default) or whole transcripts")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--overlap", type=float, default=None,
                   help="segment-match overlap for --unit span (default 0.9)")
    add_json(p)
    p.set_defaults(func=cmd_agree)

    p = sub.add_parser("disagreements", help="every unit where the coders differ, with the quote",
                       formatter_class=Raw, epilog=UNIT_HELP)
    add_project(p)
    p.add_argument("--coders", required=True, help="coders to compare, comma-separated")
    p.add_argument("--code", help="only disagreements about this code (and codes below it)")
    p.add_argument("--unit", choices=["segment", "transcript"], default="segment")
    p.add_argument("--all-speakers", action="store_true", help="include interviewer turns")
    p.add_argument("--include-unfinished", action="store_true",
                   help="treat transcripts not marked done as coded")
    add_json(p)
    p.set_defaults(func=cmd_disagreements)

    p = sub.add_parser("reconcile", help="settle disagreements into codings/consensus.jsonl",
                       description="Walk the disagreements of the coders (segment units of "
                                   "transcripts every coder marked done) and write the team's "
                                   "decision to codings/consensus.jsonl. Units all coders agree on "
                                   "are copied into the consensus first. Interactive on a "
                                   "terminal; for scripts, --take settles every open "
                                   "disagreement by one rule. The terminal UI has the same walk "
                                   "(workbench open → 'view: reconcile').")
    add_project(p)
    p.add_argument("--coders", required=True, help="coders to reconcile, comma-separated")
    p.add_argument("--code", help="walk only the units that differ on this code (and codes below "
                   "it); a decision still settles the unit's whole code set")
    p.add_argument("--take", metavar="RULE",
                   help="settle all open disagreements: a coder's name, 'union' or 'intersection'")
    p.add_argument("--dry-run", action="store_true", help="show what would be written")
    add_json(p)
    p.set_defaults(func=cmd_reconcile)


def _fmt(v):
    return v


def cmd_agree(args) -> int:
    from ..agreement.report import agreement_report
    project = open_project(args)
    if args.overlap is not None and not 0 < args.overlap <= 1:
        raise UsageError("--overlap must be between 0 and 1, e.g. 0.9")
    coders = split_list(args.coders)
    rep = agreement_report(project, coders, unit=args.unit,
                           codes=split_list(args.codes), all_speakers=args.all_speakers,
                           include_unfinished=args.include_unfinished, coded_only=args.coded_only,
                           within=args.within, manual_only=args.manual_only,
                           distance=args.distance, bootstrap=args.bootstrap,
                           bootstrap_by=args.bootstrap_by, seed=args.seed, overlap=args.overlap)
    for w in rep.warnings:
        warn(w)
    if args.json:
        emit_json(rep.to_json())
        return 0
    o = rep.overall
    kname = "cohen_kappa" if len(o["coders"]) == 2 else "fleiss_kappa"
    scope = (" (units where the codes are in play)" if args.within else
             " (coded units only)" if args.coded_only else "")
    scope += " · accepted suggestions left out" if args.manual_only else ""
    if args.unit != "span":
        print(f"Agreement of {', '.join(o['coders'])} — unit: {args.unit}, {o['n_units']} units"
              + scope)
        ci = o.get("alpha_ci")
        ci_s = (f"  95% CI [{ci[0]:.3f}, {ci[1]:.3f}] ({o['bootstrap']} replicates resampling "
                f"{'whole transcripts' if o.get('bootstrap_by') == 'transcript' else 'units'})"
                if ci else "")
        print(f"Overall: Krippendorff's alpha ({o['distance'].upper()}) = {_num(o['krippendorff_alpha'])}{ci_s}")
        print(f"         {kname.replace('_', ' ')} (code sets) = {_num(o.get(kname))}   "
              f"percent agreement (mean over coder pairs) = {_num(o['percent_agreement'])}   "
              f"unanimous = {_num(o['unanimous'])}")
        for k, r in (o.get("reasons") or {}).items():
            print(f"         {k}: undefined — {r}")
    else:
        print(f"Agreement of {', '.join(o['coders'])} — unit: span, {o['n_characters']} "
              f"characters in {len(o['transcripts'])} transcript(s) finished by every coder"
              + scope)
        print(f"Overall: percent agreement over (character, code) pairs (mean over coder pairs) "
              f"= {_num(o['percent_agreement'])}   unanimous = {_num(o['unanimous'])}")
    co = o.get("codings") or {}
    if co.get("compared"):
        print(f"         compared codings: {co['compared']}, of which {co['suggestions']} "
              "accepted suggestions" + (" (left out)" if args.manual_only else ""))
    print()
    cols = [c for c in ["code", "n_units", "n_characters", "prevalence", "percent_agreement",
                        "unanimous", kname, "krippendorff_alpha", "alpha_ci_low", "alpha_ci_high",
                        "gwet_ac1", "brennan_prediger", "segment_match", "n_codings"]
            if c in rep.per_code.columns]
    rows = rep.per_code.to_dict(orient="records")
    print(table(rows, cols))
    if "alpha_ci_low" in rep.per_code.columns:
        und = int(rep.per_code["alpha_ci_undefined"].fillna(0).gt(0).sum())
        print(f"\nalpha_ci_low/high: 95% interval of each code's alpha ({args.bootstrap} "
              "replicates)" + (f"; {und} code(s) had replicates with alpha undefined (see "
                               "alpha_ci_undefined in --json)" if und else ""))
    undefined = [r for r in rows if isinstance(r.get("reason"), str)]
    if undefined:
        print(f"\n— = undefined. {len(undefined)} code(s) have an undefined coefficient, e.g. "
              f"{undefined[0]['code']}: {undefined[0]['reason']}")
    return 0


def _num(v):
    return "—" if v is None else f"{float(v):.3f}"


def cmd_disagreements(args) -> int:
    from ..agreement.report import disagreements
    project = open_project(args)
    coders = split_list(args.coders)
    df = disagreements(project, coders, code=args.code, unit=args.unit,
                       all_speakers=args.all_speakers, include_unfinished=args.include_unfinished)
    if args.json:
        emit_json(df.to_dict(orient="records"))
        return 0
    if df.empty:
        print("No disagreements.")
        return 0
    for r in df.to_dict(orient="records"):
        where = r["transcript"] + (f" turn {r['turn']}" if r["turn"] is not None else "")
        print(f"{where} ({r['speaker'] or ''})")
        for c in coders:
            print(f"   {c:>12}: {r[c] if r[c] is not None else '(not finished)'}")
        if r["quote"]:
            q = r["quote"].replace("\n", " ")
            print(f"   “{q[:300]}{'…' if len(q) > 300 else ''}”")
        print()
    print(f"{len(df)} unit(s) where {', '.join(coders)} differ")
    return 0


def cmd_reconcile(args) -> int:
    from ..agreement.reconcile import DECISIONS, mark_finished, reconcile_state, seed_agreed, settle
    from ..config import CONSENSUS
    project = open_project(args)
    coders = split_list(args.coders)
    st = reconcile_state(project, coders, code=args.code)
    interactive = not args.take and not args.json and sys.stdin.isatty()
    if not args.take and not interactive:
        # report only
        summary = {"coders": st.coders, "agreed_units": len(st.agreed),
                   "disagreements": len(st.disagreements), "open": len(st.open)}
        if args.json:
            emit_json(summary)
        else:
            print(f"{summary['disagreements']} disagreement(s), {summary['open']} open; "
                  f"{summary['agreed_units']} coded unit(s) agreed. Use --take RULE, or run on a "
                  "terminal to decide one by one.")
        return 0
    if args.take and args.take not in (*DECISIONS, *st.coders):
        raise UsageError(f"--take '{args.take}' is neither a compared coder nor union/intersection",
                         hint=f"use one of: {', '.join([*st.coders, *DECISIONS])}")
    if args.dry_run:
        plan = [{"unit": d.unit, "codes": sorted(d.option(args.take))} for d in st.open] if args.take else []
        emit_json({"would_settle": plan, "agreed_to_copy": sum(d.settled is None for d in st.agreed)}) \
            if args.json else print(f"would settle {len(plan)} unit(s) by '{args.take}' and copy "
                                    f"{sum(d.settled is None for d in st.agreed)} agreed unit(s)")
        return 0
    written = 0
    with project.log(CONSENSUS) as log:
        seeded = seed_agreed(project, log, st)
        if args.take:
            for d in st.open:
                settle(project, log, d, d.option(args.take), args.take, st.coders)
                written += 1
        else:
            written = _interactive(project, log, st)
        marked = mark_finished(project, log, st)
    result = {"coders": st.coders, "agreed_copied": seeded, "settled": written,
              "open": len(st.open), "transcripts_done": marked,
              "transcripts_reopened": st.reopened,
              "log": str(project.log_path(CONSENSUS).relative_to(project.root))}
    if args.json:
        emit_json(result)
    else:
        print(f"Copied {seeded} agreed unit(s), settled {written} disagreement(s); "
              f"{len(st.open)} still open. Consensus finished: {', '.join(marked) or 'none new'}. "
              f"Written to {result['log']}")
        if st.reopened:
            print(f"Reopened in the consensus (earlier decisions for fewer coders): "
                  f"{', '.join(st.reopened)}")
    return 0


def _interactive(project, log, st) -> int:
    from ..agreement.reconcile import parse_codes, settle
    n = 0
    open_ = st.open
    for i, d in enumerate(open_, 1):
        print(f"\n[{i}/{len(open_)}] {d.transcript} turn {d.segment + 1} ({d.speaker or ''})")
        q = d.quote.replace("\n", " ")
        print(f"  “{q[:500]}{'…' if len(q) > 500 else ''}”")
        if d.previous is not None:
            print(f"  earlier consensus of {', '.join(d.previous_coders)}: "
                  f"{', '.join(sorted(d.previous)) or '(no code)'}")
        keys = {}
        for j, c in enumerate(st.coders, 1):
            keys[str(j)] = c
            print(f"  [{j}] {c}: {', '.join(sorted(d.sets[c])) or '(no code)'}")
        print("  [u] union  [i] intersection  [e] edit  [s] skip  [q] quit")
        while True:
            try:
                ans = input("  decision> ").strip()
            except EOFError:
                return n
            if ans == "q":
                return n
            if ans == "s":
                break
            if ans in keys:
                settle(project, log, d, d.sets[keys[ans]], keys[ans], st.coders)
            elif ans in ("u", "i"):
                rule = "union" if ans == "u" else "intersection"
                settle(project, log, d, d.option(rule), rule, st.coders)
            elif ans == "e":
                codes = parse_codes(input("  codes (comma-separated, empty for none)> "))
                try:
                    settle(project, log, d, codes, "edit", st.coders)
                except UsageError as e:
                    print(f"  {e}")
                    continue
            else:
                continue
            n += 1
            break
    return n
