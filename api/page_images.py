"""Page images for the review page: a stored document's page rendered on demand, cached.

Rendering is the pipeline's own (``extractors.prepare``: PyMuPDF for PDFs, Pillow for
images, in worker processes, with the same pixel and decode limits and the same tile-grid
size and JPEG quality the engine sees), so a reviewer looks at what the engine looked at and
the boxes drawn on it line up. The API's render pool is small (at most two workers) and
starts with the first image asked for. Rendered JPEGs are kept in memory, least recently
used first out, up to ``CACHE_BYTES``; the same bytes and settings always render the same
image, so the ETag names them (content hash, page, render settings) and a browser revalidates
with ``If-None-Match`` for a 304 without any rendering.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings
from extractors.page_jobs import PageJob, RenderSpec
from extractors.prepare import PagePreparer
from models.document import FileKind

CACHE_BYTES = 64 * 1024 * 1024
MAX_RENDER_WORKERS = 2


@dataclass(frozen=True)
class RenderedPage:
    """One page's image as served: JPEG bytes, size and ETag."""

    jpeg: bytes
    width: int
    height: int
    etag: str


class PageImageFailedError(Exception):
    """The page could not be rendered (damaged content, over a limit): ``code``, ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PageImageCache:
    """Rendered pages by ETag, least recently used first out, bounded in bytes; thread-safe."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, RenderedPage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, etag: str) -> RenderedPage | None:
        """The cached page, now the most recently used; None when absent."""
        with self._lock:
            page = self._entries.get(etag)
            if page is not None:
                self._entries.move_to_end(etag)
            return page

    def put(self, page: RenderedPage) -> None:
        """Keep ``page``, dropping the least recently used until the bound holds."""
        if len(page.jpeg) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(page.etag, None)
            if old is not None:
                self._bytes -= len(old.jpeg)
            self._entries[page.etag] = page
            self._bytes += len(page.jpeg)
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.jpeg)

    @property
    def size_bytes(self) -> int:
        """Bytes held now."""
        return self._bytes


class PageImages:
    """Renders and caches page images for one app; ``aclose`` stops its render workers."""

    def __init__(self, settings: Settings, *, cache_bytes: int = CACHE_BYTES) -> None:
        workers = min(MAX_RENDER_WORKERS, settings.pages.render_workers)
        self._settings = settings.replace(pages={"render_workers": workers})
        self._spec = RenderSpec.from_settings(settings)
        # The render settings are part of every ETag: changing them changes the image.
        self._spec_tag = hashlib.sha256(repr(self._spec).encode()).hexdigest()[:12]
        self.cache = PageImageCache(cache_bytes)
        self._preparer: PagePreparer | None = None
        self._starting = asyncio.Lock()

    def etag(self, sha256: str, page_number: int) -> str:
        """The ETag of a page of the file with ``sha256`` (a quoted strong validator)."""
        return f'"{sha256[:32]}-{page_number}-{self._spec_tag}"'

    async def render(self, path: Path, kind: FileKind, sha256: str, page_number: int) -> RenderedPage:
        """The page's image, from the cache or rendered now; raises ``PageImageFailedError``."""
        etag = self.etag(sha256, page_number)
        cached = self.cache.get(etag)
        if cached is not None:
            return cached
        preparer = await self._started()
        job = PageJob(
            path=path, kind=kind, password=None, page_number=page_number, render="always", spec=self._spec
        )
        pages = [prepared async for prepared in preparer.run_page_jobs([job])]
        page = pages[0] if pages else None
        if page is None or page.failed or page.image is None:
            code = (page.error_code if page else None) or "render_error"
            message = (page.error if page else None) or "the page gave no image"
            raise PageImageFailedError(code, message)
        rendered = RenderedPage(
            jpeg=page.image.jpeg, width=page.image.width, height=page.image.height, etag=etag
        )
        self.cache.put(rendered)
        return rendered

    async def _started(self) -> PagePreparer:
        async with self._starting:
            if self._preparer is None:
                preparer = PagePreparer(self._settings)
                await preparer.__aenter__()
                self._preparer = preparer
            return self._preparer

    async def aclose(self) -> None:
        """Stop the render workers (if they were started)."""
        async with self._starting:
            if self._preparer is not None:
                await self._preparer.__aexit__(None, None, None)
                self._preparer = None
