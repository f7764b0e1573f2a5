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
import stat
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .codebook import Codebook
from .codinglog import Coding, CodingLog, LogState, paused_gc, replay
from .errors import ProjectError, TranscriptError, UsageError
from .paths import PROJECT_FILE, state_dir
from .transcripts import (DEFAULT_INTERVIEWER_SPEAKERS, FORMATS, Transcript,
                          load_transcript, segment_index_for)

ATTRIBUTES_FILE = "attributes.csv"
CONSENSUS = "consensus"
_CODER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
CATALOG_VERSION = 4   # 4: per-segment lists packed (hex); a version 3 cache is read and repacked
# statuses of codings that have no place in their transcript (no segment)
UNPLACED = ("orphan", "unknown_code", "out_of_range")


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


def _pack_segments(starts: list[int], ends: list[int], speakers: list[str | None]) -> dict:
    """A transcript's per-segment lists as the catalog cache keeps them (version 4): the
    (start, end) pairs as hex of little-endian int32 (int64 if needed), the speakers as their
    distinct labels plus a hex index per segment. JSON reads these 10x faster than the lists,
    and the hex of all transcripts decodes in one call (:class:`SegmentArrays`)."""
    import numpy as np
    width = 4 if max(max(starts, default=0), max(ends, default=0)) < 2**31 else 8
    pairs = np.empty(2 * len(starts), dtype=f"<i{width}")
    pairs[0::2] = starts
    pairs[1::2] = ends
    names = list(dict.fromkeys(speakers))
    index = {n: i for i, n in enumerate(names)}
    iw = 1 if len(names) <= 256 else 2 if len(names) <= 65536 else 4
    packed = {"width": width, "pairs": pairs.tobytes().hex(), "speakers": names,
              "index_width": iw,
              "index": np.asarray([index[s] for s in speakers], dtype=f"<u{iw}").tobytes().hex()}
    return {"n_segments": len(starts), "segments": packed}


def _packed_offsets(packed: dict, n: int):
    """(starts, ends) of a packed entry as numpy arrays."""
    import numpy as np
    a = np.frombuffer(bytes.fromhex(packed["pairs"]), dtype=f"<i{packed['width']}")
    if len(a) != 2 * n:
        raise ValueError("a packed catalog entry does not match its number of segments")
    return a[0::2], a[1::2]


_ENTRY_KEYS = ("sig", "attrs_sig", "crc", "id", "format", "attributes", "n_chars", "roles",
               "warnings")


def _usable_entry(entry) -> bool:
    """Whether a catalog cache entry has every field, with per-segment data of the right
    lengths: packed (version 4) or as lists (version 3, repacked). Anything else (a damaged
    or hand-edited cache) is not used: the file is parsed again."""
    try:
        if not all(k in entry for k in _ENTRY_KEYS) or not isinstance(entry["roles"], str):
            return False
        n = len(entry["roles"])
        seg = entry.get("segments")
        if seg is None:   # version 3
            return all(isinstance(entry.get(k), list) and len(entry[k]) == n
                       for k in ("starts", "ends", "speakers"))
        return (entry.get("n_segments") == n and seg["width"] in (4, 8)
                and seg["index_width"] in (1, 2, 4) and isinstance(seg["speakers"], list)
                and isinstance(seg["pairs"], str) and len(seg["pairs"]) == 4 * seg["width"] * n
                and isinstance(seg["index"], str)
                and len(seg["index"]) == 2 * seg["index_width"] * n)
    except (TypeError, KeyError, AttributeError):
        return False


class _PackedInfo(TranscriptInfo):
    """A catalog entry whose per-segment lists (``starts``, ``ends``, ``speakers``) stay packed
    as read from ``.workbench/catalog.json`` until first used: a project of 5,000 transcripts
    has a million segments, and most commands look at a few transcripts (bulk readers use
    :class:`SegmentArrays`). Otherwise a TranscriptInfo like any other."""

    _LAZY = ("starts", "ends", "speakers")

    def __init__(self, *args, packed: dict | None = None, **fields):
        if packed is None:
            super().__init__(*args, **fields)
        else:
            self.__dict__.update(fields)
            self.__dict__["_packed"] = packed

    def __getattr__(self, name):
        d = self.__dict__
        packed = d.get("_packed")
        if packed is None or name not in self._LAZY:
            raise AttributeError(name)
        import numpy as np
        starts, ends = _packed_offsets(packed, self.n_segments)
        names = packed["speakers"]
        index = np.frombuffer(bytes.fromhex(packed["index"]),
                              dtype=f"<u{packed['index_width']}").tolist()
        for k, v in (("starts", starts.tolist()), ("ends", ends.tolist()),
                     ("speakers", [names[i] for i in index])):
            d.setdefault(k, v)
        del d["_packed"]
        return d[name]


