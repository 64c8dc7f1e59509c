"""Image files as pages with Pillow: bomb guard, EXIF orientation, odd modes, frames, HEIC.

Runs inside render worker processes. Every frame of a multi-frame TIFF, GIF or WebP is a
page. Images have no text layer: each page is EMPTY text, routed as IMAGE.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import CorruptDocumentError, DecompressionBombError, UnsupportedTypeError
from extractors.page_jobs import InspectResult, RenderMode, RenderSpec
from extractors.tokens import fit_tile_grid, image_tokens
from models.document import FileKind
from models.page import PageImage, PageRoute, PreparedPage, TextQuality, TileGrid

# Decode each file only as the format its bytes were sniffed as, so a polyglot file is
# never read as something else by Pillow's own format detection.
_PILLOW_FORMATS = {
    FileKind.PNG: "PNG",
    FileKind.JPEG: "JPEG",
    FileKind.TIFF: "TIFF",
    FileKind.WEBP: "WEBP",
    FileKind.GIF: "GIF",
    FileKind.BMP: "BMP",
    FileKind.HEIC: "HEIF",
}
_EXIF_ORIENTATION = 0x0112
_SWAPS_SIDES = frozenset({5, 6, 7, 8})  # orientations that rotate by 90 or 270 degrees
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


@functools.cache
def _heif_available() -> bool:
    """Register the HEIF opener once per process; False when pillow-heif is missing."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


@contextmanager
def _own_pixel_check() -> Iterator[None]:
    # Pillow's bomb guard is a module attribute that raises with the pixel count only. For
    # the duration of one call (a worker runs one job at a time) it is replaced by
    # _check_size, run on the declared size at open and at every frame, before any pixel
    # is decoded, so the message can say what the file declared and what the limit is.
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _check_size(image: Image.Image, limit: int) -> None:
    width, height = image.size
    if width * height > limit:
        raise DecompressionBombError(
            f"the image declares {width:,} x {height:,} = {width * height:,} pixels; the "
            f"limit is {limit:,} (FOLIO_MAX_PAGE_PIXELS), so it was not decoded"
        )


def _open(path: Path, kind: FileKind, spec: RenderSpec) -> Image.Image:
    if kind is FileKind.HEIC and not _heif_available():
        raise UnsupportedTypeError("HEIC images need the pillow-heif package, not installed here")
    try:
        image = Image.open(path, formats=[_PILLOW_FORMATS[kind]])
    except UnidentifiedImageError:
        raise CorruptDocumentError(
            f"the file starts like a {kind.value.upper()} image but cannot be decoded as one"
        ) from None
    except _DECODE_ERRORS as exc:
        raise CorruptDocumentError(f"the image is damaged ({exc})") from None
    _check_size(image, spec.max_page_pixels)
    return image


def inspect_image(path: Path, kind: FileKind, spec: RenderSpec) -> InspectResult:
    """Count an image's frames and check the first one decodes (truncation, bombs)."""
    with _own_pixel_check(), _open(path, kind, spec) as image:
        frames = getattr(image, "n_frames", 1)
        try:
            if kind is FileKind.PNG:
                image.verify()  # checks every chunk and CRC without inflating the pixels
            else:
                if kind is FileKind.JPEG:
                    # Decoding at 1/8 scale still reads every byte of the scan: cheap and
                    # enough to find a truncated file.
                    image.draft(None, (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
        except _DECODE_ERRORS as exc:
            raise CorruptDocumentError(f"the image is truncated or damaged ({exc})") from None
    return InspectResult(page_count=frames, encrypted=False)


def _flatten_alpha(image: Image.Image) -> Image.Image:
    gray = image.mode in ("LA", "La")
    rgba = image.convert("LA" if gray else "RGBA")
    background = Image.new("L" if gray else "RGB", rgba.size, 255 if gray else (255, 255, 255))
    background.paste(rgba.convert(background.mode), mask=rgba.getchannel("A"))
    return background


def _high_bit_depth_to_l(image: Image.Image) -> Image.Image:
    pixels = np.asarray(image)
    if image.mode.startswith("I;16"):
        scaled = (pixels.astype(np.uint16) >> 8).astype(np.uint8)
    else:  # "I" (32-bit integer) or "F": stretch whatever range is used onto 0..255
        low, high = float(pixels.min()), float(pixels.max())
        if high <= 255 and low >= 0:
            scaled = pixels.astype(np.uint8)
        else:
            span = high - low or 1.0
            scaled = ((pixels.astype(np.float64) - low) * (255.0 / span)).astype(np.uint8)
    return Image.fromarray(scaled)  # uint8 -> mode L


def to_rgb_or_gray(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB or L: alpha flattened on white, palette expanded,
    CMYK converted, 16/32-bit gray scaled to 8 bits."""
    mode = image.mode
    if mode in ("RGB", "L"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode == "P":
        palette_mode = image.palette.mode if image.palette is not None else "RGB"
        has_alpha = "transparency" in image.info or palette_mode == "RGBA"
        return to_rgb_or_gray(image.convert("RGBA" if has_alpha else "RGB"))
    if mode in ("RGBA", "RGBa", "LA", "La", "PA"):
        return _flatten_alpha(image)
    if mode.startswith("I") or mode == "F":
        return _high_bit_depth_to_l(image)
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV


def encode_page_image(image: Image.Image, grid: TileGrid, quality: int) -> PageImage:
    """JPEG-encode an RGB or L image already sized for ``grid``."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return PageImage(
        jpeg=buffer.getvalue(),
        width=image.width,
        height=image.height,
        grid=grid,
        estimated_tokens=image_tokens(grid),
    )


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except _DECODE_ERRORS:
        return 1  # a broken EXIF block is ignored, as viewers do


def prepare_image_page(
    path: Path, kind: FileKind, page_number: int, render: RenderMode, spec: RenderSpec
) -> PreparedPage:
    """Prepare frame ``page_number`` (1-based) of an image file as a page."""
    with _own_pixel_check(), _open(path, kind, spec) as image:
        if page_number > 1:
            image.seek(page_number - 1)
            _check_size(image, spec.max_page_pixels)
        swap = _orientation(image) in _SWAPS_SIDES
        natural_w, natural_h = (image.height, image.width) if swap else image.size
        page = PreparedPage(
            page_number=page_number,
            width_pt=natural_w,
            height_pt=natural_h,
            text_quality=TextQuality.EMPTY,
            route=PageRoute.IMAGE,
        )
        if render == "never":
            return page
        grid, width, height = fit_tile_grid(
            natural_w, natural_h, tile_size=spec.tile_size, max_tiles=spec.max_tiles
        )
        if kind is FileKind.JPEG:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers the target:
            # a 24-megapixel photo is then never decoded in full.
            image.draft(None, (height, width) if swap else (width, height))
        try:
            image.load()
            oriented = ImageOps.exif_transpose(image) or image
            converted = to_rgb_or_gray(oriented)
        except _DECODE_ERRORS as exc:
            raise CorruptDocumentError(f"the image is truncated or damaged ({exc})") from None
        if converted.size != (width, height):
            converted = converted.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        page.image = encode_page_image(converted, grid, spec.jpeg_quality)
        return page
