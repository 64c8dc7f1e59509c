"""Turning a clean PDF into what an inbox really receives: office scans and phone photos.

Scans: rendered at 150–300 dpi, slightly rotated, contrast lost, blurred a little, noisy,
JPEG-compressed (or thresholded to a 1-bit PNG, as fax-like scanners do). Photos: the page
on a desk, seen at an angle (perspective), lit unevenly with a soft shadow, mildly out of
focus, saved as a phone would (JPEG). Everything is driven by a seeded RNG.
"""

from __future__ import annotations

import datetime as dt
import io
import random

import numpy as np
import pymupdf
from PIL import Image, ImageDraw, ImageFilter

MAX_BYTES = 400_000


def render(pdf: bytes, dpi: int, *, gray: bool) -> list[Image.Image]:
    """The PDF's pages as Pillow images."""
    doc = pymupdf.open("pdf", pdf)
    images = []
    for page in doc.pages():
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY if gray else pymupdf.csRGB, alpha=False)
        mode = "L" if gray else "RGB"
        images.append(Image.frombytes(mode, (pix.width, pix.height), pix.samples))
    return images


def _noise(rng: random.Random, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    generator = np.random.default_rng(rng.randrange(2**32))
    return generator.normal(0.0, sigma, shape)


def scan(page: Image.Image, rng: random.Random) -> Image.Image:
    """One page as an office scanner leaves it: tilted, greyer, softer, noisy."""
    paper = rng.randint(228, 250)
    angle = rng.uniform(0.3, 1.8) * rng.choice([-1, 1])
    img = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    arr = np.asarray(img, dtype=np.float32)
    ink = rng.uniform(25, 60)
    arr = ink + arr * (paper - ink) / 255.0
    arr += _noise(rng, arr.shape, rng.uniform(3, 8))
    h, w = arr.shape
    if rng.random() < 0.5:
        # The lid's shadow along one edge.
        edge = int(w * rng.uniform(0.01, 0.03))
        ramp = np.linspace(0.55, 1.0, edge, dtype=np.float32)
        if rng.random() < 0.5:
            arr[:, :edge] *= ramp
        else:
            arr[:, w - edge :] *= ramp[::-1]
    generator = np.random.default_rng(rng.randrange(2**32))
    dots = generator.integers(0, h * w, size=rng.randint(100, 600))
    arr.flat[dots] = rng.uniform(40, 120)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")


def fax(page: Image.Image, rng: random.Random) -> Image.Image:
    """A 1-bit scan: tilted, thresholded, with specks (small PNGs, harsh for OCR)."""
    img = scan(page, rng)
    threshold = rng.randint(120, 165)
    return img.point(lambda v: 255 if v > threshold else 0).convert("1")


def _perspective_coefficients(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """The 8 coefficients Pillow's PERSPECTIVE transform wants, mapping ``dst`` points back to ``src``."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array([c for point in src for c in point], dtype=np.float64)
    return [float(c) for c in np.linalg.solve(a, b)]


def photo(page: Image.Image, rng: random.Random) -> Image.Image:
    """The page photographed on a desk: perspective, uneven light, a shadow, slight blur."""
    page = page.convert("RGB")
    w, h = page.size
    # Paper is never pure white under room light.
    tint = np.array([1.0, rng.uniform(0.95, 0.99), rng.uniform(0.86, 0.95)], dtype=np.float32)
    paper = np.asarray(page, dtype=np.float32) * tint
    page = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8), "RGB")
    margin_x, margin_y = int(w * rng.uniform(0.06, 0.12)), int(h * rng.uniform(0.05, 0.1))
    out_w, out_h = w + 2 * margin_x, h + 2 * margin_y
    jitter = lambda s: rng.uniform(-0.065, 0.065) * s  # noqa: E731
    dst = [
        (margin_x + jitter(w), margin_y + jitter(h)),
        (margin_x + w + jitter(w), margin_y + jitter(h)),
        (margin_x + w + jitter(w), margin_y + h + jitter(h)),
        (margin_x + jitter(w), margin_y + h + jitter(h)),
    ]
    src = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    coeffs = _perspective_coefficients(src, dst)
    warped = page.transform((out_w, out_h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", (out_w, out_h), 0)
    ImageDraw.Draw(mask).polygon(dst, fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(1.2))
    desk_colour = rng.choice([(92, 70, 52), (60, 62, 66), (150, 132, 110), (35, 38, 44), (120, 120, 118)])
    desk = np.full((out_h, out_w, 3), desk_colour, dtype=np.float32)
    desk += _noise(rng, desk.shape, 9)
    background = Image.fromarray(np.clip(desk, 0, 255).astype(np.uint8), "RGB")
    img = Image.composite(warped, background, mask)
    # Uneven light: a gradient from a lit corner, and a soft shadow across part of the page.
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    cx, cy = rng.uniform(0, out_w), rng.uniform(0, out_h * 0.5)
    distance = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / np.hypot(out_w, out_h)
    light = 1.08 - rng.uniform(0.25, 0.45) * distance
    shade = Image.new("L", (out_w, out_h), 0)
    corner = rng.choice([(0, out_h), (out_w, out_h), (out_w, 0)])
    reach_x, reach_y = out_w * rng.uniform(0.25, 0.5), out_h * rng.uniform(0.2, 0.4)
    polygon = [corner, (abs(corner[0] - reach_x), corner[1]), (corner[0], abs(corner[1] - reach_y))]
    ImageDraw.Draw(shade).polygon(polygon, fill=255)
    shade = shade.filter(ImageFilter.GaussianBlur(out_w * 0.04))
    light *= 1 - rng.uniform(0.2, 0.35) * np.asarray(shade, dtype=np.float32) / 255.0
    arr = np.asarray(img, dtype=np.float32) * light[..., None]
    arr += _noise(rng, arr.shape, rng.uniform(2.5, 5))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.2)))


def jpeg(img: Image.Image, quality: int, *, dpi: int | None = None, limit: int = MAX_BYTES) -> bytes:
    """JPEG bytes, lowering the quality until the file is under ``limit`` bytes."""
    while True:
        buffer = io.BytesIO()
        extra = {"dpi": (dpi, dpi)} if dpi else {}
        img.save(buffer, "JPEG", quality=quality, optimize=True, **extra)
        if buffer.tell() <= limit or quality <= 40:
            return buffer.getvalue()
        quality -= 6


def png(img: Image.Image, *, dpi: int) -> bytes:
    """PNG bytes."""
    buffer = io.BytesIO()
    img.save(buffer, "PNG", optimize=True, dpi=(dpi, dpi))
    return buffer.getvalue()


def pages(pdf: bytes) -> list[pymupdf.Page]:
    """The PDF's pages (for their sizes)."""
    return list(pymupdf.open("pdf", pdf).pages())


def image_pdf(pages: list[bytes], sizes: list[tuple[float, float]], when: dt.date) -> bytes:
    """A PDF with one JPEG per page and no text layer, as a scanner's PDF mode writes it."""
    doc = pymupdf.open()
    for data, (width, height) in zip(pages, sizes, strict=True):
        page = doc.new_page(width=width, height=height)
        page.insert_image(page.rect, stream=data)
    # Scanned a few days after the invoice date; fixed so the file is the same on every run.
    stamp = (when + dt.timedelta(days=3)).strftime("D:%Y%m%d101500+00'00'")
    doc.set_metadata(
        {"producer": "Scan2PDF", "creator": "MFP scanner", "creationDate": stamp, "modDate": stamp}
    )
    return bytes(doc.tobytes(garbage=3, deflate=True, no_new_id=True))
