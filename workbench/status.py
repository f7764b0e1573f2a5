"""The summary ``workbench status`` shows — per coder and transcript: codings, coded
interviewee turns, done, problems — and its cache, ``.workbench/cache/status-<coder>.json``.

A coder's summary is computed from their current codings (:meth:`Project.codings_by_transcript`,
one transcript at a time) and kept under the rule of :mod:`workbench.cache`: it records the
fingerprints of the files it was computed from — the coder's log, the codebook,
``workbench.toml`` — and, for what is itself derived, the content: the CRC-32 of the context
store (``context-<coder>.json``, which decides where an older log's codings lie in an edited
transcript) and of what the catalog holds of every transcript (id, CRC-32 and modification time
of its file, length, turns and their roles). It is used only while all of these are the same,
and not saved when one of the files was modified in the last 2 s; the cache's version includes a
digest of the source of the modules that compute it (:data:`_COMPUTED_BY`), so an upgrade never
shows what older code computed. A warm ``status`` on a large project then replays no log and
places no coding.
"""
from __future__ import annotations

import zlib
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cache import SETTLE_NS, CacheFile, code_digest, file_fingerprint, path_free, with_path
from .coding import UNPLACED, Coding
from .errors import ProjectError
from .paths import PROJECT_FILE

if TYPE_CHECKING:
    from pathlib import Path

    from .catalog import TranscriptInfo
    from .project import Project

STATUS_VERSION = 1
# the code a summary depends on: a cached summary is ignored once any of it changed (an upgrade
# that places codings differently must not show the old problems)
_COMPUTED_BY = ("workbench.status", "workbench.anchoring", "workbench.reanchor",
                "workbench.contexts", "workbench.replay", "workbench.snapshot", "workbench.catalog",
                "workbench.coding", "workbench.codebook", "workbench.transcripts")


@dataclass
class CoderSummary:
    """One coder's summary: ``rows`` {transcript id: (codings, coded interviewee turns,
    problems as text)} for the transcripts with codings; ``done`` the transcripts marked done;
    ``warnings`` the log's (as :attr:`LogState.warnings`)."""

    rows: dict[str, tuple[int, int, str]]
    done: set[str]
    warnings: list[str]


def turns_coded(cs: list[Coding], info: TranscriptInfo | None) -> int:
    """The interviewee turns the placed codings ``cs`` of one transcript overlap (what
    :meth:`TranscriptInfo.segments_overlapping` gives for each, on lists for speed)."""
    if info is None or not cs:
        return 0
    starts, ends, roles = info.starts, info.ends, info.roles
    if len(cs) > 8 and hasattr(starts, "tolist") and hasattr(ends, "tolist"):
        starts, ends = starts.tolist(), ends.tolist()
    n = len(starts)
    turns = set()
    for c in cs:
        if c.status in UNPLACED:
            continue
        start, end = c.start, c.end
        for j in range(max(bisect_right(starts, start) - 1, 0), n):
            if starts[j] >= end:
                break
            if ends[j] > start and roles[j] == "E":
                turns.add(j)
    return len(turns)


def compute_summary(project: Project, coder: str) -> CoderSummary:
    """A coder's summary from their current codings (no cache)."""
    st = project.state(coder)       # the log first: the catalog may be parsed meanwhile
    cat = project.catalog()
    rows: dict[str, tuple[int, int, str]] = {}
    for tid, cs in project.codings_by_transcript(coder):
        problems: dict[str, int] = {}
        for c in cs:
            if c.status != "ok":
                problems[c.status] = problems.get(c.status, 0) + 1
        rows[tid] = (len(cs), turns_coded(cs, cat.get(tid)),
                     ", ".join(f"{n} {k}" for k, n in sorted(problems.items())))
    return CoderSummary(rows, set(st.done), list(st.warnings))


