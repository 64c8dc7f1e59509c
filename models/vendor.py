"""Vendor memory: what Folio learned, per tenant, from a reviewer's approved corrections of
one vendor's documents (see ``docs/vendor_memory.md``).

A :class:`VendorProfile` is keyed by stable evidence (:class:`VendorKeys`: tax or VAT ids,
IBANs, the normalised name, a fingerprint of the first page's layout) and remembers, per
field, which label and which position held the approved value (:class:`FieldMemory`). The
local engine uses it as a prior on the vendor's next document; the llama engine shows the
model the vendor's last approved values (``example``). No I/O lives here.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field

from models.extraction import FieldScalar
from models.page import BBox

# Bumped when what a profile stores or how it is applied changes: part of the fingerprint.
VENDOR_MEMORY_VERSION = "vendor-memory-1"


class Placement(StrEnum):
    """Where the approved value sat relative to its label."""

    SAME_CELL = "same_cell"  # "Untaxed Amount: 179.55" in one cell
    RIGHT = "right"  # the next cell on the label's row
    BELOW = "below"  # under the label (a boxed header grid, a column of details)
    POSITION = "position"  # no label: where it sat on the page (a letterhead, an address block)
    PRINTED = "printed"  # inside a longer text, the same on every document (a footer's name)


class FieldMemory(BaseModel):
    """Where one field's approved value was found on the vendor's page."""

    kind: str = Field(description="The field's kind (FieldKind value) when it was learned.")
    placement: Placement
    label: str | None = Field(
        None, description="The label as printed, normalised (lower case, no digits or punctuation)."
    )
    label_box: BBox | None = Field(None, description="The label's box, page-relative (0..1).")
    value_box: BBox = Field(description="The value's box, page-relative (0..1).")
    page: int = Field(1, ge=1, description="The page it was found on.")
    lines: int = Field(1, ge=1, description="How many printed lines the value spans.")
    printed: str | None = Field(
        None, description="For PRINTED: the approved text, taken only when printed again."
    )


class VendorKeys(BaseModel):
    """The stable evidence a vendor's documents carry."""

    tax_ids: list[str] = Field(default_factory=list, description="VAT or tax ids, compacted.")
    ibans: list[str] = Field(default_factory=list, description="IBANs, compacted, mod-97 valid.")
    name: str | None = Field(None, description="The approved vendor name, normalised.")
    layout: list[str] = Field(
        default_factory=list,
        description="The first page's fixed words with their coarse place ('total@8,4'): "
        "compared as a set (Jaccard), so changing values weigh little.",
    )


class VendorProfile(BaseModel):
    """One vendor of one tenant, as learned from approved documents."""

    id: str | None = None
    tenant_id: str | None = None
    schema_name: str
    display_name: str
    keys: VendorKeys
    fields: dict[str, FieldMemory] = Field(default_factory=dict)
    example: dict[str, FieldScalar] = Field(
        default_factory=dict, description="The last approved document's values (the llama example)."
    )
    approvals: int = Field(0, ge=0, description="How many approved documents taught it.")
    document_ids: list[str] = Field(default_factory=list, description="Those documents, oldest first.")
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class VendorMatch(BaseModel):
    """A profile chosen for a page and why (written to the fields it changes)."""

    profile: VendorProfile
    score: float
    reasons: list[str]

    @property
    def explanation(self) -> str:
        """'Acme GmbH (2 approvals; VAT id DE123456789, layout 0.82)'."""
        plural = "s" if self.profile.approvals != 1 else ""
        why = ", ".join(self.reasons)
        return f"{self.profile.display_name} ({self.profile.approvals} approval{plural}; {why})"
