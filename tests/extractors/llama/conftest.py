"""Pages and servers for the llama engine tests: real PDFs and images made here, a real
fake vLLM server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from core.settings import Settings
from extractors.llama import LlamaEngine
from extractors.prepare import PagePreparer
from extractors.tokens import fit_tile_grid, image_tokens
from models.document import FileKind
from models.extraction import PageExtraction
from models.page import PageImage, PageRoute, PreparedPage, TextQuality
from models.schemas import get_schema
from tests.fakes.vllm_server import FakeVllmServer
from tests.support.documents import invoice_pdf
from tests.support.hardcases import text_image
from tests.support.truth import InvoiceTruth, format_money, make_invoice_truth

INVOICE = get_schema("invoice")


def llm_settings(tmp_path: Path, *urls: str, **overrides: dict[str, Any]) -> Settings:
    """Settings for the engine against ``urls``, with quick retries for tests; ``overrides``
    change fields per section (``llm={"stream": False}``)."""
    settings = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path / "var"},
        extraction={"engine": "llama"},
        llm={
            "base_urls": list(urls),
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
            "read_timeout_s": 10.0,
            "health_backoff_s": 30.0,
        },
        pages={"render_workers": 2},
    )
    return settings.replace(**overrides)


def extract(settings: Settings, pages: list[PreparedPage], schema_name: str = "invoice") -> PageExtraction:
    """One ``extract`` call through a fresh engine."""

    async def go() -> PageExtraction:
        engine = LlamaEngine(settings)
        try:
            return await engine.extract(pages, get_schema(schema_name))
        finally:
            await engine.aclose()

    return asyncio.run(go())


@pytest.fixture
def fake() -> Iterator[FakeVllmServer]:
    """A fake vLLM server on an ephemeral port."""
    with FakeVllmServer() as server:
        yield server


@pytest.fixture(scope="module")
def invoice() -> tuple[InvoiceTruth, list[PreparedPage]]:
    """A digital two-page invoice (line items split over both pages), prepared by Folio."""
    truth = make_invoice_truth(7)
    while len(truth.line_items) < 4:  # both pages should carry rows
        truth = make_invoice_truth(truth.seed + 1)
    folder = Path(__import__("tempfile").mkdtemp())
    path = folder / "invoice.pdf"
    path.write_bytes(invoice_pdf(truth, pages=2))
    settings = Settings(_env_file=None, storage={"data_dir": folder / "var"}, pages={"render_workers": 1})

    async def prepare() -> list[PreparedPage]:
        async with PagePreparer(settings) as preparer:
            return [p async for p in preparer.prepare(path, FileKind.PDF, render="always")]

    return truth, asyncio.run(prepare())


def scan_lines(truth: InvoiceTruth) -> list[str]:
    """The lines a test draws onto a scanned invoice page."""
    return [
        truth.vendor_name,
        f"{truth.number_label} {truth.invoice_number}",
        f"Invoice Date: {truth.invoice_date.isoformat()}",
        f"{truth.total_label}: {format_money(truth.total_amount, truth.currency, 'us', 'code')}",
    ]


def image_page(number: int, lines: list[str]) -> PreparedPage:
    """A scanned page (JPEG of ``lines``, no text layer), sized into its tile grid."""
    picture = text_image(lines, width=620, height=877)
    grid, width, height = fit_tile_grid(picture.width, picture.height)
    buffer = io.BytesIO()
    picture.convert("RGB").resize((width, height), Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=85)
    image = PageImage(
        jpeg=buffer.getvalue(), width=width, height=height, grid=grid, estimated_tokens=image_tokens(grid)
    )
    return PreparedPage(
        page_number=number,
        width_pt=width,
        height_pt=height,
        text_quality=TextQuality.EMPTY,
        route=PageRoute.IMAGE,
        image=image,
    )
