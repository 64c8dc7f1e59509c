"""Bad and hostile files end in the right error with a useful message, and the pool lives on.

Every case runs a good file through the same PagePreparer right after the bad one.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from core.errors import (
    BadInputError,
    CorruptDocumentError,
    DecompressionBombError,
    EmptyDocumentError,
    EncryptedDocumentError,
    TooManyPagesError,
    UnsupportedTypeError,
)
from core.settings import Settings
from extractors.page_jobs import CrashJob, PageJob, RenderSpec, SleepJob
from extractors.prepare import PagePreparer
from extractors.sniff import SNIFF_BYTES, sniff_kind
from models.document import FileKind
from models.page import PreparedPage
from tests.support import hardcases


def _png(color: tuple[int, int, int] = (10, 20, 30)) -> bytes:
    return hardcases.png_bytes(Image.new("RGB", (300, 200), color))


BAD_CASES: list[tuple[str, Callable[[], bytes], FileKind, str | None, type[BadInputError], str]] = [
    ("truncated", hardcases.truncated_pdf, FileKind.PDF, None, CorruptDocumentError, "damaged"),
    (
        "cut-single-page",
        lambda: hardcases.truncated(hardcases.digital_pdf(1), 0.5),
        FileKind.PDF,
        None,
        CorruptDocumentError,
        "no page could be read",
    ),
    ("garbage", hardcases.corrupt_pdf, FileKind.PDF, None, CorruptDocumentError, "damaged"),
    ("text-as-pdf", hardcases.plain_text, FileKind.PDF, None, CorruptDocumentError, "damaged"),
    (
        "no-password",
        lambda: hardcases.encrypted_pdf(user_password="u1", owner_password="o1"),
        FileKind.PDF,
        None,
        EncryptedDocumentError,
        "supply its password with --password",
    ),
    (
        "wrong-password",
        lambda: hardcases.encrypted_pdf(user_password="u1", owner_password="o1"),
        FileKind.PDF,
        "guess",
        EncryptedDocumentError,
        "password given does not open",
    ),
    ("zero-pages", hardcases.zero_page_pdf, FileKind.PDF, None, EmptyDocumentError, "no pages"),
    (
        "truncated-png",
        lambda: hardcases.truncated(_png()),
        FileKind.PNG,
        None,
        CorruptDocumentError,
        "truncated or damaged",
    ),
    (
        "truncated-jpeg",
        lambda: hardcases.truncated(
            hardcases.jpeg_bytes(hardcases.text_image(["truncated"], width=400, height=300))
        ),
        FileKind.JPEG,
        None,
        CorruptDocumentError,
        "truncated or damaged",
    ),
    ("png-called-jpeg", _png, FileKind.JPEG, None, CorruptDocumentError, "decoded as"),
    ("bomb", hardcases.bomb_png, FileKind.PNG, None, DecompressionBombError, "30,000 x 30,000"),
]


async def _pages(preparer: PagePreparer, path: Path, kind: FileKind, **options: object) -> list[PreparedPage]:
    return [page async for page in preparer.prepare(path, kind, **options)]


@pytest.mark.parametrize(
    ("make", "kind", "password", "error", "words"),
    [case[1:] for case in BAD_CASES],
    ids=[case[0] for case in BAD_CASES],
)
def test_bad_file_is_rejected_with_a_clear_error_and_the_pool_survives(
    settings: Settings,
    tmp_path: Path,
    make: Callable[[], bytes],
    kind: FileKind,
    password: str | None,
    error: type[BadInputError],
    words: str,
) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(make())
    good = tmp_path / "good.pdf"
    good.write_bytes(hardcases.digital_pdf(2))

    async def run() -> list[PreparedPage]:
        async with PagePreparer(settings) as preparer:
            with pytest.raises(error, match=words) as caught:
                await preparer.inspect(bad, kind, password=password)
            assert caught.value.code == error.code or (
                error is EncryptedDocumentError and caught.value.code == "wrong_password"
            )
            with pytest.raises(error):  # prepare inspects first and raises the same
                await _pages(preparer, bad, kind, password=password)
            return await _pages(preparer, good, FileKind.PDF)

    pages = asyncio.run(run())
    assert [p.lines[0].text for p in pages] == ["INVOICE No. 1001", "INVOICE No. 1002"]


def test_right_passwords_open_the_encrypted_pdf(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "secret.pdf"
    path.write_bytes(hardcases.encrypted_pdf(user_password="u1", owner_password="o1"))

    async def run() -> list[list[PreparedPage]]:
        async with PagePreparer(settings) as preparer:
            info = await preparer.inspect(path, FileKind.PDF, password="u1")
            assert info.encrypted and info.page_count == 2
            return [await _pages(preparer, path, FileKind.PDF, password=pw) for pw in ("u1", "o1")]

    for pages in asyncio.run(run()):
        assert [p.text.splitlines() for p in pages] == [hardcases.invoice_lines(n) for n in (1, 2)]


def test_wrong_password_has_its_own_code(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "secret.pdf"
    path.write_bytes(hardcases.encrypted_pdf(user_password="u1", owner_password="o1"))

    async def run() -> tuple[str, str]:
        async with PagePreparer(settings) as preparer:
            codes = []
            for password in (None, "nope"):
                with pytest.raises(EncryptedDocumentError) as caught:
                    await preparer.inspect(path, FileKind.PDF, password=password)
                codes.append(caught.value.code)
            return codes[0], codes[1]

    assert asyncio.run(run()) == ("encrypted", "wrong_password")


def test_too_many_pages_is_rejected_with_the_limit(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path},
        pages={"render_workers": 1},
        intake={"max_pages": 3},
    )
    path = tmp_path / "long.pdf"
    path.write_bytes(hardcases.digital_pdf(5, lines_per_page=3))

    async def run() -> None:
        async with PagePreparer(settings) as preparer:
            await preparer.inspect(path, FileKind.PDF)

    with pytest.raises(TooManyPagesError, match="has 5 pages; the limit is 3"):
        asyncio.run(run())


def test_repairable_truncated_pdf_keeps_its_surviving_pages(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(hardcases.truncated_pdf(0.8))

    async def run() -> list[PreparedPage]:
        async with PagePreparer(settings) as preparer:
            return await _pages(preparer, path, FileKind.PDF)

    pages = asyncio.run(run())
    assert [p.page_number for p in pages] == list(range(1, len(pages) + 1))
    intact = [p for p in pages if p.text.splitlines() == hardcases.invoice_lines(p.page_number)]
    damaged = [p for p in pages if p.failed]
    assert intact and intact[0].page_number == 1
    # every page is either whole or reported damaged: never half a page passed as whole
    assert damaged and len(intact) + len(damaged) == len(pages)
    assert {p.error_code for p in damaged} == {"page_damaged"}
    assert all("is damaged" in (p.error or "") for p in damaged)


def test_text_file_named_pdf_is_refused_at_sniffing(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedTypeError, match=r"plain text.*report\.pdf"):
        sniff_kind(hardcases.plain_text()[:SNIFF_BYTES], name="report.pdf")


@pytest.mark.parametrize(
    ("make", "kind", "color"),
    [
        (hardcases.polyglot_jpeg_then_pdf, FileKind.JPEG, (0, 0, 255)),
        (hardcases.polyglot_png_with_pdf_header, FileKind.PNG, (0, 128, 0)),
    ],
)
def test_polyglot_is_processed_only_as_its_leading_type(
    settings: Settings,
    tmp_path: Path,
    make: Callable[[], bytes],
    kind: FileKind,
    color: tuple[int, int, int],
) -> None:
    data = make()
    path = tmp_path / "polyglot.pdf"
    path.write_bytes(data)
    assert sniff_kind(data[:SNIFF_BYTES]) is kind

    async def run() -> list[PreparedPage]:
        async with PagePreparer(settings) as preparer:
            return await _pages(preparer, path, kind)

    (page,) = asyncio.run(run())  # one image page, not the PDF's pages
    assert page.image is not None and page.text == ""
    with Image.open(io.BytesIO(page.image.jpeg)) as picture:
        center = picture.convert("RGB").getpixel((60, 40))
    assert all(abs(a - b) < 25 for a, b in zip(center, color, strict=True))


@pytest.mark.slow  # waits out real timeouts and latencies
def test_page_time_limit_and_crash_fail_one_page_each_and_workers_are_replaced(
    tmp_path: Path,
) -> None:
    settings = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path},
        pages={"render_workers": 2, "render_timeout_s": 2.0},
    )
    path = tmp_path / "good.pdf"
    path.write_bytes(hardcases.digital_pdf(2))
    spec = RenderSpec.from_settings(settings)

    def page_job(number: int) -> PageJob:
        return PageJob(
            path=path,
            kind=FileKind.PDF,
            password=None,
            page_number=number,
            render="always",
            spec=spec,
        )

    jobs = [SleepJob(page_number=1, seconds=60), page_job(1), CrashJob(page_number=3), page_job(2)]

    async def run() -> tuple[list[PreparedPage], int, set[int], set[int]]:
        async with PagePreparer(settings) as preparer:
            before = set(preparer.pool.worker_pids())
            pages = [page async for page in preparer.run_page_jobs(jobs)]
            await asyncio.sleep(0)  # let the background replacements register
            after = [page async for page in preparer.run_page_jobs([page_job(1), page_job(2)])]
            return pages + after, preparer.pool.replaced, before, set(preparer.pool.worker_pids())

    pages, replaced, before, after_pids = asyncio.run(run())
    timed_out, first, crashed, second, again_1, again_2 = pages
    assert timed_out.error_code == "page_timeout" and "2 s" in (timed_out.error or "")
    assert crashed.error_code == "render_crash" and "SIGSEGV" in (crashed.error or "")
    for page, number in ((first, 1), (second, 2), (again_1, 1), (again_2, 2)):
        assert not page.failed and page.image is not None
        assert page.lines[0].text == f"INVOICE No. {1000 + number}"
    assert replaced == 2
    assert len(after_pids) == 2 and after_pids != before
