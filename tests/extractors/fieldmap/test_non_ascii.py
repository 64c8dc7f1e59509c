"""Names keep their letters whatever their alphabet: re-spacing, OCR repairs and folding for
comparison must never drop a letter they do not know ("Müller & Söhne" once came back from
the fake vLLM server, which reads pages with this mapper, as "Mller & Shne")."""

from __future__ import annotations

import pytest

from extractors.fieldmap.lexicon import words
from extractors.fieldmap.party_lines import clean_name
from extractors.fieldmap.spacing import repair_confusions, respace
from tests.fakes.vllm_model import PageSeen, read_page

NAMES = [
    "Müller & Söhne GmbH",
    "MÜLLER & SÖHNE",
    "Bäckerei Öztürk",
    "Weiß & Søn ApS",
    "Łódź Spółka z o.o.",
    "Þór Ærø Œuvre",
    "Crème Brûlée Café S.A.",
    "Ñandú S.L.",
    "Dvořák s.r.o.",
    "Μύλλερ Α.Ε.",
]


@pytest.mark.parametrize("name", NAMES)
def test_respacing_and_repairs_keep_every_letter(name: str) -> None:
    for text in (name, name.replace(" ", "")):
        for out in (respace(text), repair_confusions(text), clean_name(text)[0]):
            assert [ch for ch in out if ch.isalpha()] == [ch for ch in text if ch.isalpha()], (text, out)


def test_glued_names_are_spaced_at_case_changes_of_any_alphabet() -> None:
    assert respace("MüllerSöhne") == "Müller Söhne"
    assert respace("ÖztürkBäckerei") == "Öztürk Bäckerei"


def test_folding_for_comparison_spells_out_letters_without_accents() -> None:
    # "Weiß" and "WEISS" are one name; a dropped letter would make them two
    assert words("Weiß & Søn") == words("WEISS & SON") == ("weiss", "son")
    assert words("Łódź Œuvre Þór Ærø") == ("lodz", "oeuvre", "thor", "aero")


def test_the_fake_servers_reading_keeps_non_ascii_names() -> None:
    page = PageSeen(
        text="\n".join(
            [
                "Müller & Söhne GmbH",
                "Königstraße 5, 80331 München",
                "Rechnung",
                "Rechnungsnummer: RE-2025-0118",
                "Rechnungsempfänger:",
                "Jürgen Weiß Gärtnerei e.K.",
                "Gesamtbetrag: 1.234,50 €",
            ]
        )
    )
    fields = read_page(page, "invoice", {}, 1).fields
    assert fields["vendor_name"].value == "Müller & Söhne GmbH"
    assert fields["vendor_address"].value == "Königstraße 5, 80331 München"
    assert fields["customer_name"].value == "Jürgen Weiß Gärtnerei e.K."
