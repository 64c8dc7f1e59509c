"""Vendor memory in the local engine: learning where a vendor prints its fields, matching
its next document, and the prior that corrects the mapper there (and nowhere else)."""

from __future__ import annotations

import pytest

from extractors.fieldmap.layout import build_rows
from extractors.fieldmap.mapper import PageContext, map_page
from extractors.fieldmap.vendor_keys import fold, iban_valid, match_vendor, tax_ids
from extractors.fieldmap.vendor_prior import apply_prior, label_form, learn_fields, rows_of
from extractors.fieldmap.vendor_profiles import teach_profile
from models.evaluation.rules import compare
from models.schemas import FieldKind, get_schema
from models.vendor import Placement
from tests.support.vendor_docs import vendor_documents

SCHEMA = get_schema("invoice")
SPECS = {s.name: s for s in SCHEMA.fields}


def _right(name: str, truth: object, value: object) -> bool:
    return value is not None and compare(SPECS[name].kind, name, truth, value).correct


@pytest.fixture(scope="module")
def fattura():
    # An e-invoice courtesy copy: boxed fields whose labels the mapper does not read.
    return vendor_documents("fattura_pa_copy", "it-IT", 3)


@pytest.fixture(scope="module")
def other():
    return vendor_documents("odoo", "en-IE", 1, seed="other")[0]


def test_learning_finds_each_value_at_its_label_or_place(fattura) -> None:
    first = fattura[0]
    memory = learn_fields(first.lines, first.truth, SCHEMA)
    assert {"subtotal", "invoice_number", "vendor_name"} <= set(memory)
    ctx = PageContext(first.lines, 1)
    for name, found in memory.items():
        # The cells inside the remembered box read as the approved value...
        inside = [
            c
            for row in ctx.rows
            for c in row.cells
            if c.x0 >= found.value_box[0] - 1e-6
            and c.x1 <= found.value_box[2] + 1e-6
            and c.y0 >= found.value_box[1] - 1e-6
            and c.y1 <= found.value_box[3] + 1e-6
        ]
        assert inside, name
        text = " ".join(c.text for c in inside)
        if found.placement is Placement.SAME_CELL:
            assert fold(found.label or "") in fold(text)
        elif found.placement is not Placement.PRINTED:
            assert _right(name, first.truth[name], ctx.typed(SPECS[name].kind, text)), (name, text)
        # ...and a remembered label is printed on the page.
        if found.label is not None:
            assert any(label_form(c.text).startswith(found.label) for row in ctx.rows for c in row.cells)


def test_the_prior_corrects_the_vendors_next_document(fattura) -> None:
    first, *later = fattura
    profile = teach_profile([first.lines], first.truth, SCHEMA, document_id="d1")
    for doc in later:
        mapped = map_page(doc.lines, SCHEMA, page_number=1)
        wrong = [n for n in ("invoice_number", "subtotal") if not _right(n, doc.truth[n], _value(mapped, n))]
        assert wrong, "the mapper already reads these; the test would prove nothing"
        match = match_vendor(rows_of(doc.lines), [profile])
        assert match is not None and match.profile is profile
        taught = apply_prior(doc.lines, mapped, match, SCHEMA)
        for name in wrong:
            found = taught.fields[name]
            assert _right(name, doc.truth[name], found.value), (name, found)
            assert found.method is not None and found.method.startswith("vendor:")
            assert any(profile.display_name in e for e in found.evidence)
            assert found.confidence is not None and found.confidence < 1.0  # still earned


def test_another_vendor_is_not_matched(fattura, other) -> None:
    profile = teach_profile([fattura[0].lines], fattura[0].truth, SCHEMA, document_id="d1")
    assert match_vendor(rows_of(other.lines), [profile]) is None


def test_the_tenants_own_vat_id_does_not_match_another_vendor(fattura) -> None:
    # The recipient's VAT id is printed on every vendor's invoice to the tenant: never a key.
    first = fattura[0]
    profile = teach_profile([first.lines], first.truth, SCHEMA, document_id="d1")
    page_ids = tax_ids("\n".join(r.text for r in build_rows(first.lines)))
    assert len(page_ids) > len(profile.keys.tax_ids) >= 1


def test_teaching_again_counts_approvals_and_keeps_the_newest_example(fattura) -> None:
    first, second, _ = fattura
    profile = teach_profile([first.lines], first.truth, SCHEMA, document_id="d1")
    again = teach_profile([second.lines], second.truth, SCHEMA, document_id="d2", existing=profile)
    assert again.approvals == 2 and again.document_ids == ["d1", "d2"]
    assert again.example["invoice_number"] == second.truth["invoice_number"]


def test_iban_check_digits() -> None:
    assert iban_valid("DE89370400440532013000")
    assert not iban_valid("DE88370400440532013000")


def _value(extraction, name: str):
    found = extraction.fields.get(name)
    return found.value if found else None


def test_kinds_are_respected(fattura) -> None:
    profile = teach_profile([fattura[0].lines], fattura[0].truth, SCHEMA, document_id="d1")
    for name, memory in profile.fields.items():
        assert memory.kind == SPECS[name].kind.value
        assert SPECS[name].kind is not FieldKind.TABLE
