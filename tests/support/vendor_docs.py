"""Invoices of one vendor, drawn with the invoice set's layouts: the seller and drawing
style fixed, numbers, dates, items and amounts drawn anew for every document."""

from __future__ import annotations

import dataclasses
import random

import pymupdf

from extractors.textlayer import read_text_layer
from models.extraction import FieldScalar
from models.page import TextLine
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.layouts import REGISTRY
from tests.support.invoice_set.layouts.base import Ctx
from tests.support.invoice_set.layouts.blocks import ACCENTS
from tests.support.invoice_set.money import LOCALES
from tests.support.invoice_set.render import Canvas


@dataclasses.dataclass(frozen=True)
class VendorDocument:
    """One generated invoice: its PDF, its first page's text-layer lines, its truth."""

    pdf: bytes
    lines: list[TextLine]
    truth: dict[str, FieldScalar]


def vendor_documents(layout_name: str, locale: str, count: int, *, seed: str = "t") -> list[VendorDocument]:
    """``count`` invoices of one vendor in ``layout_name``."""
    layout, loc = REGISTRY[layout_name], LOCALES[locale]
    names = Names("dev")
    seller = None
    out: list[VendorDocument] = []
    for k in range(count):
        facts = layout.build(random.Random(f"{seed}/{layout_name}/{k}"), loc, names, (1, 4))
        seller = seller or facts.vendor
        facts = dataclasses.replace(facts, vendor=seller)
        canvas = Canvas(size=layout.page)
        layout.draw(Ctx(canvas, facts, loc, random.Random(f"{seed}/{layout_name}/style"), accent=ACCENTS[0]))
        pdf = canvas.finish(f"{facts.vendor.name} {facts.number}", facts.issue_date)
        with pymupdf.open(stream=pdf, filetype="pdf") as doc:
            lines = read_text_layer(doc[0]).lines
        truth = {k: v for k, v in facts.truth().items() if not isinstance(v, list)}
        out.append(VendorDocument(pdf, lines, truth))
    return out
