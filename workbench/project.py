"""A project is a folder: ``workbench.toml``, ``codebooks/``, ``transcripts/``, ``codings/``,
``exports/``. :class:`Project` reads it and hands out transcripts, the codebook, coding logs and
tidy DataFrames of segments, codings, attributes and done marks.

Derived state lives in ``.workbench/`` (safe to delete, rebuilt on demand): the transcript
catalog cache and the log locks.
"""
from __future__ import annotations

import csv
import io
import json
import os
import pickle
import re
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .codebook import Codebook
from .codinglog import Coding, CodingLog, LogState, replay
from .errors import ProjectError, TranscriptError, UsageError
from .paths import PROJECT_FILE, state_dir
from .transcripts import (DEFAULT_INTERVIEWER_SPEAKERS, FORMATS, Transcript, is_transcript_file,
                          load_transcript, segment_index_for)

ATTRIBUTES_FILE = "attributes.csv"
CONSENSUS = "consensus"
_CODER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
CATALOG_VERSION = 3


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


@dataclass
class TranscriptInfo:
    """What the catalog knows about a transcript without parsing it again."""

    id: str
    path: str  # relative to the project root
    format: str
    attributes: dict
    n_segments: int
    n_chars: int
    starts: list[int]
    ends: list[int]
    roles: str  # one letter per segment: "I" interviewer, "E" interviewee
    speakers: list[str | None]
    warnings: list[str]
    crc: int | None = None  # CRC-32 of the file's bytes: changes when the transcript is edited

    def segment_of(self, offset: int) -> int | None:
        return segment_index_for(self.starts, self.ends, offset)

    def segments_overlapping(self, start: int, end: int) -> list[int]:
        import bisect
        i = max(bisect.bisect_right(self.starts, start) - 1, 0)
        out = []
        for j in range(i, len(self.starts)):
            if self.starts[j] >= end:
                break
            if self.ends[j] > start:
                out.append(j)
        return out


def validate_coder(name: str) -> str:
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
    for k in ("threshold", "rule_weight", "model_weight", "fuzzy_threshold",
              "include_interviewer", "code_thresholds"):
        if k in sug:
            setattr(cfg.suggest, k, type(getattr(cfg.suggest, k))(sug[k]))
    return cfg


