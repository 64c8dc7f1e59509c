"""Decode budget: what a page costs to decode is bounded before a pixel is decoded.

Files small on disk and huge decoded (tests.support.decode_bombs) each end either rejected,
with a reason that names the decoded size and the limit, or processed at the size the
pipeline uses anyway. The decisions run in this process; one test runs a render worker's
job runner in a child process and reads its peak resident memory.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from core.errors import DecompressionBombError
from extractors.image_pages import decode_cost, inspect_image, prepare_image_page
from extractors.page_jobs import PageJob, RenderSpec
from extractors.page_worker import JobRunner
from models.document import FileKind
from tests.support import decode_bombs, hardcases

MIB = 1024 * 1024
SPEC = RenderSpec(dpi=144, tile_size=336, max_tiles=16, jpeg_quality=85, max_page_pixels=80_000_000)
BUDGET = SPEC.max_page_decode_bytes
ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_default_budget_is_256_mib() -> None:
    from core.settings import Settings

    assert Settings().intake.max_page_decode_bytes == BUDGET == 256 * MIB


def test_cost_counts_bytes_per_pixel_of_the_mode_and_composed_frames() -> None:
    target = (1344, 1344)
    one_bit = decode_cost((8900, 8900), "1", target)
    rgba = decode_cost((8900, 8900), "RGBA", target)
    assert one_bit < BUDGET < rgba  # same pixels, 1 byte vs 4 bytes each
    assert decode_cost((8000, 8000), "I;16", target) - decode_cost((8000, 8000), "L", target) == 64_000_000
    assert decode_cost((3000, 3000), "P", target, composed=FileKind.GIF) > decode_cost(
        (3000, 3000), "RGBA", target
    )


def test_326_kb_rgba_png_under_the_pixel_guard_is_rejected_before_decoding(tmp_path: Path) -> None:
    # The file: 8,900 x 8,900 = 79.2 megapixels (under the 80 MP guard), 4 bytes each.
    path = _write(tmp_path, "bomb.png", decode_bombs.png(8900, 8900, "RGBA"))
    assert path.stat().st_size < 400_000
    with pytest.raises(DecompressionBombError) as caught:
        inspect_image(path, FileKind.PNG, SPEC)
    message = caught.value.message
    assert "8,900 x 8,900 pixels in mode RGBA" in message
    assert "the limit is 256 MiB per page (FOLIO_MAX_PAGE_DECODE_BYTES)" in message
    assert str(tmp_path) not in message
    with pytest.raises(DecompressionBombError):  # the page job refuses it the same way
        prepare_image_page(path, FileKind.PNG, 1, "always", SPEC)


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("one-bit.png", lambda: decode_bombs.png(8900, 8900, "L", bits=1), FileKind.PNG),
        ("palette-transparent.png", lambda: decode_bombs.png(8900, 8900, "P"), FileKind.PNG),
        ("gray-16-bit.png", lambda: decode_bombs.png(8000, 8000, "L", bits=16), FileKind.PNG),
        ("cmyk.tif", decode_bombs.cmyk_tiff, FileKind.TIFF),
    ],
)
def test_huge_cheap_modes_are_processed_shrunk_to_the_grid(
    tmp_path: Path, name: str, make: object, kind: FileKind
) -> None:
    path = _write(tmp_path, name, make())  # type: ignore[operator]
    inspect_image(path, kind, SPEC)  # within the budget: accepted
    page = prepare_image_page(path, kind, 1, "always", SPEC)
    assert page.image is not None
    assert (page.image.width, page.image.height) == (1344, 1344)  # 16 tiles of 336
    with Image.open(io.BytesIO(page.image.jpeg)) as image:
        assert min(image.convert("L").getextrema()) > 240  # white page, alpha flattened on white


def test_later_frames_of_a_huge_gif_are_refused_before_seeking(tmp_path: Path) -> None:
    path = _write(tmp_path, "frames.gif", decode_bombs.animated_gif(6000, 6000, 3))
    first = prepare_image_page(path, FileKind.GIF, 1, "always", SPEC)  # 36 MB in mode P
    assert first.image is not None
    with pytest.raises(DecompressionBombError, match="as a GIF frame"):
        prepare_image_page(path, FileKind.GIF, 2, "always", SPEC)


def test_budget_setting_decodes_jpeg_reduced_and_refuses_png(tmp_path: Path) -> None:
    small = RenderSpec(**{**SPEC.__dict__, "max_page_decode_bytes": 80 * MIB})
    picture = hardcases.text_image(["TOTAL 12.00"], width=4000, height=4000)
    jpeg = _write(tmp_path, "big.jpg", hardcases.jpeg_bytes(picture))
    png = _write(tmp_path, "big.png", decode_bombs.png(4000, 4000, "RGB"))
    page = prepare_image_page(jpeg, FileKind.JPEG, 1, "always", small)  # libjpeg at 1/2 scale
    assert page.image is not None and page.image.width == 1344
    with pytest.raises(DecompressionBombError, match="the limit is 80 MiB"):
        inspect_image(png, FileKind.PNG, small)


def test_pdf_page_with_a_400_megapixel_image_renders_reduced(tmp_path: Path) -> None:
    path = _write(tmp_path, "huge-image.pdf", decode_bombs.pdf_with_huge_image(20_000))
    page = JobRunner()(
        PageJob(path=path, kind=FileKind.PDF, password=None, page_number=1, render="always", spec=SPEC)
    )
    assert not page.failed and page.image is not None  # type: ignore[union-attr]


_MEASURE = """
import json, resource, sys
from pathlib import Path
from extractors.page_jobs import PageJob, RenderSpec
from extractors.page_worker import JobRunner
from models.document import FileKind
spec = RenderSpec(dpi=144, tile_size=336, max_tiles=16, jpeg_quality=85, max_page_pixels=80_000_000)
runner = JobRunner()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {}
for name, kind in json.loads(sys.argv[1]):
    page = runner(PageJob(Path(name), FileKind(kind), None, 1, "always", spec))
    out[Path(name).name] = page.error_code or "ok"
out["grew_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(json.dumps(out))
"""


def test_a_worker_stays_within_the_budget_on_decode_bombs(tmp_path: Path) -> None:
    files = [
        (_write(tmp_path, "rgba.png", decode_bombs.png(8900, 8900, "RGBA")), FileKind.PNG),
        (_write(tmp_path, "palette.png", decode_bombs.png(8900, 8900, "P")), FileKind.PNG),
        (_write(tmp_path, "huge.pdf", decode_bombs.pdf_with_huge_image(20_000)), FileKind.PDF),
    ]
    argument = json.dumps([(str(path), kind.value) for path, kind in files])
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, argument], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rgba.png"] == "decompression_bomb"
    assert report["palette.png"] == report["huge.pdf"] == "ok"
    # Before the budget the palette PNG alone took the worker 1.4 GiB past its start.
    assert report["grew_kib"] * 1024 < BUDGET