class SegmentArrays:
    """Every transcript's segments flattened into numpy arrays, in catalog order: transcript
    ``tids[i]`` owns ``starts[offsets[i]:offsets[i + 1]]`` (and the same slice of ``ends`` and
    ``roles``, the role letters as bytes ``b"I"``/``b"E"``). :meth:`segment_of` and
    :meth:`overlapping` are :meth:`TranscriptInfo.segment_of` and
    :meth:`TranscriptInfo.segments_overlapping` for many offsets at once (same results).
    Built by :meth:`Project.segment_arrays`."""

    def __init__(self, infos: list[TranscriptInfo]):
        import numpy as np
        self.infos = infos
        self.tids = [i.id for i in infos]
        self.pos = {t: k for k, t in enumerate(self.tids)}
        hexes, lengths = [], []
        for i in infos:   # the (start, end) pairs as int32, straight from the catalog's text
            packed = i.__dict__.get("_packed")
            if packed is not None and packed["width"] == 4 \
                    and len(packed["pairs"]) == 16 * i.n_segments:
                hexes.append(packed["pairs"])
                lengths.append(i.n_segments)
            else:
                hexes = None
                break
        if hexes is not None:
            pairs = np.frombuffer(bytes.fromhex("".join(hexes)), dtype="<i4")
            self.starts = pairs[0::2].astype(np.int64)
            self.ends = pairs[1::2].astype(np.int64)
        else:
            lengths = [len(i.starts) for i in infos]
            self.starts = np.fromiter(chain.from_iterable(i.starts for i in infos),
                                      dtype=np.int64, count=sum(lengths))
            self.ends = np.fromiter(chain.from_iterable(i.ends for i in infos),
                                    dtype=np.int64, count=sum(lengths))
        lengths = np.asarray(lengths, dtype=np.int64)
        self.offsets = np.zeros(len(infos) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.offsets[1:])
        total = int(self.offsets[-1])
        self.roles = np.frombuffer("".join(i.roles for i in infos).encode("ascii", "replace"),
                                   dtype="S1")
        n_chars = np.fromiter((i.n_chars for i in infos), dtype=np.int64, count=len(infos))
        # one sorted key for all segments: transcript position * width + start
        self._width = int(max(n_chars.max(initial=0), self.starts.max(initial=0),
                              self.ends.max(initial=0))) + 1
        seg_t = np.repeat(np.arange(len(infos), dtype=np.int64), lengths)
        self._key = seg_t * self._width + self.starts
        # a transcript whose starts are not sorted (never seen) is served by the scalar code
        self._sorted = bool(total < 2 or (np.diff(self._key) >= 0).all())

    def positions(self, tids):
        """The catalog position of each transcript id (-1: not in the catalog), as int64."""
        import numpy as np
        return np.asarray([self.pos.get(t, -1) for t in tids], dtype=np.int64)

    def _vectorisable(self, *offsets) -> bool:
        return self._sorted and len(self.starts) > 0 and all(
            not len(o) or (o.min() >= 0 and o.max() < self._width) for o in offsets)

    def segment_of(self, t, offset):
        """Per (transcript position, offset): the segment index as
        :meth:`TranscriptInfo.segment_of` gives it, -1 for None (int64 array)."""
        import numpy as np
        t = np.asarray(t, dtype=np.int64)
        off = np.asarray(offset, dtype=np.int64)
        if not self._vectorisable(off):
            return np.fromiter((-1 if (s := self.infos[a].segment_of(b)) is None else s
                                for a, b in zip(t.tolist(), off.tolist())),
                               dtype=np.int64, count=len(t))
        base = self.offsets[t]
        n = self.offsets[t + 1] - base
        g = np.searchsorted(self._key, t * self._width + off, side="right") - 1
        i = g - base
        inside = (i >= 0) & (off < self.ends[np.maximum(g, 0)])
        return np.where(inside, i, np.where(i + 1 < n, i + 1, -1))

    def overlapping(self, t, start, end):
        """Per (transcript position, start, end): the segments it overlaps, as
        :meth:`TranscriptInfo.segments_overlapping` lists them. Returns two int64 arrays,
        (query index, segment index), in query order and segment order within a query."""
        import numpy as np
        t = np.asarray(t, dtype=np.int64)
        start = np.asarray(start, dtype=np.int64)
        end = np.asarray(end, dtype=np.int64)
        if not self._vectorisable(start, end):
            pairs = [(q, j) for q, (a, b, c) in enumerate(zip(t.tolist(), start.tolist(),
                                                               end.tolist()))
                     for j in self.infos[a].segments_overlapping(b, c)]
            q = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
            j = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
            return q, j
        base = self.offsets[t]
        tw = t * self._width
        j0 = np.maximum(np.searchsorted(self._key, tw + start, side="right") - 1 - base, 0)
        j1 = np.searchsorted(self._key, tw + end, side="left") - base
        cnt = np.maximum(j1 - j0, 0)
        q = np.repeat(np.arange(len(t), dtype=np.int64), cnt)
        first = np.cumsum(cnt) - cnt
        j = j0[q] + (np.arange(len(q), dtype=np.int64) - first[q])
        keep = self.ends[base[q] + j] > start[q]
        return q[keep], j[keep]


