"""What a REFI-QDA file is read into: plain dataclasses, with positions already in our offsets
(code points of the normalized text), and the list of what was dropped and why."""
from __future__ import annotations

from dataclasses import dataclass, field


def norm_guid(value: str | None) -> str:
    """A GUID as compared: braces stripped, lower case (producers differ in both)."""
    return (value or "").strip().strip("{}").strip().lower()


@dataclass
class Dropped:
    """Something in the file that was not imported (or imported only in part), and why."""

    kind: str          # "source", "selection", "coding", "note", "set", "graph", "code", …
    name: str          # what the user would recognise: a source name, an excerpt, a GUID
    reason: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "reason": self.reason}


@dataclass
class RefiUser:
    guid: str
    name: str
    initials: str = ""


@dataclass
class RefiCode:
    guid: str
    name: str
    codable: bool = True
    color: str | None = None          # normalised to #rrggbb
    description: str = ""
    children: list[RefiCode] = field(default_factory=list)
    parent: str | None = None         # guid of the parent code

    def walk(self):
        """This code and every code below it, depth first (no recursion: any depth)."""
        stack = [self]
        while stack:
            c = stack.pop()
            yield c
            stack.extend(reversed(c.children))


@dataclass
class RefiCoding:
    guid: str
    code: str                         # the code's guid (normalized)
    user: str | None = None           # creating user's guid (normalized)
    created: str | None = None        # ISO 8601 with time zone


@dataclass
class RefiSelection:
    """A text selection, placed in the source's normalized text: ``text[start:end]``."""

    guid: str
    name: str
    start: int
    end: int
    codings: list[RefiCoding] = field(default_factory=list)
    user: str | None = None
    created: str | None = None
    check: str = "unchecked"          # "excerpt" (its name matched), "moved" (placed by its
    #                                   excerpt), "unchecked" (no excerpt to compare)
    raw: tuple[int, int] = (0, 0)     # the positions as written in the file


@dataclass
class RefiSource:
    """A text source (or the text of a PDF/media source) with its normalized text."""

    guid: str
    name: str
    text: str                          # normalized: BOM stripped, CR LF → LF, NFC
    kind: str = "TextSource"
    selections: list[RefiSelection] = field(default_factory=list)
    codings: list[RefiCoding] = field(default_factory=list)   # codings of the whole source
    variables: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    created: str | None = None
    profile: str = "codepoints"       # how its positions were counted (positions.PROFILES)
    text_from: str = "plainTextPath"  # or "PlainTextContent", "richTextPath (docx)"


@dataclass
class RefiNote:
    """A note (memo) and what it is attached to: ``(kind, guid)`` pairs, kind one of
    ``project``, ``source``, ``selection``, ``coding``, ``code``."""

    guid: str
    name: str
    text: str
    user: str | None = None
    created: str | None = None
    targets: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RefiSet:
    guid: str
    name: str
    description: str = ""
    sources: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiProject:
    """A REFI-QDA project (``.qdpx``/``.qde``) or codebook (``.qdc``) as read."""

    kind: str                          # "project" or "codebook"
    path: str
    name: str = ""
    origin: str = ""
    producer: str = "spec"             # positions.producer_of(origin)
    user: str | None = None            # the creating user's guid
    users: dict[str, RefiUser] = field(default_factory=dict)
    codes: list[RefiCode] = field(default_factory=list)       # roots
    sources: list[RefiSource] = field(default_factory=list)
    notes: list[RefiNote] = field(default_factory=list)
    sets: list[RefiSet] = field(default_factory=list)
    description: str = ""
    extension: dict | None = None      # our own extension (docs/INTERCHANGE.md), when present
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def all_codes(self):
        for root in self.codes:
            yield from root.walk()

    def drop(self, kind: str, name: str, reason: str) -> None:
        self.dropped.append(Dropped(kind, name, reason))

    def is_empty(self) -> bool:
        return not (self.codes or self.sources or self.notes)
