"""PDF pages with PyMuPDF: open (password, damage), text layer, render sized for the tile grid.

Runs inside render worker processes only: PyMuPDF is not thread-safe.
"""

from __future__ import annotations

import math
from pathlib import Path

import pymupdf
from PIL import Image

from core.errors import CorruptDocumentError, EncryptedDocumentError
from extractors.image_pages import encode_page_image
from extractors.ocr_prep import OCR_DPI, encode_ocr_image, ocr_image_size
from extractors.page_jobs import InspectResult, RenderMode, RenderSpec
from extractors.textlayer import read_text_layer
from extractors.tokens import estimate_text_tokens, fit_tile_grid
from models.page import OcrImage, PageImage, PageRoute, PreparedPage


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def open_pdf(path: Path, password: str | None) -> pymupdf.Document:
    """Open and unlock the PDF at ``path``.

    Raises ``CorruptDocumentError`` when PyMuPDF cannot open it (or repair it), and
    ``EncryptedDocumentError`` when it needs a password that is missing or wrong.
    """
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
        # MuPDF names the file it failed on: the server's blob path, never for the tenant.
        detail = _first_line(exc)
        because = "" if str(path) in detail else f" ({detail})"
        raise CorruptDocumentError(f"the PDF is damaged and cannot be opened{because}") from None
    if doc.needs_pass:
        if password is None:
            doc.close()
            raise EncryptedDocumentError("the PDF is encrypted; supply its password with --password")
        if not doc.authenticate(password):
            doc.close()
            raise EncryptedDocumentError(
                "the password given does not open this encrypted PDF; check it and try again",
                code="wrong_password",
            )
    return doc


# A repaired file whose every page among the first this many is damaged is rejected.
REPAIRED_PAGES_PROBED = 50


def _display_list(doc: pymupdf.Document, page: pymupdf.Page) -> pymupdf.DisplayList:
    """The page's display list; raises CorruptDocumentError (code ``page_damaged``) when the
    document was repaired and MuPDF could not read all of this page's content."""
    pymupdf.TOOLS.mupdf_warnings(reset=True)
    display_list = page.get_displaylist()
    # MuPDF renders what it can and only warns; in a repaired file a content stream it
    # cannot load means the page is incomplete (an interrupted download cut it off), and
    # half a page must not pass for a whole one. Intact files keep MuPDF's leniency.
    problems = pymupdf.TOOLS.mupdf_warnings(reset=True)
    if doc.is_repaired and ("error" in problems or "cannot" in problems):
        raise CorruptDocumentError(
            f"page {page.number + 1} is damaged: the file had to be repaired and part of the "
            f"page's content is missing ({problems.splitlines()[0]})",
            code="page_damaged",
        )
    return display_list


def inspect_pdf(doc: pymupdf.Document) -> InspectResult:
    """Count the pages of an open PDF; a repaired file must have at least one whole page,
    and the count the page tree claims must be true."""
    try:
        page_count = doc.page_count
    except RuntimeError:  # MuPDF refuses a page count larger than the file could hold
        raise CorruptDocumentError(
            "the PDF is damaged: its page tree claims more pages than the file holds"
        ) from None
    if page_count > 1:
        # A false /Count (more pages claimed than the tree has) would fail every page past
        # the real ones; the last page tells at once.
        try:
            doc.load_page(page_count - 1)
        except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase):
            raise CorruptDocumentError(
                f"the PDF is damaged: its page tree claims {page_count:,} pages, but page "
                f"{page_count:,} does not exist"
            ) from None
    if doc.is_repaired and page_count > 0:
        # PyMuPDF rebuilds broken cross-reference tables silently; what it rebuilt must give
        # at least one readable page, or the file is rejected now rather than page by page.
        reasons = []
        for number in range(min(page_count, REPAIRED_PAGES_PROBED)):
            try:
                _display_list(doc, doc.load_page(number))
                break
            except (RuntimeError, ValueError, CorruptDocumentError) as exc:
                reasons.append(_first_line(exc))
        else:
            raise CorruptDocumentError(
                f"the PDF is damaged beyond repair: no page could be read ({reasons[0]})"
            )
    # Never read doc.needs_pass after authenticate(): MuPDF re-tries the empty password and
    # the document then decrypts to nothing (blank text). The "encryption" entry names the
    # security handler of any encrypted file, owner-password-only ones included.
    encrypted = bool((doc.metadata or {}).get("encryption"))
    return InspectResult(page_count=page_count, encrypted=encrypted, repaired=bool(doc.is_repaired))


