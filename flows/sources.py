"""Where batch files come from: the ``Source`` protocol and its local inbox folder.

A source lists the files it holds, hands one over as a local path for intake, and marks a
file done or failed once its document has ended. Which files are new is not the source's
business: the ``source_files`` table remembers every file by (source, path, size, mtime),
so a source can be a plain folder or a bucket without state of its own.

An S3-compatible bucket would implement it as: ``name`` = ``s3://bucket/prefix``;
``scan`` = ListObjectsV2 under the prefix (key, Size, LastModified as ``mtime_ns``),
skipping objects younger than the settle time; ``fetch`` = GetObject into a temporary
file (checking the ETag/size against the listing); ``mark_done`` / ``mark_failed`` =
CopyObject to ``done/`` or ``failed/`` then DeleteObject (``after="move"``), or a tag /
nothing (``after="keep"``).
"""

from __future__ import annotations

import shutil
import stat
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from core.errors import BadInputError, ConfigurationError
from flows.folders import scan_folder
from models.outcome import SKIPPED, FileStatus

AfterAction = Literal["move", "keep"]

# Subfolders of an inbox where ended files go (never scanned).
DONE_DIR = "done"
FAILED_DIR = "failed"


@dataclass(frozen=True)
class SourceItem:
    """One file as the source listed it."""

    path: str  # inside the source: a relative path with '/' separators, or an object key
    size_bytes: int
    mtime_ns: int


@dataclass(frozen=True)
class SourceSkip:
    """An entry of the source that is not read (hidden, a link, not a regular file, an
    unreadable folder), with the reason its owner reads."""

    path: str  # inside the source, as SourceItem.path
    kind: str  # hidden, link, special, unreadable
    reason: str
    status: FileStatus = SKIPPED


@dataclass(frozen=True)
class SourceScan:
    """What one scan found: files ready to ingest, how many were skipped as unsettled, and
    the entries that are not read at all."""

    items: list[SourceItem]
    unsettled: int
    skipped: list[SourceSkip] = field(default_factory=list)


class SourceChangedError(BadInputError):
    """The file changed (or vanished) between the scan and the read: try again next scan."""

    code = "source_changed"


class Source(Protocol):
    """A place batch files come from (a folder now; an S3-compatible bucket later)."""

    @property
    def name(self) -> str:
        """Stable identity of the source, e.g. ``inbox:/srv/inbox`` (the bookkeeping key)."""
        ...

    def scan(self) -> SourceScan:
        """The files present now whose writing has settled (new or not)."""
        ...

    def location(self, path: str) -> str:
        """Where a person finds the file (a full path or URL), for reports."""
        ...

    def fetch(self, item: SourceItem) -> AbstractContextManager[Path]:
        """A context manager yielding a local path to the file's bytes (SourceChangedError if
        it no longer matches the listing)."""
        ...

    def mark_done(self, item: SourceItem) -> None:
        """The file's document ended well (done, partial, needs_review)."""
        ...

    def mark_failed(self, item: SourceItem, reason: str) -> None:
        """The file ended badly (rejected, failed, blocked, unreadable), with why."""
        ...


class LocalInbox:
    """A folder: every regular file under it, whatever its name (intake sniffs the bytes);
    hidden entries, symbolic links and special files are skipped and reported (a link could
    lead outside the inbox, to a file that must not be stored under the inbox's tenant);
    done/ and failed/ are excluded.

    ``after="move"`` moves ended files to ``done/`` or ``failed/`` (same relative path; a
    ``.reason.txt`` beside each failed one); ``after="keep"`` leaves them where they are,
    remembered by the bookkeeping table. Files modified less than ``settle_s`` seconds ago
    are skipped until a later scan (they may still be being written).
    """

    def __init__(self, root: Path, *, after: AfterAction = "move", settle_s: float = 10.0) -> None:
        self.root = root.resolve()
        self.after: AfterAction = after
        self.settle_s = settle_s

    @property
    def name(self) -> str:
        """``inbox:<absolute folder>``."""
        return f"inbox:{self.root}"

    def scan(self) -> SourceScan:
        """Regular files under the folder, oldest first, without the unsettled ones; and the
        entries that are not read."""
        if not self.root.is_dir():
            raise ConfigurationError(f"the inbox {self.root} is not a folder")
        try:
            found = scan_folder(self.root, exclude=_ENDED, relative_to=self.root)
        except OSError as exc:
            raise ConfigurationError(
                f"the inbox {self.root} cannot be read ({(exc.strerror or str(exc)).lower()})"
            ) from None
        newest_allowed = time.time_ns() - int(self.settle_s * 1e9)
        items: list[SourceItem] = []
        unsettled = 0
        for path in found.files:
            try:
                info = path.lstat()
            except FileNotFoundError:  # removed while we looked
                continue
            if info.st_mtime_ns > newest_allowed:
                unsettled += 1
                continue
            relative = path.relative_to(self.root).as_posix()
            items.append(SourceItem(relative, info.st_size, info.st_mtime_ns))
        items.sort(key=lambda item: (item.mtime_ns, item.path))
        # In an inbox, entries that are not read stay where they are: all are "skipped".
        skipped = [SourceSkip(e.path.as_posix(), e.kind, e.reason) for e in found.skipped]
        return SourceScan(items=items, unsettled=unsettled, skipped=skipped)

    def location(self, path: str) -> str:
        """The file's absolute path."""
        return str(self.root / path)

    @contextmanager
    def fetch(self, item: SourceItem) -> Iterator[Path]:
        """The file itself (no copy), if it is still what the scan saw."""
        path = self.root / item.path
        try:
            info = path.lstat()  # never through a link, even one swapped in since the scan
        except FileNotFoundError:
            raise SourceChangedError(f"{item.path} vanished before it was read") from None
        if not stat.S_ISREG(info.st_mode):
            raise SourceChangedError(f"{item.path} is no longer a regular file; it is looked at next time")
        if (info.st_size, info.st_mtime_ns) != (item.size_bytes, item.mtime_ns):
            raise SourceChangedError(f"{item.path} changed after the scan; it is read next time")
        yield path

    def mark_done(self, item: SourceItem) -> None:
        """Move to ``done/`` (``after="move"``)."""
        if self.after == "move":
            self._move(item, DONE_DIR)

    def mark_failed(self, item: SourceItem, reason: str) -> None:
        """Move to ``failed/`` with a ``.reason.txt`` beside it (``after="move"``)."""
        if self.after == "move":
            target = self._move(item, FAILED_DIR)
            if target is not None:
                target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")

    def _move(self, item: SourceItem, folder: str) -> Path | None:
        source = self.root / item.path
        if not source.exists():  # moved already (a rerun after a crash): nothing to do
            return None
        target = self.root / folder / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # an older file of the same name ended there: keep both
            target = target.with_name(f"{target.stem}.{item.mtime_ns}{target.suffix}")
        shutil.move(source, target)
        return target


_ENDED = frozenset({DONE_DIR, FAILED_DIR})