class Project:
    """An open project folder. Cheap to open: transcripts are parsed on demand."""

    def __init__(self, root: Path, config: ProjectConfig):
        self.root = root
        self.config = config
        self._codebook: Codebook | None = None
        self._catalog: dict[str, TranscriptInfo] | None = None
        self._transcripts: OrderedDict[str, Transcript] = OrderedDict()
        self._stamps: dict[str, tuple] = {}  # id -> (sig, crc) of the file a parse came from
        self._states: dict[str, tuple[tuple, LogState]] = {}
        self._by_t: dict[str, tuple] = {}  # coder -> (state, {transcript: [rows]})
        self._anchor_cache: dict[str, dict] = {}  # coder -> {transcript: (crc, {id: anchor})}
        self.warnings: list[str] = []

    # ---- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike) -> "Project":
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise ProjectError("no such folder", file=root,
                               hint="give the path of a project folder, or create one with 'workbench init'")
        if not (root / PROJECT_FILE).is_file():
            raise ProjectError("not a workbench project (no workbench.toml)", file=root,
                               hint=f"create one with 'workbench init {path}'")
        return cls(root, load_config(root))

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def transcripts_dir(self) -> Path:
        return self.root / "transcripts"

    @property
    def codings_dir(self) -> Path:
        return self.root / "codings"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def state_dir(self) -> Path:
        return state_dir(self.root)

    # ---- codebook ----------------------------------------------------------------------------
    def codebook_path(self) -> Path:
        if self.config.codebook:
            return self.root / self.config.codebook
        folder = self.root / "codebooks"
        files = [f for f in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
                 if not f.name.startswith(".") and f.is_file()]  # not editor/temporary files
        if len(files) == 1:
            return files[0]
        if not files:
            raise ProjectError("the project has no codebook", file=folder,
                               hint="add a codebook YAML file to codebooks/")
        raise ProjectError(f"codebooks/ holds {len(files)} codebooks and workbench.toml names none",
                           file=self.root / PROJECT_FILE,
                           hint=f'add: codebook = "codebooks/{files[0].name}"')

    @property
    def codebook(self) -> Codebook:
        if self._codebook is None:
            self._codebook = Codebook.load(self.codebook_path())
        return self._codebook

    def reload_codebook(self) -> Codebook:
        self._codebook = None
        return self.codebook

    # ---- transcripts -------------------------------------------------------------------------
    def transcript_files(self) -> list[Path]:
        if not self.transcripts_dir.is_dir():
            return []
        return sorted(p for p in self.transcripts_dir.rglob("*") if is_transcript_file(p)
                      and not any(part.startswith(".") for part in p.relative_to(self.root).parts))

    def attribute_table(self) -> dict[str, dict[str, str]]:
        """Attributes from ``transcripts/attributes.csv`` (column ``id`` + one per attribute)."""
        path = self.transcripts_dir / ATTRIBUTES_FILE
        if not path.is_file():
            return {}
        out: dict[str, dict[str, str]] = {}
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw[:e.start].count(b"\n") + 1
            raise ProjectError(f"attributes.csv is not UTF-8 (invalid byte at offset {e.start})",
                               file=path, line=line,
                               hint="in Excel: Save As → 'CSV UTF-8 (comma delimited)'") from None
        first = text.split("\n", 1)[0]
        # Excel writes ';'-separated CSV in many locales
        delimiter = ";" if first.count(";") > first.count(",") else ","
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [h.strip() for h in next(rows, [])]
        if "id" not in [h.casefold() for h in header]:
            raise ProjectError("attributes.csv needs a header row with an 'id' column",
                               file=path, line=1, hint="e.g. id,region,cluster")
        id_col = [h.casefold() for h in header].index("id")
        for row in rows:
            if id_col >= len(row) or not row[id_col].strip():
                continue
            out[row[id_col].strip()] = {h: (row[i].strip() if i < len(row) else "")
                                        for i, h in enumerate(header) if h and i != id_col}
        return out

    def _parse(self, path: Path, extra: dict[str, dict], data: bytes | None = None) -> Transcript:
        """Parse a transcript file. Attributes: attributes.csv rows (by file name, then by id;
        empty cells do not count) are defaults; the file's own front matter wins."""
        t = load_transcript(path, interviewer_speakers=self.config.interviewer_speakers,
                            data=data)
        table = {k: v for row in (extra.get(path.stem, {}),
                                  extra.get(t.id, {}) if t.id != path.stem else {})
                 for k, v in row.items() if v != ""}
        if table:
            t.attributes = {**table, **t.attributes}
        return t

    def catalog(self, refresh: bool = False) -> dict[str, TranscriptInfo]:
        """id → TranscriptInfo for every transcript; cached in ``.workbench/catalog.json``."""
        if self._catalog is not None and not refresh:
            return self._catalog
        cache_path = self.state_dir / "catalog.json"
        cache: dict = {}
        try:
            raw = json.loads(cache_path.read_text(encoding="utf-8"))
            if raw.get("version") == CATALOG_VERSION and raw.get("speakers") == self.config.interviewer_speakers:
                cache = raw.get("files", {})
        except (OSError, ValueError):
            cache = {}
        attrs_path = self.transcripts_dir / ATTRIBUTES_FILE
        attrs_sig = _sig(attrs_path) if attrs_path.is_file() else None
        extra = None
        files_out: dict = {}
        catalog: dict[str, TranscriptInfo] = {}
        where: dict[str, str] = {}
        changed = False
        for path in self.transcript_files():
            rel = path.relative_to(self.root).as_posix()
            sig = _sig(path)
            entry = cache.get(rel)
            if entry and entry.get("sig") == sig and entry.get("attrs_sig") == attrs_sig \
                    and sig[1] + _RACY_NS >= entry.get("checked_ns", 0):
                # modified close to when it was last read: the same size and time stamp do not
                # prove the same content (coarse file-system clocks), so compare the content
                checked = time.time_ns()
                if zlib.crc32(path.read_bytes()) == entry.get("crc"):
                    entry = {**entry, "checked_ns": checked}
                    changed = True
                else:
                    entry = None
            if not entry or entry.get("sig") != sig or entry.get("attrs_sig") != attrs_sig:
                if extra is None:
                    extra = self.attribute_table()
                checked = time.time_ns()
                data = path.read_bytes()
                t = self._parse(path, extra, data)
                entry = {"sig": sig, "attrs_sig": attrs_sig, "crc": zlib.crc32(data),
                         "checked_ns": checked, "id": t.id, "format": t.format,
                         "attributes": t.attributes, "n_chars": len(t.text),
                         "starts": [s.start for s in t.segments],
                         "ends": [s.end for s in t.segments],
                         "roles": "".join("I" if s.role == "interviewer" else "E"
                                          for s in t.segments),
                         "speakers": [s.speaker for s in t.segments], "warnings": t.warnings}
                self._remember(t, (sig, entry["crc"]))
                changed = True
            files_out[rel] = entry
            tid = entry["id"]
            if tid in where:
                raise TranscriptError(f"two transcripts have the id '{tid}': {where[tid]} and {rel}",
                                      file=self.root / rel,
                                      hint="rename one file or give it another 'id:' in its front matter")
            where[tid] = rel
            catalog[tid] = TranscriptInfo(
                id=tid, path=rel, format=entry["format"], attributes=entry["attributes"],
                n_segments=len(entry["starts"]), n_chars=entry["n_chars"],
                starts=entry["starts"], ends=entry["ends"], roles=entry["roles"],
                speakers=entry["speakers"], warnings=entry["warnings"], crc=entry.get("crc"))
        if changed or len(files_out) != len(cache):
            _write_cache(cache_path, {"version": CATALOG_VERSION,
                                      "speakers": self.config.interviewer_speakers,
                                      "files": files_out})
        # parses held in memory that no longer match their file (edited since, possibly seen
        # first by another process that already updated the cache) are dropped
        for tid in list(self._transcripts):
            entry = files_out.get(where.get(tid, ""))
            if entry is None or self._stamps.get(tid) != (entry["sig"], entry.get("crc")):
                del self._transcripts[tid]
                self._stamps.pop(tid, None)
        self._catalog = dict(sorted(catalog.items()))
        return self._catalog

    def transcript_ids(self) -> list[str]:
        return list(self.catalog())

    def info(self, tid: str) -> TranscriptInfo:
        cat = self.catalog()
        if tid not in cat:
            raise UsageError(f"no transcript with id '{tid}'",
                             hint="see the ids with 'workbench segments PROJECT'")
        return cat[tid]

    def _remember(self, t: Transcript, stamp: tuple | None = None) -> None:
        self._transcripts[t.id] = t
        self._transcripts.move_to_end(t.id)
        self._stamps[t.id] = stamp
        while len(self._transcripts) > 64:
            old, _ = self._transcripts.popitem(last=False)
            self._stamps.pop(old, None)

    def transcript(self, tid: str) -> Transcript:
        if tid in self._transcripts:
            self._transcripts.move_to_end(tid)
            return self._transcripts[tid]
        info = self.info(tid)
        path = self.root / info.path
        sig = _sig(path)
        data = path.read_bytes()
        t = self._parse(path, self.attribute_table(), data)
        self._remember(t, (sig, zlib.crc32(data)))
        return t

    def text(self, tid: str) -> str:
        """The normalized text of a transcript. For txt/md this skips segmenting (it is the
        file's normalized content); other formats are parsed."""
        if tid in self._transcripts:
            return self._transcripts[tid].text
        info = self.info(tid)
        if info.format in ("txt", "md"):
            from .transcripts.text import decode, normalize
            path = self.root / info.path
            return normalize(decode(path.read_bytes(), path))
        return self.transcript(tid).text

    def transcripts(self):
        for tid in self.catalog():
            yield self.transcript(tid)

    # ---- coding logs -------------------------------------------------------------------------
    def coders(self) -> list[str]:
        if not self.codings_dir.is_dir():
            return []
        return sorted(p.stem for p in self.codings_dir.glob("*.jsonl"))

    def log_path(self, coder: str) -> Path:
        return self.codings_dir / f"{validate_coder(coder)}.jsonl"

    def log(self, coder: str, timeout: float = 0.0) -> CodingLog:
        """Open ``codings/<coder>.jsonl`` for appending (takes the coder's lock)."""
        return CodingLog(self.log_path(coder), self.state_dir / "locks", timeout=timeout)

    def state(self, coder: str) -> LogState:
        """Replay a coder's log (cached until the file changes)."""
        # an existing log is read whatever its name (coders() lists every codings/*.jsonl);
        # only names that could leave codings/ go through validation
        path = self.codings_dir / f"{coder}.jsonl"
        if not coder or "/" in coder or "\\" in coder or coder.startswith(".") \
                or not path.is_file():
            path = self.log_path(coder)  # validates the name; the log may not exist yet
        sig = _sig(path) if path.exists() else None
        hit = self._states.get(coder)
        if hit and hit[0] == sig:
            return hit[1]
        st = replay(path, coder, cache_dir=self.state_dir / "cache")
        self._states[coder] = (sig, st)
        return st

    def codings(self, coder: str, tid: str | None = None) -> list[Coding]:
        """The coder's current codings with ``code`` resolved through merges and ``status`` and
        ``segment`` filled in, sorted by transcript and position (new objects on every call).

        Checking a coding's quote against its transcript needs the text; the result is kept in
        ``.workbench/cache/anchors-<coder>.pickle`` per transcript with the file's CRC, so the
        texts are read again only for transcripts edited since, or for new codings."""
        st = self.state(coder)
        cat = self.catalog()
        cb = self.codebook
        by_t = self._rows_by_transcript(coder, st)
        anchors = self._anchors(coder)
        dirty = False
        out: list[Coding] = []
        codes, resolve = cb.codes, cb.resolve
        for t in ([tid] if tid is not None else sorted(by_t)):
            rows = by_t.get(t)
            if not rows:
                continue
            info = cat.get(t)
            cached = anchors.get(t)
            verified = cached[1] if cached is not None and info is not None \
                and cached[0] == info.crc else {}
            fresh = None
            text = None
            for r in rows:
                code = resolve(r[2])
                c = Coding(id=r[0], coder=coder, transcript=t, code=code, start=r[3], end=r[4],
                           at=r[5], source=r[6], quote=r[7], memo=r[8], settles=r[9], line=r[10],
                           original_code=r[2])
                if info is None:
                    c.status = "orphan"
                elif code not in codes:
                    c.status = "unknown_code"
                else:
                    v = verified.get(c.id)
                    if v is None:
                        if text is None and (c.quote or c.start < 0 or c.end > info.n_chars):
                            text = self.text(t)
                        _check_anchor(c, info, text)
                        v = (c.status, c.start, c.end)
                        if fresh is None:
                            fresh = dict(verified)
                        fresh[c.id] = v
                    else:
                        c.status, c.start, c.end = v
                    c.segment = info.segment_of(c.start) if c.status != "out_of_range" else None
                out.append(c)
            if fresh is not None:
                anchors[t] = (info.crc, fresh)
                dirty = True
        if dirty:
            self._save_anchors(coder, anchors)
        out.sort(key=lambda c: (c.transcript, c.start, c.end, c.code))
        return out

    def _rows_by_transcript(self, coder: str, st: LogState) -> dict[str, list[list]]:
        hit = self._by_t.get(coder)
        if hit is not None and hit[0] is st:
            return hit[1]
        by_t: dict[str, list[list]] = {}
        for r in st.rows.values():
            by_t.setdefault(r[1], []).append(r)
        self._by_t[coder] = (st, by_t)
        return by_t

    def _anchors_path(self, coder: str) -> Path:
        return self.state_dir / "cache" / f"anchors-{coder}.pickle"

    def _anchors(self, coder: str) -> dict:
        if coder in self._anchor_cache:
            return self._anchor_cache[coder]
        from .codinglog import _BuiltinsOnly
        anchors: dict = {}
        try:
            with open(self._anchors_path(coder), "rb") as f:
                data = _BuiltinsOnly(f).load()
            if isinstance(data, dict) and data.get("v") == 1:
                anchors = data["transcripts"]
        except (OSError, EOFError, KeyError, ValueError, TypeError, pickle.UnpicklingError):
            anchors = {}
        self._anchor_cache[coder] = anchors
        return anchors

    def _save_anchors(self, coder: str, anchors: dict) -> None:
        path = self._anchors_path(coder)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                pickle.dump({"v": 1, "transcripts": anchors}, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass  # derived state: a read-only project re-checks next time

    def codings_for(self, coder: str, tid: str) -> list[Coding]:
        return self.codings(coder, tid)

    # ---- DataFrames --------------------------------------------------------------------------
    def codings_frame(self, coders: list[str] | None = None):
        import pandas as pd
        rows = []
        for coder in coders or self.coders():
            rows.extend(c.to_dict() for c in self.codings(coder))
        cols = ["id", "coder", "transcript", "code", "start", "end", "quote", "segment",
                "status", "source", "memo", "at"]
        df = pd.DataFrame(rows, columns=cols)
        df["segment"] = df["segment"].astype("Int64")
        return df

    def segments_frame(self, tids: list[str] | None = None):
        """One row per segment, from the catalog (no text) — add ``text`` with ``with_text``."""
        import pandas as pd
        rows = []
        for tid in tids or self.transcript_ids():
            t = self.transcript(tid)
            rows.extend(s.to_dict() for s in t.segments)
        return pd.DataFrame(rows, columns=["transcript", "index", "speaker", "role", "start",
                                           "end", "text", "timestamp"])

    def attributes_frame(self):
        import pandas as pd
        rows = [{"transcript": tid, **info.attributes} for tid, info in self.catalog().items()]
        return pd.DataFrame(rows).fillna("") if rows else pd.DataFrame(columns=["transcript"])

    def done_frame(self, coders: list[str] | None = None):
        import pandas as pd
        rows = []
        for coder in coders or self.coders():
            done = self.state(coder).done
            rows.extend({"coder": coder, "transcript": tid, "done": tid in done}
                        for tid in self.transcript_ids())
        return pd.DataFrame(rows, columns=["coder", "transcript", "done"])

    def status_frame(self):
        """Per coder and transcript: number of codings, coded segments, done, problems."""
        import pandas as pd
        rows = []
        for coder in self.coders():
            st = self.state(coder)
            codings = self.codings(coder)
            by_t: dict[str, list[Coding]] = {}
            for c in codings:
                by_t.setdefault(c.transcript, []).append(c)
            for tid in sorted(set(self.transcript_ids()) | set(by_t)):
                cs = by_t.get(tid, [])
                problems = {}
                for c in cs:
                    if c.status != "ok":
                        problems[c.status] = problems.get(c.status, 0) + 1
                rows.append({"coder": coder, "transcript": tid, "codings": len(cs),
                             "segments_coded": len({c.segment for c in cs if c.segment is not None}),
                             "done": tid in st.done,
                             "problems": ", ".join(f"{n} {k}" for k, n in sorted(problems.items()))})
        return pd.DataFrame(rows, columns=["coder", "transcript", "codings", "segments_coded",
                                           "done", "problems"])


def _write_cache(path: Path, data: dict) -> None:
    """Write a cache file atomically under a temporary name of its own (several workbench
    processes may refresh the same cache at once). A read-only project still works, only slower
    next time."""
    import tempfile
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(data))
        os.replace(tmp, path)
        tmp = None
    except OSError:
        return
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass  # nothing more to clean up


