"""Scanned documents the fake vLLM server can "read": the fake told what each picture of a
scan (``tests.support.documents.scanned_pdf``) shows.

The fake knows an image's text only by the sha256 of the JPEG it receives, so the scan is
prepared here exactly as Folio's pipeline will prepare it (same settings, same renderer),
and each page's JPEG is registered with the text of the digital page it was printed from:
the prepared JPEG, and the smaller one the llama engine sends when its tile budget cuts
and shrinks the page (``extractors.tile_budget``), the same text at fewer pixels.
"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from extractors.prepare import PagePreparer
from extractors.tile_budget import budget_image
from models.document import FileKind
from models.page import PageImage
from tests.fakes.vllm_server import FakeVllmServer


async def describe_scan(
    fake: FakeVllmServer, settings: Settings, path: Path, texts: list[str], *, kind: FileKind = FileKind.PDF
) -> int:
    """Tell ``fake`` what each image page of the file at ``path`` shows (``texts`` by page);
    returns how many pages it was told about."""
    told = 0
    async with PagePreparer(settings) as preparer:
        async for page in preparer.prepare(path, kind, render=settings.pages.render_images):
            if page.image is not None and page.page_number <= len(texts):
                describe_page_image(fake, settings, page.image, texts[page.page_number - 1])
                told += 1
    return told


def describe_page_image(fake: FakeVllmServer, settings: Settings, image: PageImage, text: str) -> None:
    """Tell ``fake`` that ``image`` shows ``text``: the image as prepared, and as the llama
    engine under ``settings`` sends it (cut and shrunk by its tile budget)."""
    fake.describe_image(image.jpeg, text)
    sent = budget_image(image, settings)
    if sent is not image:
        fake.describe_image(sent.jpeg, text)
