"""What an import did: counts of what came in, and every drop grouped by reason (the REFI-QDA
spec asks tools to warn where data is lost). ``lines()`` is what the CLI prints."""
from __future__ import annotations

from dataclasses import dataclass, field

from .model import Dropped

PLACEMENT = {"excerpt": "checked against their excerpt",
             "moved": "placed where their excerpt is (their positions were off)",
             "unchecked": "not checkable (no excerpt in the file), placed by position"}


@dataclass
class ImportSummary:
    file: str
    origin: str = ""
    kind: str = "project"
    producer: str = "spec"
    dry_run: bool = False
    codes_added: list[str] = field(default_factory=list)
    codes_matched: int = 0
    transcripts_new: list[str] = field(default_factory=list)
    transcripts_matched: list[tuple[str, str, str]] = field(default_factory=list)
    codings: dict[str, int] = field(default_factory=dict)      # coder -> events added
    memos: dict[str, int] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    present: int = 0                                            # already in the project
    attributes: int = 0
    project_memos: int = 0
    placement: dict[str, int] = field(default_factory=dict)     # selection check -> count
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def drop(self, kind: str, name: str, reason: str) -> None:
        self.dropped.append(Dropped(kind, name, reason))

    def matched(self, source: str, tid: str, how: str) -> None:
        self.transcripts_matched.append((source, tid, how))

    def grouped(self) -> list[tuple[str, str, int, list[str]]]:
        """Drops as (kind, reason, count, a few names), most frequent first."""
        groups: dict[tuple[str, str], list[str]] = {}
        for d in self.dropped:
            groups.setdefault((d.kind, d.reason), []).append(d.name)
        return sorted(((k, r, len(n), n[:3]) for (k, r), n in groups.items()),
                      key=lambda g: (-g[2], g[0], g[1]))

    def lines(self) -> list[str]:
        s = self
        head = f"{'Would import' if s.dry_run else 'Imported'} {s.file}"
        out = [head + (f" (from {s.origin})" if s.origin else "")]
        out.append(f"  codes: {len(s.codes_added)} added, {s.codes_matched} matched to ours")
        if s.kind == "project":
            out.append(f"  transcripts: {len(s.transcripts_new)} new"
                       + (f" ({', '.join(s.transcripts_new[:6])}"
                          f"{', …' if len(s.transcripts_new) > 6 else ''})"
                          if s.transcripts_new else "")
                       + f", {len(s.transcripts_matched)} matched to ours")
            for source, tid, how in s.transcripts_matched[:10]:
                out.append(f"    '{source}' → {tid} ({how})")
            for label, counts in (("codings", s.codings), ("memos", s.memos),
                                  ("done marks", s.done)):
                if counts:
                    out.append(f"  {label}: " + ", ".join(f"{n} for {c}"
                                                         for c, n in sorted(counts.items())))
            if not s.codings:
                out.append("  codings: none added")
            if s.present:
                out.append(f"  {s.present} coding(s)/memo(s) already in the project: not added "
                           "again")
            if s.attributes:
                out.append(f"  {s.attributes} attribute value(s) → transcripts/attributes.csv")
            if s.project_memos:
                out.append(f"  {s.project_memos} note(s) on the project as a whole kept as memos "
                           "without a transcript (the terminal app does not show them yet)")
            for check, n in sorted(s.placement.items()):
                out.append(f"  selections {PLACEMENT.get(check, check)}: {n}")
        if s.dropped:
            out.append(f"  not imported ({len(s.dropped)}):")
            for kind, reason, n, names in s.grouped():
                out.append(f"    {n} {kind}(s): {reason}" + (
                    f" — e.g. {', '.join(repr(x) for x in names)}" if names else ""))
        else:
            out.append("  nothing was dropped")
        if s.dry_run:
            out.append("  (dry run: nothing was written)")
        return out

    def to_dict(self) -> dict:
        return {"file": self.file, "origin": self.origin, "kind": self.kind,
                "producer": self.producer, "dry_run": self.dry_run,
                "codes_added": self.codes_added, "codes_matched": self.codes_matched,
                "transcripts_new": self.transcripts_new,
                "transcripts_matched": [{"source": a, "transcript": b, "how": c}
                                        for a, b, c in self.transcripts_matched],
                "codings": self.codings, "memos": self.memos, "done": self.done,
                "already_present": self.present, "attributes": self.attributes,
                "project_memos": self.project_memos, "placement": self.placement,
                "dropped": [d.to_dict() for d in self.dropped], "warnings": self.warnings}
