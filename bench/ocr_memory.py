"""What one OCR of a page adds to the process's memory, against what the engine reserves for it.

Run: ``.venv/bin/python -m bench.ocr_memory [--sizes 1344x1344 2480x3508 ...]``. For each page
size, a fresh process loads the reader's models, reads one small text page (the one-time
set-up), then reads a generated page of that size (a scanned-looking text page, as a JPEG) twice
with the pipeline's OCR, ``extractors.ocr_page.read_lines``; the peak RSS above the RSS before
(``VmHWM`` after resetting it through ``/proc/self/clear_refs``) is that page's working memory.
Prints it, the detector's input size (``extractors.ocr.detector_pixels``), the decoded image's
size and what ``extractors.ocr.ocr_memory_cost`` reserves for that page; the last line says
whether the reservation covered every page measured. The sizes are model images (at most 16
tiles of 336 pixels) and the finer OCR images the preparer makes (``extractors.ocr_prep``: a
600-dpi receipt scan at half size, A4 and letter at 300 dpi).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

DEFAULT_SIZES = (
    "1344x1344",
    "1008x1344",
    "672x1344",
    "448x1344",
    "1344x672",
    "336x336",
    "2480x3508",
    "2550x3300",
    "2000x2500",
)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _page(width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(image)
    step = max(14, height // 60)
    for row, y in enumerate(range(step, height - step, step)):
        line = f"ITEM {row:03d}  WIDGET ASSEMBLY  QTY {row % 9 + 1}  RM {row * 3.75:.2f}"
        draw.text((step, y), line, fill=20)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _child(width: int, height: int) -> None:
    from extractors.heap import trim_heap
    from extractors.ocr import decoded_size, detector_pixels
    from extractors.ocr_page import OcrOptions, read_lines

    # The models run once, the classifier too ("always"): their set-up is not counted.
    read_lines(_page(336, 336), 336, 336, OcrOptions(angle="always"))
    page = _page(width, height)
    growth = 0
    for _ in range(2):
        trim_heap()
        before = _status_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        read_lines(page, width, height)
        growth = max(growth, _status_kib("VmHWM") - before)
    decoded_w, decoded_h = decoded_size(width, height)
    print(
        json.dumps(
            {"growth_kib": growth, "pixels": detector_pixels(width, height), "image": decoded_w * decoded_h}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES), help="WIDTHxHEIGHT pages")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        width, height = (int(v) for v in args.child.split("x"))
        _child(width, height)
        return
    from extractors.ocr import ocr_memory_cost

    short = 0
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, "-m", "bench.ocr_memory", "--child", size],
            capture_output=True,
            text=True,
            check=True,
        )
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        growth = measured["growth_kib"] * 1024
        width, height = (int(v) for v in size.split("x"))
        reserved = ocr_memory_cost(width, height)
        short += growth > reserved
        print(
            f"ocr_memory: page {size}: detector input {measured['pixels'] / 1e6:.2f} MP, "
            f"image {measured['image'] / 1e6:.2f} MP, peak growth {growth / 2**20:.0f} MiB; "
            f"reserved {reserved / 2**20:.0f} MiB"
        )
    print(f"ocr_memory: pages whose growth exceeded the reservation: {short} of {len(args.sizes)}")


if __name__ == "__main__":
    main()