def coder_summary(project: Project, coder: str) -> CoderSummary:
    """A coder's summary: from the cache while what it was computed from is unchanged, else
    computed (and cached). The catalog is read for the key only when the files' part of it
    matches: a first run replays the log before it needs the transcripts (see
    :meth:`Project.prefetch_catalog`)."""
    log = project.log_file(coder)
    cache = CacheFile(project.state_dir / "cache" / f"status-{coder}.json", "status",
                      f"{STATUS_VERSION}:{code_digest(*_COMPUTED_BY)}")
    key = _files_key(project, coder, log)
    if key is not None:
        raw = cache.load()
        if isinstance(raw, dict) and isinstance(raw.get("key"), list) \
                and raw["key"][:4] == key:
            hit = _summary(raw, [*key, _catalog_digest(project)], log)
            if hit is not None:
                return hit
    summary = compute_summary(project, coder)
    if key is not None:
        after = _files_key(project, coder, log)   # the context store as the computation left it
        digest = _catalog_digest(project)
        if after is not None and after[:3] == key[:3] and digest is not None:
            cache.save({"key": [*after, digest],
                        "rows": [[t, *r] for t, r in summary.rows.items()],
                        "done": sorted(summary.done),
                        "warnings": path_free(summary.warnings, log)})
    return summary


def status_rows(project: Project) -> list[dict]:
    """Per coder and transcript: number of codings, coded interviewee turns
    (``segments_coded``: the turns a coding overlaps, interviewer questions not counted — as in
    the counts), done, problems (the rows of :func:`workbench.frames.status_frame`)."""
    return status_report(project)[0]


def status_report(project: Project) -> tuple[list[dict], list[str]]:
    """:func:`status_rows` and the warnings of the coders' logs, in coder order."""
    if not project.prefetch_catalog():
        project.catalog()           # read first, as every command does
    try:
        summaries = [(coder, coder_summary(project, coder)) for coder in project.coders()]
    except BaseException:
        project.cancel_prefetch()   # no worker left running after an error
        raise
    ids = project.transcript_ids()
    rows: list[dict] = []
    warnings: list[str] = []
    for coder, s in summaries:
        warnings.extend(s.warnings)
        for tid in sorted(set(ids) | set(s.rows)):
            n, turns, problems_text = s.rows.get(tid, (0, 0, ""))
            rows.append({"coder": coder, "transcript": tid, "codings": n,
                         "segments_coded": turns, "done": tid in s.done,
                         "problems": problems_text})
    return rows, warnings


# ---- the cache key ------------------------------------------------------------------------------
def _files_key(project: Project, coder: str, log: Path) -> list | None:
    """The files' part of the key: [log, codebook, workbench.toml fingerprints, context store
    digest] (the catalog's digest follows), or None when a file has no fingerprint (missing,
    or modified in the last 2 s)."""
    try:
        codebook = project.codebook_path()
    except ProjectError:    # no codebook: nothing cached (computing raises it)
        return None
    parts = [file_fingerprint(log), file_fingerprint(codebook),
             file_fingerprint(project.root / PROJECT_FILE)]
    if any(p is None for p in parts):
        return None
    return [*parts, _content_digest(project.state_dir / "cache" / f"context-{coder}.json")]


def _catalog_digest(project: Project) -> int | None:
    """CRC-32 of what the summary reads of the catalog, or None while a transcript file was
    modified in the last 2 s."""
    import time
    settled = time.time_ns() - SETTLE_NS
    crc = 0
    for tid, info in project.catalog().items():
        if info.mtime_ns is None or info.mtime_ns > settled:
            return None
        crc = zlib.crc32(f"{tid}\0{info.crc}\0{info.mtime_ns}\0{info.n_chars}\0{info.roles}\0"
                         .encode("utf-8", "surrogatepass"), crc)
        for col in (info.starts, info.ends):
            crc = zlib.crc32(col if isinstance(col, array) else array("q", col), crc)
    return crc


def _content_digest(path: Path) -> list[int] | None:
    """[size, CRC-32] of a file's bytes (read a block at a time); None when there is no such
    file."""
    crc = size = 0
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                crc = zlib.crc32(block, crc)
                size += len(block)
    except OSError:
        return None
    return [size, crc]


def _summary(raw, key: list, log: Path) -> CoderSummary | None:
    """The cached summary when it was made for ``key`` (and is well formed), else None; its
    warnings name the log at ``log``, where it is now."""
    if not isinstance(raw, dict) or raw.get("key") != key:
        return None
    try:
        rows = {}
        for t, n, turns, problems in raw["rows"]:
            if not (isinstance(t, str) and n.__class__ is int and turns.__class__ is int
                    and isinstance(problems, str)):
                return None
            rows[t] = (n, turns, problems)
        done, warnings = raw["done"], raw["warnings"]
        if not all(isinstance(x, str) for x in done) \
                or not all(isinstance(w, str) for w in warnings):
            return None
        return CoderSummary(rows, set(done), with_path(warnings, log))
    except (KeyError, TypeError, ValueError):
        return None
