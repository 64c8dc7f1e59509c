"""The render pool under uvloop, the loop ``folio serve`` runs (uvicorn picks it when installed).

uvloop puts every descriptor given to ``add_reader`` in non-blocking mode; the pool's pipe
must still deliver a reply larger than the pipe's buffer whole (a page image), not report
the worker as crashed while it is still writing.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import uvloop
from PIL import Image

from core.settings import Settings
from extractors.page_jobs import PageJob, RenderSpec
from extractors.prepare import PagePreparer
from models.document import FileKind
from models.page import PreparedPage

FRESH_POOLS = 4
JOBS_PER_POOL = 3


def _noise_png(tmp_path: Path) -> Path:
    # Noise does not compress: its JPEG is several times the pipe's buffer, so the reply
    # reaches the parent in pieces.
    pixels = np.random.default_rng(7).integers(0, 256, size=(1400, 1000, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    path = tmp_path / "noise.png"
    path.write_bytes(buffer.getvalue())
    return path


def test_fresh_pools_under_uvloop_render_every_page(settings: Settings, tmp_path: Path) -> None:
    path = _noise_png(tmp_path)
    job = PageJob(
        path=path,
        kind=FileKind.PNG,
        password=None,
        page_number=1,
        render="always",
        spec=RenderSpec.from_settings(settings),
    )

    async def one_pool() -> tuple[list[PreparedPage], int]:
        async with PagePreparer(settings) as preparer:
            pages = [page async for page in preparer.run_page_jobs([job] * JOBS_PER_POOL)]
            return pages, preparer.pool.replaced

    for _ in range(FRESH_POOLS):
        pages, replaced = uvloop.run(one_pool())
        assert [page.error for page in pages] == [None] * JOBS_PER_POOL
        assert replaced == 0
        for page in pages:
            assert page.image is not None and len(page.image.jpeg) > 1024 * 1024
