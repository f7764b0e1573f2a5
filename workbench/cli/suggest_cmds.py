"""suggest: code suggestions per segment for one coder, and their cross-validated quality against
simple baselines (--evaluate)."""
from __future__ import annotations

import sys

from ..errors import UsageError
from .common import add_json, add_project, open_project, split_list
from .output import emit_json, table, warn


def register(sub) -> None:
    p = sub.add_parser(
        "suggest", help="suggested codes per segment, each with its evidence",
        description="Suggest codes for interviewee segments from the codebook (definitions, "
                    "include rules, examples, keywords) and from the coder's own coded examples, "
                    "each suggestion with the evidence behind it. Blind by default: the "
                    "suggestions for --coder NAME learn from NAME's codings and the consensus "
                    "only, never from another coder's log ([suggest] learn_from = \"all\" opts "
                    "in); without --coder they learn from the consensus alone. The model is "
                    "retrained first when that coding changed (PROJECT/models/suggest/). "
                    "With --evaluate: cross-validated precision, recall, F1, Cohen's kappa and "
                    "ranking against the human coding, by transcript, next to simple baselines. "
                    "See docs/SUGGESTIONS.md.")
    add_project(p)
    p.add_argument("--coder", metavar="NAME",
                   help="suggestions for this coder (learned from NAME's own codings and the "
                        "consensus; a coder with no codings yet gets codebook suggestions)")
    p.add_argument("--transcript", metavar="T", help="one transcript id (default: all)")
    p.add_argument("--evaluate", action="store_true",
                   help="measure how well the suggestions agree with the human coding")
    p.add_argument("--folds", type=int, default=5, metavar="K",
                   help="cross-validation folds for --evaluate (default: 5)")
    p.add_argument("--coders", metavar="A,B",
                   help="with --evaluate: learn from and compare with these coders only "
                        "(default: every coder, the consensus where there is one; with --coder: "
                        "that coder's own codings and the consensus)")
    p.add_argument("--threshold", type=float, metavar="X",
                   help="show suggestions scoring at least X (default: [suggest] threshold in "
                        "workbench.toml, 0.5 = the threshold learned by cross-validation)")
    p.add_argument("--no-train", action="store_true",
                   help="do not (re)train the model; use the saved one as it is, or the "
                        "codebook alone")
    p.add_argument("--no-curve", action="store_true",
                   help="--evaluate without the learning curve (faster)")
    add_json(p)
    p.set_defaults(func=cmd_suggest)


def _suggester(args):
    from ..project import validate_coder
    from ..suggest import Suggester
    project = open_project(args)
    coders = split_list(args.coders)
    if coders and not args.evaluate:
        raise UsageError("--coders is for --evaluate; suggestions are for one coder",
                         hint="use --coder NAME (learns from NAME's codings and the consensus)")
    if coders and args.coder:
        raise UsageError("give --coder or --coders, not both")
    if coders:
        known = project.coders()
        for c in coders:
            if c not in known:
                raise UsageError(f"no coding log for coder '{c}'",
                                 hint=f"coders with a log: {', '.join(known) or 'none'}")
    if args.coder:
        validate_coder(args.coder)
    if args.threshold is not None:
        if not 0.0 <= args.threshold <= 1.0:
            raise UsageError("--threshold must be between 0 and 1")
        project.config.suggest.threshold = args.threshold
    if args.folds < 2:
        raise UsageError("--folds must be at least 2")
    return project, Suggester(project, coder=args.coder, coders=coders or None), coders


def cmd_suggest(args) -> int:
    project, s, coders = _suggester(args)
    if args.evaluate:
        return _evaluate(args, project, s, coders)
    tids = [project.info(args.transcript).id] if args.transcript else project.transcript_ids()
    print(f"suggestions learn from {s.source.describe()}", file=sys.stderr)
    if not args.no_train and s.model_is_stale():
        rep = s.train()
        print(f"model: {rep.message} ({rep.seconds:.1f} s)", file=sys.stderr)
    rows = []
    for tid in tids:
        rows.extend(s.suggest_transcript(tid))
    notes = s.notes()
    if args.json:
        emit_json([r.to_dict() for r in rows])
        for n in notes:
            warn(n)
        return 0
    if not rows:
        print("No suggestions.")
        for n in notes:
            print(f"  - {n}")
        return 0
    by_t: dict[str, list] = {}
    for r in rows:
        by_t.setdefault(r.transcript, []).append(r)
    for tid, items in by_t.items():
        text = project.transcript(tid).text
        print(f"{tid}: {len(items)} suggestion(s)")
        print(table([{"turn": r.segment + 1, "code": r.code, "score": r.score,
                      "reason": r.reason, "text": text[r.start:r.end]} for r in items],
                    ["turn", "code", "score", "reason", "text"], max_width=48))
        print()
    for n in notes:
        warn(n)
    return 0


