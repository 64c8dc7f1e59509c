"""Imported by the render fork server only: run each code path once before any fork.

The first page a fresh process renders pays for one-time set-up (MuPDF's built-in fonts and
colour management, Pillow's codec plugins, PyMuPDF's lazy wrappers). Doing it once in the
fork server, which every worker is forked from, means no worker pays it again.
"""

from __future__ import annotations

import contextlib
import io

import pymupdf
from PIL import Image

from extractors.heap import trim_heap
from extractors.image_pages import to_rgb_or_gray
from extractors.page_jobs import RenderSpec
from extractors.pdf_pages import prepare_pdf_page


def warm_up() -> None:
    """Prepare one small generated page and decode one small image, discarding both."""
    pymupdf.TOOLS.mupdf_display_errors(False)
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=200)
    page.insert_text((20, 40), "Warm-up 1234.56", fontsize=11)
    spec = RenderSpec(dpi=72, tile_size=336, max_tiles=1, jpeg_quality=85, max_page_pixels=10**6)
    prepare_pdf_page(doc, 1, "always", spec)
    doc.close()
    for fmt in ("PNG", "JPEG"):
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16), "white").save(buffer, fmt)
        with Image.open(io.BytesIO(buffer.getvalue())) as image:
            to_rgb_or_gray(image.convert("RGB"))
    # What importing and the warm-up freed, given back before any fork: every worker starts
    # as a copy of this process, so each would otherwise carry it too.
    trim_heap()


# An optimisation only: a failure here must not stop the fork server.
with contextlib.suppress(Exception):
    warm_up()
