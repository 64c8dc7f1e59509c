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

from PIL import Image, UnidentifiedImageError

from core.errors import CorruptDocumentError, DecompressionBombError, UnsupportedTypeError
from extractors.ocr_prep import encode_ocr_image, ocr_image_size
from extractors.page_jobs import InspectResult, RenderMode, RenderSpec, Reserve, no_reserve
from extractors.tokens import fit_tile_grid, image_tokens
from models.document import FileKind
from models.page import OcrImage, PageImage, PageRoute, PreparedPage, TextQuality, TileGrid

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


# Bytes per pixel Pillow holds in memory for each mode: "1", "L" and "P" one byte, the
# 16-bit modes two, every other mode (RGB included: Pillow pads it to 32 bits) four.
_ONE_BYTE_MODES = frozenset({"1", "L", "P"})
_MIB = 1024 * 1024
# Each decoded row band is converted and shrunk on its own, so conversions (palette to RGB,
# alpha flattening, CMYK, 16-bit) never hold more than a band of this many pixels at once.
_BAND_PIXELS = 2_000_000
_BAND_BYTES = _BAND_PIXELS * 24  # the band, its RGBA copy, the flattened copy, its mask
# RGBA canvases held to compose a frame (measured peaks): a later GIF frame holds the
# frame, the composed image and the copy kept for the next frame; libwebp decodes every
# WebP (animated or not) onto canvases of its own before Pillow's copy.
_CANVASES = {FileKind.GIF: 3, FileKind.WEBP: 4}
_KEPT_MODES = frozenset({"RGB", "L"})  # what to_rgb_or_gray gives back unchanged


def bytes_per_pixel(mode: str) -> int:
    """Bytes Pillow holds per pixel of ``mode`` once decoded."""
    if mode in _ONE_BYTE_MODES:
        return 1
    return 2 if mode.startswith("I;16") else 4


