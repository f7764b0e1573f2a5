"""Replay snapshots, ``.workbench/cache/replay-<coder>.json`` (the rule of
:mod:`workbench.cache`): a coder's replayed log kept as columns — one JSON list per field of the
codings; repeated strings (transcript, code, source, time of each coding) as the list of their
values and an index per coding; whole numbers as base64 arrays. Read back in one pass per column,
and written in pieces (:meth:`CacheFile.save_stream`), so that neither way holds the log's size
twice in memory. :mod:`workbench.replay` decides when a snapshot is used."""
from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import CacheFile, json_bytes, json_list_pieces, pack_ints, unpack_ints
from .coding import Coding, Memo

if TYPE_CHECKING:
    from .replay import LogState

SNAPSHOT_VERSION = 2
_TEXT_COLUMNS = ("id", "quote", "memo", "prefix", "suffix", "transcript_crc")
_REPEATED_COLUMNS = ("transcript", "code", "source", "at")
_NUMBER_COLUMNS = ("start", "end", "line")


def snapshot_file(cache_dir: Path, coder: str) -> CacheFile:
    return CacheFile(Path(cache_dir) / f"replay-{coder}.json", "replay", SNAPSHOT_VERSION)


def _pieces(st: LogState, meta: dict) -> Iterator[bytes]:
    cs = list(st.codings.values())
    yield json_bytes(meta)[:-1] + b',"state":{"codings":{'
    for i, name in enumerate(_TEXT_COLUMNS):
        yield (b"," if i else b"") + json_bytes(name) + b":"
        yield from json_list_pieces([getattr(c, name) for c in cs])
    for name in _REPEATED_COLUMNS:
        column = [getattr(c, name) for c in cs]
        index = {v: k for k, v in enumerate(dict.fromkeys(column))}
        yield b"," + json_bytes(name) + b":[" + json_bytes(list(index)) + b","
        yield json_bytes(pack_ints(array("I", map(index.__getitem__, column)))) + b"]"
    for name in _NUMBER_COLUMNS:
        yield b"," + json_bytes(name) + b":" + json_bytes(pack_ints(array("q", [getattr(c, name)
                                                                       for c in cs])))
    yield b',"settles":' + json_bytes([[k, c.settles] for k, c in enumerate(cs)
                                   if c.settles is not None])
    yield b"}," + json_bytes({"done": sorted(st.done), "warnings": st.warnings,
                        "memos": [[m.id, m.transcript, m.text, m.target, m.start, m.end, m.at,
                                   m.code] for m in st.memos],
                        "n_events": st.n_events, "last_transcript": st.last_transcript})[1:]
    yield b"}"


def save_snapshot(file: CacheFile, st: LogState, meta: dict) -> None:
    """Write ``st`` with ``meta`` (the fingerprint, size, lines and CRC-32 of the log)."""
    file.save_stream(_pieces(st, meta))


def restore_state(st: LogState, d: dict) -> None:
    """Fill ``st`` from a snapshot's ``state`` (KeyError/TypeError/ValueError/IndexError
    when it is not one)."""
    coder = st.coder
    cols = d["codings"]
    ids = cols["id"]
    n = len(ids)
    text = [cols[name] for name in _TEXT_COLUMNS]
    repeated = []
    for name in _REPEATED_COLUMNS:
        values, index = cols[name]
        repeated.append(list(map(values.__getitem__, unpack_ints("I", index))))
    numbers = [unpack_ints("q", cols[name]).tolist() for name in _NUMBER_COLUMNS]
    settles: list = [None] * n
    for k, obj in cols["settles"]:
        settles[k] = obj
    if any(not isinstance(c, list) or len(c) != n for c in (*text, *repeated, *numbers)):
        raise ValueError("a damaged snapshot")
    _, quotes, memos, prefixes, suffixes, crcs = text
    tids, codes, sources, ats = repeated
    starts, ends, lines = numbers
    st.codings = dict(zip(ids, map(Coding, ids, repeat(coder, n), tids, codes, starts, ends, ats,
                                   sources, quotes, memos, repeat("ok", n), repeat(None, n),
                                   repeat(None, n), settles, lines, prefixes, suffixes, crcs)))
    if len(st.codings) != n:
        raise ValueError("a damaged snapshot")
    st.done = set(d["done"])
    st.memos = [Memo(*m) for m in d["memos"]]
    st.n_events = int(d["n_events"])
    st.last_transcript = d["last_transcript"]