class CodingColumns:
    """One coder's codings as columns: the values :meth:`Project.codings` gives (same order,
    same resolved codes, statuses, offsets and segments) without a Coding object per coding.

    Numpy arrays, one entry per coding: ``transcript`` (int64 position in ``tids``, the
    transcripts with codings, sorted), ``code`` (resolved through merges), ``start``/``end``
    (int64, re-anchored when moved), ``status``, ``segment`` (int64, -1: none); and, built on
    first use, ``id``, ``original_code`` (as logged), ``source``, ``memo``, ``at``, ``quote``.
    Text columns are object arrays of str (or None)."""

    _FROM_ROW = {"id": 0, "original_code": 2, "at": 5, "source": 6, "quote": 7, "memo": 8}

    def __init__(self, coder: str, tids: list[str], transcript, code, start, end, status,
                 segment, rows: list[list]):
        self.coder = coder
        self.tids = tids
        self.transcript = transcript
        self.code = code
        self.start = start
        self.end = end
        self.status = status
        self.segment = segment
        self._rows = rows    # the log's rows (codinglog.ROW_FIELDS), in this order

    def __len__(self) -> int:
        return len(self._rows)

    def __getattr__(self, name):
        k = self._FROM_ROW.get(name)
        if k is None or "_rows" not in self.__dict__:
            raise AttributeError(name)
        rows = self._rows
        value = self.__dict__[name] = _objects([r[k] for r in rows], len(rows))
        return value


def _stable_order(keys):
    """The permutation that sorts rows by the int64 columns ``keys`` (most significant first),
    stably; None when they are in order already. One combined key when it fits in 63 bits."""
    import numpy as np
    n = len(keys[0])
    if n < 2:
        return None
    if all(k.min() >= 0 for k in keys):
        spans = [int(k.max()) + 1 for k in keys]
        if np.prod([float(x) for x in spans]) < 2.0 ** 62:
            combined = np.zeros(n, dtype=np.int64)
            for k, span in zip(keys, spans):
                combined *= span
                combined += k
            if (combined[1:] >= combined[:-1]).all():
                return None
            return np.argsort(combined, kind="stable")
    order = np.lexsort(tuple(reversed(keys)))
    return None if (order == np.arange(n)).all() else order


def _objects(values, n: int):
    import numpy as np
    a = np.empty(n, dtype=object)
    a[:] = values
    return a


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

