"""What a document is and which states it can be in."""

from __future__ import annotations

from enum import StrEnum


class DocumentStatus(StrEnum):
    """Lifecycle of a document; every file ends in one of the final states with a reason."""

    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    PARTIAL = "partial"  # some pages failed, the rest is kept
    NEEDS_REVIEW = "needs_review"  # extracted, but a rule or confidence asks for a person
    FAILED = "failed"  # retries exhausted; can be retried
    BLOCKED = "blocked"  # licence or budget policy said no
    REJECTED = "rejected"  # bad input

    @property
    def is_final(self) -> bool:
        return self not in (DocumentStatus.QUEUED, DocumentStatus.PROCESSING)


class FileKind(StrEnum):
    """The real type of a file, sniffed from its bytes (never from its name)."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"
    WEBP = "webp"
    GIF = "gif"
    BMP = "bmp"
    HEIC = "heic"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def is_image(self) -> bool:
        return self is not FileKind.PDF


_MEDIA_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
    FileKind.TIFF: "image/tiff",
    FileKind.WEBP: "image/webp",
    FileKind.GIF: "image/gif",
    FileKind.BMP: "image/bmp",
    FileKind.HEIC: "image/heic",
}
