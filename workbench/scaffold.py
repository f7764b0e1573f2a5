"""A new project folder: ``workbench init`` writes the layout, a starter ``workbench.toml`` and
codebook, and a ``.gitignore`` for the derived state."""
from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import ProjectError
from .fileio import atomic_write
from .paths import PROJECT_FILE

STARTER_TOML = """# workbench project settings
name = {name}
# spaCy language of the transcripts: "en", "ru", ...
language = {language}
# the codebook in use (when omitted: the single YAML file in codebooks/)
codebook = "codebooks/codebook.yaml"
# speaker labels that are the interviewer (case-insensitive); a transcript's front matter
# may also name its interviewer with 'interviewer: <label>'
interviewer_speakers = ["Interviewer", "Moderator", "I", "Q", "Интервьюер", "Модератор", "Вопрос", "В"]
# a full spaCy pipeline to use when installed, e.g. "en_core_web_sm" (optional)
# spacy_model = "en_core_web_sm"

[suggest]
# one score per code per segment: 1 - (1 - rule_weight*rule) * (1 - model_weight*model);
# a code is suggested at threshold or above (see docs/SUGGESTIONS.md)
threshold = 0.5
"""

STARTER_CODEBOOK = """# The codebook: a tree of codes. See docs/FORMATS.md for every field.
name: {name}
codes:
  - id: theme
    name: First theme
    definition: >-
      Say here, for a coder, what a passage must express to get this code.
    color: "#1f77b4"
    children:
      - id: theme.example
        name: An example sub-theme
        definition: >-
          What counts as this sub-theme.
        include: When to apply it.
        exclude: When not to apply it (and which code to use instead).
        examples: ["A short quote that is a clear case."]
        keywords: ["example phrase"]
        key: "1"
"""


GITIGNORE = """# derived state, rebuilt from the logs
.workbench/
models/
# a coder's lock while their log does not exist yet
codings/.*.lock
"""


GITATTRIBUTES = """# coding logs only ever grow: when two sides appended to the same log, keep both
codings/*.jsonl merge=union
"""


def init_project(path: str | os.PathLike, name: str | None = None, language: str = "en") -> Path:
    """Create a new, empty project folder (refuses to touch an existing project)."""
    root = Path(path).expanduser().resolve()
    if (root / PROJECT_FILE).exists():
        raise ProjectError("a project already exists here", file=root / PROJECT_FILE,
                           hint="open it with 'workbench open', or choose another folder")
    if root.exists() and not root.is_dir():
        raise ProjectError("exists and is not a folder", file=root)
    name = name or root.name
    for sub in ("codebooks", "transcripts", "codings", "exports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # json.dumps writes a string both TOML and YAML read back unchanged (quotes, '#', ':', '\\')
    atomic_write(root / PROJECT_FILE,
                 STARTER_TOML.format(name=json.dumps(name, ensure_ascii=False),
                                     language=json.dumps(language, ensure_ascii=False)))
    cb = root / "codebooks" / "codebook.yaml"
    if not cb.exists():
        atomic_write(cb, STARTER_CODEBOOK.format(name=json.dumps(name, ensure_ascii=False)))
    gi = root / ".gitignore"
    if not gi.exists():
        atomic_write(gi, GITIGNORE)
    ga = root / ".gitattributes"
    if not ga.exists():
        atomic_write(ga, GITATTRIBUTES)
    return root
