"""The transcript catalog: which transcripts a project has and what each holds (its id, format,
attributes and segment offsets), without parsing the files again on every command.

:class:`Catalog` lists ``transcripts/`` (one ``os.scandir`` walk), reads ``attributes.csv``, and
keeps one :class:`TranscriptInfo` per file in ``.workbench/catalog.json`` under the rule of
:mod:`workbench.cache` (a file's entry is used while its size and modification time are
unchanged). Many files to parse (a first run on a large project) are parsed in worker
processes, one per core (:mod:`workbench.parallel`), to the same entries. It also parses
transcripts on demand (:meth:`Catalog.transcript`), keeping the most
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
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .cache import CacheFile, fingerprint, gc_paused, json_bytes, pack_ints, unpack_ints
from .errors import ProjectError, TranscriptError, UsageError
from .parallel import map_in_processes, processes
from .transcripts import (
    FORMATS,
    INTERVIEWER,
    MAX_TRANSCRIPT_BYTES,
    Transcript,
    TranscriptScan,
    scan_transcript,
)
from .transcripts.model import segment_index_for

ATTRIBUTES_FILE = "attributes.csv"
CATALOG_VERSION = 7   # 6: title lines are not turns; 7: offsets as base64 arrays
_KEEP_PARSED = 64       # parsed transcripts kept in memory
PARALLEL_MIN_FILES = 200    # files to parse before worker processes pay for themselves
_JOB_FILES = 64             # files given to a worker at a time (at most)


class Offsets(array):
    """Segment offsets as machine integers: 4 (or 8) bytes each where a list of ints costs ~36,
    and a catalog of 20,000 transcripts holds 8 million of them. Indexing, slicing, iteration
    and :mod:`bisect` work as on the list it stands for, and it compares equal to that list."""

    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, list):
            return self.tolist() == other
        return array.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None


def offsets(values, bound: int | None = None) -> Offsets:
    """``values`` (ints) as :class:`Offsets`: 32-bit while they fit, else 64-bit. ``bound``:
    a number known to be at least every value (a transcript's length), 0 or more."""
    if isinstance(values, Offsets):
        return values
    values = values if isinstance(values, (list, array)) else list(values)
    if bound is None or bound < 0:
        wide = len(values) and (max(values) >= 2**31 or min(values) < -2**31)
    else:
        wide = bound >= 2**31
    return Offsets("q" if wide else "i", values)


@dataclass(slots=True)
class TranscriptInfo:
    """What the catalog knows about a transcript without parsing it again. ``starts`` and
    ``ends`` are :class:`Offsets` (a list of ints in all but memory)."""

    id: str
    path: str  # relative to the project root, POSIX form
    format: str
    attributes: dict
    n_segments: int
    n_chars: int
    starts: Sequence[int]
    ends: Sequence[int]
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
def _entry_of(info: TranscriptInfo, own_attributes: dict, fp: list[int] | None) -> dict:
    """The cache entry of a transcript file."""
    starts, ends = offsets(info.starts), offsets(info.ends)
    if starts.typecode != ends.typecode:
        starts, ends = Offsets("q", starts), Offsets("q", ends)
    names = list(dict.fromkeys(info.speakers))
    index = {n: i for i, n in enumerate(names)}
    who = array("B" if len(names) <= 256 else "I", map(index.__getitem__, info.speakers))
    return {"fp": fp, "crc": info.crc, "id": info.id, "format": info.format,
            "attributes": own_attributes, "n_chars": info.n_chars, "w": starts.typecode,
            "starts": pack_ints(starts), "ends": pack_ints(ends), "speakers": names,
            "sw": who.typecode, "speaker_of": pack_ints(who), "roles": info.roles,
            "warnings": info.warnings}


def _entry(t: Transcript, own_attributes: dict, crc: int, fp: list[int] | None) -> dict:
    """The cache entry of a parsed transcript."""
    segs = t.segments
    info = TranscriptInfo(id=t.id, path="", format=t.format, attributes={},
                          n_segments=len(segs), n_chars=len(t.text),
                          starts=[s.start for s in segs], ends=[s.end for s in segs],
                          roles="".join("I" if s.role == INTERVIEWER else "E" for s in segs),
                          speakers=[s.speaker for s in segs], warnings=t.warnings, crc=crc)
    return _entry_of(info, own_attributes, fp)


def _read_and_scan(root: Path, rel: str, speakers: list[str]) -> tuple[TranscriptScan, int]:
    """A transcript file parsed, and the CRC-32 of its bytes."""
    path = root / rel
    with open(path, "rb") as f:
        data = f.read()
    return scan_transcript(path, interviewer_speakers=speakers, data=data), zlib.crc32(data)


def _scan_info(rel: str, scan: TranscriptScan, crc: int, attributes: dict) -> TranscriptInfo:
    n = len(scan.text)
    return TranscriptInfo(id=scan.id, path=rel, format=scan.format, attributes=attributes,
                          n_segments=len(scan.starts), n_chars=n,
                          starts=offsets(scan.starts, n), ends=offsets(scan.ends, n),
                          roles=scan.roles, speakers=scan.speakers, warnings=scan.warnings,
                          crc=crc)


def _parse_job(job: tuple[str, list[str], list[str]]) -> list[dict | None]:
    """In a worker process: the cache entry of each file of ``job`` (root, interviewer
    speakers, paths), or None for a file that could not be parsed."""
    root, speakers, rels = job
    out: list[dict | None] = []
    for rel in rels:
        try:
            scan, crc = _read_and_scan(Path(root), rel, speakers)
            out.append(_entry_of(_scan_info(rel, scan, crc, {}), scan.attributes, None))
        except Exception:   # parsed again by the caller, which raises it there
            out.append(None)
    return out


class _Parsing:
    """Files being parsed in worker processes (:func:`workbench.parallel.map_in_processes`),
    ``_JOB_FILES`` at a time, in order: :meth:`take` gives a file's cache entry when its job is
    done (so that the caller works on the first files while the workers parse the next), None
    for a file the workers could not parse (the caller parses it, to raise its error)."""

    def __init__(self, root: Path, speakers: list[str], rels: list[str], background: bool):
        step = max(8, min(_JOB_FILES, len(rels) // (4 * processes()) + 1))
        jobs = [(str(root), speakers, rels[i:i + step]) for i in range(0, len(rels), step)]
        # in the background (prefetch) this process works meanwhile: a core is left to it
        self.results = map_in_processes(_parse_job, jobs,
                                        processes() - 1 if background else None)
        self.rels = set(rels) if self.results is not None else set()
        self._next = zip(jobs, self.results) if self.results is not None else iter(())
        self._done: dict[str, dict | None] = {}

    def take(self, rel: str) -> dict | None:
        """The entry of ``rel``, one of :attr:`rels` (each is taken once); None also when the
        workers failed (a worker killed): the caller then parses the rest itself."""
        while rel not in self._done:
            try:
                (_, _, part), entries = next(self._next)
            except Exception:       # BrokenProcessPool and the like: no entry from them
                self.close()
                self._next = iter(())
                self.rels = set()
                return None
            self._done.update(zip(part, entries))
        return self._done.pop(rel)

    def close(self) -> None:
        if self.results is not None:
            self.results.close()


def _info(rel: str, e: dict, attributes: dict) -> TranscriptInfo:
    """A TranscriptInfo from a cache entry (ValueError/KeyError/TypeError when malformed)."""
    roles = e["roles"]
    w = e["w"]
    if w not in ("i", "q") or not isinstance(roles, str) or roles.strip("IE"):
        raise ValueError("a damaged catalog entry")
    n = len(roles)
    starts = unpack_ints(w, e["starts"], Offsets)
    ends = unpack_ints(w, e["ends"], Offsets)
    who = unpack_ints(e["sw"], e["speaker_of"])
    names = e["speakers"]
    if len(starts) != n or len(ends) != n or len(who) != n or (n and max(who) >= len(names)) \
            or who.typecode not in ("B", "I") or not isinstance(e["id"], str) \
            or not isinstance(names, list) or not isinstance(e["warnings"], list):
        raise ValueError("a damaged catalog entry")
    return TranscriptInfo(id=e["id"], path=rel, format=str(e["format"]), attributes=attributes,
                          n_segments=n, n_chars=int(e["n_chars"]), starts=starts, ends=ends,
                          roles=roles, speakers=list(map(names.__getitem__, who)),
                          warnings=list(e["warnings"]), crc=int(e["crc"]))


def _catalog_pieces(speakers: list[str], files: dict):
    """The JSON of catalog.json, an entry at a time (see CacheFile.save_stream)."""
    yield b'{"speakers":' + json_bytes(speakers) + b',"files":{'
    for i, (rel, e) in enumerate(files.items()):
        yield (b"," if i else b"") + json_bytes(rel) + b":" + json_bytes(e)
    yield b"}}"


class Catalog:
    """The transcripts of one project (see the module docstring)."""

    def __init__(self, root: Path, interviewer_speakers: list[str], state_dir: Path):
        self.root = root
        self.folder = root / "transcripts"
        self.speakers = list(interviewer_speakers)
        self.cache = CacheFile(state_dir / "catalog.json", "catalog", CATALOG_VERSION)
        self._infos: dict[str, TranscriptInfo] | None = None
        self._pending: tuple | None = None   # see prefetch()
        # id -> (crc, parsed): see _remember
        self._parsed: OrderedDict[str, tuple[int, Transcript | tuple[TranscriptScan, dict]]] = \
            OrderedDict()

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

    def _scan(self, path: Path, data: bytes) -> TranscriptScan:
        return scan_transcript(path, interviewer_speakers=self.speakers, data=data)

    @staticmethod
    def _stem(rel: str) -> str:
        return os.path.splitext(rel.rpartition("/")[2])[0]   # Path(rel).stem, without pathlib

    # ---- the catalog ---------------------------------------------------------------------------
    def infos(self, refresh: bool = False) -> dict[str, TranscriptInfo]:
        """id → TranscriptInfo for every transcript, sorted by id."""
        if self._infos is not None and not refresh:
            return self._infos
        if refresh and self._pending is not None:
            self._pending[2].close()
            self._pending = None
        with gc_paused(settle=True):
            return self._read_infos()

    def prefetch(self) -> bool:
        """Start what :meth:`infos` will need: when many files must be parsed (a first run on a
        large project), worker processes parse them while the caller goes on (e.g. replays a
        log: work of the same size on another core). Call it early, while this process is
        small; nothing happens when the catalog is read already or there is little to parse.
        Whether files are being parsed in the background."""
        if self._infos is None and self._pending is None:
            with gc_paused():
                self._pending = self._plan(background=True)
        return self._pending is not None and self._pending[2].results is not None

    def cancel_prefetch(self) -> None:
        """Stop what :meth:`prefetch` started (the workers), when the catalog will not be read
        after all (an error came first)."""
        if self._pending is not None:
            self._pending[2].close()
            self._pending = None

    def _plan(self, background: bool = False
              ) -> tuple[dict, list[tuple[str, os.stat_result, list[int] | None]], _Parsing]:
        """The cached entries, the files (path, stat, fingerprint), and the parsing started of
        those the cache does not hold when they are many."""
        cached = self.cache.load()
        entries = cached.get("files", {}) if isinstance(cached, dict) and \
            cached.get("speakers") == self.speakers else {}
        if not isinstance(entries, dict):
            entries = {}
        files = [(rel, st, fingerprint(st)) for rel, st in self.scan()]
        todo = [rel for rel, _, fp in files
                if fp is None or not isinstance(entries.get(rel), dict)
                or entries[rel].get("fp") != fp]
        return entries, files, _Parsing(self.root, self.speakers,
                                        todo if len(todo) >= PARALLEL_MIN_FILES else [],
                                        background)

    def _read_infos(self) -> dict[str, TranscriptInfo]:
        entries, files, parsing = self._pending or self._plan()
        self._pending = None
        try:
            return self._assemble(entries, files, parsing)
        finally:
            parsing.close()     # the workers stop (an error may leave files unread)

    def _assemble(self, entries: dict, files: list[tuple[str, os.stat_result, list[int] | None]],
                  parsing: _Parsing) -> dict[str, TranscriptInfo]:
        table = self.attribute_table()
        fresh: dict = {}
        infos: dict[str, TranscriptInfo] = {}
        where: dict[str, str] = {}
        changed = False
        for rel, st, fp in files:
            e = entries.get(rel)
            info = None
            # a file parsed in a worker process: its cache entry (one it could not parse is
            # parsed again below, to raise its error here)
            ours = False
            if rel in parsing.rels:
                e = parsing.take(rel)
                if e is not None:
                    e["fp"] = fp
                    ours = changed = True
            if isinstance(e, dict) and e.get("fp") == fp and (fp is not None or ours):
                try:
                    own = e["attributes"]
                    if not isinstance(own, dict):
                        raise TypeError
                    info = _info(rel, e, self._with_table(self._stem(rel), e["id"], own, table)
                                 if table else dict(own))
                except (KeyError, TypeError, ValueError):
                    info = None   # damaged: parse the file again
            if info is None:
                scan, crc = _read_and_scan(self.root, rel, self.speakers)
                info = _scan_info(rel, scan, crc, self._with_table(self._stem(rel), scan.id,
                                                                   scan.attributes, table))
                e = _entry_of(info, scan.attributes, fp)
                self._remember(scan.id, crc, (scan, info.attributes))
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
            self.cache.save_stream(_catalog_pieces(self.speakers, fresh))
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

    def _remember(self, tid: str, crc: int, parsed: Transcript | tuple[TranscriptScan, dict]
                  ) -> None:
        """Keep a parse in memory: a Transcript, or a scan and its attributes (made into a
        Transcript when it is asked for)."""
        self._parsed[tid] = (crc, parsed)
        self._parsed.move_to_end(tid)
        while len(self._parsed) > _KEEP_PARSED:
            self._parsed.popitem(last=False)

    def transcript(self, tid: str) -> Transcript:
        hit = self._parsed.get(tid)
        if hit is not None:
            self._parsed.move_to_end(tid)
            crc, parsed = hit
            if isinstance(parsed, tuple):
                scan, attributes = parsed
                parsed = scan.transcript(attributes)
                self._parsed[tid] = (crc, parsed)
            return parsed
        info = self.info(tid)
        path = self.root / info.path
        data = path.read_bytes()
        scan = self._scan(path, data)
        t = scan.transcript(self._with_table(path.stem, scan.id, scan.attributes,
                                             self.attribute_table()))
        self._remember(tid, zlib.crc32(data), t)
        return t

    def checked_text(self, tid: str) -> str:
        """:meth:`text`, made sure to be the text the catalog read (the file's CRC-32 is the
        one the catalog holds): what a writer of codings slices offsets from. TranscriptError
        when the file was changed since (the offsets in hand belong to the earlier text)."""
        info = self.info(tid)
        hit = self._parsed.get(tid)
        if hit is not None and hit[0] == info.crc:
            return self.text(tid)
        path = self.root / info.path
        data = path.read_bytes()
        if zlib.crc32(data) != info.crc:
            raise TranscriptError("the transcript was changed on disk since the workbench read "
                                  "it; nothing was written", file=path,
                                  hint="open the transcript again (or restart the workbench), "
                                       "then repeat what you did")
        if info.format in ("txt", "md"):
            from .transcripts.lines import decode, normalize
            return normalize(decode(data, path))
        return self.transcript(tid).text

    def text(self, tid: str) -> str:
        """The normalized text of a transcript; for txt/md without segmenting it."""
        hit = self._parsed.get(tid)
        if hit is not None:
            parsed = hit[1]
            return parsed[0].text if isinstance(parsed, tuple) else parsed.text
        info = self.info(tid)
        if info.format in ("txt", "md"):
            from .transcripts.lines import decode, normalize
            path = self.root / info.path
            return normalize(decode(path.read_bytes(), path))
        return self.transcript(tid).text
