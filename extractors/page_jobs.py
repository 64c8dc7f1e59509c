"""The jobs a render worker process runs, as small picklable records.

They cross the process boundary, so they hold plain values only (paths, numbers, the
limits taken from ``Settings``), never open files or the settings object itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.settings import Settings
from models.document import FileKind
from models.page import PreparedPage

RenderMode = Literal["always", "when_needed", "never"]

# Asks the render pool for this many bytes before a large decode; returns once granted.
Reserve = Callable[[int], None]


def no_reserve(nbytes: int) -> None:
    """A ``Reserve`` that asks no one (a runner outside a pool, tests)."""


@dataclass(frozen=True)
class RenderSpec:
    """The limits and sizes page preparation needs, copied from ``Settings``."""

    dpi: float
    tile_size: int
    max_tiles: int
    jpeg_quality: int
    max_page_pixels: int
    max_page_decode_bytes: int = 256 * 1024 * 1024
    # The tile budget's floor for the model image a page sent as an image gets beside its
    # prepared one (``PreparedPage.model_image``, ``extractors.tile_budget``); 0: none made.
    model_image_floor_px: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, *, model_images: bool = False) -> RenderSpec:
        """The spec for ``settings``. ``model_images``: the run's engine sends page images
        (llama), so each page sent as one also gets its tile-budget copy, made in the worker."""
        return cls(
            dpi=settings.pages.render_dpi,
            tile_size=settings.pages.tile_size,
            max_tiles=settings.pages.max_tiles,
            jpeg_quality=settings.pages.jpeg_quality,
            max_page_pixels=settings.intake.max_page_pixels,
            max_page_decode_bytes=settings.intake.max_page_decode_bytes,
            model_image_floor_px=settings.pages.tile_text_floor_px if model_images else 0.0,
        )


@dataclass(frozen=True)
class InspectJob:
    """Open a file and count its pages; raises the ``BadInputError`` that fits."""

    path: Path
    kind: FileKind
    password: str | None
    spec: RenderSpec


@dataclass(frozen=True)
class InspectResult:
    """What :class:`InspectJob` found."""

    page_count: int
    encrypted: bool
    repaired: bool = False  # PyMuPDF had to rebuild a damaged cross-reference table


@dataclass(frozen=True)
class PageJob:
    """Prepare one page (1-based ``page_number``); answers a ``PreparedPage``, failed or not."""

    path: Path
    kind: FileKind
    password: str | None
    page_number: int
    render: RenderMode
    spec: RenderSpec


@dataclass(frozen=True)
class SleepJob:
    """Sleep, then answer an empty ``PreparedPage``. For tests of the per-page time limit."""

    page_number: int
    seconds: float


@dataclass(frozen=True)
class CrashJob:
    """Kill the worker with SIGSEGV, as a crashing native library would. For tests only."""

    page_number: int


PageLikeJob = PageJob | SleepJob | CrashJob
WorkerJob = InspectJob | PageLikeJob


def failed_page(page_number: int, code: str, message: str, *, prepare_ms: float = 0.0) -> PreparedPage:
    """The ``PreparedPage`` that stands for a page that could not be prepared."""
    return PreparedPage(page_number=page_number, error_code=code, error=message, prepare_ms=prepare_ms)
