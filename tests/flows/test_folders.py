"""Walking the folders a run is given: every entry is a file to read or a skipped entry with
a reason; links are never followed, special files never opened."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import Settings
from flows.folders import os_error_reason, scan_folder, scan_inputs

READ = ["a.pdf", "scan", "x.PDF.bin", "photo.jfif", "notes.txt", "sub/b.png", "sub/deeper/c"]


def _tree(root: Path, outside: Path) -> None:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".cache").mkdir()
    for name in READ:
        (root / name).write_bytes(b"bytes of " + name.encode())
    (root / ".hidden.pdf").write_bytes(b"%PDF-1.4 hidden")
    (root / ".cache" / "inside.pdf").write_bytes(b"%PDF-1.4 in a hidden folder")
    outside.write_bytes(b"%PDF-1.4 another tenant's file")
    (root / "link.pdf").symlink_to(outside)
    (root / "sub" / "dangling.pdf").symlink_to(root / "gone.pdf")
    (root / "sub" / "folder-link").symlink_to(outside.parent, target_is_directory=True)
    os.mkfifo(root / "pipe.pdf")


def test_every_entry_is_read_or_skipped_with_a_reason(tmp_path: Path):
    root, outside = tmp_path / "inbox", tmp_path / "elsewhere" / "secret.pdf"
    outside.parent.mkdir()
    _tree(root, outside)

    scan = scan_folder(root)

    read = sorted(p.relative_to(root).as_posix() for p in scan.files)
    assert read == sorted(
        ["a.pdf", "scan", "x.PDF.bin", "photo.jfif", "notes.txt", "sub/b.png", "sub/deeper/c"]
    )
    skipped = {e.path.relative_to(root).as_posix(): e for e in scan.skipped}
    assert {name: e.kind for name, e in skipped.items()} == {
        ".hidden.pdf": "hidden",
        ".cache": "hidden",
        "link.pdf": "link",
        "sub/dangling.pdf": "link",
        "sub/folder-link": "link",
        "pipe.pdf": "special",
    }
    assert skipped["pipe.pdf"].status == "rejected" and "named pipe" in skipped["pipe.pdf"].reason
    assert all(e.status == "skipped" for n, e in skipped.items() if n != "pipe.pdf")
    assert all(e.reason and str(tmp_path) not in e.reason for e in scan.skipped)
    assert scan.skipped_counts() == {"hidden": 2, "link": 3, "special": 1}
    # Nothing outside the folder is reached, through a file link or a folder link.
    assert not any(outside.parent in p.parents for p in scan.files)


def test_an_inbox_reports_paths_inside_itself_and_leaves_its_ended_folders(tmp_path: Path):
    root = tmp_path / "inbox"
    (root / "done").mkdir(parents=True)
    (root / "failed").mkdir()
    (root / "done" / "old.pdf").write_bytes(b"%PDF")
    (root / "failed" / ".x").write_bytes(b"x")
    (root / "deep" / "done").mkdir(parents=True)  # only the top-level ones are excluded
    (root / "deep" / "done" / "new.pdf").write_bytes(b"%PDF")
    (root / ".secret").write_bytes(b"x")

    scan = scan_folder(root, exclude={"done", "failed"}, relative_to=root)

    assert [p.relative_to(root).as_posix() for p in scan.files] == ["deep/done/new.pdf"]
    assert [(e.path.as_posix(), e.kind) for e in scan.skipped] == [(".secret", "hidden")]


def test_an_unreadable_folder_is_reported_not_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Tests run as root, where permission bits do not stop reads: the listing of one
    # folder fails the way it fails for a user without the permission.
    root = tmp_path / "inbox"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "a.pdf").write_bytes(b"%PDF")
    (root / "open.pdf").write_bytes(b"%PDF")
    real = os.scandir

    def scandir(path: os.PathLike[str] | str) -> os.ScandirIterator[str]:
        if Path(path) == root / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    scan = scan_folder(root)
    assert scan.files == [root / "open.pdf"]
    [entry] = scan.skipped
    assert entry.path == root / "locked" and entry.kind == "unreadable"
    assert "permission denied" in entry.reason and str(tmp_path) not in entry.reason


def test_paths_named_explicitly(tmp_path: Path):
    named = tmp_path / ".hidden-but-named.pdf"
    named.write_bytes(b"%PDF")
    link = tmp_path / "named-link.pdf"
    link.symlink_to(named)
    dangling = tmp_path / "dangling.pdf"
    dangling.symlink_to(tmp_path / "nowhere.pdf")
    os.mkfifo(tmp_path / "fifo")

    scan = scan_inputs([named, link, tmp_path / "missing.pdf", dangling, tmp_path / "fifo"])

    # A path the caller named is read even when hidden, and a link they named is followed.
    assert scan.files == [named, link]
    assert [(e.path.name, e.kind, e.status) for e in scan.skipped] == [
        ("missing.pdf", "missing", "rejected"),
        ("dangling.pdf", "missing", "rejected"),
        ("fifo", "special", "rejected"),
    ]
    assert scan.skipped[0].reason == "no such file"


def test_os_errors_become_reasons_without_the_path():
    denied = PermissionError(13, "Permission denied", "/srv/inbox/a.pdf")
    assert os_error_reason(denied) == "the file could not be read (permission denied)"
    full = OSError(28, "No space left on device", "/srv/blobs/tmp")
    assert "Folio could not store the file" in os_error_reason(full) and "/srv" not in os_error_reason(full)


def test_intake_refuses_a_named_pipe_without_opening_it(settings: Settings, tmp_path: Path):
    # Opening a pipe for reading blocks until a writer comes: intake must not try.
    from core.errors import UnsupportedTypeError
    from flows.intake import register_file
    from storage.blobs import BlobStore
    from storage.database import make_engine, make_session_factory
    from storage.migrate import upgrade

    upgrade(settings)
    pipe = tmp_path / "upload.pdf"
    os.mkfifo(pipe)
    engine = make_engine(settings)
    try:
        with pytest.raises(UnsupportedTypeError, match="named pipe"):
            register_file(
                pipe,
                settings=settings,
                sessions=make_session_factory(engine),
                blobs=BlobStore(settings.storage.blob_dir),
                tenant="acme",
                schema_name="invoice",
            )
    finally:
        engine.dispose()
