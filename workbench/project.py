"""A project is a folder: ``workbench.toml``, ``codebooks/``, ``transcripts/``, ``codings/``,
``exports/``. :class:`Project` is the facade every command and screen starts from: the settings,
the codebook, the transcripts (through :mod:`workbench.catalog`), the coders' logs (through
:mod:`workbench.codinglog`) and, the one path to them, each coder's *current* codings
(:meth:`Project.codings`: re-anchored by :mod:`workbench.anchoring`). Tables of them are built by
:mod:`workbench.frames`; new projects by :mod:`workbench.scaffold`.

Derived state lives in ``.workbench/`` (safe to delete, rebuilt on demand; see
:mod:`workbench.cache`).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from . import frames
from .anchoring import selector
from .catalog import ATTRIBUTES_FILE, Catalog, TranscriptInfo
from .codebook import Codebook
from .coding import UNPLACED, Coding, Memo
from .codinglog import CodingLog
from .config import CONSENSUS, ProjectConfig, SuggestConfig, load_config, validate_coder
from .errors import LogError, ProjectError
from .paths import PROJECT_FILE, state_dir
from .reanchor import current_by_transcript, current_codings, current_memos
from .replay import LogState, replay
from .scaffold import init_project
from .transcripts import Transcript

if TYPE_CHECKING:
    import pandas as pd

    from .arrays import SegmentArrays

__all__ = ["Project", "ProjectConfig", "SuggestConfig", "TranscriptInfo", "Coding", "CONSENSUS",
           "UNPLACED", "ATTRIBUTES_FILE", "init_project", "validate_coder", "load_config"]


class Project:
    """An open project folder. Cheap to open: transcripts are parsed on demand."""

    def __init__(self, root: Path, config: ProjectConfig):
        self.root = root
        self.config = config
        self._codebook: Codebook | None = None
        self._catalog = Catalog(root, config.interviewer_speakers, state_dir(root))
        self._states: dict[str, tuple[tuple | None, LogState]] = {}
        self._segment_arrays: tuple[object, SegmentArrays] | None = None
        self.warnings: list[str] = []

    # ---- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike) -> Project:
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise ProjectError("no such folder", file=root,
                               hint="give the path of a project folder, or create one with "
                                    "'workbench init'")
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
        raise ProjectError(f"codebooks/ holds {len(files)} codebooks and workbench.toml names "
                           "none", file=self.root / PROJECT_FILE,
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
    def catalog(self, refresh: bool = False) -> dict[str, TranscriptInfo]:
        """id → TranscriptInfo for every transcript (cached in ``.workbench/catalog.json``)."""
        return self._catalog.infos(refresh)

    def transcript_ids(self) -> list[str]:
        return list(self.catalog())

    def prefetch_catalog(self) -> bool:
        """Start reading the catalog in the background where that pays (many files to parse:
        worker processes parse them; :meth:`Catalog.prefetch`), for commands that read logs
        before they need the transcripts. Whether it did."""
        return self._catalog.prefetch()

    def cancel_prefetch(self) -> None:
        """Stop the background reading :meth:`prefetch_catalog` started (on an error)."""
        self._catalog.cancel_prefetch()

    def info(self, tid: str) -> TranscriptInfo:
        return self._catalog.info(tid)

    def transcript(self, tid: str) -> Transcript:
        return self._catalog.transcript(tid)

    def text(self, tid: str) -> str:
        """The normalized text of a transcript (txt/md read without segmenting)."""
        return self._catalog.text(tid)

    def checked_text(self, tid: str) -> str:
        """:meth:`text`, made sure to be the text the catalog read (TranscriptError when the
        file was changed on disk since): what offsets taken from the catalog are in."""
        return self._catalog.checked_text(tid)

    def transcripts(self) -> Iterator[Transcript]:
        for tid in self.catalog():
            yield self.transcript(tid)

    def transcript_files(self) -> list[Path]:
        return [self.root / rel for rel, _ in self._catalog.scan()]

    def attribute_table(self) -> dict[str, dict[str, str]]:
        """Attributes from ``transcripts/attributes.csv`` by transcript id or file name."""
        return self._catalog.attribute_table()

    def segment_arrays(self) -> SegmentArrays:
        """The catalog's segments as flat numpy arrays (kept until the catalog is refreshed)."""
        from .arrays import SegmentArrays
        cat = self.catalog()
        if self._segment_arrays is None or self._segment_arrays[0] is not cat:
            self._segment_arrays = (cat, SegmentArrays(list(cat.values())))
        return self._segment_arrays[1]

    # ---- coding logs -------------------------------------------------------------------------
    def coders(self) -> list[str]:
        """Coders with a log (``codings/<coder>.jsonl``), sorted; ``consensus`` included."""
        if not self.codings_dir.is_dir():
            return []
        return sorted(p.stem for p in self.codings_dir.glob("*.jsonl"))

    def log_path(self, coder: str) -> Path:
        return self.codings_dir / f"{validate_coder(coder)}.jsonl"

    def log(self, coder: str, timeout: float = 0.0) -> CodingLog:
        """Open ``codings/<coder>.jsonl`` for appending (holds the coder's lock; the file is
        created by the first event)."""
        return CodingLog(self.log_path(coder), timeout=timeout)

    def log_file(self, coder: str) -> Path:
        """The path of an existing coder's log (or where it would be): LogError for a log that
        is a symbolic link, UsageError for a name that could leave codings/."""
        return self._existing_log(coder)

    def _existing_log(self, coder: str) -> Path:
        # an existing log is read whatever its name (coders() lists every codings/*.jsonl); only
        # names that could leave codings/ go through validation
        path = self.codings_dir / f"{coder}.jsonl"
        if not coder or "/" in coder or "\\" in coder or coder.startswith(".") \
                or not (path.is_file() or path.is_symlink()):
            path = self.log_path(coder)  # validates the name; the log may not exist yet
        if path.is_symlink():
            raise LogError("a coding log may not be a symbolic link", file=path,
                           hint="replace the link by the log file itself")
        return path

    def state(self, coder: str) -> LogState:
        """A coder's log replayed (kept until the file changes)."""
        path = self._existing_log(coder)
        try:
            st = path.stat()
            sig: tuple | None = (st.st_size, st.st_mtime_ns, st.st_ino)
        except FileNotFoundError:
            sig = None
        hit = self._states.get(coder)
        if hit and hit[0] == sig and sig is not None:
            return hit[1]
        state = replay(path, coder, cache_dir=self.state_dir / "cache")
        self._states[coder] = (sig, state)
        return state

    def coding_fields(self, tid: str, start: int, end: int, text: str | None = None) -> dict:
        """What a new ``code`` event records about its text so that it can be found again when
        the transcript is edited: ``quote``, ``prefix``, ``suffix`` (:func:`anchoring.selector`)
        and ``transcript_crc``. Every writer of codings adds these. ``text``: the text the
        offsets are in (a screen's); by default the transcript as the catalog read it
        (TranscriptError when the file was changed since: the offsets are not in it)."""
        if text is None:
            text = self.checked_text(tid)
        return {**selector(text, start, end), "transcript_crc": self.info(tid).crc}

    def codings(self, coder: str, tid: str | None = None) -> list[Coding]:
        """The coder's current codings: ``code`` resolved through codebook merges
        (``original_code`` as logged), offsets re-anchored to the transcript as it is now,
        ``status``, ``confidence`` and ``segment`` filled in; sorted by transcript and position.
        New objects on every call."""
        return current_codings(self, coder, tid)

    def memos(self, coder: str) -> list[Memo]:
        """The coder's memos in log order; a memo on a span placed in its transcript as it is
        now (offsets moved with its quote and context, a ``status`` as codings have: see
        :class:`Memo`). New objects for the memos on spans."""
        return current_memos(self, coder)

    def codings_by_transcript(self, coder: str) -> Iterator[tuple[str, list[Coding]]]:
        """:meth:`codings` one transcript at a time (transcript id, its codings), in the same
        order: for summaries of large projects, which need not hold every coding at once."""
        return current_by_transcript(self, coder)

    # ---- tables ------------------------------------------------------------------------------
    def codings_frame(self, coders: list[str] | None = None) -> pd.DataFrame:
        return frames.codings_frame(self, coders)

    def attributes_frame(self) -> pd.DataFrame:
        return frames.attributes_frame(self)

    def done_frame(self, coders: list[str] | None = None) -> pd.DataFrame:
        return frames.done_frame(self, coders)

    def status_frame(self) -> pd.DataFrame:
        return frames.status_frame(self)
