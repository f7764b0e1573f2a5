"""Placing the text selections of one source: which way its producer counted positions
(``positions.PROFILES``: the producer's usual way, unless another one makes more of the
selections' excerpts match), then each selection converted and checked — inside the text, not
splitting a character, equal to its excerpt when its name holds one; a selection whose excerpt
is elsewhere is placed there (and reported), one that cannot be placed is dropped with the
reason."""
from __future__ import annotations

from .model import RefiProject, RefiSelection, norm_guid
from .positions import PROFILES, Normalizer, StoredText, find_excerpt, matches_excerpt
from .values import iso_time, to_int


def place_selections(stored: StoredText, norm: Normalizer, items, default: str, source: str,
                     refi: RefiProject, trusted: bool):
    """Convert and check every selection of one source; return (profile, placed selections).
    The producer's profile is used unless another one makes more excerpts match."""
    parsed = []
    for el, g, codings in items:
        s, e = to_int(el.get("startPosition")), to_int(el.get("endPosition"))
        name = (el.get("name") or "").strip()
        if s is None or e is None:
            refi.drop("selection", name[:60] or g, f"in '{source}': its positions are not numbers")
            continue
        if s > e:
            s, e = e, s
            refi.warnings.append(f"selection {g} in '{source}': start after end, swapped")
        parsed.append((el, g, codings, name, s, e))

    def score(profile):
        hits = valid = 0
        for _, _, _, name, s, e in parsed:
            rs, re_ = stored.to_raw(s, profile), stored.to_raw(e, profile)
            if rs is None or re_ is None:
                continue
            valid += 1
            if name and matches_excerpt(stored.raw[rs:re_], name):
                hits += 1
        return hits, valid
    scores = {default: score(default)}
    profile = default
    if parsed and (scores[default][0] < len(parsed)):
        for p in PROFILES:
            if p != default:
                scores[p] = score(p)
                if scores[p] > scores[profile]:
                    profile = p
    if profile != default:
        refi.warnings.append(f"source '{source}': positions read as '{profile}' (not the "
                             f"'{default}' usual for {refi.origin or 'this producer'}): "
                             f"{scores[profile][0]} excerpt(s) match that way")
    excerpt_mode = scores[profile][0] > 0
    out = []
    for el, g, codings, name, s, e in parsed:
        rs, re_ = stored.to_raw(s, profile), stored.to_raw(e, profile)
        sel = RefiSelection(g, name, 0, 0, codings, norm_guid(el.get("creatingUser")) or None,
                            iso_time(el.get("creationDateTime")), raw=(s, e))
        label = name[:60] or g
        if rs is not None and re_ is not None and name and matches_excerpt(stored.raw[rs:re_], name):
            sel.check = "excerpt"
        elif name and (excerpt_mode or (len(name) >= 12 and " " in name) or rs is None
                       or re_ is None):
            near = norm.start(rs) if rs is not None else 0
            hit = find_excerpt(norm.text, name, near)
            if hit is not None:
                a, b, cut = hit
                if cut and rs is not None and re_ is not None:
                    b = max(b, a + (norm.end(re_) - norm.start(rs)))
                sel.start, sel.end, sel.check = a, min(b, len(norm.text)), "moved"
                refi.warnings.append(f"selection '{label}' in '{source}': placed where its "
                                     f"excerpt is ({a}–{sel.end}), not at its positions {s}–{e}")
                out.append(sel)
                continue
            if rs is None or re_ is None or excerpt_mode:
                refi.drop("selection", label, f"in '{source}': " + (
                    f"positions {s}–{e} are outside the text or split a character"
                    if rs is None or re_ is None else
                    "its excerpt does not match the text at its positions, nor anywhere else"))
                continue
        elif rs is None or re_ is None:
            refi.drop("selection", label, f"in '{source}': positions {s}–{e} are outside the "
                      f"text ({stored.length(profile)} {profile} units) or split a character")
            continue
        if not trusted and sel.check == "unchecked":
            refi.drop("selection", label, f"in '{source}': its positions refer to a plain "
                      "text the archive does not hold (only the .docx)")
            continue
        sel.start, sel.end = norm.start(rs), norm.end(re_)
        if sel.end <= sel.start:
            refi.drop("selection", label, f"in '{source}': empty selection ({s}–{e})")
            continue
        out.append(sel)
    return profile, out
