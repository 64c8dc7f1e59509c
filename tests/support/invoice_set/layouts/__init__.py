"""The registry of invoice layouts, each module holding a few of one family."""

from __future__ import annotations

from tests.support.invoice_set.layouts import bills, commerce, erp, european, heldout, hospitality
from tests.support.invoice_set.layouts.base import Layout

REGISTRY: dict[str, Layout] = {
    layout.name: layout
    for module in (erp, european, commerce, bills, hospitality, heldout)
    for layout in module.LAYOUTS
}


def layouts_for(split: str) -> list[Layout]:
    """The layouts a split uses, in registry order."""
    return [layout for layout in REGISTRY.values() if split in layout.splits]
