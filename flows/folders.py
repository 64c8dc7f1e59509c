"""Every entry under the folders a run is given, each with its fate: a file to read, or an
entry skipped with a reason a person can act on.

Nothing under a folder vanishes from a run's report. Files are taken whatever their name
(intake sniffs the real type from the bytes, so ``scan``, ``x.PDF.bin`` or ``photo.jfif``
are read like ``x.pdf``). Hidden entries (names starting with ``.``) and symbolic links are
skipped and recorded: a link may point outside the folder, and a file reached through it
would be stored and extracted under the folder's tenant. Named pipes, sockets and devices
are never opened (reading a pipe blocks forever). A folder that cannot be listed is
reported, not passed over.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from models.document import DocumentStatus
from models.outcome import SKIPPED, FileStatus

SkipKind = Literal["hidden", "link", "special", "unreadable", "missing"]

# Errors about the server's own storage, not about the file that was being read.
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


@dataclass(frozen=True)
class SkippedEntry:
    """An entry under a folder that is not read, and why."""

    path: Path
    kind: SkipKind
    reason: str  # for the person who put the entry there; names no server path
    # In a run's report: a file Folio could not read is ``rejected`` like any file it cannot
    # take; entries left on purpose (hidden, links) and unreadable folders are ``skipped``.
    status: FileStatus = SKIPPED


@dataclass
class InputScan:
    """The files to read and the entries skipped, in the order found."""

    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)

    def skipped_counts(self) -> dict[str, int]:
        """Skipped entries per kind (``hidden``, ``link``, ``special``, ...)."""
        return dict(Counter(entry.kind for entry in self.skipped))


def os_error_reason(exc: OSError) -> str:
    """What an OSError met while reading a file means for its sender, without the path
    (``exc.filename`` is the server's path and stays in the log)."""
    what = (exc.strerror or type(exc).__name__).lower()
    if exc.errno in _STORAGE_ERRNOS:
        return f"Folio could not store the file ({what}); try again later"
    return f"the file could not be read ({what})"


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file or a folder"


def special_reason(mode: int) -> str:
    """Why an entry that is neither a regular file nor a folder is not read."""
    return f"not a regular file ({_special_kind(mode)}); only files are read"


HIDDEN_FILE = "a hidden file (its name starts with '.'); hidden files are not read"
HIDDEN_FOLDER = "a hidden folder (its name starts with '.'); the files in it are not read"
LINK = "a symbolic link; links are not followed, so the file it points to is not read"


def scan_folder(root: Path, *, exclude: Collection[str] = (), relative_to: Path | None = None) -> InputScan:
    """Every regular file under ``root`` (not following links), and every entry skipped.

    ``exclude``: names of folders directly under ``root`` that are not entered and not
    reported (an inbox's ``done/`` and ``failed/``). Skipped entries carry their path
    relative to ``relative_to`` when given (an inbox reports paths inside itself).
    """
    scan = InputScan()

    def shown(path: Path) -> Path:
        return path.relative_to(relative_to) if relative_to is not None else path

    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            if folder == root:
                raise  # the caller's own folder: its error is the caller's to report
            what = (exc.strerror or type(exc).__name__).lower()
            reason = f"the folder could not be read ({what}); the files in it were not seen"
            scan.skipped.append(SkippedEntry(shown(folder), "unreadable", reason))
            continue
        subfolders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except FileNotFoundError:  # removed while we looked: nothing left to report
                continue
            except OSError as exc:
                scan.skipped.append(
                    SkippedEntry(shown(path), "unreadable", os_error_reason(exc), DocumentStatus.REJECTED)
                )
                continue
            if entry.name.startswith("."):
                reason = HIDDEN_FOLDER if stat.S_ISDIR(mode) else HIDDEN_FILE
                scan.skipped.append(SkippedEntry(shown(path), "hidden", reason))
            elif stat.S_ISLNK(mode):
                scan.skipped.append(SkippedEntry(shown(path), "link", LINK))
            elif stat.S_ISDIR(mode):
                if not (folder == root and entry.name in exclude):
                    subfolders.append(path)
            elif stat.S_ISREG(mode):
                scan.files.append(path)
            else:
                scan.skipped.append(
                    SkippedEntry(shown(path), "special", special_reason(mode), DocumentStatus.REJECTED)
                )
        stack.extend(reversed(subfolders))  # depth first, in name order
    return scan


def scan_inputs(paths: Iterable[Path]) -> InputScan:
    """The files a run reads from ``paths``: a file named explicitly is read whatever its
    name (a link named explicitly is followed: the caller chose it); a folder is scanned
    with :func:`scan_folder`. Missing paths and special files are ``rejected`` entries.
    """
    scan = InputScan()
    for path in paths:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            dangling = path.is_symlink()
            reason = "no such file (a link to a file that does not exist)" if dangling else "no such file"
            scan.skipped.append(SkippedEntry(path, "missing", reason, DocumentStatus.REJECTED))
            continue
        except OSError as exc:
            scan.skipped.append(
                SkippedEntry(path, "unreadable", os_error_reason(exc), DocumentStatus.REJECTED)
            )
            continue
        if stat.S_ISDIR(mode):
            try:
                found = scan_folder(path)
            except OSError as exc:
                what = (exc.strerror or type(exc).__name__).lower()
                scan.skipped.append(
                    SkippedEntry(path, "unreadable", f"the folder could not be read ({what})")
                )
                continue
            scan.files.extend(found.files)
            scan.skipped.extend(found.skipped)
        elif stat.S_ISREG(mode):
            scan.files.append(path)
        else:
            scan.skipped.append(SkippedEntry(path, "special", special_reason(mode), DocumentStatus.REJECTED))
    return scan
