"""Scanned documents the fake vLLM server can "read": a digital PDF printed and scanned (a
picture of each page, no text layer), and the fake told what each picture shows.

The fake knows an image's text only by the sha256 of the JPEG it receives, so the scan is
prepared here exactly as Folio's pipeline will prepare it (same settings, same renderer),
and each page's JPEG is registered with the text of the digital page it was printed from.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pymupdf
from PIL import Image, ImageFilter

from core.settings import Settings
from extractors.prepare import PagePreparer
from models.document import FileKind
from tests.fakes.vllm_server import FakeVllmServer


def page_texts(pdf: bytes) -> list[str]:
    """The text layer of each page of a digital PDF."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return [str(page.get_text()) for page in doc]


def scanned_pdf(
    pdf: bytes, *, dpi: int = 150, angle: float = 0.4, noise: float = 0.06, seed: int = 0
) -> bytes:
    """Each page of ``pdf`` printed and scanned: grey, slightly turned, blurred and grainy,
    as a PDF of page-sized pictures without a text layer."""
    rng = random.Random(seed)
    out = pymupdf.open()
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        for page in doc:
            pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            picture = Image.frombytes("L", (pix.width, pix.height), pix.samples)
            picture = picture.point(lambda v: int(v * 0.88 + 16))  # grey paper, ink not black
            turn = angle * (1 if rng.random() < 0.5 else -1)
            picture = picture.rotate(turn, resample=Image.Resampling.BICUBIC, fillcolor=240)
            picture = picture.filter(ImageFilter.GaussianBlur(0.5))
            grain = Image.effect_noise(picture.size, 40)
            picture = Image.blend(picture, grain, noise)
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=80)
            target = out.new_page(width=page.rect.width, height=page.rect.height)
            target.insert_image(target.rect, stream=buffer.getvalue())
    return out.tobytes(deflate=True)


async def describe_scan(
    fake: FakeVllmServer, settings: Settings, path: Path, texts: list[str], *, kind: FileKind = FileKind.PDF
) -> int:
    """Tell ``fake`` what each image page of the file at ``path`` shows (``texts`` by page);
    returns how many pages it was told about."""
    told = 0
    async with PagePreparer(settings) as preparer:
        async for page in preparer.prepare(path, kind, render=settings.pages.render_images):
            if page.image is not None and page.page_number <= len(texts):
                fake.describe_image(page.image.jpeg, texts[page.page_number - 1])
                told += 1
    return told
