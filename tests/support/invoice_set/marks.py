"""What people and systems put on top of an invoice: a rubber stamp, a watermark, a scribble."""

from __future__ import annotations

import random

import pymupdf

from tests.support.invoice_set.money import Locale, date
from tests.support.invoice_set.render import Canvas

STAMP_WORDS = dict(
    en=("PAID", "RECEIVED", "APPROVED"),
    de=("BEZAHLT", "EINGEGANGEN", "GEBUCHT"),
    fr=("PAYÉ", "REÇU LE", "COMPTABILISÉ"),
    nl=("BETAALD", "ONTVANGEN", "GEBOEKT"),
    es=("PAGADO", "RECIBIDO", "CONTABILIZADO"),
    it=("PAGATO", "RICEVUTO", "REGISTRATO"),
)
WATERMARK_WORDS = dict(
    en=("COPY", "PAID", "DUPLICATE"),
    de=("Kopie", "KOPIE", "Duplikat"),
    fr=("COPIE", "DUPLICATA", "PAYÉ"),
    nl=("KOPIE", "BETAALD"),
    es=("COPIA", "DUPLICADO"),
    it=("COPIA", "PAGATO"),
)
INKS = ((0.75, 0.1, 0.12), (0.12, 0.2, 0.65), (0.15, 0.45, 0.25))


def stamp(canvas: Canvas, rng: random.Random, loc: Locale, when: object) -> None:
    """A tilted, partly transparent rubber stamp with a word and a date, over the lower half."""
    canvas.goto(canvas.page_count - 1)
    word = rng.choice(STAMP_WORDS[loc.language])
    ink = rng.choice(INKS)
    x = rng.uniform(canvas.width * 0.35, canvas.width * 0.6)
    y = rng.uniform(canvas.height * 0.45, canvas.height * 0.75)
    angle = rng.uniform(-18, 18)
    size = rng.uniform(20, 28)
    width = canvas.measure(word, "hebo", size) + 24
    matrix = pymupdf.Matrix(angle)
    pivot = pymupdf.Point(x, y)
    shape = canvas.page.new_shape()
    rect = pymupdf.Rect(x - 12, y - size - 8, x - 12 + width, y + 26)
    shape.draw_rect(rect)
    shape.finish(color=ink, width=2.2, morph=(pivot, matrix), stroke_opacity=0.75)
    shape.commit()
    canvas.text(x, y, word, font="hebo", size=size, color=ink, opacity=0.75, angle=angle)
    canvas.text(x + 4, y + 18, date(when, loc), font="cobo", size=11, color=ink, opacity=0.75, angle=angle)  # type: ignore[arg-type]


def watermark(canvas: Canvas, rng: random.Random, loc: Locale) -> None:
    """A big faint diagonal word across every page (COPY, Kopie, DUPLICATA ...)."""
    word = rng.choice(WATERMARK_WORDS[loc.language])
    size = rng.uniform(80, 120)
    for index in range(canvas.page_count):
        canvas.goto(index)
        width = canvas.measure(word, "hebo", size)
        x, y = canvas.width / 2 - width * 0.35, canvas.height / 2 + width * 0.3
        canvas.text(x, y, word, font="hebo", size=size, color=(0.6, 0.6, 0.6), opacity=0.18, angle=40)
    canvas.goto(canvas.page_count - 1)


def scribble(canvas: Canvas, rng: random.Random) -> None:
    """Ballpoint marks: a loopy initial, a tick, and a stroke through part of the page."""
    canvas.goto(0)
    ink = rng.choice(INKS[1:] + ((0.1, 0.1, 0.1),))
    shape = canvas.page.new_shape()
    x, y = (
        rng.uniform(canvas.width * 0.2, canvas.width * 0.6),
        rng.uniform(canvas.height * 0.2, canvas.height * 0.6),
    )
    point = pymupdf.Point(x, y)
    for _ in range(rng.randint(3, 6)):
        step = pymupdf.Point(x + rng.uniform(15, 45), y + rng.uniform(-25, 25))
        c1 = pymupdf.Point(point.x + rng.uniform(-30, 30), point.y + rng.uniform(-40, 40))
        c2 = pymupdf.Point(step.x + rng.uniform(-30, 30), step.y + rng.uniform(-40, 40))
        shape.draw_bezier(point, c1, c2, step)
        point, x = step, step.x
    shape.finish(color=ink, width=rng.uniform(1.0, 1.6), closePath=False, stroke_opacity=0.85)
    tx, ty = (
        rng.uniform(canvas.width * 0.55, canvas.width * 0.85),
        rng.uniform(canvas.height * 0.3, canvas.height * 0.8),
    )
    shape.draw_polyline([(tx, ty), (tx + 8, ty + 10), (tx + 26, ty - 16)])
    shape.finish(color=ink, width=1.8, closePath=False, stroke_opacity=0.85)
    shape.commit()
