"""``folio eval export``: documents a person reviewed become a golden set that ``folio eval``
reads, so every correction also measures the next engine, model or setting.

For each approved (reviewed ``done``) document the original file is copied from the blob
store and its current extraction (with the person's corrections) is written beside it as
the truth, ``NAME.json``, in the schema's own value form (amounts as numbers, dates in ISO
8601: a golden set needs no date order). Documents go to one folder per schema, each with a
``_golden.json`` naming the schema, so ``folio eval OUT/invoice`` runs without options.
Nothing in the database changes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from flows.evaluation import GOLDEN_MANIFEST
from models.document import FileKind
from models.extraction import DocumentExtraction
from storage import repository as repo
from storage.blobs import BlobStore

_EXTENSIONS = {
    FileKind.PDF: ".pdf",
    FileKind.PNG: ".png",
    FileKind.JPEG: ".jpg",
    FileKind.TIFF: ".tif",
    FileKind.WEBP: ".webp",
    FileKind.GIF: ".gif",
    FileKind.BMP: ".bmp",
    FileKind.HEIC: ".heic",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class ExportSummary:
    """What an export wrote: documents per schema folder, and what it could not write."""

    written: dict[str, int] = field(default_factory=dict)  # schema -> documents
    skipped: list[str] = field(default_factory=list)  # "<id>: why"

    @property
    def total(self) -> int:
        return sum(self.written.values())


def golden_name(document_id: str, file_name: str, kind: FileKind | None) -> str:
    """``<file stem>-<id prefix><ext>``: readable, unique, and a suffix ``folio eval`` reads."""
    stem = _UNSAFE.sub("_", Path(file_name).stem).strip("._")[:80] or "document"
    extension = _EXTENSIONS.get(kind, ".pdf") if kind is not None else ".pdf"
    return f"{stem}-{document_id[:8]}{extension}"


def _write_manifest(folder: Path, schema_name: str) -> None:
    manifest = {"schema": schema_name, "description": "Reviewed documents exported by folio eval export."}
    (folder / GOLDEN_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def export_reviewed(
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    *,
    out: Path,
    tenant_id: int | None = None,
    since: dt.datetime | None = None,
) -> ExportSummary:
    """Write every reviewed document (of ``tenant_id``; reviewed at or after ``since``) and
    its truth under ``out/<schema>/``; a document whose file is gone is skipped and listed."""
    summary = ExportSummary()
    with sessions() as session:
        documents = repo.reviewed_documents(session, tenant_id=tenant_id, since=since)
        for document in documents:
            current = repo.current_extraction(session, document.id)
            if current is None or not blobs.exists(document.sha256):
                why = "no extraction" if current is None else "its file is no longer in the blob store"
                summary.skipped.append(f"{document.id}: {why}")
                continue
            truth = DocumentExtraction.model_validate(current.result).values()
            folder = out / document.schema_name
            if document.schema_name not in summary.written:
                folder.mkdir(parents=True, exist_ok=True)
                _write_manifest(folder, document.schema_name)
                summary.written[document.schema_name] = 0
            target = folder / golden_name(document.id, document.file_name, document.kind)
            with blobs.open(document.sha256) as source, target.open("wb") as copy:
                shutil.copyfileobj(source, copy)
            truth_text = json.dumps({**truth, "_document_id": document.id}, indent=2, ensure_ascii=False)
            target.with_suffix(".json").write_text(truth_text + "\n", encoding="utf-8")
            summary.written[document.schema_name] += 1
    return summary