def _anchors_well_formed(anchors) -> bool:
    """Whether an anchors cache read back has the shape :meth:`Project._check_rows` relies on:
    {transcript: (crc, {line: (status, start, end)})} (a damaged file is ignored, not a crash)."""
    if not isinstance(anchors, dict):
        return False
    for entry in anchors.values():
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], dict)):
            return False
        for v in entry[1].values():
            if not (isinstance(v, tuple) and len(v) == 3 and isinstance(v[0], str)
                    and isinstance(v[1], int) and isinstance(v[2], int)):
                return False
    return True



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
        # coder -> (log origin, {transcript: (crc, {line of the coding: anchor})})
        self._anchor_cache: dict[str, tuple[str | None, dict]] = {}
        self._segment_arrays: tuple | None = None  # (catalog, SegmentArrays)
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
        return [self.root / rel for rel, _ in self._scan_transcripts()]

    def _scan_transcripts(self) -> list[tuple[str, list]]:
        """(path relative to the root in POSIX form, [size, mtime_ns]) of every transcript file
        under transcripts/ (no hidden files or folders; symlinked folders are not entered), in
        path order. One ``os.scandir`` walk and one stat per file: a project of 5,000
        transcripts is listed in ~20 ms."""
        top = self.transcripts_dir
        if not top.is_dir():
            return []
        out = []
        stack = [(str(top), top.relative_to(self.root).parts)]
        while stack:
            folder, parts = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = list(it)
            except OSError:
                continue
            for e in entries:
                if e.name.startswith("."):
                    continue
                try:
                    if e.is_dir() and not e.is_symlink():
                        stack.append((e.path, (*parts, e.name)))
                        continue
                    if os.path.splitext(e.name)[1].lower() not in FORMATS:
                        continue
                    st = os.stat(e.path)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    out.append(((*parts, e.name), [st.st_size, st.st_mtime_ns]))
        out.sort(key=lambda x: tuple(map(os.path.normcase, x[0])))   # Path order
        return [("/".join(parts), sig) for parts, sig in out]

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
            with paused_gc():
                raw = json.loads(cache_path.read_text(encoding="utf-8"))
            if raw.get("version") in (3, CATALOG_VERSION) \
                    and raw.get("speakers") == self.config.interviewer_speakers:
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
        for rel, sig in self._scan_transcripts():
            entry = cache.get(rel)
            if entry and not _usable_entry(entry):
                entry = None   # damaged, or not written by this version: parse the file again
            if entry and entry.get("sig") == sig and entry.get("attrs_sig") == attrs_sig \
                    and sig[1] + _RACY_NS >= entry.get("checked_ns", 0):
                # modified close to when it was last read: the same size and time stamp do not
                # prove the same content (coarse file-system clocks), so compare the content
                checked = time.time_ns()
                path = self.root / rel
                if zlib.crc32(path.read_bytes()) == entry.get("crc"):
                    entry = {**entry, "checked_ns": checked}
                    changed = True
                else:
                    entry = None
            if not entry or entry.get("sig") != sig or entry.get("attrs_sig") != attrs_sig:
                if extra is None:
                    extra = self.attribute_table()
                checked = time.time_ns()
                path = self.root / rel
                data = path.read_bytes()
                t = self._parse(path, extra, data)
                entry = {"sig": sig, "attrs_sig": attrs_sig, "crc": zlib.crc32(data),
                         "checked_ns": checked, "id": t.id, "format": t.format,
                         "attributes": t.attributes, "n_chars": len(t.text),
                         **_pack_segments([s.start for s in t.segments],
                                          [s.end for s in t.segments],
                                          [s.speaker for s in t.segments]),
                         "roles": "".join("I" if s.role == "interviewer" else "E"
                                          for s in t.segments),
                         "warnings": t.warnings}
                self._remember(t, (sig, entry["crc"]))
                changed = True
            elif "segments" not in entry:   # a version 3 entry: the same lists, packed
                old = entry
                entry = {k: v for k, v in old.items() if k not in ("starts", "ends", "speakers")}
                entry.update(_pack_segments(old["starts"], old["ends"], old["speakers"]))
                changed = True
            files_out[rel] = entry
            tid = entry["id"]
            if tid in where:
                raise TranscriptError(f"two transcripts have the id '{tid}': {where[tid]} and {rel}",
                                      file=self.root / rel,
                                      hint="rename one file or give it another 'id:' in its front matter")
            where[tid] = rel
            catalog[tid] = _PackedInfo(
                id=tid, path=rel, format=entry["format"], attributes=entry["attributes"],
                n_segments=entry["n_segments"], n_chars=entry["n_chars"], roles=entry["roles"],
                warnings=entry["warnings"], crc=entry.get("crc"), packed=entry["segments"])
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
        by_t = self._rows_by_transcript(coder, st)
        anchors = self._anchors(coder, st)
        dirty = False
        out: list[Coding] = []
        resolve = self._resolver()
        for t in ([tid] if tid is not None else sorted(by_t)):
            rows = by_t.get(t)
            if not rows:
                continue
            info = cat.get(t)
            codes = resolve([r[2] for r in rows])
            checks, updated = self._check_rows(t, rows, codes, info, anchors)
            dirty |= updated
            for r, code, (status, start, end) in zip(rows, codes, checks):
                c = Coding(id=r[0], coder=coder, transcript=t, code=code, start=start, end=end,
                           at=r[5], source=r[6], quote=r[7], memo=r[8], settles=r[9], line=r[10],
                           original_code=r[2], status=status)
                if status not in UNPLACED:
                    c.segment = info.segment_of(start)
                out.append(c)
        if dirty:
            self._save_anchors(coder, anchors)
        out.sort(key=lambda c: (c.transcript, c.start, c.end, c.code))
        return out

    def _resolver(self):
        """A function mapping a list of logged codes to the codes they count as today
        (:meth:`Codebook.resolve`, computed once per distinct code)."""
        cb = self.codebook
        memo: dict[str, str] = {}

        def resolve(originals: list[str]) -> list[str]:
            for o in set(originals).difference(memo):
                memo[o] = cb.resolve(o)
            return list(map(memo.__getitem__, originals))
        return resolve

    def _check_rows(self, t: str, rows: list[list], codes: list[str],
                    info: "TranscriptInfo | None", anchors: dict) -> tuple[list, bool]:
        """``(status, start, end)`` for each of one transcript's coding rows (``codes``: their
        codes resolved through merges), and whether ``anchors`` got new entries.

        ``orphan`` without the transcript, ``unknown_code`` for a code not in the codebook, else
        the anchor check against the text (:func:`_check_anchor`), remembered in ``anchors[t]``
        by the coding's line in the log, with the transcript's CRC, so that the text is read
        again only when it changed (a coding appended again under the same id has a new line;
        ``anchors`` holds only checks made under the log's current origin)."""
        if info is None:
            return [("orphan", r[3], r[4]) for r in rows], False
        known = self.codebook.codes
        cached = anchors.get(t)
        verified = cached[1] if cached is not None and cached[0] == info.crc else {}
        if verified and known.keys() >= set(codes):
            checks = list(map(verified.get, [r[10] for r in rows]))
            if None not in checks:   # the common case: every coding was checked before
                return checks, False
        checks = []
        fresh = None
        text = None
        for r, code in zip(rows, codes):
            if code not in known:
                checks.append(("unknown_code", r[3], r[4]))
                continue
            v = verified.get(r[10])
            if v is None:
                c = Coding(id=r[0], coder="", transcript=t, code=code, start=r[3], end=r[4],
                           quote=r[7])
                if text is None and (c.quote or c.start < 0 or c.end > info.n_chars):
                    text = self.text(t)
                _check_anchor(c, info, text)
                v = (c.status, c.start, c.end)
                if fresh is None:
                    fresh = dict(verified)
                fresh[r[10]] = v
            checks.append(v)
        if fresh is not None:
            anchors[t] = (info.crc, fresh)
        return checks, fresh is not None

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

    def _anchors(self, coder: str, st: LogState) -> dict:
        """The coder's anchor checks: {transcript: (crc, {line: (status, start, end)})}, valid
        for the log's current origin (:attr:`LogState.origin`): a log changed other than by
        appending (an edit, a git merge) has another origin, and its codings are checked again."""
        hit = self._anchor_cache.get(coder)
        if hit is not None and hit[0] == st.origin:
            return hit[1]
        from .codinglog import _BuiltinsOnly
        anchors: dict = {}
        try:
            with open(self._anchors_path(coder), "rb") as f, paused_gc():
                data = _BuiltinsOnly(f).load()
            if isinstance(data, dict) and data.get("v") == 2 and st.origin is not None \
                    and data.get("origin") == st.origin and _anchors_well_formed(data["transcripts"]):
                anchors = data["transcripts"]
        except (OSError, EOFError, KeyError, ValueError, TypeError, IndexError,
                pickle.UnpicklingError):
            anchors = {}
        self._anchor_cache[coder] = (st.origin, anchors)
        return anchors

    def _save_anchors(self, coder: str, anchors: dict) -> None:
        path = self._anchors_path(coder)
        origin = self._anchor_cache[coder][0]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                pickle.dump({"v": 2, "origin": origin, "transcripts": anchors}, f,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass  # derived state: a read-only project re-checks next time

    def codings_for(self, coder: str, tid: str) -> list[Coding]:
        return self.codings(coder, tid)

    # ---- columnar codings: the fast path for bulk readers (counts, exports) ----------------
    def segment_arrays(self) -> SegmentArrays:
        """The catalog's segments as flat numpy arrays (kept until the catalog is refreshed)."""
        cat = self.catalog()
        hit = self._segment_arrays
        if hit is None or hit[0] is not cat:
            hit = self._segment_arrays = (cat, SegmentArrays(list(cat.values())))
        return hit[1]

    def coding_columns(self, coder: str) -> CodingColumns:
        """The coder's codings as :class:`CodingColumns`: what :meth:`codings` returns (same
        order, codes, statuses, offsets, segments; anchors checked and cached the same way),
        as numpy arrays, for counting 100,000s of codings quickly."""
        import numpy as np
        st = self.state(coder)
        cat = self.catalog()
        anchors = self._anchors(coder, st)
        with paused_gc():
            by_t = self._rows_by_transcript(coder, st)
            tids = sorted(t for t, rows in by_t.items() if rows)
            ordered = [r for t in tids for r in by_t[t]]
            n = len(ordered)
            codes = self._resolver()([r[2] for r in ordered])
            checks: list[tuple] = []
            lengths = []
            dirty = False
            i = 0
            for t in tids:
                rows = by_t[t]
                k = len(rows)
                c, updated = self._check_rows(t, rows, codes[i:i + k], cat.get(t), anchors)
                checks += c
                dirty |= updated
                lengths.append(k)
                i += k
            if dirty:
                self._save_anchors(coder, anchors)
            status, start, end = zip(*checks) if n else ((), (), ())
            t_idx = np.repeat(np.arange(len(tids), dtype=np.int64),
                              np.asarray(lengths, dtype=np.int64))
            start = np.fromiter(start, dtype=np.int64, count=n)
            end = np.fromiter(end, dtype=np.int64, count=n)
            status = _objects(status, n)
            segment = np.full(n, -1, dtype=np.int64)
            placed = np.ones(n, dtype=bool)
            for s in UNPLACED:
                placed &= status != s
            if placed.any():
                sa = self.segment_arrays()
                cat_pos = sa.positions(tids)
                segment[placed] = sa.segment_of(cat_pos[t_idx[placed]], start[placed])
            code_arr = _objects(codes, n)
            # Project.codings' order: transcript, start, end, code (a stable sort)
            rank = {c: i for i, c in enumerate(sorted(set(codes)))}
            code_rank = np.fromiter(map(rank.__getitem__, codes), dtype=np.int64, count=n)
            order = _stable_order((t_idx, start, end, code_rank))
            if order is not None:
                t_idx, code_arr, start, end, status, segment = (
                    a[order] for a in (t_idx, code_arr, start, end, status, segment))
                ordered = [ordered[i] for i in order.tolist()]
            return CodingColumns(coder, tids, t_idx, code_arr, start, end, status, segment,
                                 ordered)

    def coding_table(self, coder: str):
        """The coder's codings as a DataFrame, one row per coding in the order of
        :meth:`codings`: id, coder, transcript, code (resolved), start, end, quote, segment
        (Int64), status, source, memo, at (the columns of :meth:`codings_frame`), then
        original_code. Built from :meth:`coding_columns`, without Coding objects."""
        import pandas as pd
        cc = self.coding_columns(coder)
        n = len(cc)
        tids = cc.tids
        data = {"id": cc.id.tolist(), "coder": [coder] * n,
                "transcript": [tids[i] for i in cc.transcript.tolist()],
                "code": cc.code.tolist(), "start": cc.start.tolist(), "end": cc.end.tolist(),
                "quote": cc.quote.tolist(),
                "segment": [None if s < 0 else s for s in cc.segment.tolist()],
                "status": cc.status.tolist(), "source": cc.source.tolist(),
                "memo": cc.memo.tolist(), "at": cc.at.tolist(),
                "original_code": cc.original_code.tolist()}
        df = pd.DataFrame(data) if n else pd.DataFrame(columns=list(data))
        df["segment"] = df["segment"].astype("Int64")
        return df

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
