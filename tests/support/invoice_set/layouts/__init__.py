"""The registry of invoice layouts, each module holding a few of one family (shared helpers:
``base``, ``blocks``, ``countries``)."""

from __future__ import annotations

from tests.support.invoice_set.layouts import (
    bills,
    bookkeeping,
    commerce,
    erp,
    european,
    european_south,
    heldout,
    hospitality,
    services,
)
from tests.support.invoice_set.layouts.base import Layout

# Registry order is the order a split draws its layouts in: changing it changes the set.
REGISTRY: dict[str, Layout] = {
    layout.name: layout
    for module in (
        erp,
        bookkeeping,
        european,
        european_south,
        commerce,
        services,
        bills,
        hospitality,
        heldout,
    )
    for layout in module.LAYOUTS
}


def layouts_for(split: str) -> list[Layout]:
    """The layouts a split uses, in registry order."""
    return [layout for layout in REGISTRY.values() if split in layout.splits]
