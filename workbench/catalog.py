"""The transcript catalog: which transcripts a project has and what each holds (its id, format,
attributes and segment offsets), without parsing the files again on every command.

:class:`Catalog` lists ``transcripts/`` (one ``os.scandir`` walk), reads ``attributes.csv``, and
keeps one :class:`TranscriptInfo` per file in ``.workbench/catalog.json`` under the rule of
:mod:`workbench.cache` (a file's entry is used while its size and modification time are
unchanged). It also parses transcripts on demand (:meth:`Catalog.transcript`), keeping the most
recently used ones in memory.

Attributes: a transcript's front matter wins over its row in ``transcripts/attributes.csv``
(matched by file name, then by id; empty cells do not count).
"""
from __future__ import annotations

import bisect
import csv
import io
import os
import stat
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .cache import CacheFile, fingerprint
from .errors import ProjectError, TranscriptError, UsageError
from .transcripts import FORMATS, MAX_TRANSCRIPT_BYTES, Transcript, load_transcript
from .transcripts.model import segment_index_for

ATTRIBUTES_FILE = "attributes.csv"
CATALOG_VERSION = 6   # 6: title lines are not turns
_KEEP_PARSED = 64       # parsed transcripts kept in memory


@dataclass
class TranscriptInfo:
    """What the catalog knows about a transcript without parsing it again."""

    id: str
    path: str  # relative to the project root, POSIX form
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
    mtime_ns: int | None = None  # the file's modification time when the catalog was read

    def segment_of(self, offset: int) -> int | None:
        return segment_index_for(self.starts, self.ends, offset)

    def segments_overlapping(self, start: int, end: int) -> list[int]:
        i = max(bisect.bisect_right(self.starts, start) - 1, 0)
        out = []
        for j in range(i, len(self.starts)):
            if self.starts[j] >= end:
                break
            if self.ends[j] > start:
                out.append(j)
        return out


# ---- the cache entry of one file ---------------------------------------------------------------
def _entry(t: Transcript, own_attributes: dict, crc: int, fp: list[int] | None) -> dict:
    import numpy as np
    pairs = np.empty(2 * len(t.segments), dtype="<i8")
    pairs[0::2] = [s.start for s in t.segments]
    pairs[1::2] = [s.end for s in t.segments]
    names = list(dict.fromkeys(s.speaker for s in t.segments))
    index = {n: i for i, n in enumerate(names)}
    return {"fp": fp, "crc": crc, "id": t.id, "format": t.format, "attributes": own_attributes,
            "n_chars": len(t.text), "offsets": pairs.tobytes().hex(), "speakers": names,
            "speaker_of": np.asarray([index[s.speaker] for s in t.segments],
                                     dtype="<u4").tobytes().hex(),
            "roles": "".join("I" if s.role == "interviewer" else "E" for s in t.segments),
            "warnings": t.warnings}


def _info(rel: str, e: dict, attributes: dict) -> TranscriptInfo:
    """A TranscriptInfo from a cache entry (ValueError/KeyError/TypeError when malformed)."""
    import numpy as np
    n = len(e["roles"])
    pairs = np.frombuffer(bytes.fromhex(e["offsets"]), dtype="<i8")
    who = np.frombuffer(bytes.fromhex(e["speaker_of"]), dtype="<u4")
    names = e["speakers"]
    if len(pairs) != 2 * n or len(who) != n or (n and int(who.max()) >= len(names)) \
            or not isinstance(e["id"], str) or set(e["roles"]) - {"I", "E"}:
        raise ValueError("a damaged catalog entry")
    return TranscriptInfo(id=e["id"], path=rel, format=str(e["format"]), attributes=attributes,
                          n_segments=n, n_chars=int(e["n_chars"]), starts=pairs[0::2].tolist(),
                          ends=pairs[1::2].tolist(), roles=e["roles"],
                          speakers=[names[i] for i in who.tolist()],
                          warnings=list(e["warnings"]), crc=int(e["crc"]))


