"""Pseudonyms for what leaves the project: ``pseudonyms.yaml`` maps real names to pseudonyms,
applied to the text of reports and exports — never to the transcripts or the coding logs.

    "Ms. Ivanova": "Manager P01"
    "Technopolis Noviy Zvezdnyy": "Cluster A"

Rules (docs/REPORT.md says what they do not catch): every listed name is replaced wherever it
occurs as a whole word (not inside a longer word: ``Ivanova`` is not replaced in
``Ivanovas``), case-sensitively, longest names first, in one pass (a pseudonym is never
replaced again). Names and text are compared in Unicode NFC form, as transcripts are stored.

The file is read with PyYAML's safe loader, refusing aliases, tags and anything but a flat
mapping of text to text: a bad file is a :class:`~workbench.errors.ProjectError` naming the
file, the line and what to do.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path

import pandas as pd
import yaml

from .errors import ProjectError, yaml_error_location

FILE_NAME = "pseudonyms.yaml"
MAX_BYTES = 1_000_000
_MAX_DEPTH = 8


class _FlatLoader(yaml.SafeLoader):
    """The safe loader without aliases (no "billion laughs"), with a nesting limit, keeping the
    line of every key."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            ev = self.peek_event()
            raise _Refused("aliases (*name) are not allowed; write each name out",
                           ev.start_mark.line + 1)
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                ev = self.peek_event()
                raise _Refused("nested too deeply; the file is one level: \"real name\": "
                               "\"pseudonym\"", ev.start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


HINT = 'one line per name: "Real Name": "Pseudonym" (see docs/REPORT.md)'


def load_file(path: str | Path) -> dict[str, str]:
    """The mapping in ``path`` (real name -> pseudonym). Raises :class:`ProjectError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ProjectError(f"cannot read the pseudonyms: {e.strerror or e}", file=path) from None
    if len(raw) > MAX_BYTES:
        raise ProjectError(f"is larger than {MAX_BYTES // 1_000_000} MB", file=path, hint=HINT)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectError("is not UTF-8 text", file=path, hint="save it as UTF-8") from None
    return parse(text, path)


def parse(text: str, path: str | Path = FILE_NAME) -> dict[str, str]:
    """Parse the YAML text of a pseudonyms file (see :func:`load_file`)."""
    loader = _FlatLoader(text)
    try:
        node = loader.get_single_node()
    except _Refused as e:
        raise ProjectError(str(e), file=path, line=e.line, hint=HINT) from None
    except yaml.YAMLError as e:
        line, problem = yaml_error_location(e)
        raise ProjectError(f"is not valid YAML: {problem}", file=path, line=line,
                           hint=HINT) from None
    finally:
        loader.dispose()
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise ProjectError("must be a mapping of names to pseudonyms", file=path,
                           line=node.start_mark.line + 1, hint=HINT)
    out: dict[str, str] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        for what, n in (("name", key), ("pseudonym", value)):
            if not isinstance(n, yaml.ScalarNode):
                raise ProjectError(f"the {what} on this line is a list or mapping, not text",
                                   file=path, line=n.start_mark.line + 1, hint=HINT)
            if n.tag != "tag:yaml.org,2002:str":
                raise ProjectError(f"the {what} '{n.value}' is not read as text (a number, "
                                   "date, yes/no, empty value or tagged value)",
                                   file=path, line=n.start_mark.line + 1,
                                   hint='put it in quotes: "Ms. Ivanova": "Manager P01"')
        name = unicodedata.normalize("NFC", str(key.value))
        pseudonym = unicodedata.normalize("NFC", str(value.value))
        if not name.strip():
            raise ProjectError("an empty name", file=path, line=line, hint=HINT)
        if name in out:
            raise ProjectError(f"the name '{name}' is listed twice", file=path, line=line,
                               hint="keep one pseudonym per name")
        out[name] = pseudonym
    return out


@dataclass
class Pseudonymiser:
    """Replaces the listed names in text. ``Pseudonymiser({})`` changes nothing."""

    names: dict[str, str] = field(default_factory=dict)
    source: Path | None = None

    def __post_init__(self):
        self._pattern = None
        if self.names:
            alternatives = "|".join(re.escape(n) for n in
                                    sorted(self.names, key=lambda n: (-len(n), n)))
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")

    def __bool__(self) -> bool:
        return bool(self.names)

    def text(self, value):
        """``value`` with every listed name replaced (non-text values unchanged)."""
        if self._pattern is None or not isinstance(value, str) or not value:
            return value
        if not value.isascii():
            value = unicodedata.normalize("NFC", value)
        return self._pattern.sub(lambda m: self.names[m.group(0)], value)

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``df`` with every text cell and every column name replaced."""
        if self._pattern is None:
            return df
        out = df.copy()
        for c in out.columns:
            if out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype):
                out[c] = out[c].map(self.text)
        out.columns = [self.text(c) if isinstance(c, str) else c for c in out.columns]
        if isinstance(out.index, pd.Index) and out.index.dtype == object:
            out.index = out.index.map(self.text)
        return out

    def value(self, v):
        """Any value: text, lists, tuples, dicts (keys too), dataclasses, DataFrames."""
        if self._pattern is None:
            return v
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, pd.DataFrame):
            return self.frame(v)
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, tuple):
            return tuple(self.value(x) for x in v)
        if isinstance(v, dict):
            return {self.value(k): self.value(x) for k, x in v.items()}
        if is_dataclass(v) and not isinstance(v, type):
            return replace(v, **{f.name: self.value(getattr(v, f.name)) for f in fields(v)
                                 if f.init})
        return v


def path_of(project) -> Path:
    return Path(project.root) / FILE_NAME


def for_project(project, *, required: bool = False) -> Pseudonymiser:
    """The project's pseudonymiser from ``pseudonyms.yaml`` in the project folder. A missing
    file gives an empty one, or a :class:`ProjectError` with ``required``."""
    path = path_of(project)
    if not path.exists():
        if required:
            raise ProjectError(f"no {FILE_NAME} in the project folder", file=path,
                               hint=f"create it with {HINT}")
        return Pseudonymiser({}, None)
    return Pseudonymiser(load_file(path), path)