def _shrink_factor(size: tuple[int, int], target: tuple[int, int]) -> int:
    """The integer box-reduction that still leaves at least twice ``target`` for LANCZOS."""
    return max(1, min(size[0] // (2 * target[0]), size[1] // (2 * target[1])))


def decode_cost(
    size: tuple[int, int], mode: str, target: tuple[int, int], *, composed: FileKind | None = None
) -> int:
    """Bytes preparing an image of ``size`` and ``mode`` will hold at most.

    The decoded pixels (``width x height x bytes per pixel``; when ``composed``, a WebP or
    a later frame of a GIF, the RGBA canvases it holds) plus one band in conversion plus the shrunk
    copy in RGB, before the last resize to ``target`` (pixels, pre-rotation); an RGB or L
    image already within twice ``target`` is resized as it is.
    """
    width, height = size
    decoded = width * height * bytes_per_pixel(mode)
    if composed:  # composed in RGB(A) whatever the file's own mode
        decoded = width * height * 4 * _CANVASES[composed]
    factor = _shrink_factor(size, target)
    if factor == 1 and mode in _KEPT_MODES:
        return decoded + target[0] * height * 4  # resized as is: LANCZOS's first pass
    shrunk = -(-width // factor) * -(-height // factor) * 4
    return decoded + shrunk + min(_BAND_BYTES, width * height * 24)


def _check_cost(
    image: Image.Image,
    target: tuple[int, int],
    limit: int,
    *,
    composed: FileKind | None = None,
    reserve: Reserve = no_reserve,
) -> None:
    """Refuse a decode over ``limit``; else ask ``reserve`` for its cost before it starts."""
    # A later GIF frame is composed in RGB(A) whatever the first frame's mode.
    mode = "RGBA" if composed and image.mode not in _KEPT_MODES else image.mode
    cost = decode_cost(image.size, mode, target, composed=composed)
    if cost > limit:
        width, height = image.size
        frames = f" as a {composed.value.upper()} frame" if composed else ""
        raise DecompressionBombError(
            f"the image would need {cost / _MIB:,.0f} MiB of memory to decode{frames} "
            f"({width:,} x {height:,} pixels in mode {mode}, "
            f"{bytes_per_pixel(mode)} byte(s) per pixel, and its conversion); the limit "
            f"is {limit / _MIB:,.0f} MiB per page (FOLIO_MAX_PAGE_DECODE_BYTES), so it was not "
            "decoded"
        )
    reserve(cost)


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


def inspect_image(
    path: Path, kind: FileKind, spec: RenderSpec, reserve: Reserve = no_reserve
) -> InspectResult:
    """Count an image's frames and check the first one decodes (truncation, bombs)."""
    with _own_pixel_check(), _open(path, kind, spec) as image:
        frames = getattr(image, "n_frames", 1)
        if kind is not FileKind.JPEG:  # a JPEG is decoded reduced (draft), never refused
            composed = kind if kind is FileKind.WEBP else None  # libwebp's own canvases
            target = _decode_target(image, spec)
            decodes = kind is not FileKind.PNG  # verify() checks a PNG without inflating it
            _check_cost(
                image,
                target,
                spec.max_page_decode_bytes,
                composed=composed,
                reserve=reserve if decodes else no_reserve,
            )
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


ValueRange = tuple[float, float]


def _high_bit_depth_to_l(image: Image.Image, value_range: ValueRange | None = None) -> Image.Image:
    # numpy only here: every process that prepares pages imports this module, and only a
    # 16- or 32-bit image needs it (a third of a second of a cold `folio process`).
    import numpy as np

    pixels = np.asarray(image)
    if image.mode.startswith("I;16"):
        scaled = (pixels.astype(np.uint16) >> 8).astype(np.uint8)
    else:  # "I" (32-bit integer) or "F": stretch whatever range is used onto 0..255
        low, high = value_range or (float(pixels.min()), float(pixels.max()))
        if high <= 255 and low >= 0:
            scaled = pixels.astype(np.uint8)
        else:
            span = high - low or 1.0
            scaled = ((pixels.astype(np.float64) - low) * (255.0 / span)).astype(np.uint8)
    return Image.fromarray(scaled)  # uint8 -> mode L


def to_rgb_or_gray(image: Image.Image, value_range: ValueRange | None = None) -> Image.Image:
    """Convert any Pillow mode to RGB or L: alpha flattened on white, palette expanded,
    CMYK converted, 16/32-bit gray scaled to 8 bits (32-bit ones stretched from
    ``value_range``, the whole image's, when only a band of it is given)."""
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
        return _high_bit_depth_to_l(image, value_range)
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV


def convert_shrunk(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """``image`` (loaded) as RGB or L, box-reduced by an integer factor to no less than
    twice ``target``; converted band by band so no full-size copy is ever made."""
    width, height = image.size
    factor = _shrink_factor(image.size, target)
    if factor == 1 and (width * height <= _BAND_PIXELS or image.mode in _KEPT_MODES):
        return to_rgb_or_gray(image)
    value_range = None
    if image.mode in ("I", "F"):
        low, high = image.getextrema()
        value_range = (float(low), float(high))  # type: ignore[arg-type]
    rows = max(factor, _BAND_PIXELS // width // factor * factor)
    shrunk: Image.Image | None = None
    for top in range(0, height, rows):
        band = to_rgb_or_gray(image.crop((0, top, width, min(height, top + rows))), value_range)
        if factor > 1:
            band = band.reduce(factor)
        if shrunk is None:
            shrunk = Image.new(band.mode, (-(-width // factor), -(-height // factor)))
        shrunk.paste(band, (0, top // factor))
    assert shrunk is not None  # height >= 1
    return shrunk


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
    if image.format == "PNG" and "exif" not in image.info:
        # Pillow finds an eXIf chunk placed after the pixels only by inflating them all: such
        # a chunk is ignored rather than decode a file before its cost is checked.
        return 1
    try:
        return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except _DECODE_ERRORS:
        return 1  # a broken EXIF block is ignored, as viewers do


# What ImageOps.exif_transpose does per orientation; applied to the shrunk copy, not the
# full-size image, so turning a page costs no full-size copy.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _decode_target(image: Image.Image, spec: RenderSpec) -> tuple[int, int]:
    """The pixel size the page image will have, as (width, height) before EXIF rotation."""
    swap = _orientation(image) in _SWAPS_SIDES
    natural_w, natural_h = (image.height, image.width) if swap else image.size
    _grid, width, height = fit_tile_grid(
        natural_w, natural_h, tile_size=spec.tile_size, max_tiles=spec.max_tiles
    )
    return (height, width) if swap else (width, height)


def _gray_reduced(image: Image.Image, target: tuple[int, int], reserve: Reserve) -> Image.Image:
    """``image`` (loaded) in gray, box-reduced by an integer factor to no less than
    ``target``; converted band by band, so no full-size converted copy is ever made."""
    width, height = image.size
    if image.mode == "L" and width <= target[0] and height <= target[1]:
        return image
    factor = max(1, min(width // target[0], height // target[1]))
    reduced = Image.new("L", (-(-width // factor), -(-height // factor)))
    # The band in conversion, the reduced gray copy and its resize to ``target``.
    reserve(min(_BAND_BYTES, width * height * 24) + reduced.width * reduced.height + target[0] * target[1])
    value_range = None
    if image.mode in ("I", "F"):
        low, high = image.getextrema()
        value_range = (float(low), float(high))  # type: ignore[arg-type]
    rows = max(factor, _BAND_PIXELS // width // factor * factor)
    for top in range(0, height, rows):
        band = to_rgb_or_gray(image.crop((0, top, width, min(height, top + rows))), value_range)
        band = band if band.mode == "L" else band.convert("L")
        reduced.paste(band.reduce(factor) if factor > 1 else band, (0, top // factor))
    return reduced


def _ocr_image(
    path: Path,
    image: Image.Image,
    page: PreparedPage,
    orientation: int,
    spec: RenderSpec,
    reserve: Reserve,
) -> OcrImage | None:
    """The page's gray OCR image (``extractors.ocr_prep``), or None when its model image is
    about as fine. A JPEG is decoded again, at the libjpeg scale nearest its natural size
    within the cap; any other image is taken from ``image``, the frame already decoded."""
    assert page.image is not None
    jpeg = image.format == "JPEG"
    size = ocr_image_size(
        page.width_pt,
        page.height_pt,
        page.image.width,
        page.image.height,
        spec.max_page_pixels,
        halvings=jpeg,
    )
    if size is None:
        return None
    swap = orientation in _SWAPS_SIDES
    unturned = (size[1], size[0]) if swap else size
    if jpeg:
        with Image.open(path, formats=["JPEG"]) as again:
            again.draft("L", unturned)
            # The decoded page, and its gray copy should the draft keep colour (CMYK).
            reserve((bytes_per_pixel(again.mode) + 1) * again.width * again.height)
            again.load()
            gray = again.convert("L")
        size = (gray.height, gray.width) if swap else gray.size  # libjpeg may round up a pixel
    else:
        gray = _gray_reduced(image, unturned, reserve)
    if orientation in _TRANSPOSE:
        gray = gray.transpose(_TRANSPOSE[orientation])
    data, width, height = encode_ocr_image(gray, size, spec.jpeg_quality)
    return OcrImage(jpeg=data, width=width, height=height)


def prepare_image_page(
    path: Path,
    kind: FileKind,
    page_number: int,
    render: RenderMode,
    spec: RenderSpec,
    reserve: Reserve = no_reserve,
) -> PreparedPage:
    """Prepare frame ``page_number`` (1-based) of an image file as a page."""
    with _own_pixel_check(), _open(path, kind, spec) as image:
        composed = kind if kind is FileKind.WEBP or (page_number > 1 and kind is FileKind.GIF) else None
        if page_number > 1 and composed:
            # Seeking decodes every frame before this one: its cost is checked first, on the
            # animation's canvas (frame 1's size).
            target = _decode_target(image, spec)
            _check_cost(image, target, spec.max_page_decode_bytes, composed=composed, reserve=reserve)
        if page_number > 1:
            image.seek(page_number - 1)
            _check_size(image, spec.max_page_pixels)
        orientation = _orientation(image)
        swap = orientation in _SWAPS_SIDES
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
        target = (height, width) if swap else (width, height)
        if kind is FileKind.JPEG:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers the target:
            # a 24-megapixel photo is then never decoded in full.
            image.draft(None, target)
        # What decoding will cost is known before a pixel is decoded: refuse it over budget.
        _check_cost(image, target, spec.max_page_decode_bytes, composed=composed, reserve=reserve)
        try:
            image.load()
            converted = convert_shrunk(image, target)
        except _DECODE_ERRORS as exc:
            raise CorruptDocumentError(f"the image is truncated or damaged ({exc})") from None
        if orientation in _TRANSPOSE:
            converted = converted.transpose(_TRANSPOSE[orientation])
        if converted.size != (width, height):
            converted = converted.resize((width, height), Image.Resampling.LANCZOS)
        page.image = encode_page_image(converted, grid, spec.jpeg_quality)
        del converted
        try:
            page.ocr_image = _ocr_image(path, image, page, orientation, spec, reserve)
        except _DECODE_ERRORS as exc:
            raise CorruptDocumentError(f"the image is truncated or damaged ({exc})") from None
        return page