class Catalog:
    """The transcripts of one project (see the module docstring)."""

    def __init__(self, root: Path, interviewer_speakers: list[str], state_dir: Path):
        self.root = root
        self.folder = root / "transcripts"
        self.speakers = list(interviewer_speakers)
        self.cache = CacheFile(state_dir / "catalog.json", "catalog", CATALOG_VERSION)
        self._infos: dict[str, TranscriptInfo] | None = None
        self._parsed: OrderedDict[str, tuple[int, Transcript]] = OrderedDict()  # id -> (crc, t)

    # ---- files ---------------------------------------------------------------------------------
    def scan(self) -> list[tuple[str, os.stat_result]]:
        """(path relative to the root in POSIX form, stat) of every transcript file under
        ``transcripts/`` (no hidden files or folders; symlinked folders are not entered), in path
        order. A link to a file outside the project is refused (a shared folder must not read
        other files); a file over :data:`MAX_TRANSCRIPT_BYTES` too."""
        top = self.folder
        if not top.is_dir():
            return []
        out = []
        root_real = self.root.resolve()
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
                if not stat.S_ISREG(st.st_mode):
                    continue
                if e.is_symlink():
                    target = Path(os.path.realpath(e.path))
                    if not target.is_relative_to(root_real):
                        raise TranscriptError(
                            f"is a link to {target}, outside the project", file=e.path,
                            hint="copy the file into transcripts/ instead of linking it")
                if st.st_size > MAX_TRANSCRIPT_BYTES:
                    raise TranscriptError(
                        f"is {st.st_size / 2**20:.0f} MiB; transcripts larger than "
                        f"{MAX_TRANSCRIPT_BYTES // 2**20} MiB are refused", file=e.path,
                        hint="split it into one file per interview")
                out.append(((*parts, e.name), st))
        out.sort(key=lambda x: tuple(map(os.path.normcase, x[0])))
        return [("/".join(p), st) for p, st in out]

    def attribute_table(self) -> dict[str, dict[str, str]]:
        """Attributes from ``transcripts/attributes.csv`` (column ``id`` + one per attribute)."""
        path = self.folder / ATTRIBUTES_FILE
        if not path.is_file():
            return {}
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw[:e.start].count(b"\n") + 1
            raise ProjectError(f"attributes.csv is not UTF-8 (invalid byte at offset {e.start})",
                               file=path, line=line,
                               hint="in Excel: Save As → 'CSV UTF-8 (comma delimited)'") from None
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","   # Excel's locales
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [h.strip() for h in next(rows, [])]
        if "id" not in [h.casefold() for h in header]:
            raise ProjectError("attributes.csv needs a header row with an 'id' column",
                               file=path, line=1, hint="e.g. id,region,cluster")
        id_col = [h.casefold() for h in header].index("id")
        out: dict[str, dict[str, str]] = {}
        for row in rows:
            if id_col >= len(row) or not row[id_col].strip():
                continue
            out[row[id_col].strip()] = {h: (row[i].strip() if i < len(row) else "")
                                        for i, h in enumerate(header) if h and i != id_col}
        return out

    @staticmethod
    def _with_table(stem: str, tid: str, own: dict, table: dict) -> dict:
        rows = (table.get(stem, {}), table.get(tid, {}) if tid != stem else {})
        merged = {k: v for row in rows for k, v in row.items() if v != ""}
        return {**merged, **own} if merged else dict(own)

    def _parse(self, path: Path, data: bytes, table: dict) -> tuple[Transcript, dict]:
        """Parse a file; returns the transcript (attributes merged) and its own attributes."""
        t = load_transcript(path, interviewer_speakers=self.speakers, data=data)
        own = dict(t.attributes)
        t.attributes = self._with_table(path.stem, t.id, own, table)
        return t, own

    # ---- the catalog ---------------------------------------------------------------------------
    def infos(self, refresh: bool = False) -> dict[str, TranscriptInfo]:
        """id → TranscriptInfo for every transcript, sorted by id."""
        if self._infos is not None and not refresh:
            return self._infos
        cached = self.cache.load()
        entries = cached.get("files", {}) if isinstance(cached, dict) and \
            cached.get("speakers") == self.speakers else {}
        if not isinstance(entries, dict):
            entries = {}
        table = self.attribute_table()
        fresh: dict = {}
        infos: dict[str, TranscriptInfo] = {}
        where: dict[str, str] = {}
        changed = False
        for rel, st in self.scan():
            fp = fingerprint(st)
            e = entries.get(rel)
            info = None
            if fp is not None and isinstance(e, dict) and e.get("fp") == fp:
                try:
                    own = e["attributes"]
                    if not isinstance(own, dict):
                        raise TypeError
                    info = _info(rel, e, self._with_table(Path(rel).stem, e["id"], own, table))
                except (KeyError, TypeError, ValueError):
                    info = None   # damaged: parse the file again
            if info is None:
                path = self.root / rel
                data = path.read_bytes()
                crc = zlib.crc32(data)
                t, own = self._parse(path, data, table)
                e = _entry(t, own, crc, fp)
                info = _info(rel, e, t.attributes)
                self._remember(t, crc)
                changed = True
            if fp is not None:
                fresh[rel] = e
            info.mtime_ns = st.st_mtime_ns
            tid = info.id
            if tid in where:
                raise TranscriptError(f"two transcripts have the id '{tid}': {where[tid]} and {rel}",
                                      file=self.root / rel,
                                      hint="rename one file or give it another 'id:' in its "
                                           "front matter")
            where[tid] = rel
            infos[tid] = info
        if changed or len(fresh) != len(entries):
            self.cache.save({"speakers": self.speakers, "files": fresh})
        # parses held in memory that no longer match their file are dropped
        for tid in list(self._parsed):
            if tid not in infos or infos[tid].crc != self._parsed[tid][0]:
                del self._parsed[tid]
        self._infos = dict(sorted(infos.items()))
        return self._infos

    def info(self, tid: str) -> TranscriptInfo:
        infos = self.infos()
        if tid not in infos:
            raise UsageError(f"no transcript with id '{tid}'",
                             hint="see the ids with 'workbench segments PROJECT'")
        return infos[tid]

    def _remember(self, t: Transcript, crc: int) -> None:
        self._parsed[t.id] = (crc, t)
        self._parsed.move_to_end(t.id)
        while len(self._parsed) > _KEEP_PARSED:
            self._parsed.popitem(last=False)

    def transcript(self, tid: str) -> Transcript:
        hit = self._parsed.get(tid)
        if hit is not None:
            self._parsed.move_to_end(tid)
            return hit[1]
        info = self.info(tid)
        path = self.root / info.path
        data = path.read_bytes()
        t, _ = self._parse(path, data, self.attribute_table())
        self._remember(t, zlib.crc32(data))
        return t

    def text(self, tid: str) -> str:
        """The normalized text of a transcript; for txt/md without segmenting it."""
        hit = self._parsed.get(tid)
        if hit is not None:
            return hit[1].text
        info = self.info(tid)
        if info.format in ("txt", "md"):
            from .transcripts.lines import decode, normalize
            path = self.root / info.path
            return normalize(decode(path.read_bytes(), path))
        return self.transcript(tid).text
