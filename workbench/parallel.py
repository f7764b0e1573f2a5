"""Work spread over the machine's cores: :func:`map_in_processes` runs a function over many
jobs in worker processes (forked, so that they start in milliseconds and import nothing), for
bulk work that is all computation and whose results are small (the cold catalog's parsing).

The number of processes is the number of cores this process may use, at most
:data:`MAX_PROCESSES`; ``WORKBENCH_PROCESSES=1`` in the environment keeps everything in one
process (``WORKBENCH_PROCESSES=N`` asks for N). Where processes cannot be forked safely — no
``fork`` on the platform, or other threads running in this process (the terminal app), whose
locks a forked child could inherit held — nothing runs in parallel, and the caller does the work
itself. What the workers give back must be the same as the caller's own computation: they run
the same code.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

MAX_PROCESSES = 4
T = TypeVar("T")
R = TypeVar("R")


def processes() -> int:
    """How many processes bulk work may use (1: none besides this one)."""
    asked = os.environ.get("WORKBENCH_PROCESSES", "").strip()
    if asked:
        try:
            return max(1, int(asked))
        except ValueError:
            pass    # not a number: as if unset
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:      # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


class ProcessMap:
    """Results of :func:`map_in_processes` being computed: iterate to have them, in the order of
    the jobs (the workers start at once and go on while this process does other work);
    :meth:`close` stops the workers. A worker that dies (killed, out of memory) makes the
    iteration raise ``BrokenProcessPool`` at once, never wait forever."""

    def __init__(self, pool, results: Iterator):
        self._pool = pool
        self._results = results

    def __iter__(self) -> Iterator:
        try:
            yield from self._results
        finally:
            self.close()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    proc.terminate()     # a job under way is not waited for
            pool.shutdown(wait=True, cancel_futures=True)   # its threads end too


def _worker_start() -> None:
    """In a worker: Ctrl-C is for the command, which stops the workers itself (otherwise each
    worker would print a traceback of its own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def map_in_processes(fn: Callable[[T], R], jobs: Sequence[T],
                     workers: int | None = None) -> ProcessMap | None:
    """``fn`` over ``jobs`` in worker processes, started now; None when the work should stay in
    this process (one process allowed, no safe ``fork``, or the processes could not be
    started). ``workers``: how many (default :func:`processes`, and then at least two, or the
    caller, which waits for them, might as well do the work; a caller that goes on with other
    work meanwhile asks for ``processes() - 1``, one may be worth it). ``fn`` must be a
    module-level function; an exception it raises is raised where the results are iterated
    (catch inside ``fn`` what the caller should decide)."""
    n = min(processes() if workers is None else workers, len(jobs))
    if n < (2 if workers is None else 1) or processes() < 2 or not can_fork():
        return None
    try:
        pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_worker_start)
        results = pool.map(fn, jobs)
    except OSError:
        return None     # no processes to be had (limits): the caller works alone
    return ProcessMap(pool, results)