def _evaluate(args, project, s, coders) -> int:
    from ..suggest import evaluate
    progress = None
    if not args.json and sys.stderr.isatty():
        progress = lambda msg: print(f"  {msg}", file=sys.stderr)
    rep = evaluate(project, folds=args.folds, coders=coders or None, coder=args.coder,
                   curve=not args.no_curve, suggester=s, progress=progress)
    if args.json:
        emit_json(rep.to_dict())
        if rep.note:
            warn(rep.note)
        return 0
    if not rep.per_code:
        print(f"No evaluation: {rep.note}")
        return 0
    how = (f"{rep.folds}-fold cross-validation by transcript" if rep.folds
           else "codebook evidence only, no cross-validation")
    print(f"Suggestions vs the human coding: {how}")
    print(f"{rep.n_transcripts} coded transcripts, {rep.n_segments} segments; coders: "
          f"{', '.join(rep.coders) or '—'}; threshold {rep.threshold:g}; {rep.seconds:.1f} s")
    print()
    rows = [{"code": p["code"], "support": p["support"], "suggested": p["suggested"],
             "precision": p["precision"], "recall": p["recall"], "f1": p["f1"],
             "kappa": p["kappa"], "coders' kappa": p.get("human_kappa"),
             "evidence": ", ".join(p.get("evidence") or []) or "—"} for p in rep.per_code]
    for name in ("micro", "macro"):
        m = getattr(rep, name)
        rows.append({"code": f"({name})", "support": m.get("support"),
                     "suggested": m.get("suggested"), "precision": m.get("precision"),
                     "recall": m.get("recall"), "f1": m.get("f1"), "kappa": m.get("kappa"),
                     "coders' kappa": (rep.human.get("micro") or {}).get("kappa")
                     if name == "micro" else None, "evidence": ""})
    print(table(rows, ["code", "support", "suggested", "precision", "recall", "f1", "kappa",
                       "coders' kappa", "evidence"]))
    print()
    rk = rep.ranking or {}
    if rk.get("units"):
        print(f"ranking over {rk['units']} coded turns: a right code first in "
              f"{_pct(rk['recall_at_1'])}, among the first three in {_pct(rk['recall_at_3'])} "
              f"(recall@1 {_f(rk['recall_at_1'])}, recall@3 {_f(rk['recall_at_3'])}, "
              f"MRR {_f(rk['mrr'])})")
    if rep.baselines:
        print()
        print("Baselines (same units, same folds):")
        brows = [{"method": "these suggestions", **_m(rep.micro), **_r(rep.ranking)}]
        brows += [{"method": b["name"], **_m(b["micro"]), **_r(b["ranking"])}
                  for b in rep.baselines]
        print(table(brows, ["method", "precision", "recall", "f1", "kappa", "recall@3", "mrr"]))
    if rep.verdict:
        print()
        print(rep.verdict)
    comp = rep.components
    print()
    for name, label in (("model", "coded examples"), ("codebook", "codebook + keywords"),
                        ("rules", "keywords alone")):
        if comp.get(name):
            c = comp[name]
            print(f"{label:20s} micro precision {_f(c['precision'])}  recall {_f(c['recall'])}  "
                  f"F1 {_f(c['f1'])}  kappa {_f(c['kappa'])}")
    hm = rep.human.get("micro")
    if hm:
        print(f"{'coders':20s} micro F1 {_f(hm['f1'])}  kappa {_f(hm['kappa'])} (each other, "
              f"{sum(p['segments'] for p in rep.human['pairs'])} segment pairs)")
    frequent = [p for p in rep.per_code if p["support"] >= 10]
    if frequent:
        good = [p for p in frequent if (p["kappa"] or 0) >= 0.6]
        print(f"frequent codes (support >= 10): {len(good)} of {len(frequent)} with kappa >= 0.6")
    if rep.learning_curve:
        print()
        print("Learning curve (micro, cross-validated; 0 transcripts = the codebook alone):")
        print(table([{"transcripts": pt["transcripts"], "segments": pt["segments"],
                      "precision": pt["precision"], "recall": pt["recall"], "f1": pt["f1"],
                      "kappa": pt["kappa"]} for pt in rep.learning_curve]))
    if rep.note:
        print()
        print(f"Note: {rep.note}")
    return 0


def _m(m) -> dict:
    m = m or {}
    return {k: m.get(k) for k in ("precision", "recall", "f1", "kappa")}


def _r(r) -> dict:
    r = r or {}
    return {"recall@3": r.get("recall_at_3"), "mrr": r.get("mrr")}


def _f(v) -> str:
    return "—" if v is None else f"{v:.3f}"


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.0f}%"