# a file modified less than this before it was read may change again without a new time stamp
_RACY_NS = 2_000_000_000


def _sig(path: Path) -> list:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _check_anchor(c: Coding, info: TranscriptInfo, text: str | None) -> None:
    """Set ``c.status`` (and re-anchored offsets) from the transcript text."""
    if c.start < 0 or c.end > info.n_chars or c.start >= c.end:
        c.status = "out_of_range"
        if c.quote and text is not None:  # the transcript got shorter: look for the quote
            _reanchor(c, text)
            if c.status != "moved":
                c.status = "out_of_range"
    elif c.quote is not None and text is not None and text[c.start:c.end] != c.quote:
        _reanchor(c, text)
    else:
        c.status = "ok"


def _reanchor(c: Coding, text: str) -> None:
    """The text at the offsets no longer matches the quote: find the quote again (exact, nearest
    to the old place; else fuzzy with rapidfuzz) and mark the coding ``moved``, or
    ``needs_review`` when it cannot be found."""
    q = c.quote or ""
    hits = [m.start() for m in re.finditer(re.escape(q), text)] if q else []
    if hits:
        best = min(hits, key=lambda s: abs(s - c.start))
        c.start, c.end, c.status = best, best + len(q), "moved"
        return
    if len(q) >= 12:
        from rapidfuzz import fuzz
        lo, hi = max(0, c.start - 5000), min(len(text), c.end + 5000)
        al = fuzz.partial_ratio_alignment(q, text[lo:hi])
        if al is not None and al.score >= 90:
            c.start, c.end, c.status = lo + al.dest_start, lo + al.dest_end, "moved"
            return
    c.status = "needs_review"


STARTER_TOML = """# workbench project settings
name = {name}
# spaCy language of the transcripts: "en", "ru", ...
language = {language}
# the codebook in use (when omitted: the single YAML file in codebooks/)
codebook = "codebooks/codebook.yaml"
# speaker labels that are the interviewer (case-insensitive); a transcript's front matter
# may also name its interviewer with 'interviewer: <label>'
interviewer_speakers = ["Interviewer", "Moderator", "I", "Q"]
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
    (root / PROJECT_FILE).write_text(
        STARTER_TOML.format(name=json.dumps(name, ensure_ascii=False),
                            language=json.dumps(language, ensure_ascii=False)),
        encoding="utf-8")
    cb = root / "codebooks" / "codebook.yaml"
    if not cb.exists():
        cb.write_text(STARTER_CODEBOOK.format(name=json.dumps(name, ensure_ascii=False)),
                      encoding="utf-8")
    gi = root / ".gitignore"
    if not gi.exists():
        gi.write_text("# derived state, rebuilt from the logs\n.workbench/\nmodels/\n",
                      encoding="utf-8")
    return root
