"""Replay snapshots, ``.workbench/cache/replay-<coder>.json`` (the rule of
:mod:`workbench.cache`): a coder's replayed log kept as columns — one JSON list per field of the
codings; repeated strings (transcript, code, source, time of each coding) as the list of their
values and an index per coding; whole numbers as base64 arrays; a column that is mostly null as
its other rows and their values. Read back in one pass per column, and written in pieces
(:meth:`CacheFile.save_stream`), so that neither way holds the log's size twice in memory.
:mod:`workbench.replay` decides when a snapshot is used."""
from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import compress, repeat
from operator import attrgetter, is_not
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import CacheFile, json_bytes, json_list_pieces, pack_ints, unpack_ints
from .coding import Coding, Memo

if TYPE_CHECKING:
    from .replay import LogState

# 4: a memo keeps its quote, context and transcript CRC; warnings name the log by a
# placeholder (cache.path_free). (3 was each of these alone, on two branches: not read.)
SNAPSHOT_VERSION = 4
_TEXT_COLUMNS = ("quote", "memo", "prefix", "suffix", "transcript_crc", "settles")
_REPEATED_COLUMNS = ("transcript", "code", "source", "at")
_NUMBER_COLUMNS = ("start", "end", "line")


def snapshot_file(cache_dir: Path, coder: str) -> CacheFile:
    return CacheFile(Path(cache_dir) / f"replay-{coder}.json", "replay", SNAPSHOT_VERSION)


def _sparse_or_list(column: list) -> Iterator[bytes]:
    """A column's JSON: the list, or — when most of it is null — the rows that are not (a
    base64 array) and their values."""
    n_present = len(column) - column.count(None)
    if 2 * n_present >= len(column):
        yield from json_list_pieces(column)
        return
    present = list(map(is_not, column, repeat(None))) if n_present else []
    rows = array("I", compress(range(len(column)), present))
    yield b'{"rows":' + json_bytes(pack_ints(rows)) + b',"values":'
    yield from json_list_pieces(list(compress(column, present)))
    yield b"}"


def _column(value, n: int) -> list:
    """A column written by :func:`_sparse_or_list`, as a list of ``n`` values."""
    if isinstance(value, list):
        return value
    rows, values = unpack_ints("I", value["rows"]), value["values"]
    if len(rows) != len(values):
        raise ValueError("a damaged snapshot")
    column: list = [None] * n
    for k, v in zip(rows, values):
        column[k] = v
    return column


def _pieces(st: LogState, meta: dict) -> Iterator[bytes]:
    cs = list(st.codings.values())
    yield json_bytes(meta)[:-1] + b',"state":{"codings":{"id":'
    yield from json_list_pieces(list(st.codings))
    for name in _TEXT_COLUMNS:
        yield b"," + json_bytes(name) + b":"
        yield from _sparse_or_list(list(map(attrgetter(name), cs)))
    for name in _REPEATED_COLUMNS:
        column = list(map(attrgetter(name), cs))
        index = {v: k for k, v in enumerate(dict.fromkeys(column))}
        yield b"," + json_bytes(name) + b":[" + json_bytes(list(index)) + b","
        yield json_bytes(pack_ints(array("I", map(index.__getitem__, column)))) + b"]"
    for name in _NUMBER_COLUMNS:
        yield b"," + json_bytes(name) + b":" + \
            json_bytes(pack_ints(array("q", map(attrgetter(name), cs))))
    yield b"}," + json_bytes({"done": sorted(st.done), "warnings": st.warnings,
                              "memos": [[m.id, m.transcript, m.text, m.target, m.start, m.end,
                                         m.at, m.code, m.quote, m.prefix, m.suffix,
                                         m.transcript_crc] for m in st.memos],
                              "n_events": st.n_events,
                              "last_transcript": st.last_transcript})[1:]
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
    text = [_column(cols[name], n) for name in _TEXT_COLUMNS]
    repeated = []
    for name in _REPEATED_COLUMNS:
        values, index = cols[name]
        repeated.append(list(map(values.__getitem__, unpack_ints("I", index))))
    numbers = [unpack_ints("q", cols[name]).tolist() for name in _NUMBER_COLUMNS]
    if any(not isinstance(c, list) or len(c) != n for c in (ids, *text, *repeated, *numbers)):
        raise ValueError("a damaged snapshot")
    quotes, memos, prefixes, suffixes, crcs, settles = text
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
