"""The project's settings: ``workbench.toml`` read into :class:`ProjectConfig`, and the rules
for coder names.

The file is documented in docs/FORMATS.md; unknown keys are ignored, wrong types are a
:class:`~workbench.errors.ProjectError` naming the file and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .errors import ProjectError, UsageError
from .paths import PROJECT_FILE
from .transcripts import DEFAULT_INTERVIEWER_SPEAKERS

CONSENSUS = "consensus"     # the reconciled codings: codings/consensus.jsonl
_CODER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


@dataclass
class SuggestConfig:
    threshold: float = 0.5
    rule_weight: float = 1.0     # score = 1 - (1 - rule_weight*rule) * (1 - model_weight*model)
    model_weight: float = 1.0
    fuzzy_threshold: int = 88
    include_interviewer: bool = False    # suggest (and learn) on interviewer turns too
    code_thresholds: dict = field(default_factory=dict)   # code id -> its own threshold


@dataclass
class ProjectConfig:
    name: str = "Untitled project"
    language: str = "en"
    codebook: str | None = None
    interviewer_speakers: list[str] = field(
        default_factory=lambda: list(DEFAULT_INTERVIEWER_SPEAKERS))
    spacy_model: str | None = None
    suggest: SuggestConfig = field(default_factory=SuggestConfig)


def validate_coder(name: str) -> str:
    """``name`` when it can be a coder's name (and so a log's file name), else a UsageError."""
    if not name or not _CODER.match(name):
        raise UsageError(f"'{name}' is not a usable coder name",
                         hint="use letters, digits, '-', '_' or '.', e.g. 'anna' or 'coder-2'")
    return name


def load_config(root: Path) -> ProjectConfig:
    path = root / PROJECT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as e:
        raise ProjectError(f"workbench.toml is not UTF-8 (invalid byte at offset {e.start})",
                           file=path, hint="save it with UTF-8 encoding") from None
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise ProjectError(f"workbench.toml is not valid TOML ({e})", file=path,
                           line=int(m.group(1)) if m else None,
                           hint="check quotes and brackets on that line") from None
    cfg = ProjectConfig()
    cfg.name = str(data.get("name") or root.name)
    cfg.language = str(data.get("language") or "en")
    cfg.codebook = data.get("codebook") or None
    if cfg.codebook is not None and not isinstance(cfg.codebook, str):
        raise ProjectError("'codebook' must be a path such as \"codebooks/codebook.yaml\"",
                           file=path)
    spk = data.get("interviewer_speakers")
    if spk is not None:
        if not isinstance(spk, list) or not all(isinstance(s, str) for s in spk):
            raise ProjectError("'interviewer_speakers' must be a list of names", file=path,
                               hint='e.g. interviewer_speakers = ["Interviewer", "Q"]')
        cfg.interviewer_speakers = spk
    cfg.spacy_model = data.get("spacy_model") or None
    sug = data.get("suggest") or {}
    if not isinstance(sug, dict):
        raise ProjectError("[suggest] must be a table of settings", file=path)
    for k in ("threshold", "rule_weight", "model_weight", "fuzzy_threshold",
              "include_interviewer", "code_thresholds"):
        if k in sug:
            kind = type(getattr(cfg.suggest, k))
            try:
                setattr(cfg.suggest, k, kind(sug[k]))
            except (TypeError, ValueError):
                raise ProjectError(f"[suggest] {k} must be a {kind.__name__}", file=path) from None
    return cfg
