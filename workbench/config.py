"""The project's settings: ``workbench.toml`` read into :class:`ProjectConfig` (and the one
setting the workbench writes back, the agreement team: :func:`save_team`), and the rules for
coder names.

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
from .fileio import atomic_write
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
    learn_from: str = "own+consensus"    # or "all": whose codings a coder's suggestions learn from


@dataclass
class AgreementConfig:
    coders: list[str] = field(default_factory=list)   # the team compared by default


@dataclass
class ProjectConfig:
    name: str = "Untitled project"
    language: str = "en"
    codebook: str | None = None
    interviewer_speakers: list[str] = field(
        default_factory=lambda: list(DEFAULT_INTERVIEWER_SPEAKERS))
    spacy_model: str | None = None
    suggest: SuggestConfig = field(default_factory=SuggestConfig)
    agreement: AgreementConfig = field(default_factory=AgreementConfig)


def validate_coder(name: str) -> str:
    """``name`` when it can be a coder's name (and so a log's file name), else a UsageError."""
    if not name or not _CODER.match(name):
        raise UsageError(f"'{name}' is not a usable coder name",
                         hint="use letters, digits, '-', '_' or '.', e.g. 'anna' or 'coder-2'")
    return name


def validate_coding_name(name: str) -> str:
    """``name`` when a person can code under it: a usable coder name that is not the reserved
    ``consensus`` (the reconciled codings, written only by reconciling)."""
    validate_coder(name)
    if name.casefold() == CONSENSUS:
        raise UsageError(f"'{name}' is reserved for the reconciled codings "
                         "(codings/consensus.jsonl)",
                         hint="code under your own name; the consensus is written by reconciling "
                              "('workbench reconcile', or 'view: reconcile' in the workbench)")
    return name


def _line_of(path: Path, key: str) -> int | None:
    """The line of workbench.toml where ``key = …`` is set (for error messages)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    found = [i for i, ln in enumerate(lines, 1) if re.match(rf"\s*{re.escape(key)}\s*=", ln)]
    return found[-1] if found else None


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
              "include_interviewer", "code_thresholds", "learn_from"):
        if k in sug:
            kind = type(getattr(cfg.suggest, k))
            try:
                setattr(cfg.suggest, k, kind(sug[k]))
            except (TypeError, ValueError):
                raise ProjectError(f"[suggest] {k} must be a {kind.__name__}", file=path) from None
    if cfg.suggest.learn_from not in ("own+consensus", "all"):
        raise ProjectError(f"[suggest] learn_from = {cfg.suggest.learn_from!r} is not one of "
                           '"own+consensus", "all"', file=path, line=_line_of(path, "learn_from"),
                           hint='use "own+consensus" (each coder\'s own codings and the '
                                'consensus: the default) or "all"')
    cfg.agreement = _agreement(data.get("agreement"), path)
    return cfg


def _agreement(table, path: Path) -> AgreementConfig:
    """``[agreement] coders = ["anna", "boris"]``: the team agreement compares by default."""
    out = AgreementConfig()
    if table is None:
        return out
    if not isinstance(table, dict):
        raise ProjectError("[agreement] must be a table of settings", file=path)
    team = table.get("coders", [])
    if not isinstance(team, list) or not all(isinstance(c, str) for c in team):
        raise ProjectError("[agreement] coders must be a list of coder names", file=path,
                           hint='e.g. coders = ["anna", "boris"]')
    for c in team:
        try:
            validate_coding_name(c)
        except UsageError as e:
            raise ProjectError(f"[agreement] coders: {e.message}", file=path,
                               hint=e.hint) from None
    out.coders = list(dict.fromkeys(team))
    return out


_AGREEMENT_TABLE = re.compile(r"^\s*\[agreement\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[")
_CODERS_KEY = re.compile(r"^\s*coders\s*=")


def save_team(root: Path, coders: list[str]) -> None:
    """Write ``[agreement] coders = [...]`` into ``workbench.toml`` (the rest of the file, its
    comments included, unchanged), atomically; an empty list removes the team."""
    for c in coders:
        validate_coding_name(c)
    path = root / PROJECT_FILE
    text = path.read_text(encoding="utf-8-sig")
    value = "coders = [" + ", ".join(f'"{c}"' for c in coders) + "]"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _AGREEMENT_TABLE.match(line)), None)
    if start is None:
        if not coders:
            return
        tail = [] if not lines or not lines[-1].strip() else [""]
        lines += tail + ["[agreement]", "# the coders agreement compares by default (the team)",
                         value]
    else:
        end = next((i for i in range(start + 1, len(lines)) if _TABLE.match(lines[i])),
                   len(lines))
        key = next((i for i in range(start + 1, end) if _CODERS_KEY.match(lines[i])), None)
        if key is not None:
            if lines[key].count("[") != lines[key].count("]"):
                raise ProjectError("[agreement] coders spans several lines; edit it by hand",
                                   file=path, line=key + 1)
            lines[key] = value
        else:
            lines.insert(start + 1, value)
    new = "\n".join(lines) + "\n"
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as e:
        raise ProjectError(f"workbench.toml would not be valid TOML after saving the team ({e})",
                           file=path, hint="fix the file by hand") from None
    if parsed.get("agreement", {}).get("coders", []) != list(coders):
        raise ProjectError("the team could not be saved in workbench.toml", file=path,
                           hint='add it by hand: [agreement] coders = ["anna", "boris"]')
    atomic_write(path, new)