def render_pdf_page(
    page: pymupdf.Page, spec: RenderSpec, display_list: pymupdf.DisplayList | None = None
) -> PageImage:
    """Render ``page`` straight at the size its tile grid allows, JPEG-encoded.

    The natural size is the page at ``spec.dpi``; the grid fit only ever scales down, and the
    pixmap is drawn at the final scale (never drawn big and shrunk), so a 49,000-point-wide
    page costs no more than a letter page. ``display_list``: the page's, if already made.
    """
    rect = page.rect
    zoom = spec.dpi / 72.0
    grid, width, height = fit_tile_grid(
        rect.width * zoom, rect.height * zoom, tile_size=spec.tile_size, max_tiles=spec.max_tiles
    )
    if width * height > spec.max_page_pixels:
        shrink = math.sqrt(spec.max_page_pixels / (width * height))
        width, height = max(1, int(width * shrink)), max(1, int(height * shrink))
        grid, width, height = fit_tile_grid(width, height, tile_size=spec.tile_size, max_tiles=spec.max_tiles)
    matrix = pymupdf.Matrix(width / rect.width, height / rect.height)
    source = page if display_list is None else display_list
    pix = source.get_pixmap(matrix=matrix, colorspace=pymupdf.csRGB, alpha=False)
    image = Image.frombuffer("RGB", (pix.width, pix.height), pix.samples_mv, "raw", "RGB", pix.stride, 1)
    if image.size != (width, height):
        # MuPDF rounds the pixel box outwards; one stray pixel could need one more tile.
        image = image.crop((0, 0, min(width, pix.width), min(height, pix.height)))
    return encode_page_image(image, grid, spec.jpeg_quality)


def render_ocr_image(
    page: pymupdf.Page, image: PageImage, spec: RenderSpec, display_list: pymupdf.DisplayList | None = None
) -> OcrImage | None:
    """The page rendered in gray at ``OCR_DPI`` (``extractors.ocr_prep``) for OCR, or None
    when its model ``image`` is about as fine."""
    rect = page.rect
    zoom = OCR_DPI / 72.0
    size = ocr_image_size(
        rect.width * zoom, rect.height * zoom, image.width, image.height, spec.max_page_pixels
    )
    if size is None:
        return None
    width, height = size
    matrix = pymupdf.Matrix(width / rect.width, height / rect.height)
    source = page if display_list is None else display_list
    pix = source.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY, alpha=False)
    # A copy of the samples (not a view): the pixmap may then go before the image does.
    gray = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    del pix
    # At OCR resolution MuPDF decodes a scan's embedded image far finer than for the model
    # image and keeps it in its store: emptied here, or every render worker would hold one.
    pymupdf.TOOLS.store_shrink(100)
    if gray.size != size:  # MuPDF rounds the pixel box outwards: the stray pixel is cut
        gray = gray.crop((0, 0, min(width, gray.width), min(height, gray.height)))
    data, width, height = encode_ocr_image(gray, gray.size, spec.jpeg_quality)
    return OcrImage(jpeg=data, width=width, height=height)


def prepare_pdf_page(
    doc: pymupdf.Document, page_number: int, render: RenderMode, spec: RenderSpec
) -> PreparedPage:
    """Prepare page ``page_number`` (1-based) of an open PDF: text layer, route, image.

    ``render``: "always" renders every page; "when_needed" only pages whose route needs an
    image (everything but TEXT); "never" renders nothing.
    """
    page = doc.load_page(page_number - 1)
    # One interpretation of the content stream serves both the text layer and the render:
    # text then costs next to nothing on top of rendering.
    display_list = _display_list(doc, page)
    layer = read_text_layer(page, display_list)
    needs_image = render == "always" or (render == "when_needed" and layer.route != PageRoute.TEXT)
    image = render_pdf_page(page, spec, display_list) if needs_image else None
    # Only a page OCR reads (a scan, a poor or mixed text layer) gets the finer OCR image.
    ocr_image = (
        render_ocr_image(page, image, spec, display_list)
        if image is not None and layer.route != PageRoute.TEXT
        else None
    )
    return PreparedPage(
        page_number=page_number,
        width_pt=page.rect.width,
        height_pt=page.rect.height,
        text=layer.text,
        lines=layer.lines,
        reading_turn=layer.turn,
        text_quality=layer.quality,
        route=layer.route,
        image=image,
        ocr_image=ocr_image,
        estimated_text_tokens=estimate_text_tokens(layer.text),
    )
